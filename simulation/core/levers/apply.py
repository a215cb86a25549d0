"""Putting a strategy to work each month: which levers act, where, how hard, and at what cost.

The strategy is read afresh every month from the scenario, so a lever switched on, off or turned
up mid-run (by ``start``/``end`` or by a trainer in the dashboard) acts from the next month on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulation.core.events import record_event
from simulation.core.levers.catalogue import LEVERS_BY_NAME, PRINCIPLES, Lever
from simulation.core.modifiers import MODIFIERS, DecisionModifiers
from simulation.core.world import World
from simulation.core.zones import ZoneBook

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel
from simulation.scenario.schema import JurisdictionTarget, LeverSpec, StrategySpec, ZoneTarget

_NEUTRAL = {m.name: m.neutral for m in MODIFIERS}


@dataclass(frozen=True)
class ActiveLever:
    principle: str
    lever: Lever
    intensity: float
    """After any budget scaling."""
    mask: np.ndarray
    cost: float
    """k this month."""


def target_mask(spec: LeverSpec, world: World, zones: ZoneBook) -> np.ndarray:
    if isinstance(spec.target, ZoneTarget):
        return zones.mask(spec.target.zone)
    if isinstance(spec.target, JurisdictionTarget):
        return world.jurisdiction == world.jurisdiction_names.index(spec.target.jurisdiction)
    return np.ones((world.width, world.height), dtype=bool)


def plan(strategy: StrategySpec, step: int, world: World, zones: ZoneBook) -> list[ActiveLever]:
    """The levers acting this month, scaled down together when their cost exceeds the budget.

    A lever's cost is its catalogue cost at intensity 1 times its intensity times the share of
    the population its target covers. With ``strategy.budget`` set and the month's total cost
    above it, every active lever's intensity (and so its cost) is multiplied by budget / total.
    """
    population = world.population
    total_population = float(population.sum())
    wanted = []
    for principle, name, spec in strategy.levers():
        if not spec.active(step):
            continue
        mask = target_mask(spec, world, zones)
        coverage = float(population[mask].sum()) / total_population
        if coverage <= 0:
            continue  # e.g. a hotspot zone not fixed yet
        lever = LEVERS_BY_NAME[name]
        wanted.append((principle, lever, spec.intensity, mask, lever.cost * spec.intensity * coverage))
    total = sum(cost for *_, cost in wanted)
    scale = 1.0
    if strategy.budget is not None and total > strategy.budget:
        scale = strategy.budget / total
    return [
        ActiveLever(principle, lever, intensity * scale, mask, cost * scale)
        for principle, lever, intensity, mask, cost in wanted
    ]


def apply(levers: list[ActiveLever], modifiers: DecisionModifiers) -> dict[str, float]:
    """Set this month's decision modifiers; returns spending by principle (k)."""
    modifiers.reset()
    spend = dict.fromkeys(PRINCIPLES, 0.0)
    for active in levers:
        lever = active.lever
        values = getattr(modifiers, lever.modifier)
        if _NEUTRAL[lever.modifier] == 1.0:
            values[active.mask] *= max(0.0, 1.0 + lever.effect * active.intensity)
        else:
            values[active.mask] += lever.effect * active.intensity
        spend[active.principle] += active.cost
    return spend


def put_to_work(model: CriminalMarketModel) -> None:
    """Phase P2: the levers acting this month set the decision modifiers; their cost is spent.

    A lever acting after a month without it is noted as a ``lever_start`` event on its target.
    """
    before = {active.lever.name for active in model.active_levers}
    model.active_levers = plan(model.spec.strategy, model.steps, model.world, model.zones)
    model.spend = apply(model.active_levers, model.modifiers)
    for active in model.active_levers:
        if active.lever.name not in before:
            xs, ys = np.nonzero(active.mask)
            x, y = int(np.rint(xs.mean())), int(np.rint(ys.mean()))
            record_event(model, "lever_start", -1, x, y, active.mask, lever=active.lever.name)
