"""Read scenario files, apply dotted-path overrides, and turn every mistake into a clear message."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from simulation import inputs
from simulation.core.levers.catalogue import PRINCIPLES, levers_of
from simulation.inputs import InputError, clip, parse_yaml, shown
from simulation.scenario.claims import RangeSpec
from simulation.scenario.schema import Scenario
from simulation.scenario.section import number_kind, strict_numbers, yaml_spelling
from simulation.suggest import did_you_mean, file_hint, path_hint

MAX_SET_CHARS = 100_000
"""Longest ``--set`` value read."""


class ScenarioError(ValueError):
    """A scenario that cannot be used: names the source, the field and what is allowed."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return f"invalid scenario {self.source}: {self.problems[0]}"
        lines = [f"invalid scenario {self.source}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE``; the value is read as YAML so numbers, booleans and mappings work."""
    if "=" not in text:
        raise ScenarioError("--set", [f"{shown(text)} is not PATH=VALUE (e.g. world.grid.width=60)"])
    path, _, raw = text.partition("=")
    path = path.strip()
    if len(raw) > MAX_SET_CHARS:
        raise ScenarioError(
            "--set", [f"{shown(path)}: the value is {len(raw):,} characters; at most {MAX_SET_CHARS:,}"]
        )
    try:
        value = parse_yaml(raw) if raw.strip() else ""
    except InputError as exc:
        raise ScenarioError("--set", [f"{shown(path)}: value {shown(raw)} {exc.problem}"]) from None
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
        if not isinstance(path, str):
            problems.append(f"{shown(path)}: a setting is named by a dotted path (text)")
            continue
        parts = [p for p in path.split(".") if p]
        if not parts or not schema_has_path(Scenario, parts):
            problems.append(
                f"{clip(path)}: no such setting in the scenario schema"
                f"{path_hint(path) if len(path) <= 200 else ''}{_allowed_levers(parts)}"
            )
            continue
        if inputs.depth(value) > inputs.MAX_DEPTH:
            problems.append(f"{clip(path)}: the value nests deeper than {inputs.MAX_DEPTH} levels")
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


_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def user_path(loc: Sequence[Any], raw: Any) -> list[str]:
    """A pydantic error location in the user's words: the keys and indexes of their document.

    Parts pydantic adds for unions and validators (``RectZone``, ``function-after[...]``,
    ``literal['all']``) are left out; a missing field keeps its name.
    """
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            parts.append(str(part))
            node = node[part]
        elif isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
            parts.append(str(part))
            node = node[part]
        elif isinstance(part, str) and _FIELD_NAME.match(part) and (isinstance(node, dict) or node is None):
            parts.append(part)  # a field the user left out (or a part of one)
            node = None
    return parts


def describe_error(error: Mapping[str, Any], raw: Any = None) -> str:
    """One problem from a pydantic error: the field path as the user wrote it, what is wrong, the value."""
    if raw is None:
        parts = [str(p) for p in error["loc"] if _FIELD_NAME.match(str(p)) or isinstance(p, int)]
    else:
        parts = user_path(error["loc"], raw)
    if len(parts) >= 4 and parts[0] == "strategy" and parts[3] == "target":
        return f"{'.'.join(parts[:4])}: must be 'all', {{zone: NAME}} or {{jurisdiction: NAME}}"
    location = ".".join(shown(p)[1:-1] if len(p) > SHORT_KEY else p for p in parts)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (check spelling; see docs/ODD.md for the allowed settings)"
        message += path_hint(".".join(parts)) + _allowed_levers(parts)
    given = error.get("input")
    if parts and parts[-1] == "keep" and isinstance(given, list):
        message += _indicator_hints(given)
    value = "" if isinstance(given, dict | list) or given is None else f" (got {yaml_spelling(given)})"
    if error["type"] == "extra_forbidden" or ("must be" in message and yaml_spelling(given) in message):
        value = ""
    if not location:  # whole-scenario checks name their own field
        return f"{message}{value}"
    return f"{location}: {message}{value}"


SHORT_KEY = 60


def _errors(exc: ValidationError, raw: Any) -> list[str]:
    return list(dict.fromkeys(describe_error(e, raw) for e in exc.errors()))


def looks_like(raw: dict[str, Any], model: type[BaseModel]) -> bool:
    """Whether a mapping could be meant as ``model``: it shares a top-level key with it, or has a
    single key (a misspelt section is reported as an unknown field). Anything else is some other
    file, whose keys are not quoted back."""
    return len(raw) < 2 or any(isinstance(key, str) and key in model.model_fields for key in raw)


def validate_scenario(raw: Any, source: str, horizon_from_file: bool = True) -> Scenario:
    """Validate a parsed mapping into a Scenario or raise ScenarioError naming each bad field.

    ``horizon_from_file``: the scenario's own ``steps`` are its horizon, so a lever that starts
    after it can never act and is an error. When the caller shortens the run (``--steps``, an
    experiment's ``steps``), a lever the shorter run never reaches is left alone.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError(source, ["the file must hold a mapping of sections (world, behaviour, ...)"])
    if not looks_like(raw, Scenario):
        raise ScenarioError(
            source,
            [
                f"not a scenario: none of its {len(raw):,} top-level keys is a scenario section "
                f"({', '.join(Scenario.model_fields)})"
            ],
        )
    raw, problems = strict_numbers(raw, Scenario)
    if problems:
        raise ScenarioError(source, problems)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, _errors(exc, raw)) from None
    problems = [*assumption_problems(scenario), *(lever_problems(scenario) if horizon_from_file else [])]
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def lever_problems(scenario: Scenario) -> list[str]:
    """Levers whose whole window lies after the last month: they could never act."""
    return [
        f"strategy.{principle}.{name}.start: month {lever.start} is after the last month "
        f"({scenario.steps}); the lever would never act"
        for principle, name, lever in scenario.strategy.levers()
        if lever.start > scenario.steps
    ]


def assumption_problems(scenario: Scenario) -> list[str]:
    """Assumption ranges that name no setting or reach outside the setting's own allowed values."""
    problems = []
    for path, spec in scenario.assumptions.items():
        parts = [p for p in path.split(".") if p]
        if not schema_has_path(Scenario, parts):
            problems.append(
                f"assumptions.{path}: no such setting in the scenario schema (use dotted paths as in --set)"
                + path_hint(path)
            )
            continue
        problems += [f"assumptions.{path}: {p}" for p in range_problems(parts, spec)]
    return problems


def field_at(model: type[BaseModel], parts: list[str]) -> FieldInfo | None:
    """The pydantic field a dotted path names (None inside free-form mappings such as zones)."""
    current: Any = model
    field: FieldInfo | None = None
    for part in parts:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = unwrap_optional(field.annotation)
    return field


def field_bounds(field: FieldInfo) -> tuple[float | None, bool, float | None, bool]:
    """(lowest, lowest allowed?, highest, highest allowed?) of a numeric field's declared range."""
    low = high = None
    low_in = high_in = True
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Ge):
            low, low_in = float(rule.ge), True
        elif isinstance(rule, annotated_types.Gt):
            low, low_in = float(rule.gt), False
        elif isinstance(rule, annotated_types.Le):
            high, high_in = float(rule.le), True
        elif isinstance(rule, annotated_types.Lt):
            high, high_in = float(rule.lt), False
    return low, low_in, high, high_in


