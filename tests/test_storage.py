"""Results store: exact round trips, crash safety of a run's two commits, clear URL errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

from simulation.cli import app
from simulation.core.events import Event
from simulation.core.indicators import INDICATOR_NAMES
from simulation.experiments import run_experiment
from simulation.runner import RunResult, events_frame, run_scenario
from simulation.scenario import Scenario, config_hash, load_scenario, resolved_config
from simulation.storage import (
    DatabaseURLError,
    ResultsStore,
    RunExistsError,
    RunRecord,
    encode_events,
    encode_history,
    load_events,
    load_metrics,
    load_results,
    open_engine,
    resolve_db_url,
)
from simulation.storage import store as store_module
from simulation.storage.codec import MetricTable, decode_cells, encode_cells
from simulation.storage.schema import events, histories, info, metadata, metrics
from tests.conftest import SMALL_WORLD

INDICATORS = list(INDICATOR_NAMES[:6])


def awkward_events() -> pd.DataFrame:
    """Events as the runner frames them: each kind's fields NaN for the other kinds (so the split's
    integer parent becomes a float), a numpy bool, an empty area and a whole row of cells."""
    return events_frame(
        [
            Event(1, "lever_start", -1, 0, 0, tuple(range(0, 15, 3)), {"lever": "leadership_targeting"}),
            Event(2, "leader_arrest", 2, 4, 1, (13, 14, 18), {"convicted": False}),
            Event(2, "split", 4, 4, 2, (14,), {"parent": 2}),
            Event(3, "leader_arrest", 1, 0, 0, (), {"convicted": np.True_}),
        ]
    )


def synthetic_result(steps: int = 4, seed: int = 1) -> RunResult:
    """A run result with awkward values: NaN, odd dtypes, non-square and Fortran-ordered arrays,
    events of every kind and two monthly layers."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {name: rng.normal(10, 3, steps) for name in INDICATORS},
        index=pd.RangeIndex(1, steps + 1, name="step"),
    )
    frame.loc[2, INDICATORS[0]] = np.nan
    layers = {
        "activity": rng.random((5, 3)),
        "control": rng.integers(-1, 4, (5, 3)),
        "small": rng.integers(0, 100, (5, 3)).astype(np.int8),
        "flag": rng.random((5, 3)) > 0.5,
        "big_endian": rng.random((2, 7)).astype(">f4"),
        "fortran": np.asfortranarray(rng.random((3, 4))),
    }
    return RunResult(
        scenario=load_scenario(None),
        seed=seed,
        steps=steps,
        metrics=frame,
        snapshots={
            0: layers,
            steps: {k: v + 1 if v.dtype != bool else ~v for k, v in layers.items()},
        },
        wall_time=0.25,
        events=awkward_events(),
        history={
            "violence": rng.gamma(0.2, 1.0, (steps + 1, 5, 3)),
            "control": rng.integers(-1, 4, (steps + 1, 5, 3)).astype(np.int8),
        },
    )


def begin(store: ResultsStore, seed: int = 1, steps: int = 4, scenario: Scenario | None = None, **kw) -> int:
    config = resolved_config(scenario or load_scenario(None))
    return store.begin_run(config, config_hash(config), seed, steps, "unnamed", **kw)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'results.sqlite'}"


@pytest.fixture
def store(db_url: str):
    with ResultsStore(db_url) as opened:
        yield opened


def metric_rows(store: ResultsStore, table=metrics) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def assert_same_run(loaded, result: RunResult) -> None:
    """A run read back from the store has the live run's events and monthly layers, exactly."""
    pd.testing.assert_frame_equal(loaded.events, result.events, check_exact=True)
    assert sorted(loaded.history) == sorted(result.history)
    for layer, array in result.history.items():
        assert loaded.history[layer].dtype == array.dtype, layer
        np.testing.assert_array_equal(loaded.history[layer], array)


