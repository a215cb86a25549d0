"""Leases on runs being computed, and heartbeats of the sweeps computing them.

Before a sweep hands a batch of runs to its workers it *claims* them: a row in ``run_leases`` per
run key, valid for ``LEASE_SECONDS``. A second sweep (another terminal, another machine on the
same PostgreSQL database) that wants the same run finds the live lease and leaves the run to its
holder; a lease whose holder stopped renewing it expires and the run can be claimed again. While
a sweep runs, a background thread renews its leases and its heartbeat every
``HEARTBEAT_SECONDS``. A sweep still marked ``running`` whose heartbeat is older than
``LEASE_SECONDS`` died without closing its record (``kill -9``, a lost machine): it is shown,
and the next sweep of its experiment records it, as ``interrupted``.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from simulation.storage.schema import run_leases, runs, sweep_heartbeats, sweeps
from simulation.storage.store import ResultsStore

LEASE_SECONDS = 120.0
"""How long a claim lasts without renewal; a dead sweep's runs are free again after this."""
HEARTBEAT_SECONDS = 15.0
"""How often a live sweep renews its claims and heartbeat."""
_CHUNK = 500


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def claim(store: ResultsStore, sweep_id: int, keys: Sequence[str]) -> list[str]:
    """Claim the runs among ``keys`` that nobody else holds and nobody has finished; returns them
    in the order given. Expired leases are taken over."""
    if not keys:
        return []
    now = _now()
    expires = now + timedelta(seconds=LEASE_SECONDS)
    claimed: set[str] = set()
    with store.engine.begin() as conn:
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            conn.execute(
                delete(run_leases).where(run_leases.c.run_key.in_(chunk), run_leases.c.expires_at < now)
            )
            done = set(
                conn.execute(
                    select(runs.c.run_key).where(runs.c.run_key.in_(chunk), runs.c.status == "finished")
                ).scalars()
            )
            held = {
                row.run_key: row.sweep_id
                for row in conn.execute(
                    select(run_leases.c.run_key, run_leases.c.sweep_id).where(run_leases.c.run_key.in_(chunk))
                )
            }
            free = [k for k in dict.fromkeys(chunk) if k not in done and k not in held]
            if free:
                conn.execute(
                    _insert_ignoring_duplicates(store),
                    [{"run_key": k, "sweep_id": sweep_id, "expires_at": expires} for k in free],
                )
            mine = conn.execute(
                select(run_leases.c.run_key).where(
                    run_leases.c.run_key.in_(chunk), run_leases.c.sweep_id == sweep_id
                )
            ).scalars()
            claimed.update(k for k in mine if k not in done)
    return [k for k in keys if k in claimed]


def _insert_ignoring_duplicates(store: ResultsStore):
    """INSERT that skips keys another sweep claimed a moment ago (the primary key decides)."""
    if store.backend == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(run_leases).on_conflict_do_nothing(index_elements=["run_key"])
    return insert(run_leases).prefix_with("OR IGNORE")


def release(store: ResultsStore, sweep_id: int, keys: Iterable[str] | None = None) -> None:
    """Drop this sweep's leases on ``keys`` (all of them when None)."""
    with store.engine.begin() as conn:
        if keys is None:
            conn.execute(delete(run_leases).where(run_leases.c.sweep_id == sweep_id))
            conn.execute(delete(sweep_heartbeats).where(sweep_heartbeats.c.sweep_id == sweep_id))
            return
        keys = list(keys)
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            conn.execute(
                delete(run_leases).where(run_leases.c.sweep_id == sweep_id, run_leases.c.run_key.in_(chunk))
            )


def beat(store: ResultsStore, sweep_id: int) -> None:
    """Renew this sweep's heartbeat and every lease it holds."""
    now = _now()
    with store.engine.begin() as conn:
        renewed = conn.execute(
            update(sweep_heartbeats).where(sweep_heartbeats.c.sweep_id == sweep_id).values(beat_at=now)
        )
        if renewed.rowcount == 0:
            conn.execute(
                insert(sweep_heartbeats).values(
                    sweep_id=sweep_id, beat_at=now, host=socket.gethostname(), pid=os.getpid()
                )
            )
        conn.execute(
            update(run_leases)
            .where(run_leases.c.sweep_id == sweep_id)
            .values(expires_at=now + timedelta(seconds=LEASE_SECONDS))
        )


