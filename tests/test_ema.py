"""The EMA Workbench connector: perform_experiments on an ocsim scenario gives ocsim's own runs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("ema_workbench")

from ema_workbench import (
    MultiprocessingEvaluator,
    SequentialEvaluator,
    perform_experiments,
)

from simulation.connectors.ema import ConnectorError, Series, Stat, ema_model
from simulation.core.seeds import replication_seed
from simulation.runner import run_scenario
from simulation.scenario import load_scenario, without_strategy
from simulation.storage import ResultsStore

STEPS = 6
TINY = {
    "name": "tiny ema",
    "steps": 12,
    "world": {"grid": {"width": 16, "height": 16}, "ocgs": {"count": 3}},
    "strategy": {"pursue": {"hotspot_policing": {"intensity": 1.0, "start": 1}}},
    "assumptions": {
        "behaviour.ocg.risk_aversion": {"low": 0.2, "high": 1.5},
        "world.enablers.count": {"low": 2, "high": 8, "type": "int"},
    },
}
OUTCOMES = [
    Stat("violence", (2, STEPS)),
    Stat("arrests", None, "sum", name="arrests_total"),
    Series("ocg_members"),
]


@pytest.fixture(autouse=True)
def quiet_ema():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    path = tmp_path / "tiny_ema.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


def ocsim_outcomes(path: Path, row, paths: dict[str, str], replication: int, paired: bool) -> dict:
    """What ocsim's own run_scenario gives at an experiment's settings and replication seed."""
    overrides = {dotted: row[name] for name, dotted in paths.items()}
    overrides = {k: (int(v) if k == "world.enablers.count" else float(v)) for k, v in overrides.items()}
    scenario = load_scenario(path, {**overrides, "steps": STEPS})
    seed = replication_seed(1, replication).seed
    metrics = run_scenario(scenario, seed=seed).metrics
    values = {
        "violence_mean": metrics.loc[2:STEPS, "violence"].mean(),
        "arrests_total": metrics["arrests"].sum(),
        "ocg_members": metrics["ocg_members"].to_numpy(),
    }
    if paired:
        base = run_scenario(without_strategy(scenario), seed=seed).metrics
        values["violence_mean"] -= base.loc[2:STEPS, "violence"].mean()
        values["arrests_total"] -= base["arrests"].sum()
        values["ocg_members"] = values["ocg_members"] - base["ocg_members"].to_numpy()
    return values


def check_against_ocsim(path, model, experiments, outcomes, replications, paired):
    assert {"risk_aversion", "count", "hotspot_policing_intensity", "scenario", "policy", "model"} <= set(
        experiments.columns
    )
    assert set(outcomes) == {"violence_mean", "arrests_total", "ocg_members"}
    n = len(experiments)
    assert outcomes["violence_mean"].shape == (n, replications)
    assert outcomes["ocg_members"].shape == (n, replications, STEPS)
    for i, row in experiments.iterrows():
        for r in range(replications):
            expected = ocsim_outcomes(path, row, model.ocsim_paths, r, paired)
            assert outcomes["violence_mean"][i, r] == pytest.approx(expected["violence_mean"], abs=1e-9)
            assert outcomes["arrests_total"][i, r] == pytest.approx(expected["arrests_total"], abs=1e-9)
            np.testing.assert_allclose(outcomes["ocg_members"][i, r], expected["ocg_members"], atol=1e-9)


def test_parameters_come_from_assumptions_and_levers(scenario_file):
    model = ema_model(scenario_file, OUTCOMES, steps=STEPS)
    assert model.ocsim_paths == {
        "risk_aversion": "behaviour.ocg.risk_aversion",
        "count": "world.enablers.count",
        "hotspot_policing_intensity": "strategy.pursue.hotspot_policing.intensity",
    }
    kinds = {p.name: type(p).__name__ for p in model.uncertainties}
    assert kinds == {"risk_aversion": "RealParameter", "count": "IntegerParameter"}
    assert [p.name for p in model.levers] == ["hotspot_policing_intensity"]
    assert (model.uncertainties["count"].lower_bound, model.uncertainties["count"].upper_bound) == (2, 8)


def test_sequential_replicated_paired_outcomes_equal_ocsims_runs(scenario_file):
    model = ema_model(scenario_file, OUTCOMES, steps=STEPS, replications=2, paired=True)
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=2, policies=1, evaluator=evaluator)
    check_against_ocsim(scenario_file, model, experiments, outcomes, 2, paired=True)


@pytest.mark.slow
def test_multiprocessing_evaluator_gives_the_same_as_ocsim(scenario_file):
    model = ema_model(scenario_file, OUTCOMES, steps=STEPS, replications=2)
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=3, policies=1, evaluator=evaluator)
    check_against_ocsim(scenario_file, model, experiments, outcomes, 2, paired=False)


def test_single_replication_gives_scalars_and_runs_are_stored(scenario_file, tmp_path):
    db = f"sqlite:///{tmp_path / 'ema.sqlite'}"
    model = ema_model(scenario_file, ["violence"], steps=STEPS, levers=False, db=db)
    with SequentialEvaluator(model) as evaluator:
        _, outcomes = perform_experiments(model, scenarios=2, evaluator=evaluator)
    assert outcomes["violence_mean"].shape == (2,)
    with ResultsStore(db) as store:
        runs = store.load_runs()
        stored = store.load_metrics(run_ids=list(runs["run_id"]))
    assert len(runs) == 2 and set(runs["status"]) == {"finished"}
    assert set(runs["seed"]) == {replication_seed(1, 0).seed}
    means = sorted(stored[stored["step"] >= 1].groupby("run_id")["violence"].mean())
    assert means == pytest.approx(sorted(outcomes["violence_mean"]))


def test_aggregate_folds_replications_into_scalars(scenario_file):
    model = ema_model(
        scenario_file, ["violence"], steps=STEPS, replications=2, aggregate="mean", levers=False
    )
    with SequentialEvaluator(model) as evaluator:
        _, outcomes = perform_experiments(model, scenarios=1, evaluator=evaluator)
    assert outcomes["violence_mean"].shape == (1,)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"outcomes": ["violense"]}, "did you mean 'violence'"),
        ({"outcomes": [Stat("violence", (3, 40))], "steps": 6}, "window [3, 40]"),
        ({"outcomes": [Stat("violence", statistic="mode")]}, "allowed: mean, sum"),
        ({"settings": {"world.grid.widht": 20}}, "did you mean 'world.grid.width'"),
        ({"settings": {"behaviour.ocg.risk_aversion": 1.0}}, "either fixed or sampled"),
        ({"replications": 0}, "replications"),
        ({"settings": {"output.keep": ["arrests"]}}, "violence is not kept by the scenario's output.keep"),
    ],
)
def test_bad_set_ups_are_named(scenario_file, kwargs, expected):
    with pytest.raises(ConnectorError) as caught:
        ema_model(scenario_file, **kwargs)
    assert expected in str(caught.value)
