"""Expand an experiment into runs: scenario x parameter point x replication, each with its identity.

Replication *i* has the same seed under every scenario and point (common random numbers), so
comparisons across them are paired. A run's key hashes its fully resolved configuration, steps
and seed: two points or experiments that resolve to the same run share it, and a sweep that is
started again recognises what is already stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.core.seeds import ReplicationSeed, replication_seed_details
from simulation.cost import run_seconds, too_long
from simulation.experiments.design import describe_design, design_points
from simulation.experiments.loader import ExperimentError, resolve_scenario_path
from simulation.experiments.schema import ExperimentSpec
from simulation.scenario.counterfactual import without_strategy
from simulation.scenario.loader import (
    NOT_SIMULATED,
    ScenarioError,
    apply_overrides,
    config_hash,
    read_scenario_file,
    resolved_config,
    validate_scenario,
)
from simulation.storage.store import make_run_key


@dataclass(frozen=True)
class ScenarioInput:
    """A scenario as the plan sees it: the raw mapping and where it came from."""

    raw: Mapping[str, Any]
    source: str
    strategy_off: bool = False
    """A counterfactual: the strategy is switched off after each point's values are applied, so
    a swept or sampled ``strategy.*`` setting never leaks into it."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to simulate one run, and nothing tied to a process."""

    run_key: str
    scenario_name: str
    scenario_source: str
    config: str
    config_hash: str
    steps: int
    seed: ReplicationSeed
    experiment: str


@dataclass(frozen=True)
class PlannedRun:
    """One cell of the experiment's table: which scenario, point and replication use which run."""

    scenario: str
    point: int
    replication: int
    run_key: str
    parameters: dict[str, Any]


@dataclass
class ExperimentPlan:
    spec: ExperimentSpec
    source: str | None
    points: list[dict[str, Any]]
    members: list[PlannedRun]
    tasks: dict[str, RunTask] = field(default_factory=dict)
    """Distinct runs by key, in plan order."""
    size_seconds: float = 0.0
    """Estimated time of all distinct runs from their size (``simulation.cost``), one worker."""
    longest: tuple[float, str] = (0.0, "")
    """The largest run's estimated seconds and why it is refused, if it is (else '')."""

    @property
    def design(self) -> dict[str, Any]:
        return describe_design(self.spec, len(self.points))


def scenario_inputs(spec: ExperimentSpec, experiment_file: str | Path | None) -> list[ScenarioInput]:
    """Read the experiment's scenario files (paths resolved as documented)."""
    inputs = []
    for name in spec.scenarios:
        path = resolve_scenario_path(name, experiment_file)
        try:
            raw = read_scenario_file(path)
        except ScenarioError as exc:
            raise ExperimentError(  # a missing file's problem already names the closest files
                str(experiment_file), [f"scenarios: {name}: {'; '.join(exc.problems)}"]
            ) from None
        inputs.append(ScenarioInput(raw, str(path)))
    return inputs


def plan_experiment(
    spec: ExperimentSpec, inputs: Sequence[ScenarioInput], source: str | None = None, where: str | None = None
) -> ExperimentPlan:
    """Every run the experiment needs; every point is validated against every scenario first.

    ``where`` names the experiment in messages (default: ``source``; the CLI adds its flags).
    """
    where = where or source or f"experiment {spec.name}"
    points = design_points(spec)
    seeds = replication_seed_details(spec.seed, spec.replications)
    fixed = _fixed_overrides(spec)
    plan = ExperimentPlan(spec, source, points, [])
    names: dict[str, str] = {}
    for scenario_input in inputs:
        if fixed:  # the fixed settings alone first, so their mistakes are not blamed on a point
            _validated(scenario_input, fixed, None, where)
        for index, point in enumerate(points):
            scenario = _validated(scenario_input, {**point, **fixed}, index, where)
            if index == 0:
                if scenario.name in names:
                    same = _same_file(names[scenario.name], scenario_input.source)
                    raise ExperimentError(
                        where,
                        [
                            f"scenarios: {scenario_input.source} is listed twice; list each scenario once"
                            if same
                            else f"scenarios: {names[scenario.name]} and {scenario_input.source} are both "
                            f"named {scenario.name!r}; give each scenario a distinct name"
                        ],
                    )
                names[scenario.name] = scenario_input.source
            config = resolved_config(scenario)
            text = json.dumps(config, sort_keys=True)
            digest = config_hash(config)
            seconds = run_seconds(scenario)
            if seconds > plan.longest[0]:
                plan.longest = (seconds, too_long(scenario) or "")
            for seed in seeds:
                key = make_run_key(digest, seed.seed, scenario.steps)
                plan.members.append(PlannedRun(scenario.name, index, seed.replication, key, dict(point)))
                if key not in plan.tasks:
                    plan.size_seconds += seconds
                plan.tasks.setdefault(
                    key,
                    RunTask(
                        key,
                        scenario.name,
                        scenario_input.source,
                        text,
                        digest,
                        scenario.steps,
                        seed,
                        spec.name,
                    ),
                )
    return plan


def _same_file(a: str, b: str) -> bool:
    try:
        return a == b or Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _fixed_overrides(spec: ExperimentSpec) -> dict[str, Any]:
    """Settings the experiment imposes on every run: ``set:``, steps and output."""
    fixed: dict[str, Any] = dict(spec.set)
    if spec.steps is not None:
        fixed["steps"] = spec.steps
    if spec.output.snapshot_every is not None:
        fixed["output.snapshot_every"] = spec.output.snapshot_every
    if spec.output.keep is not None:
        fixed["output.keep"] = list(spec.output.keep)
    if spec.output.history:  # empty: each scenario's own list
        fixed["output.history"] = list(spec.output.history)
    return fixed


def _validated(scenario_input: ScenarioInput, overrides: dict[str, Any], index: int | None, where: str):
    try:
        # Claims and assumptions judge runs, they are not simulated: an experiment may run shorter
        # than a claim's window, and they are no part of a run's identity.
        simulated = {k: v for k, v in scenario_input.raw.items() if k not in NOT_SIMULATED}
        raw = apply_overrides(simulated, overrides, scenario_input.source)
        scenario = validate_scenario(raw, scenario_input.source, horizon_from_file="steps" not in overrides)
        if scenario_input.strategy_off:
            scenario = without_strategy(scenario).model_copy(update={"name": scenario.name})
        return scenario
    except ScenarioError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        what = f"point {index} ({shown}) makes" if index is not None else f"the fixed settings ({shown}) make"
        problems = [f"{what} scenario {scenario_input.source} invalid: {p}" for p in exc.problems]
        raise ExperimentError(where, problems) from None
