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
        b = model.spec.behaviour.community
        self.block = block
        self.exclusion = exclusion
        self.state_presence = state
        self.unemployment = unemployment
        self.grievance = float(np.clip(b.grievance_exclusion_weight * exclusion + unemployment, 0, 1))
        self.trust = float(np.clip(state, 0, 1))
        self.legitimacy = float(
            np.clip(b.legitimacy_exclusion_weight * exclusion * (1 - state) + b.legitimacy_floor, 0, 1)
        )
        self.resilience = self._resilience_target()
        self.youth_risk = self._youth_risk()
        self.fear = 0.0
        self.reporting = self._reporting()

    def _resilience_target(self) -> float:
        b = self.model.spec.behaviour.community
        return float(
            np.clip(
                b.resilience_base
                + b.resilience_trust_weight * self.trust
                - b.resilience_grievance_weight * self.grievance
                - b.resilience_legitimacy_weight * self.legitimacy,
                0.0,
                1.0,
            )
        )

    def _youth_risk(self) -> float:
        share = self.model.spec.behaviour.community.youth_grievance_share
        return float(np.clip(share * self.grievance + (1.0 - share) * (1.0 - self.resilience), 0.0, 1.0))

    def _reporting(self) -> float:
        return float(np.clip(self.trust * (1.0 - self.fear) * (1.0 - self.legitimacy), 0.0, 1.0))

    def update(self, seen: BlockExperience, programmes: BlockProgrammes | None = None) -> None:
        """Move attitudes toward what this month's experience (and any programme) implies."""
        p = programmes or BlockProgrammes()
        b = self.model.spec.behaviour.community
        heavy = self.model.spec.strategy.enforcement_style == "heavy_handed"
        harm = b.violence_weight * seen.violence + b.victimisation_weight * seen.victimisation
        self.fear = float(1.0 - np.exp(-b.fear_sensitivity * b.violence_weight * seen.violence))
        # abuses grow with the police presence the block sees, but saturate
        abuse = b.enforcement_weight * seen.enforcement / (1.0 + seen.enforcement) if heavy else 0.0
        legitimacy_target = (
            b.legitimacy_exclusion_weight * self.exclusion * (1.0 - self.state_presence)
            + b.legitimacy_floor
            + b.services_weight * seen.services
            - b.harm_legitimacy_cost * harm
            + abuse
            - p.legitimacy_shift
        )
        trust_target = (
            self.state_presence * (1.0 - b.corruption_trust_cost * seen.corruption) - abuse + p.trust_shift
        )
        grievance_target = (
            b.grievance_exclusion_weight * self.exclusion
            + self.unemployment
            + harm
            + abuse
            - p.grievance_relief
        )
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
    seen = w.violence + w.victimisation + model.spec.behaviour.community.activity_visibility * w.activity
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
    model.wage_factor = model.spec.behaviour.ocg.reservation_wage - youth_risk
