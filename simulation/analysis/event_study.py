"""Event studies: what a layer does around events (a leader's arrest, a split, a crackdown's onset).

The design of Lindo & Padilla-Romo (2018) and Calderón et al. (2015) for kingpin captures: the
layer's level in the area the event concerns (ring 0: the group's territory at the arrest, or the
lever's target), in the cells around it (ring 1, ring 2: within 1 and 2 Moore steps, outside the
rings before) and in the rest of the grid, month by month relative to the event, as a percentage of
its own mean over the months before the event. Events are pooled as a ratio of sums (so a quiet area
does not divide by zero) and the band is a percentile bootstrap that resamples whole runs (events of
one run share its history), or events when there is one run.

This is a before/after design without a counterfactual: events are not random (leaders are caught
where police look), so a change here is an association; the paired counterfactual effects of
``paired_effect`` remain the causal estimate.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulation.analysis.displacement import moore_dilate

PRE_MONTHS = 12
"""Months before an event averaged as its reference level (fewer when the run is shorter)."""


def event_study(
    results: Any,
    kind: str = "leader_arrest",
    window: tuple[int, int] = (-12, 24),
    layer: str = "violence",
    rings: Sequence[int] = (0, 1, 2),
    where: Mapping[str, Any] | None = None,
    confidence: float = 0.9,
    resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The layer around ``kind`` events, per month relative to the event, as % of the pre-event mean.

    ``results``: a ``RunResult`` or several, run with ``output.history`` naming ``layer``.
    ``where``: keep only events whose fields equal these values (``{"convicted": True}``: arrests
    that removed the leader). Returns one row per (relative month, area) with ``percent`` (pooled
    change against the pre-event mean), ``low`` and ``high`` (the ``confidence`` band), ``events``
    (how many events have that month inside their run) and ``runs``.
    """
    start, end = window
    if start > -1 or end < 0:
        raise ValueError(
            f"window {window} must run from before the event (< 0) to at least the event month (0)"
        )
    offsets = np.arange(start, end + 1)
    level, reference, owners, runs, areas = _collect(results, kind, offsets, layer, rings, where)
    estimate = _pooled(level, reference, np.ones(len(owners)))
    weights = _bootstrap_weights(owners, runs, resamples, seed)
    low, high = _band(np.stack([_pooled(level, reference, w) for w in weights]), confidence)
    present = np.isfinite(level[:, 0, :]).sum(axis=0)
    rows = [
        {
            "relative_month": int(offset),
            "area": area,
            "percent": estimate[a, k],
            "low": low[a, k],
            "high": high[a, k],
            "events": int(present[k]),
            "runs": runs,
        }
        for k, offset in enumerate(offsets)
        for a, area in enumerate(areas)
    ]
    return pd.DataFrame(rows)


def window_effect(
    results: Any,
    months: tuple[int, int],
    kind: str = "leader_arrest",
    layer: str = "violence",
    rings: Sequence[int] = (0, 1, 2),
    where: Mapping[str, Any] | None = None,
    confidence: float = 0.9,
    resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The change over relative months ``months`` (inclusive, e.g. (0, 11): the first year) per area.

    Levels are pooled over the window's months and the events (ratio of sums against the
    pre-event mean times the months each event has), and the band is bootstrapped the same way,
    so it is the interval of the window's change, not an average of monthly intervals. One row per
    area: ``percent``, ``low``, ``high``, ``events``, ``runs``.
    """
    first, last = months
    if first < 0 or last < first:
        raise ValueError(f"months {months} must be a range of months after the event, e.g. (0, 11)")
    offsets = np.arange(first, last + 1)
    level, reference, owners, runs, areas = _collect(results, kind, offsets, layer, rings, where)
    summed = np.nansum(level, axis=2)[:, :, None]  # events x areas x 1
    counted = np.isfinite(level).sum(axis=2)  # events x areas
    base = np.where(counted > 0, reference * counted, np.nan)
    summed = np.where(counted[:, :, None] > 0, summed, np.nan)
    estimate = _pooled(summed, base, np.ones(len(owners)))[:, 0]
    weights = _bootstrap_weights(owners, runs, resamples, seed)
    low, high = _band(np.stack([_pooled(summed, base, w)[:, 0] for w in weights]), confidence)
    frame = pd.DataFrame({"percent": estimate, "low": low, "high": high}, index=pd.Index(areas, name="area"))
    frame["events"] = int((counted[:, 0] > 0).sum())
    frame["runs"] = runs
    return frame


def window_change(study: pd.DataFrame, months: tuple[int, int]) -> pd.DataFrame:
    """A quick look at an ``event_study`` frame: its monthly values averaged over ``months``.

    The band columns are averages of monthly bands, wider than the window's own interval: use
    ``window_effect`` for that.
    """
    inside = study[study["relative_month"].between(*months)]
    return inside.groupby("area", sort=False)[["percent", "low", "high"]].mean()


def _collect(
    results: Any,
    kind: str,
    offsets: np.ndarray,
    layer: str,
    rings: Sequence[int],
    where: Mapping[str, Any] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, list[str]]:
    """Per event: the areas' levels at each offset and their pre-event means; which run it is in."""
    runs = [results] if not isinstance(results, Iterable) else list(results)
    if sorted(set(rings)) != list(rings) or (rings and rings[0] < 0):
        raise ValueError(f"rings must be increasing and non-negative, got {rings}")
    levels, references, owners = [], [], []
    for index, run in enumerate(runs):
        history = _history(run, layer)
        for event in _events(run, kind, where):
            level, reference = _around(
                history, int(event["step"]), offsets, _areas(event, history.shape[1:], rings)
            )
            levels.append(level)
            references.append(reference)
            owners.append(index)
    if not levels:
        raise ValueError(
            f"no {kind!r} events{' matching ' + str(dict(where)) if where else ''} in these runs"
        )
    areas = [_area_name(r) for r in rings] + ["rest"]
    return np.stack(levels), np.stack(references), np.array(owners), len(runs), areas