def leased_elsewhere(store: ResultsStore, sweep_id: int | None, keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` under a live lease of another sweep."""
    keys = list(keys)
    now = _now()
    held: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            query = select(run_leases.c.run_key).where(
                run_leases.c.run_key.in_(chunk), run_leases.c.expires_at >= now
            )
            if sweep_id is not None:
                query = query.where(run_leases.c.sweep_id != sweep_id)
            held.update(conn.execute(query).scalars())
    return held


def stale_condition(now: datetime):
    """SQL: a sweep row still 'running' whose heartbeat (or, without one, start) is too old."""
    cutoff = now - timedelta(seconds=LEASE_SECONDS)
    last_beat = (
        select(sweep_heartbeats.c.beat_at).where(sweep_heartbeats.c.sweep_id == sweeps.c.id).scalar_subquery()
    )
    return and_(
        sweeps.c.status == "running",
        or_(last_beat < cutoff, and_(last_beat.is_(None), sweeps.c.started_at < cutoff)),
    )


def process_gone(host: str | None, pid: int | None) -> bool:
    """Whether the process ``pid`` on ``host`` is known to have ended (only this machine can tell)."""
    if host != socket.gethostname() or pid is None or pid == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError, OSError):
        return False
    return False


def close_dead_sweeps(store: ResultsStore, experiment_id: int | None = None) -> int:
    """Mark sweeps whose process died as 'interrupted' and free their leases; returns how many.

    Dead are sweeps still 'running' whose heartbeat is older than ``LEASE_SECONDS``, and at once
    those of this machine whose process no longer exists (a ``kill -9`` just before).
    """
    now = _now()
    condition = stale_condition(now)
    if experiment_id is not None:
        condition = and_(condition, sweeps.c.experiment_id == experiment_id)
    try:
        with store.engine.begin() as conn:
            dead = list(conn.execute(select(sweeps.c.id).where(condition)).scalars())
            local = (
                select(sweep_heartbeats.c.sweep_id, sweep_heartbeats.c.host, sweep_heartbeats.c.pid)
                .join(sweeps, sweeps.c.id == sweep_heartbeats.c.sweep_id)
                .where(sweeps.c.status == "running", sweep_heartbeats.c.host == socket.gethostname())
            )
            if experiment_id is not None:
                local = local.where(sweeps.c.experiment_id == experiment_id)
            dead += [row.sweep_id for row in conn.execute(local) if process_gone(row.host, row.pid)]
            if not dead:
                return 0
            conn.execute(
                update(sweeps).where(sweeps.c.id.in_(dead)).values(status="interrupted", finished_at=now)
            )
            conn.execute(delete(run_leases).where(run_leases.c.sweep_id.in_(dead)))
            conn.execute(delete(sweep_heartbeats).where(sweep_heartbeats.c.sweep_id.in_(dead)))
    except SQLAlchemyError:
        return 0  # a read-only database: the listing still shows them as interrupted
    return len(dead)


def is_stale(
    status: str,
    beat_at: datetime | None,
    started_at: datetime | None,
    now: datetime,
    host: str | None = None,
    pid: int | None = None,
) -> bool:
    """Python twin of ``close_dead_sweeps``'s test for rows already loaded."""
    if status != "running":
        return False
    if process_gone(host, pid):
        return True
    last = _aware(beat_at) or _aware(started_at)
    return last is not None and (now - last).total_seconds() > LEASE_SECONDS


class Heartbeat:
    """Renews a sweep's heartbeat and leases from a background thread until stopped."""

    def __init__(self, store: ResultsStore, sweep_id: int, every: float | None = None) -> None:
        self.store = store
        self.sweep_id = sweep_id
        self.every = HEARTBEAT_SECONDS if every is None else every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"ocsim-sweep-{sweep_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._beat()

    def _beat(self) -> None:
        try:
            beat(self.store, self.sweep_id)
        except SQLAlchemyError:
            pass  # a busy database: the next beat comes well before the lease runs out
