"""One way to set things: --set/--steps on every command that runs the model, set: in experiment
files, did-you-mean suggestions, --scheduler implying Dask, --json output, 80-column tables and
the challenge's honesty about thin evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import simulation.experiments
import simulation.runner
from simulation.analysis.claims import ClaimVerdict
from simulation.cli import app
from simulation.core.indicators import INDICATOR_NAMES
from simulation.experiments import ExperimentError, load_experiment
from simulation.runner import RunResult
from simulation.scenario import load_scenario
from simulation.storage import ResultsStore
from simulation.suggest import close_matches, correct_path, did_you_mean

cli = CliRunner()
TINY = {"name": "tiny", "steps": 4, "world": {"grid": {"width": 16, "height": 16}, "ocgs": {"count": 3}}}
CLAIMED = {
    **TINY,
    "name": "claimed",
    "steps": 6,
    "strategy": {"pursue": {"hotspot_policing": {"intensity": 1.0, "start": 1}}},
    "theory_of_success": [
        {
            "claim": "Violence falls at least 10%",
            "metric": "violence",
            "window": [2, 6],
            "change": {"relative": -0.1, "direction": "decrease"},
        }
    ],
    "assumptions": {"behaviour.ocg.risk_aversion": {"low": 0.2, "high": 1.5}},
}


def fake_run(scenario, seed, steps=None, progress=None) -> RunResult:
    """Stand-in for the model: values depend on the seed and the group count."""
    steps = steps or scenario.steps
    rng = np.random.default_rng(seed + scenario.world.ocgs.count)
    frame = pd.DataFrame(
        {name: rng.random(steps) * 100 for name in INDICATOR_NAMES},
        index=pd.RangeIndex(1, steps + 1, name="step"),
    )
    return RunResult(scenario, seed, steps, frame, {}, 0.01)


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr(simulation.runner, "run_scenario", fake_run)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OCSIM_DB", raising=False)


def write(path: Path, content: dict) -> Path:
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def sweep_file(tmp_path: Path, **fields) -> Path:
    scenario = write(tmp_path / "tiny.yaml", TINY)
    spec = {
        "name": "tiny_sweep",
        "scenarios": [str(scenario)],
        "replications": 2,
        "seed": 3,
        "parameters": {"behaviour.ocg.risk_aversion": [0.3, 0.9]},
        **fields,
    }
    return write(tmp_path / "sweep.yaml", spec)


def stored_configs(url: str) -> pd.DataFrame:
    with ResultsStore(url) as store:
        return store.load_runs()


# ---------------------------------------------------------------------------- did you mean
def test_suggestions_find_close_names_and_mend_every_part_of_a_path():
    assert close_matches("violense", INDICATOR_NAMES)[0] == "violence"
    assert did_you_mean("persue", ["prevent", "pursue", "protect", "promote"]) == "did you mean 'pursue'?"
    assert did_you_mean("zzz", ["violence"]) == ""
    assert correct_path("world.grid.widht") == "world.grid.width"
    assert correct_path("world.grd.widht") == "world.grid.width"
    assert correct_path("strategy.persue.hotspot_policing.intensity") == (
        "strategy.pursue.hotspot_policing.intensity"
    )
    assert correct_path("world.grid.width") is None  # nothing to mend
    assert correct_path("zones.anything") is None  # free-form keys are fine as they are


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "SCENARIO", "--set", "world.grid.widht=30"], "did you mean 'world.grid.width'?"),
        (["levers", "persue"], "did you mean 'pursue'?"),
        (["levers", "hotspot_policing"], "is a lever, not a principle"),
        (["validate", "CLAIM"], "did you mean 'violence'?"),
        (["dashboard", "balon_effect"], "did you mean 'balloon_effect'?"),
    ],
)
def test_misspelt_names_get_a_suggestion_and_exit_2(tmp_path, args, expected):
    scenario = write(tmp_path / "tiny.yaml", TINY)
    claim = {**CLAIMED, "theory_of_success": [{**CLAIMED["theory_of_success"][0], "metric": "violense"}]}
    claim_file = write(tmp_path / "claim.yaml", claim)
    folder = tmp_path / "menu"
    folder.mkdir()
    write(folder / "balloon_effect.yaml", TINY)
    args = [{"SCENARIO": str(scenario), "CLAIM": str(claim_file)}.get(a, a) for a in args]
    if args[0] == "dashboard":
        args += ["--scenarios", str(folder)]
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert not (tmp_path / "results").exists()


def test_an_unknown_experiment_name_gets_a_suggestion(tmp_path, fake_model):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    simulation.experiments.run_experiment(sweep_file(tmp_path), executor="serial", db=url)
    for command in (
        ["runs", "--experiment", "tiny_swep"],
        ["export", "--experiment", "tiny_swep", "--out", "x"],
    ):
        result = cli.invoke(app, [*command, "--db", url])
        assert result.exit_code == 2
        assert "did you mean 'tiny_sweep'?" in " ".join(result.output.split())


def test_unknown_keys_and_keep_names_in_files_get_suggestions(tmp_path):
    bad = write(
        tmp_path / "bad.yaml", {**TINY, "world": {"grid": {"widht": 20}}, "output": {"keep": ["violense"]}}
    )
    result = cli.invoke(app, ["validate", str(bad)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "world.grid.widht: unknown field" in text and "did you mean 'world.grid.width'?" in text
    assert "'violense': did you mean 'violence'?" in text


# ---------------------------------------------------------------------- set: in experiments
def test_set_section_is_validated_like_parameters(tmp_path):
    path = sweep_file(tmp_path, set={"world.grid.widht": 20})
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    message = str(caught.value)
    assert str(path) in message and "set.world.grid.widht: no such setting" in message
    assert "did you mean 'world.grid.width'?" in message
    both = sweep_file(tmp_path, set={"behaviour.ocg.risk_aversion": 0.5})
    expected = re.escape("either fixed (set) or swept (parameters), not both")
    with pytest.raises(ExperimentError, match=expected):
        load_experiment(both)


def test_fixed_settings_enter_every_run_and_the_command_line_wins(tmp_path, fake_model):
    path = sweep_file(tmp_path, set={"world.ocgs.count": 4, "world.grid.width": 20})
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(
        app, ["sweep", str(path), "--db", url, "--executor", "serial", "--set", "world.ocgs.count=5",
              "--steps", "3", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = stored_configs(url)
    assert len(runs) == 4
    assert {c["world"]["ocgs"]["count"] for c in runs["config"]} == {5}  # --set beats set:
    assert {c["world"]["grid"]["width"] for c in runs["config"]} == {20}  # set: applies
    assert set(runs["steps"]) == {3}
    # Without the flag, the file's set: gives other runs (identity includes the settings).
    again = cli.invoke(app, ["sweep", str(path), "--db", url, "--executor", "serial", "-q"])
    assert again.exit_code == 0 and "4 finished" in again.output
    assert stored_configs(url)["run_key"].nunique() == 8


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--set", "world.grid.widht=30"], "did you mean 'world.grid.width'?"),
        (["--set", "behaviour.ocg.risk_aversion=0.5"], "is swept under parameters"),
        (["--set", "world.grid.width=3"], "world.grid.width"),
        (["--set", "nonsense"], "is not PATH=VALUE"),
        (["--scheduler", "tcp://127.0.0.1:1", "--executor", "serial"], "--executor serial was given"),
    ],
)
def test_bad_sweep_settings_exit_2_and_write_nothing(tmp_path, flags, expected):
    path = sweep_file(tmp_path)
    db = tmp_path / "r.sqlite"
    result = cli.invoke(app, ["sweep", str(path), "--db", f"sqlite:///{db}", *flags])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert not db.exists()


def test_scheduler_alone_means_dask(tmp_path, monkeypatch):
    seen = {}

    def fake_run_experiment(experiment, executor, **kwargs):
        seen.update(executor=executor, scheduler=kwargs["scheduler"])
        raise ValueError("stop here")

    monkeypatch.setattr(simulation.experiments, "run_experiment", fake_run_experiment)
    path = sweep_file(tmp_path)
    result = cli.invoke(
        app, ["sweep", str(path), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}", "--scheduler", "tcp://h:8786"]
    )
    assert seen == {"executor": "dask", "scheduler": "tcp://h:8786"}
    assert result.exit_code == 2 and "stop here" in result.output


# ------------------------------------------------------------------------ test / challenge
def test_ocsim_test_applies_settings_to_strategy_and_counterfactual(tmp_path, fake_model):
    path = write(tmp_path / "claimed.yaml", CLAIMED)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    plain = cli.invoke(app, ["test", str(path), "-r", "2", "--db", url, "--executor", "serial", "--json"])
    assert plain.exit_code in (0, 1), plain.output
    result = cli.invoke(
        app, ["test", str(path), "-r", "2", "--db", url, "--executor", "serial", "--json",
              "--set", "world.ocgs.count=4", "--steps", "8"],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    document = json.loads(result.stdout)
    assert document["settings"] == {"world.ocgs.count": 4, "steps": 8}
    assert document["runs"]["finished"] == 4, "new settings: new runs, none reused"
    runs = stored_configs(url)
    new = runs[[c["world"]["ocgs"]["count"] == 4 for c in runs["config"]]]
    assert set(new["scenario_name"]) == {"claimed", "claimed (counterfactual)"}
    assert set(new["steps"]) == {8} and len(new) == 4 and runs["run_key"].nunique() == 8


def test_test_and_challenge_refuse_bad_settings(tmp_path):
    path = write(tmp_path / "claimed.yaml", CLAIMED)
    db = tmp_path / "r.sqlite"
    cases = [
        (["test", str(path), "--set", "world.grid.widht=3"], "did you mean 'world.grid.width'?"),
        (["test", str(path), "--steps", "4"], "ends after the last month"),
        (["challenge", str(path), "--samples", "4", "--set", "behaviour.ocg.risk_aversion=1"],
         "either fixed (--set) or sampled"),
    ]  # fmt: skip
    for args, expected in cases:
        result = cli.invoke(app, [*args, "--db", f"sqlite:///{db}"])
        assert result.exit_code == 2, result.output
        assert expected in " ".join(result.output.split())
    assert not db.exists()


def test_challenge_json_reports_failure_counts(tmp_path, fake_model):
    path = write(tmp_path / "claimed.yaml", CLAIMED)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(
        app,
        ["challenge", str(path), "--samples", "4", "-r", "1", "--db", url, "--executor", "serial", "--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    claim = document["claims"][0]
    assert document["points"] == 4 and len(document["assumption_points"]) == 4
    assert claim["failures"] == sum(not p["holds_0"] for p in document["assumption_points"])
    assert {"statement", "box", "box_weak", "warnings", "feature_scores", "share_holding"} <= set(claim)


# ----------------------------------------------------------------------- output for people
def verdict(text: str, kind: str) -> ClaimVerdict:
    return ClaimVerdict(text, "violence", "counterfactual", (25, 60), "relative", -0.1, True, 0.9,
                        -0.05, -0.2, 0.1, kind, 20, 40 if kind == "INCONCLUSIVE" else None)  # fmt: skip


def test_the_claims_table_wraps_at_80_columns_and_never_cuts_a_verdict(monkeypatch, capsys):
    from types import SimpleNamespace

    from simulation.cli.theory import _print_test_table

    monkeypatch.setenv("COLUMNS", "80")
    long = "Organized crime revenue falls at least ten per cent in years three to five of the strategy"
    result = SimpleNamespace(
        setup=SimpleNamespace(label="interdiction_claims"),
        verdicts=[verdict(long, "INCONCLUSIVE"), verdict("Seizures reach 500 k", "HOLDS")],
        experiment="test.interdiction_claims",
        sweep=SimpleNamespace(database="sqlite:///results/ocsim.sqlite"),
    )
    _print_test_table(result, 20)
    out = capsys.readouterr().out
    assert "INCONCLUSIVE" in out and "…" not in out
    assert max(len(line) for line in out.splitlines() if "│" in line) <= 80
    assert all(word in out for word in long.split())


def test_runs_keeps_whole_experiment_names_at_80_columns(tmp_path, fake_model):
    name = "challenge.interdiction_claims_with_a_long_descriptive_name"
    path = sweep_file(tmp_path, name=name)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    simulation.experiments.run_experiment(path, executor="serial", db=url)
    result = cli.invoke(app, ["runs", "--db", url], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert name in result.output and "…" not in result.output
    document = json.loads(cli.invoke(app, ["runs", "--db", url, "--json"]).stdout)
    assert document["experiments"][0]["experiment"] == name
    assert document["experiments"][0]["finished"] == 4
    detail = json.loads(cli.invoke(app, ["runs", "--db", url, "--experiment", name, "--json"]).stdout)
    assert detail["by_scenario"] == {"tiny": {"finished": 4}}
    assert detail["sweeps"][0]["finished"] == 4


# ---------------------------------------------------------------------- challenge honesty
def test_challenge_counts_failures_marks_weak_boxes_and_skips_scores_that_explain_nothing():
    from simulation.experiments import ExperimentSpec
    from simulation.theory.challenge import analyse_claims
    from simulation.theory.setup import ClaimSetup

    claims = [dict(CLAIMED["theory_of_success"][0], claim=f"claim {i}") for i in range(3)]
    scenario = load_scenario(None, {"steps": 6, "theory_of_success": claims})
    spec = ExperimentSpec(
        name="c", scenarios=["x"], design={"type": "lhs", "samples": 8},
        parameters={"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}},
    )  # fmt: skip
    rng = np.random.default_rng(0)
    a, b = rng.random(8), rng.random(8)
    fails_two = a > np.sort(a)[-3]  # the two largest a fail
    points = pd.DataFrame(
        {"point": range(8), "a": a, "b": b,
         "estimate_0": -0.5 + a, "holds_0": True,  # never fails
         "estimate_1": np.where(fails_two, 0.1, -0.2), "holds_1": ~fails_two,
         "estimate_2": 1.0, "holds_2": False}  # fails everywhere
    )  # fmt: skip
    never, few, always = analyse_claims(ClaimSetup(scenario, "x.yaml"), points, spec, None, 1)
    assert never.failures == 0 and never.feature_scores == {} and not never.warnings
    assert "fails at 0" in never.statement
    assert few.failures == 2 and few.box and few.box_weak and few.box_failures <= 2
    assert any("too few to draw a PRIM box" in w for w in few.warnings)
    assert any("weak box" in w for w in few.warnings) and "weak" in few.statement
    assert few.feature_scores  # it fails somewhere: scores are worth showing
    assert always.failures == 8 and "fails everywhere" in always.statement


# ------------------------------------------------------------------------------ step 0
def test_step_0_is_the_initial_state_and_leaves_the_run_unchanged():
    from simulation.core.model import CriminalMarketModel

    scenario = load_scenario(None, {"world.grid.width": 16, "world.grid.height": 16, "world.ocgs.count": 3})
    result = simulation.runner.run_scenario(scenario, seed=5, steps=4)
    model = CriminalMarketModel(scenario, seed=5)  # the same run without the step-0 record
    for _ in range(4):
        model.step()
    untouched = pd.DataFrame.from_records(model.records, index=pd.RangeIndex(1, 5, name="step"))
    pd.testing.assert_frame_equal(result.metrics, untouched)
    start = result.metrics_from_start
    assert list(start.index) == [0, 1, 2, 3, 4] and list(start.columns) == list(result.metrics.columns)
    assert start.loc[0, "active_ocgs"] == 3 and start.loc[0, "ocg_members"] > 0  # stocks as built
    assert start.loc[0, "arrests"] == 0 and start.loc[0, "violence"] == 0  # no month has passed


def test_runs_store_step_0_and_export_includes_it(tmp_path):
    path = sweep_file(tmp_path, replications=1, parameters={}, output={"keep": ["ocg_members", "arrests"]})
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    cli.invoke(app, ["run", str(tmp_path / "tiny.yaml"), "--db", url, "--steps", "2", "-q"])
    result = cli.invoke(app, ["sweep", str(path), "--db", url, "--executor", "serial", "-q"])
    assert result.exit_code == 0, result.output
    with ResultsStore(url) as store:
        assert store.load_metrics()["step"].min() == 1  # analyses see months, as before
        assert set(store.load_metrics(initial=True).groupby("run_id")["step"].min()) == {0}
    exported = cli.invoke(app, ["export", "--db", url, "--experiment", "tiny_sweep", "--out", "out"])
    assert exported.exit_code == 0, exported.output
    frame = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert list(frame["step"]) == [0, 1, 2, 3, 4]
    assert frame.loc[0, "ocg_members"] > 0 and frame.loc[0, "arrests"] == 0
    assert "violence" not in frame.columns  # output.keep applies to step 0 too


# ------------------------------------------------------------------------------ estimates
def test_estimate_counts_start_up_rounds_and_sharing_the_machine():
    from simulation.experiments.estimate import Estimate

    quiet = Estimate(1.0, "probe", startup=2.0, cpus=2, others=0.0, alone=True)
    assert quiet.total(8, 2) == pytest.approx(2.0 + 4 * 1.0)  # two cores free: full speed
    assert quiet.total(3, 2) == pytest.approx(2.0 + 2 * 1.0)  # rounds, not runs / workers
    assert quiet.total(0, 2) == 0.0
    busy = Estimate(1.0, "probe", startup=2.0, cpus=2, others=2.0, alone=True)
    # alone the probe had 2/3 of a core; two workers get 1/2 each
    assert busy.total(8, 2) == pytest.approx(2.0 + 4 * (2 / 3) / (1 / 2))
    stored = Estimate(1.0, "stored runs", startup=2.0, cpus=2, others=2.0, alone=False)
    assert stored.total(8, 2) == pytest.approx(6.0)  # measured in workers already


def test_dry_run_prints_the_parts_of_its_estimate(tmp_path):
    path = sweep_file(tmp_path)
    result = cli.invoke(
        app,
        ["sweep", str(path), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}", "--dry-run", "--workers", "2"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "estimated time:" in text and "start-up" in text and "round(s) of" in text
    assert not (tmp_path / "results").exists()


# ------------------------------------------------------------------------------ dashboard
def test_dashboard_settings_are_checked_and_applied_to_the_first_scenario(tmp_path):
    from simulation.cli.dashboard import _with_settings

    folder = tmp_path / "menu"
    folder.mkdir()
    write(folder / "balloon_effect.yaml", TINY)
    for flags, expected in [
        (["--set", "world.grid.width=3"], "world.grid.width"),
        (["--set", "world.grid.widht=30"], "did you mean 'world.grid.width'?"),
        (["--steps", "0"], "--steps"),
    ]:
        result = cli.invoke(app, ["dashboard", "--scenarios", str(folder), *flags])
        assert result.exit_code == 2, result.output
        assert expected in " ".join(result.output.split())
    written = _with_settings(folder / "balloon_effect.yaml", {"world.ocgs.count": 5, "steps": 9}, folder)
    scenario = load_scenario(written)
    assert (scenario.world.ocgs.count, scenario.steps, scenario.name) == (5, 9, "tiny")


def test_a_missing_file_gets_the_closest_file_names(tmp_path):
    write(tmp_path / "balloon_effect.yaml", TINY)
    experiment = sweep_file(tmp_path)
    for args in (["run", "baloon_effect.yaml"], ["test", "baloon_effect.yaml"],
                 ["challenge", "baloon_effect.yaml", "--samples", "4"]):  # fmt: skip
        result = cli.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "file not found; did you mean 'balloon_effect.yaml'?" in " ".join(result.output.split())
    result = cli.invoke(app, ["sweep", str(experiment.with_name("swep.yaml"))])
    assert result.exit_code == 2 and "invalid experiment" in result.output
    assert f"did you mean '{experiment}'?" in " ".join(result.output.split())
    assert not (tmp_path / "results").exists()


def test_feature_scores_work_with_a_single_assumption():
    from simulation.experiments import ExperimentSpec
    from simulation.theory.challenge import analyse_claims
    from simulation.theory.setup import ClaimSetup

    scenario = load_scenario(None, {"steps": 6, "theory_of_success": CLAIMED["theory_of_success"]})
    spec = ExperimentSpec(
        name="c",
        scenarios=["x"],
        design={"type": "lhs", "samples": 12},
        parameters={"a": {"low": 0, "high": 1}},
    )
    a = np.linspace(0, 1, 12)
    points = pd.DataFrame({"point": range(12), "a": a, "estimate_0": a - 0.5, "holds_0": a < 0.4})
    (finding,) = analyse_claims(ClaimSetup(scenario, "x.yaml"), points, spec, None, 1)
    assert set(finding.feature_scores) == {"a"} and finding.failures == 7 and not finding.box_weak


def test_run_experiment_with_only_a_scheduler_joins_it(tmp_path, monkeypatch):
    from contextlib import contextmanager

    import simulation.experiments.sweep as sweep_module

    seen = {}

    @contextmanager
    def fake_open(kind, workers=None, scheduler=None):
        seen.update(kind=kind, scheduler=scheduler)
        raise ValueError("stop here")
        yield

    monkeypatch.setattr(sweep_module, "open_executor", fake_open)
    with pytest.raises(ValueError, match="stop here"):
        sweep_module.run_experiment(
            sweep_file(tmp_path), db=f"sqlite:///{tmp_path / 'r.sqlite'}", scheduler="tcp://h:1"
        )
    assert seen == {"kind": "dask", "scheduler": "tcp://h:1"}


def test_a_misspelt_scenario_in_an_experiment_gets_the_closest_file(tmp_path):
    write(tmp_path / "balloon_effect.yaml", TINY)
    path = write(tmp_path / "e.yaml", {"name": "e", "scenarios": [str(tmp_path / "baloon_effect.yaml")]})
    result = cli.invoke(app, ["sweep", str(path), "--dry-run", "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"])
    assert result.exit_code == 2
    assert f"did you mean '{tmp_path / 'balloon_effect.yaml'}'?" in " ".join(result.output.split())
