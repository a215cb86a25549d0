"""The README's baseline figures: the default world with no lever, seeds 1-5, months 61-120.

``python -m validation.baseline_figures`` prints the table (mean over seeds of each run's mean
over months 61-120, and the range across seeds) and the largest deviation of membership from its
month-24 level, on seeds 1-5 and on 20 further seeds (20-39), so the README's numbers can be
measured again after any change to the model.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pandas as pd

from simulation import load_scenario, run_scenario
from validation.patterns import ROOT

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
SEEDS = (1, 2, 3, 4, 5)
FURTHER_SEEDS = tuple(range(20, 40))
LATE = (61, 120)

ROWS: tuple[tuple[str, str, str], ...] = (
    ("retail price (k/unit)", "illicit_price", "{:.2f}"),
    ("volume sold (units/month)", "illicit_volume", "{:,.0f}"),
    ("OCG revenue (k/month)", "ocg_revenue", "{:,.0f}"),
    ("active groups", "active_ocgs", "{:.1f}"),
    ("members at liberty", "ocg_members", "{:,.0f}"),
    ("cells under group control (of 1,600)", "controlled_cells", "{:,.0f}"),
    ("violent incidents / month", "violence", "{:.0f}"),
    ("homicides / month", "homicides", "{:.1f}"),
    ("new victims / month", "new_victims", "{:.0f}"),
    ("corrupt officials (of 25)", "corrupt_officials", "{:.1f}"),
    ("arrests / month", "arrests", "{:.1f}"),
    ("seizures, street value (k/month)", "seizures_value", "{:,.0f}"),
)


def _metrics(seed: int) -> pd.DataFrame:
    return run_scenario(load_scenario(SCENARIO), seed=seed).metrics


def largest_deviation(metrics: pd.DataFrame) -> float:
    """Largest |members / members at month 24 - 1| over months 24 onward."""
    members = metrics["ocg_members"]
    return float((members.loc[24:] / members.loc[24] - 1.0).abs().max())


def table(runs: list[pd.DataFrame], further: list[pd.DataFrame]) -> str:
    first, last = LATE
    lines = ["| indicator | mean | range |", "|---|---|---|"]

    def row(label: str, values: np.ndarray, fmt: str, note: str = "") -> None:
        spread = f"{fmt.format(values.min())} – {fmt.format(values.max())}{note}"
        lines.append(f"| {label} | {fmt.format(values.mean())} | {spread} |")

    for label, indicator, fmt in ROWS:
        values = np.array([m.loc[first:last, indicator].mean() for m in runs])
        note = ""
        if indicator == "illicit_price":
            variation = np.mean(
                [m.loc[first:last, indicator].std() / m.loc[first:last, indicator].mean() for m in runs]
            )
            note = f" (month-to-month variation {100 * variation:.1f} %)"
        row(label, values, fmt, note)
        if indicator == "ocg_members":
            deviation = np.array([100 * largest_deviation(m) for m in runs])
            row(
                "largest deviation of membership from its month-24 level, months 24–120",
                deviation,
                "{:.0f} %",
            )
    recidivism = np.array([100 * m.loc[first:last, "recidivism_rate"].mean() for m in runs])
    row("recidivism (released prisoners who rejoin)", recidivism, "{:.0f} %")
    widest = max(largest_deviation(m) for m in further)
    lines.append("")
    lines.append(
        f"Across {len(further)} further seeds ({FURTHER_SEEDS[0]}–{FURTHER_SEEDS[-1]}) membership stayed "
        f"within {100 * widest:.0f} % of its month-24 level."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=get_context("forkserver")) as pool:
        runs = list(pool.map(_metrics, SEEDS))
        further = list(pool.map(_metrics, FURTHER_SEEDS))
    print(table(runs, further))
    print(f"\n({time.perf_counter() - started:.0f} s)")
