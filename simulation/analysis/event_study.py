"""Event studies: what a layer does around events (a leader's arrest, a split, a crackdown's onset).

The design of Lindo & Padilla-Romo (2018) and Calderón et al. (2015) for kingpin captures: the
layer's level in the area the event concerns (ring 0: the group's territory at the arrest, or the
lever's target), in the cells around it (ring 1, ring 2: within 1 and 2 Moore steps, outside the
rings before) and in the rest of the grid, month by month relative to the event, as a percentage of
its own mean over the months before the event. Events are pooled as a ratio of sums (so a quiet area
does not divide by zero) and the band is a percentile bootstrap that resamples whole runs (events of
one run share its history), or events when there is one run.

Alone, this is a before/after design: events are not random (leaders are caught where police
look) and the areas have trends of their own, so a change is an association. Given
``counterfactual`` runs (run i of the scenario without its strategy, same seed as run i), it is a
difference in differences, the design of the studies themselves: the change in the event's areas
over the change in the same cells and months of the counterfactual, which shares the run's world
and seed but had no lever to remove the leader.
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
    counterfactual: Any = None,
) -> pd.DataFrame:
    """The layer around ``kind`` events, per month relative to the event, as % of the pre-event mean.

    ``results``: a ``RunResult`` or several, run with ``output.history`` naming ``layer``.
    ``where``: keep only events whose fields equal these values (``{"convicted": True}``: arrests
    that removed the leader). ``counterfactual``: runs paired one to one with ``results`` (same
    seeds, no strategy): the change is then taken against theirs in the same cells and months
    (difference in differences). Returns one row per (relative month, area) with ``percent``
    (pooled change against the pre-event mean), ``low`` and ``high`` (the ``confidence`` band),
    ``events`` (how many events have that month inside their run) and ``runs``.
    """
    start, end = window
    if start > -1 or end < 0:
        raise ValueError(
            f"window {window} must run from before the event (< 0) to at least the event month (0)"
        )
    offsets = np.arange(start, end + 1)
    level, reference, control, owners, runs, areas = _collect(
        results, kind, offsets, layer, rings, where, counterfactual
    )
    estimate = _pooled(level, reference, np.ones(len(owners)), control)
    weights = _bootstrap_weights(owners, runs, resamples, seed)
    low, high = _band(np.stack([_pooled(level, reference, w, control) for w in weights]), confidence)
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
    counterfactual: Any = None,
) -> pd.DataFrame:
    """The change over relative months ``months`` (inclusive, e.g. (0, 11): the first year) per area.

    Levels are pooled over the window's months and the events (ratio of sums against the
    pre-event mean times the months each event has), and the band is bootstrapped the same way,
    so it is the interval of the window's change, not an average of monthly intervals. With
    ``counterfactual`` runs (as in ``event_study``) it is the difference in differences. One row
    per area: ``percent``, ``low``, ``high``, ``events``, ``runs``.
    """
    first, last = months
    if first < 0 or last < first:
        raise ValueError(f"months {months} must be a range of months after the event, e.g. (0, 11)")
    offsets = np.arange(first, last + 1)
    level, reference, control, owners, runs, areas = _collect(
        results, kind, offsets, layer, rings, where, counterfactual
    )
    summed, base = _over_window(level, reference)
    if control is not None:
        control = _over_window(*control)
    estimate = _pooled(summed, base, np.ones(len(owners)), control)[:, 0]
    weights = _bootstrap_weights(owners, runs, resamples, seed)
    low, high = _band(np.stack([_pooled(summed, base, w, control)[:, 0] for w in weights]), confidence)
    frame = pd.DataFrame({"percent": estimate, "low": low, "high": high}, index=pd.Index(areas, name="area"))
    frame["events"] = int((np.isfinite(level[:, 0, :]).sum(axis=1) > 0).sum())
    frame["runs"] = runs
    return frame


def _over_window(level: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per event and area: the window's summed level, and the pre-event mean times its months."""
    counted = np.isfinite(level).sum(axis=2)  # events x areas
    summed = np.where(counted[:, :, None] > 0, np.nansum(level, axis=2)[:, :, None], np.nan)
    base = np.where(counted > 0, reference * counted, np.nan)
    return summed, base


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
    counterfactual: Any = None,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, np.ndarray, int, list[str]]:
    """Per event: the areas' levels at each offset and their pre-event means, the same in the
    paired counterfactual run (None without one), and which run the event is in."""
    runs = _as_runs(results)
    controls = None if counterfactual is None else _as_runs(counterfactual)
    if controls is not None and len(controls) != len(runs):
        raise ValueError(
            f"counterfactual has {len(controls)} runs for {len(runs)} runs: pair them one to one "
            "(run i of the scenario without its strategy, on the seed of run i)"
        )
    if sorted(set(rings)) != list(rings) or (rings and rings[0] < 0):
        raise ValueError(f"rings must be increasing and non-negative, got {rings}")
    found: list[tuple[np.ndarray, np.ndarray]] = []
    matched: list[tuple[np.ndarray, np.ndarray]] = []
    owners = []
    for index, run in enumerate(runs):
        history = _history(run, layer)
        other = None if controls is None else _history(controls[index], layer)
        if other is not None and other.shape != history.shape:
            raise ValueError(
                f"run {index} and its counterfactual differ in shape ({history.shape} against "
                f"{other.shape}): a counterfactual must share the run's world and months"
            )
        for event in _events(run, kind, where):
            masks = _areas(event, history.shape[1:], rings)
            found.append(_around(history, int(event["step"]), offsets, masks))
            if other is not None:
                matched.append(_around(other, int(event["step"]), offsets, masks))
            owners.append(index)
    if not found:
        raise ValueError(
            f"no {kind!r} events{' matching ' + str(dict(where)) if where else ''} in these runs"
        )
    areas = [_area_name(r) for r in rings] + ["rest"]
    level, reference = (np.stack(parts) for parts in zip(*found, strict=True))
    control = tuple(np.stack(parts) for parts in zip(*matched, strict=True)) if matched else None
    return level, reference, control, np.array(owners), len(runs), areas


def _as_runs(results: Any) -> list[Any]:
    return [results] if not isinstance(results, Iterable) else list(results)


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


def _pooled(
    level: np.ndarray,
    reference: np.ndarray,
    weights: np.ndarray,
    control: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """100 x (sum of levels / sum of reference levels - 1), over the events present at each offset;
    with a ``control`` (the counterfactual's levels and references), that ratio over the control's."""
    ratio = _ratio(level, reference, weights)
    if control is not None:
        without = _ratio(*control, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(without > 0, ratio / without, np.nan)
    return 100.0 * (ratio - 1.0)


def _ratio(level: np.ndarray, reference: np.ndarray, weights: np.ndarray) -> np.ndarray:
    present = np.isfinite(level) & np.isfinite(reference)[:, :, None]
    top = np.einsum("e,eak->ak", weights, np.where(present, level, 0.0))
    bottom = np.einsum("e,eak->ak", weights, np.where(present, reference[:, :, None], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)


def _bootstrap_weights(owners: np.ndarray, runs: int, resamples: int, seed: int) -> np.ndarray:
    """How often each event counts in each resample: whole runs resampled, or events if one run."""
    rng = np.random.default_rng(seed)
    if runs > 1:
        picks = rng.multinomial(runs, np.full(runs, 1.0 / runs), size=resamples)  # resamples x runs
        return picks[:, owners].astype(float)
    n = owners.size
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)
