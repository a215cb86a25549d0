"""Write runs to the results database and read them back as tidy pandas frames.

A run is recorded in two commits: ``begin_run`` commits a 'running' row before the simulation
starts (so a crash leaves a visible trace), and ``complete_run`` writes metrics, snapshots and the
'finished' status in one transaction (so a run never looks finished without all its data, and a
crash mid-write leaves it 'running' with no partial rows).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from simulation.indicators import INDICATOR_NAMES, SNAPSHOT_LAYERS
from simulation.storage.database import DatabaseURLError, mask_password, open_engine
from simulation.storage.schema import metadata, metrics, runs, snapshots

RUN_COLUMNS = ("run_id", "scenario", "seed", "replication", "step")
"""Leading columns of the wide metrics frame; indicator columns follow."""


class RunLike(Protocol):
    """What ``complete_run`` needs from a run result (``simulation.runner.RunResult`` fits)."""

    metrics: pd.DataFrame
    snapshots: Mapping[int, Mapping[str, np.ndarray]]
    wall_time: float


class RunExistsError(RuntimeError):
    """The same configuration, seed and steps already finished; its results are in the store."""

    def __init__(self, run_id: int, run_key: str) -> None:
        self.run_id = run_id
        self.run_key = run_key
        super().__init__(f"run {run_id} (key {run_key}) has already finished")


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
def _metric_rows(run_id: int, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Long-format rows from a wide step-indexed frame; NaN becomes NULL."""
    try:
        steps = np.asarray(frame.index, dtype=np.int64)
    except (TypeError, ValueError):
        raise ValueError("metrics index must hold integer steps") from None
    rows: list[dict[str, Any]] = []
    for name in frame.columns:
        try:
            values = pd.to_numeric(frame[name]).to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"indicator {name!r} is not numeric") from None
        rows.extend(
            {
                "run_id": run_id,
                "step": int(step),
                "indicator": str(name),
                "value": None if np.isnan(value) else float(value),
            }
            for step, value in zip(steps, values, strict=True)
        )
    return rows


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """Columns ``dtype``, ``shape``, ``data`` that restore ``array`` exactly."""
    array = np.asarray(array)
    if array.dtype.hasobject or array.dtype.names is not None:
        raise ValueError(f"cannot store arrays of dtype {array.dtype} (plain numeric dtypes only)")
    return {
        "dtype": array.dtype.str,
        "shape": json.dumps(list(array.shape)),
        "data": zlib.compress(np.ascontiguousarray(array).tobytes()),
    }


def decode_array(dtype: str, shape: str, data: bytes) -> np.ndarray:
    """Inverse of ``encode_array``: a writable array with the stored dtype and shape."""
    raw = zlib.decompress(data)
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(json.loads(shape)).copy()


def _snapshot_rows(
    run_id: int, layers_by_step: Mapping[int, Mapping[str, np.ndarray]]
) -> list[dict[str, Any]]:
    rows = []
    for step, layers in layers_by_step.items():
        for layer, array in layers.items():
            try:
                encoded = encode_array(array)
            except ValueError as exc:
                raise ValueError(f"snapshot step {step} layer {layer!r}: {exc}") from None
            rows.append({"run_id": run_id, "step": int(step), "layer": str(layer), **encoded})
    return rows


def _require_running(conn: Connection, run_id: int) -> None:
    status = conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar_one_or_none()
    if status is None:
        raise LookupError(f"no run with id {run_id}")
    if status != "running":
        raise RuntimeError(f"run {run_id} is {status}, not running; it cannot be completed")


def _write_metrics(conn: Connection, run_id: int, frame: pd.DataFrame) -> None:
    rows = _metric_rows(run_id, frame)
    if rows:
        conn.execute(insert(metrics), rows)


def _write_snapshots(
    conn: Connection, run_id: int, layers_by_step: Mapping[int, Mapping[str, np.ndarray]]
) -> None:
    rows = _snapshot_rows(run_id, layers_by_step)
    if rows:
        conn.execute(insert(snapshots), rows)


def _mark_finished(conn: Connection, run_id: int, wall_time: float | None) -> None:
    done = conn.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == "running")
        .values(status="finished", finished_at=_now(), wall_time=wall_time)
    )
    if done.rowcount != 1:
        raise RuntimeError(f"run {run_id} changed status while its results were being written")


