"""Spatial displacement and diffusion of benefits around a targeted zone.

A strategy that pushes illicit activity out of a target zone has only moved it if the activity
reappears next door or across a border. Two measures answer this:

* :func:`displacement_ratio` compares a strategy run with its counterfactual (same scenario
  without the strategy, same seed, so common random numbers): the change outside the target per
  unit removed from it.
* :func:`weighted_displacement_quotient` is the WDQ of Bowers & Johnson (2003), which field
  evaluations use when there is no counterfactual: before/after changes in a buffer and in the
  target, each measured relative to a control area.

Both read per-step activity of the areas named in a scenario's ``displacement`` block: the metric
columns ``activity_target``, ``activity_buffer``, ``activity_control`` and
``activity_other_jurisdictions`` of a run, or the same sums computed from snapshots with
:func:`activity_by_zone`. Undefined quantities are NaN with a reason, never an exception.

Reference: Bowers, K. J., & Johnson, S. D. (2003). Measuring the geographical displacement and
diffusion of benefit effects of crime prevention activity. *Journal of Quantitative
Criminology*, 19(3), 275–301.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

Aggregate = Literal["sum", "mean"]
Period = tuple[int, int]

ZONES: tuple[str, ...] = ("target", "buffer", "control", "other_jurisdictions", "total")
"""Canonical area names; inputs may call them ``activity_<zone>``, ``displacement_<zone>`` or ``<zone>``."""
_REQUIRED = ("target", "buffer", "control")
_NAN = float("nan")
_REL_TOL = 1e-9
"""Changes smaller than this share of the activity involved count as no change (rounding)."""


class HasMetrics(Protocol):
    """A run result: anything with a per-step ``metrics`` frame (``simulation.RunResult``)."""

    metrics: pd.DataFrame


type ZoneData = pd.DataFrame | Mapping[str, Any] | HasMetrics
"""A run result, its metrics frame, or a mapping area -> per-step values (:func:`activity_by_zone`)."""


# ------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class DisplacementResult:
    """Displacement ratio of a strategy run against its counterfactual, with its inputs."""

    ratio: float
    """D = Δ outside / (−Δ target); > 0 displacement, < 0 diffusion of benefits, NaN if undefined."""
    buffer_ratio: float
    """The buffer's part of D: Δ buffer / (−Δ target)."""
    control_ratio: float
    """The control area's part of D: Δ control / (−Δ target)."""
    share_across_border: float
    """Δ other jurisdictions / Δ outside; NaN unless activity outside the target rose."""
    delta_target: float
    delta_buffer: float
    delta_control: float
    delta_across_border: float
    """Δ in cells of jurisdictions the target does not touch (part of buffer + control)."""
    window: Period
    """First and last step compared (inclusive)."""
    steps: int
    how: Aggregate
    reason: str | None = None
    """Why ``ratio`` is NaN, if it is."""
    border_reason: str | None = None
    """Why ``share_across_border`` is NaN, if it is."""

    @property
    def delta_outside(self) -> float:
        """Change outside the target: buffer plus control."""
        return self.delta_buffer + self.delta_control

    @property
    def net_change(self) -> float:
        """Change over the whole grid; negative means the strategy reduced activity overall."""
        return self.delta_target + self.delta_outside

    @property
    def kind(self) -> str:
        """``displacement``, ``diffusion``, ``none`` or ``undefined``."""
        if math.isnan(self.ratio):
            return "undefined"
        if math.isclose(self.ratio, 0.0, abs_tol=_REL_TOL):
            return "none"
        return "displacement" if self.ratio > 0 else "diffusion"

    def describe(self) -> str:
        """The result in plain language."""
        agg = "summed" if self.how == "sum" else "averaged per step"
        first, last = self.window
        text = (
            f"Against the counterfactual run (same seed), steps {first}–{last}, {agg}: "
            f"activity in the target changed by {self.delta_target:+.4g}, in the buffer by "
            f"{self.delta_buffer:+.4g} and in the control area by {self.delta_control:+.4g}"
        )
        if not math.isnan(self.delta_across_border):
            text += f" (in other jurisdictions: {self.delta_across_border:+.4g})"
        text += ". "
        if math.isnan(self.ratio):
            text += f"The displacement ratio is undefined: {self.reason}."
        else:
            text += f"Displacement ratio D = {self.ratio:.3f}: {_interpret_ratio(self.ratio)}."
        text += f" Over the whole grid activity changed by {self.net_change:+.4g}."
        if math.isnan(self.share_across_border):
            if self.border_reason:
                text += f" Share across the border undefined: {self.border_reason}."
        else:
            text += (
                f" Of the increase outside the target, {self.share_across_border:.1%} happened in "
                "other jurisdictions."
            )
        return text


