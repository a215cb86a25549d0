"""The trainers' dashboard: a Solara page on Mesa's ``SolaraViz``.

``SolaraViz`` supplies the page: the app bar, the sidebar with the run controls (Reset / Play /
Step, the pause between steps and how many steps pass between pictures) and the run settings
(scenario, seed, what the ghost line is; applied by Reset), and the main area as a grid of
panels that a trainer can drag and resize. The model it drives is a ``TrainingSession`` (a
``mesa.Model`` that steps the live run and its ghost together). This module adds the panels —
the map, the live charts with their ghost lines, the scenario's explanation with the gap table —
and, in the sidebar, the lever panel grouped by the four Ps and the log of changes.

Serve it with ``ocsim dashboard`` (``simulation/dashboard/server.py`` passes the scenario folder,
first scenario and seed in environment variables).
"""

from __future__ import annotations

import numpy as np
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization import solara_viz as mesa_solara_viz
from mesa.visualization.utils import force_update, update_counter

from simulation.core.levers import LEVERS_BY_NAME, PRINCIPLES
from simulation.dashboard import charts, figures
from simulation.dashboard.server import settings_from_environment
from simulation.dashboard.session import (
    COMPARISONS,
    ENFORCEMENT_STYLES,
    UNITS,
    ChangeRefused,
    TrainingSession,
    scenario_files,
)
from simulation.scenario import ScenarioError, load_scenario

TITLE = "ocsim — trainers' dashboard"
MOST_CHARTS = 8
PLAY_INTERVAL = 20
"""Milliseconds between months when playing (Mesa's "Play Interval" slider raises it)."""
PANEL_LAYOUT: list[dict] = [
    {"i": 0, "x": 0, "y": 0, "w": 5, "h": 16, "moved": False},  # map
    {"i": 1, "x": 5, "y": 0, "w": 7, "h": 31, "moved": False},  # live charts and the gap table
    {"i": 2, "x": 0, "y": 16, "w": 5, "h": 16, "moved": False},  # scenario: what to watch, month
]
"""Where the panels start (12 columns; a row is 30 px plus a 10 px gap); trainers can rearrange."""


def _initial_layout(count: int) -> list[dict]:
    """``SolaraViz``'s starting grid, with cells tall enough for these panels (Mesa's default
    gives every panel the same half-width, 390 px high cell, which cuts the map and the charts)."""
    if count == len(PANEL_LAYOUT):
        return [dict(cell) for cell in PANEL_LAYOUT]
    return _mesa_initial_layout(count)


_mesa_initial_layout = mesa_solara_viz.make_initial_grid_layout
mesa_solara_viz.make_initial_grid_layout = _initial_layout


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


# ------------------------------------------------------------------------------ panels
@solara.component
def MapView(session: TrainingSession):
    """One spatial layer of the live run, the ghost run, or their difference."""
    update_counter.get()
    layer, set_layer = solara.use_state("control")
    view, set_view = solara.use_state("live")
    picture = solara.use_memo(
        lambda: figures.map_picture(session, layer, view),
        [id(session), session.month, len(session.changes), layer, view],
    )
    image = solara.use_memo(picture.png, [picture])
    with solara.Card(margin=0, classes=["ocsim-map"]):
        with solara.Row(gap="8px"):
            solara.Select("map layer", values=list(figures.MAP_LAYERS), value=layer, on_value=set_layer)
            solara.ToggleButtonsSingle(value=view, values=list(figures.VIEWS), on_value=set_view)
        solara.Text(picture.title, classes=["ocsim-map-title"], style={"font-weight": "bold"})
        solara.Style(".ocsim-map-image { image-rendering: pixelated; }")  # sharp cells when scaled
        solara.Image(image, width="100%", classes=["ocsim-map-image"])
        solara.Text(
            "black: jurisdiction border · teal: the scenario's zones · cyan dashes: where a "
            "targeted lever acted last month",
            style={"color": "#555", "font-size": "0.8em"},
        )


