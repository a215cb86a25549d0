"""Write runs to the results database and read them back as tidy pandas frames.

A run is recorded in two commits: ``begin_run`` commits a 'running' row before the simulation
starts (so a crash leaves a visible trace), and ``complete_run`` writes metrics, snapshots, events,
monthly history layers and the 'finished' status in one transaction (so a run never looks finished
without all its data, and a crash mid-write leaves it 'running' with no partial rows).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, delete, insert, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from simulation.core.indicators import RECORDED_NAMES, SNAPSHOT_LAYERS
from simulation.storage.bulk import write_metric_rows
from simulation.storage.codec import (
    MetricTable,
    decode_array,
    decode_event,
    encode_events,
    encode_history,
    encode_snapshots,
    events_table,
)
from simulation.storage.database import DatabaseURLError, mask_password, open_engine
from simulation.storage.records import RunRecord
from simulation.storage.schema import (
    SCHEMA_VERSION,
    events,
    experiment_runs,
    experiments,
    histories,
    indicators,
    info,
    metadata,
    metrics,
    runs,
    snapshots,
)

RUN_COLUMNS = ("run_id", "scenario", "seed", "replication", "step")
"""Leading columns of the wide metrics frame; indicator columns follow."""


class RunLike(Protocol):
    """What ``complete_run`` needs from a run result (``simulation.runner.RunResult`` fits).

    ``snapshots``, ``events`` (a frame, ``simulation.runner.events_frame``) and ``history``
    (layer -> array [step, x, y]) are stored when the result has them.
    """

    metrics: pd.DataFrame
    snapshots: Mapping[int, Mapping[str, np.ndarray]]
    wall_time: float


class RunExistsError(RuntimeError):
    """The same configuration, seed and steps already finished; its results are in the store."""

    def __init__(self, run_id: int, run_key: str) -> None:
        self.run_id = run_id
        self.run_key = run_key
        super().__init__(f"run {run_id} (key {run_key}) has already finished")


def metrics_to_store(result: RunLike) -> pd.DataFrame:
    """A run's metrics as stored: with step 0 (the initial state) when the result carries it."""
    with_start = getattr(result, "metrics_from_start", None)
    return with_start if isinstance(with_start, pd.DataFrame) else result.metrics


def make_run_key(config_hash: str, seed: int, steps: int) -> str:
    """Identity of a run: same configuration, seed and steps give the same results."""
    text = f"{config_hash}|{int(seed)}|{int(steps)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _now() -> datetime:
    return datetime.now(UTC)


def _package_version() -> str | None:
    try:
        return importlib_metadata.version("ocsim")
    except importlib_metadata.PackageNotFoundError:
        return None


