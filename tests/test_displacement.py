"""Displacement measures on synthetic metrics frames whose answers are known by construction."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.analysis import (
    WDQResult,
    activity_by_zone,
    displacement_masks,
    displacement_ratio,
    wdq_from_totals,
    weighted_displacement_quotient,
)


def frame(target, buffer, control, other=None, steps: int = 4) -> pd.DataFrame:
    """A metrics frame with the displacement columns; scalars are repeated for every step."""
    columns = {
        "activity_target": target,
        "activity_buffer": buffer,
        "activity_control": control,
    }
    if other is not None:
        columns["activity_other_jurisdictions"] = other
    index = pd.RangeIndex(1, steps + 1, name="step")
    data = pd.DataFrame({k: np.broadcast_to(np.asarray(v, float), steps) for k, v in columns.items()}, index)
    data["activity_total"] = data[["activity_target", "activity_buffer", "activity_control"]].sum(axis=1)
    data["violence"] = 1.0  # other indicators are ignored
    return data


COUNTERFACTUAL = frame(100.0, 50.0, 200.0, other=30.0)


# ------------------------------------------------------------------------ displacement ratio
def test_pure_displacement_half_moves_to_the_buffer() -> None:
    # per step: target −10, buffer +5, control 0 → D = 5 / 10 = 0.5 (sums: 20 / 40)
    result = displacement_ratio(frame(90.0, 55.0, 200.0, other=30.0), COUNTERFACTUAL)
    assert result.ratio == pytest.approx(0.5)
    assert result.buffer_ratio == pytest.approx(0.5)
    assert result.control_ratio == pytest.approx(0.0)
    assert (result.delta_target, result.delta_buffer, result.delta_control) == (-40.0, 20.0, 0.0)
    assert result.net_change == pytest.approx(-20.0)
    assert result.kind == "displacement"
    assert result.window == (1, 4) and result.steps == 4
    assert result.reason is None
    text = result.describe()
    assert "D = 0.500" in text and "partial displacement" in text and "50.0%" in text


def test_mean_and_sum_give_the_same_ratio() -> None:
    strategy = frame(90.0, 55.0, 200.0, other=30.0)
    by_mean = displacement_ratio(strategy, COUNTERFACTUAL, how="mean")
    assert by_mean.ratio == pytest.approx(0.5)
    assert by_mean.delta_target == pytest.approx(-10.0)  # per step, not summed


def test_diffusion_of_benefits_gives_a_negative_ratio() -> None:
    # target −10, buffer −2 → D = −2 / 10 = −0.2; the outside did not rise, so no border share
    result = displacement_ratio(frame(90.0, 48.0, 200.0, other=30.0), COUNTERFACTUAL)
    assert result.ratio == pytest.approx(-0.2)
    assert result.ratio < 0
    assert result.kind == "diffusion"
    assert math.isnan(result.share_across_border)
    assert "did not rise" in result.border_reason
    assert "diffusion of benefits" in result.describe()


def test_complete_and_more_than_complete_displacement() -> None:
    complete = displacement_ratio(frame(90.0, 55.0, 205.0), COUNTERFACTUAL)  # −10 → +5 +5
    assert complete.ratio == pytest.approx(1.0)
    assert "complete displacement" in complete.describe()
    beyond = displacement_ratio(frame(90.0, 60.0, 210.0), COUNTERFACTUAL)  # −10 → +10 +10
    assert beyond.ratio == pytest.approx(2.0)
    assert "net increase" in beyond.describe()


def test_nothing_moved_across_the_border() -> None:
    # buffer +5, all of it inside the target's own jurisdiction: other jurisdictions unchanged
    result = displacement_ratio(frame(90.0, 55.0, 200.0, other=30.0), COUNTERFACTUAL)
    assert result.delta_across_border == 0.0
    assert result.share_across_border == pytest.approx(0.0)
    assert "0.0% happened in other jurisdictions" in result.describe()


def test_everything_moved_across_the_border() -> None:
    # buffer +5 per step, every unit of it in cells of another jurisdiction (+5 there too)
    result = displacement_ratio(frame(90.0, 55.0, 200.0, other=35.0), COUNTERFACTUAL)
    assert result.share_across_border == pytest.approx(1.0)
    assert "100.0% happened in other jurisdictions" in result.describe()


def test_part_of_the_increase_across_the_border() -> None:
    # buffer +5 at home, control +5 across the border → outside +10, across +5 → share 0.5
    result = displacement_ratio(frame(90.0, 55.0, 205.0, other=35.0), COUNTERFACTUAL)
    assert result.ratio == pytest.approx(1.0)
    assert result.share_across_border == pytest.approx(0.5)


def test_missing_border_column_leaves_the_share_undefined() -> None:
    result = displacement_ratio(frame(90.0, 55.0, 200.0), frame(100.0, 50.0, 200.0))
    assert result.ratio == pytest.approx(0.5)
    assert math.isnan(result.share_across_border)
    assert "activity_other_jurisdictions" in result.border_reason


@pytest.mark.parametrize(("target", "words"), [(103.0, "rose"), (100.0, "did not change")])
def test_undefined_when_the_target_did_not_fall(target: float, words: str) -> None:
    result = displacement_ratio(frame(target, 55.0, 200.0, other=30.0), COUNTERFACTUAL)
    assert math.isnan(result.ratio) and math.isnan(result.buffer_ratio)
    assert words in result.reason
    assert result.kind == "undefined"
    assert "undefined" in result.describe()


def test_window_selects_inclusive_steps() -> None:
    # steps 1–4: target −10, buffer −10 (diffusion); steps 5–8: target −10, buffer +10 (displacement)
    base = frame(100.0, 50.0, 200.0, steps=8)
    strategy = frame(90.0, [40.0] * 4 + [60.0] * 4, 200.0, steps=8)
    assert displacement_ratio(strategy, base, window=(1, 4)).ratio == pytest.approx(-1.0)
    assert displacement_ratio(strategy, base, window=(5, 8)).ratio == pytest.approx(1.0)
    whole = displacement_ratio(strategy, base)
    assert whole.ratio == pytest.approx(0.0) and whole.kind == "none"
    assert displacement_ratio(strategy, base, window=(5, 5)).window == (5, 5)


def test_run_results_must_share_a_seed() -> None:
    strategy = SimpleNamespace(metrics=frame(90.0, 55.0, 200.0), seed=1)
    assert displacement_ratio(strategy, SimpleNamespace(metrics=COUNTERFACTUAL, seed=1)).ratio == 0.5
    with pytest.raises(ValueError, match="share a seed"):
        displacement_ratio(strategy, SimpleNamespace(metrics=COUNTERFACTUAL, seed=2))


def test_bad_inputs_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="displacement target"):
        displacement_ratio(pd.DataFrame({"violence": [1.0]}), COUNTERFACTUAL)
    with pytest.raises(ValueError, match="different steps"):
        displacement_ratio(frame(90.0, 55.0, 200.0, steps=5), COUNTERFACTUAL)
    with pytest.raises(ValueError, match="no steps"):
        displacement_ratio(frame(90.0, 55.0, 200.0), COUNTERFACTUAL, window=(9, 12))
    with pytest.raises(ValueError, match="ends before"):
        displacement_ratio(frame(90.0, 55.0, 200.0), COUNTERFACTUAL, window=(3, 1))


# ---------------------------------------------------------------------------------------- WDQ
def totals(before: tuple[float, float, float], after: tuple[float, float, float]) -> WDQResult:
    """WDQ from (target, buffer, control) totals before and after."""
    (a_b, b_b, c_b), (a_a, b_a, c_a) = before, after
    return wdq_from_totals(
        target_before=a_b,
        buffer_before=b_b,
        control_before=c_b,
        target_after=a_a,
        buffer_after=b_a,
        control_after=c_a,
    )


def before_after(before: tuple[float, float, float], after: tuple[float, float, float]) -> pd.DataFrame:
    """Steps 1–4 at ``before`` (target, buffer, control) per step, steps 5–8 at ``after``."""
    return frame(*([b] * 4 + [a] * 4 for b, a in zip(before, after, strict=True)), steps=8)


def test_wdq_hand_computed_partial_displacement() -> None:
    # Sums over 4 steps: before A_b = 100, B_b = 80, C_b = 200; after A_a = 60, B_a = 90, C_a = 220.
    # success = 60/220 − 100/200 = (60 − 110)/220 = −50/220 ≈ −0.2273 (target improved)
    # buffer  = 90/220 −  80/200 = (90 −  88)/220 =   2/220 ≈ +0.0091 (possible displacement)
    # WDQ = (2/220) / (−50/220) = −0.04: displacement, much smaller than the direct effect
    # TNE = (100·220/200 − 60) + (80·220/200 − 90) = (110 − 60) + (88 − 90) = 48 units
    run = before_after((25.0, 20.0, 50.0), (15.0, 22.5, 55.0))
    result = weighted_displacement_quotient(run, before=(1, 4), after=(5, 8))
    assert result.success_measure == pytest.approx(-50 / 220)
    assert result.buffer_measure == pytest.approx(2 / 220)
    assert result.wdq == pytest.approx(-0.04)
    assert result.total_net_effect == pytest.approx(48.0)
    assert (result.target_before, result.buffer_before, result.control_before) == (100.0, 80.0, 200.0)
    assert result.kind == "displacement"
    text = result.describe()
    assert "a net benefit remains" in text and "possible displacement into the buffer" in text

    # Means per step leave every ratio unchanged; only the total net effect is per step (48 / 4).
    by_mean = weighted_displacement_quotient(run, before=(1, 4), after=(5, 8), how="mean")
    assert by_mean.wdq == pytest.approx(-0.04)
    assert by_mean.total_net_effect == pytest.approx(12.0)
    assert wdq_from_totals(
        target_before=100,
        buffer_before=80,
        control_before=200,
        target_after=60,
        buffer_after=90,
        control_after=220,
    ).wdq == pytest.approx(-0.04)


def test_wdq_complete_displacement_is_minus_one() -> None:
    # C 100 → 100; A 100 → 50: success = −0.5; B 100 → 150: buffer = +0.5; WDQ = −1, TNE = 50 − 50 = 0
    result = totals((100, 100, 100), (50, 150, 100))
    assert result.wdq == pytest.approx(-1.0)
    assert result.total_net_effect == pytest.approx(0.0)
    assert "cancelled out" in result.describe()


def test_wdq_diffusion_larger_than_the_direct_effect() -> None:
    # C 100 → 100; A 100 → 80: success = −0.2; B 100 → 70: buffer = −0.3; WDQ = −0.3/−0.2 = 1.5
    result = totals((100, 100, 100), (80, 70, 100))
    assert result.wdq == pytest.approx(1.5)
    assert result.kind == "diffusion"
    assert result.total_net_effect == pytest.approx(50.0)  # 20 fewer in the target + 30 in the buffer
    assert "diffusion of benefits larger than the direct effect" in result.describe()


def test_wdq_displacement_larger_than_the_direct_effect_is_net_harm() -> None:
    # C 100 → 100; A 100 → 90: success = −0.1; B 100 → 130: buffer = +0.3; WDQ = −3, TNE = 10 − 30 = −20
    result = totals((100, 100, 100), (90, 130, 100))
    assert result.wdq == pytest.approx(-3.0)
    assert result.total_net_effect == pytest.approx(-20.0)
    assert "net harm" in result.describe()


def test_wdq_is_not_interpreted_when_the_target_did_not_improve() -> None:
    # A 100 → 120 with C flat: success = +0.2, buffer = +0.3; the raw quotient is 1.5 but means nothing
    result = totals((100, 100, 100), (120, 130, 100))
    assert math.isnan(result.wdq)
    assert result.quotient == pytest.approx(1.5)
    assert "did not improve" in result.reason
    assert result.kind == "undefined"


def test_wdq_zero_denominators_are_nan_with_a_reason() -> None:
    empty_control = totals((10, 10, 0), (5, 10, 20))
    assert math.isnan(empty_control.wdq) and math.isnan(empty_control.success_measure)
    assert math.isnan(empty_control.total_net_effect)
    assert "control area had no activity in the before period" in empty_control.reason
    # A_a/C_a = 20/200 = A_b/C_b = 10/100: success measure 0, quotient undefined
    unchanged = totals((10, 10, 100), (20, 30, 200))
    assert unchanged.success_measure == pytest.approx(0.0)
    assert math.isnan(unchanged.quotient) and math.isnan(unchanged.wdq)
    assert "did not change relative to control" in unchanged.reason
    assert "undefined" in unchanged.describe()


def test_wdq_with_a_counterfactual_in_place_of_before() -> None:
    # Over the after steps 5–8, counterfactual sums A = 100, B = 80, C = 200 and strategy sums
    # A = 60, B = 90, C = 220: the same six numbers as the hand-computed case, so WDQ = −0.04.
    # The strategy's own before period (steps 1–4) is flat at A = B = C = 100 in total, giving
    # success = 60/220 − 1 = −160/220, buffer = 90/220 − 1 = −130/220, WDQ = 130/160 = 0.8125.
    strategy = before_after((25.0, 25.0, 25.0), (15.0, 22.5, 55.0))
    counterfactual = before_after((25.0, 25.0, 25.0), (25.0, 20.0, 50.0))
    result = weighted_displacement_quotient(strategy, counterfactual, before=(1, 4), after=(5, 8))
    assert result.design == "before-after"
    assert result.wdq == pytest.approx(130 / 160)
    versus = result.against_counterfactual
    assert versus is not None and versus.design == "counterfactual"
    assert versus.wdq == pytest.approx(-0.04)
    assert versus.total_net_effect == pytest.approx(48.0)
    assert "counterfactual run as 'before'" in result.describe()

    alone = weighted_displacement_quotient(strategy, counterfactual, after=(5, 8))
    assert alone.design == "counterfactual" and alone.wdq == pytest.approx(-0.04)


def test_wdq_refuses_incomplete_or_overlapping_periods() -> None:
    run = before_after((25.0, 25.0, 25.0), (15.0, 22.5, 55.0))
    with pytest.raises(ValueError, match="after"):
        weighted_displacement_quotient(run, before=(1, 4))
    with pytest.raises(ValueError, match="before"):
        weighted_displacement_quotient(run, after=(5, 8))
    with pytest.raises(ValueError, match="must end before"):
        weighted_displacement_quotient(run, before=(1, 5), after=(5, 8))


# ----------------------------------------------------------------------------- from snapshots
def test_activity_by_zone_from_tiny_snapshots() -> None:
    # 5 × 4 grid, activity[x, y] = 4x + y (0..19, total 190). Target: the cell (1, 1) = 5.
    # Buffer 1: the 3 × 3 block x, y ∈ {0, 1, 2} sums 3·4·(0+1+2) + 3·(0+1+2) = 45, minus 5 → 40.
    # Control: 190 − 45 = 145. Jurisdiction 0 for x < 3, 1 for x ≥ 3; the target touches only 0,
    # so across the border is x ∈ {3, 4}: 12 + … + 19 = 124.
    layer = np.arange(20, dtype=float).reshape(5, 4)
    jurisdiction = (np.arange(5)[:, None] >= 3).astype(int).repeat(4, axis=1)
    target = np.zeros((5, 4), dtype=bool)
    target[1, 1] = True
    masks = displacement_masks(target, buffer=1, jurisdiction=jurisdiction)
    assert masks["displacement_buffer"].sum() == 8 and masks["displacement_control"].sum() == 11

    one = activity_by_zone(layer, masks)
    assert one == {
        "displacement_target": 5.0,
        "displacement_buffer": 40.0,
        "displacement_control": 145.0,
        "displacement_other_jurisdictions": 124.0,
    }

    snapshots = {0: {"activity": 0 * layer, "jurisdiction": jurisdiction}, 1: {"activity": layer}}
    snapshots[2] = {"activity": 2 * layer}
    series = activity_by_zone(snapshots, masks)
    assert list(series["displacement_buffer"].index) == [0, 1, 2]
    assert list(series["displacement_buffer"]) == [0.0, 40.0, 80.0]
    assert series["displacement_other_jurisdictions"].loc[2] == 248.0

    # The per-step sums feed the measures directly: here the strategy moved 2 units per step
    # from the target cell to (0, 0) in the buffer, so D = 1 and nothing crossed the border.
    moved = {step: {"activity": snap["activity"].copy()} for step, snap in snapshots.items()}
    for step in (1, 2):
        moved[step]["activity"][1, 1] -= 2.0
        moved[step]["activity"][0, 0] += 2.0
    result = displacement_ratio(activity_by_zone(moved, masks), series, window=(1, 2))
    assert result.ratio == pytest.approx(1.0)
    assert result.delta_target == pytest.approx(-4.0)
    assert result.share_across_border == pytest.approx(0.0)

    with pytest.raises(TypeError, match="boolean"):
        activity_by_zone(layer, {"bad": jurisdiction})
    with pytest.raises(ValueError, match="shape"):
        activity_by_zone(layer, {"bad": np.ones((4, 5), dtype=bool)})


def test_displacement_masks_match_chebyshev_distance_without_wrapping() -> None:
    target = np.zeros((7, 6), dtype=bool)
    target[0, 0] = target[4, 3] = True
    masks = displacement_masks(target, buffer=2)
    xs, ys = np.meshgrid(np.arange(7), np.arange(6), indexing="ij")
    dist = np.min(
        [np.maximum(abs(xs - x), abs(ys - y)) for x, y in zip(*np.nonzero(target), strict=True)], axis=0
    )
    assert np.array_equal(masks["displacement_buffer"], (dist >= 1) & (dist <= 2))
    assert np.array_equal(masks["displacement_control"], dist > 2)
    assert np.array_equal(displacement_masks(target, buffer=0)["displacement_control"], ~target)


def test_runs_with_different_displacement_areas_are_refused() -> None:
    target = np.zeros((4, 4), dtype=bool)
    moved = target.copy()
    target[1, 1] = moved[2, 2] = True
    strategy = SimpleNamespace(
        metrics=frame(90.0, 55.0, 200.0), seed=1, zone_masks={"displacement_target": target}
    )
    counterfactual = SimpleNamespace(
        metrics=COUNTERFACTUAL, seed=1, zone_masks={"displacement_target": moved}
    )
    with pytest.raises(ValueError, match="areas differ"):
        displacement_ratio(strategy, counterfactual)


def test_wdq_with_an_empty_target_before_says_so() -> None:
    # a hotspot target is empty (activity 0) until its month: A_b = 0 cannot have improved
    result = totals((0, 10, 100), (5, 10, 100))
    assert math.isnan(result.wdq)
    assert "no activity in the before period" in result.reason


def test_masks_agree_with_the_model_ring() -> None:
    from simulation.core.zones import ring

    rng = np.random.default_rng(3)
    target = rng.random((9, 7)) > 0.9
    target[4, 3] = True
    for width in (1, 2, 3):
        masks = displacement_masks(target, buffer=width)
        assert np.array_equal(masks["displacement_buffer"], ring(target, width))
        assert np.array_equal(masks["displacement_control"], ~target & ~ring(target, width))


def test_snapshot_sums_match_the_recorded_columns_of_a_run() -> None:
    """The metric columns and activity_by_zone over the run's own masks are the same numbers."""
    from simulation import load_scenario, run_scenario

    settings = {
        "world.grid.width": 24,
        "world.grid.height": 24,
        "world.ocgs.count": 4,
        "world.ocgs.members": 20,
        "output.snapshot_every": 1,
        "zones": {"box": {"rect": [8, 8, 14, 14]}},
        "displacement": {"target": "box", "buffer": 2},
    }
    run = run_scenario(load_scenario(None, settings), seed=1, steps=4)
    sums = activity_by_zone(run, run.zone_masks)
    for zone in ("target", "buffer", "control", "other_jurisdictions"):
        assert np.allclose(sums[f"displacement_{zone}"].loc[1:], run.metrics[f"activity_{zone}"])
    rebuilt = displacement_masks(
        run.zone_masks["displacement_target"], buffer=2, jurisdiction=run.snapshots[0]["jurisdiction"]
    )
    for name, mask in rebuilt.items():
        assert np.array_equal(mask, run.zone_masks[name])
    same = displacement_ratio(run, run)
    assert math.isnan(same.ratio) and "did not change" in same.reason


def test_no_border_share_when_the_target_touches_every_jurisdiction() -> None:
    nowhere = {"displacement_other_jurisdictions": np.zeros((3, 3), dtype=bool)}
    strategy = SimpleNamespace(metrics=frame(90.0, 55.0, 200.0, other=30.0), seed=1, zone_masks=nowhere)
    counterfactual = SimpleNamespace(metrics=COUNTERFACTUAL, seed=1, zone_masks=nowhere)
    result = displacement_ratio(strategy, counterfactual)
    assert result.ratio == pytest.approx(0.5)
    assert math.isnan(result.share_across_border)
    assert "every jurisdiction" in result.border_reason
