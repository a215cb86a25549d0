"""Summary statistics of a run's monthly indicators, and the distance between two sets of them.

A pattern target is one number computed from one indicator over a window of months: ``mean``,
``sd`` (sample standard deviation), ``cv`` (sd / |mean|), ``trend`` (ordinary least-squares
slope, per year) or a ``quantile``. An observed series contributes one number per row of its
CSV: the indicator's value in that month. The distance is the weighted sum of squared
standardised differences, sum_k w_k ((x_k - y_k) / sd_k)^2; a statistic that cannot be computed
(an indicator undefined over the whole window, a cv with zero mean) makes the distance infinite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MONTHS_PER_YEAR = 12


def statistic(values: np.ndarray, steps: np.ndarray, kind: str, q: float | None = None) -> float:
    """One statistic of a series (NaN months are left out)."""
    values = np.asarray(values, dtype=float)
    steps = np.asarray(steps, dtype=float)
    keep = np.isfinite(values)
    values, steps = values[keep], steps[keep]
    if values.size == 0:
        return float("nan")
    if kind == "mean":
        return float(values.mean())
    if kind == "quantile":
        return float(np.quantile(values, q))
    if values.size < 2:
        return float("nan")
    if kind == "sd":
        return float(values.std(ddof=1))
    if kind == "cv":
        mean = values.mean()
        return float(values.std(ddof=1) / abs(mean)) if mean != 0 else float("nan")
    if kind == "trend":
        centred = steps - steps.mean()
        return float((centred * (values - values.mean())).sum() / (centred**2).sum() * MONTHS_PER_YEAR)
    raise ValueError(f"unknown statistic {kind!r}")


@dataclass(frozen=True)
class Target:
    """One compiled summary statistic: its key, how to compute it, the observed value and scale."""

    key: str
    metric: str
    statistic: str  # mean | sd | cv | trend | quantile | value (one month of an observed series)
    first: int
    last: int
    observed: float
    sd: float
    weight: float = 1.0
    q: float | None = None

    def compute(self, metrics: pd.DataFrame) -> float:
        if self.metric not in metrics.columns:
            return float("nan")
        column = metrics[self.metric]
        if self.statistic == "value":
            return float(column.get(self.first, np.nan))
        window = column.loc[self.first : self.last]
        return statistic(window.to_numpy(), window.index.to_numpy(), self.statistic, self.q)


def compile_targets(calibration) -> list[Target]:
    """The calibration's targets as a flat list of statistics (a series gives one per row)."""
    compiled = []
    steps = calibration.steps
    for i, spec in enumerate(calibration.spec.targets):
        if spec.observed is not None:
            for row in calibration.observed[i].frame.itertuples(index=False):
                compiled.append(
                    Target(
                        f"t{i}:{row.indicator}@{int(row.step)}",
                        row.indicator,
                        "value",
                        int(row.step),
                        int(row.step),
                        float(row.value),
                        float(row.sd),
                        spec.weight,
                    )
                )
            continue
        first, last = spec.window or (1, steps)
        compiled.append(
            Target(
                f"t{i}:{spec.statistic}:{spec.metric}",
                spec.metric,  # type: ignore[arg-type]
                spec.statistic,  # type: ignore[arg-type]
                first,
                last,
                float(spec.value),  # type: ignore[arg-type]
                float(spec.sd),  # type: ignore[arg-type]
                spec.weight,
                spec.q,
            )
        )
    return compiled


def summary_statistics(targets: list[Target], metrics: pd.DataFrame) -> dict[str, float]:
    """Every target's statistic of one run's metrics (index: step from 1)."""
    return {t.key: t.compute(metrics) for t in targets}


def observed_statistics(targets: list[Target]) -> dict[str, float]:
    return {t.key: t.observed for t in targets}


@dataclass(frozen=True)
class Distance:
    """Weighted sum of squared standardised differences; picklable for worker processes."""

    sd: Mapping[str, float]
    weight: Mapping[str, float]

    @classmethod
    def of(cls, targets: list[Target]) -> Distance:
        return cls({t.key: t.sd for t in targets}, {t.key: t.weight for t in targets})

    def __call__(self, simulated: Mapping[str, float], observed: Mapping[str, float]) -> float:
        total = 0.0
        for key, sd in self.sd.items():
            z = (float(simulated[key]) - float(observed[key])) / sd
            if not np.isfinite(z):
                return float("inf")
            total += self.weight[key] * z * z
        return total
