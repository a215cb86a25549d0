"""Using a posterior ensemble: a challenge that draws the calibrated parameters from it, and the
posterior predictive check of ``ocsim report --ensemble`` (fresh runs against the targets)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.calibration import load_calibration
from simulation.calibration.predictive import posterior_predictive, predictive_seed, simulation_setup
from simulation.calibration.simulate import particle_seed
from simulation.calibration.statistics import summary_statistics
from simulation.cli import app
from simulation.storage import ResultsStore
from simulation.storage.ensembles import ensemble_record, load_posterior, posterior_frame, save_ensemble
from tests.test_calibration import SMALL, _write

runner = CliRunner()


def ocsim(*args: str):
    """The CLI in this process (faster than a subprocess; the same exit codes and streams)."""
    return runner.invoke(app, list(args))


MARKUP, RISK = "behaviour.market.markup", "behaviour.ocg.risk_aversion"
RISK_RANGE = (0.2, 1.5)

CHALLENGED = {
    **SMALL,
    "name": "small_challenge",
    "steps": 12,
    "strategy": {"pursue": {"interdiction": {"intensity": 1.0, "start": 3}}},
    "theory_of_success": [
        {
            "claim": "The street price rises",
            "metric": "illicit_price",
            "window": [6, 12],
            "change": {"relative": 0.0, "direction": "increase"},
        }
    ],
    "assumptions": {
        MARKUP: {"low": 0.8, "high": 3.0},  # calibrated by the ensemble: not sampled
        RISK: {"low": RISK_RANGE[0], "high": RISK_RANGE[1]},
    },
}


def _save_posterior(url: str, values: list[float], weights: list[float]) -> pd.DataFrame:
    header = {
        "method": "abc-smc (pyabc)",
        "spec": {},
        "spec_hash": "h",
        "parameters": [{"path": MARKUP, "prior": {"low": 0.8, "high": 3.0}, "integer": False}],
        "status": "finished",
        "generations": 3,
        "particles": len(values),
        "final_epsilon": 1.0,
        "simulations": 30,
        "seed": 1,
    }
    posterior = pd.DataFrame({MARKUP: values, "weight": weights})
    with ResultsStore(url) as store:
        save_ensemble(store, "post", header=header, particles=posterior.assign(distance=1.0))
    return posterior


# ------------------------------------------------------------------- challenge --ensemble NAME
@pytest.mark.slow
def test_challenge_draws_calibrated_parameters_from_the_posterior_and_samples_the_rest(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _save_posterior(url, [1.0, 1.5, 2.5], [0.0, 0.5, 0.5])  # weight 0: never drawn
    scenario = _write(tmp_path, CHALLENGED, "challenged.yaml")
    args = ["challenge", str(scenario), "--ensemble", "post", "--samples", "6", "-r", "1"]
    args += ["--seed", "3", "--db", url, "--executor", "serial"]
    done = ocsim(*args, "--json")
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ensemble"] == "post" and result["experiment"] == "challenge.small_challenge.post"
    assert result["calibrated"] == [MARKUP] and result["dropped_assumptions"] == [MARKUP]
    assert result["points"] == 6 and result["runs"]["finished"] == 6 * 2  # strategy + counterfactual
    points = pd.DataFrame(result["assumption_points"])
    # the calibrated parameter takes posterior particles' values (by weight, seeded: reproducible)
    assert set(points[MARKUP]) <= {1.5, 2.5}
    from simulation.calibration.verdicts import draw_parameters

    drawn = draw_parameters(load_posterior(url, "post"), 6, seed=3)
    assert points[MARKUP].tolist() == drawn[MARKUP].tolist()
    assert points["particle"].tolist() == drawn.index.tolist()
    # the other assumption spans its range as a 6-point Latin hypercube does (one point per sixth)
    low, high = RISK_RANGE
    assert points[RISK].between(low, high).all()
    strata = np.floor((points[RISK] - low) / (high - low) * 6).astype(int)
    assert sorted(strata) == list(range(6))
    assert result["claims"][0]["points"] == 6
    # the runs are stored: the table output reuses them and says what was dropped and why
    again = ocsim(*args)
    assert again.exit_code == 0, again.stderr
    assert "0 runs made, 12 reused" in again.stdout
    assert (
        f"calibrated parameters drawn from posterior ensemble post (one draw by weight per point): {MARKUP}"
        in (again.stdout)
    )
    assert f"not sampled from their assumption ranges, because the ensemble calibrates them: {MARKUP}" in (
        again.stdout
    )


def test_challenge_with_an_ensemble_refuses_what_it_cannot_do(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _save_posterior(url, [1.5, 2.5], [0.5, 0.5])
    scenario = _write(tmp_path, CHALLENGED, "challenged.yaml")
    base = ["challenge", str(scenario), "--samples", "4", "--db", url, "--executor", "serial"]
    missing = ocsim(*base, "--ensemble", "nope")
    assert missing.exit_code == 2 and "no ensemble named 'nope'" in missing.stderr
    fixed = ocsim(*base, "--ensemble", "post", "--set", f"{MARKUP}=2")
    assert fixed.exit_code == 2
    assert f"--set {MARKUP}: {MARKUP} is drawn from the posterior ensemble 'post'" in fixed.stderr
    only = _write(tmp_path, {**CHALLENGED, "assumptions": {MARKUP: {"low": 0.8, "high": 3.0}}}, "only.yaml")
    nothing = ocsim("challenge", str(only), "--samples", "4", "--db", url, "--ensemble", "post")
    assert nothing.exit_code == 2 and "every assumption is calibrated by the ensemble" in nothing.stderr
    with ResultsStore(url) as store:
        assert store.load_metrics().empty  # nothing ran


# ------------------------------------------------------------- posterior predictive check
@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A real (tiny) calibration: one worker, 4 particles, 2 generations of 12-month runs."""
    from simulation.calibration import run_calibration

    folder = tmp_path_factory.mktemp("ppc")
    world = _write(folder, SMALL, "world.yaml")
    (folder / "obs.csv").write_text(
        "step,indicator,value,sd\n8,violence,20,8\n10,violence,22,8\n12,violence,21,8\n", encoding="utf-8"
    )
    raw = {
        "name": "fit",
        "kind": "calibration",
        "scenario": str(world),
        "seed": 5,
        "set": {"world.ocgs.members": 25},
        "parameters": {MARKUP: {"low": 0.8, "high": 3.0}, "world.ocgs.count": {"low": 2, "high": 4}},
        "targets": [
            {"metric": "illicit_price", "window": [4, 12], "statistic": "mean", "value": 12, "sd": 0.5},
            {"observed": str(folder / "obs.csv")},
        ],
        "population": 4,
        "generations": 2,
    }
    path = _write(folder, raw)
    url = f"sqlite:///{folder / 'r.sqlite'}"
    run_calibration(load_calibration(path), db=url, workers=1)
    return folder, path, url


