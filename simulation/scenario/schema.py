"""The scenario schema: the model's parameters (``simulation.core.parameters``) plus the strategy,
zones, what is recorded, and the theory of success.

A scenario file is the single parameter object of a run (world + behaviour + strategy + zones +
output). Units: one step is one month; money is in thousands of currency units (k); goods are in
abstract "units" of an illicit commodity (think kilograms).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, create_model, field_validator, model_validator

from simulation.core.indicators import RECORDED_NAMES, SNAPSHOT_LAYERS
from simulation.core.levers.catalogue import PRINCIPLES, levers_of
from simulation.core.parameters import BehaviourSpec, WorldSpec
from simulation.scenario.claims import Claim, RangeSpec
from simulation.scenario.section import Section

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Probability
PositiveInt = Annotated[int, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


# ------------------------------------------------------------------------------------ strategy
class ZoneTarget(Section):
    zone: Annotated[str, Field(min_length=1, description="a zone named under zones:")]


class JurisdictionTarget(Section):
    jurisdiction: Annotated[str, Field(min_length=1)]


class LeverSpec(Section):
    """One lever: how hard, when (months ``start`` up to but not including ``end``) and where."""

    intensity: Annotated[float, Field(ge=0.0, le=1.0, description="0 = off, 1 = full")] = 1.0
    start: Annotated[int, Field(ge=0, description="first month the lever acts")] = 0
    end: Annotated[int | None, Field(ge=1, description="month it stops (not included); null = never")] = None
    target: Literal["all"] | ZoneTarget | JurisdictionTarget = "all"

    @model_validator(mode="after")
    def _window(self) -> LeverSpec:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    def active(self, step: int) -> bool:
        return self.intensity > 0 and self.start <= step and (self.end is None or step < self.end)


def _principle_section(principle: str) -> type[Section]:
    """A P's section, with one optional field per lever of the catalogue."""
    fields: dict = {
        lever.name: (LeverSpec | None, Field(default=None, description=lever.objective))
        for lever in levers_of(principle)  # type: ignore[arg-type]
    }
    model = create_model(f"{principle.capitalize()}Levers", __base__=Section, **fields)
    model.__doc__ = f"The {principle.upper()} levers (docs/levers.md)."
    return model


PreventLevers = _principle_section("prevent")
PursueLevers = _principle_section("pursue")
ProtectLevers = _principle_section("protect")
PromoteLevers = _principle_section("promote")


class StrategySpec(Section):
    prevent: PreventLevers = PreventLevers()  # type: ignore[valid-type]
    pursue: PursueLevers = PursueLevers()  # type: ignore[valid-type]
    protect: ProtectLevers = ProtectLevers()  # type: ignore[valid-type]
    promote: PromoteLevers = PromoteLevers()  # type: ignore[valid-type]
    enforcement_style: Literal["rights_compliant", "heavy_handed"] = "rights_compliant"
    budget: Annotated[
        float | None, Field(gt=0, description="k per month for all levers; costs above it scale levers down")
    ] = None

    def levers(self) -> list[tuple[str, str, LeverSpec]]:
        """(principle, lever name, spec) of every lever the strategy sets, in catalogue order."""
        found = []
        for principle in PRINCIPLES:
            section = getattr(self, principle)
            for lever in levers_of(principle):
                spec = getattr(section, lever.name)
                if spec is not None:
                    found.append((principle, lever.name, spec))
        return found


# --------------------------------------------------------------------------------------- zones
class RectZone(Section):
    rect: Annotated[list[int], Field(min_length=4, max_length=4, description="[x0, y0, x1, y1]")]

    @model_validator(mode="after")
    def _ordered(self) -> RectZone:
        x0, y0, x1, y1 = self.rect
        if min(self.rect) < 0 or x1 <= x0 or y1 <= y0:
            raise ValueError("rect needs 0 <= x0 < x1 and 0 <= y0 < y1")
        return self


class JurisdictionZone(Section):
    jurisdiction: Annotated[str, Field(min_length=1)]


MarketLayer = Literal["activity", "retail"]
"""Illicit activity (street sales plus goods in transit) or street sales alone."""


class HotspotSpec(Section):
    top: PositiveInt
    at_step: Annotated[int, Field(ge=1, description="month whose activity ranks the cells")]
    jurisdiction: Annotated[str | None, Field(description="rank only cells of this jurisdiction")] = None
    border_band: Annotated[
        int | None, Field(ge=1, description="rank only cells within this many cells of a border")
    ] = None
    layer: Annotated[
        MarketLayer,
        Field(description="what ranks the cells: all illicit activity, or street sales only (retail)"),
    ] = "activity"


class HotspotZone(Section):
    hotspots: HotspotSpec


def _zone_kind(value: object) -> str | None:
    """Which kind of zone a mapping describes, by its key; None lets pydantic say what is allowed."""
    if isinstance(value, dict):
        for key, kind in (
            ("rect", "RectZone"),
            ("jurisdiction", "JurisdictionZone"),
            ("hotspots", "HotspotZone"),
        ):
            if key in value:
                return kind
        return None
    return type(value).__name__ if isinstance(value, RectZone | JurisdictionZone | HotspotZone) else None


Zone = Annotated[
    Annotated[RectZone, Tag("RectZone")]
    | Annotated[JurisdictionZone, Tag("JurisdictionZone")]
    | Annotated[HotspotZone, Tag("HotspotZone")],
    Discriminator(
        _zone_kind,
        custom_error_type="zone",
        custom_error_message="a zone is {rect: [x0, y0, x1, y1]}, {jurisdiction: NAME} or "
        "{hotspots: {top: K, at_step: S}}",
    ),
]


