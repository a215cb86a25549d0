"""Sweeps: same numbers on every executor, resumable after kill -9, failures recorded, no duplicates."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

import simulation.runner
from simulation.cli import app
from simulation.experiments import run_experiment
from simulation.storage import ResultsStore, load_metrics
from simulation.storage.ledger import load_sweeps
from simulation.storage.schema import metrics, runs, snapshots

ROOT = Path(__file__).resolve().parents[1]
TINY_WORLD = {"world": {"grid": {"width": 16, "height": 16}, "ocgs": {"count": 3}}, "steps": 4}
cli = CliRunner()


def experiment_file(tmp_path: Path, **fields) -> Path:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump({"name": "tiny", **TINY_WORLD}))
    spec = {
        "name": "tiny_sweep",
        "scenarios": [str(scenario)],
        "replications": 2,
        "seed": 11,
        "parameters": {"behaviour.ocg.risk_aversion": [0.3, 0.9]},
        "output": {"snapshot_every": 2},
        **fields,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def count(url: str, table) -> int:
    with ResultsStore(url) as store, store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Metrics without the database's own run ids (which follow completion order)."""
    return (
        frame.drop(columns="run_id")
        .sort_values(["scenario", "point", "replication", "step"])
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------------- reproducible
@pytest.mark.slow
def test_serial_process_pool_and_dask_give_identical_metrics(tmp_path):
    pytest.importorskip("distributed")
    path = experiment_file(tmp_path)
    frames = {}
    for executor in ("serial", "local", "dask"):
        url = f"sqlite:///{tmp_path / executor}.sqlite"
        summary = run_experiment(path, executor=executor, db=url, workers=2, batch_size=1)
        assert (summary.finished, summary.failed) == (4, 0), executor
        frames[executor] = comparable(load_metrics(url, experiment="tiny_sweep"))
    assert len(frames["serial"]) == 4 * 4
    pd.testing.assert_frame_equal(frames["serial"], frames["local"])
    pd.testing.assert_frame_equal(frames["serial"], frames["dask"])
    # The two points differ (the parameter acts), so equality above is not vacuous.
    by_point = frames["serial"].groupby("point")["ocg_revenue"].sum()
    assert by_point[0] != by_point[1]


def test_tidy_metrics_carry_parameters_seeds_and_provenance(tmp_path):
    path = experiment_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run_experiment(path, executor="serial", db=url)
    frame = load_metrics(url, experiment="tiny_sweep")
    assert list(frame.columns[:7]) == [
        "run_id", "scenario", "point", "replication", "seed", "behaviour.ocg.risk_aversion", "step"
    ]  # fmt: skip
    assert set(frame["behaviour.ocg.risk_aversion"]) == {0.3, 0.9}
    seeds = frame.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all(), "replication i has one seed across points (common random numbers)"
    with ResultsStore(url) as store:
        stored = store.load_runs(experiment="tiny_sweep")
        assert set(stored["seed_entropy"]) == {"11"} and set(stored["spawn_key"]) == {(0,), (1,)}
        sweeps = load_sweeps(store, "tiny_sweep")
    row = sweeps.iloc[0]
    assert row["status"] == "finished" and row["runs_finished"] == 4 and row["host"]
    assert "numpy" in row["package_versions"] and row["wall_time"] > 0


# ------------------------------------------------------------------------------ resume / retry
def test_rerun_skips_finished_runs_and_never_duplicates_rows(tmp_path):
    path = experiment_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    first = run_experiment(path, executor="serial", db=url)
    rows = count(url, metrics)
    again = run_experiment(path, executor="serial", db=url)
    assert (first.finished, again.finished, again.skipped) == (4, 0, 4)
    assert count(url, runs) == 4 and count(url, metrics) == rows
    more = experiment_file(tmp_path, replications=3)
    grown = run_experiment(more, executor="serial", db=url)
    assert (grown.skipped, grown.finished) == (4, 2), "adding a replication runs only the new ones"


def test_a_failing_run_is_recorded_the_sweep_goes_on_and_a_rerun_retries_it(tmp_path, monkeypatch):
    path = experiment_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    real = simulation.runner.run_scenario

    def flaky(scenario, seed, steps=None, progress=None):
        if scenario.behaviour.ocg.risk_aversion == 0.9:
            raise FloatingPointError("market exploded")
        return real(scenario, seed, steps, progress)

    monkeypatch.setattr(simulation.runner, "run_scenario", flaky)
    summary = run_experiment(path, executor="serial", db=url)
    assert (summary.finished, summary.failed) == (2, 2)
    assert all("FloatingPointError: market exploded" in f.error for f in summary.failures)
    with ResultsStore(url) as store:
        failed = store.load_runs(status="failed")
    assert len(failed) == 2 and failed["traceback"].str.contains("flaky").all()
    assert count(url, metrics) == count(url, metrics)  # failed runs keep no metrics:
    assert set(load_metrics(url, experiment="tiny_sweep")["point"]) == {0}

    monkeypatch.setattr(simulation.runner, "run_scenario", real)
    retry = run_experiment(path, executor="serial", db=url)
    assert (retry.skipped, retry.finished, retry.failed) == (2, 2, 0)
    assert count(url, runs) == 4, "retried runs replace their failed rows"


GATE_SITECUSTOMIZE = """
import os, time
import simulation.runner

_real_run_scenario = simulation.runner.run_scenario


def _gated(*args, **kwargs):
    gate = os.environ["OCSIM_TEST_GATE"]
    started = sum(name.startswith("run-") for name in os.listdir(gate))
    if started >= int(os.environ["OCSIM_TEST_GATE_RUNS"]):
        open(os.path.join(gate, "blocked"), "w").close()
        while True:  # held here until the test kills the sweep
            time.sleep(3600)
    open(os.path.join(gate, f"run-{started}"), "x").close()
    return _real_run_scenario(*args, **kwargs)


simulation.runner.run_scenario = _gated
"""


@pytest.mark.slow
def test_kill_9_mid_sweep_leaves_only_whole_runs_and_the_next_invocation_finishes(tmp_path):
    """The sweep's worker holds its ninth run until killed, so the kill lands mid-sweep on any machine.

    The gate is a ``sitecustomize`` module on PYTHONPATH, so the process-pool worker (forked from
    the forkserver the sweep starts) runs eight runs, then blocks; the parent writes those eight and
    is killed with ``kill -9`` while the worker is held.
    """
    let_through = 8
    path = experiment_file(tmp_path, replications=12, steps=40, output={"snapshot_every": 10})
    db = tmp_path / "killed.sqlite"
    url = f"sqlite:///{db}"
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "sitecustomize.py").write_text(GATE_SITECUSTOMIZE)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(gate), os.environ.get("PYTHONPATH")])),
        "OCSIM_TEST_GATE": str(gate),
        "OCSIM_TEST_GATE_RUNS": str(let_through),
    }
    command = [sys.executable, "-m", "simulation.cli", "sweep", str(path), "--db", url]
    command += ["--executor", "local", "--workers", "1", "--batch-size", "1", "-q"]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True)
    deadline = time.monotonic() + 300  # only a guard against a hang; the outcome does not depend on it
    try:
        while not ((gate / "blocked").exists() and stored_rows(db) == let_through):
            assert process.poll() is None, "the sweep ended before it reached the held run"
            assert time.monotonic() < deadline, "the sweep never wrote the runs before the held one"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    stored = count(url, runs)
    assert stored == let_through
    with ResultsStore(url) as store:
        assert set(store.load_runs()["status"]) == {"finished"}
        per_run = store.load_metrics(wide=False).groupby("run_id").size()
    n_indicators = per_run.iloc[0] // 40
    assert len(per_run) == stored and (per_run == 40 * n_indicators).all(), "every stored run is whole"
    assert count(url, snapshots) == stored * 5 * len(store_layers(url)), "steps 0, 10, 20, 30, 40"

    summary = run_experiment(path, executor="serial", db=url)
    assert summary.skipped == stored and summary.finished == 24 - stored
    assert count(url, runs) == 24
    assert count(url, metrics) == 24 * 41 * n_indicators  # steps 0 (the initial state) to 40


