"""ocsim report: one self-contained HTML file with every section and its figures, PNGs beside it."""

from __future__ import annotations

import base64
import re

import pytest
import yaml
from typer.testing import CliRunner

from simulation.cli import app
from simulation.experiments import ExperimentSpec, run_experiment
from simulation.report import build_report
from simulation.theory import run_claim_test
from simulation.theory.challenge import run_challenge

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


@pytest.mark.slow
def test_report_has_every_section_with_its_figures(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run_claim_test(path, replications=3, db=url, executor="serial")
    run_challenge(path, samples=8, replications=1, db=url, executor="serial")
    sweep = ExperimentSpec.model_validate(
        {"name": "sweep_smoke", "scenarios": [str(path)], "replications": 2, "steps": 12,
         "parameters": {"behaviour.ocg.risk_aversion": [0.3, 0.9]}}
    )  # fmt: skip
    run_experiment(sweep, executor="serial", db=url)

    out = tmp_path / "report" / "report.html"
    result = cli.invoke(app, ["report", "--db", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    anchors = ("timeseries", "framework", "displacement", "claims")
    for anchor in [f"test-report-smoke-{a}" for a in anchors] + [
        "challenge-report-smoke-challenge",
        "sweep-smoke-sweep",
    ]:
        assert f'id="{anchor}"' in page, anchor
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    pngs = sorted((tmp_path / "report" / "report_figures").glob("*.png"))
    assert len(images) == len(pngs) >= 8
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "http://" not in page and "https://" not in page, "self-contained: nothing fetched"
    for text in ("displacement_ratio", "wdq", "HOLDS" if "HOLDS" in page else "FAILS", "pursue", "outcome"):
        assert text in page
    assert "behaviour.ocg.risk_aversion" in page


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
