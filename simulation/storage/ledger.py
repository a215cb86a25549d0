"""The experiments' side of the results database: specifications, plans and sweep invocations.

An experiment's plan (``experiment_runs``) lists the run keys it needs; the runs themselves live
in ``runs`` once a worker has produced them, so what is left to do is the plan minus the finished
keys. Each invocation of a sweep gets a ``sweeps`` row with its provenance and counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from simulation.storage.leases import is_stale
from simulation.storage.schema import (
    claim_verdicts,
    experiment_runs,
    experiments,
    findings,
    runs,
    sweep_heartbeats,
    sweeps,
)
from simulation.storage.store import ResultsStore

_CHUNK = 500
"""Keys per IN (...) list, well under every backend's parameter limit."""


def _now() -> datetime:
    return datetime.now(UTC)


def register_experiment(
    store: ResultsStore,
    name: str,
    spec: Mapping[str, Any],
    spec_hash: str,
    design: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    source: str | None = None,
) -> tuple[int, str]:
    """Create or update an experiment and its plan; returns (id, 'new' | 'unchanged' | 'changed').

    A changed specification replaces the plan; runs already stored stay and are reused wherever
    the new plan needs the same configuration and seed. Two sweeps registering the same new
    experiment at once do not fail: the one that loses the race finds the other's row.
    """
    try:
        return _register(store, name, spec, spec_hash, design, members, source)
    except IntegrityError:
        return _register(store, name, spec, spec_hash, design, members, source)


def _register(
    store: ResultsStore,
    name: str,
    spec: Mapping[str, Any],
    spec_hash: str,
    design: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    source: str | None,
) -> tuple[int, str]:
    now = _now()
    values = {
        "source": source,
        "spec": json.dumps(spec, sort_keys=True),
        "spec_hash": spec_hash,
        "design": json.dumps(design, sort_keys=True),
        "planned_runs": len({m["run_key"] for m in members}),
        "updated_at": now,
    }
    with store.engine.begin() as conn:
        row = conn.execute(
            select(experiments.c.id, experiments.c.spec_hash).where(experiments.c.name == name)
        ).first()
        if row is not None and row.spec_hash == spec_hash:
            return int(row.id), "unchanged"
        if row is None:
            inserted = conn.execute(insert(experiments).values(name=name, created_at=now, **values))
            experiment_id, state = int(inserted.inserted_primary_key[0]), "new"
        else:
            experiment_id, state = int(row.id), "changed"
            conn.execute(update(experiments).where(experiments.c.id == experiment_id).values(**values))
            conn.execute(delete(experiment_runs).where(experiment_runs.c.experiment_id == experiment_id))
        rows = [
            {
                "experiment_id": experiment_id,
                "scenario": m["scenario"],
                "point": int(m["point"]),
                "replication": int(m["replication"]),
                "run_key": m["run_key"],
                "parameters": json.dumps(m["parameters"], sort_keys=False),
            }
            for m in members
        ]
        if rows:
            conn.execute(insert(experiment_runs), rows)
    return experiment_id, state


