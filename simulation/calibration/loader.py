"""Read calibration files and check them against the scenario schema and the observed data.

Every mistake becomes a ``CalibrationError`` naming the file, the field and what is allowed: an
unknown key, a parameter path that is not a numeric setting, a prior outside the setting's
bounds, a target on an unknown indicator or outside the run's months, an observed CSV with
missing columns or bad rows. The scenario, with the fixed settings applied, is validated too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from simulation.calibration.schema import CalibrationSpec, PriorSpec, TargetSpec
from simulation.core.indicators import RECORDED_NAMES
from simulation.scenario.loader import (
    ScenarioError,
    apply_overrides,
    describe_error,
    field_at,
    field_bounds,
    read_scenario_file,
    read_yaml_file,
    validate_scenario,
)
from simulation.scenario.schema import Scenario
from simulation.scenario.section import number_kind

MAX_DISCRETE_VALUES = 100_000
"""Largest integer domain a discrete prior may span."""


class CalibrationError(ScenarioError):
    """A calibration that cannot be used: names the file, the field and what is allowed."""

    def __str__(self) -> str:
        lines = [f"invalid calibration {self.source}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class Bounds:
    """A numeric setting's type and allowed range (from its schema field)."""

    integer: bool
    low: float = -math.inf
    low_open: bool = False
    high: float = math.inf
    high_open: bool = False

    def describe(self) -> str:
        left = "(" if self.low_open or self.low == -math.inf else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def admits(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


@dataclass(frozen=True)
class Parameter:
    """A free parameter: its path, prior and the setting's bounds."""

    path: str
    prior: PriorSpec
    bounds: Bounds

    @property
    def integer(self) -> bool:
        return self.bounds.integer


@dataclass
class ObservedSeries:
    """Rows of an observed CSV: indicator, step, value, sd."""

    source: str
    frame: pd.DataFrame


@dataclass
class Calibration:
    """A validated calibration: the spec, its scenario (fixed settings applied) and parsed parts."""

    spec: CalibrationSpec
    source: str
    scenario_path: Path
    scenario_raw: dict[str, Any]
    scenario: Scenario
    steps: int
    parameters: list[Parameter]
    observed: dict[int, ObservedSeries]
    """Target index -> its observed series."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Every fixed setting: the file's ``set`` and ``--set`` on top (not ``steps``)."""

    @property
    def names(self) -> list[str]:
        return [p.path for p in self.parameters]


# ------------------------------------------------------------------------------ schema lookups
def setting_bounds(path: str) -> Bounds | None:
    """The bounds of a numeric scenario setting, or None when the path is not one."""
    field = field_at(Scenario, [p for p in path.split(".") if p])
    if field is None:
        return None
    kind, inside = number_kind(field.annotation)
    if kind is None or inside:
        return None
    low, low_in, high, high_in = field_bounds(field)
    return Bounds(
        integer=kind == "int",
        low=-math.inf if low is None else low,
        low_open=low is not None and not low_in,
        high=math.inf if high is None else high,
        high_open=high is not None and not high_in,
    )


def _check_prior(path: str, prior: PriorSpec, bounds: Bounds) -> list[str]:
    where = f"parameters.{path}"
    allowed = f"the setting allows {bounds.describe()}"
    problems = []
    if prior.kind == "normal":
        if not bounds.admits(float(prior.mean)):  # type: ignore[arg-type]
            problems.append(f"{where}: mean {prior.mean:g} is outside the setting's range; {allowed}")
        return problems
    for end in ("low", "high"):
        value = float(getattr(prior, end))
        if not bounds.admits(value):
            problems.append(f"{where}: {end} {value:g} is outside the setting's range; {allowed}")
    if bounds.integer:
        if not (float(prior.low).is_integer() and float(prior.high).is_integer()):  # type: ignore[arg-type]
            problems.append(
                f"{where}: a whole-number setting needs whole-number ends "
                f"(got [{prior.low:g}, {prior.high:g}])"
            )
        elif prior.high - prior.low + 1 > MAX_DISCRETE_VALUES:  # type: ignore[operator]
            problems.append(f"{where}: at most {MAX_DISCRETE_VALUES:,} whole numbers; narrow the range")
    return problems


# ----------------------------------------------------------------------------------- observed
def _resolve(name: str, beside: str | Path | None) -> Path:
    path = Path(name).expanduser()
    if path.is_absolute() or path.exists() or beside is None:
        return path
    other = Path(beside).parent / path
    return other if other.exists() else path


def read_observed(
    path: Path, where: str, steps: int, default_sd: float | None
) -> tuple[pd.DataFrame, list[str]]:
    """Parse an observed CSV (step, indicator, value[, sd]); problems name the file, row and column."""
    if not path.is_file():
        return pd.DataFrame(), [f"{where}: file {path} not found"]
    try:
        frame = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return pd.DataFrame(), [f"{where}: {path} is not a readable CSV ({str(exc).strip()})"]
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("step", "indicator", "value") if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in ("step", "indicator", "value", "sd")]
    if missing or unknown:
        detail = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        return pd.DataFrame(), [f"{where}: {path} needs columns step, indicator, value[, sd] ({detail})"]
    if frame.empty:
        return pd.DataFrame(), [f"{where}: {path} has no rows"]
    problems: list[str] = []
    if "sd" not in frame.columns:
        if default_sd is None:
            return pd.DataFrame(), [
                f"{where}: {path} has no sd column; add one or give sd: in the target "
                "(the value's uncertainty)"
            ]
        frame["sd"] = default_sd
    elif default_sd is not None:
        frame["sd"] = frame["sd"].fillna(default_sd)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        line = f"{where}: {path} data row {i}"
        step, value, sd = (
            pd.to_numeric(pd.Series([x]), errors="coerce")[0] for x in (row.step, row.value, row.sd)
        )
        if row.indicator not in RECORDED_NAMES:
            problems.append(f"{line}: unknown indicator {row.indicator!r} (see docs/ODD.md, indicators)")
        if not (np.isfinite(step) and float(step).is_integer() and 1 <= step <= steps):
            problems.append(f"{line}: step must be a whole month from 1 to {steps} (got {row.step!r})")
        if not np.isfinite(value):
            problems.append(f"{line}: value must be a number (got {row.value!r})")
        if not (np.isfinite(sd) and sd > 0):
            problems.append(f"{line}: sd must be a number above 0 (got {row.sd!r})")
        if len(problems) >= 10:
            problems.append(f"{where}: {path}: further rows not checked")
            return pd.DataFrame(), problems
    if problems:
        return pd.DataFrame(), problems
    frame = frame.astype({"step": int, "value": float, "sd": float})
    duplicated = frame.duplicated(["indicator", "step"])
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        return pd.DataFrame(), [f"{where}: {path} lists {first.indicator} at step {first.step} twice"]
    return frame[["indicator", "step", "value", "sd"]].reset_index(drop=True), []