def _ordered(names: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """Known names in their documented order, then any others alphabetically."""
    names = set(names)
    return [n for n in preferred if n in names] + sorted(names.difference(preferred))


# ------------------------------------------------------------------------------ writing helpers
def _require_running(conn: Connection, run_id: int) -> None:
    status = conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar_one_or_none()
    if status is None:
        raise LookupError(f"no run with id {run_id}")
    if status != "running":
        raise RuntimeError(f"run {run_id} is {status}, not running; it cannot be completed")


def _write_metrics(conn: Connection, run_id: int, table: MetricTable) -> None:
    write_metric_rows(conn, table.rows(run_id, indicator_ids(conn, table.names)))


def indicator_ids(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids of indicator names, registering new names (ids are small integers, never reused)."""
    wanted = list(dict.fromkeys(names))
    known = {row.name: int(row.id) for row in conn.execute(select(indicators.c.id, indicators.c.name))}
    missing = [n for n in wanted if n not in known]
    if missing:
        next_id = max(known.values(), default=0) + 1
        new = {name: next_id + i for i, name in enumerate(missing)}
        conn.execute(insert(indicators), [{"id": i, "name": n} for n, i in new.items()])
        known.update(new)
    return {n: known[n] for n in wanted}


def _write_snapshots(conn: Connection, run_id: int, encoded: Sequence[Mapping[str, Any]]) -> None:
    """Encoded snapshot rows (see ``codec.encode_snapshots``) of one run."""
    if encoded:
        conn.execute(insert(snapshots), [{"run_id": run_id, **row} for row in encoded])


def _write_events(conn: Connection, run_id: int, encoded: Sequence[Mapping[str, Any]]) -> None:
    """Encoded event rows (see ``codec.encode_events``) of one run."""
    if encoded:
        conn.execute(insert(events), [{"run_id": run_id, **row} for row in encoded])


def _write_history(conn: Connection, run_id: int, encoded: Sequence[Mapping[str, Any]]) -> None:
    """Encoded monthly layers (see ``codec.encode_history``) of one run."""
    if encoded:
        conn.execute(insert(histories), [{"run_id": run_id, **row} for row in encoded])


def _mark_finished(conn: Connection, run_id: int, wall_time: float | None) -> None:
    done = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == "running")
        .values(status="finished", finished_at=_now(), wall_time=wall_time)
    )
    if done.rowcount != 1:
        raise RuntimeError(f"run {run_id} changed status while its results were being written")


RESULT_TABLES = (metrics, snapshots, events, histories)
"""Every table holding a run's results, keyed by ``run_id``: cleared whenever a run is redone."""


def _clear_results(conn: Connection, *run_ids: int) -> None:
    for table in RESULT_TABLES:
        conn.execute(delete(table).where(table.c.run_id.in_([int(i) for i in run_ids])))


def _one_or_many(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str | int | np.integer):
        return [value]
    return list(value)


# ------------------------------------------------------------------------------------ the store
class ResultsStore:
    """A results database: runs, per-step metrics, spatial snapshots and experiments.

    ``url`` is any supported SQLAlchemy URL (see ``resolve_db_url``); the tables are created on
    first use. Use as a context manager, or call ``close()``, to release connections.
    """

    def __init__(self, url: str | None = None) -> None:
        self.engine: Engine = open_engine(url)
        self.url: str = self.engine.url.render_as_string(hide_password=False)
        try:
            self._create_tables()
        except SQLAlchemyError as exc:
            self.engine.dispose()
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseURLError(
                self.url, f"cannot create the results tables: {detail}", "check write permission"
            ) from None
        except DatabaseURLError:
            self.engine.dispose()
            raise

    def _create_tables(self) -> None:
        """Create missing tables; a second process doing the same at that moment is not an error."""
        for attempt in range(3):
            try:
                self._check_schema()
                metadata.create_all(self.engine)
                self._stamp_schema()
                return
            except (OperationalError, IntegrityError, ProgrammingError):
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))  # the other creator has finished by now

    def _check_schema(self) -> None:
        """Refuse a database written by an incompatible version rather than corrupt it."""
        tables = set(inspect(self.engine).get_table_names())
        version = None
        if info.name in tables:
            with self.engine.connect() as conn:
                version = conn.execute(
                    select(info.c.value).where(info.c.key == "schema_version")
                ).scalar_one_or_none()
        elif metrics.name in tables:
            version = "1"
        if version is not None and int(version) != SCHEMA_VERSION:
            raise DatabaseURLError(
                self.url,
                f"the database holds results in format {version}; this ocsim writes format {SCHEMA_VERSION}",
                "use a new database file (or move the old one away); old results stay readable "
                "with the ocsim version that wrote them",
            )

    def _stamp_schema(self) -> None:
        with self.engine.begin() as conn:
            stamped = conn.execute(select(info.c.value).where(info.c.key == "schema_version")).first()
            if stamped is None:
                conn.execute(insert(info).values(key="schema_version", value=str(SCHEMA_VERSION)))

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for messages."""
        return mask_password(self.url)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------- writing
    def begin_run(
        self,
        config: Mapping[str, Any] | str,
        config_hash: str,
        seed: int,
        steps: int,
        scenario_name: str,
        scenario_source: str | None = None,
        replication: int | None = None,
        experiment: str | None = None,
        *,
        replace: bool = False,
        seed_entropy: int | None = None,
        spawn_key: Sequence[int] | None = None,
    ) -> int:
        """Record a run as 'running' (committed at once) and return its id.

        A run with the same key that never finished (crashed or failed) is reclaimed and its id
        reused. One that finished raises ``RunExistsError`` unless ``replace`` is true, in which
        case its results are discarded and it starts again.
        """
        key = make_run_key(config_hash, seed, steps)
        values = {
            "scenario_name": scenario_name,
            "scenario_source": None if scenario_source is None else str(scenario_source),
            "config": config if isinstance(config, str) else json.dumps(config, sort_keys=True),
            "config_hash": config_hash,
            "seed": int(seed),
            "seed_entropy": None if seed_entropy is None else str(int(seed_entropy)),
            "spawn_key": None if spawn_key is None else json.dumps([int(k) for k in spawn_key]),
            "steps": int(steps),
            "replication": None if replication is None else int(replication),
            "experiment": experiment,
            "status": "running",
            "started_at": _now(),
            "finished_at": None,
            "wall_time": None,
            "package_version": _package_version(),
            "error": None,
            "traceback": None,
        }
        with self.engine.begin() as conn:
            existing = conn.execute(select(runs.c.id, runs.c.status).where(runs.c.run_key == key)).first()
            if existing is None:
                inserted = conn.execute(insert(runs).values(run_key=key, **values))
                return int(inserted.inserted_primary_key[0])
            if existing.status == "finished" and not replace:
                raise RunExistsError(int(existing.id), key)
            _clear_results(conn, existing.id)
            conn.execute(update(runs).where(runs.c.id == existing.id).values(**values))
            return int(existing.id)

    def complete_run(self, run_id: int, result: RunLike) -> None:
        """Store metrics, snapshots, events and history and mark the run finished, all or nothing."""
        table = MetricTable.from_frame(metrics_to_store(result))
        encoded = encode_snapshots(dict(getattr(result, "snapshots", None) or {}))
        happened = encode_events(getattr(result, "events", None))
        kept = encode_history(dict(getattr(result, "history", None) or {}))
        with self.engine.begin() as conn:
            _require_running(conn, run_id)
            _write_metrics(conn, run_id, table)
            _write_snapshots(conn, run_id, encoded)
            _write_events(conn, run_id, happened)
            _write_history(conn, run_id, kept)
            _mark_finished(conn, run_id, getattr(result, "wall_time", None))

    def fail_run(self, run_id: int, error: BaseException | str, traceback: str | None = None) -> None:
        """Mark a run failed with its error; a failed run keeps no results."""
        if isinstance(error, BaseException):
            error = f"{type(error).__name__}: {error}"
        with self.engine.begin() as conn:
            _clear_results(conn, run_id)
            done = conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(status="failed", finished_at=_now(), error=error, traceback=traceback)
            )
            if done.rowcount != 1:
                raise LookupError(f"no run with id {run_id}")

    def write_records(self, records: Sequence[RunRecord]) -> dict[str, int]:
        """Write whole runs in one transaction; returns run key -> run id of those written.

        A key already finished in the database is left alone (another sweep got there first); a
        key stored as failed or left running by a crash is replaced. Either every record of the
        batch is stored with all its metrics, snapshots, events and history, or none is.
        """
        if not records:
            return {}
        package_version = _package_version()
        with self.engine.begin() as conn:
            keys = [r.run_key for r in records]
            existing = {
                row.run_key: (int(row.id), row.status)
                for row in conn.execute(
                    select(runs.c.id, runs.c.run_key, runs.c.status).where(runs.c.run_key.in_(keys))
                )
            }
            stale = [run_id for run_id, status in existing.values() if status != "finished"]
            if stale:
                _clear_results(conn, *stale)
                conn.execute(delete(runs).where(runs.c.id.in_(stale)))
            fresh = list(
                {r.run_key: r for r in records if existing.get(r.run_key, (0, ""))[1] != "finished"}.values()
            )
            if not fresh:
                return {}
            inserted = conn.execute(
                insert(runs).returning(runs.c.id, runs.c.run_key, sort_by_parameter_order=True),
                [_run_row(r, package_version) for r in fresh],
            )
            ids = {row.run_key: int(row.id) for row in inserted}
            names = [n for r in fresh if r.metrics is not None for n in r.metrics.names]
            indicator_id = indicator_ids(conn, names)
            rows = [
                row
                for r in fresh
                if r.metrics is not None and r.status == "finished"
                for row in r.metrics.rows(ids[r.run_key], indicator_id)
            ]
            write_metric_rows(conn, rows)
            for record in fresh:
                if record.status == "finished":
                    _write_snapshots(conn, ids[record.run_key], record.snapshots)
                    _write_events(conn, ids[record.run_key], record.events)
                    _write_history(conn, ids[record.run_key], record.history)
        return ids

    # ------------------------------------------------------------------------------- reading
    def query_frame(self, query: Select) -> pd.DataFrame:
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame.from_records(result.all(), columns=list(result.keys()))

    def load_runs(
        self,
        experiment: str | None = None,
        status: str | Sequence[str] | None = None,
        run_ids: int | Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """One row per run (``run_id`` first), ``config`` parsed to a dict, times in UTC.

        With ``experiment``, the runs that experiment's plan uses (also those another experiment
        stored first).
        """
        query = select(runs).order_by(runs.c.id)
        if experiment is not None:
            query = query.where(runs.c.run_key.in_(_member_keys(experiment)))
        if (statuses := _one_or_many(status)) is not None:
            query = query.where(runs.c.status.in_(statuses))
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(runs.c.id.in_([int(i) for i in ids]))
        frame = self.query_frame(query).rename(columns={"id": "run_id"})
        frame["config"] = [json.loads(c) for c in frame["config"]]
        frame["spawn_key"] = [None if k is None else tuple(json.loads(k)) for k in frame["spawn_key"]]
        for column in ("started_at", "finished_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        frame["replication"] = frame["replication"].astype("Int64")
        return frame

    def load_metrics(
        self,
        run_ids: int | Iterable[int] | None = None,
        scenario: str | Iterable[str] | None = None,
        wide: bool = True,
        experiment: str | None = None,
        initial: bool = False,
    ) -> pd.DataFrame:
        """Metrics of finished runs as a tidy frame.

        Months 1, 2, ...; with ``initial=True`` also step 0, the world as built (stored for runs
        made since step 0 was recorded; ``ocsim export`` includes it).

        Wide: columns run_id, scenario, seed, replication, step, then one per indicator.
        Long (``wide=False``): run_id, scenario, seed, replication, step, indicator, value.
        With ``experiment``: the runs of its plan, with ``point`` and one column per swept
        parameter (named by its dotted path) after ``seed``; scenario and replication are the
        experiment's own labels.
        """
        if experiment is not None:
            return self._experiment_metrics(experiment, run_ids, scenario, wide, initial)
        query = (
            select(
                metrics.c.run_id,
                runs.c.scenario_name.label("scenario"),
                runs.c.seed,
                runs.c.replication,
                metrics.c.step,
                indicators.c.name.label("indicator"),
                metrics.c.value,
            )
            .join(runs, runs.c.id == metrics.c.run_id)
            .join(indicators, indicators.c.id == metrics.c.indicator_id)
            .order_by(metrics.c.run_id, metrics.c.step, metrics.c.indicator_id)
        )
        if not initial:
            query = query.where(metrics.c.step >= 1)
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(metrics.c.run_id.in_([int(i) for i in ids]))
        if (names := _one_or_many(scenario)) is not None:
            query = query.where(runs.c.scenario_name.in_(names))
        long = self.query_frame(query)
        long["value"] = long["value"].astype(float)
        long["replication"] = long["replication"].astype("Int64")
        return _widen(long, RUN_COLUMNS) if wide else long

    def _experiment_metrics(
        self,
        experiment: str,
        run_ids: int | Iterable[int] | None,
        scenario: str | Iterable[str] | None,
        wide: bool,
        initial: bool = False,
    ) -> pd.DataFrame:
        plan = self.experiment_plan(experiment)
        if plan is None:
            raise LookupError(f"no experiment named {experiment!r} in {self.display_url}")
        if (names := _one_or_many(scenario)) is not None:
            plan = plan[plan["scenario"].isin(names)]
        parameters = [c for c in plan.columns if c not in _PLAN_COLUMNS]
        query = (
            select(
                runs.c.run_key,
                metrics.c.run_id,
                runs.c.seed,
                metrics.c.step,
                indicators.c.name.label("indicator"),
                metrics.c.value,
            )
            .join(runs, runs.c.id == metrics.c.run_id)
            .join(indicators, indicators.c.id == metrics.c.indicator_id)
            .where(runs.c.run_key.in_(_member_keys(experiment)), runs.c.status == "finished")
        )
        if not initial:
            query = query.where(metrics.c.step >= 1)
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(metrics.c.run_id.in_([int(i) for i in ids]))
        long = self.query_frame(query)
        long["value"] = long["value"].astype(float)
        labels = plan[["run_key", "scenario", "point", "replication", *parameters]]
        long = labels.merge(long, on="run_key", how="inner").drop(columns="run_key")
        leading = ["run_id", "scenario", "point", "replication", "seed", *parameters]
        long = long.sort_values(["scenario", "point", "replication", "step", "indicator"], kind="stable")
        long["replication"] = long["replication"].astype("Int64")
        if wide:
            return _widen(long, (*leading, "step"), keys=["scenario", "point", "replication", "step"])
        return long[[*leading, "step", "indicator", "value"]].reset_index(drop=True)

    def experiment_plan(self, name: str) -> pd.DataFrame | None:
        """The runs an experiment needs: scenario, point, replication, run_key, parameters, status.

        ``status`` is the stored run's ('finished', 'failed', 'running') or 'pending'. None when
        no experiment has that name.
        """
        with self.engine.connect() as conn:
            experiment_id = conn.execute(
                select(experiments.c.id).where(experiments.c.name == name)
            ).scalar_one_or_none()
        if experiment_id is None:
            return None
        query = (
            select(
                experiment_runs.c.scenario,
                experiment_runs.c.point,
                experiment_runs.c.replication,
                experiment_runs.c.run_key,
                experiment_runs.c.parameters,
                runs.c.id.label("run_id"),
                runs.c.status,
            )
            .select_from(experiment_runs.outerjoin(runs, runs.c.run_key == experiment_runs.c.run_key))
            .where(experiment_runs.c.experiment_id == experiment_id)
            .order_by(experiment_runs.c.scenario, experiment_runs.c.point, experiment_runs.c.replication)
        )
        frame = self.query_frame(query)
        frame["status"] = frame["status"].fillna("pending")
        frame["run_id"] = frame["run_id"].astype("Int64")
        parameters = [json.loads(p) for p in frame.pop("parameters")]
        values = pd.DataFrame.from_records(parameters, index=frame.index)
        return pd.concat([frame, values], axis=1)

    def load_snapshots(
        self,
        run_id: int,
        steps: int | Iterable[int] | None = None,
        layers: str | Iterable[str] | None = None,
    ) -> dict[int, dict[str, np.ndarray]]:
        """step -> layer -> array, with the dtype and shape they were stored with."""
        query = select(snapshots).where(snapshots.c.run_id == int(run_id)).order_by(snapshots.c.step)
        if (wanted_steps := _one_or_many(steps)) is not None:
            query = query.where(snapshots.c.step.in_([int(s) for s in wanted_steps]))
        if (wanted_layers := _one_or_many(layers)) is not None:
            query = query.where(snapshots.c.layer.in_(wanted_layers))
        decoded: dict[int, dict[str, np.ndarray]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                arrays = decoded.setdefault(int(row.step), {})
                arrays[row.layer] = decode_array(row.dtype, row.shape, row.data)
        return {
            step: {name: arrays[name] for name in _ordered(arrays, SNAPSHOT_LAYERS)}
            for step, arrays in decoded.items()
        }

    def load_events(
        self,
        run_ids: int | Iterable[int] | None = None,
        kind: str | Iterable[str] | None = None,
        experiment: str | None = None,
    ) -> pd.DataFrame:
        """Events of finished runs, in the order they happened: ``run_id``, then the columns of
        ``RunResult.events`` (step, kind, group, x, y, cells, then the kinds' own fields, NaN
        where a field is not the event's kind's). With ``experiment``: the runs of its plan.

        Runs stored before events were recorded have none.
        """
        records = self._event_records(run_ids, kind, experiment)
        return events_table(({"run_id": run_id, **record} for run_id, record in records), ("run_id",))

    def _event_records(
        self,
        run_ids: int | Iterable[int] | None = None,
        kind: str | Iterable[str] | None = None,
        experiment: str | None = None,
    ) -> list[tuple[int, dict[str, Any]]]:
        """(run id, event record) in the order the events happened, decoded from the table."""
        query = (
            select(events)
            .join(runs, runs.c.id == events.c.run_id)
            .where(runs.c.status == "finished")
            .order_by(events.c.run_id, events.c.seq)
        )
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(events.c.run_id.in_([int(i) for i in ids]))
        if (kinds := _one_or_many(kind)) is not None:
            query = query.where(events.c.kind.in_(kinds))
        if experiment is not None:
            query = query.where(runs.c.run_key.in_(_member_keys(experiment)))
        with self.engine.connect() as conn:
            return [(int(row.run_id), decode_event(row)) for row in conn.execute(query)]

    def history_layers(self, run_ids: int | Iterable[int] | None = None) -> dict[int, list[str]]:
        """Which monthly layers (``output.history``) each run kept, without reading them."""
        query = select(histories.c.run_id, histories.c.layer).order_by(histories.c.run_id)
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(histories.c.run_id.in_([int(i) for i in ids]))
        kept: dict[int, list[str]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                kept.setdefault(int(row.run_id), []).append(row.layer)
        return {run_id: _ordered(layers, SNAPSHOT_LAYERS) for run_id, layers in kept.items()}

    def load_history(self, run_id: int, layers: str | Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Layer -> array [step, x, y] for months 0..steps, as ``RunResult.history`` held it.

        Only the layers the run's scenario listed under ``output.history``; none otherwise.
        """
        query = select(histories).where(histories.c.run_id == int(run_id))
        if (wanted := _one_or_many(layers)) is not None:
            query = query.where(histories.c.layer.in_(wanted))
        with self.engine.connect() as conn:
            arrays = {row.layer: decode_array(row.dtype, row.shape, row.data) for row in conn.execute(query)}
        return {name: arrays[name] for name in _ordered(arrays, SNAPSHOT_LAYERS)}

    def load_results(
        self,
        run_ids: int | Iterable[int] | None = None,
        experiment: str | None = None,
        scenario: str | Iterable[str] | None = None,
        layers: str | Iterable[str] | None = None,
        metrics: bool = True,
    ) -> list[StoredRun]:
        """Finished runs read back like ``run_scenario``'s results, for analyses such as
        ``simulation.analysis.event_study``: each with ``metrics`` (unless ``metrics=False``),
        ``events`` and ``history`` (the ``layers`` asked for, default every layer kept).

        Filters as in ``load_runs``; ``scenario`` is the scenario's name.
        """
        table = self.load_runs(experiment=experiment, status="finished", run_ids=run_ids)
        if (names := _one_or_many(scenario)) is not None:
            table = table[table["scenario_name"].isin(names)]
        ids = [int(i) for i in table["run_id"]]
        if not ids:
            return []
        by_run: dict[int, list[dict[str, Any]]] = {}
        for run_id, record in self._event_records(ids):
            by_run.setdefault(run_id, []).append(record)
        long = self.load_metrics(run_ids=ids, wide=False) if metrics else None
        per_run = dict(iter(long.groupby("run_id", sort=False))) if long is not None else {}
        loaded = []
        for row in table.itertuples():
            run_id = int(row.run_id)
            loaded.append(
                StoredRun(
                    run_id=run_id,
                    scenario_name=row.scenario_name,
                    seed=int(row.seed),
                    replication=None if pd.isna(row.replication) else int(row.replication),
                    steps=int(row.steps),
                    config=row.config,
                    metrics=_run_metrics(per_run.get(run_id)),
                    events=events_table(by_run.get(run_id, [])),
                    history=_in_listed_order(self.load_history(run_id, layers), row.config),
                )
            )
        return loaded


