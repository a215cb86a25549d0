"""Calibration files: a scenario, the free parameters with their priors, and the targets to fit.

A calibration file lives beside the experiment files (``experiments/*.yaml``) and says
``kind: calibration``. It is validated like every other file: unknown keys are errors, each value
is checked, and problems name the field and what is allowed (``simulation.calibration.loader``
adds the checks that need the scenario schema: paths, bounds, integer settings, observed files).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from simulation.scenario.schema import Section

MAX_ROOT_SEED = 2**63 - 1
Statistic = Literal["mean", "sd", "cv", "trend", "quantile"]
STATISTICS: tuple[str, ...] = ("mean", "sd", "cv", "trend", "quantile")
NEEDS_TWO_MONTHS = frozenset({"sd", "cv", "trend"})


class PriorSpec(Section):
    """A prior: uniform ``{low, high}``, log-uniform ``{low, high, scale: log}`` or normal
    ``{mean, sd}`` (truncated to the setting's bounds). Whole-number settings get the discrete
    version of the same shape over the integers they allow."""

    low: float | None = None
    high: float | None = None
    scale: Literal["linear", "log"] = "linear"
    mean: float | None = None
    sd: Annotated[float | None, Field(gt=0)] = None

    @model_validator(mode="after")
    def _one_shape(self) -> PriorSpec:
        ranged = self.low is not None or self.high is not None
        normal = self.mean is not None or self.sd is not None
        if ranged and normal:
            raise ValueError(
                "give either {low, high} (uniform or log-uniform) or {mean, sd} (normal), not both"
            )
        if normal:
            if self.mean is None or self.sd is None:
                raise ValueError("a normal prior needs both mean and sd")
            if self.scale != "linear":
                raise ValueError("scale: log applies to a {low, high} range, not to a normal prior")
            return self
        if self.low is None or self.high is None:
            raise ValueError(
                "a prior needs {low, high} (uniform), {low, high, scale: log} (log-uniform) or {mean, sd}"
            )
        if not self.high > self.low:
            raise ValueError(f"empty range: high ({self.high:g}) must be greater than low ({self.low:g})")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"a log-uniform prior needs low > 0 (got {self.low:g})")
        return self

    @property
    def kind(self) -> Literal["uniform", "loguniform", "normal"]:
        if self.mean is not None:
            return "normal"
        return "loguniform" if self.scale == "log" else "uniform"

    def describe(self) -> str:
        if self.kind == "normal":
            return f"normal(mean {self.mean:g}, sd {self.sd:g})"
        return f"{self.kind}[{self.low:g}, {self.high:g}]"


class TargetSpec(Section):
    """A pattern (a statistic of one indicator over a window of months) or an observed series."""

    metric: str | None = None
    window: tuple[int, int] | None = None
    statistic: Statistic | None = None
    q: Annotated[float | None, Field(gt=0, lt=1, description="quantile level, with statistic: quantile")] = (
        None
    )
    value: float | None = None
    sd: Annotated[
        float | None, Field(gt=0, description="uncertainty of the value, in its unit; scales the distance")
    ] = None
    observed: str | None = Field(
        default=None, description="CSV with columns step, indicator, value[, sd]; the whole series"
    )
    weight: Annotated[float, Field(gt=0, le=1e6)] = 1.0

    @model_validator(mode="after")
    def _one_form(self) -> TargetSpec:
        if self.observed is not None:
            extra = [
                k for k in ("metric", "window", "statistic", "q", "value") if getattr(self, k) is not None
            ]
            if extra:
                raise ValueError(
                    "an observed series target takes observed, sd and weight only "
                    f"(remove {', '.join(extra)})"
                )
            return self
        missing = [k for k in ("metric", "statistic", "value", "sd") if getattr(self, k) is None]
        if missing:
            raise ValueError(
                f"a pattern target needs metric, statistic, value and sd (missing {', '.join(missing)}); "
                "or give observed: FILE.csv"
            )
        if (self.statistic == "quantile") != (self.q is not None):
            raise ValueError("q (0 < q < 1) is given with statistic: quantile, and only then")
        if self.window is not None:
            first, last = self.window
            if first < 1 or last < first:
                raise ValueError(f"window: [{first}, {last}] is empty or starts before month 1")
            if self.statistic in NEEDS_TWO_MONTHS and last == first:
                raise ValueError(f"window: statistic {self.statistic} needs at least two months")
        return self

    def label(self) -> str:
        if self.observed is not None:
            return f"observed series {self.observed}"
        window = f" months {self.window[0]}-{self.window[1]}" if self.window else ""
        statistic = f"quantile {self.q:g}" if self.statistic == "quantile" else self.statistic
        return f"{statistic} of {self.metric}{window}"


class CalibrationSpec(Section):
    """A whole calibration file."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
    kind: Literal["calibration"]
    description: str = ""
    scenario: Annotated[str, Field(min_length=1, description="scenario file")]
    steps: Annotated[int | None, Field(ge=1, le=100_000, description="months; default the scenario's")] = None
    seed: Annotated[int, Field(ge=0, le=MAX_ROOT_SEED, description="root seed")] = 1
    set: dict[str, Any] = Field(default_factory=dict, description="fixed settings, dotted paths")
    parameters: Annotated[dict[str, PriorSpec], Field(min_length=1, description="free parameters: priors")]
    targets: Annotated[list[TargetSpec], Field(min_length=1)]
    population: Annotated[int, Field(ge=2, le=1_000_000, description="particles per generation")] = 200
    generations: Annotated[
        int | None, Field(ge=1, le=1000, description="generations, the first sampled from the prior")
    ] = None
    min_epsilon: Annotated[float | None, Field(ge=0, description="stop when epsilon falls to this")] = None
    min_acceptance_rate: Annotated[float, Field(ge=0, lt=1, description="stop below this rate")] = 0.0
    max_simulations: Annotated[int | None, Field(ge=1, description="stop after this many simulations")] = None

    @model_validator(mode="after")
    def _stops(self) -> CalibrationSpec:
        if self.generations is None and self.min_epsilon is None and self.max_simulations is None:
            raise ValueError("give generations, min_epsilon or max_simulations, so the calibration ends")
        return self