@solara.component
def ChartsView(session: TrainingSession):
    """The indicators of the live run (red) against the ghost line (grey dashes)."""
    update_counter.get()
    defaults = session.default_charts()
    # the trainer's pick holds for the scenario it was made for; another scenario starts from
    # the charts its own description names
    (picked_for, chosen), set_pick = solara.use_state((session.scenario_name(), defaults))
    if picked_for != session.scenario_name():
        chosen = defaults
    known = session.indicators()
    shown = ([c for c in chosen if c in known] or defaults)[:MOST_CHARTS]

    def set_chosen(names: list[str]) -> None:
        set_pick((session.scenario_name(), list(names)))

    spec = solara.use_memo(
        lambda: charts.charts_spec(session, shown),
        [id(session), session.month, len(session.changes), tuple(shown)],
    )
    with solara.Card(margin=0, classes=["ocsim-charts"]):
        solara.Markdown(
            f"**Live charts** — <span style='color:{charts.LIVE_COLOUR}'>live run</span> against "
            f"<span style='color:{charts.GHOST_COLOUR}'>- - ghost (same seed, without your "
            "changes)</span>; dotted: a change began to act"
        )
        solara.SelectMultiple(
            f"indicators (up to {MOST_CHARTS})", values=shown, all_values=known, on_value=set_chosen
        )
        with solara.Div(classes=["ocsim-chart-area"]):
            solara.widgets.VegaLite.element(spec=spec)
        GapTable(session, shown)


@solara.component
def ScenarioView(session: TrainingSession):
    """What the scenario shows and what to watch, and where the run stands."""
    update_counter.get()
    spec = session.original
    with solara.Card(margin=0, classes=["ocsim-scenario"]):
        solara.Text(session.scenario_name(), style={"font-size": "1.2em", "font-weight": "bold"})
        solara.Text(
            f"Month {session.month} of {session.last_month}",
            classes=["ocsim-month"],
            style={"font-size": "1.2em", "font-weight": "bold", "margin-left": "12px"},
        )
        solara.Text(
            f" · seed {session.seed} · ghost line: {COMPARISONS[session.compare]}", style={"color": "#555"}
        )
        text = " ".join(spec.description.split()) or "(this scenario has no description)"
        for marker in ("WHAT TO WATCH:", "WHAT IT SHOWS:"):
            text = text.replace(marker, f"\n\n**{marker}**")
        solara.Markdown(text.strip())


@solara.component
def GapTable(session: TrainingSession, indicators: list[str]):
    """Latest month of each run and the gap, and the mean gap since the lines parted."""
    update_counter.get()
    since = session.parted()
    mean_header = f"mean gap since month {since}" if since else "mean gap (lines identical so far)"
    rows = [f"| indicator | live | ghost | gap | {mean_header} |", "|:---|---:|---:|---:|---:|"]
    for name, live, ghost, mean_gap in gap_rows(session, indicators):
        rows.append(
            f"| {name} ({UNITS.get(name, '')}) | {live:,.4g} | {ghost:,.4g} | "
            f"{live - ghost:+,.4g} | {mean_gap:+,.4g} |"
        )
    if len(rows) > 2:
        with solara.Div(classes=["ocsim-gaps"]):
            solara.Markdown("\n".join(rows))


# ------------------------------------------------------------------------------- sidebar
@solara.component
def LeverRow(session: TrainingSession, principle: str, name: str):
    """A lever's switch and state; when on, its intensity and where it acts."""
    update_counter.get()
    view = session.lever(principle, name)
    lever = LEVERS_BY_NAME[name]

    def change(**what):
        try:
            session.set_lever(principle, name, **what)
        except ChangeRefused:
            pass  # a change no scenario file could hold (the lever's state says why)
        force_update()

    with solara.Column(gap="0px", classes=["ocsim-lever", f"ocsim-lever-{name}"]):
        solara.Switch(
            label=name.replace("_", " "),
            value=view.on,
            on_value=lambda on: change(on=on),
            color="primary",
            style={"margin-bottom": "-18px"},
        )
        solara.Text(
            f"{view.status} · {lever.modifier} {lever.effect:+g}",
            style={"font-size": "0.8em", "color": "#555"},
        )
        if view.on:
            solara.SliderFloat(
                "intensity",
                value=view.intensity,
                min=0.1,
                max=1.0,
                step=0.1,
                on_value=lambda v: change(intensity=round(float(v), 2)),
            )
            solara.Select(
                "where",
                values=session.targets(),
                value=view.target,
                on_value=lambda t: change(target=t),
                dense=True,
            )


