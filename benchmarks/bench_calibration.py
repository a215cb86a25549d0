"""Calibration throughput: simulations per hour, and the share of time in the model vs pyabc.

Runs a shortened copy of a calibration file (default ``experiments/calibrate_baseline.yaml``:
four parameters, 30x30 world, 60 months) with a small population and few generations, once on
pyabc's single-core sampler — where every simulation's model time is measured in this process,
so the rest of the wall time is pyabc, priors, distance, History writes and our ensemble writes —
and once per worker count on the multicore sampler, for simulations per hour.

    python benchmarks/bench_calibration.py [--file F] [--population 20] [--generations 2] [--workers 1 2]

Extrapolation to the issue's budget (200 particles, 2 workers) is printed: it assumes the
simulations per particle stay as measured, which they do not (later generations accept fewer
particles), so read it as a lower bound on the time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from simulation.calibration import load_calibration
from simulation.calibration import simulate as simulate_module
from simulation.calibration.run import run_calibration

ROOT = Path(__file__).resolve().parents[1]


class _ModelClock:
    seconds = 0.0
    runs = 0


def _timed_run(original):
    def run(self, values):
        started = time.perf_counter()
        try:
            return original(self, values)
        finally:
            _ModelClock.seconds += time.perf_counter() - started
            _ModelClock.runs += 1

    return run


def _shortened(path: Path, population: int, generations: int, folder: Path) -> Path:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw.update(population=population, generations=generations)
    raw["scenario"] = (
        str((ROOT / raw["scenario"]).resolve())
        if not Path(raw["scenario"]).is_absolute()
        else raw["scenario"]
    )
    copy = folder / path.name
    copy.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "experiments" / "calibrate_baseline.yaml")
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    simulate_module.Simulator.run = _timed_run(simulate_module.Simulator.run)
    print(f"{args.file.name}: population {args.population}, {args.generations} generation(s)")
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        calibration = load_calibration(_shortened(args.file, args.population, args.generations, Path(folder)))
        for workers in args.workers:
            db = f"sqlite:///{folder}/bench-{workers}.sqlite"
            _ModelClock.seconds, _ModelClock.runs = 0.0, 0
            started = time.perf_counter()
            summary = run_calibration(calibration, db=db, workers=workers, fresh=True)
            wall = time.perf_counter() - started
            rates[workers] = summary.simulations / wall * 3600
            line = (
                f"  {workers} worker(s): {summary.simulations} simulations in {wall:.1f} s = "
                f"{rates[workers]:,.0f} simulations/hour"
            )
            if workers == 1 and _ModelClock.runs:
                share = _ModelClock.seconds / wall
                line += (
                    f"; model {_ModelClock.seconds:.1f} s ({share:.0%}), pyabc and storage "
                    f"{wall - _ModelClock.seconds:.1f} s ({1 - share:.0%}); "
                    f"{_ModelClock.seconds / _ModelClock.runs:.2f} s per simulation"
                )
            print(line, flush=True)
    best = max(rates, key=rates.get)
    per_particle = summary.simulations / (args.population * args.generations)
    planned = 200 * 6 * per_particle
    print(
        f"200 particles x 6 generations at {per_particle:.1f} simulations per particle and the "
        f"{best}-worker rate: about {planned / rates[best] * 60:.0f} minutes"
    )


if __name__ == "__main__":
    main()