@pytest.mark.slow
def test_predictive_runs_are_fresh_posterior_draws_replayable_from_their_seeds(calibrated):
    from simulation import run_scenario
    from simulation.scenario.loader import apply_overrides, validate_scenario

    _, path, url = calibrated
    check = posterior_predictive(url, "fit", draws=5)
    assert len(check.runs) == 5 and check.failures == 0 and check.rebuilt_from is None
    assert check.runs.equals(posterior_predictive(url, "fit", draws=5).runs)  # reproducible
    posterior = load_posterior(url, "fit")
    particles = posterior.to_dict("records")
    for row in check.runs.to_dict("records"):  # each run at a particle drawn by weight
        particle = particles[row["particle"]]
        assert particle["weight"] > 0 and row[MARKUP] == particle[MARKUP]
        assert (
            isinstance(row["world.ocgs.count"], int)
            and row["world.ocgs.count"] == particle["world.ocgs.count"]
        )
    values = {
        MARKUP: check.runs[MARKUP].iloc[0],
        "world.ocgs.count": int(check.runs["world.ocgs.count"].iloc[0]),
    }
    # new seeds: not the seed the calibration gave this particle, and not shared between runs
    assert check.runs["seed"].iloc[0] == predictive_seed(5, 0) != particle_seed(5, values)
    assert check.runs["seed"].nunique() == 5
    # the run replays: the calibration's scenario with its fixed settings, the drawn values, the seed
    calibration = load_calibration(path)
    scenario = validate_scenario(apply_overrides(calibration.scenario_raw, values, "replay"), "replay")
    assert scenario.world.ocgs.members == 25
    metrics = run_scenario(scenario, seed=int(check.runs["seed"].iloc[0]), steps=12).metrics
    expected = summary_statistics(check.targets, metrics)
    assert check.runs.iloc[0][list(expected)].astype(float).tolist() == pytest.approx(list(expected.values()))
    assert [t.key for t in check.targets] == [
        "t0:mean:illicit_price",
        "t1:violence@8",
        "t1:violence@10",
        "t1:violence@12",
    ]
    assert list(check.series) == ["violence"] and check.series["violence"].shape == (12, 5)
    low, mid, high = check.band("t0:mean:illicit_price")
    assert low <= mid <= high and 0 <= check.share_below("t0:mean:illicit_price", 12.0) <= 1


