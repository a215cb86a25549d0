"""Second-order effects of the demonstration scenarios, judged against their counterfactuals.

Each test runs paired replications: replication i of the strategy and of its counterfactual (the
same scenario with the strategy switched off) share seed i, so the paired difference removes the
luck both share. An effect is accepted when the mean paired difference has the expected sign with
|t| above a stated threshold (t > 2 is about 95 % confidence one-sided with 8 pairs; > 3 about
99 %). Seeds are fixed, so the tests are deterministic; the statistics are what could fail.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from multiprocessing import get_context

import numpy as np
import pytest

from simulation import RunResult, Scenario, load_scenario, run_scenario
from simulation.analysis import displacement_ratio, paired_effect, window_effect
from simulation.scenario import without_strategy
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

_pool: ProcessPoolExecutor | None = None


@pytest.fixture(scope="module", autouse=True)
def _close_pool():
    yield
    global _pool
    if _pool is not None:
        _pool.shutdown()
        _pool = None


def run_pairs(
    scenario: Scenario, reference: Scenario, replications: int, steps: int | None = None
) -> list[tuple[RunResult, RunResult]]:
    """(scenario, reference) results on seeds 1..n, on every core: runs are seeded, so where they
    run does not change them (tests/test_sweep.py), only how long the tests take."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("forkserver"))
    seeds = [seed for seed in range(1, replications + 1) for _ in (0, 1)]
    jobs = [scenario, reference] * replications
    results = list(_pool.map(run_scenario, jobs, seeds, [steps] * len(jobs)))
    return list(zip(results[0::2], results[1::2], strict=True))


