"""What a worker process does with a batch of runs: simulate each, encode its results, never raise.

A run that raises becomes a failed record with its error and traceback, so one bad point cannot
take a batch (or a sweep) down. Encoding happens here, in parallel, so the parent only writes.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime

from simulation.experiments.plan import RunTask
from simulation.storage.codec import MetricTable, encode_events, encode_history, encode_snapshots
from simulation.storage.records import RunRecord
from simulation.storage.store import metrics_to_store


def run_batch(tasks: Sequence[RunTask]) -> list[RunRecord]:
    """Simulate the tasks one after another (the unit of work sent to an executor)."""
    return [run_task(task) for task in tasks]


def run_task(task: RunTask) -> RunRecord:
    """One run as a record: finished with metrics, snapshots, events and history, or failed with
    the traceback."""
    from simulation.runner import run_scenario
    from simulation.scenario.schema import Scenario

    started_at, started = datetime.now(UTC), time.perf_counter()
    record = failed_record(task, None, started_at)
    try:
        scenario = Scenario.model_validate(json.loads(task.config))
        result = run_scenario(scenario, seed=task.seed.seed, steps=task.steps)
        record.metrics = MetricTable.from_frame(metrics_to_store(result))
        record.snapshots = encode_snapshots(result.snapshots)
        record.events = encode_events(result.events)
        record.history = encode_history(result.history)
        record.status = "finished"
    except Exception as exc:  # recorded; the sweep goes on
        record.error = f"{type(exc).__name__}: {exc}"
        record.traceback = traceback.format_exc()
    record.finished_at = datetime.now(UTC)
    record.wall_time = time.perf_counter() - started
    return record


def failed_record(task: RunTask, error: str | None, when: datetime) -> RunRecord:
    """A record of the task marked failed (the starting point of every record)."""
    return RunRecord(
        run_key=task.run_key,
        scenario_name=task.scenario_name,
        scenario_source=task.scenario_source,
        config=task.config,
        config_hash=task.config_hash,
        seed=task.seed.seed,
        steps=task.steps,
        replication=task.seed.replication,
        experiment=task.experiment,
        status="failed",
        started_at=when,
        finished_at=when,
        wall_time=0.0,
        seed_entropy=task.seed.root_seed,
        spawn_key=task.seed.spawn_key,
        error=error,
    )