# ------------------------------------------------------------------------------- round trips
def test_metrics_round_trip_wide_and_long(store):
    result = synthetic_result()
    run_id = begin(store, replication=0)
    store.complete_run(run_id, result)

    wide = store.load_metrics()
    assert list(wide.columns) == ["run_id", "scenario", "seed", "replication", "step", *INDICATORS]
    assert wide["step"].tolist() == [1, 2, 3, 4]
    assert set(wide["run_id"]) == {run_id} and set(wide["replication"]) == {0}
    pd.testing.assert_frame_equal(
        wide.set_index("step")[INDICATORS],
        result.metrics,
        check_names=False,
        check_index_type=False,
    )
    long = store.load_metrics(wide=False)
    assert list(long.columns) == [
        "run_id", "scenario", "seed", "replication", "step", "indicator", "value"
    ]  # fmt: skip
    assert len(long) == 4 * len(INDICATORS)
    assert long["value"].isna().sum() == 1


def test_snapshots_round_trip_exactly(store):
    result = synthetic_result()
    run_id = begin(store)
    store.complete_run(run_id, result)

    loaded = store.load_snapshots(run_id)
    assert sorted(loaded) == sorted(result.snapshots)
    for step, layers in result.snapshots.items():
        assert sorted(loaded[step]) == sorted(layers)
        for name, original in layers.items():
            restored = loaded[step][name]
            assert restored.dtype == original.dtype, name
            assert restored.shape == original.shape, name
            np.testing.assert_array_equal(restored, original)
            assert restored.flags.writeable
    only = store.load_snapshots(run_id, steps=0, layers=["control"])
    assert list(only) == [0] and list(only[0]) == ["control"]


def test_runs_frame_has_config_status_and_times(store):
    run_id = begin(store, seed=5, experiment="exp-a")
    store.complete_run(run_id, synthetic_result())
    runs = store.load_runs()
    row = runs.set_index("run_id").loc[run_id]
    assert row["status"] == "finished" and row["seed"] == 5 and row["experiment"] == "exp-a"
    assert row["config"]["world"]["grid"]["width"] == 40
    assert row["wall_time"] == 0.25 and row["finished_at"] >= row["started_at"]
    assert str(runs["started_at"].dt.tz) == "UTC"
    assert store.load_runs(experiment="other").empty


def test_metrics_filtered_by_scenario_and_run_ids_and_module_loader(store, db_url):
    first, second = begin(store, seed=1), begin(store, seed=2)
    store.complete_run(first, synthetic_result(seed=1))
    store.complete_run(second, synthetic_result(seed=2))
    assert set(store.load_metrics(run_ids=[second])["run_id"]) == {second}
    assert store.load_metrics(scenario="nothing-of-that-name").empty
    assert set(load_metrics(db_url, scenario="unnamed")["run_id"]) == {first, second}


# ---------------------------------------------------------------------------- crash safety
def test_running_row_is_committed_before_the_run_completes(store, db_url):
    run_id = begin(store)
    with ResultsStore(db_url) as other_connection:
        runs = other_connection.load_runs()
    assert runs.set_index("run_id").loc[run_id, "status"] == "running"
    assert pd.isna(runs.set_index("run_id").loc[run_id, "finished_at"])


def test_failure_mid_write_leaves_run_running_without_partial_rows(store, monkeypatch):
    run_id = begin(store)

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_write_snapshots", crash)  # metrics already written
    with pytest.raises(OSError, match="disk full"):
        store.complete_run(run_id, synthetic_result())
    assert store.load_runs().set_index("run_id").loc[run_id, "status"] == "running"
    assert metric_rows(store) == 0

    monkeypatch.undo()
    store.complete_run(run_id, synthetic_result())  # the same run can still be completed
    assert metric_rows(store) == 4 * len(INDICATORS)


def test_a_run_that_fails_to_finish_leaves_no_events_or_history(store, monkeypatch):
    run_id = begin(store)
    monkeypatch.setattr(store_module, "_mark_finished", lambda *_: 1 / 0)  # after every write
    with pytest.raises(ZeroDivisionError):
        store.complete_run(run_id, synthetic_result())
    assert metric_rows(store, events) == metric_rows(store, histories) == 0
    assert store.load_events().empty and store.load_results() == []


def test_fail_run_records_error_and_traceback(store):
    run_id = begin(store)
    store.fail_run(run_id, ValueError("negative price"), "Traceback (most recent call last): ...")
    row = store.load_runs().set_index("run_id").loc[run_id]
    assert row["status"] == "failed"
    assert row["error"] == "ValueError: negative price"
    assert row["traceback"].startswith("Traceback")
    with pytest.raises(RuntimeError, match="failed, not running"):
        store.complete_run(run_id, synthetic_result())


