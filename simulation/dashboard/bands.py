"""Bands over several seeds: how far luck alone moves each line.

One seed is one history. The band runs the session scenario (the live line) and the ghost's
scenario over ``seeds`` replications — seeds spawned from the session's root seed exactly as
``ocsim run --seed S --replications N`` spawns them, so replication 0 is the run on the screen —
and draws, month by month, the 10th to 90th percentile across them.

The runs go to a pool of worker processes (``concurrent.futures.ProcessPoolExecutor``, started
with ``spawn``: the server has threads, which must not be forked), one future per run, so the
page stays responsive and the band appears when its last run is in. A change to the strategy
makes the live band stale: it is computed again (its unfinished runs are cancelled); the ghost's
band is kept, since the ghost never changes within a session.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from simulation.core.seeds import replication_seed
from simulation.dashboard.session import TrainingSession

BAND_SEEDS = 5
LOW, HIGH = 0.10, 0.90
WORKERS_ENV = "OCSIM_DASHBOARD_BAND_WORKERS"
"""Worker processes for the bands (default: one fewer than the cores, at least 1, at most 4)."""


def run_metrics(raw: dict, seed: int) -> dict[str, np.ndarray]:
    """One run of a scenario (as a validated mapping) through the path ``ocsim run`` takes; every
    indicator per month (months 1..steps). Runs in a worker process."""
    from simulation.runner import run_scenario
    from simulation.scenario.loader import validate_scenario

    scenario = validate_scenario(raw, "dashboard band")
    metrics = run_scenario(scenario, seed=seed).metrics
    return {name: metrics[name].to_numpy(dtype=float) for name in metrics.columns}


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def workers() -> int:
    configured = os.environ.get(WORKERS_ENV)
    if configured:
        return max(1, int(configured))
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def _exit_with_parent(parent: int) -> None:
    """Runs in each band worker as it starts: end the worker once the server that started it is
    gone. A worker waiting on its queue holds that queue's pipe open itself, so it would
    otherwise outlive a server that was stopped or killed."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def pool() -> ProcessPoolExecutor:
    """The server's pool of band workers, started on first use and shared by every tab."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=workers(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _pool


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


@dataclass
class SeedRuns:
    """One scenario run over several seeds, as futures."""

    key: str
    """The scenario (JSON) and seeds the runs are for."""
    futures: list[Future]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    """Indicator -> array [seed, month], once every run is in."""

    @property
    def done(self) -> int:
        return sum(f.done() for f in self.futures)

    @property
    def ready(self) -> bool:
        return self.done == len(self.futures) and not self.error

    @property
    def error(self) -> str | None:
        for f in self.futures:
            if f.done() and not f.cancelled() and f.exception() is not None:
                return f"{type(f.exception()).__name__}: {f.exception()}"
        return None

    def collect(self) -> bool:
        """Gather the runs once all are in; True when the values are there."""
        if self.values:
            return True
        if not self.ready:
            return False
        runs = [f.result() for f in self.futures]
        self.values = {name: np.stack([run[name] for run in runs]) for name in runs[0]}
        return True

    def cancel(self) -> None:
        for f in self.futures:
            f.cancel()


def _key(raw: dict, seed: int, seeds: int) -> str:
    return json.dumps({"scenario": raw, "seed": seed, "seeds": seeds}, sort_keys=True)


def _submit(executor: Executor, raw: dict, seed: int, seeds: int) -> SeedRuns:
    futures = [executor.submit(run_metrics, raw, replication_seed(seed, i).seed) for i in range(seeds)]
    return SeedRuns(_key(raw, seed, seeds), futures)


class Band:
    """The live and ghost bands of a session, kept up to date with its strategy."""

    def __init__(self, seeds: int = BAND_SEEDS, executor: Executor | None = None) -> None:
        if seeds < 2:
            raise ValueError(f"a band needs at least 2 seeds, got {seeds}")
        self.seeds = int(seeds)
        self._executor = executor
        self.live: SeedRuns | None = None
        self.ghost: SeedRuns | None = None
        self._lock = threading.Lock()

    def update(self, session: TrainingSession) -> None:
        """Start the runs the session's current scenarios need (those already running are kept)."""
        executor = self._executor or pool()
        live = session.spec.model_dump(mode="json")
        ghost = session.ghost_scenario.model_dump(mode="json")
        with self._lock:
            if self.live is None or self.live.key != _key(live, session.seed, self.seeds):
                if self.live is not None:
                    self.live.cancel()
                self.live = _submit(executor, live, session.seed, self.seeds)
            if self.ghost is None or self.ghost.key != _key(ghost, session.seed, self.seeds):
                if self.ghost is not None:
                    self.ghost.cancel()
                self.ghost = _submit(executor, ghost, session.seed, self.seeds)

    def cancel(self) -> None:
        with self._lock:
            for runs in (self.live, self.ghost):
                if runs is not None:
                    runs.cancel()

    def futures(self) -> list[Future]:
        return [f for runs in (self.live, self.ghost) if runs is not None for f in runs.futures]

    @property
    def total(self) -> int:
        return 2 * self.seeds

    @property
    def done(self) -> int:
        return sum(runs.done for runs in (self.live, self.ghost) if runs is not None)

    @property
    def ready(self) -> bool:
        return all(runs is not None and runs.collect() for runs in (self.live, self.ghost))

    @property
    def error(self) -> str | None:
        return next((e for runs in (self.live, self.ghost) if runs is not None and (e := runs.error)), None)

    def describe(self) -> str:
        """What the band is, or how far its computation has come."""
        if self.error:
            return f"band failed: {self.error}"
        if self.ready:
            return f"band: {self.seeds} seeds, {LOW * 100:.0f}th–{HIGH * 100:.0f}th percentile"
        return f"band: computing {self.seeds} seeds ({self.done} of {self.total} runs in)"

    def quantiles(self, indicator: str, months: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per run ("live", "ghost"): the low and high percentile of months 1..``months``."""
        if not self.ready:
            return {}
        found = {}
        for run, runs in (("live", self.live), ("ghost", self.ghost)):
            values = runs.values.get(indicator) if runs is not None else None
            if values is None:
                continue
            window = values[:, :months]
            found[run] = (np.quantile(window, LOW, axis=0), np.quantile(window, HIGH, axis=0))
        return found
