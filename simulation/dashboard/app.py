"""The trainers' dashboard: a Solara page that plays a ``TrainingSession`` month by month.

The page is laid out for a room's projector: a bar across the top with the scenario, the month
("Month 27 of 72", and "run finished" at the end) and the run buttons; a sidebar with the run
settings, the speed, the levers by the four Ps, the lever windows and changes, and save / load;
and the main area with the map, the live charts against their ghost lines, and the scenario's
own explanation. A CSS grid places them so that nothing overlaps from 1280×720 up (the browser
test checks 1280×720, 1366×768 and 1920×1080).

It is built from Solara components, as Mesa's ``SolaraViz`` is, but not on ``SolaraViz`` itself:
that page's draggable panel grid has fixed pixel heights (panels covered one another at common
screen sizes), its controller plays ahead of what the browser has drawn (a pause landed two or
three months late), and it shows things a room does not need (tabs, a threads checkbox, the raw
step counter). Here playing waits, month by month, for the browser to say it has drawn the last
one (``widgets.Probe``), so pause stops at the month on the screen.

Serve it with ``ocsim dashboard`` (``simulation/dashboard/server.py`` passes the scenario folder,
first scenario and seed in environment variables).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import solara

from simulation.core.levers import PRINCIPLES
from simulation.dashboard import bands, charts, export, figures, texts
from simulation.dashboard.server import settings_from_environment
from simulation.dashboard.session import (
    COMPARISONS,
    ENFORCEMENT_STYLES,
    UNITS,
    ChangeRefused,
    TrainingSession,
    describe_target,
    scenario_files,
)
from simulation.dashboard.widgets import FileLoader, MapImage, Probe
from simulation.scenario import Scenario, ScenarioError, load_scenario

TITLE = "ocsim — trainers' dashboard"
MOST_CHARTS = 8
PLAY_INTERVAL = 50
"""Milliseconds between months when playing (the speed slider sets it)."""
ACK_TIMEOUT = 3.0
"""Seconds playing waits for the browser to draw a month before it goes on regardless (a closed
or frozen tab must not stop the run forever)."""
BAND_CHOICES = [3, 5, 10, 20]
LAYER_NAMES: dict[str, str] = {
    "control": "territories (control)",
    "activity": "activity",
    "retail": "street sales (retail)",
    "violence": "violence",
    "enforcement": "enforcement (police effort)",
    "victimisation": "victimisation",
    "control_strength": "control strength",
    "ocg_legitimacy": "OCG legitimacy",
    "population": "population",
}

CSS = """
.ocsim-root {
  position: fixed; inset: 0; z-index: 5; display: grid;
  grid-template-columns: clamp(300px, 19vw, 380px) minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
  background: #f3f4f6; font-size: 14px;
}
.ocsim-bar {
  grid-column: 1 / 3; grid-row: 1; display: flex; flex-wrap: wrap; align-items: center;
  gap: 6px 18px; padding: 8px 16px; background: #ffffff; border-bottom: 1px solid #d0d4da;
}
.ocsim-title { font-weight: 600; color: #1565c0; }
.ocsim-name { font-weight: 600; }
.ocsim-month { font-size: 1.35em; font-weight: 700; }
.ocsim-status { padding: 2px 10px; border-radius: 12px; background: #e3e7ed; font-weight: 600; }
.ocsim-status-finished { background: #2e7d32; color: #ffffff; }
.ocsim-status-playing { background: #1565c0; color: #ffffff; }
.ocsim-run-buttons { display: flex; gap: 8px; margin-left: auto; }
.ocsim-side { grid-column: 1; grid-row: 2; overflow-y: auto; overflow-x: hidden; padding: 10px; }
.ocsim-side > * + * { margin-top: 10px; }
.ocsim-main {
  grid-column: 2; grid-row: 2; overflow-y: auto; overflow-x: hidden; padding: 10px; display: grid;
  grid-template-columns: minmax(300px, min(40%, 620px)) minmax(0, 1fr); gap: 10px; align-content: start;
  align-items: start;
}
.ocsim-panel { background: #ffffff; border: 1px solid #d0d4da; border-radius: 6px; padding: 12px;
  min-width: 0; }
.ocsim-panel h3 { font-size: 1.05em; margin: 0 0 6px 0; }
.ocsim-left { grid-column: 1; display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.ocsim-charts { grid-column: 2; }
.ocsim-map-image { width: 100%; image-rendering: pixelated; display: block; cursor: crosshair; }
.ocsim-hover { min-height: 1.4em; font-size: 0.9em; color: #333; margin-top: 4px; }
.ocsim-note { display: block; font-size: 0.82em; color: #555; }
.ocsim-locked { display: block; font-size: 0.8em; color: #8a5a00; }
.ocsim-slider-label { display: block; }
.ocsim-lever { padding: 4px 0 6px 0; border-bottom: 1px solid #eceff3; }
.ocsim-lever-name .v-label { font-family: monospace; font-size: 13px; word-break: break-word; }
.ocsim-gaps table { font-size: 0.85em; width: 100%; }
.ocsim-gaps td, .ocsim-gaps th { padding: 1px 6px !important; }
.ocsim-chart-area { overflow: hidden; }
.ocsim-views .v-btn { padding: 0 10px !important; }
.ocsim-style .v-btn { padding: 0 8px !important; text-transform: none; font-size: 0.85em; }
.ocsim-charts .ocsim-legend { margin-bottom: 8px; }
.ocsim-side .v-expansion-panel-content__wrap { padding: 0 10px 8px 10px; }
.ocsim-side .v-expansion-panel-header { min-height: 40px; padding: 8px 12px; }
.ocsim-downloads { display: flex; flex-wrap: wrap; gap: 6px; }
"""


def usable_scenarios(folder) -> tuple[list[str], list[str]]:
    """Names of the folder's scenario files that load, and of those that do not (a broken file
    in the menu would fail only when a trainer picks it)."""
    usable, broken = [], []
    for name, path in scenario_files(folder).items():
        try:
            load_scenario(path)
        except ScenarioError:
            broken.append(name)
        else:
            usable.append(name)
    return usable, broken


def gap_rows(session: TrainingSession, indicators: list[str]) -> list[tuple[str, float, float, float]]:
    """Per indicator: the latest live and ghost values and the mean gap since the lines parted."""
    since = session.parted() or 1
    rows = []
    for name in indicators:
        months, live, ghost = session.series(name)
        if len(months):
            window = months >= since
            rows.append(
                (name, float(live[-1]), float(ghost[-1]), float(np.nanmean(live[window] - ghost[window])))
            )
    return rows


@dataclass
class DrawnMonth:
    """The last month the browser says it has drawn (``widgets.Probe``), for the play loop."""

    month: int = -1
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def set(self, month: int) -> None:
        with self._condition:
            self.month = int(month)
            self._condition.notify_all()

    def reset(self) -> None:
        self.set(-1)

    def wait_for(self, month: int, timeout: float, cancel: threading.Event) -> bool:
        """Wait until the browser has drawn ``month`` (True), or time runs out or play is cancelled."""
        with self._condition:
            return (
                self._condition.wait_for(lambda: self.month >= month or cancel.is_set(), timeout=timeout)
                and not cancel.is_set()
            )


# ------------------------------------------------------------------------------ top bar
@solara.component
def TopBar(session: TrainingSession, tick: int, playing: bool, on_reset, on_play, on_step, drawn: DrawnMonth):
    del tick  # its value: re-rendered every month
    if session.finished:
        status, kind = "run finished", "finished"
    elif playing:
        status, kind = "playing", "playing"
    elif session.month == 0:
        status, kind = "ready", "ready"
    else:
        status, kind = "paused", "paused"
    with solara.Div(classes=["ocsim-bar"]):
        solara.Text(TITLE, classes=["ocsim-title"])
        solara.Text(session.scenario_name(), classes=["ocsim-name"])
        solara.Text(f"Month {session.month} of {session.last_month}", classes=["ocsim-month"])
        # after the month in the page, so the browser acknowledges a month once it shows it
        with solara.Div(style={"width": "0", "height": "0", "overflow": "hidden", "margin-left": "-18px"}):
            Probe.element(month=session.month, on_drawn=drawn.set)
        solara.Text(status, classes=["ocsim-status", f"ocsim-status-{kind}"])
        with solara.Div(classes=["ocsim-run-buttons"]):
            solara.Button("Reset", on_click=on_reset, color="primary", outlined=True, classes=["ocsim-reset"])
            solara.Button(
                "❚❚ Pause" if playing else "▶ Play",
                on_click=on_play,
                color="primary",
                disabled=not playing and session.finished,
                classes=["ocsim-play"],
            )
            solara.Button(
                "Step",
                on_click=on_step,
                color="primary",
                outlined=True,
                disabled=playing or session.finished,
                classes=["ocsim-step"],
            )


# ------------------------------------------------------------------------------ sidebar
@solara.component
def LabelledSlider(label: str, value: int, on_value, low: int, high: int, step: int, unit: str = "", css="",
                   scale: float = 1.0):  # fmt: skip
    """A slider whose label shows its value (Vuetify's shows it only while dragging); the slider
    moves in whole steps, the label shows ``value * scale``."""
    shown = f"{value * scale:g} {unit}".strip()
    with solara.Div(classes=[css]):
        solara.Text(f"{label}: {shown}", classes=["ocsim-slider-label"], style={"font-size": "0.9em"})
        solara.SliderInt("", value=value, min=low, max=high, step=step, on_value=on_value, thumb_label=False)


@solara.component
def RunSettings(labels: list[str], choice, seed, compare, broken: list[str]):
    with solara.Div(classes=["ocsim-panel", "ocsim-settings"]):
        solara.HTML(
            tag="h3", unsafe_innerHTML="Run settings <span class='ocsim-note'>(applied by Reset)</span>"
        )
        solara.Select("scenario", values=labels, value=choice, classes=["ocsim-scenario-select"])
        LabelledSlider("seed", seed.value, seed.set, 1, 100, 1, css="ocsim-seed")
        solara.Select("ghost line", values=list(COMPARISONS), value=compare, classes=["ocsim-compare"])
        solara.Text(COMPARISONS[compare.value], classes=["ocsim-note"])
        if broken:
            solara.Warning(f"not offered, invalid: {', '.join(broken)} (see ocsim validate)", dense=True)


@solara.component
def SpeedSettings(interval, per_picture):
    with solara.Div(classes=["ocsim-panel", "ocsim-speed"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Speed")
        LabelledSlider(
            "pause between months", interval.value, interval.set, 0, 1000, 50, "ms", "ocsim-interval"
        )
        LabelledSlider(
            "months per picture", per_picture.value, per_picture.set, 1, 12, 1, css="ocsim-per-picture"
        )


@solara.component
def LeverRow(session: TrainingSession, tick: int, principle: str, name: str, change):
    """A lever's switch and state, what it moves (as docs/levers.md says it), and when it has not
    acted yet, its intensity and where it acts."""
    view = session.lever(principle, name)
    text = texts.lever_texts()[name]
    with solara.Div(classes=["ocsim-lever", f"ocsim-lever-{name}"]):
        with solara.v.Html(tag="div", attributes={"title": f"{text.objective}. {text.expect}"}):
            solara.Switch(
                label=name,
                value=view.on,
                on_value=lambda on: change(principle, name, on=on),
                disabled=not view.can_switch,
                color="primary",
                classes=["ocsim-lever-name"],
                style={"margin-top": "0", "margin-bottom": "-20px"},
            )
        solara.Text(view.status, classes=["ocsim-note", "ocsim-lever-status"])
        solara.Div(
            children=[f"{text.effect} · {text.cost} k/month at full intensity"], classes=["ocsim-note"]
        )
        if view.on and view.can_tune:
            LabelledSlider(
                "intensity",
                round(view.intensity * 10),
                lambda v: change(principle, name, intensity=round(v / 10, 1)),
                1,
                10,
                1,
                css="ocsim-intensity",
                scale=0.1,
            )
            solara.Select(
                "where",
                values=session.targets(),
                value=view.target,
                on_value=lambda t: change(principle, name, target=t),
                dense=True,
            )
        elif view.on:
            where = describe_target(view.target)
            solara.Text(
                f"intensity {view.intensity:g} · {where} (fixed while it acts)",
                classes=["ocsim-note"],
            )
        if view.note and not view.can_switch:
            solara.Text(view.note, classes=["ocsim-locked"])


@solara.component
def PrincipleGroup(session: TrainingSession, tick: int, principle: str, change):
    """One P's levers, folded away until opened: a folded group draws only its count, so the
    page's per-month work does not grow with levers nobody is looking at."""
    expanded, set_expanded = solara.use_state(False)
    views = session.levers(principle)
    active = sum(v.on for v in views)
    with solara.v.ExpansionPanels(v_model=0 if expanded else None, on_v_model=lambda v: set_expanded(v == 0)):
        with solara.v.ExpansionPanel(class_=f"ocsim-principle ocsim-principle-{principle}"):
            solara.v.ExpansionPanelHeader(children=[f"{principle.upper()} — {active} of {len(views)} on"])
            with solara.v.ExpansionPanelContent():
                if expanded:
                    for view in views:
                        LeverRow(session, tick, principle, view.name, change).key(f"{principle}-{view.name}")


@solara.component
def StrategyPanel(session: TrainingSession, ticks: int, message: str, change, set_style,
                  set_budget):  # fmt: skip
    """The strategy as the live run plays it; changes act from the next month."""
    tick = ticks  # the statuses change with the month
    at_start = session.month == 0 and not session.finished
    with solara.Div(classes=["ocsim-panel", "ocsim-strategy"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Levers <span class='ocsim-note'>(act from next month)</span>")
        if message:
            solara.Warning(message, dense=True, classes=["ocsim-message"])
        solara.Text("enforcement style", classes=["ocsim-note"])
        style = session.strategy.enforcement_style
        with solara.ToggleButtonsSingle(value=style, on_value=set_style, dense=True, classes=["ocsim-style"]):
            for option in ENFORCEMENT_STYLES:
                solara.Button(
                    option.replace("_", "-"), value=option, disabled=not at_start and option != style
                )
        budget = session.strategy.budget
        solara.InputFloat(
            "budget (k/month)",
            value=budget,
            on_value=set_budget,
            optional=True,
            disabled=not at_start,
            dense=True,
            classes=["ocsim-budget"],
        )
        spent = f"spent last month: {texts.level(session.spent())} k" if session.month else ""
        lock = (
            "budget empty: no limit"
            if at_start
            else "style and budget hold for the whole run: set them before month 1 (Reset)"
        )
        solara.Text(" · ".join(t for t in (spent, lock) if t), classes=["ocsim-note"])
        for principle in PRINCIPLES:
            PrincipleGroup(session, tick, principle, change).key(principle)


@solara.component
def ChangesPanel(session: TrainingSession, changes: int):
    with solara.Div(classes=["ocsim-panel", "ocsim-changes"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Lever windows")
        windows = session.windows()
        if not windows:
            solara.Text("no lever acts in this run", classes=["ocsim-note"])
        for window in windows:
            origin = "your change" if window.changed else "scenario"
            solara.Div(children=[f"{window.text} · {origin}"], classes=["ocsim-window", "ocsim-note"])
        solara.HTML(tag="h3", unsafe_innerHTML="Changes made", style="margin-top: 8px")
        if not session.changes:
            solara.Text(
                "none yet: the live and ghost lines coincide until a change acts", classes=["ocsim-note"]
            )
        for change in session.changes:
            solara.Div(children=[f"month {change.month}: {change.text}"], classes=["ocsim-change"])


@solara.component
def SavePanel(session: TrainingSession, tick: int, layer: str, view: str, shown: list[str],
              band_ref, on_upload, loaded: str):  # fmt: skip
    del tick  # the file names carry the month
    with solara.Div(classes=["ocsim-panel", "ocsim-save"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Save and share")
        with solara.Div(classes=["ocsim-downloads"]):
            solara.FileDownload(
                lambda: export.session_yaml(session),
                filename=export.file_name(session, "yaml"),
                label="Scenario (YAML)",
                mime_type="text/yaml",
            )
            solara.FileDownload(
                lambda: export.charts_csv(session, shown, band_ref.current),
                filename=export.file_name(session, "csv"),
                label="Charts' data (CSV)",
                mime_type="text/csv",
            )
            solara.FileDownload(
                lambda: export.picture_png(session, layer, view, shown, band_ref.current),
                filename=export.file_name(session, "png"),
                label="Picture (PNG)",
                mime_type="image/png",
            )
        solara.Text(
            f"The YAML replays this run: ocsim run FILE --seed {session.seed}", classes=["ocsim-note"]
        )
        FileLoader.element(label="Load a scenario or saved session", on_upload=on_upload)
        if loaded:
            solara.Text(loaded, classes=["ocsim-note", "ocsim-loaded"])


# ----------------------------------------------------------------------------- main area
def hover_props(picture: figures.MapPicture) -> tuple[str, str]:
    labels, index = figures.hover_labels(picture)
    return json.dumps(labels), ",".join(map(str, index))


@solara.component
def MapPanel(session: TrainingSession, tick: int, layer, view):
    """One spatial layer of the live run, the ghost run, or their difference; hover for values."""
    del tick
    picture = solara.use_memo(
        lambda: figures.map_picture(session, layer.value, view.value),
        [id(session), session.month, len(session.changes), layer.value, view.value],
    )
    src = solara.use_memo(
        lambda: "data:image/png;base64," + base64.b64encode(picture.png()).decode("ascii"), [picture]
    )
    labels, index = solara.use_memo(lambda: hover_props(picture), [picture])
    columns, rows = picture.cells
    with solara.Div(classes=["ocsim-panel", "ocsim-map"]):
        solara.v.Select(
            label="map layer",
            items=[{"text": LAYER_NAMES[k], "value": k} for k in figures.MAP_LAYERS],
            v_model=layer.value,
            on_v_model=layer.set,
            dense=True,
            hide_details=True,
            class_="ocsim-layer",
        )
        with solara.ToggleButtonsSingle(
            value=view.value, on_value=view.set, dense=True, classes=["ocsim-views"]
        ):
            for name in figures.VIEWS:
                solara.Button(name, value=name, classes=[f"ocsim-view-{name}"])
        solara.Text(
            picture.title, classes=["ocsim-map-title"], style={"font-weight": "600", "display": "block"}
        )
        MapImage.element(
            src=src,
            cell=figures.CELL,
            columns=columns,
            rows=rows,
            labels=labels,
            index=index,
            hint="hover over a cell to read its position and value",
        )
        solara.Text(
            "black: jurisdiction border · teal: the scenario's zones · cyan dashes: where a "
            "targeted lever acted last month",
            classes=["ocsim-note"],
        )


@solara.component
def GapTable(session: TrainingSession, tick: int, indicators: list[str]):
    """Latest month of each run and the gap, and the mean gap since the lines parted."""
    since = session.parted()
    mean_header = f"mean gap since month {since}" if since else "mean gap (lines identical so far)"
    rows = [f"| indicator | live | ghost | gap | {mean_header} |", "|:---|---:|---:|---:|---:|"]
    for name, live, ghost, mean_gap in gap_rows(session, indicators):
        unit = UNITS.get(name, "")
        rows.append(
            f"| {name} ({unit}) | {texts.level(live, unit)} | {texts.level(ghost, unit)} | "
            f"{texts.gap(live - ghost, unit)} | {texts.gap(mean_gap, unit)} |"
        )
    if len(rows) > 2:
        with solara.Div(classes=["ocsim-gaps"]):
            solara.Markdown("\n".join(rows))


@solara.component
def ChartsPanel(session: TrainingSession, ticks: int, shown: list[str], set_shown, band_on,
                band_seeds, band_ref, band_ticks: int):  # fmt: skip
    """The indicators of the live run (red) against the ghost line (grey dashes)."""
    tick, band_tick = ticks, band_ticks
    band = band_ref.current if band_on.value else None
    width, set_width = solara.use_state(560)
    ready = band_on.value and band is not None and band.ready
    spec = solara.use_memo(
        lambda: charts.charts_spec(session, shown, available=width, band=band if ready else None),
        [id(session), session.month, len(session.changes), tuple(shown), width, ready, band_tick],
    )
    with solara.Div(classes=["ocsim-panel", "ocsim-charts"]):
        solara.Markdown(
            f"**Live charts** — <span style='color:{charts.LIVE_COLOUR}'>live run</span> against "
            f"<span style='color:{charts.GHOST_COLOUR}'>- - ghost (same seed, without your "
            "changes)</span>; shaded: months a lever acts; dotted: a change began to act",
            style={"margin-bottom": "6px"},
        )
        solara.SelectMultiple(
            f"indicators (up to {MOST_CHARTS})",
            values=shown,
            all_values=session.indicators(),
            on_value=lambda names: set_shown(list(names)[:MOST_CHARTS]),
            dense=True,
            style={"margin-top": "14px"},
            classes=["ocsim-indicators"],
        )
        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Switch(label="band over several seeds", value=band_on, classes=["ocsim-band-switch"])
            solara.Select(
                "seeds", values=BAND_CHOICES, value=band_seeds, dense=True, style={"max-width": "90px"}
            )
            if band_on.value and band is not None:
                solara.Text(band.describe(), classes=["ocsim-band"])
        Probe.element(on_width=lambda w: set_width(max(240, int(w))))
        with solara.Div(classes=["ocsim-chart-area"]):
            solara.widgets.VegaLite.element(spec=spec)
        GapTable(session, tick, shown)


@solara.component
def ScenarioPanel(session: TrainingSession):
    """What the scenario shows and what to watch."""
    spec = session.original
    with solara.Div(classes=["ocsim-panel", "ocsim-scenario"]):
        solara.HTML(tag="h3", unsafe_innerHTML=session.scenario_name())
        solara.Text(
            f"seed {session.seed} · ghost line: {COMPARISONS[session.compare]}", classes=["ocsim-note"]
        )
        text = " ".join(spec.description.split()) or "(this scenario has no description)"
        for marker in ("WHAT TO WATCH:", "WHAT IT SHOWS:"):
            text = text.replace(marker, f"\n\n**{marker}**")
        solara.Markdown(text.strip())


# ---------------------------------------------------------------------------------- page
def scenario_sources(folder, first: str) -> tuple[dict[str, Any], list[str], str]:
    """The scenario menu (label -> name in the folder, file path, or loaded scenario), the broken
    files left out, and the label of the first scenario."""
    names, broken = usable_scenarios(folder)
    sources: dict[str, Any] = {name: name for name in names}
    label = first
    if first and first not in sources:
        label = Path(first).stem if Path(first).suffix in (".yaml", ".yml") else first
        if label in sources:
            label = f"{label} ({first})"
        sources = {label: first, **sources}
    return sources, broken, label


@solara.component
def Page():
    """The route ``solara run`` serves: a session for the scenario ``ocsim dashboard`` was given."""
    folder, first, seed = solara.use_memo(settings_from_environment, [])
    initial = solara.use_memo(
        lambda: TrainingSession(scenario_name=first, seed=seed, scenarios_dir=str(folder)), []
    )
    Dashboard(initial, folder, first, seed)


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature)
    """No app bar or drawer around the page: it lays itself out (``CSS``)."""
    return solara.Div(children=children)


@solara.component
def Dashboard(initial: TrainingSession, folder, first: str, seed: int):
    """The page for a session (the tests and the benchmark render this without a browser)."""
    session = solara.use_reactive(initial)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL)
    per_picture = solara.use_reactive(1)
    message = solara.use_reactive("")
    loaded_note = solara.use_reactive("")
    menu = solara.use_memo(lambda: scenario_sources(folder, first), [])
    sources, set_sources = solara.use_state(menu[0])
    broken = menu[1]
    choice = solara.use_reactive(menu[2] if menu[2] in sources else next(iter(sources), ""))
    seed_choice = solara.use_reactive(int(seed))
    compare = solara.use_reactive(initial.compare)
    layer = solara.use_reactive("control")
    view = solara.use_reactive("live")
    band_on = solara.use_reactive(False)
    band_seeds = solara.use_reactive(bands.BAND_SEEDS)
    band_tick = solara.use_reactive(0)
    band_ref = solara.use_ref(None)
    drawn = solara.use_memo(DrawnMonth, [])
    current = session.value
    defaults = current.default_charts()
    # the trainer's pick holds for the scenario it was made for; another scenario starts from
    # the charts its own description names
    (picked_for, chosen), set_pick = solara.use_state((current.scenario_name(), defaults))
    if picked_for != current.scenario_name():
        chosen = defaults
    known = current.indicators()
    shown = ([c for c in chosen if c in known] or defaults)[:MOST_CHARTS]

    def redraw() -> None:
        tick.value += 1

    def replace(new: TrainingSession) -> None:
        playing.set(False)
        if band_ref.current is not None:
            band_ref.current.cancel()
            band_ref.current = None
        drawn.reset()
        message.set("")
        session.set(new)
        redraw()

    def reset() -> None:
        source = sources.get(choice.value, choice.value)
        try:
            if isinstance(source, Scenario):
                new = TrainingSession(spec=source, seed=seed_choice.value, compare=compare.value)
            else:
                new = TrainingSession(
                    scenario_name=str(source),
                    seed=seed_choice.value,
                    compare=compare.value,
                    scenarios_dir=str(folder),
                )
        except (ScenarioError, ValueError) as exc:
            message.set(str(exc))
            return
        replace(new)

    def toggle_play() -> None:
        playing.set(not playing.value)

    def step() -> None:
        current.step()
        redraw()

    def play(cancel: threading.Event) -> None:
        if not playing.value:
            return
        live = session.value
        while not cancel.is_set() and live.running:
            for _ in range(per_picture.value):
                live.step()
                if cancel.is_set() or not live.running:
                    break
            redraw()
            drawn.wait_for(live.month, ACK_TIMEOUT, cancel)  # the room sees every month it pauses on
            cancel.wait(interval.value / 1000)
        if not cancel.is_set():
            playing.set(False)

    solara.use_thread(play, dependencies=[playing.value, id(current)], intrusive_cancel=False)

    def watch_band(cancel: threading.Event) -> None:
        if not band_on.value:
            if band_ref.current is not None:
                band_ref.current.cancel()
                band_ref.current = None
            return
        band = band_ref.current
        if band is None or band.seeds != band_seeds.value:
            if band is not None:
                band.cancel()
            band = band_ref.current = bands.Band(band_seeds.value)
        band.update(session.value)
        band_tick.value += 1
        pending = [f for f in band.futures() if not f.done()]
        while pending and not cancel.is_set():
            done, _ = concurrent.futures.wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
            if done:
                band_tick.value += 1
            pending = [f for f in pending if not f.done()]
        if not cancel.is_set():
            band_tick.value += 1

    solara.use_thread(
        watch_band,
        dependencies=[band_on.value, band_seeds.value, id(current), len(current.changes)],
        intrusive_cancel=False,
    )

    def change_lever(principle: str, name: str, **what) -> None:
        try:
            current.set_lever(principle, name, **what)
        except (ChangeRefused, ValueError) as exc:
            message.set(str(exc))
        else:
            message.set("")
        redraw()

    def set_style(style: str) -> None:
        try:
            current.set_enforcement_style(style)  # type: ignore[arg-type]
        except (ChangeRefused, ValueError) as exc:
            message.set(str(exc))
        redraw()

    def set_budget(value: float | None) -> None:
        try:
            current.set_budget(value)
        except (ChangeRefused, ValueError) as exc:
            message.set(str(exc))
        else:
            message.set("")
        redraw()

    def upload(data: dict) -> None:
        name = str(data.get("name") or "uploaded.yaml")
        if data.get("error"):
            loaded_note.set(f"{name}: not loaded, {data['error']}")
            return
        try:
            spec, saved_seed = export.read_session(str(data.get("text") or ""), name)
        except ScenarioError as exc:
            loaded_note.set(str(exc))
            return
        label = f"{Path(name).stem} (loaded)"
        set_sources({label: spec, **{k: v for k, v in sources.items() if k != label}})
        choice.set(label)
        if saved_seed is not None:
            seed_choice.set(saved_seed)
        new = TrainingSession(spec=spec, seed=seed_choice.value, compare=compare.value)
        replace(new)
        loaded_note.set(f"loaded {name}" + (f" with seed {saved_seed}" if saved_seed is not None else ""))

    solara.Title(TITLE)
    solara.Style(CSS)
    with solara.Div(classes=["ocsim-root"]):
        TopBar(current, tick.value, playing.value, reset, toggle_play, step, drawn)
        with solara.Div(classes=["ocsim-side"]):
            StrategyPanel(current, tick.value, message.value, change_lever, set_style, set_budget)
            ChangesPanel(current, len(current.changes))
            RunSettings(list(sources), choice, seed_choice, compare, broken)
            SpeedSettings(interval, per_picture)
            SavePanel(
                current, tick.value, layer.value, view.value, shown, band_ref, upload, loaded_note.value
            )
        with solara.Div(classes=["ocsim-main"]):
            with solara.Div(classes=["ocsim-left"]):
                MapPanel(current, tick.value, layer, view)
                ScenarioPanel(current)
            ChartsPanel(
                current,
                tick.value,
                shown,
                lambda names: set_pick((current.scenario_name(), names)),
                band_on,
                band_seeds,
                band_ref,
                band_tick.value,
            )
