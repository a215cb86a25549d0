"""Least-cost routes over the grid, for the smuggling decision.

The grid is a graph of 8-connected cells; moving into a cell costs that cell's weight
(transport cost plus the risk-weighted expected loss to interdiction there). One Dijkstra
search per entry point per step gives every group its cheapest route to its market.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel

_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


class RouteGraph:
    """Fixed grid topology; cell weights change every step."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        index = np.arange(width * height).reshape(width, height)
        sources, targets, lengths = [], [], []
        for dx, dy in _OFFSETS:
            xs = slice(max(0, -dx), width - max(0, dx))
            ys = slice(max(0, -dy), height - max(0, dy))
            src = index[xs, ys]
            dst = index[max(0, dx) : width + min(0, dx), max(0, dy) : height + min(0, dy)]
            sources.append(src.ravel())
            targets.append(dst.ravel())
            lengths.append(np.full(src.size, np.hypot(dx, dy)))
        self.sources = np.concatenate(sources)
        self.targets = np.concatenate(targets)
        self.lengths = np.concatenate(lengths)
        order = np.lexsort((self.targets, self.sources))
        self.sources, self.targets, self.lengths = (
            self.sources[order],
            self.targets[order],
            self.lengths[order],
        )
        self._indptr = np.searchsorted(self.sources, np.arange(width * height + 1))

    def shortest(self, cell_cost: np.ndarray, origins: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from each origin (flat cell index) under ``cell_cost``."""
        weights = cell_cost.ravel()[self.targets] * self.lengths + 1e-9
        graph = csr_matrix((weights, self.targets, self._indptr), shape=(self.width * self.height,) * 2)
        dist, pred = dijkstra(graph, directed=True, indices=origins, return_predecessors=True)
        return dist, pred

    @staticmethod
    def length(path: np.ndarray, height: int) -> float:
        """Distance travelled along a path of flat cell indices (diagonal steps count sqrt 2)."""
        if path.size < 2:
            return 1.0
        xs, ys = np.divmod(path, height)
        return float(np.hypot(np.diff(xs), np.diff(ys)).sum())

    @staticmethod
    def path(predecessors: np.ndarray, origin: int, target: int) -> np.ndarray:
        """Flat cell indices from origin to target (inclusive), following predecessors."""
        cells = [target]
        node = target
        while node != origin:
            node = int(predecessors[node])
            if node < 0:
                return np.array([], dtype=int)
            cells.append(node)
        return np.array(cells[::-1], dtype=int)


class RouteOptions:
    """This step's least-cost routes from every entry point (shared by all groups)."""

    def __init__(
        self,
        distance: np.ndarray,
        predecessors: np.ndarray,
        origins: list[int],
        wholesale: np.ndarray,
    ):
        self.distance = distance
        self.predecessors = predecessors
        self.origins = origins
        self.wholesale = wholesale

    def path(self, option: int, target: int) -> np.ndarray:
        return RouteGraph.path(self.predecessors[option], self.origins[option], target)


def route_options(model: CriminalMarketModel) -> RouteOptions:
    """This month's routes: cell costs are transport plus risk-weighted expected seizure loss,
    shared by all groups."""
    w, b = model.world, model.spec.behaviour
    boost = model.modifiers.interdiction
    hazard = 1.0 - np.exp(-b.policing.interdiction_rate * w.enforcement * boost)
    cost = b.market.transport_cost + b.ocg.risk_aversion * hazard * b.market.wholesale_price
    origins = [p.x * w.height + p.y for p in w.entry_points]
    distance, predecessors = model.route_graph.shortest(cost, origins)
    wholesale = np.array([p.price_factor * b.market.wholesale_price for p in w.entry_points])
    return RouteOptions(distance, predecessors, origins, wholesale)
