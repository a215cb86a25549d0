"""The trainers' dashboard: the paired live/ghost session, its pictures and its offline front-end
files."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from simulation.dashboard import assets, figures
from simulation.dashboard.session import TrainingSession, charts_named_in, find_scenario
from simulation.model import CriminalMarketModel
from simulation.scenario import load_scenario
from tests.conftest import ROOT, SMALL_WORLD

MONTHS = 8


def small_spec(**overrides):
    settings = dict(SMALL_WORLD)
    settings.update({"steps": 24, "zones": {"west": {"rect": [0, 0, 12, 24]}}})
    settings.update(overrides)
    return load_scenario(None, settings)


def plain_run(spec, months: int, seed: int = 1) -> list[dict[str, float]]:
    model = CriminalMarketModel(spec, seed=seed)
    for _ in range(months):
        model.step()
    return model.records


def run(session: TrainingSession, months: int) -> None:
    for _ in range(months):
        session.step()


# ------------------------------------------------------------------------------- the session
def test_live_and_ghost_coincide_until_a_change_acts():
    session = TrainingSession(spec=small_spec(**{"strategy.pursue.interdiction": {"start": 2}}))
    run(session, MONTHS)
    assert session.live.records == session.ghost.records
    assert not session.changed


def test_a_lever_switched_on_mid_run_acts_from_the_next_month_like_a_scheduled_start():
    session = TrainingSession(spec=small_spec())
    run(session, 3)
    session.set_lever("pursue", "interdiction", on=True)
    assert session.live.spec.strategy.pursue.interdiction is None  # pending until the next month
    run(session, MONTHS - 3)
    scheduled = small_spec(**{"strategy.pursue.interdiction": {"start": 4}})
    assert session.live.records == plain_run(scheduled, MONTHS)
    assert session.ghost.records == plain_run(small_spec(), MONTHS)
    assert session.live.records[2] == session.ghost.records[2]
    assert session.live.records[-1]["seizures_volume"] != session.ghost.records[-1]["seizures_volume"]
    assert [(c.month, c.text) for c in session.changes] == [(4, "PURSUE interdiction: on")]


def test_a_lever_switched_off_stops_after_the_current_month():
    spec = small_spec(**{"strategy.pursue.hotspot_policing": {"target": {"zone": "west"}}})
    session = TrainingSession(spec=spec)
    run(session, 3)
    session.set_lever("pursue", "hotspot_policing", on=False)
    run(session, MONTHS - 3)
    lever = session.live.spec.strategy.pursue.hotspot_policing
    assert (lever.start, lever.end) == (0, 4)
    ended = small_spec(**{"strategy.pursue.hotspot_policing": {"target": {"zone": "west"}, "end": 4}})
    assert session.live.records == plain_run(ended, MONTHS)
    assert session.ghost.records == plain_run(spec, MONTHS)
    assert session.lever("pursue", "hotspot_policing").status == "ended month 4"


def test_scheduled_levers_can_be_brought_forward_or_cancelled():
    spec = small_spec(
        **{
            "strategy.pursue.interdiction": {"start": 12},
            "strategy.prevent.ways_out": {"start": 12, "end": 20},
        }
    )
    session = TrainingSession(spec=spec)
    run(session, 2)
    assert session.lever("pursue", "interdiction").status == "from month 12"
    assert session.lever("prevent", "ways_out").status == "from month 12, until month 19"
    session.set_lever("pursue", "interdiction", on=True)
    session.set_lever("prevent", "ways_out", on=False)
    assert session.strategy.pursue.interdiction.start == 3
    assert session.strategy.prevent.ways_out is None
    assert session.lever("prevent", "ways_out").on is False
    assert [c.text for c in session.changes] == ["PURSUE interdiction: on now", "PREVENT ways_out: off"]


def test_intensity_and_target_changes_keep_the_lever_window():
    spec = small_spec(**{"strategy.protect.awareness": {"start": 1, "end": 20, "intensity": 0.5}})
    session = TrainingSession(spec=spec)
    run(session, 3)
    session.set_lever("protect", "awareness", intensity=0.8, target="zone:west")
    lever = session.strategy.protect.awareness
    assert (lever.start, lever.end, lever.intensity, lever.target.zone) == (1, 20, 0.8, "west")
    assert session.lever("protect", "awareness").target == "zone:west"
    assert session.changes[-1].text == "PROTECT awareness: intensity 0.8, target zone west"
    session.set_lever("protect", "awareness", intensity=0.8)  # no change, nothing logged
    assert len(session.changes) == 1


def test_enforcement_style_changes_wait_for_the_next_month_and_spare_the_ghost():
    session = TrainingSession(spec=small_spec())
    run(session, 2)
    session.set_enforcement_style("heavy_handed")
    assert session.live.spec.strategy.enforcement_style == "rights_compliant"
    session.step()
    assert session.live.spec.strategy.enforcement_style == "heavy_handed"
    assert session.ghost.spec.strategy.enforcement_style == "rights_compliant"
    assert session.changes[-1].month == 3


def test_the_ghost_can_be_the_scenario_without_its_strategy():
    spec = small_spec(**{"strategy.pursue.interdiction": {}})
    session = TrainingSession(spec=spec, compare="no_strategy")
    run(session, 3)
    assert session.ghost.spec.strategy.levers() == []
    assert session.live.records != session.ghost.records
    assert session.ghost.records == plain_run(small_spec(), 3)


def test_bad_changes_are_refused_with_the_allowed_values():
    session = TrainingSession(spec=small_spec())
    with pytest.raises(ValueError, match="unknown lever"):
        session.set_lever("pursue", "carpet_bombing", on=True)
    with pytest.raises(ValueError, match="belongs to prevent"):
        session.set_lever("pursue", "ways_out", on=True)
    with pytest.raises(ValueError, match="enforcement style"):
        session.set_enforcement_style("ruthless")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown zone"):
        session.set_lever("pursue", "interdiction", on=True, target="zone:nowhere")
    assert session.targets() == ["all", "jurisdiction:Westland", "jurisdiction:Eastland", "zone:west"]
    with pytest.raises(ValueError, match="compare"):
        TrainingSession(spec=small_spec(), compare="yesterday")  # type: ignore[arg-type]


def test_the_session_stops_at_the_scenario_length():
    session = TrainingSession(spec=small_spec(steps=3))
    run(session, 3)
    assert session.month == 3 and session.running is False


def test_scenarios_are_found_by_name_or_path():
    folder = ROOT / "scenarios"
    assert find_scenario("balloon_effect", folder) == folder / "balloon_effect.yaml"
    assert find_scenario(str(folder / "baseline.yaml")) == folder / "baseline.yaml"
    with pytest.raises(ValueError, match="available: balloon_effect"):
        find_scenario("no_such_demo", folder)


def test_charts_start_with_what_the_scenario_says_to_watch():
    available = {"violence", "ocg_revenue", "ocg_members", "new_victims", "arrests", "illicit_price"}
    text = "WHAT IT SHOWS: arrests everywhere. WHAT TO WATCH: illicit_price climbs; violence too."
    assert charts_named_in(text, available) == ["illicit_price", "violence", "ocg_revenue", "ocg_members"]
    balloon = TrainingSession("balloon_effect", scenarios_dir=str(ROOT / "scenarios"))
    assert balloon.default_charts()[:2] == ["activity_target", "activity_buffer"]


# ------------------------------------------------------------------------------- the pictures
def test_the_difference_map_is_blank_until_a_change_acts_then_shows_where():
    session = TrainingSession(spec=small_spec())
    run(session, 3)
    assert not np.any(session.layer("activity") - session.layer("activity", "comparison"))
    session.set_lever("pursue", "hotspot_policing", on=True, target="zone:west")
    run(session, 4)
    assert np.any(session.layer("enforcement") != session.layer("enforcement", "comparison"))
    assert session.lever_area() is not None and session.lever_area()[:12].all()
    for layer in ("activity", "control", "violence"):
        for view in figures.VIEWS:
            fig = figures.map_figure(session, layer, view)
            assert f"month {session.month}" in fig.axes[0].get_title()


def test_charts_draw_live_and_ghost_lines_and_mark_each_change():
    session = TrainingSession(spec=small_spec())
    run(session, 2)
    session.set_lever("pursue", "interdiction", on=True)
    run(session, 3)
    fig = figures.charts_figure(session, ["illicit_price", "seizures_value", "violence"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    lines = visible[1].get_lines()
    assert [line.get_label() for line in lines[:2]] == ["comparison", "live"]
    assert len(lines[1].get_xdata()) == 5
    assert any(list(line.get_xdata()) == [2.5, 2.5] for line in lines[2:])  # month 3 acts


# ------------------------------------------------------------------- offline front-end files
def test_the_front_end_files_come_from_the_packages_solaras_page_names():
    names = {a.name for a in assets.required()}
    assert {"requirejs", "font-awesome"} <= names
    assert any(n.startswith("@widgetti/solara-vuetify") for n in names)


def _fake_npm(tmp_path: Path, asset: assets.NpmAsset) -> Path:
    """An ``npm`` that packs a tarball holding the asset's files (plain names for .min files)."""
    payload = tmp_path / "payload.tgz"
    with tarfile.open(payload, "w:gz") as archive:
        files = {"package/package.json": b"{}"}
        for path in asset.files:
            fixed = path.replace("{{ipywidget_major_version}}", "8").replace(".min.", ".")
            files[f"package/{fixed}"] = b"// code"
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(
        textwrap.dedent(f"""\
            #!/bin/sh
            # npm pack SPEC --silent --pack-destination DIR
            cp {payload} "$5/pack.tgz" && echo pack.tgz
        """)
    )
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def test_prepare_unpacks_npm_packages_where_solaras_proxy_looks(tmp_path, monkeypatch):
    asset = assets.NpmAsset("requirejs", "2.3.6", ("require.js", "require.min.js"))
    monkeypatch.setattr(assets, "required", lambda: [asset])
    monkeypatch.setenv("PATH", f"{_fake_npm(tmp_path, asset)}{os.pathsep}{os.environ['PATH']}")
    cache = tmp_path / "cdn"
    assert assets.missing(cache) == [asset]
    assert assets.prepare(cache, log=lambda _: None) == [asset]
    assert (cache / "requirejs@2.3.6" / "require.min.js").read_bytes() == b"// code"
    assert assets.missing(cache) == []
    assert assets.prepare(cache) == []  # nothing left to fetch


def test_prepare_without_npm_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "required", lambda: [assets.NpmAsset("requirejs", "2.3.6", ("require.js",))])
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(assets.AssetsError, match="apt-get install npm"):
        assets.prepare(tmp_path / "cdn")
