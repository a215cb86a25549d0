"""The trainers' dashboard: a Solara page built from Mesa's visualisation components.

Mesa's ``ModelController`` and ``ModelCreator`` (the parts of ``SolaraViz``) supply the Reset /
Play / Step controls and the run settings (scenario, seed, what to compare with), which apply
when Reset is pressed. ``SolaraViz`` itself is not used whole: its draggable grid of components
does not render with the Vue 3 front end of current ipyvuetify ("GlobalVue.use is not a
function" in the browser), so this page lays out its own main area. On top, it adds what a
trainer needs: the scenario's own explanation of what it shows, a map of any spatial layer (live
run, comparison run, or the difference), the indicator charts with the comparison run as a ghost
line, the gap table, and — in the sidebar — the strategy panel, where levers and the enforcement
style can be changed while the model runs (from the next month on).

Serve it with ``ocsim dashboard`` (see ``simulation/dashboard/server.py``, which also reads the
scenario folder, first scenario and seed that command passes in environment variables).
"""

from __future__ import annotations

import io

import numpy as np
import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import force_update, update_counter

from simulation.dashboard import figures
from simulation.dashboard.server import settings_from_environment
from simulation.dashboard.session import (
    COMPARISONS,
    ENFORCEMENT_STYLES,
    UNITS,
    TrainingSession,
    scenario_files,
)
from simulation.levers import LEVERS_BY_NAME, PRINCIPLES
from simulation.scenario import ScenarioError, load_scenario

MOST_CHARTS = 6
MAP_LAYERS = (
    "activity",
    "control",
    "violence",
    "enforcement",
    "victimisation",
    "ocg_legitimacy",
    "control_strength",
    "population",
)


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


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# ----------------------------------------------------------------------------- main area
@solara.component
def ScenarioView(session: TrainingSession):
    """What the scenario shows and what to watch, and where the run stands."""
    update_counter.get()
    spec = session.original
    with solara.Card(f"Scenario: {session.scenario_name()}", margin=0, classes=["ocsim-scenario"]):
        solara.Text(
            f"Month {session.month} of {session.last_month}",
            classes=["ocsim-month"],
            style={"font-size": "1.3em", "font-weight": "bold"},
        )
        solara.Text(
            f" · seed {session.seed} · ghost line: {COMPARISONS[session.compare]}",
            style={"color": "#555"},
        )
        text = " ".join(spec.description.split()) or "(this scenario has no description)"
        for marker in ("WHAT TO WATCH:", "WHAT IT SHOWS:"):
            text = text.replace(marker, f"\n\n**{marker}**")
        solara.Markdown(text.strip())


@solara.component
def MapView(session: TrainingSession):
    """One spatial layer of the live run, the comparison run, or their difference."""
    update_counter.get()
    layer, set_layer = solara.use_state("activity")
    view, set_view = solara.use_state("live")
    image = solara.use_memo(
        lambda: _png(figures.map_figure(session, layer, view)),
        [id(session), session.month, len(session.changes), layer, view],
    )
    with solara.Card("Map", margin=0, classes=["ocsim-map"]):
        with solara.Row():
            solara.Select("layer", values=list(MAP_LAYERS), value=layer, on_value=set_layer)
            solara.ToggleButtonsSingle(value=view, values=list(figures.VIEWS), on_value=set_view)
        solara.Image(image, classes=["ocsim-map-image"])
        solara.Text(
            "black: border between jurisdictions; cyan dashes: where a targeted lever acted last month",
            style={"color": "#555", "font-size": "0.85em"},
        )


@solara.component
def ChartsView(session: TrainingSession):
    """Indicators of the live run (red) against the comparison run (grey dashes)."""
    update_counter.get()
    chosen, set_chosen = solara.use_state(session.default_charts())
    known = session.indicators()
    shown = ([c for c in chosen if c in known] or session.default_charts())[:MOST_CHARTS]
    image = solara.use_memo(
        lambda: _png(figures.charts_figure(session, shown)),
        [id(session), session.month, len(session.changes), tuple(shown)],
    )
    with solara.Card("Indicators: live (red) against the ghost line (grey dashes)", margin=0):
        solara.SelectMultiple(
            f"indicators (up to {MOST_CHARTS})", values=shown, all_values=known, on_value=set_chosen
        )
        solara.Image(image, classes=["ocsim-charts-image"])
        GapTable(session, shown)