@dataclass
class StoredRun:
    """A finished run read back from the store, shaped like ``simulation.runner.RunResult`` where
    analyses look (``metrics``, ``events``, ``history``), with no model behind it."""

    run_id: int
    scenario_name: str
    seed: int
    replication: int | None
    steps: int
    config: dict[str, Any]
    """The run's full resolved configuration."""
    metrics: pd.DataFrame
    """Index ``step`` (1-based), one column per stored indicator; empty without ``metrics=True``."""
    events: pd.DataFrame
    """As ``RunResult.events``: equal to the frame the run produced."""
    history: dict[str, np.ndarray] = field(default_factory=dict)
    """Layer -> array [step, x, y], for the layers the scenario kept (``output.history``)."""


def _in_listed_order(history: dict[str, np.ndarray], config: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Layers in the order the run's ``output.history`` lists them, as ``RunResult.history`` has them."""
    listed = [n for n in (config.get("output") or {}).get("history") or [] if n in history]
    return {name: history[name] for name in [*listed, *(n for n in history if n not in listed)]}


def _run_metrics(long: pd.DataFrame | None) -> pd.DataFrame:
    if long is None or long.empty:
        return pd.DataFrame(index=pd.RangeIndex(0, name="step"))
    wide = long.pivot(index="step", columns="indicator", values="value")
    wide = wide[_ordered(wide.columns, RECORDED_NAMES)]
    wide.columns.name = None
    wide.index = wide.index.astype(np.int64)
    return wide


_PLAN_COLUMNS = ("scenario", "point", "replication", "run_key", "run_id", "status")


def _member_keys(experiment: str) -> Select:
    """Run keys an experiment's plan lists (a subquery)."""
    return (
        select(experiment_runs.c.run_key)
        .join(experiments, experiments.c.id == experiment_runs.c.experiment_id)
        .where(experiments.c.name == experiment)
    )


def _run_row(record: RunRecord, package_version: str | None) -> dict[str, Any]:
    return {
        "run_key": record.run_key,
        "scenario_name": record.scenario_name,
        "scenario_source": record.scenario_source,
        "config": record.config,
        "config_hash": record.config_hash,
        "seed": int(record.seed),
        "seed_entropy": None if record.seed_entropy is None else str(int(record.seed_entropy)),
        "spawn_key": None if record.spawn_key is None else json.dumps(list(record.spawn_key)),
        "steps": int(record.steps),
        "replication": record.replication,
        "experiment": record.experiment,
        "status": record.status,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "wall_time": record.wall_time,
        "package_version": package_version,
        "error": record.error,
        "traceback": record.traceback,
    }


def _widen(
    long: pd.DataFrame, leading: Sequence[str], keys: Sequence[str] = ("run_id", "step")
) -> pd.DataFrame:
    """Long metrics to one row per ``keys``, indicators as columns in documented order."""
    if long.empty:
        return pd.DataFrame(columns=list(leading))
    keys = list(keys)
    values = long.pivot(index=keys, columns="indicator", values="value")
    values = values[_ordered(values.columns, RECORDED_NAMES)]
    values.columns.name = None
    labels = long[[c for c in leading if c not in values.columns]].drop_duplicates(keys)
    wide = labels.merge(values.reset_index(), on=keys, how="right")
    return wide[list(leading) + list(values.columns)].reset_index(drop=True)


# ------------------------------------------------------------- one-call loaders for notebooks
def load_runs(db_url: str | None = None, **filters: Any) -> pd.DataFrame:
    """``ResultsStore(db_url).load_runs(**filters)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_runs(**filters)


def load_metrics(
    db_url: str | None = None,
    run_ids: int | Iterable[int] | None = None,
    scenario: str | Iterable[str] | None = None,
    wide: bool = True,
    experiment: str | None = None,
    initial: bool = False,
) -> pd.DataFrame:
    """``ResultsStore(db_url).load_metrics(...)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_metrics(
            run_ids=run_ids, scenario=scenario, wide=wide, experiment=experiment, initial=initial
        )


def load_snapshots(db_url: str | None, run_id: int, **filters: Any) -> dict[int, dict[str, np.ndarray]]:
    """``ResultsStore(db_url).load_snapshots(run_id, ...)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_snapshots(run_id, **filters)


def load_events(db_url: str | None = None, **filters: Any) -> pd.DataFrame:
    """``ResultsStore(db_url).load_events(...)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_events(**filters)


def load_history(db_url: str | None, run_id: int, **filters: Any) -> dict[str, np.ndarray]:
    """``ResultsStore(db_url).load_history(run_id, ...)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_history(run_id, **filters)


def load_results(db_url: str | None = None, **filters: Any) -> list[StoredRun]:
    """``ResultsStore(db_url).load_results(...)``: finished runs with metrics, events and history,
    e.g. ``event_study(load_results(url, scenario="kingpin_turf_war"))``."""
    with ResultsStore(db_url) as store:
        return store.load_results(**filters)
