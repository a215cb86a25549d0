"""The dashboard's map: one spatial layer of the grid, with the jurisdiction border and the zones.

The picture is painted straight from the layer arrays — a block of pixels per cell, outlines on
the cell edges, a colour scale on the right — and encoded as PNG with Pillow. That takes a few
milliseconds; a matplotlib figure of the same map took about forty, most of a month's budget
when the page runs at five months a second. Colours come from matplotlib's colour maps.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize, TwoSlopeNorm, to_rgba
from PIL import Image, ImageDraw, ImageFont

from simulation.dashboard.session import TrainingSession

View = Literal["live", "comparison", "difference"]
VIEWS: dict[str, str] = {
    "live": "live run",
    "comparison": "comparison run",
    "difference": "live − comparison",
}
MAP_LAYERS: dict[str, str] = {
    "control": "OCG territories (colour = group)",
    "activity": "illicit activity (sales and goods in transit)",
    "violence": "violent incidents",
    "enforcement": "police effort",
    "victimisation": "new victims",
    "retail": "street sales (where buyers buy)",
    "control_strength": "control strength",
    "ocg_legitimacy": "perceived OCG legitimacy",
    "population": "population",
}
"""The layers the map offers, first those the trainers asked for, with their titles."""
LAYER_COLOURS: dict[str, str] = {
    "activity": "magma_r",
    "retail": "magma_r",
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
CHANGED_HANDS = "#8e44ad"
BORDER_COLOUR = "#000000"
ZONE_COLOUR = "#00838f"
LEVER_COLOUR = "#00b8d4"
CELL = 9
"""Pixels per cell side."""
SCALE_WIDTH = 64
"""Pixels on the right for the colour scale of a layer with values."""


def control_colours(n_groups: int) -> tuple[ListedColormap, BoundaryNorm]:
    """A colour per group id (``-1``, no group, in pale grey), stable across months and runs."""
    n = max(1, n_groups)
    colours = [NO_GROUP] + [GROUP_COLOURS[i % len(GROUP_COLOURS)] for i in range(n)]
    return ListedColormap(colours), BoundaryNorm(np.arange(-1.5, n + 0.5), len(colours))


def edges(mask: np.ndarray | None) -> np.ndarray:
    """The cell edges between ``mask`` and not-``mask`` (the grid's rim excluded), as segments
    ``[[(x0, y0), (x1, y1)], ...]`` in cell coordinates (cell ``(x, y)`` spans ``x - 0.5 .. x + 0.5``)."""
    if mask is None or not mask.any() or mask.all():
        return np.zeros((0, 2, 2))
    mask = mask.astype(bool)
    xs, ys = np.nonzero(mask[1:, :] != mask[:-1, :])  # between column x and x + 1
    vertical = [[(x + 0.5, y - 0.5), (x + 0.5, y + 0.5)] for x, y in zip(xs, ys, strict=True)]
    xs, ys = np.nonzero(mask[:, 1:] != mask[:, :-1])  # between row y and y + 1
    horizontal = [[(x - 0.5, y + 0.5), (x + 0.5, y + 0.5)] for x, y in zip(xs, ys, strict=True)]
    return np.array(vertical + horizontal, dtype=float).reshape(-1, 2, 2)


@dataclass
class MapPicture:
    """A painted map: the pixels, what they show, and the values at the ends of its colour scale."""

    pixels: np.ndarray
    """``(rows, columns, 4)`` RGBA bytes, north (high y) at the top."""
    title: str
    scale: tuple[float, float] | None
    """Lowest and highest value of the colour scale; None for territories."""
    zones: tuple[str, ...]
    data: np.ndarray | None = None
    """The values painted, [x, y] (group ids for territories, 0/1 for cells that changed hands)."""
    layer: str = ""
    view: str = "live"

    @property
    def cells(self) -> tuple[int, int]:
        """(columns, rows) of cells in the picture."""
        return (0, 0) if self.data is None else (int(self.data.shape[0]), int(self.data.shape[1]))

    def png(self) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(self.pixels, "RGBA").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _rgba(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values) * 255).round().astype(np.uint8)


def _paint_edges(pixels: np.ndarray, mask: np.ndarray | None, colour: str, width: int, dashed=False) -> int:
    """Paint the outline of ``mask`` on a picture of ``CELL``-pixel cells; returns the segments."""
    segments = edges(mask)
    rows = pixels.shape[0]
    rgba = np.array(_rgba(to_rgba(colour)))
    half = width // 2
    for (x0, y0), (x1, y1) in segments:
        if x0 == x1:  # vertical: column boundary at x0, over one cell's height
            col = round((x0 + 0.5) * CELL)
            top = rows - round((y1 + 0.5) * CELL)
            block = pixels[top : top + CELL, max(col - half, 0) : col - half + width]
        else:  # horizontal: row boundary at y0
            row = rows - round((y0 + 0.5) * CELL)
            left = round((x0 + 0.5) * CELL)
            block = pixels[max(row - half, 0) : row - half + width, left : left + CELL]
        if dashed:
            block = block[::2] if x0 == x1 else block[:, ::2]
        block[...] = rgba
    return len(segments)


def _scale_strip(pixels: np.ndarray, cmap, norm, low: float, high: float, font) -> np.ndarray:
    """The colour scale on the right: a vertical strip from ``low`` (bottom) to ``high``, labelled."""
    rows = pixels.shape[0]
    strip = np.full((rows, SCALE_WIDTH, 4), 255, dtype=np.uint8)
    margin = 12
    values = np.linspace(high, low, rows - 2 * margin)
    strip[margin : rows - margin, 4:16] = _rgba(cmap(norm(values)))[:, None, :]
    image = Image.fromarray(strip, "RGBA")
    draw = ImageDraw.Draw(image)
    for value, y in ((high, margin), ((low + high) / 2, rows // 2), (low, rows - margin)):
        draw.text((19, y), f"{value:.3g}", fill="black", font=font, anchor="lm")
    return np.asarray(image)


def map_picture(session: TrainingSession, layer: str = "control", view: View = "live") -> MapPicture:
    """One layer of the live run, the comparison run, or their difference, as of the latest month.

    The jurisdiction border is painted in black, the scenario's zones outlined and named in teal,
    the cells where a targeted lever acted last month in dashed cyan.
    """
    if layer not in MAP_LAYERS:
        raise ValueError(f"unknown map layer {layer!r}; layers: {', '.join(MAP_LAYERS)}")
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; views: {', '.join(VIEWS)}")
    live = session.layer(layer, "live")
    ghost = session.layer(layer, "comparison")
    title = MAP_LAYERS[layer]
    scale: tuple[float, float] | None = None
    if layer == "control" and view == "difference":
        cmap, norm = ListedColormap([NO_GROUP, CHANGED_HANDS]), Normalize(0, 1)
        data = (live != ghost).astype(float)
        title = "cells held by another group than in the comparison run"
    elif layer == "control":
        cmap, norm = control_colours(max(session.live.next_gid, session.ghost.next_gid))
        data = live if view == "live" else ghost
    elif view == "difference":
        data = live.astype(float) - ghost.astype(float)
        bound = float(np.abs(data).max()) or 1.0
        cmap, norm = colormaps["RdBu_r"], TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
        scale = (-bound, bound)
    else:
        data = live if view == "live" else ghost
        top = float(max(np.nanmax(live), np.nanmax(ghost))) or 1.0
        cmap, norm = colormaps[LAYER_COLOURS.get(layer, "viridis")], Normalize(0.0, top)
        scale = (0.0, top)
    cells = _rgba(cmap(norm(np.asarray(data, dtype=float)))).transpose(1, 0, 2)[::-1]  # [y, x], north up
    pixels = np.ascontiguousarray(np.repeat(np.repeat(cells, CELL, axis=0), CELL, axis=1))
    jurisdiction = session.layer("jurisdiction")
    for j in range(1, int(jurisdiction.max()) + 1):
        _paint_edges(pixels, jurisdiction >= j, BORDER_COLOUR, 3)
    zones = {n: m for n, m in session.zones().items() if m.any() and not m.all()}
    for mask in zones.values():
        _paint_edges(pixels, mask, ZONE_COLOUR, 2)
    _paint_edges(pixels, session.lever_area(), LEVER_COLOUR, 2, dashed=True)
    font = ImageFont.load_default(size=11)
    image = Image.fromarray(pixels, "RGBA")
    draw = ImageDraw.Draw(image)
    for name, mask in zones.items():
        xs, ys = np.nonzero(mask)
        at = (int(xs.min()) * CELL + 2, pixels.shape[0] - (int(ys.max()) + 1) * CELL + 2)
        draw.text(at, name, fill=ZONE_COLOUR, font=font, stroke_width=2, stroke_fill="white")
    pixels = np.asarray(image)
    if scale is not None:
        pixels = np.concatenate([pixels, _scale_strip(pixels, cmap, norm, *scale, font)], axis=1)
    title = f"{title} — {VIEWS[view]}, month {session.month}"
    return MapPicture(np.ascontiguousarray(pixels), title, scale, tuple(zones), np.asarray(data), layer, view)


LAYER_UNITS: dict[str, str] = {
    "activity": "units",
    "violence": "incidents",
    "enforcement": "effort units",
    "victimisation": "new victims",
    "control_strength": "",
    "ocg_legitimacy": "",
    "population": "persons",
}


def hover_labels(picture: MapPicture) -> tuple[list[str], list[int]]:
    """What the map says under the mouse: distinct labels, and each cell's label (row by row from
    the north, as the picture is painted). Formatted here, by the rules of ``texts``, so the page
    only looks them up."""
    from simulation.dashboard import texts

    if picture.data is None:
        return [], []
    cells = np.asarray(picture.data).T[::-1]  # [y, x], north up
    values, index = np.unique(cells, return_inverse=True)
    if picture.layer == "control" and picture.view == "difference":
        labels = ["same group as in the comparison run", "held by another group than in the comparison run"]
        labels = [labels[int(v)] for v in values]
    elif picture.layer == "control":
        labels = ["no group" if v < 0 else f"group {int(v)}" for v in values]
    else:
        unit = LAYER_UNITS.get(picture.layer, "")
        shown = texts.gap if picture.view == "difference" else texts.level
        labels = [texts.with_unit(shown(float(v), unit), unit) for v in values]
        if picture.view == "difference":
            labels = [f"{label} (live − comparison)" for label in labels]
    return labels, index.ravel().astype(int).tolist()
