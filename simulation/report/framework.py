"""The results framework (Toolkit section 8) as a table: effect of the strategy per P and level."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from simulation.analysis.claims import bootstrap_interval, displacement_data, window_values
from simulation.core.indicators import INDICATORS, PRINCIPLE_OF

PRINCIPLE_ORDER = ("prevent", "pursue", "protect", "promote", "all")
LEVEL_ORDER = ("outcome", "output", "input")
CONFIDENCE = 0.95
"""Each end of an effect's interval is a one-sided 95% bound, i.e. a 90% two-sided interval."""


def evaluation_window(config: dict[str, Any], last_step: int) -> tuple[int, int]:
    """From the month after the first lever starts to the end of the run."""
    starts = [
        lever["start"]
        for principle in ("prevent", "pursue", "protect", "promote")
        for lever in (config.get("strategy", {}).get(principle) or {}).values()
        if lever
    ]
    first = max(1, min(starts) + 1) if starts else 1
    return (min(first, last_step), last_step)


def _mean_difference(x: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(x) - np.mean(b))


def framework_table(
    metrics: pd.DataFrame, strategy: str, counterfactual: str, window: tuple[int, int]
) -> pd.DataFrame:
    """One row per indicator: P, level, unit, means with and without, paired difference and interval."""
    s = metrics[metrics["scenario"] == strategy]
    c = metrics[metrics["scenario"] == counterfactual]
    rows = []
    for indicator in INDICATORS:
        if indicator.name not in s.columns:
            continue
        x, b = window_values(s, indicator.name, window).align(
            window_values(c, indicator.name, window), join="inner"
        )
        if len(x) == 0:
            continue
        xs, bs = x.to_numpy(), b.to_numpy()
        estimate = _mean_difference(xs, bs)
        low, high = (
            bootstrap_interval((xs, bs), _mean_difference, CONFIDENCE) if len(xs) > 1 else (math.nan,) * 2
        )
        base = float(np.mean(bs))
        rows.append(
            {
                "principle": PRINCIPLE_OF.get(indicator.name, "all"),
                "level": indicator.level,
                "indicator": indicator.name,
                "unit": indicator.unit,
                "without": base,
                "with": float(np.mean(xs)),
                "difference": estimate,
                "low": low,
                "high": high,
                "relative": estimate / base if base else math.nan,
                "clear": bool(low > 0 or high < 0) if not math.isnan(low) else False,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["principle"] = pd.Categorical(table["principle"], PRINCIPLE_ORDER, ordered=True)
    table["level"] = pd.Categorical(table["level"], LEVEL_ORDER, ordered=True)
    return table.sort_values(["principle", "level"], kind="stable").reset_index(drop=True)


def displacement_table(
    metrics: pd.DataFrame, strategy: str, counterfactual: str, window: tuple[int, int]
) -> pd.DataFrame:
    """Displacement ratio, share across the border and WDQ with intervals (pooled over replications)."""
    s = metrics[metrics["scenario"] == strategy]
    c = metrics[metrics["scenario"] == counterfactual]
    rows = []
    for metric, meaning in (
        ("displacement_ratio", "activity appearing outside the target per unit removed from it"),
        ("cross_border_share", "share of that increase across the border"),
        ("wdq", "weighted displacement quotient (Bowers & Johnson 2003), counterfactual design"),
    ):
        try:
            arrays, statistic = displacement_data(metric, s, c, window)
        except ValueError:
            return pd.DataFrame()
        estimate = statistic(*arrays)
        low, high = (
            bootstrap_interval(arrays, statistic, CONFIDENCE) if len(arrays[0]) > 1 else (math.nan,) * 2
        )
        rows.append({"measure": metric, "meaning": meaning, "estimate": estimate, "low": low, "high": high})
    return pd.DataFrame(rows)
