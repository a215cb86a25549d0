"""Which runs a scenario's claims need: the strategy and each comparison, as experiment inputs.

A claim compares the strategy with its counterfactual (the same scenario, strategy switched off),
with the run's own start, or with another scenario file. All of them run under the same
replication seeds, so every comparison is paired.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.experiments.loader import with_flags
from simulation.experiments.plan import ScenarioInput
from simulation.scenario import Scenario, ScenarioError, load_scenario, resolved_config, without_strategy
from simulation.scenario.loader import apply_overrides, read_scenario_file, validate_scenario

NO_COMPARISON = ("start",)


@dataclass
class ClaimSetup:
    """A scenario with claims and the scenario inputs that judging them needs."""

    scenario: Scenario
    source: str
    inputs: list[ScenarioInput] = field(default_factory=list)
    comparison_label: dict[str, str] = field(default_factory=dict)
    """claim ``compare`` value -> scenario name of the comparison runs."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Settings imposed on the strategy and every comparison (``--set``, ``--steps``)."""

    @property
    def label(self) -> str:
        return self.scenario.name

    def comparison_for(self, compare: str) -> str | None:
        return self.comparison_label.get(compare)


def safe_name(text: str) -> str:
    """An experiment name from free text (letters, digits, _ . - only)."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_") or "scenario"


def claim_setup(
    path: str | Path, scenario: Scenario | None = None, overrides: Mapping[str, Any] | None = None
) -> ClaimSetup:
    """Load the scenario (unless given) and build the inputs its claims need.

    ``overrides`` (dotted paths -> values, as ``--set``; ``steps`` too) apply to the strategy and to
    every comparison alike, so the comparisons stay paired; they are part of each run's identity.
    """
    source = str(path)
    overrides = dict(overrides or {})
    if scenario is None:
        settings = {k: v for k, v in overrides.items() if k != "steps"}
        where = with_flags(source, settings, overrides.get("steps"))
        scenario = validate_scenario(apply_overrides(read_scenario_file(path), overrides, where), where)
    if not scenario.theory_of_success:
        raise ScenarioError(source, ["theory_of_success: the scenario states no claims to test"])
    setup = ClaimSetup(scenario, source, overrides=overrides)
    setup.inputs.append(ScenarioInput(resolved_config(scenario), source))
    for compare in dict.fromkeys(c.compare for c in scenario.theory_of_success):
        if compare in NO_COMPARISON:
            continue
        other = _comparison(scenario, compare, Path(source), overrides)
        if other.name == scenario.name:
            other = other.model_copy(update={"name": f"{other.name} (comparison)"})
        setup.comparison_label[compare] = other.name
        off = compare == "counterfactual"
        setup.inputs.append(ScenarioInput(resolved_config(other), f"{source} [{compare}]", strategy_off=off))
    return setup


def _comparison(
    scenario: Scenario, compare: str, scenario_file: Path, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    if compare == "counterfactual":
        return without_strategy(scenario)
    candidates = [Path(compare), scenario_file.parent / compare]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise ScenarioError(
            str(scenario_file),
            [
                f"theory_of_success: compare {compare!r} is not counterfactual, start or an "
                "existing scenario file"
            ],
        )
    other = load_scenario(found, overrides or None)
    if other.steps < scenario.steps:
        other = other.model_copy(update={"steps": scenario.steps})
    return other
