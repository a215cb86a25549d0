"""Run an experiment: plan it, skip what is stored, farm batches out, write results as they come.

Only this (parent) process writes to the database, in transactions of whole runs, so a sweep
killed at any moment (even ``kill -9``) leaves only complete runs, and the next invocation does
exactly the rest. At most ``2 x slots`` batches are in flight and results are written and dropped
as they arrive, so the parent's memory does not grow with the size of the sweep.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulation.experiments.executors import ExecutorKind, OpenExecutor, SerialExecutor, open_executor
from simulation.experiments.loader import load_experiment, with_flags, with_settings
from simulation.experiments.plan import (
    ExperimentPlan,
    RunTask,
    ScenarioInput,
    plan_experiment,
    scenario_inputs,
)
from simulation.experiments.provenance import provenance
from simulation.experiments.schema import ExperimentSpec
from simulation.experiments.worker import failed_record, run_batch
from simulation.storage.leases import Heartbeat, claim, close_dead_sweeps, leased_elsewhere, release
from simulation.storage.ledger import begin_sweep, finished_keys, register_experiment, update_sweep
from simulation.storage.records import RunRecord
from simulation.storage.store import ResultsStore

FLUSH_RUNS = 32
"""Write as soon as this many runs are waiting ..."""
FLUSH_SECONDS = 2.0
"""... or this long after the oldest waiting one arrived."""


@dataclass(frozen=True)
class SweepProgress:
    """Counts of distinct runs, reported after every write."""

    total: int
    skipped: int
    finished: int
    failed: int
    elapsed: float

    @property
    def done(self) -> int:
        return self.finished + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.skipped - self.done


ProgressCallback = Callable[[SweepProgress], None]


@dataclass
class Failure:
    run_key: str
    scenario: str
    replication: int | None
    error: str


@dataclass
class SweepSummary:
    """What an invocation did; ``failed`` > 0 means some runs need another try."""

    experiment: str
    planned: int
    skipped: int
    finished: int = 0
    failed: int = 0
    wall_time: float = 0.0
    executor: str = ""
    database: str = ""
    failures: list[Failure] = field(default_factory=list)
    interrupted: bool = False
    elsewhere: int = 0
    """Runs left to another sweep that holds a live lease on them (being computed there)."""

    @property
    def complete(self) -> bool:
        return not self.interrupted and not self.elsewhere and self.skipped + self.finished == self.planned


@dataclass
class PreparedExperiment:
    """An experiment read and planned, ready to run or to count."""

    spec: ExperimentSpec
    plan: ExperimentPlan
    source: str | None


def prepare_experiment(
    experiment: str | Path | ExperimentSpec,
    scenarios: Sequence[ScenarioInput] | None = None,
    *,
    settings: Mapping[str, Any] | None = None,
    steps: int | None = None,
) -> PreparedExperiment:
    """Load (if a path) and plan; every scenario x point is validated here, before anything runs.

    ``settings`` (dotted paths -> values, as ``--set``) go on top of the file's ``set:`` and
    ``steps`` replaces its ``steps``; both become part of every run's configuration (identity).
    """
    if isinstance(experiment, ExperimentSpec):
        spec, source = experiment, None
    else:
        spec, source = load_experiment(experiment), str(experiment)
    spec = with_settings(spec, settings, steps, source or f"experiment {spec.name}")
    inputs = list(scenarios) if scenarios is not None else scenario_inputs(spec, source)
    where = with_flags(source or f"experiment {spec.name}", settings, steps)
    return PreparedExperiment(spec, plan_experiment(spec, inputs, source, where), source)


def spec_hash(prepared: PreparedExperiment) -> str:
    """Identity of what the plan contains: the specification and the runs it resolved to."""
    text = json.dumps(
        {"spec": prepared.spec.model_dump(mode="json"), "runs": [m.run_key for m in prepared.plan.members]},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def register(store: ResultsStore, prepared: PreparedExperiment) -> tuple[int, str]:
    members = [
        {
            "scenario": m.scenario,
            "point": m.point,
            "replication": m.replication,
            "run_key": m.run_key,
            "parameters": m.parameters,
        }
        for m in prepared.plan.members
    ]
    return register_experiment(
        store,
        prepared.spec.name,
        prepared.spec.model_dump(mode="json"),
        spec_hash(prepared),
        prepared.plan.design,
        members,
        prepared.source,
    )


def pending_tasks(store: ResultsStore, plan: ExperimentPlan) -> list[RunTask]:
    done = finished_keys(store, plan.tasks)
    return [task for key, task in plan.tasks.items() if key not in done]


def batch_size_for(n_runs: int, slots: int, requested: int | None = None) -> int:
    """Runs per task: a few, so per-task overhead vanishes, but at least 4 tasks per slot for balance."""
    if requested is not None:
        return max(1, int(requested))
    return max(1, min(4, n_runs // (slots * 4)))


def _batches(tasks: Sequence[RunTask], size: int) -> Iterator[list[RunTask]]:
    for start in range(0, len(tasks), size):
        yield list(tasks[start : start + size])


def run_experiment(
    experiment: str | Path | ExperimentSpec,
    executor: ExecutorKind | Executor | None = None,
    db: str | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    scenarios: Sequence[ScenarioInput] | None = None,
    settings: Mapping[str, Any] | None = None,
    steps: int | None = None,
) -> SweepSummary:
    """Run every run of an experiment that is not stored yet; returns what happened.

    ``executor`` is 'local' (process pool, the default), 'serial', 'dask' (the default when a
    ``scheduler`` address is given), or any ``concurrent.futures.Executor`` you manage yourself.
    ``db`` is a SQLAlchemy URL (default: ``$OCSIM_DB``, else ``results/ocsim.sqlite``).
    ``settings`` and ``steps`` override the experiment's ``set:`` and ``steps`` (as
    ``ocsim sweep --set/--steps``).
    """
    if executor is None:
        executor = "dask" if scheduler is not None else "local"
    prepared = prepare_experiment(experiment, scenarios, settings=settings, steps=steps)
    with ResultsStore(db) as store:
        experiment_id, _ = register(store, prepared)
        todo = pending_tasks(store, prepared.plan)
        summary = SweepSummary(
            prepared.spec.name,
            planned=len(prepared.plan.tasks),
            skipped=len(prepared.plan.tasks) - len(todo),
            database=store.display_url,
        )
        if not todo:  # everything is stored: no pool or cluster to start
            return _run(store, experiment_id, todo, OpenExecutor(SerialExecutor(), 1, "nothing to run"),
                        summary, batch_size, progress)  # fmt: skip
        if isinstance(executor, Executor):
            opened = _borrowed(executor, workers)
            return _run(store, experiment_id, todo, opened, summary, batch_size, progress)
        with open_executor(executor, workers, scheduler) as opened:
            return _run(store, experiment_id, todo, opened, summary, batch_size, progress)


def _borrowed(executor: Executor, workers: int | None) -> OpenExecutor:
    slots = workers or getattr(executor, "_max_workers", None) or 1
    return OpenExecutor(executor, int(slots), type(executor).__name__)


def _run(
    store: ResultsStore,
    experiment_id: int,
    todo: list[RunTask],
    opened: OpenExecutor,
    summary: SweepSummary,
    batch_size: int | None,
    progress: ProgressCallback | None,
) -> SweepSummary:
    summary.executor = opened.description
    info = {
        **provenance(),
        "executor": opened.description,
        "workers": opened.slots,
        "runs_planned": summary.planned,
        "runs_skipped": summary.skipped,
    }
    close_dead_sweeps(store, experiment_id)
    sweep_id = begin_sweep(store, experiment_id, info)
    started = time.perf_counter()
    writer = _Writer(store, summary, started, progress, sweep_id)
    writer.report()
    status = "interrupted"
    try:
        with Heartbeat(store, sweep_id):
            _drive(opened, todo, batch_size_for(len(todo), opened.slots, batch_size), writer)
        status = "finished"
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        writer.flush()
        summary.wall_time = time.perf_counter() - started
        update_sweep(store, sweep_id, summary.finished, summary.failed, status, summary.wall_time)
        release(store, sweep_id)
    return summary


def _drive(opened: OpenExecutor, todo: list[RunTask], size: int, writer: _Writer) -> None:
    """Keep every slot busy with a bounded number of batches in flight; hand results to the writer."""
    queue = _batches(todo, size)
    in_flight: dict[Future, list[RunTask]] = {}
    limit = 2 * opened.slots

    def top_up() -> None:
        while len(in_flight) < limit:
            batch = next(queue, None)
            if batch is None:
                return
            batch = writer.claim(batch)
            if batch:
                in_flight[opened.executor.submit(run_batch, batch)] = batch

    try:
        top_up()
        while in_flight:
            done, _ = wait(in_flight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                batch = in_flight.pop(future)
                writer.add(_collect(future, batch))
            writer.maybe_flush()
            top_up()
    except BaseException:
        for future in in_flight:
            future.cancel()
        raise


def _collect(future: Future, batch: list[RunTask]) -> list[RunRecord]:
    """A batch's records; an executor-level failure (a worker died) fails each of its runs."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise RuntimeError(
            "a worker process died (out of memory, or killed); the runs finished so far are stored: "
            "run the sweep again to do the rest"
        ) from None
    except Exception as exc:  # the executor failed the task (e.g. a Dask worker was lost)
        now = datetime.now(UTC)
        error = f"{type(exc).__name__}: {exc}"
        return [failed_record(task, error, now) for task in batch]


