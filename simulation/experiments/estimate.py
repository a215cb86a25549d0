"""How long a sweep will take, before it starts: from stored runs of the plan, else a short probe."""

from __future__ import annotations

import json
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
PARALLEL_EFFICIENCY = 0.9
"""Assumed share of ideal speed-up; benchmarks/README.md has the measured figure."""


@dataclass(frozen=True)
class Estimate:
    seconds_per_run: float
    basis: str
    """'stored runs' or 'probe of N steps'."""

    def total(self, runs: int, slots: int) -> float:
        if runs == 0:
            return 0.0
        efficiency = 1.0 if slots == 1 else PARALLEL_EFFICIENCY
        return self.seconds_per_run * runs / (min(slots, runs) * efficiency)


def estimate_run_time(store: ResultsStore, keys: list[str], pending: list[RunTask]) -> Estimate | None:
    """Mean wall time of this plan's finished runs, else a probe of the first pending run."""
    times = wall_times(store, keys)
    if times:
        return Estimate(sum(times) / len(times), f"{len(times)} stored run(s) of this plan")
    if not pending:
        return None
    return probe(pending[0])


def probe(task: RunTask) -> Estimate:
    """Build the first pending run's model and time a few months; extrapolate to its length."""
    from simulation.core.model import CriminalMarketModel
    from simulation.scenario.schema import Scenario

    scenario = Scenario.model_validate(json.loads(task.config))
    started = time.perf_counter()
    model = CriminalMarketModel(scenario, seed=task.seed.seed)
    built = time.perf_counter()
    steps = min(PROBE_STEPS, task.steps)
    for _ in range(steps):
        model.step()
    per_step = (time.perf_counter() - built) / steps
    per_run = (built - started) + per_step * task.steps * GROWN_MARKET_FACTOR
    return Estimate(per_run, f"probe of {steps} month(s), scaled for a grown market")