def finished_keys(store: ResultsStore, keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` whose runs are stored as finished."""
    keys = list(keys)
    done: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            query = select(runs.c.run_key).where(runs.c.run_key.in_(chunk), runs.c.status == "finished")
            done.update(conn.execute(query).scalars())
    return done


def wall_times(store: ResultsStore, keys: Iterable[str]) -> list[float]:
    """Seconds each finished run among ``keys`` took, for time estimates."""
    keys = list(keys)
    times: list[float] = []
    with store.engine.connect() as conn:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            query = select(runs.c.wall_time).where(
                runs.c.run_key.in_(chunk), runs.c.status == "finished", runs.c.wall_time.is_not(None)
            )
            times.extend(float(t) for t in conn.execute(query).scalars())
    return times


def begin_sweep(store: ResultsStore, experiment_id: int, provenance: Mapping[str, Any]) -> int:
    """Record an invocation as running, with where and with what it runs."""
    with store.engine.begin() as conn:
        inserted = conn.execute(
            insert(sweeps).values(
                experiment_id=experiment_id,
                status="running",
                started_at=_now(),
                executor=str(provenance.get("executor", "")),
                workers=provenance.get("workers"),
                host=provenance.get("host"),
                platform=provenance.get("platform"),
                python=provenance.get("python"),
                git_commit=provenance.get("git_commit"),
                package_versions=json.dumps(provenance.get("package_versions", {}), sort_keys=True),
                runs_planned=provenance.get("runs_planned"),
                runs_skipped=provenance.get("runs_skipped"),
                runs_finished=0,
                runs_failed=0,
            )
        )
        return int(inserted.inserted_primary_key[0])


def update_sweep(
    store: ResultsStore,
    sweep_id: int,
    finished: int,
    failed: int,
    status: str = "running",
    wall_time: float = 0.0,
) -> None:
    """Counts so far; a final status ('finished' or 'interrupted') closes the invocation."""
    values: dict[str, Any] = {
        "runs_finished": finished,
        "runs_failed": failed,
        "status": status,
        "wall_time": wall_time,
    }
    if status != "running":
        values["finished_at"] = _now()
    with store.engine.begin() as conn:
        conn.execute(update(sweeps).where(sweeps.c.id == sweep_id).values(**values))


def experiment_status(store: ResultsStore) -> pd.DataFrame:
    """One row per experiment: planned runs and how many are finished, failed or pending."""
    status = runs.c.status
    query = (
        select(
            experiments.c.name.label("experiment"),
            experiments.c.planned_runs.label("planned"),
            func.count(func.distinct(case((status == "finished", runs.c.run_key)))).label("finished"),
            func.count(func.distinct(case((status == "failed", runs.c.run_key)))).label("failed"),
            experiments.c.created_at,
            experiments.c.updated_at,
        )
        .select_from(
            experiments.outerjoin(
                experiment_runs, experiment_runs.c.experiment_id == experiments.c.id
            ).outerjoin(runs, runs.c.run_key == experiment_runs.c.run_key)
        )
        .group_by(experiments.c.id)
        .order_by(experiments.c.name)
    )
    frame = store.query_frame(query)
    frame["pending"] = frame["planned"] - frame["finished"] - frame["failed"]
    latest = load_sweeps(store).drop_duplicates("experiment", keep="last").set_index("experiment")["status"]
    frame["last_sweep"] = [latest.get(name, "") for name in frame["experiment"]]
    columns = ["experiment", "planned", "finished", "failed", "pending", "created_at", "updated_at"]
    return frame[[*columns, "last_sweep"]]


def load_sweeps(store: ResultsStore, experiment: str | None = None) -> pd.DataFrame:
    """Every invocation (newest last) with its provenance; ``package_versions`` parsed.

    A sweep still recorded as running whose heartbeat stopped (its process died) is shown as
    'interrupted' (``simulation.storage.leases``).
    """
    query = (
        select(
            experiments.c.name.label("experiment"),
            sweeps,
            sweep_heartbeats.c.beat_at.label("heartbeat_at"),
            sweep_heartbeats.c.pid.label("heartbeat_pid"),
            sweep_heartbeats.c.host.label("heartbeat_host"),
        )
        .join(experiments, experiments.c.id == sweeps.c.experiment_id)
        .outerjoin(sweep_heartbeats, sweep_heartbeats.c.sweep_id == sweeps.c.id)
        .order_by(sweeps.c.id)
    )
    if experiment is not None:
        query = query.where(experiments.c.name == experiment)
    frame = store.query_frame(query).rename(columns={"id": "sweep_id"})
    frame["package_versions"] = [json.loads(v) if v else {} for v in frame["package_versions"]]
    now = _now()
    rows = zip(
        frame["status"],
        frame["heartbeat_at"],
        frame["started_at"],
        frame["heartbeat_host"],
        frame["heartbeat_pid"],
        strict=True,
    )
    frame["status"] = [
        "interrupted"
        if is_stale(status, _timestamp(beat), _timestamp(started), now, host, _pid(pid))
        else status
        for status, beat, started, host, pid in rows
    ]
    return frame.drop(columns=["heartbeat_host", "heartbeat_pid"])


def _pid(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _timestamp(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


def load_experiment_record(store: ResultsStore, name: str) -> dict[str, Any] | None:
    """The stored specification and design of an experiment, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(experiments).where(experiments.c.name == name)).first()
    if row is None:
        return None
    record = dict(row._mapping)
    record["spec"] = json.loads(record["spec"])
    record["design"] = json.loads(record["design"])
    return record


def store_verdicts(
    store: ResultsStore, experiment: str, scenario: str, verdicts: Sequence[Mapping[str, Any]]
) -> None:
    """Append claim verdicts (``ClaimVerdict.as_record()`` mappings), numbered in claim order."""
    now = _now()
    rows = [
        {
            "experiment": experiment,
            "scenario": scenario,
            "claim_index": i,
            "claim": v["claim"],
            "metric": v["metric"],
            "compare": v["compare"],
            "window_first": int(v["window"][0]),
            "window_last": int(v["window"][1]),
            "kind": v["kind"],
            "threshold": float(v["threshold"]),
            "wants_below": int(bool(v["wants_below"])),
            "confidence": float(v["confidence"]),
            "estimate": _finite(v["estimate"]),
            "low": _finite(v["low"]),
            "high": _finite(v["high"]),
            "verdict": v["verdict"],
            "replications": int(v["replications"]),
            "more_replications": v.get("more_replications"),
            "note": v.get("note") or None,
            "judged_at": now,
        }
        for i, v in enumerate(verdicts)
    ]
    if rows:
        with store.engine.begin() as conn:
            conn.execute(insert(claim_verdicts), rows)


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def load_verdicts(store: ResultsStore, experiment: str | None = None, latest: bool = True) -> pd.DataFrame:
    """Stored verdicts; with ``latest``, only the most recent judgement of each claim."""
    query = select(claim_verdicts).order_by(claim_verdicts.c.id)
    if experiment is not None:
        query = query.where(claim_verdicts.c.experiment == experiment)
    frame = store.query_frame(query)
    if latest and not frame.empty:
        frame = frame.drop_duplicates(["experiment", "scenario", "claim_index"], keep="last")
    return frame.reset_index(drop=True)


def store_finding(store: ResultsStore, experiment: str, kind: str, content: Mapping[str, Any]) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            insert(findings).values(
                experiment=experiment, kind=kind, content=json.dumps(content, default=str), created_at=_now()
            )
        )


def load_findings(
    store: ResultsStore, experiment: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """Findings, newest last, each as {'experiment', 'kind', 'created_at', **content}."""
    query = select(findings).order_by(findings.c.id)
    if experiment is not None:
        query = query.where(findings.c.experiment == experiment)
    if kind is not None:
        query = query.where(findings.c.kind == kind)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {"experiment": r.experiment, "kind": r.kind, "created_at": r.created_at, **json.loads(r.content)}
        for r in rows
    ]
