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
    definition: str = ""
    """How ``compute`` arrives at the number, in the ODD's notation (docs/ODD.md, 7.23)."""


def counted(name: str, level: Level, unit: str, description: str, definition: str = "") -> Indicator:
    """An indicator that is the month's count of an event (``model.counters[name]``)."""
    return Indicator(name, level, unit, description, lambda m: m.counters[name], definition)


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
        definition="Σ `violence` layer (incidents from contests and power-struggle fights)",
    ),
    counted(
        "homicides",
        "outcome",
        "deaths/month",
        "members killed in turf contests and power struggles",
        definition="members killed in fights",
    ),
    Indicator(
        "ocg_revenue",
        "outcome",
        "k/month",
        "drug sales plus extortion income of all groups",
        lambda m: sum(g.revenue for g in m.groups),
        definition="Σ_g revenue (retail + extortion + exploitation income)",
    ),
    Indicator(
        "ocg_profit",
        "outcome",
        "k/month",
        "revenue less sourcing, transport, wages, bribes, fees",
        lambda m: sum(g.profit for g in m.groups),
        definition=(
            "Σ_g (revenue − costs); costs = goods and transport bought (incl. transporter fees), wages,"
            " forger fees, bribes paid, services, laundering fees, contest costs"
        ),
    ),
    Indicator(
        "criminal_assets",
        "outcome",
        "k",
        "cash plus laundered assets held by groups",
        lambda m: sum(max(0.0, g.cash) + g.laundered for g in m.groups),
        definition="Σ_g (max(0, cash) + laundered), stock",
    ),
    Indicator(
        "active_ocgs",
        "outcome",
        "groups",
        "groups with members at liberty at the month's end",
        lambda m: float(len(m.groups)),
        definition="number of groups, stock",
    ),
    counted(
        "splits",
        "outcome",
        "groups/month",
        "groups that split in a succession crisis",
        definition="groups split off in a power struggle this month (7.18)",
    ),
    Indicator(
        "ocg_members",
        "outcome",
        "persons",
        "members at liberty",
        lambda m: float(sum(len(g.members) for g in m.groups)),
        definition="members at liberty, stock",
    ),
    counted(
        "recruits",
        "outcome",
        "persons/month",
        "new members recruited",
        definition="recruits (7.12) + entrant staff (7.19)",
    ),
    counted(
        "exits", "outcome", "persons/month", "members who left crime", definition="members who quit (7.17)"
    ),
    Indicator(
        "recidivism_rate",
        "outcome",
        "share",
        f"released prisoners who rejoined, last {RECIDIVISM_WINDOW} months",
        _recidivism,
        definition="Σ re-offended / Σ released over the last 24 months (0 if none released)",
    ),
    Indicator(
        "victims_current",
        "outcome",
        "persons",
        "victims not yet recovered",
        _victims_in("victimised", "identified", "supported", "compensated"),
        definition="victims not in state recovered, stock",
    ),
    counted(
        "new_victims",
        "outcome",
        "persons/month",
        "people newly victimised (incl. again)",
        definition="victimisations, new and repeat",
    ),
    Indicator(
        "victims_assisted",
        "outcome",
        "persons",
        "victims currently receiving support",
        _victims_in("supported", "compensated"),
        definition="victims in state supported or compensated, stock",
    ),
    counted(
        "victims_compensated",
        "outcome",
        "persons/month",
        "victims compensated",
        definition="compensations paid",
    ),
    Indicator(
        "corrupt_officials",
        "outcome",
        "persons",
        "officials taking bribes",
        lambda m: float(sum(o.corrupt for o in m.officials)),
        definition="officials with a patron, stock",
    ),
    Indicator(
        "community_resilience",
        "outcome",
        "index 0-1",
        "population-weighted resilience",
        _population_mean("community_resilience"),
        definition="population-weighted mean of the layer",
    ),
    Indicator(
        "ocg_legitimacy",
        "outcome",
        "index 0-1",
        "population-weighted perceived legitimacy",
        _population_mean("ocg_legitimacy"),
        definition="population-weighted mean of the layer",
    ),
    Indicator(
        "police_trust",
        "outcome",
        "index 0-1",
        "residents' population-weighted trust in the police",
        _population_mean("police_trust"),
        definition="population-weighted mean of the blocks' mean household trust",
    ),
    Indicator(
        "reporting_willingness",
        "outcome",
        "share",
        "share of households willing to report to the police, population-weighted",
        _population_mean("reporting"),
        definition="population-weighted mean of the blocks' share of households deciding to report",
    ),
    Indicator(
        "illicit_price",
        "outcome",
        "k/unit",
        "volume-weighted retail price",
        _price,
        definition=(
            "`sales_value / Σ_g sold`; if nothing sold, the mean list price of the groups (0 without groups)"
        ),
    ),
    Indicator(
        "illicit_volume",
        "outcome",
        "units/month",
        "units sold at retail",
        lambda m: float(_volume(m)),
        definition="Σ_g sold",
    ),
    Indicator(
        "controlled_cells",
        "outcome",
        "cells",
        "cells under some group's control",
        lambda m: float((m.world.control >= 0).sum()),
        definition="cells with `control ≥ 0`",
    ),
    # output level
    counted("arrests", "output", "persons/month", "members arrested", definition="arrests (7.2, 7.5)"),
    counted(
        "leaders_arrested",
        "output",
        "persons/month",
        "group leaders arrested",
        definition="arrests (7.2, 7.5)",
    ),
    counted(
        "seizures_value",
        "output",
        "k/month",
        "street value (group's price) of goods seized",
        definition="seized units, and valued at the seizing group's retail price",
    ),
    counted(
        "seizures_volume",
        "output",
        "units/month",
        "units seized",
        definition="seized units, and valued at the seizing group's retail price",
    ),
    counted(
        "assets_confiscated",
        "output",
        "k/month",
        "cash and assets confiscated",
        definition="7.4 plus the laundered assets taken from the clients of disrupted launderers (7.20)",
    ),
    counted("prosecutions", "output", "cases/month", "arrests brought to court", definition="7.3"),
    counted("convictions", "output", "cases/month", "prosecutions ending in prison", definition="7.3"),
    counted(
        "enablers_disrupted", "output", "enablers/month", "enablers detected and removed", definition="7.20"
    ),
    counted(
        "rescues",
        "output",
        "persons/month",
        "victims identified and rescued",
        definition="victims identified by the police (7.21)",
    ),
    counted(
        "community_reports",
        "output",
        "reports/month",
        "reports from communities to police",
        definition="7.22",
    ),
    counted(
        "cross_border_operations",
        "output",
        "operations/month",
        "joint operations",
        definition="joint operations (7.5)",
    ),
    counted(
        "officials_removed",
        "output",
        "persons/month",
        "corrupt officials caught",
        definition="corrupt officials caught (7.11)",
    ),
    # input level
    Indicator(
        "spend_prevent",
        "input",
        "k/month",
        "spending on PREVENT levers",
        _spend("prevent"),
        definition=(
            "this month's cost of the active levers of each principle, after budget scaling (8.2); 0 "
            "without levers"
        ),
    ),
    Indicator(
        "spend_pursue",
        "input",
        "k/month",
        "spending on PURSUE levers",
        _spend("pursue"),
        definition=(
            "this month's cost of the active levers of each principle, after budget scaling (8.2); 0 "
            "without levers"
        ),
    ),
    Indicator(
        "spend_protect",
        "input",
        "k/month",
        "spending on PROTECT levers",
        _spend("protect"),
        definition=(
            "this month's cost of the active levers of each principle, after budget scaling (8.2); 0 "
            "without levers"
        ),
    ),
    Indicator(
        "spend_promote",
        "input",
        "k/month",
        "spending on PROMOTE levers",
        _spend("promote"),
        definition=(
            "this month's cost of the active levers of each principle, after budget scaling (8.2); 0 "
            "without levers"
        ),
    ),
    Indicator(
        "enforcement_effort",
        "input",
        "effort units",
        "police effort deployed",
        lambda m: float(m.world.enforcement.sum()),
        definition="Σ `enforcement` layer (crackdown surge included)",
    ),
)

INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)


def _activity_in(area: str) -> Compute:
    """The displacement layer (``displacement.layer``: all activity or street sales) over an area."""

    def compute(m: CriminalMarketModel) -> float:
        layer = m.world.layers[m.zones.displacement.layer]
        return float(layer[m.zones.displacement_masks()[area]].sum())

    return compute


DISPLACEMENT_INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "activity_target",
        "outcome",
        "units/month",
        "illicit activity in the displacement target",
        _activity_in("displacement_target"),
        definition="Σ `activity` (or `retail`, per `displacement.layer`) over the target zone A",
    ),
    Indicator(
        "activity_buffer",
        "outcome",
        "units/month",
        "illicit activity in the buffer around it",
        _activity_in("displacement_buffer"),
        definition="Σ the same layer over the buffer ring B",
    ),
    Indicator(
        "activity_control",
        "outcome",
        "units/month",
        "illicit activity outside target and buffer",
        _activity_in("displacement_control"),
        definition="Σ the same layer over the control area C (neither A nor B)",
    ),
    Indicator(
        "activity_other_jurisdictions",
        "outcome",
        "units/month",
        "activity in the other jurisdictions",
        _activity_in("displacement_other_jurisdictions"),
        definition="Σ the same layer over the cells of jurisdictions A does not touch",
    ),
    Indicator(
        "activity_total",
        "outcome",
        "units/month",
        "illicit activity on the whole grid",
        lambda m: float(m.world.layers[m.zones.displacement.layer].sum()),
        definition="Σ the same layer over the grid",
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
    "retail",
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
    "police_trust": "promote",
    "reporting_willingness": "promote",
    "community_reports": "promote",
    "cross_border_operations": "promote",
    "corrupt_officials": "promote",
    "officials_removed": "promote",
    "spend_promote": "promote",
}
"""The P whose objectives an indicator tracks (results framework, Toolkit section 8); indicators not
listed (violence, revenue, price, active groups, ...) are shared goals of the whole strategy."""


# ======================================================================= the docs' indicator tables
DOCS_WITH_TABLES = ("README.md", "docs/ODD.md")
START, END = "<!-- indicators: generated from simulation/core/indicators.py -->", "<!-- indicators: end -->"


def indicators_markdown() -> str:
    """The indicator table: one row per indicator, displacement columns last."""
    rows = ["| Indicator | Level | Unit | What it is | How it is computed |", "|---|---|---|---|---|"]
    for i in (*INDICATORS, *DISPLACEMENT_INDICATORS):
        rows.append(f"| `{i.name}` | {i.level} | {i.unit} | {i.description} | {i.definition} |")
    return "\n".join(rows)


def with_table(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{indicators_markdown()}\n{END}{tail}"


if __name__ == "__main__":
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for name in DOCS_WITH_TABLES:
        path = root / name
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote the indicator table in {path}")