@dataclass(frozen=True)
class WDQResult:
    """Weighted displacement quotient (Bowers & Johnson 2003) with its parts and inputs.

    With A = target, B = buffer, C = control, b = "before", a = "after":
    success measure = A_a/C_a − A_b/C_b, buffer measure = B_a/C_a − B_b/C_b,
    WDQ = buffer measure / success measure,
    total net effect = (A_b·C_a/C_b − A_a) + (B_b·C_a/C_b − B_a).
    """

    wdq: float
    """The quotient, NaN unless the success measure is negative (the target improved)."""
    quotient: float
    """The arithmetic ratio even when it is not interpretable; NaN only if its denominator is 0."""
    success_measure: float
    """A_a/C_a − A_b/C_b: negative when the target improved relative to control."""
    buffer_measure: float
    """B_a/C_a − B_b/C_b: positive hints at displacement, negative at diffusion of benefits."""
    total_net_effect: float
    """Units the target and buffer together are below what the control trend predicts (> 0 good)."""
    target_before: float
    buffer_before: float
    control_before: float
    target_after: float
    buffer_after: float
    control_after: float
    design: str = "totals"
    """``before-after`` (one run), ``counterfactual`` (counterfactual as "before") or ``totals``."""
    before: Period | None = None
    after: Period | None = None
    how: Aggregate | None = None
    reason: str | None = None
    """Why ``wdq`` is NaN, if it is."""
    against_counterfactual: WDQResult | None = None
    """The counterfactual design, when a counterfactual run was given with a before period."""

    @property
    def kind(self) -> str:
        """``displacement``, ``diffusion``, ``none`` or ``undefined``."""
        if math.isnan(self.wdq):
            return "undefined"
        if math.isclose(self.wdq, 0.0, abs_tol=_REL_TOL):
            return "none"
        return "diffusion" if self.wdq > 0 else "displacement"

    def describe(self) -> str:
        """The result in plain language, with Bowers & Johnson's reading of the quotient."""
        agg = {"sum": "sums", "mean": "means per step", None: "totals"}[self.how]
        if self.design == "before-after" and self.before and self.after:
            head = (
                f"Weighted displacement quotient, before = steps {self.before[0]}–{self.before[1]}, "
                f"after = steps {self.after[0]}–{self.after[1]} ({agg})"
            )
        elif self.design == "counterfactual" and self.after:
            head = (
                "Weighted displacement quotient with the counterfactual run as 'before', both over "
                f"steps {self.after[0]}–{self.after[1]} ({agg})"
            )
        else:
            head = "Weighted displacement quotient from totals"
        if math.isnan(self.success_measure):
            text = f"{head}: success and buffer measures undefined. "
        else:
            text = (
                f"{head}: success measure {self.success_measure:+.3g} ({_read_success(self)}); "
                f"buffer measure {self.buffer_measure:+.3g} ({_read_buffer(self.buffer_measure)}). "
            )
        if math.isnan(self.wdq):
            text += f"WDQ undefined: {self.reason}."
        else:
            text += f"WDQ = {self.wdq:.3f}: {_interpret_wdq(self.wdq)}."
        if not math.isnan(self.total_net_effect):
            fewer = "fewer" if self.total_net_effect >= 0 else "more"
            text += (
                f" Total net effect {self.total_net_effect:+.4g}: target and buffer together had "
                f"{abs(self.total_net_effect):.4g} units {fewer} than the control area's trend predicts."
            )
        if self.against_counterfactual is not None:
            text += "\n" + self.against_counterfactual.describe()
        return text


