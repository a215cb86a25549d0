"""The scenario schema: every parameter of the model, typed, bounded and documented.

A scenario file is the single parameter object of a run (world + behaviour + strategy + zones +
output). Units: one step is one month; money is in thousands of currency units (k); goods are in
abstract "units" of an illicit commodity (think kilograms).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from simulation.core.indicators import RECORDED_NAMES
from simulation.core.levers.catalogue import PRINCIPLES, levers_of
from simulation.scenario.claims import Claim, RangeSpec

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Probability
PositiveInt = Annotated[int, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Section(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------------------- world
class GridSpec(Section):
    width: Annotated[int, Field(ge=8, le=1000, description="cells along x")] = 40
    height: Annotated[int, Field(ge=8, le=1000, description="cells along y")] = 40


class JurisdictionSpec(Section):
    name: Annotated[str, Field(min_length=1)]
    state_capacity: Annotated[
        float, Field(gt=0.0, le=2.0, description="scales state presence and police effort")
    ] = 1.0


def _default_jurisdictions() -> list[JurisdictionSpec]:
    return [
        JurisdictionSpec(name="Westland", state_capacity=1.0),
        JurisdictionSpec(name="Eastland", state_capacity=0.7),
    ]


class GeographySpec(Section):
    urban_centres: Annotated[int, Field(ge=1, le=200, description="urban clusters")] = 6
    urban_radius: Annotated[float, Field(gt=0, description="cells; Gaussian spread")] = 3.5
    urban_population: Annotated[float, Field(gt=0, description="persons at a centre")] = 6000.0
    rural_population: Annotated[float, Field(ge=0, description="persons per rural cell")] = 150.0
    entry_points: Annotated[int, Field(ge=1, le=100, description="ports/crossings")] = 4
    base_unemployment: Annotated[float, Field(ge=0, le=1)] = 0.12
    border_band: Annotated[int, Field(ge=0, description="cells each side counted as borderland")] = 3


class OCGPopulationSpec(Section):
    count: Annotated[int, Field(ge=1, le=500, description="groups at the start")] = 8
    members: Annotated[int, Field(ge=3, le=10000, description="mean members per group at start")] = 110
    cash: Annotated[float, Field(ge=0, description="k per group at start")] = 400.0
    territory_radius: Annotated[int, Field(ge=0, le=20, description="cells held around the base")] = 4


class EnablerPopulationSpec(Section):
    count: Annotated[int, Field(ge=0, le=5000, description="enablers at the start")] = 12
    capacity: Annotated[int, Field(ge=1, le=100, description="client groups per enabler")] = 3


class PoliceSpec(Section):
    units_per_jurisdiction: Annotated[int, Field(ge=1, le=100)] = 2
    officers_per_unit: Annotated[float, Field(gt=0, description="effort units per unit")] = 40.0


class OfficialPopulationSpec(Section):
    per_community: Annotated[int, Field(ge=0, le=50, description="public officials per block")] = 1
    integrity_mean: Probability = 0.6
    integrity_sd: Annotated[float, Field(ge=0, le=0.5)] = 0.2


class CommunitySpec(Section):
    block_size: Annotated[int, Field(ge=2, le=100, description="cells per side of a block")] = 8


class WorldSpec(Section):
    grid: GridSpec = GridSpec()
    jurisdictions: Annotated[list[JurisdictionSpec], Field(min_length=2, max_length=8)] = Field(
        default_factory=_default_jurisdictions
    )
    geography: GeographySpec = GeographySpec()
    ocgs: OCGPopulationSpec = OCGPopulationSpec()
    enablers: EnablerPopulationSpec = EnablerPopulationSpec()
    police: PoliceSpec = PoliceSpec()
    officials: OfficialPopulationSpec = OfficialPopulationSpec()
    communities: CommunitySpec = CommunitySpec()

    @model_validator(mode="after")
    def _fits(self) -> WorldSpec:
        names = [j.name for j in self.jurisdictions]
        if len(set(names)) != len(names):
            raise ValueError(f"jurisdiction names must be unique, got {names}")
        if len(self.jurisdictions) > self.grid.width // 4:
            raise ValueError("each jurisdiction needs at least 4 columns of the grid")
        if self.ocgs.count > self.grid.width * self.grid.height // 4:
            raise ValueError(
                f"ocgs.count ({self.ocgs.count}) needs at least 4 cells per group "
                f"(at most {self.grid.width * self.grid.height // 4} on this grid)"
            )
        if self.police.units_per_jurisdiction > self.grid.height:
            raise ValueError(
                f"police.units_per_jurisdiction ({self.police.units_per_jurisdiction}) cannot exceed "
                f"the grid height ({self.grid.height}): each unit patrols a band of rows"
            )
        return self


# ----------------------------------------------------------------------------------- behaviour
class MarketBehaviour(Section):
    demand_per_capita: Annotated[float, Field(gt=0, description="units/person/month at ref price")] = 0.0004
    demand_elasticity: Annotated[float, Field(ge=-3.0, le=0.0, description="price elasticity")] = -0.5
    reference_price: Annotated[float, Field(gt=0, description="k per unit")] = 12.0
    wholesale_price: Annotated[float, Field(gt=0, description="k per unit at an entry point")] = 3.0
    transport_cost: Annotated[float, Field(ge=0, description="k per unit per cell")] = 0.04
    markup: Annotated[float, Field(ge=0, description="target price / effective unit cost - 1")] = 1.5
    price_adjustment: Annotated[float, Field(gt=0, le=1, description="share of gap closed a step")] = 0.3
    scarcity_weight: Annotated[float, Field(ge=0, description="price push per unit excess demand")] = 0.5
    loss_memory: Annotated[float, Field(gt=0, le=1, description="weight of latest seizure rate")] = 0.3


class OCGBehaviour(Section):
    risk_aversion: Annotated[float, Field(ge=0, le=5, description="weight on expected losses")] = 0.6
    rationality: Annotated[float, Field(ge=0, le=100, description="choice sharpness; 0 = random choices")] = (
        5.0
    )
    wage: Annotated[float, Field(ge=0, description="k per member per month")] = 1.2
    members_per_cell: Annotated[float, Field(gt=0, description="members needed to hold a cell")] = 1.5
    sales_per_member: Annotated[float, Field(gt=0, description="units a member can retail a month")] = 1.2
    expansion_attempts: Annotated[
        int, Field(ge=0, le=50, description="cells taken or given up at most per step")
    ] = 6
    expansion_horizon: Annotated[float, Field(gt=0, description="months of gain weighed")] = 6.0
    contest_cost: Annotated[float, Field(ge=0, description="k of expected loss per unit fight")] = 30.0
    lethality: Probability = 0.08
    extortion_rate: Annotated[float, Field(ge=0, description="k per 1000 persons per month")] = 0.4
    exploitation_rate: Annotated[
        float, Field(ge=0, description="victims per 1000 vulnerable persons per month")
    ] = 0.5
    services_share: Share = 0.05
    bribe_share: Share = 0.03
    launder_share: Share = 0.5
    consumption_rate: Annotated[
        Probability, Field(description="share of wealth above reserve spent each month")
    ] = 0.05
    cohesion_recovery: Annotated[float, Field(ge=0, le=1)] = 0.05
    entry_rate: Annotated[
        Probability, Field(description="monthly chance a new group forms in an unserved market")
    ] = 0.1
    split_propensity: Annotated[float, Field(ge=0, le=5, description="weight of rivalry in splits")] = 1.0


class MemberBehaviour(Section):
    exit_rate: Annotated[Probability, Field(description="monthly base hazard of leaving")] = 0.01
    sentence_months: Annotated[float, Field(gt=0, description="mean prison term")] = 24.0
    reoffend_propensity: Probability = 0.5
    leader_insulation: Annotated[Probability, Field(description="share of detection avoided")] = 0.85
    lieutenant_insulation: Probability = 0.5


class RecruitmentBehaviour(Section):
    base_rate: Annotated[float, Field(ge=0, description="recruits per 1000 youths at risk / month")] = 1.0
    unemployment_weight: Annotated[float, Field(ge=0)] = 3.0
    exclusion_weight: Annotated[float, Field(ge=0)] = 2.0
    legitimacy_weight: Annotated[float, Field(ge=0)] = 1.5
    youth_share: Share = 0.15


class PolicingBehaviour(Section):
    detection_rate: Annotated[float, Field(gt=0, description="per effort unit per member-month")] = 0.06
    intelligence: Annotated[float, Field(ge=0, le=1, description="share of effort steered by data")] = 0.5
    report_weight: Annotated[float, Field(ge=0, description="detection gain per unit reporting")] = 1.0
    interdiction_rate: Annotated[float, Field(ge=0, description="seizure hazard per effort unit")] = 0.04
    conviction_rate: Probability = 0.5
    witness_weight: Annotated[float, Field(ge=0, description="conviction gain per witness")] = 0.15
    confiscation_rate: Annotated[
        Probability, Field(description="share of a group's cash taken per senior conviction")
    ] = 0.2
    cooperation: Annotated[Probability, Field(description="cross-border cooperation propensity")] = 0.05


class CorruptionBehaviour(Section):
    bribe_threshold: Annotated[float, Field(gt=0, description="k per month that meets integrity 1")] = 8.0
    protection_per_official: Probability = 0.5
    detection_rate: Annotated[
        Probability, Field(description="monthly hazard a corrupt official is caught")
    ] = 0.02


class EnablerBehaviour(Section):
    fee_rate: Share = 0.1
    concealment: Annotated[Probability, Field(description="share of seizure risk a transporter removes")] = (
        0.4
    )
    cover: Annotated[Probability, Field(description="share of arrest risk a forger removes")] = 0.2
    detection_rate: Annotated[Probability, Field(description="monthly base hazard of disruption")] = 0.01
    entry_rate: Annotated[Probability, Field(description="chance a missing enabler is replaced")] = 0.1


class CommunityBehaviour(Section):
    violence_weight: Annotated[float, Field(ge=0)] = 0.5
    victimisation_weight: Annotated[float, Field(ge=0)] = 0.5
    services_weight: Annotated[float, Field(ge=0)] = 0.5
    enforcement_weight: Annotated[float, Field(ge=0)] = 0.3
    adaptation: Annotated[Probability, Field(description="share of the gap closed a step")] = 0.1


class VictimBehaviour(Section):
    identification_rate: Annotated[Probability, Field(description="per effort unit per month")] = 0.01
    support_rate: Probability = 0.3
    compensation_rate: Probability = 0.1
    recovery_rate: Probability = 0.1
    revictimisation_rate: Probability = 0.03
    escape_rate: Annotated[Probability, Field(description="monthly chance a victim gets away")] = 0.05
    witness_propensity: Probability = 0.2
    compensation_fund: Annotated[float, Field(ge=0, description="k per month paid into the fund")] = 10.0


class BehaviourSpec(Section):
    market: MarketBehaviour = MarketBehaviour()
    ocg: OCGBehaviour = OCGBehaviour()
    member: MemberBehaviour = MemberBehaviour()
    recruitment: RecruitmentBehaviour = RecruitmentBehaviour()
    policing: PolicingBehaviour = PolicingBehaviour()
    corruption: CorruptionBehaviour = CorruptionBehaviour()
    enabler: EnablerBehaviour = EnablerBehaviour()
    community: CommunityBehaviour = CommunityBehaviour()
    victim: VictimBehaviour = VictimBehaviour()


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


class HotspotSpec(Section):
    top: PositiveInt
    at_step: Annotated[int, Field(ge=1, description="month whose activity ranks the cells")]
    jurisdiction: Annotated[str | None, Field(description="rank only cells of this jurisdiction")] = None
    border_band: Annotated[
        int | None, Field(ge=1, description="rank only cells within this many cells of a border")
    ] = None


class HotspotZone(Section):
    hotspots: HotspotSpec


Zone = RectZone | JurisdictionZone | HotspotZone


# -------------------------------------------------------------------------------------- output
class DisplacementSpec(Section):
    target: Annotated[str, Field(min_length=1, description="zone whose activity the strategy targets")]
    buffer: Annotated[int, Field(ge=1, le=50, description="cells around the target counted as buffer")] = 3


class OutputSpec(Section):
    snapshot_every: Annotated[
        int, Field(ge=0, description="steps between spatial snapshots; 0 keeps none")
    ] = 12
    keep: Annotated[list[str] | None, Field(description="indicators stored (default: all recorded)")] = None

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
