"""Read experiment files and turn every mistake into a message naming the file and the field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.cost import MAX_PLAN_POINTS, MAX_PLAN_RUNS
from simulation.experiments.schema import ExperimentSpec
from simulation.scenario.claims import RangeSpec
from simulation.scenario.loader import (
    ScenarioError,
    describe_error,
    looks_like,
    range_problems,
    read_yaml_file,
    schema_has_path,
)
from simulation.scenario.schema import Scenario
from simulation.suggest import path_hint


class ExperimentError(ScenarioError):
    """An experiment that cannot be used: names the file, the field and what is allowed."""

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return f"invalid experiment {self.source}: {self.problems[0]}"
        lines = [f"invalid experiment {self.source}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def validate_experiment(raw: Any, source: str) -> ExperimentSpec:
    """Validate a parsed mapping into an ExperimentSpec, parameter paths included."""
    if not isinstance(raw, dict):
        raise ExperimentError(source, ["the file must hold a mapping (name, scenarios, parameters, ...)"])
    if raw.get("kind") == "calibration":
        raise ExperimentError(
            source, ["kind: calibration: a calibration file; run it with `ocsim calibrate FILE`"]
        )
    if not looks_like(raw, ExperimentSpec):
        raise ExperimentError(
            source,
            [
                f"not an experiment: none of its {len(raw):,} top-level keys is an experiment field "
                f"({', '.join(ExperimentSpec.model_fields)})"
            ],
        )
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(describe_error(e, raw) for e in exc.errors()))
        raise ExperimentError(source, problems) from None
    unknown = [
        f"parameters.{path}: no such setting in the scenario schema (use dotted paths as in --set, "
        f"e.g. strategy.pursue.interdiction.intensity){path_hint(path)}"
        for path in spec.parameters
        if not schema_has_path(Scenario, [p for p in path.split(".") if p])
    ]
    unknown += [
        f"set.{path}: no such setting in the scenario schema (use dotted paths as in --set){path_hint(path)}"
        for path in spec.set
        if not schema_has_path(Scenario, [p for p in path.split(".") if p])
    ]
    if unknown:
        raise ExperimentError(source, unknown)
    problems = [
        f"parameters.{path}: {problem}"
        for path, values in spec.parameters.items()
        if isinstance(values, RangeSpec)
        for problem in range_problems([p for p in path.split(".") if p], values)
    ]
    if problems:
        raise ExperimentError(source, problems)
    if size_problem := plan_size_problem(spec):
        raise ExperimentError(source, [size_problem])
    return spec


def plan_size_problem(spec: ExperimentSpec) -> str | None:
    """Why an experiment is too big to plan, counted arithmetically (docs/experiments.md, limits)."""
    from simulation.experiments.design import design_size

    points = design_size(spec)
    pairs = points * len(spec.scenarios)
    runs = pairs * spec.replications
    counted = (
        f"{len(spec.scenarios)} scenario(s) x {points:,} point(s) ({spec.design.type}) x "
        f"{spec.replications:,} replication(s) = {runs:,} runs"
    )
    if pairs > MAX_PLAN_POINTS:
        return (
            f"design: {counted}; at most {MAX_PLAN_POINTS:,} scenario x point pairs are planned in one "
            "experiment; split it or use fewer values or samples"
        )
    if runs > MAX_PLAN_RUNS:
        return f"replications: {counted}; at most {MAX_PLAN_RUNS:,} runs are planned in one experiment"
    return None


def with_settings(
    spec: ExperimentSpec,
    settings: Mapping[str, Any] | None = None,
    steps: int | None = None,
    source: str = "experiment",
) -> ExperimentSpec:
    """The experiment with command-line settings on top of its ``set:`` (and ``steps``).

    ``--set`` wins over the file's ``set:``; a path that is also swept, or that is no setting,
    is an error naming the flag.
    """
    if not settings and steps is None:
        return spec
    problems = []
    for path in settings or {}:
        parts = [p for p in path.split(".") if p]
        if not parts or not schema_has_path(Scenario, parts):
            problems.append(f"--set {path}: no such setting in the scenario schema{path_hint(path)}")
        elif path in spec.parameters:
            problems.append(
                f"--set {path}: {path} is swept under parameters in {source}; a setting is either "
                "fixed or swept, not both"
            )
        elif path == "steps":
            problems.append("--set steps: use --steps to set the months")
    if problems:
        raise ExperimentError(source, problems)
    raw = spec.model_dump(mode="json", exclude_defaults=False)
    raw["set"] = {**spec.set, **dict(settings or {})}
    if steps is not None:
        raw["set"].pop("steps", None)
        raw["steps"] = int(steps)
    return validate_experiment(raw, with_flags(source, settings, steps))


def with_flags(source: str, settings: Mapping[str, Any] | None = None, steps: int | None = None) -> str:
    """``"FILE with --set a=1 --steps 12"``: where a setting came from, for messages."""
    flags = [f"--set {k}={v}" for k, v in (settings or {}).items()]
    flags += [f"--steps {steps}"] if steps is not None else []
    return f"{source} with {' '.join(flags)}" if flags else source


def read_experiment_file(path: str | Path) -> Any:
    raw = read_yaml_file(path, ExperimentError)
    return raw if raw is not None else {}


def load_experiment(path: str | Path) -> ExperimentSpec:
    """Load and validate an experiment file (scenario files are checked when it is planned)."""
    return validate_experiment(read_experiment_file(path), str(path))


def resolve_scenario_path(name: str, experiment_file: str | Path | None) -> Path:
    """A scenario path as written in an experiment: relative to the working directory, else to the
    experiment file's folder."""
    path = Path(name).expanduser()
    if path.is_absolute() or path.exists() or experiment_file is None:
        return path
    beside = Path(experiment_file).parent / path
    return beside if beside.exists() else path