@solara.component
def GapTable(session: TrainingSession, indicators: list[str]):
    """Latest month of each run and the gap, and the mean gap since the lines parted."""
    update_counter.get()
    since = session.parted()
    mean_header = f"mean gap since month {since}" if since else "mean gap (lines identical so far)"
    rows = [f"| indicator | live | ghost | gap | {mean_header} |", "|:---|---:|---:|---:|---:|"]
    for name in indicators:
        months, live, ghost = session.series(name)
        if not len(months):
            continue
        window = months >= (since or 1)
        gap = float(np.nanmean(live[window] - ghost[window]))
        rows.append(
            f"| {name} ({UNITS.get(name, '')}) | {live[-1]:,.4g} | {ghost[-1]:,.4g} | "
            f"{live[-1] - ghost[-1]:+,.4g} | {gap:+,.4g} |"
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
        session.set_lever(principle, name, **what)
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
def StrategyPanel(session: TrainingSession):
    """The strategy as it will act next month; changes reach the model at the next step."""
    update_counter.get()
    with solara.Card("Strategy (changes act from next month)", margin=0, classes=["ocsim-strategy"]):
        style = session.strategy.enforcement_style

        def set_style(value: str) -> None:
            session.set_enforcement_style(value)
            force_update()

        solara.Select("enforcement style", values=list(ENFORCEMENT_STYLES), value=style, on_value=set_style)
        for principle in PRINCIPLES:
            views = session.levers(principle)
            active = sum(v.on for v in views)
            with solara.Details(f"{principle.upper()} — {active} of {len(views)} on", expand=False):
                for view in views:
                    LeverRow(session, principle, view.name).key(f"{principle}-{view.name}")
    with solara.Card("Changes made", margin=0, classes=["ocsim-changes"]):
        with solara.Column(gap="4px"):
            if not session.changes:
                solara.Text("none yet: the live and ghost lines coincide until a change acts")
            for change in session.changes:
                solara.Text(f"month {change.month}: {change.text}", classes=["ocsim-change"])


# ---------------------------------------------------------------------------------- page
@solara.component
def Page():
    folder, first, seed = solara.use_memo(settings_from_environment, [])
    initial = solara.use_memo(
        lambda: TrainingSession(scenario_name=first, seed=seed, scenarios_dir=str(folder)), []
    )
    session = solara.use_reactive(initial)
    settings = solara.use_reactive({})
    play_interval = solara.use_reactive(150)
    months_per_update = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    names, broken = solara.use_memo(lambda: usable_scenarios(folder), [])
    if first not in names:
        names.insert(0, first)
    user_settings = {
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

    with solara.AppBar():
        solara.AppBarTitle("ocsim — trainers' dashboard")
    with solara.Sidebar():
        with solara.Card("Run", margin=0, classes=["ocsim-run"]):
            ModelController(
                session,
                model_parameters=settings,
                play_interval=play_interval,
                render_interval=months_per_update,
                use_threads=use_threads,
            )
            solara.SliderInt("pause between months (ms)", value=play_interval, min=0, max=1000, step=50)
            solara.SliderInt("months per picture", value=months_per_update, min=1, max=12)
        settings_title = "Scenario, seed, ghost line (apply with Reset)"
        with solara.Card(settings_title, margin=0, classes=["ocsim-settings"]):
            ModelCreator(session, user_settings, model_parameters=settings)
            if broken:
                solara.Warning(f"not offered, invalid: {', '.join(broken)} (see ocsim validate)", dense=True)
        StrategyPanel(session.value)
    with solara.Column(classes=["ocsim-main"]):
        ScenarioView(session.value)
        with solara.Columns([5, 7]):
            MapView(session.value)
            # a new scenario starts from the charts its description names; a Reset keeps the choice
            ChartsView(session.value).key(f"charts-{session.value.scenario_name()}")
