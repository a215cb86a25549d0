"""Calibration throughput: simulations per hour, and the share of time in the model vs pyabc.

Runs a copy of a calibration file (default ``experiments/calibrate_baseline.yaml``: four
parameters, 30x30 world, 60 months) with the population and generations given, once per worker
count: ``1`` is pyabc's single-core sampler, more is its multicore sampler. Every simulation's
model run (``Simulator.run``: building the scenario and running it) is timed where it runs — in
this process or in a forked worker, summed through shared memory — so the model's share of the
time is the model seconds over (wall time x workers); the rest is pyabc (proposals, kernel fits,
distance, History writes), our ensemble writes and, with several workers, idle workers.

    python benchmarks/bench_calibration.py [--file F] [--population 20] [--generations 2]
                                           [--workers 1 2] [--db sqlite:///results/bench.sqlite]

Per generation it prints the simulations, acceptance rate and wall time. Without ``--db`` the
results go to a temporary folder; with it the ensemble (and pyabc's History beside it) is kept,
under the calibration's name with ``-wN`` appended per worker count.

The estimate for the issue's budget (200 particles, 6 generations, 2 workers) scales the
simulations of the generations run: as measured when all 6 generations at 200 particles were run,
otherwise by the last generation's simulations per particle for the generations not run (later
generations accept fewer, so that estimate is low).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import yaml

from simulation.calibration import load_calibration
from simulation.calibration import simulate as simulate_module
from simulation.calibration.run import GenerationReport, run_calibration

ROOT = Path(__file__).resolve().parents[1]
BUDGET_PARTICLES, BUDGET_GENERATIONS, BUDGET_WORKERS, BUDGET_MINUTES = 200, 6, 2, 45

# Shared with forked workers (pyabc's multicore sampler forks after these exist).
_MODEL_SECONDS = multiprocessing.Value("d", 0.0)
_MODEL_RUNS = multiprocessing.Value("i", 0)


def _timed_run(original):
    def run(self, values):
        started = time.perf_counter()
        try:
            return original(self, values)
        finally:
            with _MODEL_SECONDS.get_lock():
                _MODEL_SECONDS.value += time.perf_counter() - started
            with _MODEL_RUNS.get_lock():
                _MODEL_RUNS.value += 1

    return run


def _copy(path: Path, population: int, generations: int, name: str, folder: Path) -> Path:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw.update(name=name, population=population, generations=generations)
    scenario = Path(raw["scenario"])
    if not scenario.is_absolute():
        beside = path.parent / scenario
        raw["scenario"] = str((beside if beside.exists() else ROOT / scenario).resolve())
    copy = folder / f"{name}.yaml"
    copy.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "experiments" / "calibrate_baseline.yaml")
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--db", help="keep the ensembles in this results database (default: a temp folder)")
    args = parser.parse_args()
    simulate_module.Simulator.run = _timed_run(simulate_module.Simulator.run)
    print(
        f"{args.file.name}: population {args.population}, {args.generations} generation(s); "
        f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    rates: dict[int, float] = {}
    per_generation: list[int] = []
    with tempfile.TemporaryDirectory() as folder:
        for workers in args.workers:
            base = yaml.safe_load(args.file.read_text(encoding="utf-8"))["name"]
            name = f"{base}-w{workers}"
            copy = _copy(args.file, args.population, args.generations, name, Path(folder))
            calibration = load_calibration(copy)
            db = args.db or f"sqlite:///{folder}/bench.sqlite"
            _MODEL_SECONDS.value, _MODEL_RUNS.value = 0.0, 0
            marks = [time.perf_counter()]
            sims: list[int] = []

            def show(report: GenerationReport, marks=marks, sims=sims) -> None:
                marks.append(time.perf_counter())
                sims.append(report.simulations)
                print(
                    f"    generation {report.generation + 1}: {report.simulations} simulations, "
                    f"acceptance {report.acceptance_rate:.1%}, epsilon {report.epsilon:.4g}, "
                    f"{marks[-1] - marks[-2]:.0f} s",
                    flush=True,
                )

            summary = run_calibration(calibration, db=db, workers=workers, fresh=True, progress=show)
            wall = time.perf_counter() - marks[0]
            rates[workers] = summary.simulations / wall * 3600
            model = _MODEL_SECONDS.value
            share = model / (wall * workers)
            print(
                f"  {workers} worker(s): {summary.simulations} simulations in {wall:.1f} s = "
                f"{rates[workers]:,.0f} simulations/hour; model {model:.1f} s over {_MODEL_RUNS.value} "
                f"runs ({model / max(1, _MODEL_RUNS.value):.2f} s each) = {share:.0%} of "
                f"{workers} x wall; load average after: "
                f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
                flush=True,
            )
            if len(sims) > len(per_generation):
                per_generation = [round(s * BUDGET_PARTICLES / args.population) for s in sims]
    planned = list(per_generation[:BUDGET_GENERATIONS])
    while len(planned) < BUDGET_GENERATIONS:
        planned.append(planned[-1])
    total = sum(planned)
    measured = "measured" if len(per_generation) >= BUDGET_GENERATIONS else "extrapolated"
    for workers, rate in sorted(rates.items()):
        print(
            f"{BUDGET_PARTICLES} particles x {BUDGET_GENERATIONS} generations = about {total:,} "
            f"simulations ({measured}) at the {workers}-worker rate: {total / rate * 60:.0f} minutes "
            f"(budget: {BUDGET_MINUTES} minutes on {BUDGET_WORKERS} workers)"
        )


if __name__ == "__main__":
    main()
