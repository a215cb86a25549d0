"""The report's figures (seaborn on matplotlib's Agg backend): each says what it shows, with units."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from simulation.core.indicators import DISPLACEMENT_INDICATORS, INDICATORS

UNITS = {i.name: i.unit for i in (*INDICATORS, *DISPLACEMENT_INDICATORS)}
LABELS = {i.name: i.description for i in (*INDICATORS, *DISPLACEMENT_INDICATORS)}
INTERVAL = 90
"""Uncertainty bands: the 90% percentile interval across replications."""

sns.set_theme(style="whitegrid", context="notebook")


def wrap(text: str, figure_inches: float, fontsize: float = 10) -> str:
    """Break a title into lines that fit the figure's width (about 0.55 em per character)."""
    per_line = max(20, int(figure_inches * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.wrap(text, per_line)) or text


def label(indicator: str) -> str:
    unit = UNITS.get(indicator, "")
    return indicator.replace("_", " ") + (f" ({unit})" if unit else "")


def time_series(
    metrics: pd.DataFrame, indicators: Sequence[str], strategy: str, counterfactual: str
) -> Figure:
    """Strategy vs counterfactual, month by month, median and 90% band across paired replications."""
    shown = [i for i in indicators if i in metrics.columns]
    columns = 2
    rows = math.ceil(len(shown) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(12, 3.2 * rows + 0.4), squeeze=False, layout="constrained"
    )
    frame = metrics[metrics["scenario"].isin([strategy, counterfactual])].copy()
    frame["run"] = frame["scenario"].map(
        {strategy: "with the strategy", counterfactual: "without (counterfactual)"}
    )
    for ax, indicator in zip(axes.flat, shown, strict=False):
        sns.lineplot(
            data=frame, x="step", y=indicator, hue="run", estimator="median",
            errorbar=("pi", INTERVAL), ax=ax, palette=["#1f77b4", "#999999"],
        )  # fmt: skip
        ax.set_title(LABELS.get(indicator, indicator), fontsize=10)
        ax.set_xlabel("month")
        ax.set_ylabel(label(indicator))
        ax.legend(fontsize=8, title=None)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    figure.suptitle(
        wrap(f"{strategy}: key indicators with and without the strategy (median, {INTERVAL}% band)", 12, 12)
    )
    return figure


def difference_maps(differences: dict[str, np.ndarray], step: int) -> Figure:
    """Where the strategy changed activity, control and violence: mean paired difference per cell."""
    layers = list(differences)
    figure, axes = plt.subplots(
        1, len(layers), figsize=(5 * len(layers), 4.6), squeeze=False, layout="constrained"
    )
    for ax, layer in zip(axes.flat, layers, strict=True):
        values = differences[layer].T  # rows = y, columns = x, as on a map
        bound = float(np.nanmax(np.abs(values))) or 1.0
        sns.heatmap(values, ax=ax, cmap="RdBu_r", center=0, vmin=-bound, vmax=bound, square=True,
                    xticklabels=False, yticklabels=False, cbar_kws={"shrink": 0.8})  # fmt: skip
        ax.invert_yaxis()
        ax.set_title(f"{layer.replace('_', ' ')}: strategy − counterfactual")
    figure.suptitle(f"Month {step}: change per cell caused by the strategy (red = more, blue = less)")
    return figure


def verdict_forest(verdicts: pd.DataFrame) -> Figure:
    """Each claim's estimate with its interval against the threshold it must reach."""
    n = len(verdicts)
    figure, axes = plt.subplots(n, 1, figsize=(10, 1.5 * n + 0.8), squeeze=False, layout="constrained")
    colours = {"HOLDS": "#2ca02c", "FAILS": "#d62728", "INCONCLUSIVE": "#ff7f0e"}
    for ax, row in zip(axes.flat, verdicts.itertuples(), strict=True):
        scale = 100.0 if row.kind == "relative" else 1.0
        unit = "%" if row.kind == "relative" else UNITS.get(row.metric, "")
        estimate, low, high, threshold = (
            (v * scale if v is not None and not pd.isna(v) else np.nan)
            for v in (row.estimate, row.low, row.high, row.threshold)
        )
        colour = colours.get(row.verdict, "black")
        if not math.isnan(low):
            ax.plot([low, high], [0, 0], color=colour, linewidth=4, solid_capstyle="butt")
        ax.plot([estimate], [0], "o", color="black")
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
        ax.set_yticks([])
        ax.set_title(wrap(f"{row.verdict}: {row.claim}", 10, 9), loc="left", fontsize=9, color=colour)
        ax.set_xlabel(
            f"{'change' if row.kind != 'level' else 'level'} of {row.metric.replace('_', ' ')}"
            + (f" ({unit})" if unit else "")
        )
    figure.suptitle("Claims: estimate (dot), interval (bar) and the threshold to reach (dashed)", fontsize=11)
    return figure


def feature_scores(scores: dict[str, float], title: str) -> Figure:
    frame = pd.DataFrame({"assumption": list(scores), "score": list(scores.values())}).sort_values("score")
    figure, ax = plt.subplots(figsize=(9, 0.5 * len(frame) + 1.6), layout="constrained")
    sns.barplot(data=frame, x="score", y="assumption", ax=ax, color="#1f77b4")
    ax.set_xlabel("feature score (share of the estimate's variation explained; extra trees)")
    ax.set_ylabel("")
    ax.set_title(wrap(title, 6), fontsize=10)
    return figure


def challenge_scatter(points: pd.DataFrame, x: str, y: str, holds: str, title: str) -> Figure:
    figure, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    frame = points.assign(outcome=np.where(points[holds], "claim holds", "claim fails"))
    sns.scatterplot(data=frame, x=x, y=y, hue="outcome", hue_order=["claim holds", "claim fails"],
                    palette=["#2ca02c", "#d62728"], ax=ax)  # fmt: skip
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(wrap(title, 6), fontsize=10)
    return figure


def sensitivity_bars(indices: dict[str, dict[str, float]], title: str) -> Figure:
    rows = [
        {"index": k, "assumption": a, "value": v} for k, values in indices.items() for a, v in values.items()
    ]
    frame = pd.DataFrame(rows)
    figure, ax = plt.subplots(figsize=(9, 0.6 * frame["assumption"].nunique() + 1.8), layout="constrained")
    sns.barplot(data=frame, x="value", y="assumption", hue="index", ax=ax)
    ax.set_xlabel("sensitivity index")
    ax.set_ylabel("")
    ax.set_title(wrap(title, 6), fontsize=10)
    return figure


def sweep_response(
    metrics: pd.DataFrame, parameter: str, indicators: Sequence[str], last_months: int = 12
) -> Figure:
    """Each indicator (mean of the last months of each run) against a swept parameter, 90% CI."""
    last = metrics["step"].max() - last_months + 1
    per_run = (
        metrics[metrics["step"] >= last]
        .groupby(["scenario", "point", "replication", parameter], as_index=False)[list(indicators)]
        .mean()
    )
    columns = 2
    rows = math.ceil(len(indicators) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(12, 3.2 * rows + 0.4), squeeze=False, layout="constrained"
    )
    for ax, indicator in zip(axes.flat, indicators, strict=False):
        sns.lineplot(data=per_run, x=parameter, y=indicator, hue="scenario", errorbar=("ci", INTERVAL),
                     marker="o", ax=ax)  # fmt: skip
        ax.set_ylabel(label(indicator))
        ax.set_title(LABELS.get(indicator, indicator), fontsize=10)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_visible(False)
    figure.suptitle(
        wrap(
            f"Indicators against {parameter} (mean of each run's last {last_months} months; {INTERVAL}% CI)",
            12,
            12,
        )
    )
    return figure


EVENT_AREAS = {
    "territory": ("the group's territory", "#d62728"),
    "ring 1": ("cells one step away", "#ff7f0e"),
    "ring 2": ("cells two steps away", "#1f77b4"),
    "rest": ("rest of the grid", "#7f7f7f"),
}


def event_study(study: pd.DataFrame, layer: str, title: str) -> Figure:
    """A layer around events, per month relative to the event: % of each area's pre-event mean,
    one line and band per area, the event's month marked."""
    figure, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvline(0.0, color="black", linestyle="--", linewidth=1.2)
    for area, frame in study.groupby("area", sort=False):
        name, colour = EVENT_AREAS.get(str(area), (str(area), None))
        frame = frame.sort_values("relative_month")
        line = ax.plot(frame["relative_month"], frame["percent"], label=name, color=colour, linewidth=1.8)
        ax.fill_between(frame["relative_month"], frame["low"], frame["high"], color=line[0].get_color(),
                        alpha=0.15, linewidth=0)  # fmt: skip
    ax.set_xlabel("months relative to the event (0: the month it happened)")
    ax.set_ylabel(f"{layer.replace('_', ' ')}: % change against the months before")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(wrap(title, 10, 10), fontsize=10)
    return figure