class _Writer:
    """Buffers arriving records and writes them in whole-run transactions."""

    def __init__(
        self,
        store: ResultsStore,
        summary: SweepSummary,
        started: float,
        progress: ProgressCallback | None,
        sweep_id: int | None = None,
    ) -> None:
        self.sweep_id = sweep_id
        self.store = store
        self.summary = summary
        self.started = started
        self.progress = progress
        self.buffer: list[RunRecord] = []
        self.oldest: float | None = None

    def claim(self, batch: list[RunTask]) -> list[RunTask]:
        """The runs of ``batch`` this sweep may compute: leased to it, not held by another sweep,
        not finished by one since the plan was read."""
        if self.sweep_id is None:
            return batch
        mine = set(claim(self.store, self.sweep_id, [task.run_key for task in batch]))
        if len(mine) < len(batch):
            elsewhere = leased_elsewhere(
                self.store, self.sweep_id, [t.run_key for t in batch if t.run_key not in mine]
            )
            self.summary.elsewhere += len(elsewhere)
            self.summary.skipped += len(batch) - len(mine) - len(elsewhere)
            self.report()
        return [task for task in batch if task.run_key in mine]

    def add(self, records: list[RunRecord]) -> None:
        if records and self.oldest is None:
            self.oldest = time.perf_counter()
        self.buffer.extend(records)

    def maybe_flush(self) -> None:
        waited = self.oldest is not None and time.perf_counter() - self.oldest >= FLUSH_SECONDS
        if len(self.buffer) >= FLUSH_RUNS or waited:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        written = self.store.write_records(self.buffer)
        if self.sweep_id is not None:
            release(self.store, self.sweep_id, [record.run_key for record in self.buffer])
        for record in self.buffer:
            if record.run_key not in written:
                self.summary.skipped += 1  # another sweep stored it meanwhile
                continue
            if record.status == "finished":
                self.summary.finished += 1
            else:
                self.summary.failed += 1
                self.summary.failures.append(
                    Failure(record.run_key, record.scenario_name, record.replication, record.error or "")
                )
        self.buffer, self.oldest = [], None
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            s = self.summary
            elapsed = time.perf_counter() - self.started
            self.progress(SweepProgress(s.planned, s.skipped + s.elsewhere, s.finished, s.failed, elapsed))
