"""How long a sweep will take, before it starts: from stored runs of the plan, else a short probe.

The estimate is of the sweep's own wall time (the time its summary reports) and has three parts:

- **start-up**: importing the model where runs execute (the process pool's fork server preloads
  it; serial and Dask workers import it at their first run) and the first run's extra cost in a
  fresh process (caches, lazy imports), both measured here rather than assumed;
- **runs**: ``ceil(runs / workers)`` rounds of one run's time. A probe builds the first pending
  run's model twice and times a few months of the second (warm) build, scaled for a grown market;
  stored runs of the plan give their mean wall time instead;
- **sharing the machine**: a probe runs alone, workers run side by side. With ``others``
  processes already wanting a CPU, ``k`` processes each get ``min(1, cpus / (others + k))`` of a
  core, so a probe's time is scaled by that share for one process over the share for the
  workers. (The earlier estimate assumed 90% parallel efficiency and ignored start-up: 3 s for a
  sweep that took 7 s.)

``benchmarks/bench_estimate.py`` compares estimates with measured sweeps.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from simulation.experiments.plan import RunTask
from simulation.storage.ledger import wall_times
from simulation.storage.store import ResultsStore

PROBE_STEPS = 5
GROWN_MARKET_FACTOR = 1.3
"""Markets fill up over the first year, so the first months are cheaper than the average month
(default world, two seeds: a 5-month probe extrapolated x1.3 was +7% and -5% off the measured
120-step runs)."""
PRELOADED = ("simulation.experiments.worker", "simulation.runner")
"""What a worker imports before its first run (the process pool's fork server preloads these)."""


@dataclass(frozen=True)
class Estimate:
    seconds_per_run: float
    """One run's wall time: in a worker (stored runs) or alone in this process (probe)."""
    basis: str
    """'N stored run(s) of this plan' or 'probe of N month(s) ...'."""
    startup: float = 0.0
    """Seconds before runs go at full speed: importing the model, a fresh process's first run."""
    cpus: int = 1
    """CPUs of the machine (shared with every other process on it)."""
    others: float = 0.0
    """Processes other than this one wanting a CPU when the estimate was made."""
    alone: bool = False
    """``seconds_per_run`` was measured by a single process (a probe), not by workers side by side."""

    def share(self, processes: int) -> float:
        """Share of a core each of ``processes`` busy processes gets on this machine now."""
        return min(1.0, self.cpus / (self.others + max(1, processes)))

    def total(self, runs: int, slots: int) -> float:
        """Estimated wall time of ``runs`` runs on ``slots`` workers."""
        if runs == 0:
            return 0.0
        active = max(1, min(slots, runs))
        per_run = self.seconds_per_run
        if self.alone:
            per_run *= self.share(1) / self.share(active)
        return self.startup + math.ceil(runs / active) * per_run


def estimate_run_time(
    store: ResultsStore, keys: list[str], pending: list[RunTask], executor: str = "local"
) -> Estimate | None:
    """Mean wall time of this plan's finished runs, else a probe of the first pending run.

    ``executor`` says where the model is imported: in this process (``serial``) or in fresh
    worker processes (``local``, ``dask``), which start Python and import everything anew.
    """
    times = wall_times(store, keys)
    if times:
        first_run = max(times) - min(times)  # a fresh worker's first run is the slowest
        return Estimate(
            sum(times) / len(times),
            f"{len(times)} stored run(s) of this plan",
            startup=import_seconds(fresh=executor != "serial") + first_run,
            cpus=_cpus(),
            others=busy_processes(),
        )
    if not pending:
        return None
    return probe(pending[0], executor)


def probe(task: RunTask, executor: str = "local") -> Estimate:
    """Build the first pending run's model twice and time a few months of the second (warm) one."""
    loading = import_seconds(fresh=executor != "serial")
    others = busy_processes()
    from simulation.core.model import CriminalMarketModel
    from simulation.scenario.schema import Scenario

    scenario = Scenario.model_validate(json.loads(task.config))
    steps = min(PROBE_STEPS, task.steps)
    cold = _probe_once(CriminalMarketModel, scenario, task.seed.seed, steps)
    built, per_step = warm = _probe_once(CriminalMarketModel, scenario, task.seed.seed, steps)
    per_run = built + per_step * task.steps * GROWN_MARKET_FACTOR
    first_run = max(0.0, (cold[0] + cold[1] * steps) - (warm[0] + warm[1] * steps))
    return Estimate(
        per_run,
        f"probe of {steps} month(s), scaled for a grown market",
        startup=loading + first_run,
        cpus=_cpus(),
        others=others,
        alone=True,
    )


def _probe_once(model_class, scenario, seed: int, steps: int) -> tuple[float, float]:
    """(seconds to build, seconds per month) of one model."""
    started = time.perf_counter()
    model = model_class(scenario, seed=seed)
    built = time.perf_counter()
    for _ in range(steps):
        model.step()
    return built - started, (time.perf_counter() - built) / steps


def import_seconds(fresh: bool = True) -> float:
    """Seconds a worker takes to be ready for its first run: Python started and the model imported.

    ``fresh``: in a new interpreter, as the process pool's fork server and Dask's workers do (timed
    in one, interpreter start included). Otherwise the import in this process, as the serial
    executor does it (timed here when not imported yet, else in a new interpreter).
    """
    loaded = any(name in sys.modules for name in ("simulation.runner", "simulation.core.model"))
    if not fresh and not loaded:
        started = time.perf_counter()
        for name in PRELOADED:
            __import__(name)
        return time.perf_counter() - started
    code = "; ".join(f"import {n}" for n in PRELOADED)
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=True)
    except (OSError, subprocess.SubprocessError):
        return 0.0
    return time.perf_counter() - started


def busy_processes(samples: int = 10, interval: float = 0.01) -> float:
    """Other processes ready to run right now: /proc/loadavg's runnable count, minus this one,
    averaged over a few samples (the 1-minute load average where that is not available)."""
    counts = []
    for _ in range(samples):
        try:
            with open("/proc/loadavg", encoding="ascii") as handle:
                counts.append(int(handle.read().split()[3].split("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            break
        time.sleep(interval)
    if counts:
        return max(0.0, sum(counts) / len(counts))
    if hasattr(os, "getloadavg"):
        return max(0.0, os.getloadavg()[0])
    return 0.0


def _cpus() -> int:
    return os.cpu_count() or 1