# ------------------------------------------------------------------------------------ measures
def displacement_ratio(
    strategy: ZoneData,
    counterfactual: ZoneData,
    window: Period | None = None,
    *,
    how: Aggregate = "sum",
) -> DisplacementResult:
    """How much of the activity a strategy removed from the target reappeared outside it.

    ``D = Δ outside / (−Δ target)`` with ``Δ = strategy − counterfactual`` aggregated (``how``:
    sum or mean, which give the same ratios) over the steps in ``window`` (inclusive; default all).
    Outside is buffer + control, i.e. every cell not in the target. D = 1: all of it moved;
    0 < D < 1: part of it moved; D > 1: more appeared outside than was removed; D < 0: activity
    fell outside too (diffusion of benefits). NaN when the target's activity did not fall, since
    then nothing was removed that could move. ``share_across_border`` is the part of the outside
    increase that fell in jurisdictions the target does not touch.

    Both runs must share the seed: with common random numbers the difference is mostly the
    strategy's effect rather than seed-to-seed noise (runs still drift apart once decisions
    differ, so summarise D over several seeds). Run results with different seeds or different
    displacement areas (``zone_masks``) are refused.
    """
    how = _check_how(how)
    _check_comparable(strategy, counterfactual)
    s = _select(_zone_frame(strategy, "strategy"), window, "strategy")
    c = _select(_zone_frame(counterfactual, "counterfactual"), window, "counterfactual")
    c = _align(s, c, "window")
    s_tot, c_tot = _aggregate(s, how), _aggregate(c, how)
    delta = s_tot - c_tot
    d_target, d_buffer, d_control = (float(delta[z]) for z in _REQUIRED)
    d_across = float(delta.get("other_jurisdictions", _NAN))
    scale = float(np.nansum(np.abs(s_tot[list(_REQUIRED)])) + np.nansum(np.abs(c_tot[list(_REQUIRED)])))
    border: str | None = None
    if "other_jurisdictions" not in s.columns or "other_jurisdictions" not in c.columns:
        border = "no activity_other_jurisdictions values for both runs"
    elif _no_cells_across(strategy):
        border = "the target touches every jurisdiction, so no cell lies across the border"
    ratio, buffer_ratio, control_ratio, share, reason, border_reason = ratios_from_deltas(
        d_target, d_buffer, d_control, d_across, scale, border
    )

    return DisplacementResult(
        ratio=ratio,
        buffer_ratio=buffer_ratio,
        control_ratio=control_ratio,
        share_across_border=share,
        delta_target=d_target,
        delta_buffer=d_buffer,
        delta_control=d_control,
        delta_across_border=d_across,
        window=(int(s.index.min()), int(s.index.max())),
        steps=len(s),
        how=how,
        reason=reason,
        border_reason=border_reason,
    )


def ratios_from_deltas(
    d_target: float,
    d_buffer: float,
    d_control: float,
    d_across: float,
    scale: float,
    border_reason: str | None = None,
) -> tuple[float, float, float, float, str | None, str | None]:
    """The arithmetic of :func:`displacement_ratio` from strategy − counterfactual changes.

    Returns (ratio, buffer_ratio, control_ratio, share_across_border, reason, border_reason).
    ``scale`` is the activity involved (changes below ``_REL_TOL`` of it count as none); a
    ``border_reason`` given in advance leaves the share undefined for that reason.
    """
    d_outside = d_buffer + d_control
    ratio = buffer_ratio = control_ratio = _NAN
    reason: str | None = None
    if math.isnan(d_target) or math.isnan(d_outside):
        reason = "activity is missing (NaN) in the window"
    elif _is_zero(d_target, scale):
        reason = "activity in the target did not change against the counterfactual"
    elif d_target > 0:
        reason = (
            f"activity in the target rose against the counterfactual (Δ target {d_target:+.4g}), "
            "so no reduction could have been displaced"
        )
    else:
        ratio = d_outside / -d_target
        buffer_ratio = d_buffer / -d_target
        control_ratio = d_control / -d_target
    share = _NAN
    if border_reason is not None:
        pass
    elif math.isnan(d_across) or math.isnan(d_outside):
        border_reason = "activity is missing (NaN) in the window"
    elif _is_zero(d_outside, scale) or d_outside < 0:
        border_reason = f"activity outside the target did not rise (Δ outside {d_outside:+.4g})"
    else:
        share = d_across / d_outside
    return ratio, buffer_ratio, control_ratio, share, reason, border_reason


