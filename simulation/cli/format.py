"""How the CLI shows things: scenario one-liners, errors, the indicator summary table."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from simulation.core.indicators import INDICATORS
from simulation.cost import duration, run_seconds, too_long
from simulation.formatting import format_number
from simulation.scenario import Scenario

SUMMARY_INDICATORS: tuple[str, ...] = (
    "violence",
    "ocg_revenue",
    "ocg_members",
    "active_ocgs",
    "illicit_price",
    "illicit_volume",
    "new_victims",
    "corrupt_officials",
    "arrests",
    "seizures_value",
)
SUMMARY_WINDOW = 12
"""Steps (months) at the end of a run that the summary averages over."""

_UNITS = {i.name: i.unit for i in INDICATORS}


def stdout() -> Console:
    """A console on the current stdout (looked up per call so test runners can capture it)."""
    return Console(highlight=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """An error on stderr, printed literally (messages hold brackets Rich would read as markup)."""
    stderr().print(Text(message, style="red"), soft_wrap=True)


def describe_scenario(source: Path | str, scenario: Scenario) -> str:
    """One line a user can check a scenario file against."""
    world = scenario.world
    jurisdictions = ", ".join(j.name for j in world.jurisdictions)
    return (
        f"ok  {source}: {scenario.name!r}, grid {world.grid.width}x{world.grid.height}, "
        f"{len(world.jurisdictions)} jurisdictions ({jurisdictions}), "
        f"{world.ocgs.count} groups, {scenario.steps} steps; about {duration(run_seconds(scenario))} per run"
        + (" (above the limit: ocsim run needs --force)" if too_long(scenario) else "")
    )


def summarise(
    wide: pd.DataFrame, indicators: Sequence[str] = SUMMARY_INDICATORS, window: int = SUMMARY_WINDOW
) -> pd.DataFrame:
    """Per indicator: mean and sd across runs of each run's mean over its last ``window`` steps."""
    present = [name for name in indicators if name in wide.columns]
    if wide.empty or not present:
        return pd.DataFrame(columns=["indicator", "unit", "mean", "sd", "runs"])
    last_step = wide.groupby("run_id")["step"].transform("max")
    tail = wide[wide["step"] > last_step - window]
    per_run = tail.groupby("run_id")[present].mean()
    return pd.DataFrame(
        {
            "indicator": present,
            "unit": [_UNITS.get(name, "") for name in present],
            "mean": per_run.mean().to_numpy(),
            "sd": per_run.std(ddof=1).to_numpy(),
            "runs": len(per_run),
        }
    )


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """The summary as a Rich table; sd shows '—' when there is a single run."""
    table = Table(title=title, title_justify="left")
    table.add_column("indicator")
    table.add_column("mean", justify="right")
    table.add_column("± sd", justify="right")
    table.add_column("unit")
    for row in summary.itertuples(index=False):
        table.add_row(row.indicator, format_number(row.mean), format_number(row.sd), row.unit)
    return table


def table(title: str, columns: Sequence[str | tuple[str, dict[str, Any]]]) -> Table:
    """A Rich table that wraps rather than cuts: at 80 columns every cell stays whole.

    Columns fold long words instead of ending them in '…'; ``(name, options)`` pairs pass
    options such as ``justify``, or ``no_wrap=True`` for a column the others shrink around
    (a verdict, an experiment name), which still folds rather than cuts if it cannot fit.
    """
    shown = Table(title=title, title_justify="left")
    for column in columns:
        name, options = (column, {}) if isinstance(column, str) else column
        shown.add_column(name, **{"overflow": "fold", **options})
    return shown


def print_json(document: Any) -> None:
    """A JSON document on stdout, alone: no Rich markup, colour or wrapping (for scripts)."""
    sys.stdout.write(json.dumps(document, indent=2, default=_json_default, allow_nan=False) + "\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return json_number(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def json_number(value: float | None) -> float | None:
    """Floats for JSON: NaN and infinities become null (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def json_clean(value: Any) -> Any:
    """Nested data with every non-finite float replaced by null."""
    if isinstance(value, dict):
        return {str(k): json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return json_number(float(value))
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def id_list(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids) if ids else "none"
