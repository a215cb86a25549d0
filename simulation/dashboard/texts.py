"""The words and numbers the page shows: lever descriptions and values formatted by their unit.

Lever descriptions are read from the table ``simulation.core.levers.docs.levers_markdown()``
generates for ``docs/levers.md``, so the page says what the documentation says ("identification
× 4", not "+3"). Numbers follow ``simulation.formatting``: separators, three significant digits,
the typographic minus; counts without decimals, shares as percentages, gaps signed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from simulation.core.levers.docs import levers_markdown
from simulation.formatting import NO_VALUE, format_claim_value, format_number, format_percent


@dataclass(frozen=True)
class LeverText:
    """A lever's row of docs/levers.md."""

    name: str
    objective: str
    decision: str
    """The decision it enters, as the docs word it."""
    modifier: str
    change: str
    """Its effect at intensity 1, as the docs write it: ``× 4``, ``+ 0.5``."""
    cost: str
    """k per month at intensity 1 over the whole population."""
    expect: str

    @property
    def effect(self) -> str:
        return f"{self.modifier} {self.change}"


@cache
def lever_texts() -> dict[str, LeverText]:
    """Every lever's row of the generated lever table, by lever name."""
    texts = {}
    for line in levers_markdown().splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        name, objective, decision, change, cost, expect = cells
        decision, _, modifier = decision.rpartition(" (`")
        texts[name.strip("`")] = LeverText(
            name.strip("`"), objective, decision, modifier.rstrip("`)"), change, cost, expect
        )
    return texts


COUNT_UNITS = frozenset(
    {
        "persons",
        "persons/month",
        "groups",
        "groups/month",
        "deaths/month",
        "incidents/month",
        "cases/month",
        "enablers/month",
        "reports/month",
        "operations/month",
        "cells",
        "incidents",
        "new victims",
    }
)
"""Units of whole numbers of things: shown without decimals when whole."""
SHARE_UNITS = frozenset({"share"})
"""Fractions shown as percentages (and their gaps in percentage points)."""


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(float(value))


def level(value: float | None, unit: str = "") -> str:
    """A value of an indicator as the page shows it (without the unit)."""
    if _missing(value):
        return NO_VALUE
    value = float(value)
    if value == 0:
        return "0"
    if unit in SHARE_UNITS:
        return format_percent(value, signed=False)
    if unit in COUNT_UNITS and value == round(value):
        return format_number(value).split(".")[0] if abs(value) < 1000 else format_number(value)
    return format_number(value)


def gap(value: float | None, unit: str = "") -> str:
    """A difference between two values of an indicator: signed, three significant digits."""
    if _missing(value):
        return NO_VALUE
    value = float(value)
    if unit in SHARE_UNITS:
        text = format_claim_value(value * 100, "absolute")
        return "0 pp" if text == "0" else f"{text} pp"
    return format_claim_value(value, "absolute")


def with_unit(text: str, unit: str) -> str:
    """A formatted value and its unit, as in "1,234 k/month" (shares carry their own %)."""
    if not unit or unit in SHARE_UNITS or text == NO_VALUE or text.endswith(" pp"):
        return text
    return f"{text} {unit}"
