"""Turf and succession: contests over cells, leadership crises, splits and dissolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.agents.member import Role

if TYPE_CHECKING:
    from simulation.agents.member import Member
    from simulation.agents.ocg import OCG
    from simulation.model import CriminalMarketModel

TAKEOVER_STRENGTH = 0.3
"""Control strength of a freshly taken cell."""


def take_cell(model: CriminalMarketModel, group: OCG, x: int, y: int) -> None:
    model.world.control[x, y] = group.gid
    model.world.control_strength[x, y] = TAKEOVER_STRENGTH


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
    defender = model.group_by_gid.get(int(world.control[x, y]))
    attacker.cash -= model.spec.behaviour.ocg.contest_cost * 0.5
    attacker.costs += model.spec.behaviour.ocg.contest_cost * 0.5
    sides = [attacker] + ([defender] if defender is not None else [])
    fight(model, x, y, sides, 1.5 * (1.0 + float(world.control_strength[x, y])))
    if model.rng.random() < win_probability:
        take_cell(model, attacker, x, y)
    else:
        world.control_strength[x, y] = min(1.0, world.control_strength[x, y] + 0.1)


def succession(model: CriminalMarketModel, group: OCG) -> None:
    """A group whose leader fell picks a new one; rival contenders may fight and split it."""
    group.leader_lost = False
    group.cohesion = max(0.0, group.cohesion - 0.35)
    free = group.members
    if not free:
        return
    contenders = sorted(
        (m for m in free if m.role is Role.LIEUTENANT),
        key=lambda m: -(m.experience + float(model.rng.normal(0.0, 6.0))),
    )
    if not contenders:
        contenders = sorted(free, key=lambda m: -m.experience)[:1]
    heir = contenders[0]
    heir.role = Role.LEADER
    group.leader = heir
    if len(contenders) < 2:
        return
    challenger = contenders[1]
    # succession fight: both camps trade blows at the hub
    fight(model, *group.hub, [group], 1.0 + 0.5 * len(contenders))
    if challenger.group is not group:
        return
    b = model.spec.behaviour.ocg
    closeness = 1.0 - abs(heir.experience - challenger.experience) / (
        heir.experience + challenger.experience + 1.0
    )
    p_split = min(0.95, b.split_propensity * closeness * (1.0 - group.cohesion))
    if model.rng.random() < p_split:
        split(model, group, challenger)


def split(model: CriminalMarketModel, group: OCG, challenger: Member) -> OCG | None:
    """The challenger walks away with the part of the territory and the people nearest to them."""
    world = model.world
    territory = group.territory()
    xs, ys = np.nonzero(territory)
    cx, cy = challenger.cell.coordinate
    lx, ly = group.hub
    nearer = (xs - cx) ** 2 + (ys - cy) ** 2 < (xs - lx) ** 2 + (ys - ly) ** 2
    if not nearer.any():
        nearer = (xs == cx) & (ys == cy)
        if not nearer.any():
            return None
    new = model.new_group(hub=(cx, cy), cash=0.0)
    share = float(nearer.mean())
    new.cash = group.cash * share
    group.cash -= new.cash
    new.cohesion = 0.6
    world.control[xs[nearer], ys[nearer]] = new.gid
    challenger.leave_group()
    challenger.group = new
    challenger.role = Role.LEADER
    new.members.append(challenger)
    new.leader = challenger
    new_territory = world.control == new.gid
    for m in list(group.members):
        if m.role is not Role.LEADER and new_territory[m.cell.coordinate]:
            group.members.remove(m)
            m.group = new
            new.members.append(m)
    model.counters["splits"] += 1
    return new


def dissolve(model: CriminalMarketModel, group: OCG) -> None:
    """A group with nobody left at liberty disappears; its turf becomes a vacuum."""
    world = model.world
    territory = group.territory()
    world.control[territory] = -1
    world.control_strength[territory] = 0.0
    for official in list(group.payroll):
        official.end_corruption()
    for enabler in list(group.enablers.values()):
        enabler.drop_client(group)
    for member in list(group.members):
        member.die_or_exit()
    model.retire_group(group)
