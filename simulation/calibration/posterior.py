"""Summaries of a weighted posterior sample (no pyabc needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, levels: Sequence[float]) -> list[float]:
    """Quantiles of a weighted sample: the inverse of its weighted empirical distribution, with the
    mass of each value centred on it (so equal weights give the usual midpoint quantiles)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order] / weights.sum()
    cumulative = np.cumsum(weights) - weights / 2
    return [float(np.interp(level, cumulative, values)) for level in levels]


def credible_interval(values: np.ndarray, weights: np.ndarray, mass: float = 0.9) -> tuple[float, float]:
    """The central interval holding ``mass`` of the posterior."""
    tail = (1 - mass) / 2
    low, high = weighted_quantiles(values, weights, (tail, 1 - tail))
    return low, high