def weighted_displacement_quotient(
    strategy: ZoneData,
    counterfactual: ZoneData | None = None,
    before: Period | None = None,
    after: Period | None = None,
    *,
    how: Aggregate = "sum",
) -> WDQResult:
    """Bowers & Johnson's (2003) weighted displacement quotient for the buffer around the target.

    ``WDQ = (B_a/C_a − B_b/C_b) / (A_a/C_a − A_b/C_b)`` with A, B, C the activity of target,
    buffer and control aggregated (``how``: sum or mean; the quotient and both measures are the
    same either way) over the ``before`` (b) and ``after`` (a) steps of the ``strategy`` run. The
    control area stands in for what would have happened without the intervention.

    Reading (Bowers & Johnson 2003; Guerette 2009, appendix C), only when the success measure
    ``A_a/C_a − A_b/C_b`` is negative, i.e. the target improved relative to control; otherwise
    ``wdq`` is NaN because nothing can be attributed to the intervention:

    * WDQ > 1: diffusion of benefits larger than the direct effect in the target;
    * 0 < WDQ ≤ 1: diffusion of benefits to the buffer;
    * WDQ = 0: neither displacement nor diffusion;
    * −1 ≤ WDQ < 0: displacement, smaller than the direct effect: a net benefit remains (none at −1);
    * WDQ < −1: displacement larger than the direct effect: a net harm.

    If ``counterfactual`` is given, the counterfactual design is computed as well: "before" is
    replaced by the counterfactual run over the same ``after`` steps, i.e.
    ``A_b, B_b, C_b := A, B, C of the counterfactual over after``. It is returned in
    ``against_counterfactual`` of the before/after result, or on its own when ``before`` is None.
    """
    how = _check_how(how)
    if after is None:
        raise ValueError("after=(first, last) is required")
    if before is None and counterfactual is None:
        raise ValueError("give before=(first, last), a counterfactual run, or both")
    after = _check_period(after)
    s = _zone_frame(strategy, "strategy")
    s_after_part = _select(s, after, "strategy")
    s_after = _aggregate(s_after_part, how)

    versus: WDQResult | None = None
    if counterfactual is not None:
        _check_comparable(strategy, counterfactual)
        c = _zone_frame(counterfactual, "counterfactual")
        c_after_part = _align(s_after_part, _select(c, after, "counterfactual"), "after period")
        c_after = _aggregate(c_after_part, how)
        versus = _wdq(
            *(float(c_after[z]) for z in _REQUIRED),
            *(float(s_after[z]) for z in _REQUIRED),
            design="counterfactual",
            after=after,
            how=how,
        )
    if before is None:
        assert versus is not None
        return versus

    before = _check_period(before)
    if before[1] >= after[0]:
        raise ValueError(f"the before period {before} must end before the after period {after} starts")
    s_before = _aggregate(_select(s, before, "strategy"), how)
    return _wdq(
        *(float(s_before[z]) for z in _REQUIRED),
        *(float(s_after[z]) for z in _REQUIRED),
        design="before-after",
        before=before,
        after=after,
        how=how,
        against_counterfactual=versus,
    )


def wdq_from_totals(
    *,
    target_before: float,
    buffer_before: float,
    control_before: float,
    target_after: float,
    buffer_after: float,
    control_after: float,
) -> WDQResult:
    """The WDQ from six totals, for counts that did not come from a run (e.g. published tables)."""
    return _wdq(
        float(target_before),
        float(buffer_before),
        float(control_before),
        float(target_after),
        float(buffer_after),
        float(control_after),
        design="totals",
    )


