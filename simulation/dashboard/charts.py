"""The live charts: each indicator of the live run against its counterfactual ghost line.

The page draws them in the browser with Vega-Lite (the library behind Altair and Mesa's Altair
plots). The spec is built here as a plain dict: the browser does the drawing, and building the
dict takes well under a millisecond, where drawing the same small multiples with matplotlib takes
about a second a month and Altair's validated ``to_dict`` a fifth of one — too slow for a grid
that should run at five months a second.

Every chart has the same x axis, months 0 to the run's last month; the lever windows of the live
run are shaded, each trainer's change is a dotted rule at the month it began to act, and with a
band over several seeds (``bands``) the 10th–90th percentile of each run is drawn under its line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.dashboard.bands import Band
from simulation.dashboard.session import UNITS, TrainingSession

LIVE_COLOUR = "#c0392b"
GHOST_COLOUR = "#7f8c8d"
CHANGE_COLOUR = "#2c3e50"
WINDOW_COLOUR = "#00838f"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
"""Only read by vega-embed for the version number; nothing is fetched from it."""
LIVE = "live"
GHOST = "ghost"
CHART_HEIGHT = 120
SMALLEST_CHART = 170
"""Narrowest plot (pixels, without its axis) before the charts go down to fewer columns."""
AXIS_ROOM = 54
"""Pixels a chart needs beside its plot: y-axis labels and padding."""


def _values(months: np.ndarray, values: np.ndarray, run: str) -> list[dict[str, Any]]:
    return [
        {"month": int(m), "value": float(v), "run": run}
        for m, v in zip(months, values, strict=True)
        if np.isfinite(v)
    ]


def chart_data(session: TrainingSession, indicator: str) -> list[dict[str, Any]]:
    """The rows one chart draws: month, value and run (live or ghost)."""
    months, live, ghost = session.series(indicator)
    return _values(months, ghost, GHOST) + _values(months, live, LIVE)


def band_data(session: TrainingSession, indicator: str, band: Band | None) -> list[dict[str, Any]]:
    """The band's rows for one chart, up to the month on screen: month, low, high, run."""
    if band is None:
        return []
    rows = []
    for run, (low, high) in band.quantiles(indicator, session.month).items():
        rows += [
            {"month": m, "low": float(lo), "high": float(hi), "run": run}
            for m, lo, hi in zip(range(1, len(low) + 1), low, high, strict=True)
        ]
    return rows


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text, the form the spec carries them in: one string per chart instead of
    hundreds of small mappings, which Solara's renderer would otherwise walk value by value every
    month (it looks for components inside every property it is given)."""
    if not rows:
        return "month,value,run\n"
    columns = list(rows[0])
    body = "".join(
        ",".join(repr(r[c]) if isinstance(r[c], float) else str(r[c]) for c in columns) + "\n" for r in rows
    )
    return ",".join(columns) + "\n" + body


def month_ticks(last_month: int) -> list[int]:
    """Ticks at whole years (every 6 months in short runs, every 2 years in long ones)."""
    every = 6 if last_month <= 36 else 12 if last_month <= 144 else 24
    return list(range(0, last_month + 1, every))


def x_encoding(session: TrainingSession, field: str = "month", title: bool = False) -> dict[str, Any]:
    last = max(session.last_month, 1)
    return {
        "field": field,
        "type": "quantitative",
        "scale": {"domain": [0, last], "nice": False, "zero": False},
        "axis": {"values": month_ticks(last), "format": "d", "title": "month" if title else None},
    }


def window_rows(session: TrainingSession) -> list[dict[str, Any]]:
    """Shaded spans: one per distinct window of the live run's levers, naming its levers."""
    spans: dict[tuple[int, int], list[str]] = {}
    for window in session.windows():
        spans.setdefault((window.first, window.last), []).append(window.name)
    return [
        {"from": first - 0.5, "to": last + 0.5, "levers": ", ".join(names)}
        for (first, last), names in sorted(spans.items())
    ]


def indicator_chart(
    session: TrainingSession,
    indicator: str,
    width: int = 250,
    height: int = CHART_HEIGHT,
    band: Band | None = None,
) -> dict:
    """One chart: lever windows shaded, the band (if any), the ghost line (grey, dashed) under the
    live line (red), a dotted rule where each of the trainer's changes began to act."""
    colour = {"domain": [LIVE, GHOST], "range": [LIVE_COLOUR, GHOST_COLOUR]}
    x = x_encoding(session)
    layers: list[dict[str, Any]] = []
    windows = window_rows(session)
    if windows:
        layers.append(
            {
                "data": {"values": windows},
                "mark": {"type": "rect", "color": WINDOW_COLOUR, "opacity": 0.09},
                "encoding": {
                    "x": {**x, "field": "from"},
                    "x2": {"field": "to"},
                    "tooltip": {"field": "levers", "type": "nominal", "title": "levers acting"},
                },
            }
        )
    rows = band_data(session, indicator, band)
    if rows:
        layers.append(
            {
                "data": {
                    "values": as_csv(rows),
                    "format": {
                        "type": "csv",
                        "parse": {"month": "number", "low": "number", "high": "number"},
                    },
                },
                "mark": {"type": "area", "opacity": 0.22, "clip": True},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative", "title": None, "scale": {"zero": False}},
                    "y2": {"field": "high"},
                    "color": {"field": "run", "type": "nominal", "scale": colour, "legend": None},
                },
            }
        )
    layers.append(
        {
            "data": {
                "values": as_csv(chart_data(session, indicator)),
                "format": {"type": "csv", "parse": {"month": "number", "value": "number"}},
            },
            "mark": {"type": "line", "strokeWidth": 1.8, "clip": True},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False}},
                "color": {"field": "run", "type": "nominal", "scale": colour, "legend": None},
                "strokeDash": {
                    "field": "run",
                    "type": "nominal",
                    "scale": {"domain": [LIVE, GHOST], "range": [[1, 0], [5, 3]]},
                    "legend": None,
                },
            },
        }
    )
    change_months = sorted({c.month for c in session.changes})
    if change_months:
        layers.append(
            {
                "data": {"values": [{"month": m - 0.5} for m in change_months]},
                "mark": {"type": "rule", "strokeDash": [2, 2], "color": CHANGE_COLOUR},
                "encoding": {"x": x},
            }
        )
    unit = UNITS.get(indicator, "")
    return {
        "title": {"text": f"{indicator} ({unit})" if unit else indicator, "fontSize": 11},
        "width": width,
        "height": height,
        "layer": layers,
    }


def layout(available: int, count: int) -> tuple[int, int]:
    """(columns, plot width) for ``count`` charts in ``available`` pixels of panel width."""
    columns = max(1, min(count, 3, available // (SMALLEST_CHART + AXIS_ROOM)))
    width = max(120, available // columns - AXIS_ROOM)
    return columns, width


def charts_spec(
    session: TrainingSession,
    indicators: list[str],
    available: int = 560,
    band: Band | None = None,
) -> dict:
    """Small multiples of the indicators as one Vega-Lite spec, fitted to ``available`` pixels."""
    columns, width = layout(available, len(indicators))
    height = int(min(170, max(CHART_HEIGHT, width * 0.55)))
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": f"live against ghost, month {session.month}",
        "concat": [indicator_chart(session, name, width, height, band) for name in indicators],
        "columns": columns,
        "spacing": 14,
        "config": {"view": {"stroke": "#ddd"}, "axis": {"labelFontSize": 9}, "concat": {"spacing": 14}},
        "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}},
    }
