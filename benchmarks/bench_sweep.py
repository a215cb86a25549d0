"""Sweep benchmarks: throughput and parallel efficiency, storage speed, and the parent's memory.

Sections (each prints its figures, the budget and PASS/OVER):

1. throughput: the same default-scenario sweep (120-step runs) on the local process pool with
   1 and with 2 workers; runs per hour and parallel efficiency T1 / (2 x T2);
2. storage: whole-run batches of synthetic records (120 steps x every indicator) written through
   ``ResultsStore.write_records`` into SQLite, and into PostgreSQL when a URL is given;
3. parent memory: resident memory of the parent process sampled as a sweep of many short runs
   progresses; flat means results are streamed, not accumulated.

Run it on an otherwise quiet machine (wall-clock figures)::

    .venv/bin/python benchmarks/bench_sweep.py                          # about 3 minutes
    .venv/bin/python benchmarks/bench_sweep.py --runs 8 --quick         # about 1 minute
    .venv/bin/python benchmarks/bench_sweep.py --postgres postgresql+psycopg://user@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.core.indicators import RECORDED_NAMES  # noqa: E402
from simulation.experiments import ExperimentSpec, run_experiment  # noqa: E402
from simulation.storage import MetricTable, ResultsStore, RunRecord  # noqa: E402

EFFICIENCY_BUDGET = 0.85
RUNS_PER_HOUR_BUDGET = 1000
ROWS_PER_SECOND_BUDGET = 500_000
MEMORY_GROWTH_BUDGET_MIB = 20.0


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "OVER"


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------------------- 1. throughput
def throughput(runs: int, steps: int, folder: Path) -> tuple[float, float]:
    print(f"\n1. throughput: {runs} default-scenario runs of {steps} steps, local process pool")
    # Start the fork server (and its preloaded imports) once, outside both timings.
    warm_up = {"name": "warm_up", "scenarios": [str(ROOT / "scenarios" / "baseline.yaml")], "steps": 1}
    run_experiment(
        ExperimentSpec.model_validate(warm_up),
        executor="local",
        workers=2,
        db=f"sqlite:///{folder / 'w.sqlite'}",
    )
    times = {}
    for workers in (1, 2):
        spec = ExperimentSpec.model_validate(
            {
                "name": f"throughput_{workers}",
                "scenarios": [str(ROOT / "scenarios" / "baseline.yaml")],
                "steps": steps,
                "replications": runs,
                "seed": 1000 + workers,  # fresh runs for each measurement
            }
        )
        url = f"sqlite:///{folder / f'throughput_{workers}.sqlite'}"
        started = time.perf_counter()
        summary = run_experiment(spec, executor="local", workers=workers, db=url)
        times[workers] = time.perf_counter() - started
        assert summary.finished == runs, summary
        print(
            f"   {workers} worker(s): {times[workers]:6.1f} s  "
            f"({times[workers] / runs:.2f} s per run, {runs / times[workers] * 3600:,.0f} runs/hour)"
        )
    efficiency = times[1] / (2 * times[2])
    per_hour = runs / times[2] * 3600
    print(f"   parallel efficiency at 2 workers: {efficiency:.1%}  (budget >= {EFFICIENCY_BUDGET:.0%})  "
          f"{_verdict(efficiency >= EFFICIENCY_BUDGET)}")  # fmt: skip
    print(f"   runs per hour at 2 workers: {per_hour:,.0f}  (budget >= {RUNS_PER_HOUR_BUDGET:,})  "
          f"{_verdict(per_hour >= RUNS_PER_HOUR_BUDGET)}")  # fmt: skip
    return efficiency, per_hour


# ---------------------------------------------------------------------------------- 2. storage
def synthetic_records(n: int, steps: int, offset: int) -> list[RunRecord]:
    rng = np.random.default_rng(offset)
    now = datetime.now(UTC)
    names = tuple(RECORDED_NAMES)
    return [
        RunRecord(
            run_key=f"bench-{offset}-{i}",
            scenario_name="bench",
            scenario_source=None,
            config="{}",
            config_hash="bench",
            seed=i,
            steps=steps,
            replication=i,
            experiment=None,
            status="finished",
            started_at=now,
            finished_at=now,
            wall_time=0.0,
            metrics=MetricTable(names, np.arange(1, steps + 1), rng.random((steps, len(names)))),
        )
        for i in range(n)
    ]


def storage(url: str, label: str, batches: int, runs_per_batch: int, steps: int) -> float:
    with ResultsStore(url) as store:
        rows = elapsed = 0.0
        for b in range(batches):
            records = synthetic_records(runs_per_batch, steps, offset=b + int(time.time() * 1000) % 10**9)
            started = time.perf_counter()
            store.write_records(records)
            elapsed += time.perf_counter() - started
            rows += runs_per_batch * steps * len(RECORDED_NAMES)
    rate = rows / elapsed
    print(f"   {label}: {rows:,.0f} metric rows in {elapsed:.2f} s = {rate:,.0f} rows/s "
          f"(batches of {runs_per_batch} runs)")  # fmt: skip
    return rate


# --------------------------------------------------------------------------------- 3. memory
def parent_memory(runs: int, folder: Path) -> float:
    print(f"\n3. parent memory: sweep of {runs} short runs (24x24 world, 12 steps), 2 workers")
    scenario = folder / "small.yaml"
    scenario.write_text(
        yaml.safe_dump({"name": "small", "steps": 12, "world": {"grid": {"width": 24, "height": 24}}})
    )
    spec = ExperimentSpec.model_validate(
        {"name": "memory", "scenarios": [str(scenario)], "replications": runs, "seed": 5}
    )
    samples: list[tuple[int, float]] = []

    def sample(progress) -> None:
        samples.append((progress.done, _rss_mib()))

    run_experiment(
        spec, executor="local", workers=2, db=f"sqlite:///{folder / 'memory.sqlite'}", progress=sample
    )
    quarter = next(rss for done, rss in samples if done >= runs // 4)
    final = samples[-1][1]
    growth = final - quarter
    shown = ", ".join(f"{done}: {rss:.0f}" for done, rss in samples[:: max(1, len(samples) // 8)])
    print(f"   RSS (MiB) by runs done: {shown}, {samples[-1][0]}: {final:.0f}")
    verdict = _verdict(growth <= MEMORY_GROWTH_BUDGET_MIB)
    print(f"   growth from 25% to 100% of the sweep: {growth:+.1f} MiB  "
          f"(budget <= {MEMORY_GROWTH_BUDGET_MIB:.0f})  {verdict}")  # fmt: skip
    return growth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=16, help="runs per throughput measurement")
    parser.add_argument("--steps", type=int, default=120, help="steps per throughput run")
    parser.add_argument(
        "--postgres", default=os.environ.get("OCSIM_BENCH_POSTGRES_URL"), help="PostgreSQL URL"
    )
    parser.add_argument("--memory-runs", type=int, default=400, help="runs of the memory sweep")
    parser.add_argument("--quick", action="store_true", help="smaller storage and memory sections")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"ocsim sweep benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory(prefix="ocsim-bench-") as tmp:
        folder = Path(tmp)
        throughput(args.runs, args.steps, folder)
        batches = 5 if args.quick else 20
        print(f"\n2. storage: {batches} batches of 32 runs x 120 steps x {len(RECORDED_NAMES)} indicators")
        rate = storage(f"sqlite:///{folder / 'storage.sqlite'}", "SQLite", batches, 32, 120)
        verdict = _verdict(rate >= ROWS_PER_SECOND_BUDGET)
        print(f"   SQLite budget >= {ROWS_PER_SECOND_BUDGET:,} rows/s  {verdict}")
        if args.postgres:
            storage(args.postgres, "PostgreSQL (COPY)", batches, 32, 120)
        else:
            print("   PostgreSQL: skipped (give --postgres URL or OCSIM_BENCH_POSTGRES_URL)")
        parent_memory(100 if args.quick else args.memory_runs, folder)


if __name__ == "__main__":
    main()
