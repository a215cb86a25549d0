"""Events with time and place, and the event study around them (simulation.analysis.event_study)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario, run_scenario
from simulation.analysis import event_study, window_change, window_effect
from simulation.runner import events_frame
from tests.conftest import SMALL_WORLD


def synthetic_run(event_step: int, jump: float, months: int = 40, seed: int = 0):
    """A 10x10 world, quiet noise everywhere; from the event on, the territory's level x (1 + jump)."""
    rng = np.random.default_rng(seed)
    history = rng.uniform(0.5, 1.5, (months + 1, 10, 10))
    territory = np.zeros((10, 10), dtype=bool)
    territory[2:4, 2:4] = True
    history[event_step:, territory] *= 1.0 + jump
    events = pd.DataFrame(
        [{"step": event_step, "kind": "leader_arrest", "group": 0, "x": 2, "y": 2,
          "cells": tuple(np.flatnonzero(territory)), "convicted": True}]
    )  # fmt: skip
    return SimpleNamespace(history={"violence": history}, events=events)


def test_a_doubling_in_the_territory_reads_as_plus_100_percent_there_and_nothing_elsewhere():
    runs = [synthetic_run(20, 1.0, seed=s) for s in range(6)]
    study = event_study(runs, window=(-12, 12), resamples=500)
    after = window_change(study, (0, 12))
    assert after.loc["territory", "percent"] == pytest.approx(100.0, abs=10.0)
    for area in ("ring 1", "ring 2", "rest"):
        assert abs(after.loc[area, "percent"]) < 10.0
    assert (study["low"] <= study["percent"]).all() and (study["percent"] <= study["high"]).all()
    assert set(study["events"]) == {6}
    pooled = window_effect(runs, (0, 12), resamples=500)
    assert pooled.loc["territory", "percent"] == pytest.approx(100.0, abs=10.0)
    assert pooled.loc["territory", "low"] < 100.0 < pooled.loc["territory", "high"]
    assert pooled.loc["rest", "low"] < 0.0 < pooled.loc["rest", "high"]


def trending(run, rise: float, from_step: int = 20):
    """The run with every cell's level x (1 + rise) from ``from_step`` on: a trend common to the world."""
    history = run.history["violence"].copy()
    history[from_step:] *= 1.0 + rise
    return SimpleNamespace(history={"violence": history}, events=run.events)


def test_against_the_counterfactual_a_common_trend_is_taken_out():
    """A rise everywhere from the event's month (+50%) is in the before/after change of the
    territory (x 1.5 x 2 = +200%) but not in the difference in differences (+100%): the paired
    counterfactual, the same world without the removal, rose by as much."""
    runs = [trending(synthetic_run(20, 1.0, seed=s), 0.5) for s in range(6)]
    counterfactual = [trending(synthetic_run(20, 0.0, seed=s), 0.5) for s in range(6)]
    before_after = window_effect(runs, (0, 12), resamples=500)
    assert before_after.loc["territory", "percent"] == pytest.approx(200.0, abs=15.0)
    assert before_after.loc["rest", "percent"] == pytest.approx(50.0, abs=8.0)
    did = window_effect(runs, (0, 12), resamples=500, counterfactual=counterfactual)
    # the pairs share their noise (common random numbers), so only the removal's doubling is left
    assert did.loc["territory", ["percent", "low", "high"]].tolist() == pytest.approx([100.0] * 3)
    assert did.loc["rest", ["percent", "low", "high"]].tolist() == pytest.approx([0.0] * 3, abs=1e-9)
    monthly = window_change(
        event_study(runs, window=(-6, 6), resamples=200, counterfactual=counterfactual), (0, 6)
    )
    assert monthly.loc["territory", "percent"] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="pair them one to one"):
        window_effect(runs, (0, 12), counterfactual=counterfactual[:3])


def test_months_outside_the_run_are_left_out_not_counted_as_zero():
    study = event_study([synthetic_run(35, 0.0, months=40)], window=(-3, 10), resamples=200)
    late = study[(study["relative_month"] == 8) & (study["area"] == "territory")].iloc[0]
    assert late["events"] == 0 and np.isnan(late["percent"])


def test_filters_and_clear_errors():
    run = synthetic_run(20, 1.0)
    with pytest.raises(ValueError, match="no 'leader_arrest' events matching"):
        event_study([run], where={"convicted": False})
    with pytest.raises(ValueError, match=r"output\.history"):
        event_study([SimpleNamespace(history={}, events=run.events)])
    with pytest.raises(ValueError, match="window"):
        event_study([run], window=(0, 12))


def test_runs_record_their_events_and_keeping_history_changes_nothing():
    settings = {**SMALL_WORLD, "strategy.pursue.leadership_targeting": {"start": 3}}
    plain = run_scenario(load_scenario(None, settings), seed=2, steps=24)
    watched = run_scenario(
        load_scenario(None, {**settings, "output.history": ["violence"]}), seed=2, steps=24
    )
    pd.testing.assert_frame_equal(plain.metrics, watched.metrics, check_exact=True)
    assert watched.history["violence"].shape == (25, 24, 24)
    events = watched.events
    assert set(events["kind"]) <= {"leader_arrest", "split", "lever_start"}
    start = events[events["kind"] == "lever_start"].iloc[0]
    assert start["step"] == 3 and start["lever"] == "leadership_targeting"
    arrests = events[events["kind"] == "leader_arrest"]
    assert len(arrests) == plain.metrics["leaders_arrested"].sum() > 0
    # an arrest names the group's territory then (none if the group had just lost its last cell)
    held = [cells for cells in arrests["cells"] if len(cells) > 0]
    assert len(held) >= len(arrests) - 1 and all(len(set(c)) == len(c) for c in held)
    assert list(events_frame([]).columns) == ["step", "kind", "group", "x", "y", "cells"]
