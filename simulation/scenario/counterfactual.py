"""The counterfactual of a scenario: the same world and behaviour with the strategy switched off."""

from __future__ import annotations

from simulation.scenario.schema import Scenario, StrategySpec


def without_strategy(scenario: Scenario) -> Scenario:
    """No lever, rights-compliant enforcement, no budget; everything else (zones too) unchanged."""
    update = {"strategy": StrategySpec(), "name": f"{scenario.name} (counterfactual)"}
    return scenario.model_copy(update=update, deep=True)
