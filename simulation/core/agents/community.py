"""Community: a neighbourhood owning a block of cells.

Rule: attitudes move a step toward what the block experienced this month — violence and
victimisation feed fear and grievance and cost the groups legitimacy, groups' "services" buy it
back, heavy-handed policing costs the state trust; willingness to report is trust discounted by
fear and by sympathy for the groups.

Attributes (all 0-1): ``grievance``, ``resilience``, ``trust`` (in the state), ``legitimacy``
(perceived legitimacy of the groups), ``youth_risk`` (share of young people at risk of
recruitment), ``reporting`` (willingness to report to the police).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel


@dataclass
class BlockExperience:
    """What a block lived through this month, per 1000 residents (effort: per cell)."""

    violence: float
    victimisation: float
    services: float
    enforcement: float
    corruption: float


@dataclass
class BlockProgrammes:
    """Strategy programmes reaching the block (block means of the community modifiers)."""

    grievance_relief: float = 0.0
    legitimacy_shift: float = 0.0
    trust_shift: float = 0.0


class Community(Agent):
    """Neighbourhood agent: updates its attitudes from what happened in its block."""

    model: CriminalMarketModel

    def __init__(
        self,
        model: CriminalMarketModel,
        block: int,
        exclusion: float,
        state: float,
        unemployment: float,
    ):
        super().__init__(model)
        self.block = block
        self.exclusion = exclusion
        self.state_presence = state
        self.unemployment = unemployment
        self.grievance = float(np.clip(0.5 * exclusion + unemployment, 0, 1))
        self.trust = float(np.clip(state, 0, 1))
        self.legitimacy = float(np.clip(0.4 * exclusion * (1 - state) + 0.05, 0, 1))
        self.resilience = self._resilience_target()
        self.youth_risk = self._youth_risk()
        self.fear = 0.0
        self.reporting = self._reporting()

    def _resilience_target(self) -> float:
        return float(
            np.clip(0.25 + 0.5 * self.trust - 0.3 * self.grievance - 0.2 * self.legitimacy, 0.0, 1.0)
        )

    def _youth_risk(self) -> float:
        return float(np.clip(0.5 * self.grievance + 0.5 * (1.0 - self.resilience), 0.0, 1.0))

    def _reporting(self) -> float:
        return float(np.clip(self.trust * (1.0 - self.fear) * (1.0 - self.legitimacy), 0.0, 1.0))

    def update(self, seen: BlockExperience, programmes: BlockProgrammes | None = None) -> None:
        """Move attitudes toward what this month's experience (and any programme) implies."""
        p = programmes or BlockProgrammes()
        b = self.model.spec.behaviour.community
        heavy = self.model.spec.strategy.enforcement_style == "heavy_handed"
        harm = b.violence_weight * seen.violence + b.victimisation_weight * seen.victimisation
        self.fear = float(1.0 - np.exp(-2.0 * b.violence_weight * seen.violence))
        # abuses grow with the police presence the block sees, but saturate
        abuse = b.enforcement_weight * seen.enforcement / (1.0 + seen.enforcement) if heavy else 0.0
        legitimacy_target = (
            0.4 * self.exclusion * (1.0 - self.state_presence)
            + 0.05
            + b.services_weight * seen.services
            - 0.5 * harm
            + abuse
            - p.legitimacy_shift
        )
        trust_target = self.state_presence * (1.0 - 0.5 * seen.corruption) - abuse + p.trust_shift
        grievance_target = 0.5 * self.exclusion + self.unemployment + harm + abuse - p.grievance_relief
        rate = b.adaptation
        self.legitimacy += rate * (float(np.clip(legitimacy_target, 0, 1)) - self.legitimacy)
        self.trust += rate * (float(np.clip(trust_target, 0, 1)) - self.trust)
        self.grievance += rate * (float(np.clip(grievance_target, 0, 1)) - self.grievance)
        self.resilience += rate * (self._resilience_target() - self.resilience)
        self.youth_risk = self._youth_risk()
        self.reporting = self._reporting()