def _band(draws: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - confidence) / 2.0 * 100.0
    with warnings.catch_warnings():  # offsets no event reaches have no draws: their band is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(draws, [tail, 100.0 - tail], axis=0)
    return low, high


def _area_name(ring: int) -> str:
    return "territory" if ring == 0 else f"ring {ring}"


def _history(run: Any, layer: str) -> np.ndarray:
    history = getattr(run, "history", {}) or {}
    if layer not in history:
        raise ValueError(
            f"the run has no monthly {layer!r} layer: run it with output.history: [{layer}] "
            f"(e.g. --set 'output.history=[{layer}]')"
        )
    return np.asarray(history[layer], dtype=float)


def _events(run: Any, kind: str, where: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    frame = run.events
    chosen = frame[frame["kind"] == kind]
    for field, value in (where or {}).items():
        if field not in chosen.columns:
            return []
        chosen = chosen[chosen[field] == value]
    return chosen.to_dict("records")


def _areas(event: Mapping[str, Any], shape: tuple[int, ...], rings: Sequence[int]) -> list[np.ndarray]:
    """Ring masks around the event's cells (ring 0 the cells themselves), then the rest."""
    base = np.zeros(shape, dtype=bool)
    base.ravel()[list(event["cells"])] = True
    if not base.any():
        base[int(event["x"]), int(event["y"])] = True
    masks, covered = [], np.zeros(shape, dtype=bool)
    for ring in rings:
        grown = moore_dilate(base, ring)
        masks.append(grown & ~covered)
        covered |= grown
    masks.append(~covered)
    return masks


def _around(
    history: np.ndarray, step: int, offsets: np.ndarray, masks: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per area: the layer summed over its cells at each offset (NaN outside months 1..last), and
    its mean over the months before the event."""
    last = history.shape[0] - 1
    sums = np.stack([history[:, m].sum(axis=1) for m in masks])  # areas x months 0..last
    months = step + offsets
    inside = (months >= 1) & (months <= last)
    level = np.full((len(masks), offsets.size), np.nan)
    level[:, inside] = sums[:, months[inside]]
    before = np.arange(max(1, step - PRE_MONTHS), step)
    reference = sums[:, before].mean(axis=1) if before.size else np.full(len(masks), np.nan)
    return level, reference


def _pooled(level: np.ndarray, reference: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """100 x (sum of levels / sum of reference levels - 1), over the events present at each offset."""
    present = np.isfinite(level) & np.isfinite(reference)[:, :, None]
    top = np.einsum("e,eak->ak", weights, np.where(present, level, 0.0))
    bottom = np.einsum("e,eak->ak", weights, np.where(present, reference[:, :, None], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, 100.0 * (top / bottom - 1.0), np.nan)


def _bootstrap_weights(owners: np.ndarray, runs: int, resamples: int, seed: int) -> np.ndarray:
    """How often each event counts in each resample: whole runs resampled, or events if one run."""
    rng = np.random.default_rng(seed)
    if runs > 1:
        picks = rng.multinomial(runs, np.full(runs, 1.0 / runs), size=resamples)  # resamples x runs
        return picks[:, owners].astype(float)
    n = owners.size
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)
