"""How numbers are written for people: one set of rules for the CLI, the report and claim texts.

Negative numbers take the typographic minus sign (U+2212), so "−12.6%" reads the same in a
terminal table and in the HTML report. Claim values follow the claim's kind: a relative change
is a signed percentage, an absolute change a signed number, a level a plain number.
"""

from __future__ import annotations

import math

MINUS = "\u2212"
NO_VALUE = "—"


def _is_missing(value: float | None) -> bool:
    return value is None or not math.isfinite(float(value))


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def format_number(value: float | None) -> str:
    """Readable at a glance: separators for big values, 2 decimals, 3 significant digits below 1."""
    if _is_missing(value):
        return NO_VALUE
    value = float(value) + 0.0  # no "-0"
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.1f}"
    elif magnitude >= 1 or magnitude == 0:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return _minus(text)


def _significant(value: float, signed: bool) -> str:
    """Three significant digits, never in exponent notation; "0" for values that round to it."""
    if abs(value) < 5e-4:
        return "0"
    sign = "+" if signed else ""
    text = f"{value:{sign},.0f}" if abs(value) >= 1000 else f"{value:{sign}.3g}"
    if "e" in text:  # 3g switches to exponents below 1e-4; those were caught above
        text = f"{value:{sign}.4f}"
    return _minus(text)


def format_percent(fraction: float | None, signed: bool = True) -> str:
    """A fraction as a percentage with three significant digits: 0.126 -> "+12.6%", -0.05 -> "−5%"."""
    if _is_missing(fraction):
        return NO_VALUE
    return _significant(float(fraction) * 100.0, signed) + "%"


def format_claim_value(value: float | None, kind: str, unit: str = "") -> str:
    """A claim's estimate, bound or threshold: relative -> signed %, absolute -> signed, level -> plain.

    ``unit`` is appended to absolute and level values ("1,440 k/month"); relative values are in %.
    """
    if kind == "relative":
        return format_percent(value)
    if _is_missing(value):
        return NO_VALUE
    text = _significant(float(value), signed=kind == "absolute")
    return f"{text} {unit}" if unit else text
