"""Read scenario files, apply dotted-path overrides, and turn every mistake into a clear message."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simulation.core.levers.catalogue import PRINCIPLES, levers_of
from simulation.scenario.schema import Scenario
from simulation.suggest import did_you_mean, path_hint


class ScenarioError(ValueError):
    """A scenario that cannot be used: names the source, the field and what is allowed."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def __str__(self) -> str:
        lines = [f"invalid scenario {self.source}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE``; the value is read as YAML so numbers, booleans and mappings work."""
    if "=" not in text:
        raise ScenarioError("--set", [f"{text!r} is not PATH=VALUE (e.g. world.grid.width=60)"])
    path, _, raw = text.partition("=")
    path = path.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError("--set", [f"{path}: value {raw!r} is not valid YAML ({exc})"]) from exc
    return path, value


def schema_has_path(model: type[BaseModel], parts: list[str]) -> bool:
    """Whether a dotted path names a field of the schema (mappings such as zones accept any key)."""
    current: Any = model
    for i, part in enumerate(parts):
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return False
            current = unwrap_optional(field.annotation)
            continue
        origin = getattr(current, "__origin__", None)
        if origin is dict:
            return True  # free-form mapping keys (zones); the value is validated after merge
        return i == len(parts)  # a scalar or list field cannot be entered further
    return True


def unwrap_optional(annotation: Any) -> Any:
    """``X`` for an annotation ``X | None``; any other annotation as it is."""
    args = getattr(annotation, "__args__", None)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Return a copy of ``raw`` with each dotted path set; unknown paths are errors."""
    merged = copy.deepcopy(raw)
    problems = []
    for path, value in overrides.items():
        parts = [p for p in path.split(".") if p]
        if not parts or not schema_has_path(Scenario, parts):
            problems.append(
                f"{path}: no such setting in the scenario schema{path_hint(path)}{_allowed_levers(parts)}"
            )
            continue
        node = merged
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = copy.deepcopy(value)
    if problems:
        raise ScenarioError(source, problems)
    return merged


def _allowed_levers(parts: list[str]) -> str:
    """For a mistyped lever, the levers that principle offers."""
    if len(parts) >= 3 and parts[0] == "strategy" and parts[1] in PRINCIPLES:
        names = ", ".join(lever.name for lever in levers_of(parts[1]))  # type: ignore[arg-type]
        return f"; {parts[1]} levers are: {names}"
    return ""


def _indicator_hints(names: list[Any]) -> str:
    """'did you mean' for each unknown indicator name in a ``keep`` list."""
    from simulation.core.indicators import RECORDED_NAMES

    unknown = [str(name) for name in names if name not in RECORDED_NAMES]
    found = [f"{name!r}: {text}" for name in unknown if (text := did_you_mean(name, RECORDED_NAMES))]
    return f" ({'; '.join(found)})" if found else ""


def describe_error(error: Mapping[str, Any]) -> str:
    parts = [str(p) for p in error["loc"] if not str(p).endswith(("Zone", "Target"))]
    if len(parts) >= 4 and parts[0] == "strategy" and parts[3] == "target":
        return f"{'.'.join(parts[:4])}: must be 'all', {{zone: NAME}} or {{jurisdiction: NAME}}"
    location = ".".join(parts)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (check spelling; see docs/ODD.md for the allowed settings)"
        message += path_hint(".".join(parts)) + _allowed_levers(parts)
    given = error.get("input")
    if parts and parts[-1] == "keep" and isinstance(given, list):
        message += _indicator_hints(given)
    shown = "" if isinstance(given, dict | list) or given is None else f" (got {given!r})"
    if not location:  # whole-scenario checks name their own field
        return f"{message}{shown}"
    return f"{location}: {message}{shown}"


def validate_scenario(raw: Any, source: str) -> Scenario:
    """Validate a parsed mapping into a Scenario or raise ScenarioError naming each bad field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError(source, ["the file must hold a mapping of sections (world, behaviour, ...)"])
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(describe_error(e) for e in exc.errors()))
        raise ScenarioError(source, problems) from None
    problems = [
        f"assumptions.{path}: no such setting in the scenario schema (use dotted paths as in --set)"
        + path_hint(path)
        for path in scenario.assumptions
        if not schema_has_path(Scenario, [p for p in path.split(".") if p])
    ]
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def read_yaml_file(path: str | Path, error: type[ScenarioError] = ScenarioError) -> Any:
    """Parse a YAML file (empty: None); a missing file or bad YAML becomes ``error`` naming the path."""
    path = Path(path)
    if not path.is_file():
        raise error(str(path), ["file not found"])
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(str(path), [f"not valid YAML: {exc}"]) from None


def read_scenario_file(path: str | Path) -> dict[str, Any]:
    """Parse a YAML scenario file, with file-level problems reported against the path."""
    raw = read_yaml_file(path)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), ["the file must hold a mapping of sections (world, ...)"])
    return raw


def load_scenario(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file (or the defaults when ``path`` is None), with overrides."""
    source = str(path) if path is not None else "<defaults>"
    raw = read_scenario_file(path) if path is not None else {}
    if overrides:
        raw = apply_overrides(raw, overrides, source)
    return validate_scenario(raw, source)


NOT_SIMULATED = frozenset({"theory_of_success", "assumptions"})
"""Scenario sections that say how to judge a run, not what to simulate: left out of run identity."""


def resolved_config(scenario: Scenario) -> dict[str, Any]:
    """What is simulated, fully resolved (every default filled in), JSON-ready.

    Claims and assumptions are left out: editing a claim must not make stored runs look new.
    """
    return scenario.model_dump(mode="json", exclude=set(NOT_SIMULATED))


def config_hash(config: Mapping[str, Any]) -> str:
    """Stable hash of a resolved configuration, for run identity."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]