# ------------------------------------------------------------------------------------ loading
def _check_target(index: int, target: TargetSpec, steps: int) -> list[str]:
    where = f"targets[{index}]"
    if target.observed is not None:
        return []
    problems = []
    if target.metric not in RECORDED_NAMES:
        problems.append(
            f"{where}.metric: unknown indicator {target.metric!r}; allowed: {', '.join(RECORDED_NAMES)}"
        )
    if target.window is not None and target.window[1] > steps:
        problems.append(f"{where}.window: [{target.window[0]}, {target.window[1]}] ends after month {steps}")
    return problems


def validate_calibration(
    raw: Any, source: str, overrides: dict[str, Any] | None = None, steps: int | None = None
) -> Calibration:
    """Validate a parsed calibration file; ``overrides`` (``--set``) and ``steps`` (``--steps``)
    apply on top of the file's own ``set`` and ``steps``."""
    if not isinstance(raw, dict):
        raise CalibrationError(
            source, ["the file must hold a mapping (name, kind, scenario, parameters, ...)"]
        )
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(describe_error(e, raw) for e in exc.errors()))
        raise CalibrationError(source, problems) from None
    problems: list[str] = []
    parameters = []
    for path, prior in spec.parameters.items():
        bounds = setting_bounds(path)
        if bounds is None:
            problems.append(
                f"parameters.{path}: not a numeric setting of the scenario schema (use dotted paths as in "
                "--set, e.g. behaviour.ocg.risk_aversion; see docs/parameters.md)"
            )
            continue
        problems += _check_prior(path, prior, bounds)
        parameters.append(Parameter(path, prior, bounds))
    fixed = {**spec.set, **(overrides or {})}
    clash = sorted(set(fixed) & set(spec.parameters))
    problems += [
        f"{'--set ' if path in (overrides or {}) else 'set.'}{path}: also a free parameter; "
        "keep it in one of set and parameters"
        for path in clash
    ]
    scenario_path = _resolve(spec.scenario, source)
    scenario = None
    try:
        scenario_raw = read_scenario_file(scenario_path)
        if steps is not None:
            fixed["steps"] = steps
        elif spec.steps is not None:
            fixed["steps"] = spec.steps
        scenario_raw = apply_overrides(scenario_raw, fixed, f"{scenario_path} with set")
        scenario = validate_scenario(scenario_raw, f"{scenario_path} with set")
    except ScenarioError as exc:
        problems += [f"scenario {exc.source}: {p}" for p in exc.problems]
    if problems or scenario is None:
        raise CalibrationError(source, problems)
    run_steps = scenario.steps
    observed = {}
    for i, target in enumerate(spec.targets):
        problems += _check_target(i, target, run_steps)
        if target.observed is not None:
            frame, found = read_observed(
                _resolve(target.observed, source), f"targets[{i}].observed", run_steps, target.sd
            )
            problems += found
            observed[i] = ObservedSeries(target.observed, frame)
    if problems:
        raise CalibrationError(source, problems)
    # every free parameter at its prior's centre must give a valid scenario (cross-field rules)
    centre = {p.path: _centre(p) for p in parameters}
    try:
        validate_scenario(apply_overrides(scenario_raw, centre, source), source)
    except ScenarioError as exc:
        raise CalibrationError(
            source,
            [
                f"the free parameters at their priors' centres make the scenario invalid: {p}"
                for p in exc.problems
            ],
        ) from None
    settings = {k: v for k, v in fixed.items() if k != "steps"}
    return Calibration(
        spec, source, scenario_path, scenario_raw, scenario, run_steps, parameters, observed, settings
    )


def _centre(parameter: Parameter) -> float | int:
    prior = parameter.prior
    value = (
        prior.mean
        if prior.kind == "normal"
        else (
            math.sqrt(prior.low * prior.high) if prior.kind == "loguniform" else (prior.low + prior.high) / 2  # type: ignore[operator]
        )
    )
    return round(value) if parameter.integer else float(value)  # type: ignore[arg-type]


def is_calibration_file(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("kind") == "calibration"


def load_calibration(
    path: str | Path, overrides: dict[str, Any] | None = None, steps: int | None = None
) -> Calibration:
    """Load and validate a calibration file."""
    raw = read_yaml_file(path, CalibrationError)
    return validate_calibration(raw if raw is not None else {}, str(path), overrides, steps)
