"""The trainers' dashboard: the paired live/ghost session, its change rules, saving and replaying a
session, bands over several seeds, its pictures and words, its offline front-end files, the
command, and the page itself driven in a real headless browser."""

from __future__ import annotations

import concurrent.futures
import io
import json
import multiprocessing
import os
import shutil
import stat
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.core.model import CriminalMarketModel
from simulation.dashboard import assets, bands, charts, export, figures, server, texts
from simulation.dashboard.session import (
    CORE_CHARTS,
    ChangeRefused,
    TrainingSession,
    charts_named_in,
    find_scenario,
    model_seed,
)
from simulation.runner import run_scenario
from simulation.scenario import load_scenario
from tests.conftest import ROOT, SMALL_WORLD

MONTHS = 8
SEED = 1


def small_spec(**overrides):
    settings = dict(SMALL_WORLD)
    settings.update({"steps": 24, "zones": {"west": {"rect": [0, 0, 12, 24]}}})
    settings.update(overrides)
    return load_scenario(None, settings)


def plain_run(spec, months: int, seed: int = SEED) -> list[dict[str, float]]:
    """The run ``ocsim run --seed SEED`` makes of ``spec`` (its first replication), ``months`` long."""
    model = CriminalMarketModel(spec, seed=model_seed(seed))
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
    assert not session.changed and session.parted() is None


def test_the_seed_is_a_root_seed_as_ocsim_run_takes_it():
    session = TrainingSession(spec=small_spec(), seed=7)
    run(session, 3)
    stored = run_scenario(small_spec(), seed=model_seed(7), steps=3).metrics
    assert session.live.records == stored.to_dict("records")
    from simulation.core.seeds import replication_seeds

    assert session.model_seed == replication_seeds(7, 5)[0]  # ocsim run --seed 7, replication 0


def test_a_lever_switched_on_mid_run_acts_from_the_next_month_like_a_scheduled_start():
    session = TrainingSession(spec=small_spec())
    run(session, 3)
    session.set_lever("pursue", "interdiction", on=True)
    assert session.lever("pursue", "interdiction").status == "on from month 4"
    run(session, MONTHS - 3)
    scheduled = small_spec(**{"strategy.pursue.interdiction": {"start": 4}})
    assert session.live.records == plain_run(scheduled, MONTHS)
    assert session.ghost.records == plain_run(small_spec(), MONTHS)
    assert session.live.records[2] == session.ghost.records[2]
    assert session.live.records[-1]["seizures_volume"] != session.ghost.records[-1]["seizures_volume"]
    assert [(c.month, c.text) for c in session.changes] == [(4, "PURSUE interdiction: on")]
    assert session.parted() == 4
    assert session.spec.strategy.pursue.interdiction.start == 4  # the change is a lever window


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
    view = session.lever("pursue", "hotspot_policing")
    assert view.status == "acted months 1–3" and not view.can_switch
    with pytest.raises(ChangeRefused, match="one window"):  # a second window: no file could hold it
        session.set_lever("pursue", "hotspot_policing", on=True)
    assert [w.text for w in session.windows()] == ["PURSUE hotspot_policing: months 1–3 (zone west)"]


def test_a_lever_switched_off_by_mistake_can_go_on_in_the_same_month():
    session = TrainingSession(spec=small_spec(**{"strategy.pursue.interdiction": {}}))
    run(session, 3)
    session.set_lever("pursue", "interdiction", on=False)
    session.set_lever("pursue", "interdiction", on=True)
    assert session.strategy.pursue.interdiction.end is None
    assert session.lever("pursue", "interdiction").status == "on since month 1"
    run(session, 2)
    assert session.live.records == session.ghost.records


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


def test_intensity_and_target_are_set_before_a_lever_acts_and_fixed_after():
    spec = small_spec(**{"strategy.protect.awareness": {"start": 5, "end": 20, "intensity": 0.5}})
    session = TrainingSession(spec=spec)
    run(session, 3)
    assert session.lever("protect", "awareness").can_tune
    session.set_lever("protect", "awareness", intensity=0.8, target="zone:west")
    lever = session.strategy.protect.awareness
    assert (lever.start, lever.end, lever.intensity, lever.target.zone) == (5, 20, 0.8, "west")
    assert session.lever("protect", "awareness").target == "zone:west"
    assert session.changes[-1].text == "PROTECT awareness: intensity 0.8, target zone west"
    session.set_lever("protect", "awareness", intensity=0.8)  # no change, nothing logged
    assert len(session.changes) == 1
    for value in (0.6, 0.4, 0.3):  # a slider dragged within one month: one entry, the last value
        session.set_lever("protect", "awareness", intensity=value)
    assert [c.text for c in session.changes[1:]] == ["PROTECT awareness: intensity 0.3"]
    run(session, 3)  # it acts from month 5
    view = session.lever("protect", "awareness")
    assert view.status == "on since month 5, until month 19" and not view.can_tune
    with pytest.raises(ChangeRefused, match="fixed once a lever acts"):
        session.set_lever("protect", "awareness", intensity=1.0)
    assert session.strategy.protect.awareness.intensity == 0.3


