"""Policing: effort allocation, detection, arrests, prosecution, prison and confiscation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.agents.member import Role
from simulation.core.agents.official import PoliceUnit, protection_of
from simulation.core.events import record_event
from simulation.core.submodels.victimisation import witnesses_against

if TYPE_CHECKING:
    from simulation.core.agents.member import Member
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel


def populate(model: CriminalMarketModel) -> None:
    """Police units: each jurisdiction's police split into units patrolling bands of rows."""
    w, spec = model.world, model.spec.world.police
    for j, jurisdiction in enumerate(model.spec.world.jurisdictions):
        area = w.jurisdiction == j
        bands = np.array_split(np.arange(w.height), spec.units_per_jurisdiction)
        for band in bands:
            precinct = area & np.isin(w.ys, band)
            effort = spec.officers_per_unit * jurisdiction.state_capacity
            PoliceUnit(model, j, precinct, effort)


def detection_hazard(
    model: CriminalMarketModel, effort: np.ndarray, reporting: np.ndarray, boost: np.ndarray | float
) -> np.ndarray:
    """Monthly chance that police effort in a cell detects one exposed member.

    ``boost`` is the ``detection`` modifier at the same cells (intelligence levers).
    """
    b = model.spec.behaviour.policing
    rate = (
        b.detection_rate
        * (b.base_detection_share + b.intelligence)
        * effort
        * (1.0 + b.report_weight * reporting)
    )
    return 1.0 - np.exp(-rate * boost)


def seizure_hazard(model: CriminalMarketModel, group: OCG, path: np.ndarray) -> np.ndarray:
    """Per-cell chance a consignment on ``path`` is seized (protection and concealment cut it)."""
    world, b = model.world, model.spec.behaviour
    effort = world.enforcement.ravel()[path]
    boost = model.modifiers.interdiction.ravel()[path]
    hazard = 1.0 - np.exp(-b.policing.interdiction_rate * effort * boost)
    protection = protection_of(model, group).ravel()[path]
    concealment = b.enabler.concealment if "transporter" in group.enablers else 0.0
    return hazard * (1.0 - protection) * (1.0 - concealment)


def allocate_effort(model: CriminalMarketModel) -> None:
    """Phase P3-P4: every police unit decides where its officers go this month."""
    world = model.world
    activity, violence, reports = (
        model.last_activity,
        model.last_violence,
        model.last_reports,
    )
    effort = np.zeros_like(world.enforcement)
    for unit in model.police_units:
        effort += unit.allocate(activity, violence, reports)
    world.enforcement[:] = effort
    model.mean_effort = float(world.enforcement.mean())


def arrest_hazards(
    model: CriminalMarketModel, group: OCG, hazard_map: np.ndarray | None = None
) -> np.ndarray:
    """Each member's chance of arrest this month, where they stand.

    Police detection at the cell, raised for soldiers by broad arrests, cut by the officials the
    group pays, a forger's cover, and (for leaders and lieutenants) insulation.
    """
    world, b, mod = model.world, model.spec.behaviour, model.modifiers
    if hazard_map is None:
        hazard_map = detection_hazard(model, world.enforcement, world.reporting, mod.detection)
    insulation = {
        Role.LEADER: b.member.leader_insulation,
        Role.LIEUTENANT: b.member.lieutenant_insulation,
        Role.SOLDIER: 0.0,
    }
    xs, ys = group.member_coordinates()
    hazard = hazard_map[xs, ys]
    protection = protection_of(model, group)[xs, ys]
    cover = b.enabler.cover if "forger" in group.enablers else 0.0
    shield = np.array([insulation[m.role] for m in group.members]) * mod.insulation[xs, ys]
    soldier = np.array([m.role is Role.SOLDIER for m in group.members])
    street = np.where(soldier, mod.street_detection[xs, ys], 1.0)
    hazard = 1.0 - (1.0 - hazard) ** street
    return hazard * (1.0 - protection) * (1.0 - cover) * (1.0 - np.minimum(shield, 1.0))


def arrest_members(model: CriminalMarketModel) -> None:
    """Phase P9: detection of members where they are; arrested members go to court."""
    world, mod = model.world, model.modifiers
    hazard_map = detection_hazard(model, world.enforcement, world.reporting, mod.detection)
    for group in list(model.groups):
        free = list(group.members)
        if not free:
            continue
        xs, ys = group.member_coordinates()
        hazard = arrest_hazards(model, group, hazard_map)
        caught = np.nonzero(model.rng.random(len(free)) < hazard)[0]
        places = {int(world.jurisdiction[xs[i], ys[i]]) for i in caught}
        for i in caught:
            prosecute(model, free[i], group)
        if group.leader is not None and group.leader not in (free[i] for i in caught):
            pursue_leader(model, group, places)