def _clear_results(conn: Connection, run_id: int) -> None:
    conn.execute(delete(metrics).where(metrics.c.run_id == run_id))
    conn.execute(delete(snapshots).where(snapshots.c.run_id == run_id))


def _one_or_many(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str | int | np.integer):
        return [value]
    return list(value)


# ------------------------------------------------------------------------------------ the store
class ResultsStore:
    """A results database: runs, per-step metrics and spatial snapshots.

    ``url`` is any supported SQLAlchemy URL (see ``resolve_db_url``); the tables are created on
    first use. Use as a context manager, or call ``close()``, to release connections.
    """

    def __init__(self, url: str | None = None) -> None:
        self.engine: Engine = open_engine(url)
        self.url: str = self.engine.url.render_as_string(hide_password=False)
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseURLError(
                self.url, f"cannot create the results tables: {detail}", "check write permission"
            ) from None

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for messages."""
        return mask_password(self.url)

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
        """Store metrics and snapshots and mark the run finished, all or nothing."""
        with self.engine.begin() as conn:
            _require_running(conn, run_id)
            _write_metrics(conn, run_id, result.metrics)
            _write_snapshots(conn, run_id, getattr(result, "snapshots", None) or {})
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

    # ------------------------------------------------------------------------------- reading
    def _frame(self, query: Select) -> pd.DataFrame:
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame.from_records(result.all(), columns=list(result.keys()))

    def load_runs(
        self,
        experiment: str | None = None,
        status: str | Sequence[str] | None = None,
        run_ids: int | Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """One row per run (``run_id`` first), ``config`` parsed to a dict, times in UTC."""
        query = select(runs).order_by(runs.c.id)
        if experiment is not None:
            query = query.where(runs.c.experiment == experiment)
        if (statuses := _one_or_many(status)) is not None:
            query = query.where(runs.c.status.in_(statuses))
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(runs.c.id.in_([int(i) for i in ids]))
        frame = self._frame(query).rename(columns={"id": "run_id"})
        frame["config"] = [json.loads(c) for c in frame["config"]]
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
    ) -> pd.DataFrame:
        """Metrics of finished runs.

        Wide: columns run_id, scenario, seed, replication, step, then one per indicator.
        Long (``wide=False``): run_id, scenario, seed, replication, step, indicator, value.
        """
        query = (
            select(
                metrics.c.run_id,
                runs.c.scenario_name.label("scenario"),
                runs.c.seed,
                runs.c.replication,
                metrics.c.step,
                metrics.c.indicator,
                metrics.c.value,
            )
            .join(runs, runs.c.id == metrics.c.run_id)
            .order_by(metrics.c.run_id, metrics.c.step, metrics.c.indicator)
        )
        if (ids := _one_or_many(run_ids)) is not None:
            query = query.where(metrics.c.run_id.in_([int(i) for i in ids]))
        if (names := _one_or_many(scenario)) is not None:
            query = query.where(runs.c.scenario_name.in_(names))
        if experiment is not None:
            query = query.where(runs.c.experiment == experiment)
        long = self._frame(query)
        long["value"] = long["value"].astype(float)
        long["replication"] = long["replication"].astype("Int64")
        return _widen(long) if wide else long

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


def _widen(long: pd.DataFrame) -> pd.DataFrame:
    """Long metrics to one row per run and step, indicators as columns in documented order."""
    if long.empty:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    values = long.pivot(index=["run_id", "step"], columns="indicator", values="value")
    values = values[_ordered(values.columns, INDICATOR_NAMES)]
    values.columns.name = None
    info = long[["run_id", "scenario", "seed", "replication"]].drop_duplicates("run_id")
    wide = info.merge(values.reset_index(), on="run_id", how="right")
    return wide[list(RUN_COLUMNS) + list(values.columns)].reset_index(drop=True)


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
) -> pd.DataFrame:
    """``ResultsStore(db_url).load_metrics(...)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_metrics(run_ids=run_ids, scenario=scenario, wide=wide, experiment=experiment)


def load_snapshots(db_url: str | None, run_id: int, **filters: Any) -> dict[int, dict[str, np.ndarray]]:
    """``ResultsStore(db_url).load_snapshots(run_id, ...)`` without keeping the connection open."""
    with ResultsStore(db_url) as store:
        return store.load_snapshots(run_id, **filters)