def test_style_and_budget_hold_for_the_whole_run_and_are_set_before_it_starts():
    session = TrainingSession(spec=small_spec(**{"strategy.pursue.broad_arrests": {}}))
    session.set_enforcement_style("heavy_handed")
    session.set_budget(40)
    run(session, 4)
    assert session.live.spec.strategy.enforcement_style == "heavy_handed"
    assert session.ghost.spec.strategy.enforcement_style == "rights_compliant"
    assert [(c.month, c.text) for c in session.changes] == [
        (1, "enforcement heavy-handed"),
        (1, "budget 40 k/month"),
    ]
    assert session.spent() == pytest.approx(40)  # the budget scales the lever down
    written = small_spec(
        **{
            "strategy.pursue.broad_arrests": {},
            "strategy.enforcement_style": "heavy_handed",
            "strategy.budget": 40,
        }
    )
    assert session.live.records == plain_run(written, 4)
    with pytest.raises(ChangeRefused, match="whole run"):
        session.set_enforcement_style("rights_compliant")
    with pytest.raises(ChangeRefused, match="whole run"):
        session.set_budget(None)
    with pytest.raises(ValueError, match="positive"):
        session.set_budget(-3)


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
    run(session, 5)
    assert session.month == 3 and session.running is False and session.finished
    with pytest.raises(ChangeRefused, match="the run has ended"):
        session.set_lever("pursue", "interdiction", on=True)
    assert not session.lever("pursue", "interdiction").can_switch


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


def test_the_menu_offers_only_scenarios_that_load(tmp_path):
    from simulation.dashboard.app import usable_scenarios

    (tmp_path / "good.yaml").write_text("name: good\nsteps: 3\n")
    (tmp_path / "bad.yaml").write_text("name: bad\nsteps: -3\n")
    assert usable_scenarios(tmp_path) == (["good"], ["bad"])


# --------------------------------------------------------------------- saving and replaying
def a_session_with_changes() -> TrainingSession:
    """Budget set before month 1, two levers switched on at months 5 and 11 (one set to a zone at
    half intensity before it acts), both switched off at month 16, a scheduled lever cancelled."""
    spec = small_spec(
        **{
            "strategy.pursue.hotspot_policing": {"target": {"zone": "west"}},
            "strategy.prevent.recruitment_drivers": {"start": 20},
        }
    )
    session = TrainingSession(spec=spec, seed=3)
    session.set_budget(900)
    run(session, 4)
    session.set_lever("pursue", "interdiction", on=True)
    run(session, 6)
    session.set_lever("prevent", "ways_out", on=True)
    session.set_lever("prevent", "ways_out", intensity=0.5, target="zone:west")
    run(session, 5)
    session.set_lever("pursue", "interdiction", on=False)
    session.set_lever("pursue", "hotspot_policing", on=False)
    session.set_lever("prevent", "recruitment_drivers", on=False)
    run(session, session.last_month - session.month)
    return session


def test_an_exported_session_replays_the_live_run_exactly(tmp_path):
    session = a_session_with_changes()
    assert [c.month for c in session.changes] == [1, 5, 11, 11, 16, 16, 16]
    text = export.session_yaml(session)
    path = tmp_path / export.file_name(session, "yaml")
    path.write_text(text, encoding="utf-8")
    assert "# seed: 3" in text and "#   month 5: PURSUE interdiction: on" in text
    assert f"ocsim run {path.name} --seed 3" in text

    spec, seed = export.read_session_file(path)
    assert seed == 3 and spec == session.spec
    live = pd.DataFrame.from_records(session.live.records, index=pd.RangeIndex(1, 25, name="step"))
    replay = run_scenario(spec, seed=model_seed(seed)).metrics  # the path `ocsim run` takes
    pd.testing.assert_frame_equal(replay, live[replay.columns], check_exact=True)
    assert session.live.records != session.ghost.records  # the changes did something

    url = f"sqlite:///{tmp_path / 'replay.sqlite'}"  # and `ocsim run` itself, stored and read back
    result = CliRunner().invoke(app, ["run", str(path), "--seed", "3", "--db", url, "--quiet"])
    assert result.exit_code == 0, result.output
    from simulation.storage import ResultsStore

    with ResultsStore(url) as store:
        stored = store.load_metrics().set_index("step")
    assert stored["seed"].unique().tolist() == [session.model_seed]
    columns = [c for c in replay.columns if c in stored.columns]
    assert len(columns) >= 30
    pd.testing.assert_frame_equal(stored[columns], live[columns], check_exact=True, check_dtype=False)


def test_a_saved_session_opens_in_the_dashboard_command_with_its_seed(tmp_path, monkeypatch):
    session = a_session_with_changes()
    path = tmp_path / "saved.yaml"
    path.write_text(export.session_yaml(session), encoding="utf-8")
    started = fake_server(monkeypatch)
    result = CliRunner().invoke(app, ["dashboard", str(path), "--scenarios", str(ROOT / "scenarios")])
    assert result.exit_code == 0, result.output
    assert started == [(str(path), 3)]
    result = CliRunner().invoke(app, ["dashboard", str(path), "--seed", "5", "--scenarios", str(tmp_path)])
    assert result.exit_code == 0 and started[-1] == (str(path), 5)


