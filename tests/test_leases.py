"""Concurrent and interrupted sweeps: leased runs are left to their holder, dead sweeps show as
interrupted, and two sweeps of one experiment at the same time never compute a run twice."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import insert, select, update
from typer.testing import CliRunner

import simulation.runner
from simulation.cli import app
from simulation.experiments import prepare_experiment, run_experiment
from simulation.experiments.sweep import register
from simulation.storage import ResultsStore, leases
from simulation.storage.ledger import begin_sweep, load_sweeps
from simulation.storage.schema import run_leases, runs, sweep_heartbeats, sweeps

TINY = {"name": "tiny", "world": {"grid": {"width": 16, "height": 16}, "ocgs": {"count": 3}}, "steps": 3}


def experiment(tmp_path, replications: int = 3):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    path = tmp_path / "lease.yaml"
    spec = {
        "name": "lease_sweep",
        "scenarios": [str(scenario)],
        "replications": replications,
        "parameters": {"behaviour.ocg.risk_aversion": [0.3, 0.9]},
        "output": {"snapshot_every": 0},
    }
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def a_sweep(store: ResultsStore, path) -> tuple[int, list[str]]:
    """A sweep row of the experiment (as another invocation would make) and the plan's run keys."""
    prepared = prepare_experiment(path)
    experiment_id, _ = register(store, prepared)
    return begin_sweep(store, experiment_id, {"executor": "elsewhere"}), list(prepared.plan.tasks)


def check_claims(url: str, tmp_path) -> None:
    with ResultsStore(url) as store:
        first, keys = a_sweep(store, experiment(tmp_path))
        second, _ = a_sweep(store, experiment(tmp_path))
        assert leases.claim(store, first, keys[:4]) == keys[:4]
        assert leases.claim(store, second, keys) == keys[4:], "held runs are left to their holder"
        assert leases.claim(store, first, keys[:4]) == keys[:4], "claiming again keeps one's own"
        assert leases.leased_elsewhere(store, second, keys) == set(keys[:4])
        with store.engine.begin() as conn:  # the first sweep's leases run out
            past = datetime.now(UTC) - timedelta(seconds=1)
            conn.execute(update(run_leases).where(run_leases.c.sweep_id == first).values(expires_at=past))
        assert leases.claim(store, second, keys) == keys, "expired leases are taken over"
        leases.release(store, second)
        with store.engine.connect() as conn:
            assert conn.execute(select(run_leases)).all() == []


def test_a_run_leased_by_one_sweep_is_not_claimed_by_another(tmp_path):
    check_claims(f"sqlite:///{tmp_path / 'c.sqlite'}", tmp_path)


def test_leases_work_on_postgresql(tmp_path, postgres_url):
    with ResultsStore(postgres_url) as store, store.engine.begin() as conn:
        for table in (run_leases, sweep_heartbeats):
            conn.execute(table.delete())
    check_claims(postgres_url, tmp_path)


def test_a_second_sweep_skips_runs_another_is_computing_and_does_them_once_they_are_free(tmp_path):
    path = experiment(tmp_path)
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with ResultsStore(url) as store:
        other, keys = a_sweep(store, path)
        assert leases.claim(store, other, keys[:4]) == keys[:4]
        leases.beat(store, other)
    summary = run_experiment(path, executor="serial", db=url)
    assert (summary.finished, summary.elsewhere, summary.complete) == (2, 4, False)
    with ResultsStore(url) as store:
        stored = {row.run_key for row in store.engine.connect().execute(select(runs.c.run_key))}
        assert stored == set(keys[4:]), "the leased runs were not computed a second time"
        assert load_sweeps(store, "lease_sweep")["status"].tolist() == ["running", "finished"]
        leases.release(store, other)
    again = run_experiment(path, executor="serial", db=url)
    assert (again.finished, again.skipped, again.elsewhere, again.complete) == (4, 2, 0, True)