def test_same_run_key_reuses_unfinished_run_and_refuses_finished_one(store):
    crashed = begin(store)
    assert begin(store) == crashed  # a 'running' leftover is reclaimed, not duplicated
    store.complete_run(crashed, synthetic_result())
    with pytest.raises(RunExistsError) as caught:
        begin(store)
    assert caught.value.run_id == crashed
    assert begin(store, replace=True) == crashed
    assert metric_rows(store) == metric_rows(store, events) == metric_rows(store, histories) == 0
    assert begin(store, seed=2) != crashed


def test_complete_run_rejects_non_numeric_metrics(store):
    result = synthetic_result()
    result.metrics["label"] = "x"
    run_id = begin(store)
    with pytest.raises(ValueError, match="'label' is not numeric"):
        store.complete_run(run_id, result)
    assert metric_rows(store) == 0


# ------------------------------------------------------------------------------- database URLs
def test_sqlite_connections_use_wal_and_foreign_keys(store):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_env_var_is_used_when_no_url_is_given(tmp_path, monkeypatch):
    from_env = f"sqlite:///{tmp_path / 'env' / 'env.sqlite'}"
    monkeypatch.setenv("OCSIM_DB", from_env)
    assert resolve_db_url(None) == from_env
    assert (tmp_path / "env").is_dir()
    explicit = f"sqlite:///{tmp_path / 'explicit.sqlite'}"
    assert resolve_db_url(explicit) == explicit


def test_default_url_is_a_sqlite_file_under_results_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("OCSIM_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'results' / 'ocsim.sqlite'}"
    assert (tmp_path / "results").is_dir()


def _missing_driver_url() -> str:
    for driver, module in (("pg8000", "pg8000"), ("psycopg2", "psycopg2")):
        if importlib.util.find_spec(module) is None:
            return f"postgresql+{driver}://ana:s3cret@db.example/ocsim"
    pytest.skip("every PostgreSQL driver is installed here")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("just some words", "not a database URL"),
        ("nosuchdb://ana:s3cret@host/db", "not supported"),
        ("mysql://ana:s3cret@host/db", "backend 'mysql' is not supported"),
        ("sqlite+nosuchdriver:///x.sqlite", "unknown driver"),
        ("MISSING_DRIVER", "is not installed"),
    ],
)
def test_bad_urls_raise_clear_errors_with_password_masked(url, reason):
    if url == "MISSING_DRIVER":
        url = _missing_driver_url()
    with pytest.raises(DatabaseURLError) as caught:
        resolve_db_url(url)
    message = str(caught.value)
    assert reason in message
    assert "s3cret" not in message
    assert "allowed: sqlite:///" in message and "postgresql+psycopg://" in message


def test_sqlite_folder_that_cannot_be_created_is_an_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseURLError, match="cannot create folder"):
        resolve_db_url(f"sqlite:///{blocker / 'sub' / 'x.sqlite'}")


def test_open_engine_reports_a_file_that_is_not_a_database(tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseURLError, match="cannot connect"):
        open_engine(f"sqlite:///{garbage}")


def test_open_engine_reports_an_unreachable_server():
    pytest.importorskip("psycopg")
    with pytest.raises(DatabaseURLError) as caught:
        open_engine("postgresql+psycopg://ana:s3cret@127.0.0.1:1/ocsim?connect_timeout=2")
    assert "cannot connect" in str(caught.value) and "s3cret" not in str(caught.value)


