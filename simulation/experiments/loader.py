"""Read experiment files and turn every mistake into a message naming the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.experiments.schema import ExperimentSpec
from simulation.scenario.loader import ScenarioError, describe_error, read_yaml_file, schema_has_path
from simulation.scenario.schema import Scenario


class ExperimentError(ScenarioError):
    """An experiment that cannot be used: names the file, the field and what is allowed."""

    def __str__(self) -> str:
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
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(describe_error(e) for e in exc.errors()))
        raise ExperimentError(source, problems) from None
    unknown = [
        f"parameters.{path}: no such setting in the scenario schema (use dotted paths as in --set, "
        "e.g. strategy.pursue.interdiction.intensity)"
        for path in spec.parameters
        if not schema_has_path(Scenario, [p for p in path.split(".") if p])
    ]
    if unknown:
        raise ExperimentError(source, unknown)
    return spec


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
