"""Scenario files: schema, loading, overrides and validation."""

from simulation.scenario.counterfactual import without_strategy
from simulation.scenario.loader import (
    ScenarioError,
    config_hash,
    load_scenario,
    parse_override,
    resolved_config,
)
from simulation.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "config_hash",
    "load_scenario",
    "parse_override",
    "resolved_config",
    "without_strategy",
]
