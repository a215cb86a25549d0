"""The numbers the dashboard guide quotes (docs/dashboard.md, "Demonstrations"), per seed.

A trainer reads "`activity_target` falls below its ghost (−158 units a month over months 25–72)"
and checks it in the browser, so the guide's numbers must be the model's. For each demonstration
this prints the mean gap live − ghost (the scenario against the same scenario with no strategy,
or the trainer's change against the scenario as written; same seed as the dashboard's: ``ocsim
run --seed N``'s first replication) of the indicators the
guide names, over the months it names, for dashboard seeds 1-8. ``python -m
validation.dashboard_guide`` prints the table; the guide's prose is written from it.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pandas as pd

from simulation import load_scenario, run_scenario
from simulation.dashboard.session import model_seed
from simulation.scenario import without_strategy
from validation.patterns import ROOT

SEEDS = tuple(range(1, 9))

GUIDE: dict[str, tuple[tuple[str, tuple[int, int]], ...]] = {
    "balloon_effect": (("activity_target", (25, 72)), ("activity_buffer", (25, 72))),
    "street_market_crackdown": (
        ("activity_target", (25, 72)),
        ("activity_buffer", (25, 72)),
        ("activity_total", (25, 72)),
    ),
    "balloon_effect_across_border": (
        ("activity_target", (25, 72)),
        ("activity_buffer", (25, 72)),
        ("activity_other_jurisdictions", (25, 72)),
    ),
    "kingpin_turf_war": (
        ("violence", (25, 60)),
        ("violence", (25, 72)),
        ("leaders_arrested", (1, 60)),
        ("splits", (1, 60)),
    ),
    "seizure_price_pass_through": (
        ("seizures_value", (24, 72)),
        ("illicit_price", (24, 72)),
        ("ocg_revenue", (24, 72)),
    ),
    "prevention_slow_durable": (
        ("ocg_members", (12, 23)),
        ("ocg_members", (49, 72)),
        ("ocg_members", (73, 96)),
    ),
    "integrated_4p": (
        ("ocg_members", (12, 60)),
        ("new_victims", (12, 60)),
        ("violence", (12, 60)),
        ("violence", (49, 60)),
    ),
}
"""Scenario -> (indicator, months) whose mean gap the guide quotes; leaders and splits are sums."""
SUMMED = {"leaders_arrested", "splits"}

LIVE_AND_GHOST: dict[str, tuple[dict, dict]] = {
    "heavy_handed_backlash": ({"strategy.enforcement_style": "rights_compliant"}, {}),
    "corruption_blunts_pursuit": ({"strategy.prevent.institutional_integrity.end": 31}, {}),
}
"""Rows whose live run is not the scenario as written and whose ghost is not "no strategy": the
trainer's clicks (rights-compliant before the run; the integrity lever switched off at month 30,
acting last in month 30) against the scenario as written."""
GUIDE |= {
    "heavy_handed_backlash": (
        ("police_trust", (1, 72)),
        ("reporting_willingness", (1, 72)),
        ("community_reports", (1, 72)),
        ("ocg_legitimacy", (1, 72)),
    ),
    "corruption_blunts_pursuit": (("corrupt_officials", (31, 72)), ("arrests", (31, 72))),
}


def _pair(name: str, seed: int) -> tuple[str, int, pd.DataFrame, pd.DataFrame]:
    path = ROOT / "scenarios" / f"{name}.yaml"
    if name in LIVE_AND_GHOST:
        live_settings, ghost_settings = LIVE_AND_GHOST[name]
        scenario, ghost_scenario = load_scenario(path, live_settings), load_scenario(path, ghost_settings)
    else:
        scenario = load_scenario(path)
        ghost_scenario = without_strategy(scenario)
    live = run_scenario(scenario, seed=model_seed(seed)).metrics
    ghost = run_scenario(ghost_scenario, seed=model_seed(seed)).metrics
    return name, seed, live, ghost


def gaps() -> pd.DataFrame:
    jobs = [(name, seed) for name in GUIDE for seed in SEEDS]
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=get_context("forkserver")) as pool:
        pairs = list(pool.map(_pair, *zip(*jobs, strict=True)))
    rows = []
    for name, seed, live, ghost in pairs:
        for indicator, (first, last) in GUIDE[name]:
            how = "sum" if indicator in SUMMED else "mean"
            a = getattr(live.loc[first:last, indicator], how)()
            b = getattr(ghost.loc[first:last, indicator], how)()
            rows.append(
                {
                    "scenario": name,
                    "indicator": f"{indicator} {first}-{last} ({how})",
                    "seed": seed,
                    "gap": a - b,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.pivot_table(index=["scenario", "indicator"], columns="seed", values="gap", sort=False)


if __name__ == "__main__":
    started = time.perf_counter()
    pd.set_option("display.width", 200)
    print(gaps().round(2).to_string())
    print(f"\n({time.perf_counter() - started:.0f} s)")
