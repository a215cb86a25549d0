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
    """(strategy, counterfactual) results, replication i of both on seed i."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    counterfactual = without_strategy(scenario)
    return tuple(
        (run_scenario(scenario, seed=seed, steps=steps), run_scenario(counterfactual, seed=seed, steps=steps))
        for seed in range(1, replications + 1)
    )


def metric_pairs(name: str, replications: int, steps: int | None = None):
    return [(s.metrics, c.metrics) for s, c in pairs(name, replications, steps)]


@cache
def variant(name: str, replications: int, overrides: tuple = ()):
    """Metrics of a scenario with overrides (as (path, value) pairs), one per seed 1..n."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", dict(overrides))
    return tuple(run_scenario(scenario, seed=seed).metrics for seed in range(1, replications + 1))


def versus(name: str, replications: int, changed: tuple, reference: tuple = ()):
    return list(
        zip(variant(name, replications, changed), variant(name, replications, reference), strict=True)
    )


def test_balloon_effect_squeezes_the_hotspots_into_their_surroundings():
    runs = metric_pairs("balloon_effect", 12)
    window = (25, 72)
    target = paired_effect(runs, "activity_target", window)
    buffer = paired_effect(runs, "activity_buffer", window)
    assert target.t < -3, target.describe()  # activity in the hotspots falls
    assert buffer.t > 2, buffer.describe()  # and rises in the ring around them
    ratios = [displacement_ratio(s, c, window=window).buffer_ratio for s, c in pairs("balloon_effect", 12)]
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


def test_kingpin_strategy_sets_off_turf_wars():
    runs = metric_pairs("kingpin_turf_war", 12)
    leaders = paired_effect(runs, "leaders_arrested", (25, 48))
    splits = paired_effect(runs, "splits", (25, 60))
    violence = paired_effect(runs, "violence", (25, 60))
    assert leaders.t > 3, leaders.describe()
    assert splits.t > 2, splits.describe()
    assert violence.t > 2, violence.describe()  # months of extra violence after leaders fall


NO_INTEGRITY = (("strategy.prevent.institutional_integrity.intensity", 0.0),)
CLEAN_STATE = (*NO_INTEGRITY, ("world.officials.integrity_mean", 0.9))


def test_corruption_blunts_pursuit_and_integrity_restores_it():
    blunted = versus("corruption_blunts_pursuit", 8, NO_INTEGRITY, CLEAN_STATE)
    restored = versus("corruption_blunts_pursuit", 8, (), NO_INTEGRITY)
    window = (25, 72)
    protection = paired_effect(blunted, "corrupt_officials", window)
    arrests_lost = paired_effect(blunted, "arrests", window)
    arrests_regained = paired_effect(restored, "arrests", window)
    assert protection.t > 3, protection.describe()  # the bribable state has more corrupt officials
    assert arrests_lost.t < -2, arrests_lost.describe()  # and the same pursuit arrests fewer
    assert arrests_regained.t > 3, arrests_regained.describe()  # integrity gives arrests back


RIGHTS_COMPLIANT = (("strategy.enforcement_style", "rights_compliant"),)


def paired_variant(name: str, overrides: dict, reference: tuple | None = None, replications: int = 6):
    """(scenario, reference) metrics on seeds 1..n, both with ``overrides``; the reference is the
    counterfactual unless ``reference`` names further overrides for it."""
    path = ROOT / "scenarios" / f"{name}.yaml"
    scenario = load_scenario(path, overrides)
    if reference is None:
        counterfactual = without_strategy(scenario)
    else:
        counterfactual = load_scenario(path, {**overrides, **dict(reference)})
    return [
        (run_scenario(scenario, seed=seed).metrics, run_scenario(counterfactual, seed=seed).metrics)
        for seed in range(1, replications + 1)
    ]


def test_heavy_handed_enforcement_cuts_reporting_and_feeds_legitimacy():
    runs = versus("heavy_handed_backlash", 8, (), RIGHTS_COMPLIANT)
    window = (37, 72)
    reports = paired_effect(runs, "community_reports", window)
    legitimacy = paired_effect(runs, "ocg_legitimacy", window)
    assert reports.t < -3, reports.describe()
    assert legitimacy.t > 3, legitimacy.describe()


def test_an_integrated_strategy_beats_pursuit_alone_over_ten_years():
    integrated = load_scenario(ROOT / "scenarios" / "integrated_4p.yaml")
    pursuit = load_scenario(ROOT / "scenarios" / "pursue_only.yaml")
    pursue_levers = {(p, n) for p, n, _ in pursuit.strategy.levers()}
    assert pursue_levers < {(p, n) for p, n, _ in integrated.strategy.levers()}  # same PURSUE, more
    runs = [
        (run_scenario(integrated, seed=seed).metrics, run_scenario(pursuit, seed=seed).metrics)
        for seed in range(1, 7)
    ]
    for indicator in ("ocg_members", "victims_current", "violence"):
        effect = paired_effect(runs, indicator, (61, 120))
        assert effect.t < -3, effect.describe()


def test_prevention_is_slow_but_durable():
    runs = metric_pairs("prevention_slow_durable", 10)
    first_year = paired_effect(runs, "ocg_members", (13, 24))
    later = paired_effect(runs, "ocg_members", (49, 72))
    after_end = paired_effect(runs, "ocg_members", (73, 96))
    widening = [late - early for late, early in zip(later.differences, first_year.differences, strict=True)]
    assert np.mean(widening) / (np.std(widening, ddof=1) / np.sqrt(len(widening))) < -2, widening
    assert later.t < -2, later.describe()  # the gap is there after years
    assert after_end.t < -2, after_end.describe()  # and outlasts the programme


WORLDS = {
    "small world, 5 groups": (
        ("world.grid.width", 30),
        ("world.grid.height", 30),
        ("world.ocgs.count", 5),
    ),
    "large world, 14 groups": (
        ("world.grid.width", 56),
        ("world.grid.height", 56),
        ("world.ocgs.count", 14),
        ("world.geography.urban_centres", 12),
    ),
}


@pytest.mark.parametrize("world", list(WORLDS), ids=["30x30-5", "56x56-14"])
def test_effects_hold_in_other_worlds(world):
    """The robust effects do not depend on the default world: other sizes and numbers of groups."""
    overrides = dict(WORLDS[world])
    seizures = paired_variant("seizure_price_pass_through", overrides)
    assert paired_effect(seizures, "illicit_price", (37, 72)).t > 3
    backlash = paired_variant("heavy_handed_backlash", overrides, RIGHTS_COMPLIANT)
    assert paired_effect(backlash, "community_reports", (37, 72)).t < -3
    assert paired_effect(backlash, "ocg_legitimacy", (37, 72)).t > 3
    balloon = paired_variant("balloon_effect", overrides)
    assert paired_effect(balloon, "activity_target", (25, 72)).t < -2


def test_effects_do_not_depend_on_the_start_month():
    """Starting a year later shifts the effect a year later; it does not remove it."""
    seizures = paired_variant("seizure_price_pass_through", {"strategy.pursue.interdiction.start": 36})
    assert paired_effect(seizures, "illicit_price", (49, 72)).t > 3
    assert abs(paired_effect(seizures, "illicit_price", (13, 35)).mean) < 1e-9  # nothing before
    later = {"strategy.pursue.broad_arrests.start": 36, "strategy.pursue.hotspot_policing.start": 36}
    backlash = paired_variant("heavy_handed_backlash", later, RIGHTS_COMPLIANT)
    assert paired_effect(backlash, "community_reports", (49, 72)).t < -3
