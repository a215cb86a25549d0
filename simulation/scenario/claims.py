"""A strategy's theory of success: SMART claims and the uncertain assumptions beneath them.

Claims say what a strategy should achieve, by when and how surely (Toolkit section 5); the
``assumptions`` give each uncertain belief a plausible range for a challenge run to sample.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulation.core.indicators import RECORDED_NAMES
from simulation.scenario.section import Section as _Section
from simulation.suggest import did_you_mean

DERIVED_METRICS: tuple[str, ...] = ("displacement_ratio", "cross_border_share", "wdq")
"""Metrics computed from a strategy run and its counterfactual (docs/displacement.md)."""
CLAIM_METRICS: tuple[str, ...] = RECORDED_NAMES + DERIVED_METRICS


def _paren(text: str) -> str:
    return f" ({text})" if text else ""


class RangeSpec(_Section):
    """A range of values; ``int`` ranges include both ends."""

    low: float
    high: float
    type: Literal["float", "int"] = "float"

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not self.high > self.low:
            raise ValueError(f"empty range: high ({self.high:g}) must be greater than low ({self.low:g})")
        if self.type == "int" and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError(f"an int range needs whole-number ends, got [{self.low:g}, {self.high:g}]")
        return self


class ChangeSpec(_Section):
    """What the claim expects.

    ``relative`` (share, e.g. -0.20) or ``absolute`` (indicator units): the change against the
    comparison, in the stated ``direction`` (the sign of the number is taken from the direction).
    ``at_most`` / ``at_least``: a level the strategy run's own value (or a displacement measure)
    must stay under or reach, with no comparison.
    """

    relative: float | None = None
    absolute: float | None = None
    direction: Literal["decrease", "increase"] | None = None
    at_most: float | None = None
    at_least: float | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ChangeSpec:
        given = [k for k in ("relative", "absolute", "at_most", "at_least") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of relative, absolute (each with direction), at_most or at_least"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if given[0] in ("relative", "absolute") and self.direction is None:
            raise ValueError(f"{given[0]} needs direction: decrease or increase")
        if given[0] in ("at_most", "at_least") and self.direction is not None:
            raise ValueError(f"{given[0]} is a level; remove direction")
        return self

    @property
    def kind(self) -> Literal["relative", "absolute", "level"]:
        if self.relative is not None:
            return "relative"
        if self.absolute is not None:
            return "absolute"
        return "level"

    @property
    def threshold(self) -> float:
        """The bound the estimate must reach (signed)."""
        if self.kind == "level":
            return float(self.at_most if self.at_most is not None else self.at_least)  # type: ignore[arg-type]
        size = abs(float(self.relative if self.relative is not None else self.absolute))  # type: ignore[arg-type]
        return -size if self.direction == "decrease" else size

    @property
    def wants_below(self) -> bool:
        """True when the claim holds for estimates at or below the threshold."""
        return self.at_most is not None or self.direction == "decrease"


class Claim(_Section):
    claim: Annotated[str, Field(min_length=1, description="plain language, shown in reports")]
    metric: str
    compare: Annotated[str, Field(min_length=1, description="counterfactual, start, or a scenario file")] = (
        "counterfactual"
    )
    window: tuple[int, int]
    baseline: tuple[int, int] | None = None
    change: ChangeSpec
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.9
    level: Literal["outcome", "output", "input"] | None = None
    """Results-framework level; default: the indicator's own."""

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        if self.metric not in CLAIM_METRICS:
            raise ValueError(
                f"metric: unknown metric {self.metric!r}{_paren(did_you_mean(self.metric, CLAIM_METRICS))}; "
                f"allowed: {', '.join(CLAIM_METRICS)}"
            )
        first, last = self.window
        if first < 1 or last < first:
            raise ValueError(f"window: [{first}, {last}] is empty or starts before month 1")
        if self.baseline is not None:
            if self.compare != "start":
                raise ValueError("baseline: only used with compare: start")
            if self.baseline[0] < 1 or self.baseline[1] < self.baseline[0]:
                raise ValueError(f"baseline: [{self.baseline[0]}, {self.baseline[1]}] is empty")
        if self.metric in DERIVED_METRICS:
            if self.compare != "counterfactual":
                raise ValueError(
                    f"metric {self.metric} is measured against the counterfactual; "
                    "use compare: counterfactual"
                )
            if self.change.kind != "level":
                raise ValueError(
                    f"metric {self.metric} is itself a comparison; "
                    "use change: {at_most: X} or {at_least: X}"
                )
        return self

    @property
    def baseline_window(self) -> tuple[int, int]:
        """Months a 'start' comparison averages over (default: the first year)."""
        return self.baseline or (1, 12)
