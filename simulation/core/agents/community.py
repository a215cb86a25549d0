"""Communities and their residents: households who decide whether to report and whose side to take.

Each block holds ``households_per_block`` households, each with its own trust in the police,
sympathy for the groups, grievance and fear, and its own thresholds. Every month each household
lives through its own experiences, drawn from what happened in its block: police contacts, fair or
unfair (how many, and how often unfair, depends on how the police act), unfair contacts of
neighbours it hears of, harm by the groups, the groups' "services", programmes reaching it; and
memory fades toward the household's baseline. Then it decides:

- to **report** what it sees to the police when its trust, discounted by its fear and by its
  sympathy for the groups (``trust x (1 - fear) x (1 - sympathy)``), exceeds its own reticence;
- to **side with the groups** (shelter them, keep quiet, take their side in disputes) when its
  sympathy exceeds its own resolve; otherwise it resists them.

A block's willingness to report and the groups' legitimacy are the shares of its households that
decide so; its trust and grievance are their means. The enforcement style enters only through
the contacts, never through an attitude directly.

Attributes of a ``Community`` (all 0-1, read from its households): ``grievance``, ``resilience``,
``trust`` (in the police), ``legitimacy`` (share siding with the groups), ``youth_risk``,
``reporting`` (share willing to report), ``fear``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel


@dataclass
class BlockMonth:
    """What each block lived through this month (arrays over blocks)."""

    violence: np.ndarray
    """Violent incidents per 1000 residents."""
    victimisation: np.ndarray
    """New victims of the groups per 1000 residents."""
    services: np.ndarray
    """Groups' services, k per 1000 residents."""
    contacts: np.ndarray
    """Police contacts per household."""
    unfair_share: float
    """Share of contacts experienced as unfair (how the police act)."""
    corruption: np.ndarray
    """Share of the block's officials who are corrupt."""
    grievance_relief: np.ndarray
    legitimacy_shift: np.ndarray
    trust_shift: np.ndarray


class Residents:
    """Every block's households: attitudes (blocks x households) and the month's decisions."""

    def __init__(
        self,
        model: CriminalMarketModel,
        exclusion: np.ndarray,
        state: np.ndarray,
        unemployment: np.ndarray,
    ) -> None:
        b = model.spec.behaviour.community
        self.model = model
        self.exclusion = exclusion[:, None]
        self.state = state[:, None]
        self.unemployment = unemployment[:, None]
        shape = (exclusion.size, b.households_per_block)
        rng = model.rng
        self.trust = np.clip(self.state + b.attitude_spread * rng.standard_normal(shape), 0.0, 1.0)
        self.grievance = np.clip(self._grievance_baseline(0.0), 0.0, 1.0) * np.ones(shape)
        self.sympathy = np.clip(
            self._sympathy_baseline(0.0) + b.attitude_spread * rng.standard_normal(shape), 0.0, 1.0
        )
        self.fear = np.zeros(shape)
        self.reticence = rng.random(shape)
        """Each household's threshold for reporting (heterogeneity)."""
        self.resolve = rng.random(shape)
        """Each household's threshold for siding with the groups."""
        self.decide()

    def _grievance_baseline(self, relief: np.ndarray | float) -> np.ndarray:
        b = self.model.spec.behaviour.community
        return b.grievance_exclusion_weight * self.exclusion + self.unemployment - relief

    def _sympathy_baseline(self, shift: np.ndarray | float) -> np.ndarray:
        b = self.model.spec.behaviour.community
        distrust = 1.0 - self.trust  # where the state is not trusted, the groups stand in for it
        return b.legitimacy_exclusion_weight * self.exclusion * distrust + b.legitimacy_floor - shift

    def live_through(self, month: BlockMonth) -> None:
        """Each household's own experiences of the month, then memory fading toward its baseline."""
        b, rng = self.model.spec.behaviour.community, self.model.rng
        shape = self.trust.shape
        contacts = rng.poisson(np.broadcast_to(month.contacts[:, None], shape))
        unfair = rng.binomial(contacts, month.unfair_share)
        fair = contacts - unfair
        heard = rng.poisson(b.word_of_mouth * unfair.mean(axis=1, keepdims=True) * np.ones(shape))
        lived_harm = b.violence_weight * month.violence + b.victimisation_weight * month.victimisation
        harmed = rng.random(shape) < 1.0 - np.exp(-lived_harm[:, None])
        served = rng.random(shape) < 1.0 - np.exp(-b.services_weight * month.services[:, None])

        # the police: fair contacts earn trust, unfair ones (lived or heard of) cost more of it
        loss = min(1.0, b.contact_learning * b.unfair_asymmetry)
        self.trust = 1.0 - (1.0 - self.trust) * (1.0 - b.contact_learning) ** fair
        self.trust *= (1.0 - loss) ** unfair * (1.0 - b.vicarious_weight * loss) ** heard
        self.grievance = 1.0 - (1.0 - self.grievance) * (1.0 - b.unfair_grievance) ** unfair
        # the groups: harm costs them sympathy and feeds grievance, services buy sympathy
        self.sympathy = np.where(harmed, self.sympathy * (1.0 - b.harm_legitimacy_cost), self.sympathy)
        self.sympathy = np.where(served, 1.0 - (1.0 - self.sympathy) * (1.0 - b.service_gain), self.sympathy)
        self.grievance = np.where(
            harmed, 1.0 - (1.0 - self.grievance) * (1.0 - b.harm_grievance), self.grievance
        )
        self.fear = 1.0 - np.exp(-b.fear_sensitivity * (b.violence_weight * month.violence[:, None] + harmed))

        # memory fades toward what the household's circumstances (and programmes) make normal
        rate = b.adaptation
        trust_base = self.state * (1.0 - b.corruption_trust_cost * month.corruption[:, None])
        trust_base = trust_base + month.trust_shift[:, None]
        self.trust += rate * (np.clip(trust_base, 0.0, 1.0) - self.trust)
        sympathy_base = np.clip(self._sympathy_baseline(month.legitimacy_shift[:, None]), 0.0, 1.0)
        self.sympathy += rate * (sympathy_base - self.sympathy)
        grievance_base = np.clip(self._grievance_baseline(month.grievance_relief[:, None]), 0.0, 1.0)
        self.grievance += rate * (grievance_base - self.grievance)
        self.decide()

    def decide(self) -> None:
        """Report or not; side with the groups or resist them."""
        self.reports = self.trust * (1.0 - self.fear) * (1.0 - self.sympathy) > self.reticence
        self.sides = self.sympathy > self.resolve


