"""Victims' paths: harm, identification and rescue, support, compensation, recovery."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.agents.victim import Victim, VictimState

if TYPE_CHECKING:
    from simulation.agents.ocg import OCG
    from simulation.model import CriminalMarketModel

COMPENSATION_COST = 5.0
"""k paid to a victim from the victims' fund."""
EXPLOITATION_INCOME = 0.3
"""k a month an exploited victim earns the group exploiting them."""
FORGET_AFTER = 12
"""Months after recovery when a victim leaves the simulation's books."""
WITNESS_MONTHS = 12


def victimise(model: CriminalMarketModel, group: OCG, x: int, y: int, kind: str) -> None:
    """A new victim; someone recovered in the same cell may be harmed again instead."""
    model.counters["new_victims"] += 1
    model.world.victimisation[x, y] += 1
    cell = model.world.cell(x, y)
    for agent in cell.agents:
        if isinstance(agent, Victim) and agent.state is VictimState.RECOVERED:
            agent.revictimise(group)
            return
    model.victims.append(Victim(model, group, kind, cell))


def victim_transitions(model: CriminalMarketModel) -> None:
    """Each victim's month: rescue depends on police effort and reporting where they are."""
    world, b = model.world, model.spec.behaviour.victim
    rng = model.rng
    keep = []
    for victim in model.victims:
        victim.months_in_state += 1
        x, y = victim.cell.coordinate
        state = victim.state
        if state is VictimState.VICTIMISED:
            group = victim.group
            if group is None or group not in model.groups:
                victim.move(VictimState.IDENTIFIED)  # the exploiter is gone: freed
            else:
                rate = b.identification_rate * model.modifiers.identification
                chance = 1.0 - np.exp(-rate * world.enforcement[x, y] * (1.0 + world.reporting[x, y]))
                if rng.random() < chance + b.escape_rate:
                    victim.move(VictimState.IDENTIFIED)
                    model.counters["rescues"] += 1
                    trust = float(world.reporting[x, y])
                    if rng.random() < b.witness_propensity * model.modifiers.witness * (0.5 + trust):
                        victim.witness = True
                elif victim.kind == "exploitation":
                    group.cash += EXPLOITATION_INCOME
                    group.revenue += EXPLOITATION_INCOME
        elif state is VictimState.IDENTIFIED:
            if rng.random() < b.support_rate * model.modifiers.support:
                victim.move(VictimState.SUPPORTED)
            else:
                _revictimised(model, victim, x, y)
        elif state is VictimState.SUPPORTED:
            if model.victim_fund >= COMPENSATION_COST and rng.random() < b.compensation_rate * model.modifiers.compensation:
                model.victim_fund -= COMPENSATION_COST
                model.counters["victims_compensated"] += 1
                victim.move(VictimState.COMPENSATED)
            elif rng.random() < b.recovery_rate:
                victim.move(VictimState.RECOVERED)
        elif state is VictimState.COMPENSATED:
            if rng.random() < b.recovery_rate * 1.5:
                victim.move(VictimState.RECOVERED)
        elif state is VictimState.RECOVERED:
            if victim.months_in_state > FORGET_AFTER:
                victim.remove()
                continue
            _revictimised(model, victim, x, y)
        if victim.witness and victim.months_in_state > WITNESS_MONTHS and victim.state is not VictimState.IDENTIFIED:
            victim.witness = False
        keep.append(victim)
    model.victims = keep


def _revictimised(model: CriminalMarketModel, victim: Victim, x: int, y: int) -> bool:
    """People without support, where a group still rules, are at risk of being harmed again."""
    owner = int(model.world.control[x, y])
    if owner < 0:
        return False
    rate = model.spec.behaviour.victim.revictimisation_rate * model.world.control_strength[x, y]
    if model.rng.random() < rate:
        group = model.group_by_gid.get(owner)
        if group is not None:
            victim.revictimise(group)
            model.counters["new_victims"] += 1
            model.world.victimisation[x, y] += 1
            return True
    return False