def test_two_sweeps_at_once_compute_every_run_exactly_once(tmp_path, monkeypatch):
    path = experiment(tmp_path, replications=4)
    url = f"sqlite:///{tmp_path / 'two.sqlite'}"
    real = simulation.runner.run_scenario
    computed: list[int] = []
    lock = threading.Lock()

    def slow(scenario, seed, steps=None, progress=None):
        with lock:
            computed.append(seed)
        time.sleep(0.05)  # long enough for the two sweeps to overlap
        return real(scenario, seed, steps, progress)

    monkeypatch.setattr(simulation.runner, "run_scenario", slow)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(run_experiment(path, executor="serial", db=url)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(computed) == 8, f"8 runs planned, {len(computed)} simulations made"
    assert sum(r.finished for r in results) == 8


def test_a_sweep_whose_process_died_shows_as_interrupted_and_the_next_sweep_records_it(tmp_path):
    path = experiment(tmp_path)
    url = f"sqlite:///{tmp_path / 'dead.sqlite'}"
    with ResultsStore(url) as store:
        dead, keys = a_sweep(store, path)
        leases.claim(store, dead, keys)
        long_ago = datetime.now(UTC) - timedelta(seconds=leases.LEASE_SECONDS + 60)
        with store.engine.begin() as conn:
            conn.execute(insert(sweep_heartbeats).values(sweep_id=dead, beat_at=long_ago))
            conn.execute(update(run_leases).values(expires_at=long_ago))
        assert load_sweeps(store, "lease_sweep")["status"].tolist() == ["interrupted"]
    shown = CliRunner().invoke(app, ["runs", "--db", url], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "interrupted" in shown.output and "running" not in shown.output
    detail = CliRunner().invoke(
        app, ["runs", "--db", url, "--experiment", "lease_sweep"], env={"COLUMNS": "200"}
    )
    assert "interrupted" in detail.output and "running" not in detail.output
    summary = run_experiment(path, executor="serial", db=url)
    assert summary.finished == 6, "the dead sweep's expired leases do not hold its runs"
    with ResultsStore(url) as store, store.engine.connect() as conn:
        statuses = conn.execute(select(sweeps.c.status).order_by(sweeps.c.id)).scalars().all()
        assert statuses == ["interrupted", "finished"]
        assert conn.execute(select(run_leases)).all() == [], "a finished sweep leaves no leases"


def test_a_live_sweep_keeps_its_heartbeat_and_leases_fresh(tmp_path):
    path = experiment(tmp_path)
    url = f"sqlite:///{tmp_path / 'beat.sqlite'}"
    with ResultsStore(url) as store:
        sweep_id, keys = a_sweep(store, path)
        leases.claim(store, sweep_id, keys)
        with leases.Heartbeat(store, sweep_id, every=0.05):
            time.sleep(0.3)
            with store.engine.connect() as conn:
                beat = conn.execute(select(sweep_heartbeats.c.beat_at)).scalar_one()
        assert (datetime.now(UTC) - leases._aware(beat)).total_seconds() < 1
        assert load_sweeps(store, "lease_sweep")["status"].tolist() == ["running"]


@pytest.mark.parametrize("age, stale", [(0, False), (leases.LEASE_SECONDS + 1, True)])
def test_staleness_follows_the_heartbeat(age, stale):
    now = datetime.now(UTC)
    assert leases.is_stale("running", now - timedelta(seconds=age), None, now) is stale
    assert leases.is_stale("finished", now - timedelta(seconds=age), None, now) is False


def test_a_sweep_killed_on_this_machine_is_seen_dead_at_once(tmp_path):
    """No waiting for the lease to run out: the heartbeat names the host and process, and a
    process of this machine that no longer exists holds nothing."""
    path = experiment(tmp_path)
    url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    with ResultsStore(url) as store:
        dead, keys = a_sweep(store, path)
        leases.claim(store, dead, keys)
        with store.engine.begin() as conn:
            conn.execute(
                insert(sweep_heartbeats).values(
                    sweep_id=dead, beat_at=datetime.now(UTC), host=socket.gethostname(), pid=ended.pid
                )
            )
        assert load_sweeps(store, "lease_sweep")["status"].tolist() == ["interrupted"]
    summary = run_experiment(path, executor="serial", db=url)
    assert (summary.finished, summary.elsewhere) == (6, 0)


def test_two_sweeps_registering_the_same_new_experiment_at_once_both_go_on(tmp_path, monkeypatch):
    """The second insert of the experiment row loses the race and reads the first's row instead."""
    from simulation.storage import ledger

    path = experiment(tmp_path)
    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    prepared = prepare_experiment(path)
    real = ledger._register
    calls = []

    def racing(store, name, *args):
        if not calls:  # the other sweep inserts the row between our look and our insert
            calls.append(real(store, name, *args))
            raise ledger.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        return real(store, name, *args)

    monkeypatch.setattr(ledger, "_register", racing)
    with ResultsStore(url) as store:
        experiment_id, state = register(store, prepared)
    assert (experiment_id, state) == (calls[0][0], "unchanged")
