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
        self.fee_rate = b.fee_rate * float(model.rng.uniform(0.7, 1.3))
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
        traces = (1.0 + 0.5 * len(self.clients)) * (1.0 + volume / 500.0)
        return min(0.9, b.detection_rate * traces * scrutiny)

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