@pytest.mark.slow
def test_an_ensemble_without_the_stored_scenario_is_rebuilt_from_its_specification(calibrated):
    folder, _, url = calibrated
    with ResultsStore(url) as store:
        record = ensemble_record(store, "fit")
        older = {k: v for k, v in record["spec"].items() if k not in ("scenario_config", "compiled_targets")}
        particles = posterior_frame(store, "fit").assign(distance=1.0)
        header = {k: v for k, v in record.items() if k not in ("id", "name", "created_at", "updated_at")}
        save_ensemble(store, "older", header={**header, "spec": older}, particles=particles)
        rebuilt = ensemble_record(store, "older")
    raw, steps, targets, source = simulation_setup(rebuilt)
    stored_raw, stored_steps, stored_targets, none = simulation_setup(record)
    assert none is None and source == str(folder / "world.yaml")
    assert (raw, steps, targets) == (stored_raw, stored_steps, stored_targets)
    assert record["spec"]["set"] == {"world.ocgs.members": 25}


@pytest.mark.slow
def test_report_shows_the_targets_against_fresh_posterior_runs(calibrated, tmp_path):
    _, _, url = calibrated
    out = tmp_path / "cal.html"
    done = ocsim("report", "--ensemble", "fit", "--ppc-draws", "4", "--out", str(out), "--db", url)
    assert done.exit_code == 0, done.stderr
    page = out.read_text()
    assert "<h2>Posterior predictive check</h2>" in page
    assert "4 fresh runs: each takes a parameter set drawn from the posterior by weight" in page
    assert "a new seed that no calibration run used" in page
    assert "mean of illicit_price, months 4-12" in page and "violence: observed series (3 months)" in page
    assert "share of fresh runs below observed" in page and "accepted (ABC)" in page
    figures = sorted(p.name for p in (tmp_path / "cal_figures").iterdir())
    assert figures == ["generations.png", "marginals.png", "pairs.png", "predictive.png"]
    none = ocsim("report", "--ensemble", "fit", "--ppc-draws", "0", "--out", str(out), "--db", url)
    assert none.exit_code == 0, none.stderr
    assert "No fresh runs were made (<code>--ppc-draws 0</code>)" in out.read_text()
    with ResultsStore(url) as store:  # an ensemble that cannot be replayed: the report says why
        record = ensemble_record(store, "fit")
        spec = {k: v for k, v in record["spec"].items() if k not in ("scenario_config", "compiled_targets")}
        header = {k: v for k, v in record.items() if k not in ("id", "name", "created_at", "updated_at")}
        lost = {**header, "spec": {**spec, "scenario": "moved.yaml"}}
        save_ensemble(
            store, "lost", header=lost, particles=posterior_frame(store, "fit").assign(distance=1.0)
        )
    lost = ocsim("report", "--ensemble", "lost", "--out", str(out), "--db", url)
    assert lost.exit_code == 0, lost.stderr
    assert "no predictive check: ensemble 'lost' does not store the scenario as simulated" in lost.stderr
    assert "moved.yaml" in out.read_text() and "so there is no predictive check" in out.read_text()
    alone = ocsim("report", "--ppc-draws", "3", "--out", str(out), "--db", url)
    assert alone.exit_code == 2 and "--ppc-draws goes with --ensemble" in alone.stderr


def test_share_below_counts_ties_half():
    from simulation.calibration.predictive import PredictiveCheck

    check = PredictiveCheck("e", "s", 12, [], pd.DataFrame({"k": [1.0, 2.0, 3.0, math.nan]}))
    assert check.share_below("k", 2.0) == pytest.approx(0.5)
    assert check.band("k")[1] == pytest.approx(2.0)
