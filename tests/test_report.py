"""ocsim report: one self-contained HTML file with every section and its figures, PNGs beside it."""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simulation.analysis import event_study, window_effect
from simulation.analysis.claims import ClaimVerdict
from simulation.cli import app
from simulation.core.indicators import DISPLACEMENT_INDICATORS, INDICATORS
from simulation.experiments import ExperimentSpec, run_experiment
from simulation.formatting import format_claim_value, format_percent
from simulation.report import build_report, figures, summary, write_report
from simulation.report import event_study as report_event_study
from simulation.report.build import _claims_table
from simulation.report.data import ExperimentData, gather
from simulation.report.event_study import EventStudyData
from simulation.storage import ResultsStore
from simulation.theory import run_claim_test
from simulation.theory.challenge import run_challenge
from tests.conftest import ROOT
from tests.test_event_study import synthetic_run

cli = CliRunner()

SCENARIO = {
    "name": "report_smoke",
    "steps": 24,
    "world": {"grid": {"width": 20, "height": 20}, "ocgs": {"count": 4, "members": 30}},
    "zones": {"core": {"rect": [0, 0, 10, 10]}},
    "displacement": {"target": "core", "buffer": 2},
    "strategy": {"pursue": {"hotspot_policing": {"intensity": 1.0, "start": 6, "target": {"zone": "core"}}}},
    "theory_of_success": [
        {"claim": "Activity in the core falls", "metric": "activity_target", "window": [12, 24],
         "change": {"relative": 0.0, "direction": "decrease"}},
        {"claim": "At most half of it moves", "metric": "displacement_ratio", "window": [12, 24],
         "change": {"at_most": 0.5}},
    ],
    "assumptions": {
        "strategy.pursue.hotspot_policing.intensity": {"low": 0.2, "high": 1.0},
        "behaviour.ocg.risk_aversion": {"low": 0.2, "high": 1.2},
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """A report from real runs: a claim test, a challenge and a sweep of a small scenario."""
    tmp_path = tmp_path_factory.mktemp("real")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run_claim_test(path, replications=3, db=url, executor="serial")
    run_challenge(path, samples=8, replications=1, db=url, executor="serial")
    sweep = ExperimentSpec.model_validate(
        {"name": "sweep_smoke", "scenarios": [str(path)], "replications": 2, "steps": 12,
         "parameters": {"behaviour.ocg.risk_aversion": [0.3, 0.9], "world.grid.width": [20]}}
    )  # fmt: skip
    run_experiment(sweep, executor="serial", db=url)

    out = tmp_path / "report" / "report.html"
    result = cli.invoke(app, ["report", "--db", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_report_has_every_section_with_its_figures(real_report):
    out = real_report
    page = out.read_text()
    anchors = ("claims", "timeseries", "framework", "displacement")
    expected = ["summary", *(f"test-report-smoke-{a}" for a in anchors)]
    expected += ["challenge-report-smoke-challenge", "sweep-smoke-sweep"]
    positions = [page.index(f'id="{anchor}"') for anchor in expected]
    assert positions == sorted(positions), "the answer first, then the evidence in order"
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    pngs = sorted((out.parent / "report_figures").glob("*.png"))
    assert len(images) == len(pngs) >= 8
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "http://" not in page and "https://" not in page, "self-contained: nothing fetched"
    for text in ("displacement_ratio", "wdq", "HOLDS" if "HOLDS" in page else "FAILS", "pursue", "outcome"):
        assert text in page
    assert "behaviour.ocg.risk_aversion" in page
    answer = page[: page.index('id="test-report-smoke-claims"')]
    assert "Activity target " in answer and "compared with no strategy" in answer
    assert "The displacement ratio is " in answer and "measured against the same seeds" in answer
    assert [p.name for p in pngs if p.name.startswith("sweep-smoke-")] == [
        "sweep-smoke-behaviour-ocg-risk-aversion.png"
    ]  # world.grid.width took one value: no figure for it


@pytest.mark.slow
def test_real_report_reads_well_in_a_browser(real_report, chromium):
    check_in_browser(real_report, chromium)


def test_report_bad_input(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    empty = cli.invoke(app, ["report", "--db", url, "--out", str(tmp_path / "r.html")])
    assert empty.exit_code == 2 and "no experiments" in empty.output
    unknown = cli.invoke(
        app, ["report", "--db", url, "--experiment", "nope", "--out", str(tmp_path / "r.html")]
    )
    assert unknown.exit_code == 2 and "no experiment named 'nope'" in unknown.output


def test_build_report_refuses_an_empty_database(tmp_path):
    with pytest.raises(LookupError):
        build_report(f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path / "r.html")


# ------------------------------------------------------------- the answer first, on synthetic data
def _verdict(**changes) -> dict:
    """A stored verdict row (as the claim_verdicts table returns it), changed where given."""
    row = {
        "experiment": "test.synthetic", "scenario": "synthetic", "claim_index": 0,
        "claim": "Organized crime revenue falls at least 5% in years 3-5", "metric": "ocg_revenue",
        "compare": "counterfactual", "window_first": 25, "window_last": 60, "kind": "relative",
        "threshold": -0.05, "wants_below": 1, "confidence": 0.9, "estimate": -0.126, "low": -0.143,
        "high": -0.111, "verdict": "HOLDS", "replications": 20, "more_replications": math.nan, "note": None,
    }  # fmt: skip
    row.update(changes)
    return row


def test_a_relative_claim_reads_as_one_sentence_in_percent():
    assert summary.claim_sentence(_verdict()) == (
        "HOLDS: OCG revenue falls 12.6% (90% bounds −14.3% to −11.1%) in months 25–60 compared with "
        "no strategy; the claim needs a fall of at least 5% (20 paired runs)."
    )
    rise = _verdict(
        metric="illicit_price",
        threshold=0.05,
        wants_below=0,
        estimate=0.233,
        low=0.19,
        high=0.28,
        confidence=0.8,
    )
    assert summary.finding(rise) == (
        "Illicit price rises 23.3% (80% bounds +19% to +28%) in months 25–60 compared with no strategy; "
        "the claim needs a rise of at least 5% (20 paired runs)."
    )


def test_a_level_claim_compares_with_nothing():
    level = _verdict(
        metric="seizures_value",
        kind="level",
        threshold=500.0,
        wants_below=0,
        estimate=612.4,
        low=580.2,
        high=650.9,
    )
    text = summary.claim_sentence(level)
    assert "counterfactual" not in text and "no strategy" not in text
    assert text == (
        "HOLDS: Seizures value averages 612 k/month (90% bounds 580 to 651 k/month) in months 25–60, "
        "a level, compared with nothing; the claim needs at least 500 k/month (20 runs)."
    )
    assert summary.comparison(level) == "nothing (a level)"
    ceiling = _verdict(
        metric="violence",
        kind="level",
        threshold=50.0,
        wants_below=1,
        estimate=61.0,
        low=55.0,
        high=67.0,
        verdict="FAILS",
    )
    assert summary.needs_text(ceiling) == "at most 50 incidents/month"
    # Displacement measures are levels that are themselves a comparison with the same seeds.
    moved = _verdict(
        metric="displacement_ratio",
        kind="level",
        threshold=0.5,
        wants_below=1,
        estimate=0.556,
        low=-0.0475,
        high=0.969,
        verdict="INCONCLUSIVE",
        more_replications=12,
    )
    assert summary.claim_sentence(moved) == (
        "INCONCLUSIVE: The displacement ratio is 0.556 (90% bounds −0.0475 to 0.969) in months 25–60, "
        "measured against the same seeds without the strategy; the claim needs at most 0.5 "
        "(20 paired runs). About 12 more paired runs would likely settle it."
    )
    assert "counterfactual" not in summary.comparison(moved)


def test_claims_against_the_start_or_another_scenario_say_so():
    start = _verdict(
        metric="violence",
        compare="start",
        window_first=48,
        window_last=60,
        threshold=-0.2,
        estimate=0.05,
        low=0.01,
        high=0.09,
        verdict="FAILS",
    )
    assert "compared with the start of the same runs; the claim needs a fall of at least 20% (20 runs)" in (
        summary.finding(start)
    )
    assert summary.comparison(start) == "the start of the same runs"
    with_baseline = {**start, "baseline": (1, 12)}
    assert "compared with months 1–12 of the same runs;" in summary.finding(with_baseline)
    assert summary.comparison(with_baseline) == "the start of the same runs (months 1–12)"
    other = _verdict(compare="scenarios/baseline.yaml")
    assert "compared with scenario scenarios/baseline.yaml;" in summary.finding(other)
    assert summary.comparison(other) == "scenario scenarios/baseline.yaml (same seeds)"


def test_absolute_claims_plural_metrics_and_undecided_ones():
    arrests = _verdict(
        metric="arrests",
        kind="absolute",
        threshold=5.0,
        wants_below=0,
        estimate=1.0,
        low=0.184,
        high=1.72,
        verdict="FAILS",
        window_first=13,
        window_last=13,
    )
    assert summary.finding(arrests) == (
        "Arrests rise by 1 persons/month (90% bounds +0.184 to +1.72 persons/month) in month 13 compared "
        "with no strategy; the claim needs a rise of at least 5 persons/month (20 paired runs)."
    )
    # A ClaimVerdict record (window as a pair) reads the same as a stored row.
    record = {k: v for k, v in arrests.items() if not k.startswith("window_")} | {"window": (13, 13)}
    assert summary.finding(record) == summary.finding(arrests)
    flat = _verdict(
        estimate=0.0,
        low=-0.01,
        high=0.01,
        verdict="INCONCLUSIVE",
        more_replications=None,
        note="the estimate sits on the threshold; more replications will not settle it",
    )
    assert "OCG revenue does not change (90% bounds −1% to +1%)" in summary.finding(flat)
    assert summary.finding(flat).endswith(
        "(20 paired runs). The estimate sits on the threshold; more replications will not settle it."
    )
    undefined = _verdict(
        estimate=None,
        low=None,
        high=None,
        verdict="INCONCLUSIVE",
        replications=1,
        note="an interval needs at least 2 paired replications",
    )
    assert summary.finding(undefined) == (
        "OCG revenue: no estimate in months 25–60, compared with no strategy "
        "(an interval needs at least 2 paired replications) (1 paired run)."
    )
    assert summary.tally(["HOLDS", "FAILS", "HOLDS"]) == "2 of 3 claims hold, 1 fails"
    assert summary.tally(["HOLDS", "INCONCLUSIVE"]) == "1 of 2 claims holds, 1 is inconclusive"
    assert summary.tally([]) == "no claims judged"


def test_percentages_and_numbers_are_written_one_way():
    assert [format_percent(x) for x in (0.126, -0.143, -0.05, 0.0, -0.00185, 17.14)] == [
        "+12.6%", "−14.3%", "−5%", "0%", "−0.185%", "+1,714%"
    ]  # fmt: skip
    assert format_percent(float("nan")) == format_percent(None) == "—"
    assert format_claim_value(1440.3, "level", "k/month") == "1,440 k/month"
    assert format_claim_value(1440.3, "absolute") == "+1,440"  # never '1.44e+03'
    assert format_claim_value(-0.0475, "level") == "−0.0475"
    verdict = ClaimVerdict(
        claim="c",
        metric="ocg_revenue",
        compare="counterfactual",
        window=(25, 60),
        kind="relative",
        threshold=-0.05,
        wants_below=True,
        confidence=0.9,
        estimate=-0.126,
        low=-0.143,
        high=-0.111,
        verdict="HOLDS",
        replications=20,
        more_replications=None,
    )
    assert "estimate −12.6% [−14.3%, −11.1%] at 90%, needs ≤ −5%" in verdict.describe()


def test_ocsim_test_and_the_report_print_the_same_numbers(tmp_path, monkeypatch):
    """The CLI's claims table and the report's claims table share one formatter."""
    import simulation.theory

    record = _verdict()
    verdict = ClaimVerdict(
        **{
            k: record[k]
            for k in (
                "claim",
                "metric",
                "compare",
                "kind",
                "threshold",
                "confidence",
                "estimate",
                "low",
                "high",
                "verdict",
                "replications",
            )
        },
        window=(25, 60),
        wants_below=True,
        more_replications=None,
    )
    fake = SimpleNamespace(
        verdicts=[verdict],
        all_hold=True,
        experiment="test.synthetic",
        sweep=SimpleNamespace(failed=0, database="sqlite:///x"),
        setup=SimpleNamespace(label="interdiction_claims", source="scenarios/interdiction_claims.yaml"),
    )
    monkeypatch.setattr(simulation.theory, "run_claim_test", lambda *a, **k: fake)
    scenario = ROOT / "scenarios" / "interdiction_claims.yaml"
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    result = cli.invoke(app, ["test", str(scenario), "--db", db, "-q"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    shown = _claims_table(pd.DataFrame([record]))
    cell = shown.loc[0, "estimate [interval]"]
    assert cell == "−12.6% [−14.3%, −11.1%]"
    assert cell in result.output and shown.loc[0, "needs"] in result.output  # '≤ −5% at 90%'


def _synthetic_experiments() -> list[ExperimentData]:
    """A tested strategy (claims of each kind, indicators of every level, maps) and a sweep, no model."""
    rng = np.random.default_rng(1)
    shown = ("violence", "ocg_revenue", "ocg_members", "new_victims", "illicit_price", "arrests",
             "seizures_value", "recidivism_rate", "cross_border_operations", "spend_pursue")  # fmt: skip
    names = [
        i.name
        for i in (*INDICATORS, *DISPLACEMENT_INDICATORS)
        if i.name in shown or i.name.startswith("activity_")
    ]
    rows = []
    for scenario, lift in (("synthetic", 1.1), ("synthetic (counterfactual)", 1.0)):
        for replication in range(3):
            for step in range(1, 25):
                values = {n: float(rng.gamma(4.0, 25.0)) * (lift if step > 6 else 1.0) for n in names}
                rows.append(
                    {
                        "run_id": len(rows),
                        "scenario": scenario,
                        "point": 0,
                        "replication": replication,
                        "seed": replication,
                        "step": step,
                        **values,
                    }
                )
    metrics = pd.DataFrame(rows)
    verdicts = pd.DataFrame(
        [
            _verdict(
                claim="The street price rises at least 5% in years 3-5",
                metric="illicit_price",
                threshold=0.05,
                wants_below=0,
                estimate=0.233,
                low=0.19,
                high=0.28,
            ),
            _verdict(claim_index=1, verdict="FAILS", estimate=0.042, low=0.01, high=0.07),
            _verdict(
                claim_index=2,
                claim="Seizures reach at least 500 k a month",
                metric="seizures_value",
                kind="level",
                threshold=500.0,
                wants_below=0,
                estimate=612.4,
                low=580.2,
                high=650.9,
            ),
            _verdict(
                claim_index=3,
                claim="Violence falls below its first-year level",
                metric="violence",
                compare="start",
                threshold=0.0,
                estimate=-0.02,
                low=-0.05,
                high=0.01,
                verdict="INCONCLUSIVE",
                more_replications=41,
            ),
        ]
    )
    paired = ExperimentData(
        "test.synthetic",
        "paired",
        {"design": {}, "spec": {}},
        metrics,
        [],
        verdicts,
        [],
        "synthetic",
        "synthetic (counterfactual)",
        {"strategy": {"pursue": {"interdiction": {"start": 6}}}},
        24,
        {layer: rng.normal(size=(20, 20)) for layer in ("activity", "control_strength", "violence")},
    )
    sweep_metrics = metrics[metrics["scenario"] == "synthetic"].assign(
        **{
            "behaviour.ocg.risk_aversion": lambda f: np.where(f["replication"] < 2, 0.3, 0.9),
            "world.grid.width": 24,
        }
    )
    paired.event_study = _synthetic_event_study()
    sweep = ExperimentData(
        "risk_sweep",
        "sweep",
        {"design": {"type": "grid"}, "spec": {"description": ""}},
        sweep_metrics,
        ["behaviour.ocg.risk_aversion", "world.grid.width"],
        pd.DataFrame(),
        [],
    )
    sweep.event_study = EventStudyData("risk_sweep", runs=4, problem="The 4 runs did not keep the layer.")
    return [sweep, paired]  # the report puts the tested strategy first whatever the order


def _synthetic_event_study() -> EventStudyData:
    """Six runs in which violence doubles in the territory from each removal on, nowhere else."""
    runs = [synthetic_run(20, 1.0, seed=s) for s in range(6)]
    options = {"kind": "leader_arrest", "layer": "violence", "where": {"convicted": True}, "resamples": 300}
    return EventStudyData(
        "synthetic", runs=6, used=6, arrests=6, removals=6,
        study=event_study(runs, window=(-12, 20), **options),
        effects={months: window_effect(runs, months, **options) for months in ((0, 5), (0, 11))},
    )  # fmt: skip


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic") / "report.html"
    return write_report(_synthetic_experiments(), out, "ocsim report: synthetic", "synthetic data")


def test_the_report_opens_with_the_answer(synthetic_report):
    page = synthetic_report.path.read_text()
    anchors = ("summary", "test-synthetic-claims", "test-synthetic-timeseries", "test-synthetic-framework")
    order = [page.index(f'id="{a}"') for a in (*anchors, "risk-sweep-sweep")]
    assert order == sorted(order), "summary, claims, time series, framework, then the sweep"
    answer = page[page.index('id="summary"') : page.index('id="test-synthetic-claims"')]
    assert "synthetic: 2 of 4 claims hold, 1 fails, 1 is inconclusive" in answer
    assert "Illicit price rises 23.3% (90% bounds +19% to +28%)" in answer
    assert "a level, compared with nothing" in answer
    assert "compared with the start of the same runs" in answer
    claims = page[page.index('id="test-synthetic-claims"') : page.index('id="test-synthetic-timeseries"')]
    assert "+23.3% [+19%, +28%]" in claims and "0.233" not in claims  # percent, as ocsim test prints
    level_row = next(r for r in claims.split("<tr") if "Seizures reach" in r)
    assert "nothing (a level)" in level_row and "counterfactual" not in level_row
    assert "612 [580, 651] k/month" in level_row
    # The sweep plots the parameter that varied, and says which one did not.
    sweep_figures = [p.name for p in synthetic_report.figures if p.name.startswith("risk-sweep-")]
    assert sweep_figures == ["risk-sweep-behaviour-ocg-risk-aversion.png"]
    assert "Held at one value in every run (so not plotted): world.grid.width = 24" in page


def test_the_event_study_speaks_first_then_shows_its_figure(synthetic_report):
    page = synthetic_report.path.read_text()
    answer = page[page.index('id="summary"') : page.index('id="test-synthetic-claims"')]
    study = answer[answer.index("Violence around leaders' removals: synthetic") :]
    assert "(6 removals in 6 runs;" in study
    sentences = re.findall(r"<li>(.*?)</li>", study[: study.index("</ul>")])
    assert len(sentences) == 4, "one sentence per area: territory, ring 1, ring 2, rest"
    first = re.fullmatch(
        r"After a leader&#x27;s removal \(arrest and conviction\), violence in the group&#x27;s own "
        r"territory rose by ([\d.]+)% \(90% interval \+([\d.]+)% to \+([\d.]+)%\) in the 12 months from "
        r"the removal \(months <span class=\"nowrap\">0–11</span>\) against its mean over the 12 months "
        r"before, over 6 removals in 6 runs\.",
        sentences[0],
    )
    assert first is not None, sentences[0]
    estimate, low, high = (float(g) for g in first.groups())
    assert 90 <= estimate <= 110 and low < estimate < high
    assert sentences[1].startswith("In the cells next to it (one step away), violence ")
    assert sentences[3].startswith("In the rest of the grid, violence ")
    assert "association" in study  # a before/after design, said so
    assert "risk_sweep" in answer and "The 4 runs did not keep the layer." in answer
    evidence = page.index('id="test-synthetic-event-study"')
    assert page.index('id="test-synthetic-displacement"') < evidence < page.index('id="risk-sweep-sweep"')
    assert "months 0–5 after: change [90% interval]" in page
    assert any(p.name == "test-synthetic-event-study.png" for p in synthetic_report.figures)


def test_event_study_changes_read_as_words():
    text = report_event_study.change_text
    assert text({"percent": 101.19, "low": 82.29, "high": 120.27}) == (
        "rose by 101% (90% interval +82.3% to +120%)"
    )
    assert (
        text({"percent": -7.58, "low": -17.2, "high": 0.43})
        == "fell by 7.58% (90% interval −17.2% to +0.43%)"
    )
    assert text({"percent": 0.0, "low": -1.0, "high": 1.0}).startswith("did not change (")
    assert "no violence there in the months before" in text(
        {"percent": np.nan, "low": np.nan, "high": np.nan}
    )
    assert report_event_study.targets_leaders(
        {"strategy": {"pursue": {"leadership_targeting": {"intensity": 1}}}}
    )
    assert not report_event_study.targets_leaders(
        {"strategy": {"pursue": {"leadership_targeting": {"intensity": 0.0}}}}
    )
    assert not report_event_study.targets_leaders({"strategy": {"pursue": {"leadership_targeting": None}}})


KINGPIN = {
    "name": "kingpin_small",
    "steps": 24,
    "world": {"grid": {"width": 24, "height": 24}, "ocgs": {"count": 4, "members": 20},
              "geography": {"urban_centres": 3}},  # tests.conftest.SMALL_WORLD
    "strategy": {"pursue": {"leadership_targeting": {"intensity": 1.0, "start": 3}}},
    "output": {"snapshot_every": 0},
}  # fmt: skip


@pytest.fixture(scope="module")
def kingpin_report(tmp_path_factory):
    """Two sweeps of a small world that targets leaders: one keeps the monthly violence layer (set
    in the experiment file) and also has runs without the lever, the other keeps no layer."""
    tmp_path = tmp_path_factory.mktemp("kingpin")
    path = tmp_path / "kingpin_small.yaml"
    path.write_text(yaml.safe_dump(KINGPIN))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    for name, output, intensities in (("kept", {"history": ["violence"]}, [0.0, 1.0]), ("lost", {}, [1.0])):
        spec = {"name": name, "scenarios": [str(path)], "replications": 3, "seed": 5, "output": output,
                "parameters": {"strategy.pursue.leadership_targeting.intensity": intensities}}  # fmt: skip
        run_experiment(ExperimentSpec.model_validate(spec), executor="serial", db=url)
    out = tmp_path / "report.html"
    result = cli.invoke(app, ["report", "--db", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_report_studies_leaders_removals_from_stored_runs(kingpin_report):
    out = kingpin_report
    page = out.read_text()
    answer = page[page.index('id="summary"') : page.index("</section>")]
    kept = answer[answer.index("Violence around leaders' removals: kept") :]
    removals = re.search(r"\((\d+) removals in 3 runs;", kept)
    assert removals is not None, kept[:300]  # the three runs with the lever on, not those at 0
    assert f"over {removals.group(1)} removals in 3 runs." in kept
    assert "violence in the group&#x27;s own territory " in kept
    lost = answer[answer.index("Violence around leaders' removals: lost") :]
    assert "The 3 runs with leadership targeting did not keep the monthly violence layer" in lost
    assert "output.history" in lost and "history: [violence]" in lost
    assert 'id="kept-event-study"' in page and 'id="lost-event-study"' in page
    assert (out.parent / "report_figures" / "kept-event-study.png").is_file()
    assert not (out.parent / "report_figures" / "lost-event-study.png").exists()


def test_a_test_against_the_counterfactual_studies_removals_as_a_difference_in_differences(tmp_path):
    """A claim test keeps the counterfactual's runs; with their violence layer the report sets each
    removal against the same cells and months without the strategy, and says so."""
    claimed = {**KINGPIN, "name": "kingpin_claimed", "output": {"snapshot_every": 0, "history": ["violence"]},
               "theory_of_success": [{"claim": "Violence rises", "metric": "violence", "window": [4, 24],
                                      "change": {"relative": 0.0, "direction": "increase"}}]}  # fmt: skip
    path = tmp_path / "kingpin_claimed.yaml"
    path.write_text(yaml.safe_dump(claimed))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    experiment = run_claim_test(path, replications=3, db=url, executor="serial").experiment
    with ResultsStore(url) as store:
        study = gather(store, experiment).event_study
    assert study is not None and study.problem is None, study and study.problem
    assert study.against_counterfactual and study.unmatched is None
    assert "the same change without the strategy" in report_event_study.sentences(study)[0]
    assert report_event_study.caveat(study).startswith("A difference in differences")


def test_long_figure_titles_stay_inside_the_figure():
    claim = "Organized crime revenue falls at least 5% in years 3-5 whatever the groups' risk aversion says"
    for figure in (
        figures.feature_scores(
            {"behaviour.market.demand_elasticity": 0.6, "behaviour.ocg.risk_aversion": 0.4},
            f"What moves the estimate of: {claim}",
        ),
        figures.verdict_forest(pd.DataFrame([_verdict(claim=claim)])),
    ):
        figure.canvas.draw()
        renderer, box = figure.canvas.get_renderer(), figure.bbox
        for ax in figure.axes:
            for text in (ax.title, ax.xaxis.label, ax._left_title):
                if text.get_text():
                    extent = text.get_window_extent(renderer)
                    assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text.get_text()
        plt.close(figure)


# ------------------------------------------------------------------ the page, in a real browser
BROWSERS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
FOLD = 720
"""A 1280 x 720 screen: the summary must start, and its first claim be readable, above this line."""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = os.environ.get("OCSIM_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    reason = None
    if found is None:
        reason = "no Chromium (Debian: apt-get install chromium; or set OCSIM_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason:
        if os.environ.get("CI"):  # CI installs both: a missing piece there is a failure
            pytest.fail(f"browser test cannot run on CI: {reason}")
        pytest.skip(reason)
    return found


def check_in_browser(path, chromium: str, screenshot=None) -> None:
    """At 1280 px: the summary above the fold, the page no wider than the window, every figure inside it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": FOLD})
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            summary_box = page.locator("#summary").bounding_box()
            first_claim = page.locator("#summary li").first.bounding_box()
            evidence = page.locator("h2").nth(1).bounding_box()  # the first heading after the summary's
            assert summary_box is not None and first_claim is not None and evidence is not None
            assert summary_box["y"] < 200, summary_box
            assert first_claim["y"] + first_claim["height"] <= FOLD, first_claim
            assert evidence["y"] > summary_box["y"] + summary_box["height"] - 1
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
            rights = page.evaluate(
                "() => Array.from(document.querySelectorAll('img, h1, h2, h3, p, li'))"
                ".map(e => e.getBoundingClientRect().right)"
            )
            assert max(rights) <= widths[1], "an element runs off the right edge"
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()


def test_the_answer_is_above_the_fold_in_a_browser(synthetic_report, chromium, tmp_path):
    shot = tmp_path / "report.png"
    check_in_browser(synthetic_report.path, chromium, shot)
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_runs_stored_without_their_layer_are_named_with_what_to_do(kingpin_report, tmp_path):
    """A run whose scenario lists the layer but whose layer is not stored (an earlier ocsim stored
    it) cannot be redone by a sweep: the report says so instead of advising a re-run."""
    from sqlalchemy import delete

    from simulation.report.data import gather
    from simulation.storage import ResultsStore
    from simulation.storage.schema import histories

    copy = tmp_path / "r.sqlite"
    shutil.copy(kingpin_report.parent / "r.sqlite", copy)
    with ResultsStore(f"sqlite:///{copy}") as store:
        plan = store.experiment_plan("kept")
        targeted = plan[plan["strategy.pursue.leadership_targeting.intensity"] > 0]["run_id"]
        with store.engine.begin() as conn:
            conn.execute(delete(histories).where(histories.c.run_id == int(targeted.iloc[0])))
        study = gather(store, "kept").event_study
    assert (study.runs, study.used, study.stale) == (3, 2, 1)
    assert (
        "over" in report_event_study.sentences(study)[0]
        and "in 2 runs." in report_event_study.sentences(study)[0]
    )
    caveat = report_event_study.caveat(study)
    assert (
        "1 of the 3 runs with leadership targeting list violence under output.history but were stored"
        in caveat
    )
    assert "new database" in caveat and "Those runs are left out." in caveat
    missing = EventStudyData("x", runs=4, used=0, stale=0)
    assert report_event_study.why_missing(missing).startswith(
        "The 4 runs with leadership targeting did not keep the monthly violence layer; to keep it, add "
    )
