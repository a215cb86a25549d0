"""Shared fixtures: small worlds that run in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.model import CriminalMarketModel
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

SMALL_WORLD = {
    "world.grid.width": 24,
    "world.grid.height": 24,
    "world.ocgs.count": 4,
    "world.ocgs.members": 20,
    "world.geography.urban_centres": 3,
}


def small_model(seed: int = 1, **overrides) -> CriminalMarketModel:
    """A 24x24 world with four groups; keyword overrides use '__' for dots."""
    settings = dict(SMALL_WORLD)
    settings.update({key.replace("__", "."): value for key, value in overrides.items()})
    return CriminalMarketModel(load_scenario(None, settings), seed=seed)


@pytest.fixture
def model() -> CriminalMarketModel:
    return small_model()