def prosecute(model: CriminalMarketModel, member: Member, group: OCG) -> None:
    """An arrest goes to court; conviction sends the member to prison and triggers confiscation."""
    model.counters["arrests"] += 1
    x, y = member.cell.coordinate
    arrest = None
    if member.role is Role.LEADER:
        model.counters["leaders_arrested"] += 1
        arrest = record_event(model, "leader_arrest", group.gid, x, y, group.territory(), convicted=False)
    b = model.spec.behaviour
    evidence = b.policing.evidence_base + b.policing.evidence_reporting_weight * float(
        model.world.reporting[x, y]
    )
    if model.rng.random() >= evidence:
        return
    model.counters["prosecutions"] += 1
    if model.rng.random() >= conviction_probability(model, group, x, y):
        return
    model.counters["convictions"] += 1
    if arrest is not None:
        arrest.detail["convicted"] = True
    factor = {
        Role.LEADER: b.member.leader_sentence_factor,
        Role.LIEUTENANT: b.member.lieutenant_sentence_factor,
        Role.SOLDIER: 1.0,
    }[member.role]
    months = int(model.rng.poisson(b.member.sentence_months * factor))
    if member.role in (Role.LEADER, Role.LIEUTENANT):
        confiscate(model, group)
    member.imprison(months)
    model.prisoners.append(member)


def conviction_probability(model: CriminalMarketModel, group: OCG, x: int, y: int) -> float:
    """Court outcome: base rate plus witnesses' testimony, times case quality (task forces)."""
    b = model.spec.behaviour.policing
    base = b.conviction_rate + b.witness_weight * witnesses_against(model, group)
    return min(b.max_conviction, base * float(model.modifiers.conviction[x, y]))


def confiscate(model: CriminalMarketModel, group: OCG) -> None:
    """Financial investigation after a senior conviction: cash is exposed, laundered money less so."""
    b = model.spec.behaviour.policing
    boost = float(model.modifiers.confiscation[group.hub])
    rate = min(1.0, b.confiscation_rate * boost)
    taken = rate * max(0.0, group.cash) + b.laundered_exposure * rate * group.laundered
    group.cash -= rate * max(0.0, group.cash)
    group.laundered -= b.laundered_exposure * rate * group.laundered
    forfeit(model, taken)


def forfeit(model: CriminalMarketModel, amount: float) -> None:
    """Criminal assets taken by the state; a share goes to the victims' compensation fund."""
    model.counters["assets_confiscated"] += amount
    model.victim_fund += model.spec.behaviour.victim.fund_share_of_confiscations * amount


def record_seizure(model: CriminalMarketModel, group: OCG, volume: float) -> None:
    """Seizures are valued at the group's street price, as police statistics report them."""
    model.counters["seizures_volume"] += volume
    model.counters["seizures_value"] += volume * group.price


def pursue_leader(model: CriminalMarketModel, group: OCG, arrest_places: set[int]) -> None:
    """Arrests give investigators a trail to the leader; following it abroad takes a joint operation.

    The follow-up is one more detection attempt on the leader with the month's mean effort added
    where the leader is, cut by the usual insulation, protection and forged cover. A leader across
    the border is reached only when the police forces cooperate, so a border is a safe haven
    unless cooperation says otherwise.
    """
    leader = group.leader
    if not arrest_places or leader is None or leader.group is not group:
        return
    world, b = model.world, model.spec.behaviour
    x, y = leader.cell.coordinate
    if int(world.jurisdiction[x, y]) not in arrest_places:
        if model.rng.random() >= joint_operation_probability(model, x, y):
            return
        model.counters["cross_border_operations"] += 1
    effort = np.array(float(world.enforcement[x, y]) + model.mean_effort)
    reporting = np.array(float(world.reporting[x, y]))
    chance = float(detection_hazard(model, effort, reporting, model.modifiers.detection[x, y]))
    insulation = min(1.0, b.member.leader_insulation * model.modifiers.insulation[x, y])
    cover = b.enabler.cover if "forger" in group.enablers else 0.0
    protection = float(protection_of(model, group)[x, y])
    if model.rng.random() < chance * (1.0 - insulation) * (1.0 - cover) * (1.0 - protection):
        prosecute(model, leader, group)


def joint_operation_probability(model: CriminalMarketModel, x: int, y: int) -> float:
    """Chance the police across the border join an operation against a leader hiding at (x, y)."""
    cooperation = model.spec.behaviour.policing.cooperation
    return min(1.0, cooperation * float(model.modifiers.cooperation[x, y]))


def serve_sentences(model: CriminalMarketModel) -> None:
    """Phase P8: prisoners count down; on release each decides whether to go back to crime.

    Runs before this month's arrests, so a new sentence starts counting next month.
    """
    still_inside = []
    for member in model.prisoners:
        if not member.serve():
            still_inside.append(member)
            continue
        member.walk_free()
    model.prisoners = still_inside
    model.recidivism.append((model.counters["released"], model.counters["reoffended"]))
