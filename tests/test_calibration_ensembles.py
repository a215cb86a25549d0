"""Using a posterior ensemble: a challenge that draws the calibrated parameters from it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.storage import ResultsStore
from simulation.storage.ensembles import load_posterior, save_ensemble
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
