"""Enabler: a professional serving several groups for fees (Toolkit figure 11).

Rule: take any client group while capacity lasts; the more clients and the more money moved,
the likelier detection by financial investigators, which removes the enabler and exposes the
money in transit to confiscation.

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
        b = self.model.spec.behaviour.enabler
        volume = sum(self.handled.values())
        scrutiny = float(self.model.modifiers.enabler_detection[self.cell.coordinate])
        traces = (1.0 + b.client_trace_weight * len(self.clients)) * (1.0 + volume / b.volume_trace_scale)
        return min(b.max_detection, b.detection_rate * traces * scrutiny)

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
    """Phase P7: groups lacking a service hire the cheapest enabler of that kind with room."""
    enablers = list(model.enablers)
    for group in model.groups:
        for kind in ENABLER_KINDS:
            if kind in group.enablers:
                continue
            offers = [e for e in enablers if e.kind == kind and e.has_room]
            if offers:
                min(offers, key=lambda e: e.fee_rate).take_client(group)


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
    for kind in ENABLER_KINDS:
        unmet = sum(1 for g in model.groups if kind not in g.enablers)
        if unmet and model.rng.random() < b.entry_rate:
            new_enabler(model, kind)
    for enabler in model.enablers:
        enabler.handled.clear()
