"""Member: one person in an organized criminal group.

Rule: stay while the group pays and holds together; leave when the exit hazard (cohesion,
legitimate opportunities) fires; after prison, re-offend with a propensity that rises with
unemployment and exclusion where released.

Attributes: ``group`` (OCG or None), ``role`` (leader / lieutenant / soldier), ``experience``
(months active), ``status`` (free / prison), ``sentence`` (months left), ``prior_group``
(the group a prisoner belonged to).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel


class Role(StrEnum):
    LEADER = "leader"
    LIEUTENANT = "lieutenant"
    SOLDIER = "soldier"


class Status(StrEnum):
    FREE = "free"
    PRISON = "prison"


class Member(CellAgent):
    """An individual criminal: arrested, imprisoned, released, re-offends, exits or is killed."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, group: OCG, role: Role, cell, experience: int = 0):
        super().__init__(model)
        self.group: OCG | None = group
        self.role = role
        self.experience = experience
        self.status = Status.FREE
        self.sentence = 0
        self.prior_group: OCG | None = None
        self.cell = cell
        group.members.append(self)

    def leave_group(self) -> None:
        """Detach from the group (arrest, exit, death); leadership loss is noticed by the group."""
        group = self.group
        if group is not None and self in group.members:
            group.members.remove(self)
            if group.leader is self:
                group.leader = None
                group.leader_lost = True

    def imprison(self, months: int) -> None:
        """Convicted: off the street for ``months``; the group loses the member."""
        self.leave_group()
        self.status = Status.PRISON
        self.sentence = max(1, months)
        self.prior_group = self.group
        self.group = None
        self.cell = None

    def die_or_exit(self) -> None:
        """Leave crime for good (killed, exited, desisted): the agent leaves the model."""
        self.leave_group()
        self.group = None
        self.remove()

    def serve(self) -> bool:
        """One month in prison; True when released this step."""
        self.sentence -= 1
        return self.sentence <= 0

    def reoffend_probability(
        self, unemployment: float, exclusion: float, legitimacy: float, modifier: float = 1.0
    ) -> float:
        """Released prisoner's decision: return to crime when licit prospects are poor."""
        behaviour = self.model.spec.behaviour.member
        pull = 0.4 + unemployment * 2.0 + exclusion * 0.6 + legitimacy * 0.4
        return min(0.95, behaviour.reoffend_propensity * pull * modifier)


def exit_hazard(
    exit_rate: float, cohesion: float, unemployment: np.ndarray, unpaid: bool, modifier: np.ndarray
) -> np.ndarray:
    """Members' monthly decision to quit: weak or unpaying groups and licit jobs pull people out."""
    opportunity = 1.0 + 4.0 * np.maximum(0.0, 0.25 - unemployment)
    hazard = exit_rate * (0.5 + (1.0 - cohesion)) * opportunity * (3.0 if unpaid else 1.0)
    return np.minimum(0.9, hazard * modifier)
