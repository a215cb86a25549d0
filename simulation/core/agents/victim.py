"""Victim: a person harmed by exploitation or extortion, moving through recovery.

Rule (monthly transitions): victimised -> identified/rescued (by police effort and community
reporting, or by coming forward) -> supported -> compensated (when the victims' fund has money)
-> recovered; identified and recovered people can be re-victimised while a group still controls
where they live. An identified victim may testify, which helps convict the group's members.

Attributes: ``state``, ``kind`` (exploitation / extortion), ``group`` (who victimised them),
``since`` (step the current state began), ``victimisations`` (how many times harmed).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel


class VictimState(StrEnum):
    VICTIMISED = "victimised"
    IDENTIFIED = "identified"
    SUPPORTED = "supported"
    COMPENSATED = "compensated"
    RECOVERED = "recovered"


class Victim(CellAgent):
    """A victim of organized crime (see module docstring)."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, group: OCG, kind: str, cell, step: int) -> None:
        super().__init__(model)
        self.kind = kind
        self.group: OCG | None = group
        self.state = VictimState.VICTIMISED
        self.since = step
        self.victimisations = 1
        self.cell = cell
        self.x, self.y = cell.coordinate  # victims stay where they live

    def move(self, state: VictimState, step: int) -> None:
        self.state = state
        self.since = step

    def revictimise(self, group: OCG, step: int, kind: str | None = None) -> None:
        self.group = group
        if kind is not None:
            self.kind = kind
        self.victimisations += 1
        self.move(VictimState.VICTIMISED, step)
