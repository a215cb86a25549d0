"""Events with a time and a place (a leader's arrest, a split, a lever switched on), for event studies.

Recording an event draws nothing at random and changes nothing the agents see: it is an observer,
so runs with and without the events' consumers are identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel

EVENT_KINDS = ("leader_arrest", "split", "lever_start")
"""``leader_arrest``: a group's leader arrested (``convicted`` says whether the leader was removed);
``split``: a challenger walked away with part of a group (``group`` is the new group, ``parent`` the
old); ``lever_start``: a lever acted for the first time after a month without it (``lever``)."""


@dataclass
class Event:
    step: int
    kind: str
    group: int
    x: int
    y: int
    cells: tuple[int, ...]
    """Flat indices (``x * height + y``) of the area concerned: the group's territory at the event,
    or the lever's target cells."""
    detail: dict[str, Any] = field(default_factory=dict)


def record_event(
    model: CriminalMarketModel, kind: str, group: int, x: int, y: int, area: np.ndarray, **detail: Any
) -> Event:
    """Note an event of this month; ``area`` is a boolean mask over the grid."""
    event = Event(
        int(model.steps), kind, int(group), int(x), int(y), tuple(np.flatnonzero(area).tolist()), detail
    )
    model.events.append(event)
    return event
