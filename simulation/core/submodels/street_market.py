"""Street market: where buyers buy, given what police presence adds to the cost of buying.

A buyer's cost of a purchase is the money price plus the search time and risk of buying where the
police are (the "effective price" of Moore 1973; crackdowns raise it, Kleiman 1988), plus a walk
when they buy in a neighbouring locality instead of their own. Buyers in a group's territory choose
among their own cell and the Moore neighbours the same group holds, by a logit on that cost; how
much they buy follows the usual demand curve at the expected cost. So a street crackdown moves
some buyers next door (displacement) and prices others out (a fall), and how these two balance
follows from the buyers' choices, not from a written-in share.

The buyers' options depend only on control and police effort, which are fixed from P5 to the
groups' territory decisions (P13), so :func:`open_market` computes them once a month for every
territory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel

OFFSETS: tuple[tuple[int, int], ...] = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1))
"""A buyer's market places: their own cell (0, 0) and its eight Moore neighbours."""
HOME = OFFSETS.index((0, 0))


def _slices(d: int, n: int) -> tuple[slice, slice]:
    """Origin and destination index ranges along one axis for a step of ``d`` (no wrapping)."""
    return slice(max(0, -d), n - max(0, d)), slice(max(0, d), n - max(0, -d))


def look_ahead(layer: np.ndarray, dx: int, dy: int, fill: float | int) -> np.ndarray:
    """``layer`` seen from each origin: the value at (x + dx, y + dy), ``fill`` off the grid."""
    out = np.full_like(layer, fill)
    (ox, tx), (oy, ty) = _slices(dx, layer.shape[0]), _slices(dy, layer.shape[1])
    out[ox, oy] = layer[tx, ty]
    return out


def search_factor(model: CriminalMarketModel, effort: np.ndarray) -> np.ndarray:
    """Cost of buying where police ``effort`` is deployed, in units of the money price (≥ 1)."""
    return 1.0 + model.spec.behaviour.market.search_cost_per_effort * effort


def perceived_effort(model: CriminalMarketModel) -> np.ndarray:
    """Police presence as buyers perceive it: a locality's own effort blended with the mean of its
    on-grid Moore neighbours' by ``presence_blur``. Buyers unsure where the police are avoid the
    surroundings of a crackdown too (the diffusion of benefits); at 0 they know exactly."""
    effort = model.world.enforcement
    blur = model.spec.behaviour.market.presence_blur
    if blur == 0.0:
        return effort
    around = [(dx, dy) for dx, dy in OFFSETS if (dx, dy) != (0, 0)]
    total = sum(look_ahead(effort, dx, dy, 0.0) for dx, dy in around)
    count = sum(look_ahead(np.ones_like(effort), dx, dy, 0.0) for dx, dy in around)
    return (1.0 - blur) * effort + blur * total / count


@dataclass(frozen=True)
class StreetMarket:
    """The month's buyers' choices, for every origin cell in a territory."""

    choice: np.ndarray
    """Shape (9, width, height): share of an origin's purchases made at each offset of ``OFFSETS``."""
    cost_factor: np.ndarray
    """Expected cost of a purchase for buyers living in the cell, in units of the money price."""
    place_factor: np.ndarray
    """Cost of buying at each cell as buyers perceive it, in units of the money price."""

    def where_bought(self, demand: np.ndarray, territory: np.ndarray) -> np.ndarray:
        """Purchases per market cell, from purchases per buyers' home cell in ``territory``.

        Only the territory's cells are visited, so a month of all groups' sales costs time in
        proportion to the cells held, not to the groups times the grid.
        """
        height = demand.shape[1]
        homes = np.flatnonzero(territory)
        amount = demand.ravel()[homes]
        choice = self.choice.reshape(len(OFFSETS), -1)
        bought = np.zeros(demand.size)
        for k, (dx, dy) in enumerate(OFFSETS):
            share = choice[k, homes]
            goes = share > 0  # a place of the same group, on the grid (open_market)
            bought[homes[goes] + dx * height + dy] += amount[goes] * share[goes]  # one home per place
        return bought.reshape(demand.shape)


def open_market(model: CriminalMarketModel) -> StreetMarket:
    """Every territory's buyers weigh their own cell against the neighbours their group holds."""
    world, market = model.world, model.spec.behaviour.market
    control = world.control
    factor = search_factor(model, perceived_effort(model))
    cost = np.empty((len(OFFSETS), *control.shape))
    weight = np.zeros_like(cost)
    for k, (dx, dy) in enumerate(OFFSETS):
        walk = 0.0 if k == HOME else market.travel_cost_share
        cost[k] = look_ahead(factor, dx, dy, np.inf) + walk
        same_group = (look_ahead(control, dx, dy, -1) == control) & (control >= 0)
        weight[k] = np.where(same_group, np.exp(-market.buyer_choice_sensitivity * (cost[k] - 1.0)), 0.0)
    total = weight.sum(axis=0)
    held = total > 0
    choice = np.where(held, weight / np.where(held, total, 1.0), 0.0)
    choice[HOME] = np.where(held, choice[HOME], 1.0)  # outside any territory nobody buys anyway
    expected = np.where(choice > 0, choice * np.where(np.isfinite(cost), cost, 0.0), 0.0).sum(axis=0)
    return StreetMarket(choice=choice, cost_factor=np.where(held, expected, factor), place_factor=factor)