# ------------------------------------------------------------------------------ from snapshots
def activity_by_zone(
    snapshots_or_layer: Any,
    masks: Mapping[str, np.ndarray],
    layer: str = "activity",
) -> dict[str, float] | dict[str, pd.Series]:
    """Sum a layer over each mask, for users who have snapshots rather than metric columns.

    ``snapshots_or_layer`` is one 2-D array (returns ``{name: float}``), a snapshot mapping
    ``step -> layer name -> array`` or ``step -> array``, or a run result with ``.snapshots``
    (returns ``{name: Series indexed by step}``). Masks are boolean ``[x, y]`` arrays such as a
    run's ``zone_masks`` or :func:`displacement_masks`; the result can be passed to
    :func:`displacement_ratio` and :func:`weighted_displacement_quotient`. Snapshots exist only
    every ``snapshot_every`` steps, and step 0 is the initial world.
    """
    source = getattr(snapshots_or_layer, "snapshots", snapshots_or_layer)
    if isinstance(source, Mapping):
        per_step: dict[int, np.ndarray] = {}
        for step, snap in source.items():
            if isinstance(snap, Mapping):
                if layer not in snap:
                    continue
                per_step[int(step)] = np.asarray(snap[layer])
            else:
                per_step[int(step)] = np.asarray(snap)
        if not per_step:
            raise ValueError(f"no snapshot holds the layer {layer!r}")
        steps = sorted(per_step)
        shape = per_step[steps[0]].shape
        checked = _check_masks(masks, shape)
        index = pd.Index(steps, name="step")
        return {
            name: pd.Series([float(per_step[t][mask].sum()) for t in steps], index=index, name=name)
            for name, mask in checked.items()
        }
    array = np.asarray(source)
    if array.ndim != 2:
        raise TypeError("expected a 2-D layer, a snapshot mapping or a run result with .snapshots")
    return {name: float(array[mask].sum()) for name, mask in _check_masks(masks, array.shape).items()}


