"""Named zones as cell masks: rectangles, jurisdictions, and hotspots fixed from observed activity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from simulation.core.world import World, dilate
from simulation.scenario.schema import HotspotZone, JurisdictionZone, RectZone, Scenario, Zone

if TYPE_CHECKING:
    from simulation.core.model import CriminalMarketModel


class ZoneBook:
    """The scenario's zones resolved on this run's world.

    A hotspot zone is empty until its ``at_step`` month has been simulated; it then holds the
    ``top`` cells with the most illicit activity (or street sales, ``layer: retail``) that month
    (within one jurisdiction if it names one), and keeps them.
    """

    def __init__(self, scenario: Scenario, world: World) -> None:
        self.world = world
        self.specs: dict[str, Zone] = dict(scenario.zones)
        self.masks: dict[str, np.ndarray] = {
            name: self._static_mask(zone) for name, zone in self.specs.items()
        }
        self.displacement = scenario.displacement
        self._displacement_masks = self._displacement_areas()

    def _static_mask(self, zone: Zone) -> np.ndarray:
        w = self.world
        mask = np.zeros((w.width, w.height), dtype=bool)
        if isinstance(zone, RectZone):
            x0, y0, x1, y1 = zone.rect
            mask[x0:x1, y0:y1] = True
        elif isinstance(zone, JurisdictionZone):
            mask = w.jurisdiction == w.jurisdiction_names.index(zone.jurisdiction)
        return mask

    def observe(self, step: int, layers: Mapping[str, np.ndarray]) -> None:
        """Fix hotspot zones at the end of their month, ranking cells by their ``layer``."""
        for name, zone in self.specs.items():
            if isinstance(zone, HotspotZone) and zone.hotspots.at_step == step:
                activity = layers[zone.hotspots.layer]
                ranked = activity
                if zone.hotspots.jurisdiction is not None:
                    index = self.world.jurisdiction_names.index(zone.hotspots.jurisdiction)
                    ranked = np.where(self.world.jurisdiction == index, ranked, -np.inf)
                if zone.hotspots.border_band is not None:
                    near = self.world.distance_to_border() <= zone.hotspots.border_band
                    ranked = np.where(near, ranked, -np.inf)
                eligible = int(np.isfinite(ranked).sum())  # cells outside the restriction never count
                top = min(zone.hotspots.top, eligible)
                flat = np.argsort(-ranked.ravel(), kind="stable")[:top]
                mask = np.zeros(activity.size, dtype=bool)
                mask[flat] = True
                self.masks[name] = mask.reshape(activity.shape)

    def mask(self, name: str) -> np.ndarray:
        return self.masks[name]

    def _displacement_areas(self) -> dict[str, np.ndarray]:
        """Target, buffer, control and across-the-border areas when the scenario asks for them."""
        spec = self.displacement
        if spec is None:
            return {}
        target = self.mask(spec.target)
        buffer = ring(target, spec.buffer)
        touched = np.unique(self.world.jurisdiction[target])
        return {
            "displacement_target": target,
            "displacement_buffer": buffer,
            "displacement_control": ~target & ~buffer,
            "displacement_other_jurisdictions": ~np.isin(self.world.jurisdiction, touched),
        }

    def displacement_masks(self) -> dict[str, np.ndarray]:
        """The displacement areas (hotspot targets are fixed once their month has passed)."""
        if self.displacement is not None and not self._displacement_masks["displacement_target"].any():
            self._displacement_masks = self._displacement_areas()
        return self._displacement_masks


def fix_hotspots(model: CriminalMarketModel) -> None:
    """Phase P23: hotspot zones whose month this was take this month's most active cells (by all
    illicit activity, or by street sales for a zone ranked on ``retail``)."""
    model.zones.observe(model.steps, model.world.layers)


def ring(mask: np.ndarray, width: int) -> np.ndarray:
    """Cells within ``width`` Moore steps of ``mask`` but outside it (a displacement buffer)."""
    grown = mask
    for _ in range(width):
        grown = dilate(grown)
    return grown & ~mask
