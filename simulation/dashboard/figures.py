"""The dashboard's map: one spatial layer of the grid, with the jurisdiction border and the zones.

A plain matplotlib ``Figure`` (no pyplot state, so nothing leaks between browser sessions or
months); the page turns it into a PNG. Outlines are drawn as cell-edge segments rather than
contours: exact on a grid, and several times cheaper, which matters at five pictures a second.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure

from simulation.dashboard.session import TrainingSession

View = Literal["live", "comparison", "difference"]
VIEWS: dict[str, str] = {
    "live": "live run",
    "comparison": "comparison run",
    "difference": "live − comparison",
}
MAP_LAYERS: dict[str, str] = {
    "control": "OCG territories (colour = group)",
    "activity": "illicit activity (units sold)",
    "violence": "violent incidents",
    "enforcement": "police effort",
    "victimisation": "new victims",
    "control_strength": "control strength",
    "ocg_legitimacy": "perceived OCG legitimacy",
    "population": "population",
}
"""The layers the map offers, first those the issue's trainers asked for, with their titles."""
LAYER_COLOURS: dict[str, str] = {
    "activity": "magma_r",
    "control_strength": "Greens",
    "violence": "Reds",
    "enforcement": "Blues",
    "victimisation": "Purples",
    "population": "Greys",
    "ocg_legitimacy": "Oranges",
}
GROUP_COLOURS: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
    "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd", "#e6550d",
    "#31a354", "#756bb1", "#636363", "#843c39",
)  # fmt: skip
"""Twenty distinct colours; group ``g`` gets ``GROUP_COLOURS[g % 20]`` (splinter groups get new ids)."""
NO_GROUP = "#eeeeee"
BORDER_COLOUR = "black"
ZONE_COLOUR = "#00838f"
LEVER_COLOUR = "#00e5ff"


def control_colours(n_groups: int) -> tuple[ListedColormap, BoundaryNorm]:
    """A colour per group id (``-1``, no group, in pale grey), stable across months and runs."""
    n = max(1, n_groups)
    colours = [NO_GROUP] + [GROUP_COLOURS[i % len(GROUP_COLOURS)] for i in range(n)]
    return ListedColormap(colours), BoundaryNorm(np.arange(-1.5, n + 0.5), len(colours))


def edges(mask: np.ndarray | None) -> np.ndarray:
    """The cell edges between ``mask`` and not-``mask`` (the grid's rim excluded), as segments
    ``[[(x0, y0), (x1, y1)], ...]`` in the map's coordinates (cell ``(x, y)`` centred on ``x, y``)."""
    if mask is None or not mask.any() or mask.all():
        return np.zeros((0, 2, 2))
    mask = mask.astype(bool)
    xs, ys = np.nonzero(mask[1:, :] != mask[:-1, :])  # between column x and x + 1
    vertical = [[(x + 0.5, y - 0.5), (x + 0.5, y + 0.5)] for x, y in zip(xs, ys, strict=True)]
    xs, ys = np.nonzero(mask[:, 1:] != mask[:, :-1])  # between row y and y + 1
    horizontal = [[(x - 0.5, y + 0.5), (x + 0.5, y + 0.5)] for x, y in zip(xs, ys, strict=True)]
    return np.array(vertical + horizontal, dtype=float).reshape(-1, 2, 2)


