"""The dashboard's pictures: the map of a spatial layer and the indicator charts with a ghost line.

Plain matplotlib ``Figure`` objects (no pyplot state, so nothing leaks between browser sessions
or months); the page turns them into images.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure

from simulation.dashboard.session import UNITS, TrainingSession

View = Literal["live", "comparison", "difference"]
VIEWS: dict[str, str] = {
    "live": "live run",
    "comparison": "comparison run",
    "difference": "live − comparison",
}
LAYER_COLOURS: dict[str, str] = {
    "activity": "magma_r",
    "control_strength": "Greens",
    "violence": "Reds",
    "enforcement": "Blues",
    "victimisation": "Purples",
    "population": "Greys",
    "ocg_legitimacy": "Oranges",
    "jurisdiction": "Pastel1",
}
LAYER_TITLES: dict[str, str] = {
    "activity": "illicit activity (units sold)",
    "control": "territory (colour = group)",
    "control_strength": "control strength",
    "violence": "violent incidents",
    "enforcement": "police effort",
    "victimisation": "new victims",
    "population": "population",
    "ocg_legitimacy": "perceived OCG legitimacy",
    "jurisdiction": "jurisdictions",
}
LIVE_COLOUR = "#c0392b"
GHOST_COLOUR = "#7f8c8d"


def _control_colours(n_groups: int) -> tuple[ListedColormap, BoundaryNorm]:
    """No group (-1) in pale grey; groups cycle through 20 distinct colours."""
    base = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
        "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
        "#dbdb8d", "#9edae5", "#393b79", "#637939",
    ]  # fmt: skip
    colours = ["#eeeeee"] + [base[i % len(base)] for i in range(max(1, n_groups))]
    bounds = np.arange(-1.5, max(1, n_groups) + 0.5)
    return ListedColormap(colours), BoundaryNorm(bounds, len(colours))


def _outline(ax, mask: np.ndarray, colour: str, width: float = 1.2, style: str = "-") -> None:
    """Draw the edge of a boolean [x, y] mask."""
    if mask is None or not mask.any() or mask.all():
        return
    ax.contour(
        np.arange(mask.shape[0]),
        np.arange(mask.shape[1]),
        mask.T.astype(float),
        levels=[0.5],
        colors=colour,
        linewidths=width,
        linestyles=style,
    )


def map_figure(session: TrainingSession, layer: str = "activity", view: View = "live") -> Figure:
    """One spatial layer as a map ([x, y] shown with x to the right, y up), with the border
    between jurisdictions (black) and the cells where a targeted lever acted last month (cyan)."""
    fig = Figure(figsize=(5.6, 4.8), dpi=90, layout="constrained")
    ax = fig.add_subplot()
    live = session.layer(layer, "live")
    ghost = session.layer(layer, "comparison")
    title = LAYER_TITLES.get(layer, layer)
    if layer == "control":
        if view == "difference":
            changed = (live != ghost).astype(float)
            two = ListedColormap(["#eeeeee", "#8e44ad"])
            image = ax.imshow(changed.T, origin="lower", cmap=two, vmin=0, vmax=1, interpolation="nearest")
            title = "cells held by another group than in the comparison run"
        else:
            data = live if view == "live" else ghost
            cmap, norm = _control_colours(max(session.live.next_gid, session.ghost.next_gid))
            image = ax.imshow(data.T, origin="lower", cmap=cmap, norm=norm, interpolation="nearest")
    elif view == "difference":
        diff = live.astype(float) - ghost.astype(float)
        bound = float(np.abs(diff).max()) or 1.0
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
        image = ax.imshow(diff.T, origin="lower", cmap="RdBu_r", norm=norm, interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.85, label="more in live run ↑   less ↓")
    else:
        data = live if view == "live" else ghost
        top = float(max(np.nanmax(live), np.nanmax(ghost))) or 1.0
        image = ax.imshow(
            data.T,
            origin="lower",
            cmap=LAYER_COLOURS.get(layer, "viridis"),
            vmin=0.0,
            vmax=top,
            interpolation="nearest",
        )
        fig.colorbar(image, ax=ax, shrink=0.85)
    jurisdiction = session.layer("jurisdiction")
    for j in range(1, int(jurisdiction.max()) + 1):
        _outline(ax, jurisdiction >= j, "black", 1.6)
    _outline(ax, session.lever_area(), "#00bcd4", 1.4, "--")
    ax.set_title(f"{title} — {VIEWS[view]}, month {session.month}", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def charts_figure(session: TrainingSession, indicators: list[str]) -> Figure:
    """Small multiples: the live run (solid) and the comparison run (dashed grey ghost) of each
    indicator, with a dotted line where each of the trainer's changes began to act."""
    indicators = list(indicators) or ["violence"]
    columns = 1 if len(indicators) == 1 else 2
    rows = (len(indicators) + columns - 1) // columns
    fig = Figure(figsize=(7.2, 2.3 * rows + 0.4), dpi=90, layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    change_months = sorted({c.month for c in session.changes})
    for ax, name in zip(axes, indicators, strict=False):
        months, live, ghost = session.series(name)
        ax.plot(months, ghost, color=GHOST_COLOUR, linestyle="--", linewidth=1.4, label="comparison")
        ax.plot(months, live, color=LIVE_COLOUR, linewidth=1.6, label="live")
        for month in change_months:
            ax.axvline(month - 0.5, color="#2c3e50", linestyle=":", linewidth=1)
        ax.set_title(f"{name} ({UNITS.get(name, '')})", fontsize=9)
        ax.set_xlim(0, max(session.last_month, 1))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(indicators) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, loc="best")
    fig.supxlabel("month", fontsize=9)
    return fig