def test_what_the_page_loads_is_checked_like_any_scenario_file():
    with pytest.raises(export.ScenarioError, match="steps"):
        export.read_session("steps: -3\n", "bad.yaml")
    with pytest.raises(export.ScenarioError, match="not valid YAML"):
        export.read_session("a: [\n", "broken.yaml")
    with pytest.raises(export.ScenarioError, match="bytes"):
        export.read_session("#" * (export.MAX_LOAD_BYTES + 1), "huge.yaml")
    spec, seed = export.read_session("name: plain\nsteps: 5\n", "plain.yaml")
    assert spec.name == "plain" and seed is None


def test_charts_data_and_picture_are_exported():
    session = TrainingSession(spec=small_spec())
    run(session, 2)
    session.set_lever("pursue", "interdiction", on=True)
    run(session, 3)
    csv = pd.read_csv(io.StringIO(export.charts_csv(session, ["seizures_value", "violence"])))
    assert csv.columns.tolist() == ["indicator", "unit", "month", "live", "ghost", "gap"]
    seizures = csv[csv.indicator == "seizures_value"]
    assert seizures.month.tolist() == [1, 2, 3, 4, 5] and (seizures.unit == "k/month").all()
    assert seizures.live.tolist() == [r["seizures_value"] for r in session.live.records]
    assert (seizures.gap == seizures.live - seizures.ghost).all()
    png = export.picture_png(session, "activity", "difference", ["seizures_value", "violence"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


# ----------------------------------------------------------------------- bands over seeds
@pytest.fixture(scope="module")
def band_pool():
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def test_a_band_runs_the_live_and_ghost_scenarios_over_spawned_seeds(band_pool):
    session = TrainingSession(spec=small_spec(steps=12), seed=4)
    run(session, 3)
    session.set_lever("pursue", "interdiction", on=True)
    band = bands.Band(3, executor=band_pool)
    band.update(session)
    assert band.describe().startswith("band: computing 3 seeds (")
    concurrent.futures.wait(band.futures(), timeout=120)
    assert band.ready and band.describe() == "band: 3 seeds, 10th–90th percentile"
    run(session, session.last_month - session.month)
    first = band.live.values["seizures_value"][0]  # replication 0 is the run on the screen
    assert first.tolist() == [r["seizures_value"] for r in session.live.records]
    assert band.ghost.values["violence"][0].tolist() == [r["violence"] for r in session.ghost.records]
    low, high = band.quantiles("violence", 6)["live"]
    values = band.live.values["violence"][:, :6]
    assert len(low) == 6 and np.all(low >= values.min(axis=0)) and np.all(high <= values.max(axis=0))
    assert np.all(low <= high)

    spec = charts.indicator_chart(session, "violence", band=band)
    assert spec["layer"][1]["mark"]["type"] == "area"  # under the lines, after the shaded windows
    json.dumps(spec)
    live_runs, ghost_runs = band.live, band.ghost
    band.update(session)  # nothing changed: nothing recomputed
    assert band.live is live_runs and band.ghost is ghost_runs and band.ready
    other = TrainingSession(spec=small_spec(steps=12), seed=4)
    other.set_lever("protect", "awareness", on=True)
    band.update(other)  # another live strategy: the live band again, the ghost's kept
    assert band.live is not live_runs and band.ghost is ghost_runs
    band.cancel()


def test_band_workers_end_when_the_server_that_started_them_is_gone(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import os, sys\n"
        "from simulation.dashboard import bands\n"
        "print(bands.pool().submit(os.getpid).result(timeout=120), flush=True)\n"
        "sys.stdin.read()\n"  # the server goes on until it is killed
    )
    server_like = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), bands.WORKERS_ENV: "1"},
    )
    worker = int(server_like.stdout.readline())
    os.kill(worker, 0)  # alive while the server is
    server_like.send_signal(signal.SIGKILL)
    server_like.wait(30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
            if "zombie" in Path(f"/proc/{worker}/status").read_text():
                return  # ended; waiting for whoever adopted it to collect it
        except (ProcessLookupError, FileNotFoundError):
            return
        time.sleep(0.2)
    pytest.fail(f"band worker {worker} outlived the server that started it")


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
            picture = figures.map_picture(session, layer, view)
            assert picture.title.endswith(f"{figures.VIEWS[view]}, month {session.month}")
    difference = figures.map_picture(session, "enforcement", "difference").pixels.astype(int)
    redder = difference[:, :, 0] - difference[:, :, 2]  # red: more police effort in the live run
    east = difference.shape[1] - figures.SCALE_WIDTH
    # every cell is coloured by the sign of its change: red more police effort, blue less; police
    # elsewhere follow the market, so the crackdown's zone need not hold the largest change
    change = session.layer("enforcement") - session.layer("enforcement", "comparison")
    clear = np.abs(change) > 0.1 * np.abs(change).max()
    assert (clear[:12] & (change[:12] > 0)).any(), "the crackdown's zone has more police effort"
    centre = redder[figures.CELL // 2 :: figures.CELL, figures.CELL // 2 : east : figures.CELL]
    by_cell = centre[::-1].T  # the picture is [y, x] with north up
    assert (np.sign(by_cell[clear]) == np.sign(change[clear])).all()


def test_the_map_says_what_is_under_the_mouse():
    session = TrainingSession(spec=small_spec())
    run(session, 3)
    picture = figures.map_picture(session, "activity", "live")
    labels, index = figures.hover_labels(picture)
    assert picture.cells == (24, 24) and len(index) == 24 * 24
    activity = session.layer("activity")
    x, y = np.unravel_index(np.argmax(activity), activity.shape)
    row, column = 23 - y, x  # the picture's rows run from the north
    assert labels[index[row * 24 + column]] == f"{texts.level(activity[x, y])} units"
    groups, index = figures.hover_labels(figures.map_picture(session, "control", "live"))
    control = session.layer("control")
    assert groups[index[(23 - 5) * 24 + 7]] == (
        "no group" if control[7, 5] < 0 else f"group {int(control[7, 5])}"
    )
    changed, _ = figures.hover_labels(figures.map_picture(session, "violence", "difference"))
    assert changed == ["0 incidents (live − comparison)"]  # nothing changed yet


def test_charts_draw_live_and_ghost_lines_and_mark_each_change_and_window():
    session = TrainingSession(spec=small_spec(**{"strategy.protect.awareness": {"start": 10, "end": 15}}))
    run(session, 2)
    session.set_lever("pursue", "interdiction", on=True)
    run(session, 3)
    spec = charts.charts_spec(session, ["illicit_price", "seizures_value", "violence"], available=560)
    assert [c["title"]["text"] for c in spec["concat"]] == [
        "illicit_price (k/unit)",
        "seizures_value (k/month)",
        "violence (incidents/month)",
    ]
    assert spec["columns"] == 2
    windows, lines, changes = spec["concat"][1]["layer"]
    assert windows["data"]["values"] == [
        {"from": 2.5, "to": 24.5, "levers": "interdiction"},
        {"from": 9.5, "to": 14.5, "levers": "awareness"},
    ]
    assert lines["data"]["values"] == charts.as_csv(charts.chart_data(session, "seizures_value"))
    x = lines["encoding"]["x"]
    assert x["scale"] == {"domain": [0, 24], "nice": False, "zero": False}  # the run's length, no more
    assert x["axis"]["values"] == [0, 6, 12, 18, 24]
    rows = charts.chart_data(session, "seizures_value")
    live = [r["value"] for r in rows if r["run"] == charts.LIVE]
    ghost = [r["value"] for r in rows if r["run"] == charts.GHOST]
    assert len(live) == len(ghost) == 5
    assert live[:2] == ghost[:2] and live[-1] > ghost[-1]  # interdiction seizes from month 3 on
    assert changes["data"]["values"] == [{"month": 2.5}]  # the change acts from month 3
    assert charts.layout(1200, 8) == (3, 346) and charts.layout(480, 8)[0] == 2
    assert charts.month_ticks(72) == [0, 12, 24, 36, 48, 60, 72]
    json.dumps(spec)  # plain data, ready to send to the page


def test_charts_always_offer_the_core_outcomes_after_what_to_watch():
    balloon = TrainingSession("balloon_effect", scenarios_dir=str(ROOT / "scenarios"))
    shown = balloon.default_charts()
    assert shown[:2] == ["activity_target", "activity_buffer"]
    assert set(CORE_CHARTS) <= set(shown) and len(shown) == len(set(shown))
    assert CORE_CHARTS == ("violence", "ocg_revenue", "ocg_members", "illicit_price", "new_victims")


def test_map_layers_territories_border_and_zones():
    session = TrainingSession(spec=small_spec())
    run(session, 2)
    assert list(figures.MAP_LAYERS)[:5] == ["control", "activity", "violence", "enforcement", "victimisation"]
    picture = figures.map_picture(session, "control")
    assert picture.scale is None and picture.zones == ("west",)
    control = session.layer("control")
    rows, columns = control.shape[1] * figures.CELL, control.shape[0] * figures.CELL
    assert picture.pixels.shape == (rows, columns, 4)  # territories: no colour scale
    centres = picture.pixels[
        rows - (np.arange(control.shape[1]) * figures.CELL + figures.CELL // 2)[None, :] - 1,
        (np.arange(control.shape[0]) * figures.CELL + figures.CELL // 2)[:, None],
    ]  # [x, y] -> the colour at each cell's centre
    centres, control = centres[:, :-2], control[:, :-2]  # the top two rows carry the zone's name
    groups = sorted(set(np.unique(control)) - {-1})
    colour_of = {g: {tuple(c) for c in centres[control == g]} for g in [-1, *groups]}
    assert len(groups) > 1 and all(len(c) == 1 for c in colour_of.values())  # one colour per group
    assert len({next(iter(c)) for c in colour_of.values()}) == len(groups) + 1  # all distinct
    border = np.array(figures._rgba(figures.to_rgba(figures.BORDER_COLOUR)))
    zone = np.array(figures._rgba(figures.to_rgba(figures.ZONE_COLOUR)))
    jurisdiction = session.layer("jurisdiction")
    black = (picture.pixels == border).all(axis=2)
    border_cells = len(figures.edges(jurisdiction >= 1))
    assert black.sum() >= border_cells * figures.CELL * 2  # 3 px wide, less where a zone crosses it
    vertical = [
        (a[0], a[1] + 0.5) for a, b in figures.edges(jurisdiction >= 1) if a[0] == b[0] and a[0] != 11.5
    ]
    for x, y in vertical:  # between cells x - 0.5 and x + 0.5 of row y (away from the zone's edge)
        assert black[rows - round(y) * figures.CELL - figures.CELL // 2 - 1, round((x + 0.5) * figures.CELL)]
    assert (picture.pixels[rows // 2 + 4, 12 * figures.CELL] == zone).all()  # west ends at x = 12
    assert picture.png().startswith(b"\x89PNG")
    activity = figures.map_picture(session, "activity")
    assert activity.scale == (0.0, float(session.layer("activity").max()))
    assert activity.pixels.shape[1] == columns + figures.SCALE_WIDTH
    with pytest.raises(ValueError, match="unknown map layer"):
        figures.map_picture(session, "weather")


def test_edges_are_the_cell_sides_between_inside_and_outside():
    mask = np.zeros((4, 4), dtype=bool)
    mask[1:3, 1:3] = True
    segments = figures.edges(mask)
    assert len(segments) == 8  # a 2x2 block has 8 unit sides
    assert {tuple(map(tuple, s)) for s in segments} >= {((0.5, 0.5), (0.5, 1.5)), ((0.5, 2.5), (1.5, 2.5))}
    assert len(figures.edges(np.ones((4, 4), dtype=bool))) == 0


# --------------------------------------------------------------------------------- the words
def test_lever_texts_are_the_rows_of_docs_levers_md():
    from simulation.core.levers import LEVERS

    rows = texts.lever_texts()
    assert set(rows) == {lever.name for lever in LEVERS}
    assert rows["victim_rescue"].effect == "identification × 4"
    assert rows["recruitment_drivers"].effect == "grievance_relief + 0.5"
    document = (ROOT / "docs" / "levers.md").read_text(encoding="utf-8")
    for text in rows.values():
        row = f"| `{text.name}` | {text.objective} | {text.decision} (`{text.modifier}`) | {text.change} |"
        assert row in document


def test_numbers_are_written_by_their_unit():
    assert texts.level(1234.0, "persons") == "1,234" and texts.level(56.0, "persons/month") == "56"
    assert texts.level(0.0, "k/month") == "0" and texts.level(11.4321, "k/unit") == "11.43"
    assert texts.level(0.126, "share") == "12.6%" and texts.level(0.41234, "index 0-1") == "0.412"
    assert texts.gap(0.0, "persons") == "0" and texts.gap(0.4615, "k/unit") == "+0.462"
    assert texts.gap(-36.85, "incidents/month") == "\u221236.9" and texts.gap(0.02, "share") == "+2 pp"
    assert texts.gap(float("nan")) == "—"


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


# --------------------------------------------------------------------------------- the command
def fake_server(monkeypatch) -> list[tuple[str | None, int]]:
    """Stand-ins for the server process: ``ocsim dashboard`` returns at once; the scenario and
    seed it would have served are recorded."""
    started: list[tuple[str | None, int]] = []

    class Finished:
        pid, returncode = 0, 0

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    def start(folder, scenario=None, seed=1, port=8765, open_browser=False, host="127.0.0.1", **_):
        started.append((scenario, seed))
        return Finished()

    monkeypatch.setattr(server, "start", start)
    monkeypatch.setattr(server, "wait_until_up", lambda *a, **k: None)
    monkeypatch.setattr(assets, "prepare", lambda *a, **k: [])
    return started


def test_dashboard_command_rejects_unknown_scenarios_and_folders(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["dashboard", "no_such_demo", "--scenarios", str(ROOT / "scenarios")])
    assert result.exit_code == 2 and "no scenario 'no_such_demo'" in result.output
    result = runner.invoke(app, ["dashboard", "--scenarios", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such folder" in result.output
    result = runner.invoke(app, ["dashboard", "--scenarios", str(tmp_path)])
    assert result.exit_code == 2 and "no scenario files" in result.output


def test_the_dashboard_starts_from_a_posterior_draw(tmp_path, monkeypatch):
    from simulation.calibration.verdicts import draw_parameters
    from simulation.storage import ResultsStore
    from simulation.storage.ensembles import save_ensemble

    url = f"sqlite:///{tmp_path / 'fit.sqlite'}"
    header = {
        "method": "abc-smc (pyabc)",
        "spec": {},
        "spec_hash": "h",
        "parameters": [
            {"path": "behaviour.market.markup", "prior": {}, "integer": False},
            {"path": "world.ocgs.count", "prior": {}, "integer": True},
        ],
        "status": "finished",
        "generations": 2,
        "particles": 3,
        "final_epsilon": 1.0,
        "simulations": 12,
        "seed": 1,
    }
    posterior = pd.DataFrame(
        {"behaviour.market.markup": [1.5, 2.0, 2.5], "world.ocgs.count": [3, 5, 7], "weight": [0.2, 0.3, 0.5]}
    )
    with ResultsStore(url) as store:
        save_ensemble(store, "fit", header=header, particles=posterior.assign(distance=1.0))
    started = fake_server(monkeypatch)
    scenario = ROOT / "scenarios" / "baseline_30x30.yaml"
    runner = CliRunner()
    for draw in (0, 2):
        result = runner.invoke(
            app,
            [
                "dashboard",
                str(scenario),
                "--ensemble",
                "fit",
                "--draw",
                str(draw),
                "--db",
                url,
                "--seed",
                "4",
            ],
        )
        assert result.exit_code == 0, result.output
        served, seed = started[-1]
        spec = load_scenario(served)
        expected = draw_parameters(posterior, draw + 1, 4).iloc[draw]  # as `ocsim test --seed 4` draws
        assert seed == 4
        assert spec.behaviour.market.markup == expected["behaviour.market.markup"]
        assert spec.world.ocgs.count == expected["world.ocgs.count"]
        values = {k: int(v) if isinstance(v, int | np.integer) else float(v) for k, v in expected.items()}
        as_set = load_scenario(scenario, values)  # as --set would set them
        assert spec.model_dump(exclude={"description"}) == as_set.model_dump(exclude={"description"})
        assert f"posterior draw {draw} of ensemble fit" in spec.description
    clash = runner.invoke(
        app, ["dashboard", str(scenario), "--ensemble", "fit", "--db", url, "--set", "world.ocgs.count=4"]
    )
    assert clash.exit_code == 2 and "cannot also be set" in clash.output
    missing = runner.invoke(app, ["dashboard", str(scenario), "--ensemble", "nope", "--db", url])
    assert missing.exit_code == 2 and "no ensemble named 'nope'" in missing.output


def test_the_page_lays_out_its_panels_without_mesas_leftovers(tmp_path):
    import ipyvuetify as v
    import solara

    from simulation.dashboard import app as page

    (tmp_path / "demo.yaml").write_text("name: demo\nsteps: 24\n")
    session = TrainingSession(spec=small_spec(**{"strategy.pursue.interdiction": {"start": 10}}))
    _, rc = solara.render(page.Dashboard(session, tmp_path, "demo", 1), handle_error=False)
    try:
        texts_shown = [
            w.children[0] for w in rc.find(v.Html).widgets if w.children and isinstance(w.children[0], str)
        ]
        assert not [t for t in texts_shown if "Page 0" in t or "Use Threads" in t or t.startswith("Time:")]
        rc.find(v.Html, children=["Month 0 of 24"]).assert_single()
        rc.find(v.Html, children=["ready"]).assert_single()
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert session.month == 1
        rc.find(v.Html, children=["Month 1 of 24"]).assert_single()
        rc.find(v.Html, children=["seed: 1"]).assert_single()  # sliders show their value
        headers = [w.children[0] for w in rc.find(v.ExpansionPanelHeader).widgets]
        assert [h.split(" ")[0] for h in headers] == ["PREVENT", "PURSUE", "PROTECT", "PROMOTE"]
        assert not rc.find(v.Switch, class_="ocsim-lever-name")  # levers are drawn only in an open group
        windows = [w.children[0] for w in rc.find(v.Html, class_="ocsim-window ocsim-note").widgets]
        assert windows == ["PURSUE interdiction: months 10–24 · scenario"]
    finally:
        rc.close()


def test_the_page_is_served_on_loopback_unless_another_host_is_asked_for(tmp_path):
    command = server.command(8800)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    command = server.command(8800, host="0.0.0.0")
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert server.url(8800) == "http://127.0.0.1:8800/" == server.url(8800, "0.0.0.0")
    assert server.url(8800, "::1") == "http://[::1]:8800/"
    assert server.is_loopback("127.0.0.1") and server.is_loopback("::1") and server.is_loopback("localhost")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("192.0.2.7")
    env = server.environment(tmp_path, None, 1)
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets.cache_dir())
    runner = CliRunner()
    folder = str(ROOT / "scenarios")
    quiet = runner.invoke(app, ["dashboard", "no_such_demo", "--scenarios", folder])
    assert "exposes" not in quiet.output
    loud = runner.invoke(app, ["dashboard", "no_such_demo", "--scenarios", folder, "--host", "0.0.0.0"])
    assert loud.exit_code == 2 and "warning: serving on 0.0.0.0 exposes the dashboard" in loud.output


# ------------------------------------------------------------------ the page, in a real browser
BROWSERS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO = """\
name: {name}
description: >
  WHAT IT SHOWS: a small world for the dashboard test.
  WHAT TO WATCH: seizures_value and illicit_price once interdiction is switched on.
steps: 30
world:
  grid: {{width: 24, height: 24}}
  ocgs: {{count: 4, members: 20}}
  geography: {{urban_centres: 3}}
zones:
  west: {{rect: [0, 0, 12, 24]}}
strategy:
  protect:
    awareness: {{start: 20, target: {{zone: west}}}}
"""
SIZES = ((1280, 720), (1366, 768), (1920, 1080))


def _unavailable(reason: str):
    """Skip on a developer's machine; on CI (which installs all of it) a missing piece fails."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run on CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = os.environ.get("OCSIM_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if found is None:
        _unavailable("no Chromium (Debian: apt-get install chromium; or set OCSIM_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    try:
        assets.prepare(log=lambda _: None)
    except assets.AssetsError as exc:
        _unavailable(f"Solara's front-end files are missing: {exc}")
    return found


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory, chromium):
    folder = tmp_path_factory.mktemp("scenarios")
    for name in ("small_demo", "small_other"):
        (folder / f"{name}.yaml").write_text(DEMO.format(name=name))
    port = server.free_port()
    log_path = folder / "server.log"
    with open(log_path, "w") as log:
        process = server.start(folder, "small_demo", seed=1, port=port, stdout=log, stderr=log)
        try:
            try:
                server.wait_until_up(process, port)
            except (RuntimeError, TimeoutError) as exc:
                pytest.fail(f"{exc}; server output:\n{log_path.read_text()[-3000:]}")
            yield server.url(port)
        finally:
            server.stop(process)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


ARTIFACTS = ROOT / "tests" / "artifacts"


class Watched:
    """A page whose errors and failed requests are collected, saved as a picture if a test fails."""

    def __init__(self, browser, width: int, height: int, name: str) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
        self.name = name
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on(
            "response", lambda r: self.failed.append(f"{r.url} ({r.status})") if r.status >= 400 else None
        )

    def __enter__(self):
        return self.page

    def __exit__(self, kind, error, trace):
        if kind is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-failure.png"), full_page=True)
        self.page.close()
        if kind is None:
            assert not self.errors, f"errors in the page: {self.errors}"
            assert not self.failed, f"requests that failed (offline front-end files missing?): {self.failed}"


def _open(page, url: str, month: str = "Month 0 of 30"):
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator(".ocsim-month")).to_have_text(month, timeout=60_000)  # loaded, not blank
    page.wait_for_function(  # the map picture and the live charts drawn by Vega-Lite in the page
        "() => { const i = document.querySelector('.ocsim-map-image'); "
        "return i && i.complete && i.naturalWidth >= 24 * 9 && "
        "document.querySelectorAll('.ocsim-chart-area svg path').length > 10; }",
        timeout=30_000,
    )


def _gap(page, indicator: str) -> tuple[str, str, str, str]:
    """(live, ghost, gap, mean gap since the lines parted) of one indicator, as the gap table shows it."""
    from playwright.sync_api import expect

    row = page.locator(".ocsim-gaps tr", has_text=f"{indicator} (")
    expect(row).to_have_count(1, timeout=20_000)
    return tuple(row.locator("td").all_inner_texts()[1:5])


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-").removesuffix(" pp").removesuffix("%"))


BOXES = """() => {
  const box = s => { const e = document.querySelector(s); if (!e) return null;
                     const r = e.getBoundingClientRect();
                     return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const panels = {};
  for (const name of ['bar', 'side', 'map', 'charts', 'scenario']) panels[name] = box('.ocsim-' + name);
  const layer = document.querySelector('.ocsim-layer .v-select__selection');
  const svg = box('.ocsim-chart-area svg');
  return {panels, svg, width: window.innerWidth, scroll: document.documentElement.scrollWidth,
          layer: layer ? [layer.innerText, layer.scrollWidth, layer.clientWidth] : null};
}"""


def test_the_page_fits_a_room_s_screens_and_every_control_takes_its_click(dashboard_url, browser):
    from playwright.sync_api import expect

    for width, height in SIZES:
        with Watched(browser, width, height, f"dashboard-{width}") as page:
            _open(page, dashboard_url)
            body = page.locator("body").inner_text()
            assert "Page 0" not in body.title() and "Use Threads" not in body and "Time:" not in body
            found = page.evaluate(BOXES)
            panels = found["panels"]
            assert all(panels.values()), panels
            for name, box in panels.items():
                assert box["right"] <= width + 0.5 and box["left"] >= -0.5, (width, name, box)
            names = list(panels)
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    p, q = panels[a], panels[b]
                    overlap = min(p["right"], q["right"]) - max(p["left"], q["left"]) > 0.5 and (
                        min(p["bottom"], q["bottom"]) - max(p["top"], q["top"]) > 0.5
                    )
                    assert not overlap, (width, a, b, p, q)
            assert found["scroll"] <= width, (width, found["scroll"])  # nothing runs off to the right
            assert found["svg"]["right"] <= panels["charts"]["right"], (width, found["svg"])
            text, scroll, client = found["layer"]
            assert text == "territories (control)" and scroll <= client, (width, found["layer"])

            title = page.locator(".ocsim-map-title")
            for view, words in (("comparison", "comparison run"), ("difference", "live − comparison")):
                page.locator(f".ocsim-view-{view}").click()  # fails if anything covers the button
                expect(title).to_contain_text(words, timeout=20_000)
                expect(page.locator(f".ocsim-view-{view}")).to_have_class(
                    __import__("re").compile("v-btn--active"), timeout=20_000
                )
            page.locator(".ocsim-view-live").click()
            expect(title).to_contain_text("— live run, month 0", timeout=20_000)
            page.locator(".ocsim-layer").click()
            page.locator(".v-menu__content .v-list-item", has_text="activity").first.click()
            expect(title).to_contain_text("illicit activity", timeout=20_000)

            image = page.locator(".ocsim-map-image")
            box = image.bounding_box()
            cell = box["width"] / (24 * 9 + figures.SCALE_WIDTH) * 9  # activity has a colour scale
            page.mouse.move(box["x"] + 3.5 * cell, box["y"] + 2.5 * cell)  # cell x 3, y 21
            expect(page.locator(".ocsim-hover")).to_have_text("x 3, y 21: 0 units", timeout=20_000)
            for button in (".ocsim-step", ".ocsim-reset"):
                assert page.locator(button).is_enabled()
            if width == 1280:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "dashboard-1280.png"))


def test_a_trainer_steps_plays_switches_levers_saves_and_loads(dashboard_url, browser, tmp_path):
    from playwright.sync_api import expect

    with Watched(browser, 1366, 768, "dashboard-trainer") as page:
        _open(page, dashboard_url)
        month = page.locator(".ocsim-month")
        expect(page.locator(".ocsim-scenario")).to_contain_text("WHAT TO WATCH:")
        map_image = page.locator(".ocsim-map-image")
        first_map = map_image.get_attribute("src")
        step = page.locator(".ocsim-step")
        for done in (1, 2):
            step.click()
            expect(month).to_have_text(f"Month {done} of 30", timeout=20_000)
        expect(map_image).not_to_have_attribute("src", first_map, timeout=20_000)  # a new picture
        live, ghost, gap, _ = _gap(page, "seizures_value")
        assert live == ghost and gap == "0"  # nothing changed yet: the live line is the ghost line

        page.get_by_text("PURSUE —").click()
        lever = page.locator(".ocsim-lever-interdiction")
        lever.locator("label", has_text="interdiction").click()
        change = page.locator(".ocsim-change")
        expect(change).to_have_text("month 3: PURSUE interdiction: on", timeout=20_000)
        expect(lever).to_contain_text("on from month 3")
        expect(lever).to_contain_text("interdiction × 3")  # as docs/levers.md says
        expect(lever.locator(".ocsim-intensity")).to_contain_text("intensity: 1")

        page.locator(".ocsim-interval input").evaluate("e => e")  # the speed slider is there
        page.locator(".ocsim-play").click()  # play: the grid runs live
        page.wait_for_function(
            "() => parseInt(document.querySelector('.ocsim-month').innerText.split(' ')[1]) >= 8",
            timeout=60_000,
        )
        expect(page.locator(".ocsim-status")).to_have_text("playing")
        shown = page.evaluate(  # read the month on the screen and click pause in the same instant
            "() => { const m = parseInt(document.querySelector('.ocsim-month').innerText.split(' ')[1]);"
            " document.querySelector('.ocsim-play').click(); return m; }"
        )
        expect(page.locator(".ocsim-play")).to_have_text("▶ Play", timeout=20_000)
        expect(page.locator(".ocsim-status")).to_have_text("paused", timeout=20_000)
        page.wait_for_timeout(1_000)  # nothing still on its way
        stopped = int(month.inner_text().split()[1])
        assert shown <= stopped <= shown + 1, (shown, stopped)  # at most the month being computed
        expect(lever).to_contain_text("on since month 3")
        expect(lever).to_contain_text("intensity 1 · everywhere (fixed while it acts)")

        expect(page.locator(".ocsim-gaps")).to_contain_text("mean gap since month 3", timeout=20_000)
        live, ghost, gap, mean_gap = _gap(page, "seizures_value")
        assert _number(live) > _number(ghost) and gap.startswith("+") and _number(mean_gap) > 0
        live_price, ghost_price, _, _ = _gap(page, "illicit_price")
        assert live_price != ghost_price, "the live price chart should have left its ghost"
        expect(page.locator(".ocsim-window").first).to_contain_text("PURSUE interdiction: months 3–30")

        page.locator(".ocsim-band-switch").click()  # a band over 5 seeds, computed meanwhile
        band = page.locator(".ocsim-band")
        expect(band).to_have_text("band: 5 seeds, 10th–90th percentile", timeout=150_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.ocsim-chart-area svg path')]"
            ".some(p => (p.getAttribute('aria-roledescription') || '') === 'area mark')",
            timeout=30_000,
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"))

        with page.expect_download() as saving:
            page.get_by_role("button", name="Scenario (YAML)").click()
        saved = tmp_path / saving.value.suggested_filename
        saving.value.save_as(saved)
        assert saved.name == f"small_demo-seed1-month{stopped}.yaml"
        spec, seed = export.read_session_file(saved)
        assert seed == 1 and spec.strategy.pursue.interdiction.start == 3
        replay = run_scenario(spec, seed=model_seed(1), steps=stopped).metrics
        assert _number(_gap(page, "seizures_value")[0]) == pytest.approx(
            replay["seizures_value"].iloc[-1], rel=5e-3
        )
        with page.expect_download() as charts_csv:
            page.get_by_role("button", name="Charts' data (CSV)").click()
        table = pd.read_csv(charts_csv.value.path())
        assert {"seizures_value", "illicit_price"} <= set(table.indicator) and "live_p10" in table.columns
        with page.expect_download() as picture:
            page.get_by_role("button", name="Picture (PNG)").click()
        assert Path(picture.value.path()).read_bytes().startswith(b"\x89PNG")

        page.locator(".ocsim-reset").click()
        expect(month).to_have_text("Month 0 of 30", timeout=30_000)
        expect(change).to_have_count(0)
        page.locator(".ocsim-load-input").set_input_files(str(saved))  # Load: the saved session
        expect(page.locator(".ocsim-loaded")).to_contain_text(
            f"loaded {saved.name} with seed 1", timeout=30_000
        )
        expect(page.locator(".ocsim-window").first).to_contain_text("PURSUE interdiction: months 3–30")
        expect(page.locator(".ocsim-name")).to_have_text("small_demo")

        page.locator(".ocsim-scenario-select").click()
        page.locator(".v-menu__content .v-list-item", has_text="small_other").click()
        page.locator(".ocsim-reset").click()
        expect(page.locator(".ocsim-name")).to_have_text("small_other", timeout=30_000)
        expect(month).to_have_text("Month 0 of 30")
        expect(change).to_have_count(0)
