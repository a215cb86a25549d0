"""Each mechanism on its own: the decision responds to what it should, and only that."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from simulation.core.agents.member import Role, recruitment_pool
from simulation.core.agents.official import PublicOfficial, protection_of
from simulation.core.agents.victim import VictimState
from simulation.core.routing import route_options
from simulation.core.submodels import conflict, victimisation
from tests.conftest import small_model


def _route(model, group) -> np.ndarray:
    group.expected_sales = 10.0
    group.cash = 1e6
    group.smuggle(route_options(model))
    return group.route


def _route_risk(model, path: np.ndarray) -> float:
    return float(model.world.enforcement.ravel()[path[1:-1]].sum())


def test_route_choice_avoids_a_risky_corridor():
    model = small_model(behaviour__ocg__rationality=100.0, behaviour__ocg__risk_aversion=1.0)
    group = model.groups[0]
    model.world.enforcement[:] = 0.0
    calm = _route(model, group)
    assert calm.size > 2
    corridor = calm[1:-1]
    model.world.enforcement.ravel()[corridor] = 30.0
    rerouted = _route(model, group)
    shared = np.intersect1d(rerouted[1:-1], corridor).size
    assert shared < corridor.size / 2, "the group kept most of the policed corridor"
    assert _route_risk(model, rerouted) < _route_risk(model, calm)


def test_a_risk_neutral_group_ignores_the_corridor_policing():
    model = small_model(behaviour__ocg__rationality=100.0, behaviour__ocg__risk_aversion=0.0)
    group = model.groups[0]
    model.world.enforcement[:] = 0.0
    calm = _route(model, group)
    model.world.enforcement.ravel()[calm[1:-1]] = 30.0
    assert np.array_equal(_route(model, group), calm)


def _recruits_under(unemployment: float, seeds=range(8), months=6) -> int:
    total = 0
    for seed in seeds:
        model = small_model(seed)
        model.world.unemployment[:] = unemployment
        for group in model.groups:
            group.cash = 1e6
            group.expected_sales = 500.0  # the market wants many more hands than it has
            for _ in range(months):
                total += group.recruit(group.territory(), recruitment_pool(model))
    return total


def test_recruitment_rises_with_unemployment():
    low, high = _recruits_under(0.03), _recruits_under(0.40)
    # Poisson counts: the difference must exceed three standard errors of the two totals.
    assert high - low > 3 * np.sqrt(high + low), (low, high)


def test_recruitment_needs_vacancies_and_money():
    model = small_model()
    group = model.groups[0]
    group.cash = 0.0
    assert group.recruit(group.territory(), recruitment_pool(model)) == 0


def _official(model, integrity: float) -> PublicOfficial:
    return PublicOfficial(model, block=0, integrity=integrity, cell=model.world.cell(0, 0))


def test_bribes_fail_against_high_integrity():
    model = small_model()
    group = model.groups[0]
    threshold = model.spec.behaviour.corruption.bribe_threshold
    offer = 0.5 * threshold
    honest = [_official(model, 0.95) for _ in range(200)]
    venal = [_official(model, 0.05) for _ in range(200)]
    assert sum(o.consider_bribe(offer, group) for o in honest) == 0
    assert sum(o.consider_bribe(offer, group) for o in venal) == 200


def test_bribe_acceptance_falls_as_integrity_rises():
    model = small_model()
    group = model.groups[0]
    offer = 0.6 * model.spec.behaviour.corruption.bribe_threshold
    rates = []
    for integrity in (0.2, 0.5, 0.8):
        officials = [_official(model, integrity) for _ in range(300)]
        rates.append(np.mean([o.consider_bribe(offer, group) for o in officials]))
    assert rates[0] > rates[1] > rates[2]


def test_integrity_measures_make_bribes_less_tempting_without_a_switch():
    """The integrity lever raises the hazard of being caught: temptation falls smoothly as
    scrutiny rises, and a large enough bribe still tempts (a trade-off, not a switch to zero)."""
    model = small_model()
    official = _official(model, 0.5)
    offer = 2.0 * model.spec.behaviour.corruption.bribe_threshold
    temptations = []
    for scrutiny in (1.0, 3.0, 5.0, 20.0):
        model.modifiers.official_detection[:] = scrutiny
        temptations.append(official.temptation(offer))
    assert all(a > b for a, b in pairwise(temptations)), temptations
    model.modifiers.official_detection[:] = 20.0
    assert official.temptation(100.0 * offer) > 1.0


def test_a_corrupt_official_protects_only_the_paying_group_in_their_block():
    model = small_model()
    payer, other = model.groups[0], model.groups[1]
    official = _official(model, 0.0)
    assert official.consider_bribe(100.0, payer)
    payer.payroll.append(official)
    protection = protection_of(model, payer)
    in_block = model.world.block == official.block
    assert protection[in_block].min() > 0 and protection[~in_block].max() == 0
    assert protection_of(model, other).max() == 0


ALLOWED = {
    (VictimState.VICTIMISED, VictimState.IDENTIFIED),
    (VictimState.IDENTIFIED, VictimState.SUPPORTED),
    (VictimState.IDENTIFIED, VictimState.VICTIMISED),
    (VictimState.SUPPORTED, VictimState.COMPENSATED),
    (VictimState.SUPPORTED, VictimState.RECOVERED),
    (VictimState.COMPENSATED, VictimState.RECOVERED),
    (VictimState.RECOVERED, VictimState.VICTIMISED),
}


def test_victims_move_through_their_states():
    model = small_model(behaviour__victim__compensation_fund=1000.0)
    group = model.groups[0]
    x, y = group.hub
    for _ in range(60):
        victimisation.Victim(model, group, "exploitation", model.world.cell(x, y), model.steps)
    model.world.enforcement[:] = 5.0
    model.victim_fund = 1e6
    seen = set()
    for month in range(1, 60):
        model.steps = month
        before = {id(v): v.state for v in model.victims}
        victimisation.victim_transitions(model)
        for v in model.victims:
            if before.get(id(v), v.state) != v.state:
                seen.add((before[id(v)], v.state))
    assert seen <= ALLOWED, seen - ALLOWED
    reached = {after for _, after in seen}
    assert {VictimState.IDENTIFIED, VictimState.SUPPORTED, VictimState.RECOVERED} <= reached
    assert model.counters["rescues"] > 0


def _leaderless_group(model, cohesion: float):
    group = model.groups[0]
    lieutenants = [m for m in group.members if m.role is not Role.LEADER][:2]
    for m in lieutenants:
        m.role = Role.LIEUTENANT
        m.experience = 40
    for m in group.members:
        if m.role is Role.LIEUTENANT and m not in lieutenants:
            m.role = Role.SOLDIER
    far = [int(c) for c in np.argwhere(group.territory())[-1]]
    lieutenants[1].cell = model.world.cell(*far)
    group.leader.die_or_exit()
    group.cohesion = cohesion
    group.cash = 1e6  # a prize worth fighting for
    return group


def _splits(cohesion: float, propensity: float, seeds=range(40)) -> int:
    """Splits of leaderless groups whose members all stand with the far lieutenant (a camp that
    can hold the cells nearer him)."""
    splits = 0
    for seed in seeds:
        model = small_model(seed, behaviour__ocg__split_propensity=propensity)
        group = _leaderless_group(model, cohesion=cohesion)
        far = next(m for m in group.members if m.role is Role.LIEUTENANT and m.cell.coordinate != group.hub)
        for m in group.members:
            m.cell = far.cell
        before = len(model.groups)
        conflict.succession(model, group)
        assert group.leader is not None and group.leader.role is Role.LEADER
        splits += len(model.groups) > before
    return splits


def test_a_leaderless_group_can_split():
    assert _splits(cohesion=0.5, propensity=2.0) > 0


def test_a_challenger_walks_away_only_with_a_camp_that_can_hold_its_turf():
    model = small_model()
    group = model.groups[0]
    challenger = next(m for m in group.members if m is not group.leader)
    cells = np.argwhere(group.territory())
    hx, hy = group.hub
    far = max(cells, key=lambda c: (c[0] - hx) ** 2 + (c[1] - hy) ** 2)
    challenger.cell = model.world.cell(*(int(v) for v in far))
    for m in group.members:  # everyone else stands with the leader at the hub
        if m is not challenger:
            m.cell = model.world.cell(hx, hy)
    assert not group.faction_can_hold(challenger), "one man cannot hold the cells nearer him"
    for m in group.members:  # now the whole group stands with the challenger
        m.cell = challenger.cell
    assert group.faction_can_hold(challenger)
    group.cohesion, group.challenger = 0.0, challenger
    for m in group.members:
        if m is not challenger:
            m.cell = model.world.cell(hx, hy)
    group.leader.experience = challenger.experience  # the urge to split is at its ceiling
    before = len(model.groups)
    for _ in range(20):
        conflict.power_struggle(model, group)
        group.cohesion = 0.0
    assert len(model.groups) == before, "a splinter too small for its turf was founded"


def test_a_group_that_lost_its_last_cell_breaks_up():
    model = small_model()
    landless, other = model.groups[0], model.groups[1]
    members = list(landless.members)
    model.world.control[landless.territory()] = -1
    conflict.dissolve_empty_groups(model)
    assert landless not in model.groups and other in model.groups
    assert all(m.group is None for m in members), "its members left crime"


def test_cohesive_groups_split_less_often():
    model = small_model()
    group = model.groups[0]
    leader, challenger = group.members[0], group.members[1]
    leader.experience, challenger.experience = 40, 35
    chances = []
    for cohesion in (0.1, 0.4, 0.7):
        group.cohesion = cohesion
        chances.append(conflict.split_probability(model, group, leader, challenger))
    assert chances[0] > chances[1] > chances[2] > 0


def test_close_claims_split_more_often():
    model = small_model()
    group = model.groups[0]
    group.cohesion = 0.4
    leader, challenger = group.members[0], group.members[1]
    leader.experience, challenger.experience = 40, 38
    close = conflict.split_probability(model, group, leader, challenger)
    challenger.experience = 5
    assert close > conflict.split_probability(model, group, leader, challenger)


def test_a_power_struggle_is_violent_and_ends_when_cohesion_recovers():
    model = small_model()
    group = _leaderless_group(model, cohesion=1.0)
    conflict.succession(model, group)
    assert group.challenger is not None or len(model.groups) > 4
    assert model.world.violence.sum() > 0
    if group.challenger is not None:
        group.cohesion = model.spec.behaviour.ocg.settled_cohesion
        conflict.power_struggle(model, group)
        assert group.challenger is None


def test_no_split_without_rivalry():
    assert _splits(cohesion=0.3, propensity=0.0, seeds=range(10)) == 0


def test_a_contested_succession_costs_cohesion_by_the_heirs_share_of_the_claims():
    model = small_model()
    group = _leaderless_group(model, cohesion=0.8)
    conflict.succession(model, group)
    assert model.world.violence.sum() > 0  # two even claims and a rich group: the rival fights
    assert 0.8 * 0.3 < group.cohesion < 0.8 * 0.7  # an even contest: about half the bond is lost


def test_an_undisputed_heir_keeps_the_group_together():
    poor = small_model()
    group = _leaderless_group(poor, cohesion=0.8)
    group.cash = 0.0  # nothing to fight over: the rival's expected prize is below a fight's cost
    conflict.succession(poor, group)
    assert group.challenger is None and group.cohesion == 0.8
    lone = small_model(behaviour__ocg__succession_noise_months=0.0)
    group = _leaderless_group(lone, cohesion=0.8)
    group.cash = 100.0  # worth a fight for an even claim (50 k > 30 k), not for a weak one
    lieutenants = [m for m in group.members if m.role is Role.LIEUTENANT]
    lieutenants[1].experience = 1  # a weak claim: 1 / 41 of the prize is not worth a fight
    conflict.succession(lone, group)
    assert group.challenger is None and group.cohesion == 0.8


def test_demand_falls_as_price_rises():
    model = small_model()
    group = model.groups[0]
    base = np.ones(5)
    assert (group.demand_at(20.0, base) < group.demand_at(10.0, base)).all()


def test_seizures_are_passed_on_in_the_price():
    prices = {}
    for label, effort in (("calm", 0.0), ("policed", 20.0)):
        model = small_model(behaviour__ocg__rationality=100.0)
        group = model.groups[0]
        for _ in range(12):
            model.world.enforcement[:] = effort
            group.cash, group.expected_sales = 1e6, 20.0
            group.smuggle(route_options(model))
            group.set_price()
        prices[label] = group.price
    assert prices["policed"] > prices["calm"]


def _testimonies(strength: float, trust: float, protection: float = 1.0, seed: int = 5) -> int:
    """Rescued victims of a group who testify, where the group holds their home this firmly."""
    model = small_model(seed)
    group = model.groups[0]
    x, y = group.hub
    for _ in range(400):
        victimisation.Victim(model, group, "exploitation", model.world.cell(x, y), model.steps)
    model.world.enforcement[:] = 500.0  # everyone is rescued: what varies is who testifies
    model.world.control_strength[x, y] = strength
    model.world.police_trust[x, y] = trust
    model.modifiers.witness[:] = protection
    victimisation.victim_transitions(model)
    return len(model.testimonies)


def test_victims_testify_by_trust_against_fear_of_the_group():
    """Same seed, same draws: only the victim's situation differs. Witness protection divides
    the fear of the group, so it gives back testimony where the group holds firmly."""
    trusting, wary = _testimonies(0.2, 0.8), _testimonies(0.2, 0.1)
    afraid, protected = _testimonies(0.9, 0.8), _testimonies(0.9, 0.8, protection=3.0)
    assert trusting > wary
    assert trusting > afraid
    assert protected > afraid


def test_enablers_weigh_a_clients_fee_against_the_risk_it_adds():
    """The same client is worth serving under little scrutiny and turned away under much; and a
    busier enabler (more fee income at stake) is the more careful."""
    model = small_model()
    group = model.groups[0]
    enabler = next(iter(model.enablers))
    for client in list(enabler.clients):
        enabler.drop_client(client)
    enabler.handled.clear()
    business = 200.0
    assert enabler.worth_serving(group, business)
    model.modifiers.enabler_detection[:] = 20.0
    assert not enabler.worth_serving(group, business)
    model.modifiers.enabler_detection[:] = 1.0
    enabler.handled.update({1000 + i: 2000.0 for i in range(3)})  # three big clients already
    assert not enabler.worth_serving(group, business)
