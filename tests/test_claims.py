"""Theory of success: claims validated, judged HOLDS / FAILS / INCONCLUSIVE honestly, stored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simulation.analysis.claims import judge_claim
from simulation.cli import app
from simulation.scenario import ScenarioError, load_scenario, resolved_config
from simulation.scenario.claims import Claim
from simulation.storage import ResultsStore
from simulation.storage.ledger import load_verdicts

cli = CliRunner()


# ------------------------------------------------------------------------------ bad claims
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"metric": "mayhem"}, "unknown metric 'mayhem'"),
        ({"window": [30, 20]}, "window: [30, 20] is empty"),
        ({"window": [100, 130]}, "window: [100, 130] ends after the last month (120)"),
        ({"change": {"relative": -0.2}}, "relative needs direction"),
        ({"change": {"relative": -0.2, "at_most": 3, "direction": "decrease"}}, "give exactly one of"),
        ({"confidence": 1.5}, "confidence"),
        ({"metric": "displacement_ratio", "change": {"at_most": 0.5}}, "needs a displacement section"),
        ({"compare": "start", "baseline": [5, 2]}, "baseline: [5, 2] is empty"),
    ],
)
def test_bad_claims_are_rejected_naming_the_field(tmp_path, fields, expected):
    claim = {
        "claim": "c",
        "metric": "violence",
        "window": [48, 60],
        "change": {"relative": -0.2, "direction": "decrease"},
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"theory_of_success": [{**claim, **fields}]}))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert expected in str(caught.value)


def test_unknown_assumption_path_is_rejected(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        yaml.safe_dump({"assumptions": {"behaviour.ocg.risk_aversio": {"low": 0.2, "high": 0.9}}})
    )
    with pytest.raises(ScenarioError, match=r"assumptions\.behaviour\.ocg\.risk_aversio: no such setting"):
        load_scenario(path)


def test_claims_do_not_change_run_identity():
    plain = load_scenario(None)
    claimed = load_scenario(
        None,
        {
            "theory_of_success": [
                {"claim": "c", "metric": "violence", "window": [1, 12], "change": {"at_most": 5}}
            ]
        },
    )
    assert resolved_config(plain) == resolved_config(claimed)


# ------------------------------------------------------------------- judging in a controlled setting
def paired_frames(effect: float, noise: float, n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counterfactual ~ 100 per month; the strategy multiplies it by (1 + effect) plus noise."""
    rng = np.random.default_rng(seed)
    rows_s, rows_c = [], []
    for rep in range(n):
        level = rng.normal(100, 10)  # replication-specific level shared by the pair (common random numbers)
        for step in range(1, 13):
            base = level + rng.normal(0, 2)
            rows_c.append({"replication": rep, "step": step, "violence": base})
            rows_s.append(
                {"replication": rep, "step": step, "violence": base * (1 + effect) + rng.normal(0, noise)}
            )
    return pd.DataFrame(rows_s), pd.DataFrame(rows_c)


def claim(threshold: float) -> Claim:
    return Claim.model_validate(
        {"claim": f"violence falls {abs(threshold):.0%}", "metric": "violence", "window": [1, 12],
         "change": {"relative": threshold, "direction": "decrease"}}
    )  # fmt: skip


def test_a_claim_well_inside_the_true_effect_holds_and_one_beyond_it_fails():
    strategy, counterfactual = paired_frames(effect=-0.30, noise=5, n=20)
    holds = judge_claim(claim(-0.20), strategy, counterfactual)
    fails = judge_claim(claim(-0.40), strategy, counterfactual)
    assert holds.verdict == "HOLDS" and fails.verdict == "FAILS"
    assert holds.low <= -0.30 <= holds.high, "the interval covers the true effect"
    assert holds.estimate == pytest.approx(-0.30, abs=0.02)


def test_too_few_replications_are_inconclusive_and_more_settle_it():
    # True effect -25 %, claimed -20 %: noisy pairs cannot tell with three replications.
    few = judge_claim(claim(-0.20), *paired_frames(effect=-0.25, noise=120, n=3))
    assert few.verdict == "INCONCLUSIVE" and few.low < -0.20 < few.high
    assert few.more_replications and few.more_replications > 0
    # The interval narrows like 1/sqrt(n): enough pairs settle the same claim on the true side.
    many = judge_claim(claim(-0.20), *paired_frames(effect=-0.25, noise=120, n=400))
    assert many.verdict == "HOLDS" and many.high - many.low < (few.high - few.low) / 5