# ---------------------------------------------------------------------------------- PostgreSQL
def test_postgresql_round_trip_and_crash_safety(postgres_url, monkeypatch):
    with ResultsStore(postgres_url) as pg:
        metadata.drop_all(pg.engine)
        metadata.create_all(pg.engine)
        result = synthetic_result()
        run_id = begin(pg, seed=2**32 - 1, replication=3)
        pg.complete_run(run_id, result)
        wide = pg.load_metrics()
        np.testing.assert_array_equal(wide[INDICATORS].to_numpy(), result.metrics.to_numpy())
        assert wide["seed"].iloc[0] == 2**32 - 1
        for step, layers in pg.load_snapshots(run_id).items():
            for name, array in layers.items():
                assert array.dtype == result.snapshots[step][name].dtype
                np.testing.assert_array_equal(array, result.snapshots[step][name])

        [loaded] = pg.load_results()
        assert_same_run(loaded, result)
        empty = begin(pg, seed=4)
        pg.complete_run(empty, RunResult(load_scenario(None), 4, 4, result.metrics))
        assert pg.load_results(run_ids=empty)[0].events.equals(events_frame([]))

        crashing = begin(pg, seed=3)
        monkeypatch.setattr(store_module, "_mark_finished", lambda *_: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            pg.complete_run(crashing, synthetic_result())
        assert pg.load_runs().set_index("run_id").loc[crashing, "status"] == "running"
        assert set(pg.load_metrics(wide=False)["run_id"]) == {run_id, empty}
        assert set(pg.load_events()["run_id"]) == {run_id}
        assert set(pg.history_layers()) == {run_id}


def test_an_empty_store_loads_empty_frames_with_their_columns(store):
    assert store.load_runs().empty and "status" in store.load_runs().columns
    assert list(store.load_metrics().columns) == [
        "run_id",
        "scenario",
        "seed",
        "replication",
        "step",
    ]
    assert store.load_metrics(wide=False).empty
    assert store.load_snapshots(1) == {}


# ------------------------------------------------------------------------- events and history
KINGPIN = {**SMALL_WORLD, "strategy.pursue.leadership_targeting": {"start": 3}}


@pytest.fixture(scope="module")
def kingpin_run() -> RunResult:
    """A real run with leader arrests, splits and a lever onset, keeping two layers every month."""
    scenario = load_scenario(None, {**KINGPIN, "output.history": ["violence", "control"]})
    return run_scenario(scenario, seed=2, steps=18)


def as_record(result: RunResult, seed: int) -> RunRecord:
    """The record a sweep's worker makes of a run (simulation.experiments.worker)."""
    config = resolved_config(result.scenario)
    digest = config_hash(config)
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    return RunRecord(
        store_module.make_run_key(digest, seed, result.steps), "unnamed", None, json.dumps(config), digest,
        seed, result.steps, 0, None, "finished", now, now, 0.1,
        metrics=MetricTable.from_frame(result.metrics), events=encode_events(result.events),
        history=encode_history(result.history),
    )  # fmt: skip


def test_cells_are_stored_compactly_and_exactly():
    territory = tuple(x * 40 + y for x in range(10, 20) for y in range(5, 15))  # 100 cells
    assert decode_cells(encode_cells(territory)) == territory
    assert len(encode_cells(territory)) < 60
    assert decode_cells(encode_cells(())) == ()
    assert decode_cells(encode_cells([7, 3, 1_000_000])) == (7, 3, 1_000_000)  # any order
    with pytest.raises(ValueError, match="cell indices"):
        encode_cells([-1])


@pytest.mark.parametrize("path", ["complete_run", "write_records"])
def test_events_and_history_round_trip_exactly(store, kingpin_run, path):
    kinds = set(kingpin_run.events["kind"])
    assert {"leader_arrest", "split", "lever_start"} <= kinds, "the run has events of every kind"
    assert kingpin_run.events[["convicted", "lever", "parent"]].isna().any().all()
    results = {
        "real": kingpin_run,
        "awkward": synthetic_result(),
        "no events": RunResult(load_scenario(None), 3, 4, synthetic_result().metrics),
    }
    for seed, result in enumerate(results.values()):
        if path == "complete_run":
            store.complete_run(begin(store, seed, result.steps, result.scenario), result)
        else:
            store.write_records([as_record(result, seed)])
    loaded = {run.seed: run for run in store.load_results()}
    for seed, (name, result) in enumerate(results.items()):
        assert_same_run(loaded[seed], result), name
    assert loaded[2].events.empty and loaded[2].history == {}
    assert list(loaded[2].events.columns) == ["step", "kind", "group", "x", "y", "cells"]
    assert list(loaded[0].history) == ["violence", "control"], "in the order output.history lists them"
    assert loaded[0].steps == 18 and list(loaded[0].metrics.index) == list(range(1, 19))
    np.testing.assert_array_equal(loaded[0].metrics["violence"], kingpin_run.metrics["violence"])

    tidy = store.load_events()
    assert list(tidy.columns[:7]) == ["run_id", "step", "kind", "group", "x", "y", "cells"]
    assert len(tidy) == len(kingpin_run.events) + 4
    arrests = store.load_events(run_ids=loaded[1].run_id, kind="leader_arrest")
    assert arrests["convicted"].tolist() == [False, True] and arrests["cells"].iloc[1] == ()
    assert store.history_layers() == {loaded[0].run_id: ["control", "violence"], loaded[1].run_id: [
        "control", "violence"]}  # fmt: skip
    only = store.load_history(loaded[0].run_id, layers="violence")
    assert list(only) == ["violence"]


def test_a_run_without_history_loads_none_and_the_event_study_says_what_to_do(store, kingpin_run):
    from simulation.analysis import event_study

    store.complete_run(begin(store), RunResult(load_scenario(None), 1, 18, kingpin_run.metrics,
                                               events=kingpin_run.events))  # fmt: skip
    loaded = load_results(store.url)
    assert loaded[0].history == {}
    with pytest.raises(ValueError, match=r"output\.history"):
        event_study(loaded)


def test_a_database_made_before_events_were_stored_opens_and_gains_the_tables(db_url):
    with ResultsStore(db_url) as first:
        old = begin(first, seed=1)
        first.complete_run(old, synthetic_result())
        with first.engine.begin() as conn:  # what ocsim wrote before this version: no such tables
            conn.execute(text("DROP TABLE events"))
            conn.execute(text("DROP TABLE histories"))
    with ResultsStore(db_url) as reopened:
        assert {"events", "histories"} <= set(inspect(reopened.engine).get_table_names())
        [before] = reopened.load_results()
        assert before.run_id == old and before.events.empty and before.history == {}
        assert len(before.metrics) == 4  # its other results are untouched
        new = begin(reopened, seed=2)
        reopened.complete_run(new, synthetic_result())
        assert_same_run(reopened.load_results(run_ids=new)[0], synthetic_result())
        with reopened.engine.connect() as conn:
            version = conn.execute(select(info.c.value).where(info.c.key == "schema_version")).scalar_one()
        assert version == "2"  # tables added, nothing reshaped: older ocsim versions still open it


def test_export_writes_the_events_of_an_experiments_runs(tmp_path, kingpin_run):
    """A sweep stores each run's events (worker -> records) equal to a fresh run of the same
    configuration and seed; ``ocsim export`` writes them with the run's labels."""
    scenario = tmp_path / "kingpin.yaml"
    settings = {**KINGPIN, "steps": 12, "output.history": ["violence"]}
    tree: dict = {"name": "kingpin"}
    for path, value in settings.items():
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    scenario.write_text(yaml.safe_dump(tree))
    spec = tmp_path / "sweep.yaml"
    experiment = {"name": "kingpin_sweep", "scenarios": [str(scenario)], "replications": 2, "seed": 3,
                  "parameters": {"behaviour.ocg.risk_aversion": [0.5]}}  # fmt: skip
    spec.write_text(yaml.safe_dump(experiment))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run_experiment(spec, executor="serial", db=url)
    stored = load_results(url, experiment="kingpin_sweep")
    assert len(stored) == 2
    for run in stored:
        again = run_scenario(Scenario.model_validate(run.config), seed=run.seed, steps=run.steps)
        assert_same_run(run, again)
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        done = CliRunner().invoke(app, ["export", "--db", url, "--experiment", "kingpin_sweep",
                                        "--format", fmt, "--out", str(out)])  # fmt: skip
        assert done.exit_code == 0, done.output
        frame = (pd.read_csv if fmt == "csv" else pd.read_parquet)(out / f"events.{fmt}")
        frame = frame.sort_values("run_id", kind="stable")  # from the plan's order to the database's
        assert list(frame.columns[:9]) == ["run_id", "scenario", "point", "replication", "step", "kind",
                                           "group", "x", "y"]  # fmt: skip
        tidy = load_events(url)
        assert len(frame) == len(tidy) > 0 and set(frame["run_id"]) == {r.run_id for r in stored}
        assert [tuple(json.loads(c)) for c in frame["cells"]] == list(tidy["cells"])
        assert set(frame["kind"]) == set(tidy["kind"])