@cache
def pairs(name: str, replications: int, steps: int | None = None):
    """(strategy, counterfactual) results, replication i of both on seed i."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    return tuple(run_pairs(scenario, without_strategy(scenario), replications, steps))


def metric_pairs(name: str, replications: int, steps: int | None = None):
    return [(s.metrics, c.metrics) for s, c in pairs(name, replications, steps)]


def versus(name: str, replications: int, changed: tuple, reference: tuple = ()):
    """Metrics of a scenario with ``changed`` overrides against the same with ``reference`` ones
    (both as (path, value) pairs), seeds 1..n."""
    path = ROOT / "scenarios" / f"{name}.yaml"
    scenario, other = load_scenario(path, dict(changed)), load_scenario(path, dict(reference))
    return [(s.metrics, c.metrics) for s, c in run_pairs(scenario, other, replications)]


def squeeze(name: str, replications: int):
    """A crackdown's paired effects on its target and on the ring around it, months 25-72, after
    checking that the target falls (t < -3) and the ring gains (t > 2)."""
    runs = metric_pairs(name, replications)
    target = paired_effect(runs, "activity_target", (25, 72))
    ring = paired_effect(runs, "activity_buffer", (25, 72))
    assert target.t < -3, target.describe()
    assert ring.t > 2, ring.describe()
    return target, ring


def test_balloon_effect_squeezes_the_hotspots_into_their_surroundings():
    squeeze("balloon_effect", 12)
    ratios = [displacement_ratio(s, c, window=(25, 72)).buffer_ratio for s, c in pairs("balloon_effect", 12)]
    assert np.median(ratios) > 0


def test_a_street_market_crackdown_moves_part_of_the_sales_next_door():
    """Police double on the 20 busiest street markets: sales fall there and rise in the ring, by
    less than the target loses (the size is judged in docs/patterns.md: displacement_is_partial)."""
    target, ring = squeeze("street_market_crackdown", 12)
    assert ring.mean < -target.mean, "more sales moved next door than left the policed markets"


def test_a_broad_crackdown_squeezes_the_corridors_into_their_surroundings():
    """Crack down on Westland's 120 most active cells: activity falls there and rises next door.
    Whether it also rises in Eastland is not shown (docs/ODD.md, section 1.2). 20 pairs, as
    activity over a whole jurisdiction is noisy."""
    squeeze("balloon_effect_across_border", 20)


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
    return [(s.metrics, c.metrics) for s, c in run_pairs(scenario, counterfactual, replications)]


def test_heavy_handed_enforcement_cuts_reporting_and_feeds_legitimacy():
    # 16 pairs, as docs/effects.md: the legitimacy rise (+4%) is small against seed-to-seed noise
    runs = versus("heavy_handed_backlash", 16, (), RIGHTS_COMPLIANT)
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
    runs = [(s.metrics, c.metrics) for s, c in run_pairs(integrated, pursuit, 6)]
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
    # reports swing with a few households' decisions: 12 pairs (one of the first six goes the other way)
    backlash = paired_variant("heavy_handed_backlash", overrides, RIGHTS_COMPLIANT, replications=12)
    assert paired_effect(backlash, "community_reports", (37, 72)).t < -3
    legitimacy = paired_effect(backlash, "ocg_legitimacy", (37, 72))
    if world == "large world, 14 groups":  # not shown in the small world: t = +1.3 (docs/ODD.md 1.2)
        assert legitimacy.t > 3, legitimacy.describe()
    balloon = paired_variant("balloon_effect", overrides)
    assert paired_effect(balloon, "activity_target", (25, 72)).t < -2


@pytest.mark.parametrize("world", list(WORLDS), ids=["30x30-5", "56x56-14"])
def test_kingpin_turf_war_holds_in_other_worlds(world):
    """Succession fights after leaders fall do not depend on the default world either.

    Violence is noisier than prices or reports (a turf war is a few lumpy events), so this
    check uses 12 pairs, as the default-world test does."""
    runs = paired_variant("kingpin_turf_war", dict(WORLDS[world]), replications=12)
    assert paired_effect(runs, "leaders_arrested", (25, 48)).t > 3
    violence = paired_effect(runs, "violence", (25, 60))
    assert violence.t > 2, violence.describe()


def test_prevention_holds_in_a_larger_world():
    """Fourteen groups on a 56x56 grid: the gap opens, widens and outlasts the programme.

    Membership paths diverge a lot between seeds, so this uses 20 pairs. (In the small 5-group
    world the gap has the same sign but is not significant at 20 pairs; docs/levers.md reports it.)"""
    runs = paired_variant("prevention_slow_durable", dict(WORLDS["large world, 14 groups"]), replications=20)
    later = paired_effect(runs, "ocg_members", (49, 72))
    after_end = paired_effect(runs, "ocg_members", (73, 96))
    assert later.t < -3, later.describe()
    assert after_end.t < -2, after_end.describe()


def nothing_before(runs, indicator: str, start: int) -> bool:
    """The strategy and its counterfactual are identical, month by month, until the lever starts."""
    return all(s.loc[: start - 1, indicator].equals(c.loc[: start - 1, indicator]) for s, c in runs)


# Starting a year later shifts each effect a year later; it does not remove it.


def test_seizure_and_backlash_effects_do_not_depend_on_the_start_month():
    seizures = paired_variant("seizure_price_pass_through", {"strategy.pursue.interdiction.start": 36})
    assert paired_effect(seizures, "illicit_price", (49, 72)).t > 3
    assert nothing_before(seizures, "illicit_price", 36)
    later = {"strategy.pursue.broad_arrests.start": 36, "strategy.pursue.hotspot_policing.start": 36}
    backlash = paired_variant("heavy_handed_backlash", later, RIGHTS_COMPLIANT, replications=12)
    assert paired_effect(backlash, "community_reports", (49, 72)).t < -3  # t = -2.8 over 6 pairs


def test_balloon_effect_does_not_depend_on_the_start_month():
    later = {"zones.westland_hotspots.hotspots.at_step": 36, "strategy.pursue.hotspot_policing.start": 37}
    runs = paired_variant("balloon_effect", later, replications=12)
    target = paired_effect(runs, "activity_target", (37, 72))
    buffer = paired_effect(runs, "activity_buffer", (37, 72))
    assert target.t < -3, target.describe()
    assert buffer.t > 2, buffer.describe()
    assert nothing_before(runs, "activity_total", 37)


def test_kingpin_turf_war_does_not_depend_on_the_start_month():
    """Leaders fall from the month the lever starts, and violence surges where they fell.

    Violence is measured where and as the studies measure it, around each removal against the
    same cells and months without the strategy (the difference in differences of
    docs/patterns.md): the grid-wide total mixes the surge with the calm elsewhere (+7 a month,
    t = +1.3 over 12 pairs). The 90% band of the local surge must lie above zero."""
    later = {"strategy.pursue.leadership_targeting.start": 37, "strategy.pursue.leadership_targeting.end": 61}
    path = ROOT / "scenarios" / "kingpin_turf_war.yaml"
    scenario = load_scenario(path, later)
    results = run_pairs(scenario, without_strategy(scenario), 12)
    runs = [(s.metrics, c.metrics) for s, c in results]
    assert paired_effect(runs, "leaders_arrested", (37, 60)).t > 3
    assert nothing_before(runs, "violence", 37)
    strategy, without = [s for s, _ in results], [c for _, c in results]
    local = window_effect(strategy, (0, 11), where={"convicted": True}, counterfactual=without)
    local = local.loc["territory"]
    assert local["low"] > 0, local


def test_prevention_does_not_depend_on_the_start_month():
    later = {"strategy.prevent.recruitment_drivers.start": 24, "strategy.prevent.recruitment_drivers.end": 84}
    runs = paired_variant("prevention_slow_durable", later, replications=10)
    during = paired_effect(runs, "ocg_members", (61, 84))
    after_end = paired_effect(runs, "ocg_members", (85, 96))
    assert during.t < -2, during.describe()
    assert after_end.t < -2, after_end.describe()
    assert nothing_before(runs, "ocg_members", 24)


def test_integrity_restores_pursuit_whatever_the_start_month():
    later = {"strategy.prevent.institutional_integrity.start": 24, "strategy.pursue.intelligence.start": 36}
    runs = paired_variant("corruption_blunts_pursuit", later, NO_INTEGRITY, replications=8)
    regained = paired_effect(runs, "arrests", (37, 72))
    assert regained.t > 3, regained.describe()


STRATEGIES = sorted(
    path.stem for path in (ROOT / "scenarios").glob("*.yaml") if list(load_scenario(path).strategy.levers())
)


@pytest.mark.parametrize("name", STRATEGIES)
def test_no_shipped_strategy_eradicates_organized_crime(name):
    """No programme has eradicated organized crime in a decade (docs/patterns.md): at month 120,
    at the budget the scenario spends, members and violence stay at or above 20% of the
    counterfactual, pooled over 6 paired seeds (ratio of sums over months 109-120)."""
    runs = pairs(name, 6, 120)
    for indicator in ("ocg_members", "violence"):
        strategy = sum(s.metrics.loc[109:120, indicator].sum() for s, _ in runs)
        counterfactual = sum(c.metrics.loc[109:120, indicator].sum() for _, c in runs)
        assert strategy >= 0.2 * counterfactual, (indicator, strategy, counterfactual)
