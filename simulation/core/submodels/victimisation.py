"""Victims' paths: harm, identification and rescue, support, compensation, recovery.

The monthly transitions are drawn for all victims at once (numpy over the victim list); only
victims whose state changes are touched one by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.agents.victim import Victim, VictimState

if TYPE_CHECKING:
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel

_CODES = {state: i for i, state in enumerate(VictimState)}
VICTIMISED, IDENTIFIED, SUPPORTED, COMPENSATED, RECOVERED = range(len(VictimState))


def open_month(model: CriminalMarketModel) -> None:
    """Phase P1: the month's payment into the victims' fund; testimonies still running counted."""
    model.victim_fund += model.spec.behaviour.victim.compensation_fund
    model.testimonies = [(gid, until) for gid, until in model.testimonies if until >= model.steps]
    model.witnesses = {}
    for gid, _ in model.testimonies:
        model.witnesses[gid] = model.witnesses.get(gid, 0) + 1


def witnesses_against(model: CriminalMarketModel, group: OCG) -> int:
    """Victims whose testimony against the group is still helping prosecutions."""
    return model.witnesses.get(group.gid, 0)


def victimise(model: CriminalMarketModel, group: OCG, x: int, y: int, kind: str) -> None:
    """A new victim; someone recovered in the same cell may be harmed again instead."""
    model.counters["new_victims"] += 1
    model.world.victimisation[x, y] += 1
    cell = model.world.cell(x, y)
    for agent in cell.agents:
        if isinstance(agent, Victim) and agent.state is VictimState.RECOVERED:
            agent.revictimise(group, model.steps, kind)
            return
    Victim(model, group, kind, cell, model.steps)


def victim_transitions(model: CriminalMarketModel) -> None:
    """Phase P18, each victim's month: rescue depends on police effort and reporting where they are.

    A list of the victim set is taken once: the draws below are vectorised over it.
    """
    victims = list(model.victims)
    if not victims:
        return
    world, b, rng, mod = model.world, model.spec.behaviour.victim, model.rng, model.modifiers
    n = len(victims)
    xs = np.fromiter((v.x for v in victims), int, n)
    ys = np.fromiter((v.y for v in victims), int, n)
    state = np.fromiter((_CODES[v.state] for v in victims), int, n)
    months = model.steps - np.fromiter((v.since for v in victims), int, n)
    held_by = np.fromiter(
        (
            v.group.gid if v.group is not None and model.group_by_gid.get(v.group.gid) is v.group else -1
            for v in victims
        ),
        int,
        n,
    )
    effort, reporting = world.enforcement[xs, ys], world.reporting[xs, ys]
    trust = world.police_trust[xs, ys]
    # the victim's fear of the group: how firmly it holds where they live, eased by witness protection
    fear = world.control_strength[xs, ys] * (held_by >= 0) / mod.witness[xs, ys]
    first, second = rng.random(n), rng.random(n)

    police = 1.0 - np.exp(-b.identification_rate * mod.identification[xs, ys] * effort * (1.0 + reporting))
    exploited = state == VICTIMISED
    freed = exploited & (held_by < 0)
    rescued = exploited & ~freed & (first < police)
    # a victim comes forward when trust in the police outweighs fear of the group (and its resolve)
    comes_forward = b.escape_rate * np.clip(trust - fear, 0.0, 1.0) / max(b.forward_reference_trust, 1e-9)
    escaped = exploited & ~freed & ~rescued & (first < police + comes_forward)
    # a rescued victim testifies when trust (and the state's support) outweighs fear of the group
    testifies = rescued & (
        second < b.witness_propensity * (b.testimony_base + trust) * np.clip(1.0 - fear, 0.0, 1.0)
    )
    still = exploited & ~freed & ~rescued & ~escaped

    owner = world.control[xs, ys]
    revictim_risk = b.revictimisation_rate * world.control_strength[xs, ys] * (owner >= 0)
    supported = (state == IDENTIFIED) & (first < b.support_rate * mod.support[xs, ys])
    identified_harmed = (state == IDENTIFIED) & ~supported & (second < revictim_risk)
    compensate = (state == SUPPORTED) & (first < b.compensation_rate * mod.compensation[xs, ys])
    recover = ((state == SUPPORTED) & ~compensate & (second < b.recovery_rate)) | (
        (state == COMPENSATED) & (first < b.recovery_rate * b.compensated_recovery_factor)
    )
    forget = (state == RECOVERED) & (months > b.forget_after_months)
    recovered_harmed = (state == RECOVERED) & ~forget & (second < revictim_risk)

    income = np.bincount(held_by[still & _exploitation(victims)], minlength=model.next_gid)
    for gid in np.nonzero(income)[0]:
        model.group_by_gid[int(gid)].earn(model.spec.behaviour.ocg.exploitation_income * float(income[gid]))

    model.counters["rescues"] += float(rescued.sum())
    for i in np.nonzero(freed | rescued | escaped)[0]:
        victims[i].move(VictimState.IDENTIFIED, model.steps)
    for i in np.nonzero(testifies)[0]:
        model.testimonies.append((int(held_by[i]), model.steps + b.testimony_months))
    for i in np.nonzero(supported)[0]:
        victims[i].move(VictimState.SUPPORTED, model.steps)
    for i in np.nonzero(compensate)[0]:
        if model.victim_fund < b.compensation_amount:
            break
        model.victim_fund -= b.compensation_amount
        model.counters["victims_compensated"] += 1
        victims[i].move(VictimState.COMPENSATED, model.steps)
    for i in np.nonzero(recover)[0]:
        victims[i].move(VictimState.RECOVERED, model.steps)
    for i in np.nonzero(identified_harmed | recovered_harmed)[0]:
        group = model.group_by_gid.get(int(owner[i]))
        if group is not None:
            victims[i].revictimise(group, model.steps)
            model.counters["new_victims"] += 1
            world.victimisation[xs[i], ys[i]] += 1
    for i in np.nonzero(forget)[0]:
        victims[i].remove()


def _exploitation(victims: list[Victim]) -> np.ndarray:
    return np.fromiter((v.kind == "exploitation" for v in victims), bool, len(victims))
