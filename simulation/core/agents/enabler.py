"""Enabler: a professional serving several groups for fees (Toolkit figure 11).

Rule: an enabler takes a client only when the fee it expects from the client's business
outweighs the detection risk the client adds times what the enabler would lose if caught (its
fee income over its risk horizon and a penalty), and each month drops clients that no longer pass
that test. The more clients and the more money moved, the likelier detection by financial
investigators, which removes the enabler and exposes the money in transit to confiscation; so
scrutiny of enablers (the ``enabler_detection`` modifier) works twice: more are caught, and the
rest turn risky clients away.

Attributes: ``kind`` (launderer / transporter / forger), ``capacity`` (client groups),
``fee_rate`` (share of the value served), ``clients`` (groups served), ``handled`` (k moved this
month, per client gid).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

from simulation.core.submodels.policing import forfeit

if TYPE_CHECKING:
    from simulation.core.agents.ocg import OCG
    from simulation.core.model import CriminalMarketModel

ENABLER_KINDS = ("launderer", "transporter", "forger")


class Enabler(CellAgent):
    """A launderer, transporter or forger/insider with limited capacity and a detection risk."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, kind: str, capacity: int, cell) -> None:
        super().__init__(model)
        self.kind = kind
        self.capacity = capacity
        b = model.spec.behaviour.enabler
        self.fee_rate = b.fee_rate * float(model.rng.uniform(b.fee_factor_min, b.fee_factor_max))
        self.clients: list[OCG] = []
        self.handled: dict[int, float] = {}
        self.cell = cell

    @property
    def has_room(self) -> bool:
        return len(self.clients) < self.capacity

    def take_client(self, group: OCG) -> None:
        self.clients.append(group)
        group.enablers[self.kind] = self

    def drop_client(self, group: OCG) -> None:
        if group in self.clients:
            self.clients.remove(group)
        if group.enablers.get(self.kind) is self:
            del group.enablers[self.kind]

    def serve(self, group: OCG, amount: float) -> None:
        """Record business done this month (it is what investigators can trace)."""
        self.handled[group.gid] = self.handled.get(group.gid, 0.0) + amount

    def detection_probability(self) -> float:
        """Monthly hazard of disruption: busier enablers leave more traces."""
        return self.hazard(len(self.clients), sum(self.handled.values()))

    def hazard(self, clients: int, volume: float) -> float:
        """Monthly hazard of disruption with ``clients`` clients moving ``volume`` k a month."""
        b = self.model.spec.behaviour.enabler
        scrutiny = float(self.model.modifiers.enabler_detection[self.cell.coordinate])
        traces = (1.0 + b.client_trace_weight * clients) * (1.0 + volume / b.volume_trace_scale)
        return min(b.max_detection, b.detection_rate * traces * scrutiny)

    def worth_serving(self, group: OCG, business: float) -> bool:
        """Is the fee on ``business`` (k a month of the client's) worth the risk the client adds?

        The risk is the rise in the monthly hazard the client causes, times what the enabler
        stands to lose if caught: its fee income over its risk horizon and the penalty.
        """
        b = self.model.spec.behaviour.enabler
        others = [c for c in self.clients if c is not group]
        volume = sum(v for gid, v in self.handled.items() if gid != group.gid)
        added = self.hazard(len(others) + 1, volume + business) - self.hazard(len(others), volume)
        at_stake = b.risk_horizon_months * self.fee_rate * (volume + business) + b.penalty_if_caught
        return self.fee_rate * business > added * at_stake

    def review_clients(self) -> None:
        """Drop the clients whose business no longer pays for the risk they bring."""
        for group in list(self.clients):
            if not self.worth_serving(group, self.handled.get(group.gid, 0.0) or expected_business(group)):
                self.drop_client(group)

    def disrupt(self) -> float:
        """Removed by investigators: clients lose the service; returns the assets seized.

        A launderer's books expose what each client laundered through it this month.
        """
        exposed = 0.0
        for group in list(self.clients):
            if self.kind == "launderer":
                taken = min(group.laundered, self.handled.get(group.gid, 0.0))
                group.laundered -= taken
                exposed += taken
            self.drop_client(group)
        self.remove()
        return exposed


# ------------------------------------------------------------------------------ the enablers
def expected_business(group: OCG) -> float:
    """What an enabler expects a group to move through it a month: its revenue, or before it has
    traded, its cash."""
    return group.revenue if group.revenue > 0 else max(group.cash, 0.0)


def new_enabler(model: CriminalMarketModel, kind: str) -> Enabler:
    """An enabler setting up business where people are (drawn by population)."""
    w = model.world
    p = (w.population / w.population.sum()).ravel()
    flat = int(model.rng.choice(p.size, p=p))
    return Enabler(model, kind, model.spec.world.enablers.capacity, w.cell(*divmod(flat, w.height)))


def populate(model: CriminalMarketModel) -> None:
    """The starting enablers, kinds in turn, and the groups' first contracts with them."""
    for i in range(model.spec.world.enablers.count):
        new_enabler(model, ENABLER_KINDS[i % len(ENABLER_KINDS)])
    find_clients(model)


def find_clients(model: CriminalMarketModel) -> None:
    """Phase P7: groups lacking a service ask the enablers of that kind with room, cheapest first;
    the first who finds the group's business worth its risk takes it on."""
    enablers = sorted(model.enablers, key=lambda e: e.fee_rate)
    for group in model.groups:
        business = expected_business(group)
        for kind in ENABLER_KINDS:
            if kind in group.enablers:
                continue
            for enabler in enablers:
                if enabler.kind == kind and enabler.has_room and enabler.worth_serving(group, business):
                    enabler.take_client(group)
                    break


def face_investigators(model: CriminalMarketModel) -> None:
    """Phase P16: investigators catch some enablers; new ones enter where groups lack the service.

    The month's books (``handled``) are closed afterwards.
    """
    b = model.spec.behaviour.enabler
    for enabler in list(model.enablers):
        if model.rng.random() < enabler.detection_probability():
            seized = enabler.disrupt()
            model.counters["enablers_disrupted"] += 1
            forfeit(model, seized)
        else:
            enabler.review_clients()
    for kind in ENABLER_KINDS:
        unmet = sum(1 for g in model.groups if kind not in g.enablers)
        if unmet and model.rng.random() < b.entry_rate:
            new_enabler(model, kind)
    for enabler in model.enablers:
        enabler.handled.clear()