def test_a_single_replication_is_never_a_verdict():
    one = judge_claim(claim(-0.20), *paired_frames(effect=-0.5, noise=1, n=1))
    assert one.verdict == "INCONCLUSIVE" and "at least 2" in one.note


def test_level_and_start_claims():
    strategy, _ = paired_frames(effect=0.0, noise=1, n=10)
    level = Claim.model_validate(
        {"claim": "c", "metric": "violence", "window": [1, 12], "change": {"at_most": 150}}
    )
    assert judge_claim(level, strategy).verdict == "HOLDS"
    rising = strategy.assign(violence=strategy["violence"] + 10 * strategy["step"])
    start = Claim.model_validate(
        {"claim": "c", "metric": "violence", "compare": "start", "window": [10, 12], "baseline": [1, 3],
         "change": {"absolute": 50, "direction": "increase"}}
    )  # fmt: skip
    verdict = judge_claim(start, rising)
    assert verdict.verdict == "HOLDS" and verdict.estimate == pytest.approx(90, abs=3)


# ------------------------------------------------------------------------- end to end, the model
SCENARIO = {
    "name": "claims_smoke",
    "steps": 30,
    "world": {"grid": {"width": 20, "height": 20}, "ocgs": {"count": 4, "members": 30}},
    "strategy": {
        "pursue": {
            "intelligence": {"intensity": 1.0, "start": 6},
            "broad_arrests": {"intensity": 1.0, "start": 6},
        }
    },
    "theory_of_success": [
        {"claim": "Arrests rise at least 20%", "metric": "arrests", "window": [13, 30],
         "change": {"relative": 0.2, "direction": "increase"}},
        {"claim": "Arrests quintuple", "metric": "arrests", "window": [13, 30],
         "change": {"relative": 4.0, "direction": "increase"}},
    ],
}  # fmt: skip


@pytest.mark.slow
def test_ocsim_test_judges_stores_and_sets_the_exit_code(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(app, ["test", str(path), "-r", "6", "--db", url, "--executor", "serial", "-q"])
    assert result.exit_code == 1, result.output
    with ResultsStore(url) as store:
        verdicts = load_verdicts(store)
        runs = store.load_runs()
    assert list(verdicts["verdict"]) == ["HOLDS", "FAILS"], result.output
    assert set(runs["scenario_name"]) == {"claims_smoke", "claims_smoke (counterfactual)"}
    assert len(runs) == 12
    # Only the claim that holds: exit 0; the runs are reused, not repeated.
    SCENARIO_ONE = {**SCENARIO, "theory_of_success": SCENARIO["theory_of_success"][:1]}
    path.write_text(yaml.safe_dump(SCENARIO_ONE))
    again = cli.invoke(app, ["test", str(path), "-r", "6", "--db", url, "--executor", "serial", "-q"])
    assert again.exit_code == 0, again.output
    with ResultsStore(url) as store:
        assert len(store.load_runs()) == 12


def test_ocsim_test_without_claims_is_bad_input(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "none"}))
    result = cli.invoke(app, ["test", str(path), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"])
    assert result.exit_code == 2 and "states no claims" in result.output


# ----------------------------------------------------------------------------------- challenge
CHALLENGED = {
    "name": "challenge_smoke",
    "steps": 30,
    "world": {"grid": {"width": 20, "height": 20}, "ocgs": {"count": 4, "members": 30}},
    "strategy": {"pursue": {"intelligence": {"intensity": 1.0, "start": 6}}},
    "theory_of_success": [
        {"claim": "Arrests rise at least 30%", "metric": "arrests", "window": [13, 30],
         "change": {"relative": 0.3, "direction": "increase"}},
    ],
    # How hard the lever is pushed decides the claim; how fast victims recover cannot.
    "assumptions": {
        "strategy.pursue.intelligence.intensity": {"low": 0.0, "high": 1.0},
        "behaviour.victim.recovery_rate": {"low": 0.02, "high": 0.3},
    },
}  # fmt: skip


@pytest.mark.slow
def test_challenge_finds_the_one_assumption_a_claim_depends_on(tmp_path):
    from simulation.storage.ledger import load_findings
    from simulation.theory.challenge import run_challenge

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(CHALLENGED))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = run_challenge(path, samples=16, replications=1, db=url, executor="serial")
    finding = result.claims[0]
    assert 0 < finding.share_holding < 1, finding.statement
    assert finding.deciding_assumptions[0] == "strategy.pursue.intelligence.intensity"
    box = finding.box["strategy.pursue.intelligence.intensity"]
    assert box["high"] < box["range_high"], "failures sit at low intensity"
    assert "intensity <" in finding.statement
    # The counterfactual never receives the sampled lever intensity.
    with ResultsStore(url) as store:
        runs = store.load_runs()
        stored = load_findings(store, kind="challenge")
    counterfactual = runs[runs["scenario_name"] == "challenge_smoke (counterfactual)"]
    levers = [lever for config in counterfactual["config"] for lever in config["strategy"]["pursue"].values()]
    assert len(counterfactual) > 0 and not any(levers)
    assert stored[-1]["claims"][0]["statement"] == finding.statement


def test_challenge_without_assumptions_or_with_a_bad_design_is_bad_input(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**CHALLENGED, "assumptions": {}}))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(app, ["challenge", str(path), "--samples", "8", "--db", url])
    assert result.exit_code == 2 and "no assumptions to challenge" in result.output
    path.write_text(yaml.safe_dump(CHALLENGED))
    result = cli.invoke(
        app, ["challenge", str(path), "--samples", "10", "--sensitivity", "sobol", "--db", url]
    )
    assert result.exit_code == 2 and "power of two" in result.output