def stored_rows(db: Path) -> int:
    """Runs in the file, read without creating anything (the sweep may be creating the tables)."""
    if not db.exists():
        return 0
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        try:
            return conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        except sqlite3.OperationalError:  # tables not there yet
            return 0


def store_layers(url: str) -> set[str]:
    with ResultsStore(url) as store, store.engine.connect() as conn:
        return set(conn.execute(select(snapshots.c.layer).distinct()).scalars())


# ------------------------------------------------------------------------------------ PostgreSQL
@pytest.mark.slow
def test_sweep_into_postgresql_matches_sqlite(tmp_path, postgres_url):
    path = experiment_file(tmp_path)
    sqlite_url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with ResultsStore(postgres_url) as pg, pg.engine.begin() as conn:
        from simulation.storage.schema import metadata

        metadata.drop_all(conn)
    pg_summary = run_experiment(path, executor="serial", db=postgres_url)
    run_experiment(path, executor="serial", db=sqlite_url)
    assert pg_summary.finished == 4
    pd.testing.assert_frame_equal(
        comparable(load_metrics(postgres_url, experiment="tiny_sweep")),
        comparable(load_metrics(sqlite_url, experiment="tiny_sweep")),
    )
    assert run_experiment(path, executor="serial", db=postgres_url).skipped == 4


