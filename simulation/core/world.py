"""The spatial world: a Mesa grid whose cell fields are numpy property layers.

Geography is generated from the run's random generator: jurisdictions split the grid along x with
a wiggly border; urban clusters concentrate population (and so demand); borderlands and the
periphery have less state presence and more unemployment; entry points (ports on the grid's edge
and crossings on the borders) are where illicit goods enter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from simulation.core.parameters import WorldSpec

LAYERS_FLOAT = (
    "population",
    "unemployment",
    "exclusion",
    "state_presence",
    "community_resilience",
    "ocg_legitimacy",
    "illicit_demand",
    "control_strength",
    "activity",
    "retail",
    "enforcement",
    "violence",
    "victimisation",
    "reporting",
    "police_trust",
)
LAYERS_INT = ("jurisdiction", "entry_point", "control", "block")


def dilate(mask: np.ndarray) -> np.ndarray:
    """Cells within one Moore step of ``mask``."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    grown = out.copy()
    out[:, 1:] |= grown[:, :-1]
    out[:, :-1] |= grown[:, 1:]
    return out


@dataclass(frozen=True)
class EntryPoint:
    """A place where goods enter the market, with its local wholesale price."""

    index: int
    x: int
    y: int
    price_factor: float
    """Local wholesale price relative to ``behaviour.market.wholesale_price``."""
    kind: str  # "port" or "crossing"