def range_problems(parts: list[str], spec: RangeSpec) -> list[str]:
    """What is wrong with sampling ``spec`` for the setting at ``parts``: outside its bounds, or
    fractional values for a whole-number setting."""
    field = field_at(Scenario, parts)
    if field is None:
        return []
    kind, inside = number_kind(field.annotation)
    if kind is None or inside:
        return ["this setting is not a number; a range {low, high} cannot be sampled for it"]
    problems = []
    if kind == "int" and spec.type != "int":
        problems.append("the setting takes whole numbers; add type: int to the range")
    low, low_in, high, high_in = field_bounds(field)
    allowed = _describe_bounds(low, low_in, high, high_in)
    if low is not None and (spec.low < low or (spec.low == low and not low_in)):
        problems.append(f"low ({spec.low:g}) is outside the setting's allowed values ({allowed})")
    if high is not None and (spec.high > high or (spec.high == high and not high_in)):
        problems.append(f"high ({spec.high:g}) is outside the setting's allowed values ({allowed})")
    return problems


def _describe_bounds(low: float | None, low_in: bool, high: float | None, high_in: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_in else '>'} {low:g}")
    if high is not None:
        parts.append(f"{'<=' if high_in else '<'} {high:g}")
    return " and ".join(parts) or "any number"


def read_yaml_file(path: str | Path, error: type[ScenarioError] = ScenarioError) -> Any:
    """Parse a YAML file (empty: None) under the input rules of ``simulation.inputs``; any problem
    (missing, a directory, not UTF-8, too big, too deep, duplicate keys, tags ...) becomes
    ``error`` naming the path."""
    try:
        return inputs.read_yaml_file(path)
    except InputError as exc:
        hint = file_hint(path) if exc.problem.startswith("file not found") else ""
        raise error(str(path), [exc.problem + hint]) from None


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
    return validate_scenario(raw, source, horizon_from_file="steps" not in (overrides or {}))


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
