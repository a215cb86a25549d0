"""Member: one person in an organized criminal group.

Rule: stay while the group pays and holds together; leave when the exit hazard (cohesion,
legitimate opportunities) fires; after prison, re-offend with a propensity that rises with
unemployment and exclusion where released.

Attributes: ``group`` (OCG or None), ``role`` (leader / lieutenant / soldier), ``experience``
(months active), ``status`` (free / prison), ``sentence`` (months left), ``prior_group``
(the group a prisoner belonged to).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel
    from simulation.core.parameters import MemberBehaviour


class Role(StrEnum):
    LEADER = "leader"
    LIEUTENANT = "lieutenant"
    SOLDIER = "soldier"


class Status(StrEnum):
    FREE = "free"
    PRISON = "prison"


class Member(CellAgent):
    """An individual criminal: arrested, imprisoned, released, re-offends, exits or is killed."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, group: OCG, role: Role, cell, experience: int = 0):
        super().__init__(model)
        self.group: OCG | None = group
        self.role = role
        self.experience = experience
        self.status = Status.FREE
        self.sentence = 0
        self.prior_group: OCG | None = None
        self.cell = cell
        group.members.append(self)

    def leave_group(self) -> None:
        """Detach from the group (arrest, exit, death); leadership loss is noticed by the group."""
        group = self.group
        if group is not None and self in group.members:
            group.members.remove(self)
            if group.leader is self:
                group.leader = None
                group.leader_lost = True

    def imprison(self, months: int) -> None:
        """Convicted: off the street for ``months``; the group loses the member."""
        self.leave_group()
        self.status = Status.PRISON
        self.sentence = max(1, months)
        self.prior_group = self.group
        self.group = None
        self.cell = None

    def die_or_exit(self) -> None:
        """Leave crime for good (killed, exited, desisted): the agent leaves the model."""
        self.leave_group()
        self.group = None
        self.remove()

    def serve(self) -> bool:
        """One month in prison; True when released this step."""
        self.sentence -= 1
        return self.sentence <= 0

    def walk_free(self) -> None:
        """Released from prison: back to the old group, or to whichever rules the street, or out.

        The released decide whether to go back to crime (``reoffend_probability``) where they land:
        with the old group's people if it still exists, else somewhere people live.
        """
        model = self.model
        w = model.world
        model.counters["released"] += 1
        old = self.prior_group
        if old is not None and old in model.groups:
            x, y = old.hub
        else:
            p = (w.population / w.population.sum()).ravel()
            x, y = divmod(int(model.rng.choice(p.size, p=p)), w.height)
        chance = self.reoffend_probability(
            float(w.unemployment[x, y]),
            float(w.exclusion[x, y]),
            float(w.ocg_legitimacy[x, y]),
            float(model.modifiers.reoffend[x, y]),
        )
        group = old if old in model.groups else model.group_by_gid.get(int(w.control[x, y]))
        if group is None or model.rng.random() >= chance:
            self.remove()
            return
        model.counters["reoffended"] += 1
        self.status = Status.FREE
        self.role = Role.SOLDIER
        self.group = group
        self.cell = w.cell(x, y)
        group.members.append(self)

    def reoffend_probability(
        self, unemployment: float, exclusion: float, legitimacy: float, modifier: float = 1.0
    ) -> float:
        """Released prisoner's decision: return to crime when licit prospects are poor."""
        b = self.model.spec.behaviour.member
        pull = (
            b.reoffend_base
            + unemployment * b.reoffend_unemployment_weight
            + exclusion * b.reoffend_exclusion_weight
            + legitimacy * b.reoffend_legitimacy_weight
        )
        return min(b.max_reoffend, b.reoffend_propensity * pull * modifier)


def exit_hazard(
    b: MemberBehaviour, cohesion: float, unemployment: np.ndarray, unpaid: bool, modifier: np.ndarray
) -> np.ndarray:
    """Members' monthly decision to quit: weak or unpaying groups and licit jobs pull people out."""
    opportunity = 1.0 + b.job_pull * np.maximum(0.0, b.job_market_unemployment - unemployment)
    unpaid_factor = b.unpaid_exit_multiplier if unpaid else 1.0
    hazard = b.exit_rate * (b.exit_cohesion_base + (1.0 - cohesion)) * opportunity * unpaid_factor
    return np.minimum(b.max_exit, hazard * modifier)


# ------------------------------------------------------------------------------- the members
def recruitment_pool(model: CriminalMarketModel) -> np.ndarray:
    """Expected recruits a month per cell if a group recruits there at full control."""
    w, b = model.world, model.spec.behaviour.recruitment
    youth_risk = w.broadcast(np.array([c.youth_risk for c in model.communities]))
    youths = w.population * b.youth_share * youth_risk
    drive = 1.0 + (
        b.unemployment_weight * w.unemployment
        + b.exclusion_weight * w.exclusion
        + b.legitimacy_weight * w.ocg_legitimacy
    )
    return b.base_rate / 1000.0 * youths * drive


def exits(model: CriminalMarketModel) -> None:
    """Phase P10: members other than leaders decide whether to quit (vectorised per group)."""
    w, b = model.world, model.spec.behaviour.member
    for group in list(model.groups):
        free = [m for m in group.members if m.role is not Role.LEADER]
        if not free:
            continue
        coords = np.array([m.cell.coordinate for m in free])
        hazard = exit_hazard(
            b,
            group.cohesion,
            w.unemployment[coords[:, 0], coords[:, 1]],
            group.unpaid,
            model.modifiers.exit[coords[:, 0], coords[:, 1]],
        )
        for i in np.nonzero(model.rng.random(len(free)) < hazard)[0]:
            free[i].die_or_exit()
            model.counters["exits"] += 1


def age(model: CriminalMarketModel) -> None:
    """Phase P21: members at liberty gain a month of experience."""
    for group in model.groups:
        for m in group.members:
            m.experience += 1
