"""Golden metrics: every shipped scenario, seeds 1-3, 60 months, recorded bit for bit.

A refactor of the model core must leave these numbers unchanged. Regenerate the fixture only in a
commit that says the model's behaviour changed and why::

    python -m tests.golden.record
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).with_name("metrics.parquet")
SEEDS = (1, 2, 3)
STEPS = 60


def scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.yaml"))


def _one(path: Path, seed: int) -> pd.DataFrame:
    from simulation import load_scenario, run_scenario

    result = run_scenario(load_scenario(path), seed=seed, steps=STEPS)
    frame = result.metrics.reset_index()
    frame.insert(0, "seed", seed)
    frame.insert(0, "scenario", path.stem)
    return frame


def golden_metrics() -> pd.DataFrame:
    """The metrics of every (scenario, seed) run, one row per month, in a fixed order."""
    jobs = [(path, seed) for path in scenario_files() for seed in SEEDS]
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=get_context("forkserver")) as pool:
        frames = list(pool.map(_one, *zip(*jobs, strict=True)))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    frame = golden_metrics()
    frame.to_parquet(FIXTURE, index=False, compression="zstd")
    print(f"{FIXTURE}: {len(frame)} rows, {frame['scenario'].nunique()} scenarios")
