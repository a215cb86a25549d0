"""Paired comparisons of a strategy with its counterfactual under common random numbers.

Replication *i* of the strategy and of the counterfactual share a seed, so their difference
removes the luck both runs share; the spread of the differences across replications is the
uncertainty of the effect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PairedEffect:
    """Mean paired difference (strategy − counterfactual) of an indicator over a window."""

    indicator: str
    window: tuple[int, int]
    differences: tuple[float, ...]
    """One per replication."""

    @property
    def mean(self) -> float:
        return float(np.mean(self.differences))

    @property
    def standard_error(self) -> float:
        n = len(self.differences)
        return float(np.std(self.differences, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")

    @property
    def t(self) -> float:
        """Paired t statistic; |t| > 2 is roughly a 95 % two-sided signal for 8+ replications.

        Identical pairs (no spread, no difference) give 0, not NaN: nothing changed.
        """
        se = self.standard_error
        if se > 0:
            return self.mean / se
        return 0.0 if self.mean == 0 else math.copysign(math.inf, self.mean)

    def describe(self) -> str:
        first, last = self.window
        return (
            f"{self.indicator}, months {first}-{last}: strategy - counterfactual = {self.mean:+.3g} "
            f"(s.e. {self.standard_error:.3g}, t = {self.t:+.2f}, n = {len(self.differences)})"
        )


def paired_effect(
    pairs: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    indicator: str,
    window: tuple[int, int],
    how: str = "mean",
) -> PairedEffect:
    """The effect on ``indicator`` over the inclusive ``window`` from (strategy, counterfactual) pairs."""
    first, last = window
    differences = []
    for strategy, counterfactual in pairs:
        a = getattr(strategy.loc[first:last, indicator], how)()
        b = getattr(counterfactual.loc[first:last, indicator], how)()
        differences.append(float(a - b))
    return PairedEffect(indicator, window, tuple(differences))