@solara.component
def PrincipleGroup(session: TrainingSession, principle: str):
    """One P's levers, folded away until opened: a folded group draws only its count, so the
    page's per-month work does not grow with levers nobody is looking at."""
    update_counter.get()
    expanded, set_expanded = solara.use_state(False)
    views = session.levers(principle)
    active = sum(v.on for v in views)
    with solara.v.ExpansionPanels(v_model=0 if expanded else None, on_v_model=lambda v: set_expanded(v == 0)):
        with solara.v.ExpansionPanel(class_=f"ocsim-principle ocsim-principle-{principle}"):
            solara.v.ExpansionPanelHeader(children=[f"{principle.upper()} — {active} of {len(views)} on"])
            with solara.v.ExpansionPanelContent():
                if expanded:
                    for view in views:
                        LeverRow(session, principle, view.name).key(f"{principle}-{view.name}")


@solara.component
def StrategyPanel(session: TrainingSession):
    """The strategy as it will act next month; changes reach the model at the next step."""
    update_counter.get()
    with solara.Card("Levers (act from next month)", margin=0, classes=["ocsim-strategy"]):
        style = session.strategy.enforcement_style

        def set_style(value: str) -> None:
            try:
                session.set_enforcement_style(value)
            except ChangeRefused:
                pass  # the style holds for the whole run
            force_update()

        solara.ToggleButtonsSingle(
            value=style, values=list(ENFORCEMENT_STYLES), on_value=set_style, classes=["ocsim-style"]
        )
        for principle in PRINCIPLES:
            PrincipleGroup(session, principle).key(principle)
    with solara.Card("Changes made", margin=0, classes=["ocsim-changes"]):
        with solara.Column(gap="4px"):
            if not session.changes:
                solara.Text("none yet: the live and ghost lines coincide until a change acts")
            for change in session.changes:
                solara.Text(f"month {change.month}: {change.text}", classes=["ocsim-change"])


# ---------------------------------------------------------------------------------- page
@solara.component
def Page():
    """The route ``solara run`` serves: a session for the scenario ``ocsim dashboard`` was given."""
    folder, first, seed = solara.use_memo(settings_from_environment, [])
    initial = solara.use_memo(
        lambda: TrainingSession(scenario_name=first, seed=seed, scenarios_dir=str(folder)), []
    )
    Dashboard(initial, folder, first, seed)


@solara.component
def Dashboard(initial: TrainingSession, folder, first: str, seed: int):
    """The page for a session (the benchmark renders this without a browser)."""
    session = solara.use_reactive(initial)
    names, broken = solara.use_memo(lambda: usable_scenarios(folder), [])
    if first not in names:
        names.insert(0, first)
    settings = {
        "scenario_name": {"type": "Select", "value": first, "values": names, "label": "scenario"},
        "seed": Slider("seed", seed, 1, 100, 1),
        "compare": {
            "type": "Select",
            "value": "as_written",
            "values": list(COMPARISONS),
            "label": "ghost line: scenario as written, or no strategy",
        },
        "scenarios_dir": str(folder),
    }
    SolaraViz(
        session,
        components=[MapView, ChartsView, ScenarioView],
        model_params=settings,
        name=TITLE,
        play_interval=PLAY_INTERVAL,
    )
    LeverSidebar(session.value, broken)


@solara.component
def LeverSidebar(session: TrainingSession, broken: list[str]):
    """The lever panel and the change log, in the sidebar below ``SolaraViz``'s run controls.

    Solara orders the sidebar's parts by how deeply in the page they are declared; declared one
    component deeper than ``SolaraViz``'s own, these come after the controls.
    """
    _SidebarBelow(session, broken)


@solara.component
def _SidebarBelow(session: TrainingSession, broken: list[str]):
    with solara.Sidebar():
        if broken:
            solara.Warning(f"not offered, invalid: {', '.join(broken)} (see ocsim validate)", dense=True)
        StrategyPanel(session)
