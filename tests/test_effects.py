"""Second-order effects of the demonstration scenarios, judged against their counterfactuals.

Each test runs paired replications: replication i of the strategy and of its counterfactual (the
same scenario with the strategy switched off) share seed i, so the paired difference removes the
luck both share. An effect is accepted when the mean paired difference has the expected sign with
|t| above a stated threshold (t > 2 is about 95 % confidence one-sided with 8 pairs; > 3 about
99 %). Seeds are fixed, so the tests are deterministic; the statistics are what could fail.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from simulation import load_scenario, run_scenario
from simulation.analysis import displacement_ratio, paired_effect
from simulation.scenario import without_strategy
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@cache
def pairs(name: str, replications: int, steps: int | None = None):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    counterfactual = without_strategy(scenario)
    return tuple(
        (run_scenario(scenario, seed=seed, steps=steps), run_scenario(counterfactual, seed=seed, steps=steps))
        for seed in range(1, replications + 1)
    )


def metric_pairs(name: str, replications: int, steps: int | None = None):
    return [(s.metrics, c.metrics) for s, c in pairs(name, replications, steps)]


def test_balloon_effect_squeezes_the_hotspots_into_their_surroundings():
    runs = metric_pairs("balloon_effect", 8)
    window = (25, 72)
    target = paired_effect(runs, "activity_target", window)
    buffer = paired_effect(runs, "activity_buffer", window)
    assert target.t < -3, target.describe()  # activity in the hotspots falls
    assert buffer.t > 2, buffer.describe()  # and rises in the ring around them
    ratios = [displacement_ratio(s, c, window=window).buffer_ratio for s, c in pairs("balloon_effect", 8)]
    assert np.median(ratios) > 0


def test_seizures_are_passed_on_as_prices():
    runs = metric_pairs("seizure_price_pass_through", 8)
    window = (37, 72)  # a year after interdiction starts: losses learnt, prices adjusted
    price = paired_effect(runs, "illicit_price", window)
    seized = paired_effect(runs, "seizures_value", window)
    revenue = paired_effect(runs, "ocg_revenue", window)
    assert price.t > 3, price.describe()
    assert seized.t > 3, seized.describe()
    # revenue falls far less than the extra value seized: even the pessimistic end of its
    # interval (mean - 2 s.e.) loses less than half of what the police took
    assert -(revenue.mean - 2 * revenue.standard_error) < 0.5 * seized.mean, (
        revenue.describe(),
        seized.describe(),
    )