def displacement_masks(
    target: np.ndarray,
    buffer: int,
    jurisdiction: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Target, buffer ring and control masks (and across-border, given jurisdictions) from a target.

    The buffer is every cell within ``buffer`` Moore steps (Chebyshev distance, no wrap-around) of
    the target but outside it; control is every other cell. With a ``jurisdiction`` layer,
    ``displacement_other_jurisdictions`` marks cells whose jurisdiction differs from every
    jurisdiction the target touches. For stored snapshots, where the run's masks are not at hand.
    """
    target = np.asarray(target)
    if target.dtype != bool or target.ndim != 2:
        raise TypeError("target must be a 2-D boolean mask")
    if not target.any():
        raise ValueError("the target mask selects no cell")
    if buffer < 0:
        raise ValueError(f"buffer must be at least 0 cells, got {buffer}")
    near = moore_dilate(target, int(buffer))
    masks = {
        "displacement_target": target.copy(),
        "displacement_buffer": near & ~target,
        "displacement_control": ~near,
    }
    if jurisdiction is not None:
        j = np.asarray(jurisdiction)
        if j.shape != target.shape:
            raise ValueError(f"jurisdiction layer {j.shape} and target {target.shape} differ in shape")
        masks["displacement_other_jurisdictions"] = ~np.isin(j, np.unique(j[target]))
    return masks


# ------------------------------------------------------------------------------------ helpers
def _wdq(
    a_b: float,
    b_b: float,
    c_b: float,
    a_a: float,
    b_a: float,
    c_a: float,
    *,
    design: str,
    before: Period | None = None,
    after: Period | None = None,
    how: Aggregate | None = None,
    against_counterfactual: WDQResult | None = None,
) -> WDQResult:
    """The arithmetic of the WDQ and the total net effect, with NaN and a reason where undefined."""
    success = buffer_measure = quotient = wdq = tne = _NAN
    reason: str | None = None
    values = (a_b, b_b, c_b, a_a, b_a, c_a)
    first, second = ("counterfactual", "strategy") if design == "counterfactual" else ("before", "after")
    if any(math.isnan(v) for v in values):
        reason = "activity is missing (NaN) in a period"
    elif c_b <= 0 or c_a <= 0:
        empty = first if c_b <= 0 else second
        reason = (
            f"the control area had no activity in the {empty} period, so rates relative to it are undefined"
        )
    else:
        success = a_a / c_a - a_b / c_b
        buffer_measure = b_a / c_a - b_b / c_b
        if a_b > 0:  # an empty target before has no trend to extrapolate
            tne = (a_b * c_a / c_b - a_a) + (b_b * c_a / c_b - b_a)
        unchanged = math.isclose(a_a / c_a, a_b / c_b, rel_tol=_REL_TOL, abs_tol=0.0)
        if not unchanged:
            quotient = buffer_measure / success
        if a_b <= 0:
            reason = (
                f"the target had no activity in the {first} period, so it cannot have improved "
                "(a hotspot target is empty until its month)"
            )
        elif unchanged:
            reason = "the target did not change relative to control (success measure 0)"
        elif success > 0:
            reason = (
                f"the target did not improve relative to control (success measure {success:+.3g}), "
                "so no displacement or diffusion can be attributed to the intervention"
            )
        else:
            wdq = quotient
    return WDQResult(
        wdq=wdq,
        quotient=quotient,
        success_measure=success,
        buffer_measure=buffer_measure,
        total_net_effect=tne,
        target_before=a_b,
        buffer_before=b_b,
        control_before=c_b,
        target_after=a_a,
        buffer_after=b_a,
        control_after=c_a,
        design=design,
        before=before,
        after=after,
        how=how,
        reason=reason,
        against_counterfactual=against_counterfactual,
    )


def _interpret_ratio(ratio: float) -> str:
    if math.isclose(ratio, 0.0, abs_tol=_REL_TOL):
        return "no displacement, activity outside the target did not change"
    if ratio < 0:
        return (
            "diffusion of benefits, activity fell outside the target as well, by "
            f"{-ratio:.1%} of the reduction in the target"
        )
    if math.isclose(ratio, 1.0, rel_tol=_REL_TOL):
        return "complete displacement, all the activity removed from the target reappeared outside it"
    if ratio < 1:
        return (
            f"partial displacement, {ratio:.1%} of the activity removed from the target reappeared "
            f"outside it, so {1 - ratio:.1%} of the reduction was a net reduction"
        )
    return (
        f"more than complete displacement, activity outside the target rose by {ratio:.1%} of the "
        "reduction in the target, a net increase overall"
    )


def _interpret_wdq(wdq: float) -> str:
    if math.isclose(wdq, 0.0, abs_tol=_REL_TOL):
        return "neither displacement nor diffusion of benefits"
    if math.isclose(wdq, 1.0, rel_tol=_REL_TOL):
        return "diffusion of benefits as large as the direct effect in the target"
    if wdq > 1:
        return "diffusion of benefits larger than the direct effect in the target"
    if wdq > 0:
        return "diffusion of benefits to the buffer, smaller than the direct effect in the target"
    if math.isclose(wdq, -1.0, rel_tol=_REL_TOL):
        return "displacement as large as the direct effect: the benefit in the target is cancelled out"
    if wdq > -1:
        return "displacement, smaller than the direct effect in the target: a net benefit remains"
    return "displacement larger than the direct effect in the target: the intervention did net harm"


def _read_success(result: WDQResult) -> str:
    s = result.success_measure
    before = result.target_before / result.control_before
    if math.isclose(result.target_after / result.control_after, before, rel_tol=_REL_TOL, abs_tol=0.0):
        return "the target did not change relative to control"
    return "the target improved relative to control" if s < 0 else "the target worsened relative to control"


def _read_buffer(b: float) -> str:
    if math.isclose(b, 0.0, abs_tol=_REL_TOL):
        return "the buffer did not change relative to control"
    if b > 0:
        return "possible displacement into the buffer"
    return "possible diffusion of benefits to the buffer"


def _zone_frame(data: ZoneData, role: str) -> pd.DataFrame:
    """Per-step activity by area under canonical column names, from any accepted input."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        values = dict(data)
        if values and all(np.ndim(v) == 0 for v in values.values()):
            frame = pd.DataFrame([values])  # one-off totals, e.g. activity_by_zone of one layer
        else:
            frame = pd.DataFrame(values)
    elif isinstance(getattr(data, "metrics", None), pd.DataFrame):
        frame = data.metrics
    else:
        raise TypeError(f"{role}: expected a run result, a metrics DataFrame or a mapping of areas")
    columns: dict[str, pd.Series] = {}
    for zone in ZONES:
        for name in (f"activity_{zone}", f"displacement_{zone}", zone):
            if name in frame.columns:
                columns[zone] = frame[name]
                break
    missing = [z for z in _REQUIRED if z not in columns]
    if missing:
        raise ValueError(
            f"{role}: no activity for {', '.join(missing)} (expected columns such as 'activity_target'); "
            "does the scenario name a displacement target?"
        )
    return pd.DataFrame(columns).astype(float)


def _select(frame: pd.DataFrame, period: Period | None, role: str) -> pd.DataFrame:
    if period is None:
        if frame.empty:
            raise ValueError(f"{role}: no steps")
        return frame
    first, last = _check_period(period)
    part = frame.loc[(frame.index >= first) & (frame.index <= last)]
    if part.empty:
        raise ValueError(f"{role}: no steps between {first} and {last}")
    return part


def _align(reference: pd.DataFrame, other: pd.DataFrame, what: str) -> pd.DataFrame:
    """``other`` on ``reference``'s steps; the runs must cover the same steps to be compared."""
    if set(reference.index) != set(other.index):
        only = sorted(set(reference.index) ^ set(other.index))
        raise ValueError(f"the runs cover different steps in the {what}; e.g. steps {only[:5]}")
    return other.reindex(reference.index)


def _aggregate(frame: pd.DataFrame, how: Aggregate) -> pd.Series:
    return frame.sum(skipna=False) if how == "sum" else frame.mean(skipna=False)


def _check_period(period: Period) -> Period:
    try:
        first, last = (int(v) for v in period)
    except (TypeError, ValueError):
        raise ValueError(f"a period is (first, last) steps, got {period!r}") from None
    if first > last:
        raise ValueError(f"period {period} ends before it starts")
    return first, last


def _check_how(how: str) -> Aggregate:
    if how not in ("sum", "mean"):
        raise ValueError(f"how must be 'sum' or 'mean', got {how!r}")
    return how  # type: ignore[return-value]


def _check_comparable(a: Any, b: Any) -> None:
    """Refuse run results that differ in seed or in displacement areas: the comparison would be void."""
    if isinstance(a, pd.DataFrame | Mapping) or isinstance(b, pd.DataFrame | Mapping):
        return
    seed_a, seed_b = getattr(a, "seed", None), getattr(b, "seed", None)
    if seed_a is not None and seed_b is not None and seed_a != seed_b:
        raise ValueError(
            f"strategy (seed {seed_a}) and counterfactual (seed {seed_b}) must share a seed so that "
            "their difference is the strategy's effect rather than seed-to-seed noise"
        )
    masks_a, masks_b = getattr(a, "zone_masks", None) or {}, getattr(b, "zone_masks", None) or {}
    for name in ("displacement_target", "displacement_buffer"):
        if name in masks_a and name in masks_b and not np.array_equal(masks_a[name], masks_b[name]):
            raise ValueError(
                f"the runs' {name} areas differ (e.g. a hotspot target ranked after the strategy "
                "had started), so their activity is not summed over the same cells"
            )


def _no_cells_across(run: Any) -> bool:
    """Whether a run result's across-the-border area is known to be empty."""
    if isinstance(run, pd.DataFrame | Mapping):
        return False
    mask = (getattr(run, "zone_masks", None) or {}).get("displacement_other_jurisdictions")
    return mask is not None and not np.asarray(mask).any()


def _check_masks(masks: Mapping[str, np.ndarray], shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    checked: dict[str, np.ndarray] = {}
    for name, mask in masks.items():
        m = np.asarray(mask)
        if m.dtype != bool:
            raise TypeError(f"mask {name!r} must be boolean, got {m.dtype}")
        if m.shape != shape:
            raise ValueError(f"mask {name!r} has shape {m.shape}, the layer {shape}")
        checked[name] = m
    return checked


def moore_dilate(mask: np.ndarray, cells: int) -> np.ndarray:
    """Cells within ``cells`` Moore steps of ``mask`` (including it), without wrap-around."""
    if cells == 0:
        return mask.copy()
    width, height = mask.shape
    padded = np.pad(mask, cells, constant_values=False)
    out = np.zeros_like(mask)
    for dx in range(2 * cells + 1):
        for dy in range(2 * cells + 1):
            out |= padded[dx : dx + width, dy : dy + height]
    return out


def _is_zero(value: float, scale: float) -> bool:
    return abs(value) <= _REL_TOL * max(scale, 1.0)
