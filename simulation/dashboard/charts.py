"""The live charts: each indicator of the live run against its counterfactual ghost line.

The page draws them in the browser with Vega-Lite (the library behind Altair and Mesa's Altair
plots). The spec is built here as a plain dict: the browser does the drawing, and building the
dict takes well under a millisecond, where drawing the same small multiples with matplotlib takes
about a second a month and Altair's validated ``to_dict`` a fifth of one — too slow for a grid
that should run at five months a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.dashboard.session import UNITS, TrainingSession

LIVE_COLOUR = "#c0392b"
GHOST_COLOUR = "#7f8c8d"
CHANGE_COLOUR = "#2c3e50"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
"""Only read by vega-embed for the version number; nothing is fetched from it."""
LIVE = "live"
GHOST = "ghost"


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


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text, the form the spec carries them in: one string per chart instead of
    hundreds of small mappings, which Solara's renderer would otherwise walk value by value every
    month (it looks for components inside every property it is given)."""
    return "month,value,run\n" + "".join(f"{r['month']},{r['value']!r},{r['run']}\n" for r in rows)


def indicator_chart(session: TrainingSession, indicator: str, width: int = 250, height: int = 120) -> dict:
    """One chart: the ghost line (grey, dashed) under the live line (red), a dotted rule where
    each of the trainer's changes began to act."""
    colour = {"domain": [LIVE, GHOST], "range": [LIVE_COLOUR, GHOST_COLOUR]}
    lines = {
        "data": {
            "values": as_csv(chart_data(session, indicator)),
            "format": {"type": "csv", "parse": {"month": "number", "value": "number"}},
        },
        "mark": {"type": "line", "strokeWidth": 1.8, "clip": True},
        "encoding": {
            "x": {
                "field": "month",
                "type": "quantitative",
                "scale": {"domain": [0, max(session.last_month, 1)]},
                "title": None,
            },
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
    layers: list[dict[str, Any]] = [lines]
    change_months = sorted({c.month for c in session.changes})
    if change_months:
        layers.append(
            {
                "data": {"values": [{"month": m - 0.5} for m in change_months]},
                "mark": {"type": "rule", "strokeDash": [2, 2], "color": CHANGE_COLOUR},
                "encoding": {"x": {"field": "month", "type": "quantitative"}},
            }
        )
    unit = UNITS.get(indicator, "")
    return {
        "title": {"text": f"{indicator} ({unit})" if unit else indicator, "fontSize": 11},
        "width": width,
        "height": height,
        "layer": layers,
    }


def charts_spec(session: TrainingSession, indicators: list[str], columns: int = 2) -> dict:
    """Small multiples of the indicators as one Vega-Lite spec, with a legend line on top."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": f"live against ghost, month {session.month}",
        "concat": [indicator_chart(session, name) for name in indicators],
        "columns": columns,
        "config": {"view": {"stroke": "#ddd"}, "axis": {"labelFontSize": 9}},
        "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}},
    }
