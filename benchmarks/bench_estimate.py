"""Dry-run estimates against measured sweeps: is ``ocsim sweep --dry-run`` within +-30%?

For a few small sweeps, each in fresh processes as a user runs them, this runs
``ocsim sweep FILE --dry-run`` (the estimate), then ``ocsim sweep FILE`` into an empty database,
and prints the estimate, the sweep's measured wall time (the one its summary reports, from the
``sweeps`` table) and the error::

    .venv/bin/python benchmarks/bench_estimate.py            # about a minute on 2 cores
    .venv/bin/python benchmarks/bench_estimate.py --quick    # the two smallest cases

Wall-clock figures: on a machine shared with other work they move with its load (the estimate
samples how many processes are busy; a load that changes between the estimate and the sweep
cannot be foreseen).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.storage import ResultsStore  # noqa: E402
from simulation.storage.ledger import load_sweeps  # noqa: E402

TOLERANCE = 0.30
# name, replications, steps, grid width, groups, executor, workers
CASES = [
    ("tiny_serial", 4, 24, 24, 3, "serial", 1),
    ("tiny_pool", 8, 24, 24, 3, "local", 2),
    ("small_pool", 4, 48, 30, 4, "local", 2),
    ("default_pool", 2, 24, 40, 8, "local", 2),
]
QUICK = {"tiny_serial", "tiny_pool"}


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulation.cli", *args]


def run_case(folder: Path, name: str, reps: int, steps: int, width: int, groups: int, executor: str,
             workers: int) -> tuple[float, float, float]:  # fmt: skip
    scenario = folder / f"{name}.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "steps": steps,
                "world": {"grid": {"width": width, "height": width}, "ocgs": {"count": groups}},
            }
        )
    )
    experiment = folder / f"{name}_sweep.yaml"
    experiment.write_text(
        yaml.safe_dump({"name": name, "scenarios": [str(scenario)], "replications": reps, "seed": 7})
    )
    url = f"sqlite:///{folder / (name + '.sqlite')}"
    flags = ["--db", url, "--executor", executor, "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    dry = subprocess.run(
        _command("sweep", str(experiment), "--dry-run", *flags), capture_output=True, text=True, env=env
    )
    found = re.search(r"estimated time: \S+ \S+ \(([\d.]+) s\)", dry.stdout)
    if dry.returncode != 0 or not found:
        raise RuntimeError(f"dry run of {name} failed:\n{dry.stdout}\n{dry.stderr}")
    estimate = float(found.group(1))
    started = time.perf_counter()
    done = subprocess.run(
        _command("sweep", str(experiment), "-q", *flags), capture_output=True, text=True, env=env
    )
    command = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"sweep {name} failed:\n{done.stdout}\n{done.stderr}")
    with ResultsStore(url) as store:
        measured = float(load_sweeps(store, name)["wall_time"].iloc[-1])
    return estimate, measured, command


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="only the two smallest sweeps")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.quick or c[0] in QUICK]
    print(f"dry-run estimate vs measured sweep wall time (budget: within +-{TOLERANCE:.0%})")
    print(f"{'sweep':<14} {'runs':>4} {'steps':>5} {'grid':>5} {'executor':>9} {'estimate':>9} "
          f"{'measured':>9} {'error':>7} {'command':>8}  verdict")  # fmt: skip
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="ocsim-estimate-") as tmp:
        for name, reps, steps, width, groups, executor, workers in cases:
            estimate, measured, command = run_case(
                Path(tmp), name, reps, steps, width, groups, executor, workers
            )
            error = estimate / measured - 1
            worst = max(worst, abs(error))
            verdict = "PASS" if abs(error) <= TOLERANCE else "OVER"
            where = f"{executor}/{workers}"
            print(
                f"{name:<14} {reps:>4} {steps:>5} {width:>3}^2 {where:>9} {estimate:>8.1f}s "
                f"{measured:>8.1f}s {error:>+7.0%} {command:>7.1f}s  {verdict}"
            )
    print(
        f"worst error {worst:.0%}; 'command' is the whole `ocsim sweep` invocation (Python start-up, "
        "planning and the summary included)"
    )
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    raise SystemExit(main())