def test_displacement_claims_use_the_pooled_measures():
    # Two replications whose pooled totals are the example of docs/displacement.md style:
    # target 80 -> 50 (30 removed), buffer 20 -> 30, control flat: ratio 10/30, WDQ -1/3.
    def frame(target, buffer, other):
        return pd.DataFrame(
            [{"replication": r, "step": 1, "activity_target": target / 2, "activity_buffer": buffer / 2,
              "activity_control": 50.0, "activity_other_jurisdictions": other / 2} for r in (0, 1)]
        )  # fmt: skip

    strategy, counterfactual = frame(50, 30, 20), frame(80, 20, 10)
    for metric, expected in (("displacement_ratio", 1 / 3), ("wdq", -1 / 3)):
        claim = Claim.model_validate(
            {"claim": "c", "metric": metric, "window": [1, 1], "change": {"at_most": 0.5}}
        )
        assert judge_claim(claim, strategy, counterfactual).estimate == pytest.approx(expected)


def test_a_claim_may_compare_with_another_scenario_file(tmp_path):
    from simulation.theory import claim_setup

    (tmp_path / "status_quo.yaml").write_text(yaml.safe_dump({"name": "status_quo", "steps": 20}))
    claimed = {
        "name": "reform",
        "steps": 30,
        "theory_of_success": [
            {"claim": "c", "metric": "violence", "compare": "status_quo.yaml", "window": [1, 30],
             "change": {"relative": -0.1, "direction": "decrease"}},
        ],
    }  # fmt: skip
    path = tmp_path / "reform.yaml"
    path.write_text(yaml.safe_dump(claimed))
    setup = claim_setup(path)
    assert setup.comparison_for("status_quo.yaml") == "status_quo"
    compared = setup.inputs[1]
    assert not compared.strategy_off and compared.raw["steps"] == 30, (
        "the comparison runs as long as the claim needs"
    )
    path.write_text(
        yaml.safe_dump(
            {**claimed, "theory_of_success": [{**claimed["theory_of_success"][0], "compare": "nowhere.yaml"}]}
        )
    )
    with pytest.raises(ScenarioError, match="not counterfactual, start or an existing scenario file"):
        claim_setup(path)


@pytest.mark.slow
def test_morris_indices_rank_the_deciding_assumption_first(tmp_path):
    from simulation.theory.challenge import run_challenge

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(CHALLENGED))
    result = run_challenge(
        path,
        samples=4,
        replications=1,
        db=f"sqlite:///{tmp_path / 'r.sqlite'}",
        executor="serial",
        sensitivity="morris",
    )
    mu_star = result.claims[0].sensitivity["mu_star"]
    assert len(result.points) == 4 * (2 + 1)
    assert mu_star["strategy.pursue.intelligence.intensity"] > mu_star["behaviour.victim.recovery_rate"]
