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

RESERVATION_WAGE = 1.5
"""Members' wage relative to ``behaviour.ocg.wage`` is ``RESERVATION_WAGE - youth_risk`` where they
work: better prospects (lower risk) make crime's labour dearer."""


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


# --------------------------------------------------------------------------- the communities
def populate(model: CriminalMarketModel) -> None:
    """One community per block, starting from the block's exclusion, state presence and jobs."""
    w = model.world
    pop = w.population
    excl = w.block_mean(w.exclusion, pop)
    state = w.block_mean(w.state_presence, pop)
    unemp = w.block_mean(w.unemployment, pop)
    for b in range(w.n_blocks):
        Community(model, b, float(excl[b]), float(state[b]), float(unemp[b]))


def respond(model: CriminalMarketModel) -> None:
    """Phase P19: each community updates its attitudes from its block's month, then reports."""
    w = model.world
    per_k = np.maximum(w.block_sum(w.population) / 1000.0, 1e-9)
    violence = w.block_sum(w.violence) / per_k
    victims = w.block_sum(w.victimisation) / per_k
    services = w.block_sum(model.services) / per_k
    effort = w.block_mean(w.enforcement)
    mean_effort = max(model.mean_effort, 1e-9)
    corrupt = np.zeros(w.n_blocks)
    for o in model.officials:
        corrupt[o.block] += o.corrupt
    per_block = np.maximum(np.bincount([o.block for o in model.officials], minlength=w.n_blocks), 1)
    mod = model.modifiers
    relief = w.block_mean(mod.grievance_relief, w.population)
    narrative = w.block_mean(mod.legitimacy_shift, w.population)
    partnership = w.block_mean(mod.trust_shift, w.population)
    for c in model.communities:
        b = c.block
        programmes = BlockProgrammes(float(relief[b]), float(narrative[b]), float(partnership[b]))
        c.update(
            BlockExperience(
                violence=float(violence[b]),
                victimisation=float(victims[b]),
                services=float(services[b]),
                enforcement=float(effort[b] / mean_effort),
                corruption=float(corrupt[b] / per_block[b]),
            ),
            programmes,
        )
    refresh_layers(model)
    seen = w.violence + w.victimisation + 0.1 * w.activity
    model.reports = model.rng.poisson(w.reporting * seen).astype(float)
    model.counters["community_reports"] = float(model.reports.sum())


def refresh_layers(model: CriminalMarketModel) -> None:
    """Spread the communities' attitudes onto the grid, where agents read them."""
    w = model.world
    communities = list(model.communities)
    w.community_resilience[:] = w.broadcast(np.array([c.resilience for c in communities]))
    w.ocg_legitimacy[:] = w.broadcast(np.array([c.legitimacy for c in communities]))
    w.reporting[:] = w.broadcast(np.array([c.reporting for c in communities]))
    youth_risk = w.broadcast(np.array([c.youth_risk for c in communities]))
    # where young people have prospects, groups must pay more to keep them
    model.wage_factor = RESERVATION_WAGE - youth_risk
