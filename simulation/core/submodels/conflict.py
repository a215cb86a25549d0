"""Turf and succession: contests over cells, leadership crises, splits and dissolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.agents.member import Role

if TYPE_CHECKING:
    from simulation.core.agents.member import Member
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel


def take_cell(model: CriminalMarketModel, group: OCG, x: int, y: int) -> None:
    model.world.control[x, y] = group.gid
    model.world.control_strength[x, y] = model.spec.behaviour.ocg.takeover_control


def fight(model: CriminalMarketModel, x: int, y: int, sides: list[OCG], intensity: float) -> None:
    """Violent incidents at a cell; each may kill a member of one of the sides."""
    lethality = model.spec.behaviour.ocg.lethality
    incidents = 1 + int(model.rng.poisson(intensity * model.modifiers.fight_intensity[x, y]))
    model.world.violence[x, y] += incidents
    for _ in range(incidents):
        if model.rng.random() >= lethality:
            continue
        side = sides[int(model.rng.integers(len(sides)))]
        soldiers = [m for m in side.members if m.role is not Role.LEADER]
        pool = soldiers or side.members
        if pool:
            victim = pool[int(model.rng.integers(len(pool)))]
            model.counters["homicides"] += 1
            victim.die_or_exit()


def contest(model: CriminalMarketModel, attacker: OCG, x: int, y: int, win_probability: float) -> None:
    """An attack on a rival's cell: violence either way, the cell changes hands if it succeeds."""
    world = model.world
    b = model.spec.behaviour.ocg
    defender = model.group_by_gid.get(int(world.control[x, y]))
    attacker.cash -= b.contest_cost * b.attack_cost_share
    attacker.costs += b.contest_cost * b.attack_cost_share
    sides = [attacker] + ([defender] if defender is not None else [])
    fight(model, x, y, sides, b.contest_intensity * (1.0 + float(world.control_strength[x, y])))
    if model.rng.random() < win_probability:
        take_cell(model, attacker, x, y)
    else:
        world.control_strength[x, y] = min(1.0, world.control_strength[x, y] + b.repelled_control_gain)


def succession(model: CriminalMarketModel, group: OCG) -> None:
    """A group whose leader fell picks a new one; the rivals who think a claim worth fighting for
    contest it, and the group holds together as much as the heir dominates them.

    Claims are lieutenants' experience, blurred by ``succession_noise_months``. A rival contests
    when his chance of winning (a Tullock contest: his claim over his and the heir's) times the
    prize (the cash the leader will command) exceeds the cost of a fight (``contest_cost``).
    Cohesion is then multiplied by the heir's share of the contested claims: an undisputed heir
    keeps the group together, several even claims tear it apart. The strongest rival becomes the
    challenger of a power struggle that may split the group.
    """
    b = model.spec.behaviour.ocg
    group.leader_lost = False
    free = group.members
    if not free:
        return
    claims = sorted(
        (
            (m.experience + float(model.rng.normal(0.0, b.succession_noise_months)), m)
            for m in free
            if m.role is Role.LIEUTENANT
        ),
        key=lambda pair: -pair[0],
    )
    if not claims:
        claims = [(m.experience, m) for m in sorted(free, key=lambda m: -m.experience)[:1]]
    heir_claim, heir = max(claims[0][0], 1e-9), claims[0][1]
    prize = max(group.cash, 0.0)
    rivals = [
        (claim, m)
        for claim, m in claims[1:]
        if claim > 0 and claim / (claim + heir_claim) * prize > b.contest_cost
    ]
    group.cohesion *= heir_claim / (heir_claim + sum(claim for claim, _ in rivals))
    heir.role = Role.LEADER
    group.leader = heir
    group.challenger = rivals[0][1] if rivals else None
    power_struggle(model, group)


def power_struggle(model: CriminalMarketModel, group: OCG) -> None:
    """A month of the challenger's fight for the leadership, until cohesion settles it.

    While the group is divided (cohesion below ``settled_cohesion``) the challenger's camp fights
    the leader's, more fiercely the more divided the group; each month the challenger may walk
    away with a part of the group, the likelier the closer the two claims and the weaker the bond.
    """
    b = model.spec.behaviour.ocg
    challenger, leader = group.challenger, group.leader
    if (
        challenger is None
        or leader is None
        or challenger.group is not group
        or group.cohesion >= b.settled_cohesion
    ):
        group.challenger = None
        return
    division = (b.settled_cohesion - group.cohesion) / b.settled_cohesion
    fight(
        model,
        *challenger.cell.coordinate,
        [group],
        b.struggle_base_intensity + b.struggle_escalation * division,
    )
    if challenger.group is not group:  # killed in the fighting
        group.challenger = None
        return
    wants_out = model.rng.random() < split_probability(model, group, leader, challenger)
    if wants_out and group.faction_can_hold(challenger):
        group.challenger = None
        group.split_off(challenger)


def split_probability(model: CriminalMarketModel, group: OCG, leader: Member, challenger: Member) -> float:
    """The challenger's monthly urge to walk away: close claims and a weak bond make it likely.

    He acts on it only if his camp could hold what he would take (``OCG.faction_can_hold``).
    """
    closeness = 1.0 - abs(leader.experience - challenger.experience) / (
        leader.experience + challenger.experience + 1.0
    )
    b = model.spec.behaviour.ocg
    return min(b.max_split, b.split_propensity * closeness * (1.0 - group.cohesion))


def settle_leadership(model: CriminalMarketModel) -> None:
    """Phase P11: groups whose leader fell pick a new one; running power struggles go on.

    Groups are visited in order as at the start of the phase; a group split off here waits.
    """
    for group in list(model.groups):
        if group.leader_lost or (group.leader is None and group.active):
            succession(model, group)
        elif group.challenger is not None:
            power_struggle(model, group)


def dissolve_empty_groups(model: CriminalMarketModel) -> None:
    """Phases P12 and P14: groups with nobody left at liberty, or no cell left, disappear.

    A group that lost its last cell has no market, nothing to extort and no base to return to.
    """
    for group in list(model.groups):
        if not group.active or not group.territory().any():
            group.dissolve()


def firm_up_control(model: CriminalMarketModel) -> None:
    """Phase P15: held cells firm up toward the holder's cohesion; police pressure erodes them."""
    w, b = model.world, model.spec.behaviour
    held = w.control >= 0
    cohesion = np.zeros(model.next_gid)
    for g in model.groups:
        cohesion[g.gid] = g.cohesion
    target = np.where(held, cohesion[np.maximum(w.control, 0)], 0.0)
    pressure = b.policing.control_erosion * w.enforcement / max(1e-9, model.mean_effort)
    strength = (
        w.control_strength + b.ocg.control_consolidation * (target - w.control_strength) - pressure * held
    )
    w.control_strength[:] = np.where(held, np.clip(strength, b.ocg.min_control, 1.0), 0.0)
