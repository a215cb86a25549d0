"""The indicators recorded every step, grouped by the Toolkit's results framework (section 8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["outcome", "output", "input"]


@dataclass(frozen=True)
class Indicator:
    name: str
    level: Level
    unit: str
    description: str


INDICATORS: tuple[Indicator, ...] = (
    # outcome level
    Indicator("violence", "outcome", "incidents/month", "turf contests and leadership power struggles"),
    Indicator("homicides", "outcome", "deaths/month", "members killed in turf contests and power struggles"),
    Indicator("ocg_revenue", "outcome", "k/month", "drug sales plus extortion income of all groups"),
    Indicator("ocg_profit", "outcome", "k/month", "revenue less sourcing, transport, wages, bribes, fees"),
    Indicator("criminal_assets", "outcome", "k", "cash plus laundered assets held by groups"),
    Indicator("active_ocgs", "outcome", "groups", "groups with members at liberty at the month's end"),
    Indicator("splits", "outcome", "groups/month", "groups that split in a succession crisis"),
    Indicator("ocg_members", "outcome", "persons", "members at liberty"),
    Indicator("recruits", "outcome", "persons/month", "new members recruited"),
    Indicator("exits", "outcome", "persons/month", "members who left crime"),
    Indicator("recidivism_rate", "outcome", "share", "released prisoners who rejoined, last 24 months"),
    Indicator("victims_current", "outcome", "persons", "victims not yet recovered"),
    Indicator("new_victims", "outcome", "persons/month", "people newly victimised (incl. again)"),
    Indicator("victims_assisted", "outcome", "persons", "victims currently receiving support"),
    Indicator("victims_compensated", "outcome", "persons/month", "victims compensated"),
    Indicator("corrupt_officials", "outcome", "persons", "officials taking bribes"),
    Indicator("community_resilience", "outcome", "index 0-1", "population-weighted resilience"),
    Indicator("ocg_legitimacy", "outcome", "index 0-1", "population-weighted perceived legitimacy"),
    Indicator("illicit_price", "outcome", "k/unit", "volume-weighted retail price"),
    Indicator("illicit_volume", "outcome", "units/month", "units sold at retail"),
    Indicator("controlled_cells", "outcome", "cells", "cells under some group's control"),
    # output level
    Indicator("arrests", "output", "persons/month", "members arrested"),
    Indicator("leaders_arrested", "output", "persons/month", "group leaders arrested"),
    Indicator("seizures_value", "output", "k/month", "street value (group's price) of goods seized"),
    Indicator("seizures_volume", "output", "units/month", "units seized"),
    Indicator("assets_confiscated", "output", "k/month", "cash and assets confiscated"),
    Indicator("prosecutions", "output", "cases/month", "arrests brought to court"),
    Indicator("convictions", "output", "cases/month", "prosecutions ending in prison"),
    Indicator("enablers_disrupted", "output", "enablers/month", "enablers detected and removed"),
    Indicator("rescues", "output", "persons/month", "victims identified and rescued"),
    Indicator("community_reports", "output", "reports/month", "reports from communities to police"),
    Indicator("cross_border_operations", "output", "operations/month", "joint operations"),
    Indicator("officials_removed", "output", "persons/month", "corrupt officials caught"),
    # input level
    Indicator("spend_prevent", "input", "k/month", "spending on PREVENT levers"),
    Indicator("spend_pursue", "input", "k/month", "spending on PURSUE levers"),
    Indicator("spend_protect", "input", "k/month", "spending on PROTECT levers"),
    Indicator("spend_promote", "input", "k/month", "spending on PROMOTE levers"),
    Indicator("enforcement_effort", "input", "effort units", "police effort deployed"),
)

INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)

DISPLACEMENT_INDICATORS: tuple[Indicator, ...] = (
    Indicator("activity_target", "outcome", "units/month", "illicit activity in the displacement target"),
    Indicator("activity_buffer", "outcome", "units/month", "illicit activity in the buffer around it"),
    Indicator("activity_control", "outcome", "units/month", "illicit activity outside target and buffer"),
    Indicator(
        "activity_other_jurisdictions", "outcome", "units/month", "activity in the other jurisdictions"
    ),
    Indicator("activity_total", "outcome", "units/month", "illicit activity on the whole grid"),
)
"""Recorded only when a scenario has a ``displacement:`` section."""

RECORDED_NAMES: tuple[str, ...] = INDICATOR_NAMES + tuple(i.name for i in DISPLACEMENT_INDICATORS)
"""Every indicator a run can record, in documented order."""

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
