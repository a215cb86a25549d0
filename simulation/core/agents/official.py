"""Officials: police units that allocate effort, and public officials weighing bribes.

PoliceUnit rule: spread the unit's effort over its precinct, part as patrol in proportion to
population and state presence, part steered by intelligence toward last month's observed
activity, violence and community reports, weighed by what an officer detects there; where a
crackdown is ordered, extra officers multiply the effort on the targeted cells.

PublicOfficial rule: accept a bribe when its value, discounted by the risk of being caught,
exceeds what integrity demands (``integrity * bribe_threshold``); a corrupt official protects
the paying group in their community block until caught, unpaid, or the group is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel


class PoliceUnit(Agent):
    """A police unit covering one precinct of a jurisdiction."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, jurisdiction: int, precinct: np.ndarray, effort: float):
        super().__init__(model)
        self.jurisdiction = jurisdiction
        self.precinct = precinct
        self.effort = effort

    def allocate(self, activity: np.ndarray, violence: np.ndarray, reports: np.ndarray) -> np.ndarray:
        """Effort per cell this month (zero outside the precinct)."""
        world, b = self.model.world, self.model.spec.behaviour.policing
        patrol = np.where(self.precinct, world.population * world.state_presence, 0.0)
        signal = np.where(
            self.precinct,
            (activity + b.violence_signal_weight * violence + b.report_signal_weight * reports)
            * self.relative_yield(),
            0.0,
        )
        if self.model.spec.strategy.enforcement_style == "heavy_handed":
            signal = signal**b.heavy_handed_concentration  # crackdowns concentrate on visible hotspots
        share = min(1.0, b.intelligence)
        allocation = (1.0 - share) * patrol / max(patrol.sum(), 1e-9)
        if signal.sum() > 0:
            allocation = allocation + share * signal / signal.sum()
        else:
            allocation = allocation + share * patrol / max(patrol.sum(), 1e-9)
        return self.effort * allocation * (1.0 + self.model.modifiers.crackdown)

    def relative_yield(self) -> np.ndarray:
        """What an officer's time detects in each cell, relative to the precinct's best cell.

        Intelligence steers officers to where signals times this yield are highest, so a targeted
        intelligence lever (the ``detection`` modifier) draws them to its target; where detection
        is the same over the precinct every cell yields exactly 1 and only the signals count.
        """
        detection = self.model.modifiers.detection
        best = float(detection[self.precinct].max()) if self.precinct.any() else 1.0
        return detection / best if best > 0 else np.ones_like(detection)


class PublicOfficial(CellAgent):
    """A public official or insider whose integrity is weighed against bribes."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, block: int, integrity: float, cell) -> None:
        super().__init__(model)
        self.block = block
        self.integrity = integrity
        self.patron: OCG | None = None
        self.bribe = 0.0
        self.cell = cell

    @property
    def corrupt(self) -> bool:
        return self.patron is not None

    def consider_bribe(self, amount: float, group: OCG) -> bool:
        """Accept when the risk-discounted bribe outweighs integrity."""
        if self.corrupt:
            return False
        temptation = self.temptation(amount)
        noise = float(self.model.rng.normal(0.0, self.model.spec.behaviour.corruption.integrity_noise))
        if temptation > self.integrity + noise:
            self.patron = group
            self.bribe = amount
            return True
        return False

    def temptation(self, amount: float) -> float:
        """The bribe's expected worth over the risk horizon, net of the expected cost of being
        caught, per month of the horizon and relative to ``bribe_threshold``.

        Integrity measures raise the monthly hazard of being caught: fewer months of payments are
        expected and a loss becomes likelier, so temptation falls smoothly, never to a switch.
        """
        b = self.model.spec.behaviour.corruption
        hazard = min(1.0, b.detection_rate * self._scrutiny())
        caught = 1.0 - (1.0 - hazard) ** b.risk_horizon_months
        months_paid = caught / hazard if hazard > 0 else b.risk_horizon_months
        net = amount * months_paid - caught * b.penalty_if_caught
        return net / (b.bribe_threshold * max(b.risk_horizon_months, 1e-9))

    def end_corruption(self) -> None:
        if self.patron is not None and self in self.patron.payroll:
            self.patron.payroll.remove(self)
        self.patron = None
        self.bribe = 0.0

    def caught_probability(self) -> float:
        b = self.model.spec.behaviour.corruption
        return min(1.0, b.detection_rate * self._scrutiny()) if self.corrupt else 0.0

    def _scrutiny(self) -> float:
        """Integrity measures where the official works (the ``official_detection`` modifier)."""
        return float(self.model.modifiers.official_detection[self.cell.coordinate])


# --------------------------------------------------------------------------- the officials
def appoint(model: CriminalMarketModel, block: int) -> PublicOfficial:
    """A new official for a block, with integrity drawn from the population's distribution."""
    spec = model.spec.world.officials
    integrity = float(np.clip(model.rng.normal(spec.integrity_mean, spec.integrity_sd), 0.0, 1.0))
    return PublicOfficial(model, block, integrity, model.world.cell(*model.world.block_centre(block)))


def populate(model: CriminalMarketModel) -> None:
    """``per_community`` officials in every block, block by block (the roster of posts)."""
    for block in range(model.world.n_blocks):
        for _ in range(model.spec.world.officials.per_community):
            model.officials.append(appoint(model, block))


def face_integrity_checks(model: CriminalMarketModel) -> None:
    """Phase P17: corrupt officials may be caught; a caught official's successor takes the post."""
    for i, official in enumerate(model.officials):
        if official.corrupt and model.rng.random() < official.caught_probability():
            official.end_corruption()
            official.remove()
            model.officials[i] = appoint(model, official.block)
            model.counters["officials_removed"] += 1


def protection_of(model: CriminalMarketModel, group: OCG) -> np.ndarray:
    """Per-cell share of police risk removed for ``group`` by the officials it pays."""
    world = model.world
    if not group.payroll:
        return np.zeros((world.width, world.height))
    counts = np.bincount([o.block for o in group.payroll], minlength=world.n_blocks)
    per_official = model.spec.behaviour.corruption.protection_per_official
    return world.broadcast(1.0 - (1.0 - per_official) ** counts)


def bribe_targets(model: CriminalMarketModel, group: OCG) -> tuple[list[PublicOfficial], np.ndarray]:
    """Honest officials where the group's people face the most police effort, most exposed
    first, and the group's exposure per block (members weighted by the effort they face)."""
    w = model.world
    exposure = np.zeros(w.n_blocks)
    if group.members:
        xs, ys = group.member_coordinates()
        exposure = np.bincount(w.block[xs, ys], weights=1.0 + w.enforcement[xs, ys], minlength=w.n_blocks)
    candidates = [o for o in model.officials if not o.corrupt and exposure[o.block] > 0]
    return sorted(candidates, key=lambda o: -exposure[o.block]), exposure