class MapPicture:
    """One layer and view of a session's map, kept between months: a new month only swaps the
    picture's data, title and outlines (building the axes anew each month costs more than
    drawing them). The jurisdiction border is drawn in black, the scenario's zones outlined and
    named in teal, the cells where a targeted lever acted last month in dashed cyan."""

    def __init__(self, session: TrainingSession, layer: str = "control", view: View = "live") -> None:
        if layer not in MAP_LAYERS:
            raise ValueError(f"unknown map layer {layer!r}; layers: {', '.join(MAP_LAYERS)}")
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; views: {', '.join(VIEWS)}")
        self.session, self.layer, self.view = session, layer, view
        self.figure = Figure(figsize=(5.2, 4.6), dpi=85)
        self.figure.subplots_adjust(left=0.02, bottom=0.02, top=0.93, right=0.98)
        ax = self.axes = self.figure.add_subplot()
        shape = session.layer(layer).shape
        self.image = ax.imshow(np.zeros(shape).T, origin="lower", interpolation="nearest")
        if layer == "control" and view == "difference":
            self.image.set_cmap(ListedColormap([NO_GROUP, "#8e44ad"]))
            self.image.set_clim(0, 1)
        elif layer != "control":
            label = "more in live run ↑   less ↓" if view == "difference" else None
            self.image.set_cmap("RdBu_r" if view == "difference" else LAYER_COLOURS.get(layer, "viridis"))
            self.figure.colorbar(self.image, ax=ax, shrink=0.85, pad=0.02, label=label)
        self.groups = 0
        jurisdiction = session.layer("jurisdiction")
        border = [edges(jurisdiction >= j) for j in range(1, int(jurisdiction.max()) + 1)]
        ax.add_collection(
            LineCollection(
                np.concatenate([np.zeros((0, 2, 2)), *border]), colors=BORDER_COLOUR, linewidths=2.0
            )
        )
        self.zone_lines = ax.add_collection(LineCollection([], colors=ZONE_COLOUR, linewidths=1.3))
        self.lever_lines = ax.add_collection(
            LineCollection([], colors=LEVER_COLOUR, linewidths=1.3, linestyles="dashed")
        )
        self.zone_labels: list = []
        self.zones_drawn: tuple = ()
        ax.set_xlim(-0.5, shape[0] - 0.5)
        ax.set_ylim(-0.5, shape[1] - 0.5)
        ax.set_xticks([])
        ax.set_yticks([])

    def draw(self) -> Figure:
        """The figure as of the session's latest month."""
        session, layer, view = self.session, self.layer, self.view
        live = session.layer(layer, "live")
        ghost = session.layer(layer, "comparison")
        title = MAP_LAYERS[layer]
        if layer == "control" and view == "difference":
            self.image.set_data((live != ghost).astype(float).T)
            title = "cells held by another group than in the comparison run"
        elif layer == "control":
            groups = max(session.live.next_gid, session.ghost.next_gid)
            if groups != self.groups:  # a split creates a group: one more colour
                cmap, norm = control_colours(groups)
                self.image.set_cmap(cmap)
                self.image.set_norm(norm)
                self.groups = groups
            self.image.set_data(live.T if view == "live" else ghost.T)
        elif view == "difference":
            diff = live.astype(float) - ghost.astype(float)
            bound = float(np.abs(diff).max()) or 1.0
            self.image.set_data(diff.T)
            self.image.set_norm(TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound))
        else:
            top = float(max(np.nanmax(live), np.nanmax(ghost))) or 1.0
            self.image.set_data((live if view == "live" else ghost).T)
            self.image.set_clim(0.0, top)
        self._draw_zones()
        self.lever_lines.set_segments(edges(session.lever_area()))
        self.axes.set_title(f"{title} — {VIEWS[view]}, month {session.month}", fontsize=9)
        return self.figure

    def _draw_zones(self) -> None:
        """Zone outlines and names; redrawn only when a zone changes (a hotspot zone is fixed
        from observed activity in its month)."""
        zones = {name: mask for name, mask in self.session.zones().items() if mask.any() and not mask.all()}
        key = tuple((name, mask.tobytes()) for name, mask in zones.items())
        if key == self.zones_drawn:
            return
        self.zones_drawn = key
        for label in self.zone_labels:
            label.remove()
        self.zone_labels = []
        segments = [edges(mask) for mask in zones.values()]
        self.zone_lines.set_segments(np.concatenate([np.zeros((0, 2, 2)), *segments]))
        for name, mask in zones.items():
            xs, ys = np.nonzero(mask)
            self.zone_labels.append(
                self.axes.text(xs.min() - 0.3, ys.max() + 0.3, name, color=ZONE_COLOUR, fontsize=7, va="top")
            )

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # light compression: a fifth of the encoding time for a slightly larger picture
        self.draw().savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


def map_figure(session: TrainingSession, layer: str = "control", view: View = "live") -> Figure:
    """One layer of the map as of the latest month (a fresh picture; the page keeps one)."""
    return MapPicture(session, layer, view).draw()
