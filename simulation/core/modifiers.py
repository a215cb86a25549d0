"""Decision modifiers: the named parameters inside agents' decisions that strategy levers move.

Each modifier is a map over the grid (indexed ``[x, y]``) so that a lever can act everywhere,
in a jurisdiction or in a zone. A decision reads its modifier at the cell where it is taken (the
member's cell, the victim's home, the leader's hideout, ...). In the baseline every map holds its
neutral value (1 for multipliers, 0 for shifts and surges). Only levers set them, once per step,
so a strategy can change how agents decide but never write an outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Modifier:
    name: str
    neutral: float
    decision: str
    """Where it enters: module.function and the term it multiplies or shifts."""


MODIFIERS: tuple[Modifier, ...] = (
    Modifier(
        "detection",
        1.0,
        "policing.detection_hazard: detection rate per unit effort; PoliceUnit.relative_yield: "
        "where the intelligence-led officers go",
    ),
    Modifier("street_detection", 1.0, "policing.arrest_hazards: detection of soldiers (street level)"),
    Modifier(
        "insulation", 1.0, "policing.arrest_hazards / pursue_leader: detection leaders and lieutenants avoid"
    ),
    Modifier("crackdown", 0.0, "PoliceUnit.allocate: surge of extra effort put on the cell"),
    Modifier("interdiction", 1.0, "policing.seizure_hazard and route costs: seizure hazard per effort"),
    Modifier("confiscation", 1.0, "policing.confiscate: share of assets taken (at the group's hub)"),
    Modifier("conviction", 1.0, "policing.conviction_probability: chance a prosecution convicts"),
    Modifier("cooperation", 1.0, "policing.pursue_leader: chance a trail abroad becomes a joint operation"),
    Modifier("enabler_detection", 1.0, "Enabler.detection_probability: hazard of disruption"),
    Modifier("official_detection", 1.0, "PublicOfficial: hazard of being caught (and the risk weighed)"),
    Modifier("extortion", 1.0, "OCG.extort_and_exploit: protection money businesses can be made to pay"),
    Modifier("exploitation", 1.0, "OCG.extort_and_exploit: rate at which vulnerable people are exploited"),
    Modifier("fight_intensity", 1.0, "conflict.fight: incidents a contest escalates into"),
    Modifier("exit", 1.0, "member.exit_hazard: members' monthly chance to quit"),
    Modifier("reoffend", 1.0, "Member.reoffend_probability: released prisoners' return to crime"),
    Modifier("identification", 1.0, "victimisation: identification hazard per unit effort"),
    Modifier("support", 1.0, "victimisation: chance an identified victim enters support"),
    Modifier("compensation", 1.0, "victimisation: chance a supported victim is compensated"),
    Modifier("witness", 1.0, "victimisation: divides the fear of the group a victim weighs (protection)"),
    Modifier("grievance_relief", 0.0, "Community.update: subtracted from the grievance target"),
    Modifier("legitimacy_shift", 0.0, "Community.update: subtracted from the OCG-legitimacy target"),
    Modifier("trust_shift", 0.0, "Community.update: added to the trust-in-the-state target"),
)
MODIFIER_NAMES = tuple(m.name for m in MODIFIERS)


class DecisionModifiers:
    """One map per modifier; attributes named as in ``MODIFIERS``."""

    def __init__(self, shape: tuple[int, int]) -> None:
        for m in MODIFIERS:
            setattr(self, m.name, np.full(shape, m.neutral))

    def reset(self) -> None:
        for m in MODIFIERS:
            getattr(self, m.name).fill(m.neutral)