# ------------------------------------------------------------------------------------------- CLI
def test_cli_dry_run_counts_and_writes_no_runs(tmp_path):
    path = experiment_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(app, ["sweep", str(path), "--db", url, "--dry-run", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "= 4 runs (4 distinct)" in result.output and "to run: 4" in result.output
    assert "estimated time:" in result.output
    assert count(url, runs) == 0


def test_cli_sweep_runs_export(tmp_path):
    path = experiment_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(app, ["sweep", str(path), "--db", url, "--executor", "serial"])
    assert result.exit_code == 0, result.output
    assert "4 finished, 0 failed, 0 already stored, of 4 runs" in result.output
    listing = cli.invoke(app, ["runs", "--db", url])
    assert "tiny_sweep" in listing.output and listing.exit_code == 0
    detail = cli.invoke(app, ["runs", "--db", url, "--experiment", "tiny_sweep"])
    assert "finished" in detail.output and detail.exit_code == 0
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        exported = cli.invoke(
            app, ["export", "--db", url, "--experiment", "tiny_sweep", "--format", fmt, "--out", str(out)]
        )
        assert exported.exit_code == 0, exported.output
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        frame = read(out / f"metrics.{fmt}")
        assert len(frame) == 20 and "behaviour.ocg.risk_aversion" in frame.columns  # 4 runs x steps 0-4
        assert sorted(frame["step"].unique()) == [0, 1, 2, 3, 4]
        assert (out / "experiment.json").is_file() and not list(out.glob("*.partial"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["runs", "--experiment", "nope"], "no experiment named 'nope'"),
        (["export", "--experiment", "nope", "--out", "x"], "no experiment named 'nope'"),
        (["sweep", "missing.yaml"], "missing.yaml"),
        (
            ["sweep", "SWEEP", "--scheduler", "tcp://127.0.0.1:1", "--executor", "local"],
            "--executor local was",
        ),
        (["sweep", "SWEEP", "--db", "mysql://x@y/z"], "not supported"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(tmp_path, args, expected):
    path = experiment_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    args = [str(path) if a == "SWEEP" else a for a in args]
    if "--db" not in args:
        args += ["--db", url]
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output


def test_cli_exit_code_1_when_runs_fail(tmp_path, monkeypatch):
    path = experiment_file(tmp_path)

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(simulation.runner, "run_scenario", broken)
    result = cli.invoke(
        app, ["sweep", str(path), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}", "--executor", "serial"]
    )
    assert result.exit_code == 1
    assert "0 finished, 4 failed" in result.output and "RuntimeError: boom" in result.output


@pytest.mark.slow
def test_dask_scheduler_address_joins_an_existing_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = experiment_file(tmp_path, replications=1)
    serial_url, dask_url = (f"sqlite:///{tmp_path / name}.sqlite" for name in ("serial", "dask"))
    run_experiment(path, executor="serial", db=serial_url)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=40
    ) as cluster:
        summary = run_experiment(path, executor="dask", scheduler=cluster.scheduler_address, db=dask_url)
        assert summary.executor == f"dask cluster at {cluster.scheduler_address}"
    assert summary.finished == 2
    pd.testing.assert_frame_equal(
        comparable(load_metrics(serial_url, experiment="tiny_sweep")),
        comparable(load_metrics(dask_url, experiment="tiny_sweep")),
    )


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    path = experiment_file(tmp_path, replications=1)
    with pytest.raises(ValueError, match=re.escape("cannot reach the Dask scheduler at tcp://127.0.0.1:1")):
        run_experiment(
            path, executor="dask", scheduler="tcp://127.0.0.1:1", db=f"sqlite:///{tmp_path / 'r.sqlite'}"
        )
