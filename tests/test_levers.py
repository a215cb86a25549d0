"""Each lever moves its own decision, in its own place and time, at its own cost — and nothing else.

For every lever a probe measures the decision the lever enters (a hazard, a probability, an
allocation, an attitude) in a model with the lever switched on and in the same model without it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from simulation.core.agents import community
from simulation.core.agents.member import Role, exit_hazard
from simulation.core.agents.victim import Victim, VictimState
from simulation.core.levers import LEVERS, LEVERS_BY_NAME
from simulation.core.levers import apply as levers
from simulation.core.model import CriminalMarketModel
from simulation.core.modifiers import MODIFIERS
from simulation.core.submodels import conflict, policing, victimisation
from simulation.scenario import load_scenario
from tests.conftest import SMALL_WORLD

Probe = Callable[[CriminalMarketModel], float]


def _model(lever: dict | None = None, seed: int = 3, **extra) -> CriminalMarketModel:
    overrides = {**SMALL_WORLD, "behaviour.ocg.lethality": 0.0, **extra}
    if lever:
        overrides.update(lever)
    model = CriminalMarketModel(load_scenario(None, overrides), seed=seed)
    model.world.enforcement[:] = 2.0
    model.active_levers = levers.plan(model.spec.strategy, 1, model.world, model.zones)
    model.spend = levers.apply(model.active_levers, model.modifiers)
    return model


def _group(model):
    return max(model.groups, key=lambda g: len(g.members))


def _mean_hazard(model, roles) -> float:
    group = _group(model)
    hazard = policing.arrest_hazards(model, group)
    chosen = [i for i, m in enumerate(group.members) if m.role in roles]
    return float(hazard[chosen].mean())


def _victims(model, state: VictimState, n: int = 400) -> list[Victim]:
    group = _group(model)
    cell = model.world.cell(*group.hub)
    for v in list(model.victims):
        v.remove()
    victims = [Victim(model, group, "exploitation", cell, 0) for _ in range(n)]
    for v in victims:
        v.move(state, 0)
    model.victim_fund = 1e9
    model.steps = 1
    return victims


def _after_transition(model, state: VictimState, reached: VictimState) -> float:
    victims = _victims(model, state)
    victimisation.victim_transitions(model)
    return float(np.mean([v.state is reached for v in victims]))


def _testimonies(model) -> float:
    _victims(model, VictimState.VICTIMISED)
    model.world.enforcement[:] = 50.0  # nearly everyone is rescued, so testimony is what varies
    victimisation.victim_transitions(model)
    return float(len(model.testimonies))


def _violence(model) -> float:
    x, y = _group(model).hub
    for _ in range(300):
        conflict.fight(model, x, y, [_group(model)], 3.0)
    return float(model.world.violence.sum())


def _community(attribute: str) -> Probe:
    def probe(model) -> float:
        for _ in range(24):
            community.respond(model)
        return float(np.mean([getattr(c, attribute) for c in model.communities]))

    return probe


def _exit(model) -> float:
    group = _group(model)
    xs, ys = group.member_coordinates()
    b = model.spec.behaviour.member
    hazard = exit_hazard(b, 0.5, model.world.unemployment[xs, ys], False, model.modifiers.exit[xs, ys])
    return float(hazard.mean())


def _reoffend(model) -> float:
    member = _group(model).members[1]
    x, y = member.cell.coordinate
    return member.reoffend_probability(0.2, 0.3, 0.2, float(model.modifiers.reoffend[x, y]))


def _official_caught(model) -> float:
    official = model.officials[0]
    official.patron = _group(model)
    return official.caught_probability()


def _confiscated(model) -> float:
    group = _group(model)
    group.cash, group.laundered = 1000.0, 1000.0
    policing.confiscate(model, group)
    return model.counters["assets_confiscated"]


def _route_seizure(model) -> float:
    group = _group(model)
    path = np.arange(0, model.world.width * model.world.height, model.world.height + 1)[:10]
    return float(policing.seizure_hazard(model, group, path).mean())


PROBES: dict[str, Probe] = {
    "detection": lambda m: float(
        policing.detection_hazard(m, m.world.enforcement, m.world.reporting, m.modifiers.detection).mean()
    ),
    "street_detection": lambda m: _mean_hazard(m, {Role.SOLDIER}),
    "insulation": lambda m: _mean_hazard(m, {Role.LEADER, Role.LIEUTENANT}),
    "crackdown": lambda m: float(m.police_units[0].allocate(*(np.zeros_like(m.world.activity),) * 3).sum()),
    "interdiction": _route_seizure,
    "confiscation": _confiscated,
    "conviction": lambda m: policing.conviction_probability(m, _group(m), *_group(m).hub),
    "cooperation": lambda m: policing.joint_operation_probability(m, *_group(m).hub),
    "enabler_detection": lambda m: float(np.mean([e.detection_probability() for e in m.enablers])),
    "official_detection": _official_caught,
    "extortion": lambda m: float(_group(m).predation(_group(m).territory())[0].sum()),
    "exploitation": lambda m: float(_group(m).predation(_group(m).territory())[1].sum()),
    "fight_intensity": _violence,
    "exit": _exit,
    "reoffend": _reoffend,
    "identification": lambda m: _after_transition(m, VictimState.VICTIMISED, VictimState.IDENTIFIED),
    "support": lambda m: _after_transition(m, VictimState.IDENTIFIED, VictimState.SUPPORTED),
    "compensation": lambda m: _after_transition(m, VictimState.SUPPORTED, VictimState.COMPENSATED),
    "witness": _testimonies,
    "grievance_relief": _community("grievance"),
    "legitimacy_shift": _community("legitimacy"),
    "trust_shift": _community("trust"),
}
# the probe falls when these modifiers rise (insulation shields leaders from the arrest hazard
# read; relief and counter-narratives lower the grievance and legitimacy read)
INVERSE = {"insulation", "grievance_relief", "legitimacy_shift"}


def test_every_modifier_has_a_probe():
    assert set(PROBES) == {m.name for m in MODIFIERS}


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.name)
def test_each_lever_moves_its_decision(lever):
    switched_on = {f"strategy.{lever.principle}.{lever.name}": {"intensity": 1.0}}
    before = PROBES[lever.modifier](_model())
    after = PROBES[lever.modifier](_model(switched_on))
    direction = np.sign(lever.effect) * (-1 if lever.modifier in INVERSE else 1)
    assert np.sign(after - before) == direction, (before, after)


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.name)
def test_each_lever_touches_only_its_own_modifier(lever):
    model = _model({f"strategy.{lever.principle}.{lever.name}": {"intensity": 0.7}})
    for modifier in MODIFIERS:
        values = getattr(model.modifiers, modifier.name)
        changed = not np.all(values == modifier.neutral)
        assert changed == (modifier.name == lever.modifier), modifier.name


def test_a_targeted_lever_acts_only_in_its_zone():
    model = _model(
        {
            "zones.core": {"rect": [0, 0, 8, 8]},
            "strategy.pursue.hotspot_policing": {"intensity": 1.0, "target": {"zone": "core"}},
        }
    )
    surge = model.modifiers.crackdown
    assert (surge[:8, :8] == LEVERS_BY_NAME["hotspot_policing"].effect).all()
    surge[:8, :8] = 0.0
    assert (surge == 0.0).all()


def test_intelligence_on_a_zone_draws_the_signal_led_officers_there():
    """Units steer their intelligence-led share by signals times what an officer detects where
    (PoliceUnit.relative_yield): the lever on one zone moves effort into it, the same officers."""
    zone = {"zones.core": {"rect": [0, 0, 12, 12]}}
    model = _model(zone)
    targeted = _model(
        {**zone, "strategy.pursue.intelligence": {"intensity": 1.0, "target": {"zone": "core"}}}
    )
    everywhere = _model({"strategy.pursue.intelligence": {"intensity": 1.0}})
    for m in (model, targeted, everywhere):  # the same last-month signals for all three
        m.last_activity[:], m.last_violence[:], m.last_reports[:] = 1.0, 0.0, 0.0
        policing.allocate_effort(m)
    core = np.zeros_like(model.world.enforcement, dtype=bool)
    core[:12, :12] = True
    before, after = model.world.enforcement, targeted.world.enforcement
    assert after.sum() == pytest.approx(before.sum())  # no officer added
    assert after[core].sum() > before[core].sum()
    assert (everywhere.world.enforcement == before).all()  # the same yield everywhere: signals alone


def test_a_jurisdiction_target_follows_the_border():
    model = _model({"strategy.promote.international_cooperation": {"target": {"jurisdiction": "Eastland"}}})
    inside = model.world.jurisdiction == 1
    assert (model.modifiers.cooperation[inside] > 1).all() and (
        model.modifiers.cooperation[~inside] == 1
    ).all()


def test_levers_act_only_inside_their_window():
    spec = {"strategy.pursue.interdiction": {"intensity": 1.0, "start": 5, "end": 8}}
    model = _model(spec)
    active = [bool(levers.plan(model.spec.strategy, step, model.world, model.zones)) for step in range(1, 11)]
    assert active == [False] * 4 + [True] * 3 + [False] * 3


def test_spending_is_charged_to_each_principle_and_scaled_by_coverage():
    everywhere = _model({"strategy.pursue.interdiction": {"intensity": 0.5}})
    assert everywhere.spend["pursue"] == pytest.approx(0.5 * LEVERS_BY_NAME["interdiction"].cost)
    assert everywhere.spend["prevent"] == 0.0
    zone = _model(
        {"zones.z": {"rect": [0, 0, 12, 24]}, "strategy.pursue.interdiction": {"target": {"zone": "z"}}}
    )
    pop = zone.world.population
    share = pop[:12].sum() / pop.sum()
    assert zone.spend["pursue"] == pytest.approx(LEVERS_BY_NAME["interdiction"].cost * share)


def test_a_budget_scales_all_levers_down_in_proportion():
    spec = {
        "strategy.pursue.interdiction": {"intensity": 1.0},
        "strategy.prevent.ways_out": {"intensity": 1.0},
        "strategy.budget": 200.0,
    }
    model = _model(spec)
    total = LEVERS_BY_NAME["interdiction"].cost + LEVERS_BY_NAME["ways_out"].cost
    assert sum(model.spend.values()) == pytest.approx(200.0)
    scale = 200.0 / total
    assert {a.lever.name: a.intensity for a in model.active_levers} == pytest.approx(
        {"interdiction": scale, "ways_out": scale}
    )
    expected = 1 + LEVERS_BY_NAME["interdiction"].effect * scale
    assert model.modifiers.interdiction.max() == pytest.approx(expected)


def test_a_lever_switched_on_mid_run_acts_from_the_next_month():
    model = _model()
    model.step()
    assert model.records[-1]["spend_pursue"] == 0.0
    model.spec.strategy.pursue.interdiction = {"intensity": 1.0}
    model.step()
    assert model.records[-1]["spend_pursue"] > 0.0
    assert model.modifiers.interdiction.max() > 1.0


def test_the_lever_docs_match_the_catalogue():
    from simulation.core.levers.docs import DOCS_PATH, levers_markdown

    assert DOCS_PATH.read_text(encoding="utf-8") == levers_markdown(), (
        "run python -m simulation.core.levers.docs"
    )


def test_the_cli_lists_the_levers():
    from typer.testing import CliRunner

    from simulation.cli.app import app

    result = CliRunner().invoke(app, ["levers", "pursue"])
    assert result.exit_code == 0
    assert "hotspot_policing" in result.output and "victim_rescue" not in result.output
    assert CliRunner().invoke(app, ["levers", "nonsense"]).exit_code == 2