class World:
    """Grid, property layers and the static geography of one run."""

    def __init__(self, spec: WorldSpec, rng: np.random.Generator, python_random) -> None:
        self.spec = spec
        self.width = spec.grid.width
        self.height = spec.grid.height
        self.grid = OrthogonalMooreGrid((self.width, self.height), torus=False, random=python_random)
        self.layers: dict[str, np.ndarray] = {}
        for name in LAYERS_FLOAT:
            self.layers[name] = self.grid.create_property_layer(name, 0.0, float).data
        for name in LAYERS_INT:
            self.layers[name] = self.grid.create_property_layer(name, 0, int).data
        for name, data in self.layers.items():
            setattr(self, name, data)  # fixed views: layers are updated in place, never rebound
        self.layers["control"][:] = -1
        self.xs, self.ys = np.meshgrid(np.arange(self.width), np.arange(self.height), indexing="ij")
        self.jurisdiction_names = [j.name for j in spec.jurisdictions]
        self.border_x = self._draw_borders(rng)
        self._generate_geography(rng)
        self.entry_points = self._place_entry_points(rng)
        self._assign_blocks()

    # ----------------------------------------------------------------------- generation
    def _draw_borders(self, rng: np.random.Generator) -> np.ndarray:
        """Border k's x position per row y: evenly spaced with a smooth random wiggle."""
        n = len(self.spec.jurisdictions)
        y = np.arange(self.height)
        borders = np.empty((n - 1, self.height))
        for k in range(1, n):
            base = self.width * k / n
            phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 2.0)
            amplitude = min(2.5, self.width / (4 * n))
            borders[k - 1] = base + amplitude * np.sin(2 * np.pi * freq * y / self.height + phase)
        jurisdiction = np.zeros((self.width, self.height), dtype=int)
        for k in range(n - 1):
            jurisdiction += self.xs >= borders[k][None, :]
        self.layers["jurisdiction"][:] = jurisdiction
        return borders

    def _generate_geography(self, rng: np.random.Generator) -> None:
        g = self.spec.geography
        capacities = np.array([j.state_capacity for j in self.spec.jurisdictions])
        cx = rng.uniform(2, self.width - 2, g.urban_centres)
        cy = rng.uniform(2, self.height - 2, g.urban_centres)
        sizes = rng.uniform(0.35, 1.0, g.urban_centres)
        sizes[0] = 1.0  # the largest city
        d2 = (self.xs[..., None] - cx) ** 2 + (self.ys[..., None] - cy) ** 2
        urban = (sizes * np.exp(-d2 / (2 * g.urban_radius**2))).sum(axis=-1)
        rural = g.rural_population * rng.lognormal(0.0, 0.4, (self.width, self.height))
        self.layers["population"][:] = rural + g.urban_population * urban
        self.centres = np.stack([cx, cy], axis=1)

        border_distance = self.distance_to_border()
        borderland = np.clip(1.0 - border_distance / (g.border_band + 1.0), 0.0, 1.0)
        self.borderland = borderland
        urban_closeness = np.exp(-np.sqrt(d2.min(axis=-1)) / (2.5 * g.urban_radius))
        capacity = capacities[self.layers["jurisdiction"]]
        state = capacity * (0.35 + 0.65 * urban_closeness) * (1.0 - 0.4 * borderland)
        self.layers["state_presence"][:] = np.clip(state, 0.02, 1.0)
        noise = rng.lognormal(0.0, 0.25, (self.width, self.height))
        unemployment = g.base_unemployment * (
            1.0 + 0.8 * borderland + 0.8 * (1.0 - self.layers["state_presence"])
        )
        self.layers["unemployment"][:] = np.clip(unemployment * noise, 0.01, 0.6)
        exclusion = 0.15 + 0.5 * (1.0 - self.layers["state_presence"]) + 0.3 * borderland
        exclusion += rng.normal(0.0, 0.05, (self.width, self.height))
        self.layers["exclusion"][:] = np.clip(exclusion, 0.0, 1.0)

    def distance_to_border(self) -> np.ndarray:
        """Cells (along x) from each cell to the nearest border."""
        distance = np.full((self.width, self.height), np.inf)
        for border in self.border_x:
            distance = np.minimum(distance, np.abs(self.xs + 0.5 - border[None, :]))
        return distance

    def _place_entry_points(self, rng: np.random.Generator) -> list[EntryPoint]:
        """Ports on the outer edge near population; crossings on borders (weighted by borderland)."""
        n = self.spec.geography.entry_points
        edge = np.zeros((self.width, self.height), dtype=bool)
        edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
        n_crossings = n // 2
        n_ports = n - n_crossings
        pop = self.layers["population"]
        chosen: list[tuple[int, int, str]] = []
        taken = np.zeros_like(edge)
        for kind, count, weight in (
            ("port", n_ports, np.where(edge, np.sqrt(pop), 0.0)),
            ("crossing", n_crossings, self.borderland**4 * (~edge)),
        ):
            for _ in range(count):
                w = np.where(taken, 0.0, weight).ravel()
                if w.sum() <= 0:
                    w = np.ones(w.size)  # small world: entry points may be close together
                flat = rng.choice(w.size, p=w / w.sum())
                x, y = np.unravel_index(flat, edge.shape)
                chosen.append((int(x), int(y), kind))
                # keep entry points apart
                taken |= (np.abs(self.xs - x) <= 3) & (np.abs(self.ys - y) <= 3)
        wholesale = rng.uniform(0.85, 1.15, len(chosen))
        points = []
        for i, ((x, y, kind), factor) in enumerate(zip(chosen, wholesale, strict=True)):
            self.layers["entry_point"][x, y] = 1
            points.append(EntryPoint(i, x, y, float(factor), kind))
        return points

    def _assign_blocks(self) -> None:
        size = self.spec.communities.block_size
        bx = (self.width + size - 1) // size
        self.blocks_x = bx
        self.blocks_y = (self.height + size - 1) // size
        self.layers["block"][:] = (self.xs // size) * self.blocks_y + (self.ys // size)
        self.n_blocks = bx * self.blocks_y

    # ------------------------------------------------------------------------- helpers
    def block_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum a cell field over community blocks (vector indexed by block id)."""
        return np.bincount(self.layers["block"].ravel(), weights=values.ravel(), minlength=self.n_blocks)

    def block_mean(self, values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """(Weighted) mean of a cell field per block."""
        if weights is None:
            weights = np.ones_like(values, dtype=float)
        total = self.block_sum(values * weights)
        norm = self.block_sum(weights)
        return np.divide(total, norm, out=np.zeros_like(total), where=norm > 0)

    def broadcast(self, per_block: np.ndarray) -> np.ndarray:
        """Spread a per-block vector back onto the cells."""
        return per_block[self.layers["block"]]

    def block_centre(self, block: int) -> tuple[int, int]:
        """The most populous cell of a block (where its officials sit)."""
        values = np.where(self.layers["block"] == block, self.layers["population"], -1.0)
        x, y = np.unravel_index(int(values.argmax()), values.shape)
        return int(x), int(y)

    def cell(self, x: int, y: int):
        return self.grid[(int(x), int(y))]
