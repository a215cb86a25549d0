"""The indicators recorded every step, grouped by the Toolkit's results framework (section 8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel
    from simulation.core.world import World

Level = Literal["outcome", "output", "input"]
Compute = Callable[["CriminalMarketModel"], float]

RECIDIVISM_WINDOW = 24
"""Months of releases over which ``recidivism_rate`` is measured (a definition, not a behaviour)."""


@dataclass(frozen=True)
class Indicator:
    """One monthly indicator: what it is, where it sits in the results framework, how it is computed."""

    name: str
    level: Level
    unit: str
    description: str
    compute: Compute


def counted(name: str, level: Level, unit: str, description: str) -> Indicator:
    """An indicator that is the month's count of an event (``model.counters[name]``)."""
    return Indicator(name, level, unit, description, lambda m: m.counters[name])


def _population_mean(layer: str) -> Compute:
    def compute(m: CriminalMarketModel) -> float:
        pop = m.world.population
        return float((m.world.layers[layer] * pop).sum() / pop.sum())

    return compute


def _volume(m: CriminalMarketModel) -> float:
    return sum(g.sold for g in m.groups)


def _price(m: CriminalMarketModel) -> float:
    """Volume-weighted retail price; the groups' mean asking price in a month with no sales."""
    volume = _volume(m)
    if volume > 0:
        return m.sales_value / volume
    return float(np.mean([g.price for g in m.groups]) if len(m.groups) else 0.0)


def _recidivism(m: CriminalMarketModel) -> float:
    released = sum(r for r, _ in m.recidivism)
    return (sum(o for _, o in m.recidivism) / released) if released else 0.0


def _victims_in(*states: str) -> Compute:
    """Victims in the given states (``VictimState`` values; compared as text so that this
    registry, which the scenario schema reads, does not load the agents)."""

    def compute(m: CriminalMarketModel) -> float:
        return float(sum(v.state in states for v in m.victims))

    return compute


def _spend(principle: str) -> Compute:
    return lambda m: m.spend[principle]


INDICATORS: tuple[Indicator, ...] = (
    # outcome level
    Indicator(
        "violence",
        "outcome",
        "incidents/month",
        "turf contests and leadership power struggles",
        lambda m: float(m.world.violence.sum()),
    ),
    counted("homicides", "outcome", "deaths/month", "members killed in turf contests and power struggles"),
    Indicator(
        "ocg_revenue",
        "outcome",
        "k/month",
        "drug sales plus extortion income of all groups",
        lambda m: sum(g.revenue for g in m.groups),
    ),
    Indicator(
        "ocg_profit",
        "outcome",
        "k/month",
        "revenue less sourcing, transport, wages, bribes, fees",
        lambda m: sum(g.profit for g in m.groups),
    ),
    Indicator(
        "criminal_assets",
        "outcome",
        "k",
        "cash plus laundered assets held by groups",
        lambda m: sum(max(0.0, g.cash) + g.laundered for g in m.groups),
    ),
    Indicator(
        "active_ocgs",
        "outcome",
        "groups",
        "groups with members at liberty at the month's end",
        lambda m: float(len(m.groups)),
    ),
    counted("splits", "outcome", "groups/month", "groups that split in a succession crisis"),
    Indicator(
        "ocg_members",
        "outcome",
        "persons",
        "members at liberty",
        lambda m: float(sum(len(g.members) for g in m.groups)),
    ),
    counted("recruits", "outcome", "persons/month", "new members recruited"),
    counted("exits", "outcome", "persons/month", "members who left crime"),
    Indicator(
        "recidivism_rate",
        "outcome",
        "share",
        f"released prisoners who rejoined, last {RECIDIVISM_WINDOW} months",
        _recidivism,
    ),
    Indicator(
        "victims_current",
        "outcome",
        "persons",
        "victims not yet recovered",
        _victims_in("victimised", "identified", "supported", "compensated"),
    ),
    counted("new_victims", "outcome", "persons/month", "people newly victimised (incl. again)"),
    Indicator(
        "victims_assisted",
        "outcome",
        "persons",
        "victims currently receiving support",
        _victims_in("supported", "compensated"),
    ),
    counted("victims_compensated", "outcome", "persons/month", "victims compensated"),
    Indicator(
        "corrupt_officials",
        "outcome",
        "persons",
        "officials taking bribes",
        lambda m: float(sum(o.corrupt for o in m.officials)),
    ),
    Indicator(
        "community_resilience",
        "outcome",
        "index 0-1",
        "population-weighted resilience",
        _population_mean("community_resilience"),
    ),
    Indicator(
        "ocg_legitimacy",
        "outcome",
        "index 0-1",
        "population-weighted perceived legitimacy",
        _population_mean("ocg_legitimacy"),
    ),
    Indicator("illicit_price", "outcome", "k/unit", "volume-weighted retail price", _price),
    Indicator(
        "illicit_volume", "outcome", "units/month", "units sold at retail", lambda m: float(_volume(m))
    ),
    Indicator(
        "controlled_cells",
        "outcome",
        "cells",
        "cells under some group's control",
        lambda m: float((m.world.control >= 0).sum()),
    ),
    # output level
    counted("arrests", "output", "persons/month", "members arrested"),
    counted("leaders_arrested", "output", "persons/month", "group leaders arrested"),
    counted("seizures_value", "output", "k/month", "street value (group's price) of goods seized"),
    counted("seizures_volume", "output", "units/month", "units seized"),
    counted("assets_confiscated", "output", "k/month", "cash and assets confiscated"),
    counted("prosecutions", "output", "cases/month", "arrests brought to court"),
    counted("convictions", "output", "cases/month", "prosecutions ending in prison"),
    counted("enablers_disrupted", "output", "enablers/month", "enablers detected and removed"),
    counted("rescues", "output", "persons/month", "victims identified and rescued"),
    counted("community_reports", "output", "reports/month", "reports from communities to police"),
    counted("cross_border_operations", "output", "operations/month", "joint operations"),
    counted("officials_removed", "output", "persons/month", "corrupt officials caught"),
    # input level
    Indicator("spend_prevent", "input", "k/month", "spending on PREVENT levers", _spend("prevent")),
    Indicator("spend_pursue", "input", "k/month", "spending on PURSUE levers", _spend("pursue")),
    Indicator("spend_protect", "input", "k/month", "spending on PROTECT levers", _spend("protect")),
    Indicator("spend_promote", "input", "k/month", "spending on PROMOTE levers", _spend("promote")),
    Indicator(
        "enforcement_effort",
        "input",
        "effort units",
        "police effort deployed",
        lambda m: float(m.world.enforcement.sum()),
    ),
)

INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)


def _activity_in(area: str) -> Compute:
    def compute(m: CriminalMarketModel) -> float:
        return float(m.world.activity[m.zones.displacement_masks()[area]].sum())

    return compute


DISPLACEMENT_INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "activity_target",
        "outcome",
        "units/month",
        "illicit activity in the displacement target",
        _activity_in("displacement_target"),
    ),
    Indicator(
        "activity_buffer",
        "outcome",
        "units/month",
        "illicit activity in the buffer around it",
        _activity_in("displacement_buffer"),
    ),
    Indicator(
        "activity_control",
        "outcome",
        "units/month",
        "illicit activity outside target and buffer",
        _activity_in("displacement_control"),
    ),
    Indicator(
        "activity_other_jurisdictions",
        "outcome",
        "units/month",
        "activity in the other jurisdictions",
        _activity_in("displacement_other_jurisdictions"),
    ),
    Indicator(
        "activity_total",
        "outcome",
        "units/month",
        "illicit activity on the whole grid",
        lambda m: float(m.world.activity.sum()),
    ),
)
"""Recorded only when a scenario has a ``displacement:`` section."""

RECORDED_NAMES: tuple[str, ...] = INDICATOR_NAMES + tuple(i.name for i in DISPLACEMENT_INDICATORS)
"""Every indicator a run can record, in documented order."""


def recorded(model: CriminalMarketModel) -> tuple[Indicator, ...]:
    """The indicators this run records: the displacement ones only with a displacement section."""
    return INDICATORS + (DISPLACEMENT_INDICATORS if model.zones.displacement is not None else ())


def record(model: CriminalMarketModel) -> None:
    """Phase P22: one row of indicators for the month."""
    model.records.append({i.name: i.compute(model) for i in recorded(model)})


def snapshot(world: World) -> dict[str, np.ndarray]:
    """Copies of the spatial layers kept for displacement maps."""
    return {name: world.layers[name].copy() for name in SNAPSHOT_LAYERS}


SNAPSHOT_LAYERS: tuple[str, ...] = (
    "activity",
    "control",
    "control_strength",
    "violence",
    "enforcement",
    "victimisation",
    "jurisdiction",
    "population",
    "ocg_legitimacy",
)
"""Layers kept in spatial snapshots (``control`` holds a group id, -1 where no group rules)."""

PRINCIPLE_OF: dict[str, str] = {
    # PREVENT: fewer people drawn into organized crime, and fewer returning to it
    "ocg_members": "prevent",
    "recruits": "prevent",
    "exits": "prevent",
    "recidivism_rate": "prevent",
    "spend_prevent": "prevent",
    # PURSUE: detect, disrupt, deny
    "arrests": "pursue",
    "leaders_arrested": "pursue",
    "seizures_value": "pursue",
    "seizures_volume": "pursue",
    "assets_confiscated": "pursue",
    "prosecutions": "pursue",
    "convictions": "pursue",
    "enablers_disrupted": "pursue",
    "enforcement_effort": "pursue",
    "criminal_assets": "pursue",
    "spend_pursue": "pursue",
    # PROTECT: save, support, sustain
    "victims_current": "protect",
    "new_victims": "protect",
    "victims_assisted": "protect",
    "victims_compensated": "protect",
    "rescues": "protect",
    "spend_protect": "protect",
    # PROMOTE: partnerships, communities, cooperation
    "community_resilience": "promote",
    "ocg_legitimacy": "promote",
    "community_reports": "promote",
    "cross_border_operations": "promote",
    "corrupt_officials": "promote",
    "officials_removed": "promote",
    "spend_promote": "promote",
}
"""The P whose objectives an indicator tracks (results framework, Toolkit section 8); indicators not
listed (violence, revenue, price, active groups, ...) are shared goals of the whole strategy."""