# -------------------------------------------------------------------------------------- output
class DisplacementSpec(Section):
    target: Annotated[str, Field(min_length=1, description="zone whose activity the strategy targets")]
    buffer: Annotated[int, Field(ge=1, le=50, description="cells around the target counted as buffer")] = 3
    layer: Annotated[
        MarketLayer,
        Field(description="what the displacement areas sum: all illicit activity, or street sales only"),
    ] = "activity"


class OutputSpec(Section):
    snapshot_every: Annotated[
        int, Field(ge=0, description="steps between spatial snapshots; 0 keeps none")
    ] = 12
    keep: Annotated[list[str] | None, Field(description="indicators stored (default: all recorded)")] = None
    history: Annotated[
        list[str],
        Field(description="layers kept every month for event studies (RunResult.history); default none"),
    ] = Field(default_factory=list)

    @field_validator("history")
    @classmethod
    def _known_layers(cls, history: list[str]) -> list[str]:
        unknown = [name for name in history if name not in SNAPSHOT_LAYERS]
        if unknown:
            raise ValueError(f"unknown layer(s) {unknown}; allowed: {', '.join(SNAPSHOT_LAYERS)}")
        return list(dict.fromkeys(history))

    @field_validator("keep")
    @classmethod
    def _known_indicators(cls, keep: list[str] | None) -> list[str] | None:
        if keep is None:
            return None
        unknown = [name for name in keep if name not in RECORDED_NAMES]
        if unknown:
            raise ValueError(f"unknown indicator(s) {unknown}; allowed: {', '.join(RECORDED_NAMES)}")
        if not keep:
            raise ValueError("keep at least one indicator (or leave keep out to keep all)")
        return list(dict.fromkeys(keep))


class Scenario(Section):
    """A whole scenario: what is simulated, under which strategy, and what is recorded."""

    name: str = "unnamed"
    description: str = ""
    steps: Annotated[int, Field(ge=1, le=100000, description="months simulated")] = 120
    world: WorldSpec = WorldSpec()
    behaviour: BehaviourSpec = BehaviourSpec()
    strategy: StrategySpec = StrategySpec()
    zones: dict[str, Zone] = Field(default_factory=dict)
    displacement: DisplacementSpec | None = None
    output: OutputSpec = OutputSpec()
    theory_of_success: list[Claim] = Field(default_factory=list)
    assumptions: dict[str, RangeSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _claims_fit_run(self) -> Scenario:
        for i, claim in enumerate(self.theory_of_success):
            for name, window in (("window", claim.window), ("baseline", claim.baseline)):
                if window is not None and window[1] > self.steps:
                    raise ValueError(
                        f"theory_of_success.{i}.{name}: [{window[0]}, {window[1]}] ends after the last "
                        f"month ({self.steps})"
                    )
            needs_displacement = claim.metric.startswith("activity_") or claim.metric in (
                "displacement_ratio",
                "cross_border_share",
                "wdq",
            )
            if needs_displacement and self.displacement is None:
                raise ValueError(
                    f"theory_of_success.{i}.metric: {claim.metric} needs a displacement section "
                    "(displacement: {target: ZONE})"
                )
        return self

    @model_validator(mode="after")
    def _zones_fit_world(self) -> Scenario:
        names = {j.name for j in self.world.jurisdictions}
        for zone_name, zone in self.zones.items():
            if isinstance(zone, RectZone):
                _, _, x1, y1 = zone.rect
                if x1 > self.world.grid.width or y1 > self.world.grid.height:
                    raise ValueError(
                        f"zone {zone_name!r}: rect {zone.rect} exceeds the "
                        f"{self.world.grid.width}x{self.world.grid.height} grid"
                    )
            within = zone.hotspots.jurisdiction if isinstance(zone, HotspotZone) else None
            if within is not None and within not in names:
                raise ValueError(
                    f"zone {zone_name!r}: unknown jurisdiction {within!r}; allowed: {sorted(names)}"
                )
            if isinstance(zone, JurisdictionZone) and zone.jurisdiction not in names:
                raise ValueError(
                    f"zone {zone_name!r}: unknown jurisdiction {zone.jurisdiction!r}; "
                    f"allowed: {sorted(names)}"
                )
        for zone_name, zone in self.zones.items():
            if isinstance(zone, HotspotZone) and zone.hotspots.at_step > self.steps:
                raise ValueError(
                    f"zone {zone_name!r}: hotspots.at_step ({zone.hotspots.at_step}) is after the "
                    f"last month ({self.steps}); the zone would stay empty"
                )
        for principle, name, lever in self.strategy.levers():
            where = f"strategy.{principle}.{name}.target"
            if isinstance(lever.target, ZoneTarget) and lever.target.zone not in self.zones:
                raise ValueError(
                    f"{where}: unknown zone {lever.target.zone!r}; zones defined: {sorted(self.zones)}"
                )
            if isinstance(lever.target, JurisdictionTarget) and lever.target.jurisdiction not in names:
                raise ValueError(
                    f"{where}: unknown jurisdiction {lever.target.jurisdiction!r}; allowed: {sorted(names)}"
                )
        if self.displacement is not None and self.displacement.target not in self.zones:
            raise ValueError(
                f"displacement.target: unknown zone {self.displacement.target!r}; "
                f"zones defined: {sorted(self.zones)}"
            )
        return self