class Community(Agent):
    """A block's neighbourhood: its households' decisions, aggregated where agents read them."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, block: int, residents: Residents) -> None:
        super().__init__(model)
        self.block = block
        self.residents = residents
        self.resilience = self._resilience_target()
        self.youth_risk = self._youth_risk()

    @property
    def trust(self) -> float:
        return float(self.residents.trust[self.block].mean())

    @property
    def legitimacy(self) -> float:
        """Share of the block's households siding with the groups."""
        return float(self.residents.sides[self.block].mean())

    @property
    def reporting(self) -> float:
        """Share of the block's households willing to report to the police."""
        return float(self.residents.reports[self.block].mean())

    @property
    def grievance(self) -> float:
        return float(self.residents.grievance[self.block].mean())

    @property
    def fear(self) -> float:
        return float(self.residents.fear[self.block].mean())

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

    def settle(self) -> None:
        """Collective efficacy follows the households' attitudes; youth risk follows both."""
        rate = self.model.spec.behaviour.community.adaptation
        self.resilience += rate * (self._resilience_target() - self.resilience)
        self.youth_risk = self._youth_risk()


# --------------------------------------------------------------------------- the communities
def populate(model: CriminalMarketModel) -> None:
    """The residents of every block, and one community per block reading them."""
    w = model.world
    pop = w.population
    model.residents = Residents(
        model,
        w.block_mean(w.exclusion, pop),
        w.block_mean(w.state_presence, pop),
        w.block_mean(w.unemployment, pop),
    )
    for b in range(w.n_blocks):
        Community(model, b, model.residents)


def contacts_per_household(model: CriminalMarketModel) -> tuple[np.ndarray, float]:
    """How the police act on residents: contacts per household by block, and the unfair share."""
    w, p = model.world, model.spec.behaviour.policing
    effort = w.block_mean(w.enforcement) / max(model.mean_effort, 1e-9)
    if model.spec.strategy.enforcement_style == "heavy_handed":
        return p.contact_rate * p.heavy_handed_contact_multiplier * effort, p.heavy_handed_unfair_share
    return p.contact_rate * effort, p.unfair_share


def respond(model: CriminalMarketModel) -> None:
    """Phase P19: households live through the month and decide; communities report to the police."""
    w = model.world
    per_k = np.maximum(w.block_sum(w.population) / 1000.0, 1e-9)
    corrupt = np.zeros(w.n_blocks)
    for o in model.officials:
        corrupt[o.block] += o.corrupt
    per_block = np.maximum(np.bincount([o.block for o in model.officials], minlength=w.n_blocks), 1)
    mod = model.modifiers
    contacts, unfair_share = contacts_per_household(model)
    model.residents.live_through(
        BlockMonth(
            violence=w.block_sum(w.violence) / per_k,
            victimisation=w.block_sum(w.victimisation) / per_k,
            services=w.block_sum(model.services) / per_k,
            contacts=contacts,
            unfair_share=unfair_share,
            corruption=corrupt / per_block,
            grievance_relief=w.block_mean(mod.grievance_relief, w.population),
            legitimacy_shift=w.block_mean(mod.legitimacy_shift, w.population),
            trust_shift=w.block_mean(mod.trust_shift, w.population),
        )
    )
    for c in model.communities:
        c.settle()
    refresh_layers(model)
    seen = w.violence + w.victimisation + model.spec.behaviour.community.activity_visibility * w.activity
    model.reports = model.rng.poisson(w.reporting * seen).astype(float)
    model.counters["community_reports"] = float(model.reports.sum())


def refresh_layers(model: CriminalMarketModel) -> None:
    """Spread the households' decisions and attitudes onto the grid, where agents read them."""
    w, r = model.world, model.residents
    w.community_resilience[:] = w.broadcast(np.array([c.resilience for c in model.communities]))
    w.ocg_legitimacy[:] = w.broadcast(r.sides.mean(axis=1))
    w.reporting[:] = w.broadcast(r.reports.mean(axis=1))
    w.police_trust[:] = w.broadcast(r.trust.mean(axis=1))
    youth_risk = w.broadcast(np.array([c.youth_risk for c in model.communities]))
    # where young people have prospects, groups must pay more to keep them
    model.wage_factor = model.spec.behaviour.ocg.reservation_wage - youth_risk
