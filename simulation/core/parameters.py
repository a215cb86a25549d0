"""Every parameter of the model: the world it starts from and the numbers inside agents' decisions.

Each field carries its unit, allowed range (every number has an upper bound), default, a one-line
rationale and a ``source`` — a citation, or ``assumption`` said plainly. ``docs/parameters.md`` is
generated from these classes (``python -m simulation.core.parameters``), so the two cannot drift.
Units: one step is one month; money is in thousands of currency units (k); goods are in abstract
"units" of an illicit commodity (think kilograms).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ASSUMPTION = "assumption"
CALIBRATED = "assumption, set so that the baseline reproduces the patterns of docs/ODD.md section 1"


class Section(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def param(
    default: Any,
    *,
    unit: str,
    rationale: str,
    source: str = ASSUMPTION,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Any:
    """A documented parameter: pydantic field with bounds, plus unit, rationale and source."""
    return Field(
        default,
        ge=ge,
        gt=gt,
        le=le,
        lt=lt,
        description=rationale,
        json_schema_extra={"unit": unit, "source": source},
    )


def share(default: float, rationale: str, source: str = ASSUMPTION, unit: str = "share") -> Any:
    """A parameter in [0, 1]."""
    return param(default, unit=unit, ge=0.0, le=1.0, rationale=rationale, source=source)


def _ordered(low: float, high: float, low_name: str, high_name: str) -> None:
    if low > high:
        raise ValueError(f"{low_name} ({low}) must not exceed {high_name} ({high})")


# ============================================================================================ world
class GridSpec(Section):
    width: int = param(40, unit="cells", ge=8, le=1000, rationale="grid extent along x (columns)")
    height: int = param(40, unit="cells", ge=8, le=1000, rationale="grid extent along y (rows)")


class JurisdictionSpec(Section):
    name: Annotated[str, Field(min_length=1, description="jurisdiction name")]
    state_capacity: float = param(
        1.0,
        unit="multiplier",
        gt=0.0,
        le=2.0,
        rationale="scales state presence of the jurisdiction's cells and the effort of its police units",
    )


def _default_jurisdictions() -> list[JurisdictionSpec]:
    return [
        JurisdictionSpec(name="Westland", state_capacity=1.0),
        JurisdictionSpec(name="Eastland", state_capacity=0.7),
    ]


class GeographySpec(Section):
    urban_centres: int = param(6, unit="count", ge=1, le=200, rationale="urban clusters")
    urban_radius: float = param(
        3.5, unit="cells", gt=0, le=200, rationale="standard deviation of a cluster's Gaussian spread"
    )
    urban_population: float = param(
        6000.0, unit="persons", gt=0, le=1e5, rationale="persons at the centre of a size-1 cluster"
    )
    rural_population: float = param(
        150.0, unit="persons/cell", ge=0, le=1e4, rationale="median rural population of a cell"
    )
    entry_points: int = param(4, unit="count", ge=1, le=100, rationale="ports and border crossings")
    base_unemployment: float = share(0.12, "unemployment before borderland and state-presence premiums")
    border_band: int = param(
        3, unit="cells", ge=0, le=1000, rationale="width of the borderland gradient on each side of a border"
    )


class OCGPopulationSpec(Section):
    count: int = param(8, unit="groups", ge=1, le=500, rationale="groups at the start")
    members: int = param(
        110, unit="persons", ge=3, le=10000, rationale="mean members per group at the start (Poisson)"
    )
    min_members: int = param(
        3,
        unit="persons",
        ge=3,
        le=100,
        rationale="smallest starting group: a leader, a lieutenant and a soldier at least",
    )
    cash: float = param(400.0, unit="k", ge=0, le=1e7, rationale="mean cash per group at the start")
    cash_factor_min: float = param(
        0.5, unit="multiplier", ge=0, le=10, rationale="a group's starting cash is cash x U(min, max)"
    )
    cash_factor_max: float = param(
        1.5, unit="multiplier", ge=0, le=10, rationale="a group's starting cash is cash x U(min, max)"
    )
    territory_radius: int = param(
        4, unit="cells", ge=0, le=20, rationale="Chebyshev radius of the territory held around the base"
    )
    base_spacing: int = param(
        2, unit="cells", ge=0, le=20, rationale="free cells kept between two groups' first territories"
    )
    starting_control: float = share(0.6, "control strength of the cells a group holds at the start")
    leader_experience_min: int = param(
        24, unit="months", ge=0, le=600, rationale="a starting leader's experience is U{min, max - 1}"
    )
    leader_experience_max: int = param(
        120, unit="months", ge=1, le=600, rationale="a starting leader's experience is U{min, max - 1}"
    )
    member_experience_max: int = param(
        72, unit="months", ge=1, le=600, rationale="a starting member's experience is U{0, max - 1}"
    )

    @model_validator(mode="after")
    def _ranges(self) -> OCGPopulationSpec:
        _ordered(self.cash_factor_min, self.cash_factor_max, "cash_factor_min", "cash_factor_max")
        if self.leader_experience_min >= self.leader_experience_max:
            raise ValueError(
                f"leader_experience_min ({self.leader_experience_min}) must be below "
                f"leader_experience_max ({self.leader_experience_max})"
            )
        return self


class EnablerPopulationSpec(Section):
    count: int = param(12, unit="enablers", ge=0, le=5000, rationale="enablers at the start")
    capacity: int = param(3, unit="groups", ge=1, le=100, rationale="client groups per enabler")


class PoliceSpec(Section):
    units_per_jurisdiction: int = param(
        2,
        unit="units",
        ge=1,
        le=100,
        rationale="police units per jurisdiction, each patrolling a band of rows",
    )
    officers_per_unit: float = param(
        40.0, unit="effort units", gt=0, le=1e5, rationale="monthly effort of a unit before x state capacity"
    )


class OfficialPopulationSpec(Section):
    per_community: int = param(1, unit="officials/block", ge=0, le=50, rationale="officials per block")
    integrity_mean: float = share(0.6, "mean of the normal integrity draw (clipped to [0, 1])", unit="0-1")
    integrity_sd: float = param(
        0.2, unit="0-1", ge=0, le=0.5, rationale="standard deviation of the integrity draw"
    )


class CommunitySpec(Section):
    block_size: int = param(8, unit="cells", ge=2, le=100, rationale="cells per side of a community block")


class WorldSpec(Section):
    grid: GridSpec = GridSpec()
    jurisdictions: Annotated[list[JurisdictionSpec], Field(min_length=2, max_length=8)] = Field(
        default_factory=_default_jurisdictions,
        description="countries or regions, in order of increasing x; names unique; at most width // 4",
        json_schema_extra={"unit": "2-8 entries", "source": ASSUMPTION},
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


# ======================================================================================== behaviour
class MarketBehaviour(Section):
    """Sourcing, transport, pricing and demand (OCG.set_price, OCG.smuggle, OCG.sell)."""

    demand_per_capita: float = param(
        0.0004,
        unit="units/person/month",
        gt=0,
        le=1.0,
        rationale="illicit demand per resident at the reference price",
    )
    demand_elasticity: float = param(
        -0.5,
        unit="1",
        ge=-3.0,
        le=0.0,
        rationale="constant price elasticity of demand: d = base (p / p_ref)^elasticity",
        source=(
            "OAS (2013, ch. 4): about -0.5 for cocaine and cannabis, -0.3 for heroin; Gallet (2014) "
            "meta-analysis of 462 estimates; AIC systematic review (2020): about -0.9 on average"
        ),
    )
    reference_price: float = param(
        12.0, unit="k/unit", gt=0, le=1e4, rationale="price at which demand is demand_per_capita; first price"
    )
    wholesale_price: float = param(
        3.0,
        unit="k/unit",
        gt=0,
        le=1e4,
        rationale="base wholesale price at entry points; value at risk per unit",
    )
    transport_cost: float = param(
        0.04, unit="k/unit/cell", ge=0, le=100, rationale="cost of moving a unit one cell"
    )
    markup: float = param(
        1.5,
        unit="1",
        ge=0,
        le=100,
        rationale="target price = effective unit cost x (1 + markup) x scarcity factor",
        source="Caulkins & Reuter (1998): retail prices are several times import prices; value an assumption",
    )
    price_adjustment: float = param(
        0.3,
        unit="share/month",
        gt=0,
        le=1,
        rationale="share of the gap to the target price closed each month",
    )
    scarcity_weight: float = param(
        0.5, unit="1", ge=0, le=10, rationale="price push per unit of last month's unmet-demand share"
    )
    loss_memory: float = param(
        0.3,
        unit="1",
        gt=0,
        le=1,
        rationale="weight of the latest observed seizure share in the learnt loss rate",
    )
    initial_loss_rate: float = share(0.05, "expected share of a shipment seized before any experience")
    min_arrival_share: float = param(
        0.05,
        unit="share",
        gt=0,
        le=1,
        rationale="floor of 1 - loss rate when losses are passed on and orders grossed up (caps both at 20x)",
    )
    stock_cover: float = param(
        1.05,
        unit="units/unit",
        ge=1,
        le=3,
        rationale="stock ordered per unit of expected sales (a 5% buffer)",
    )
    consignment_size: float = param(
        2.0,
        unit="units",
        gt=0,
        le=1e4,
        rationale="a shipment moves in consignments of this size, each seized or not",
    )
    transit_visibility: float = share(
        0.25,
        "illicit activity a unit in transit adds to each route cell, relative to a unit retailed",
        unit="1",
    )
    search_cost_per_effort: float = param(
        0.3,
        unit="price share/effort unit",
        ge=0,
        le=5,
        rationale="search time and risk a buyer adds to the money price where one unit of police effort "
        "is deployed (effective price = price x (1 + this x effort)); the default adds about 5% where "
        "a territory's typical effort is deployed and 15% on a crackdown hotspot",
        source="Moore (1973), Am. Econ. Rev.: the effective price of heroin includes search time and "
        "the risk of arrest; NRC (2001), Informing America's Policy on Illegal Drugs, ch. 3: search "
        "costs and arrest risk are part of the cost to the buyer; value an assumption",
    )
    travel_cost_share: float = param(
        0.35,
        unit="price share",
        ge=0,
        le=5,
        rationale="extra cost, in units of the money price, of buying in a neighbouring locality rather "
        "than one's own; with the default sensitivity and equal policing around, about 3 purchases in "
        "4 are made in the buyer's own locality",
        source="Rengert (1996), The Geography of Illegal Drugs: most buyers buy close to home and "
        "purchases decay with distance; NRC (2001): prices vary over a few city blocks; value an assumption",
    )
    presence_blur: float = share(
        0.0,
        "share of the police presence buyers perceive in a locality that comes from the mean of its "
        "Moore neighbours' (0: buyers know where the police are, locality by locality; 1: they know "
        "only the neighbourhood's average, so a crackdown also deters buying around it)",
        source="Clarke & Weisburd (1994), Crime Prevention Studies 2, and Weisburd et al. (2006), "
        "Criminology: offenders unsure how far an intervention reaches are deterred beyond it "
        "(diffusion of benefits); value an assumption (0 keeps buyers' knowledge exact; "
        "experiments/presence_blur.yaml sweeps it)",
        unit="1",
    )
    buyer_choice_sensitivity: float = param(
        10.0,
        unit="1/price share",
        ge=0,
        le=100,
        rationale="logit sensitivity of buyers' choice of market place to its cost (10: a place 10% "
        "dearer is chosen e^-1 as often); 0 = buyers pick among their options at random",
    )


class OCGBehaviour(Section):
    """Groups' decisions: routes, territory, staffing, money, succession (OCG, conflict)."""

    risk_aversion: float = param(
        0.6,
        unit="1",
        ge=0,
        le=5,
        rationale="weight of expected losses in route, expansion and retreat decisions",
    )
    rationality: float = param(
        5.0,
        unit="1",
        ge=0,
        le=100,
        rationale="logit sharpness of group choices; 0 = random (weakens the rational-actor assumption)",
        source="Toolkit section 5 (OCGs are rational, profit-seeking, risk-weighing); value an assumption",
    )
    wage: float = param(
        1.2, unit="k/member/month", ge=0, le=1000, rationale="wage per member at the going rate"
    )
    reservation_wage: float = param(
        1.5,
        unit="x wage",
        ge=1.0,
        le=10.0,
        rationale=(
            "members' wage is wage x (reservation_wage - youth risk) where they work: "
            "prospects make labour dearer"
        ),
    )
    members_per_cell: float = param(
        1.5, unit="members/cell", gt=0, le=100, rationale="members needed to hold a cell"
    )
    members_per_lieutenant: int = param(
        10,
        unit="members",
        ge=1,
        le=1000,
        rationale="a chain of command: one lieutenant per this many members",
    )
    sales_per_member: float = param(
        1.2, unit="units/member/month", gt=0, le=1000, rationale="retail capacity of one member at liberty"
    )
    workforce_slack: float = param(
        1.25,
        unit="x need",
        ge=1,
        le=5,
        rationale="groups staff this far above what territory and sales need, to grow",
    )
    expansion_attempts: int = param(
        6, unit="cells/month", ge=0, le=50, rationale="cells taken, or given up, at most per month"
    )
    expansion_horizon: float = param(
        6.0, unit="months", gt=0, le=120, rationale="months of a cell's value and risk weighed when expanding"
    )
    member_value_months: float = param(
        12.0,
        unit="months of wages",
        ge=0,
        le=240,
        rationale="a member lost to the police is valued at this many wages",
    )
    new_cell_hold: float = share(
        0.5,
        "expected hold (control x (1 - resilience)) on a cell not yet held, for its extortion value",
        unit="0-1",
    )
    redeploy_share: float = share(
        0.1,
        "members who move to a new selling spot in a month though theirs is still held",
        unit="share/month",
    )
    contest_cost: float = param(
        30.0, unit="k", ge=0, le=1e5, rationale="expected cost scale of a fight; minimum cash to attack"
    )
    attack_cost_share: float = share(0.5, "share of contest_cost an attacker pays per attack")
    defender_advantage: float = param(
        1.5,
        unit="x strength",
        ge=0,
        le=10,
        rationale="a defender's strength multiplier (x its control of the cell)",
    )
    contest_intensity: float = param(
        1.5,
        unit="incidents",
        ge=0,
        le=100,
        rationale="expected extra incidents of a contest (x (1 + control))",
    )
    repelled_control_gain: float = share(
        0.1, "control strength a defender gains by repelling an attack", unit="0-1"
    )
    takeover_control: float = share(0.3, "control strength of a freshly taken cell", unit="0-1")
    control_consolidation: float = share(
        0.1,
        "share of the gap between a cell's control strength and its holder's cohesion closed a month",
        unit="share/month",
    )
    min_control: float = share(0.05, "lowest control strength of a held cell", unit="0-1")
    lethality: float = share(0.08, "chance a violent incident kills a member", unit="probability/incident")
    extortion_rate: float = param(
        0.4, unit="k/1000 persons/month", ge=0, le=20, rationale="protection money at full hold"
    )
    extortion_per_victim: float = param(
        10.0, unit="k/month", gt=0, le=1e4, rationale="protection money taken from one victimised business"
    )
    exploitation_rate: float = param(
        0.5,
        unit="victims/1000 vulnerable persons/month",
        ge=0,
        le=1000,
        rationale="exploitation at full hold",
    )
    exploitation_income: float = param(
        0.3, unit="k/month", ge=0, le=1000, rationale="income from one exploited victim still held"
    )
    services_share: float = share(0.05, "share of monthly revenue spent on community 'services'")
    bribe_share: float = share(0.03, "share of the month's profit set aside for protection")
    launder_share: float = share(0.5, "share of cash above the reserve laundered each month")
    cash_reserve_months: float = param(
        3.0,
        unit="months of wages",
        ge=0,
        le=120,
        rationale="wages kept in hand: not laundered; recruits must be affordable",
    )
    consumption_rate: float = share(
        0.05, "share of wealth above the consumption reserve spent each month", unit="share/month"
    )
    consumption_reserve_months: float = param(
        6.0, unit="months of wages", ge=0, le=120, rationale="wages kept back from consumption"
    )
    initial_cohesion: float = share(0.8, "cohesion of a group at the start", unit="0-1")
    cohesion_recovery: float = share(
        0.05, "share of the gap to cohesion 1 recovered each month", unit="share/month"
    )
    unpaid_cohesion_loss: float = share(
        0.1, "cohesion lost in a month the group cannot pay its people", unit="0-1"
    )
    succession_noise_months: float = param(
        6.0,
        unit="months",
        ge=0,
        le=120,
        rationale="noise on experience when lieutenants are ranked for succession",
    )
    settled_cohesion: float = share(
        0.75, "cohesion at which a challenger accepts the new leader and the power struggle ends", unit="0-1"
    )
    struggle_base_intensity: float = param(
        1.0, unit="incidents", ge=0, le=100, rationale="expected extra incidents of a month of power struggle"
    )
    struggle_escalation: float = param(
        6.0, unit="incidents", ge=0, le=100, rationale="extra incidents at full division (cohesion 0)"
    )
    split_propensity: float = param(
        1.0, unit="1", ge=0, le=5, rationale="scales the monthly chance that a challenger splits the group"
    )
    max_split: float = share(0.95, "ceiling of the monthly split probability", unit="probability/month")
    splinter_cohesion: float = share(0.6, "cohesion of a group that splits off", unit="0-1")
    entry_rate: float = share(
        0.1, "monthly chance a new group forms, x share of demand in unserved cells", unit="probability/month"
    )
    entrant_cash_share: float = param(
        0.25, unit="x world.ocgs.cash", ge=0, le=10, rationale="cash a new entrant starts with"
    )
    entrant_members: int = param(
        4, unit="persons", ge=1, le=100, rationale="people a new entrant starts with"
    )


class MemberBehaviour(Section):
    """Members' exits, prison and re-offending (member.exits, Member.walk_free)."""

    exit_rate: float = share(0.01, "base monthly hazard of leaving", unit="1/month")
    exit_cohesion_base: float = param(
        0.5,
        unit="1",
        ge=0,
        le=10,
        rationale="exit hazard factor is (base + 1 - cohesion): some leave even united groups",
    )
    job_market_unemployment: float = share(
        0.25, "unemployment below which licit jobs pull members out of crime"
    )
    job_pull: float = param(
        4.0, unit="1", ge=0, le=100, rationale="exit hazard gain per point of unemployment below that level"
    )
    unpaid_exit_multiplier: float = param(
        3.0, unit="x", ge=1, le=100, rationale="exit hazard multiplier in a month the group cannot pay"
    )
    max_exit: float = share(0.9, "ceiling of the monthly exit hazard", unit="probability/month")
    sentence_months: float = param(
        24.0, unit="months", gt=0, le=600, rationale="mean prison term of a soldier"
    )
    lieutenant_sentence_factor: float = param(
        1.5, unit="x", ge=0, le=10, rationale="a lieutenant's mean term relative to a soldier's"
    )
    leader_sentence_factor: float = param(
        2.0, unit="x", ge=0, le=10, rationale="a leader's mean term relative to a soldier's"
    )
    reoffend_propensity: float = share(
        0.5, "scales the re-offending probability of released prisoners", unit="1"
    )
    reoffend_base: float = param(
        0.4, unit="1", ge=0, le=10, rationale="pull back to crime with full licit prospects"
    )
    reoffend_unemployment_weight: float = param(
        2.0, unit="1", ge=0, le=100, rationale="pull per point of unemployment where released"
    )
    reoffend_exclusion_weight: float = param(
        0.6, unit="1", ge=0, le=100, rationale="pull per point of exclusion where released"
    )
    reoffend_legitimacy_weight: float = param(
        0.4, unit="1", ge=0, le=100, rationale="pull per point of the groups' legitimacy where released"
    )
    max_reoffend: float = share(0.95, "ceiling of the re-offending probability", unit="probability")
    leader_insulation: float = share(0.85, "share of detection a leader avoids")
    lieutenant_insulation: float = share(0.5, "share of detection a lieutenant avoids")


class RecruitmentBehaviour(Section):
    base_rate: float = param(
        1.0, unit="recruits/1000 youths at risk/month", ge=0, le=1000, rationale="recruitment before drivers"
    )
    unemployment_weight: float = param(
        3.0, unit="1", ge=0, le=100, rationale="weight of unemployment in the drive"
    )
    exclusion_weight: float = param(2.0, unit="1", ge=0, le=100, rationale="weight of exclusion in the drive")
    legitimacy_weight: float = param(
        1.5, unit="1", ge=0, le=100, rationale="weight of the groups' perceived legitimacy in the drive"
    )
    youth_share: float = share(0.15, "share of residents who are young")


class PolicingBehaviour(Section):
    """Police units' deployment, detection, courts and confiscation (PoliceUnit, policing)."""

    detection_rate: float = param(
        0.06,
        unit="1/(effort unit month)",
        gt=0,
        le=100,
        rationale="detection rate per effort unit for an exposed member",
    )
    intelligence: float = share(
        0.5, "share of effort steered by last month's signals; detection x (base + this)"
    )
    base_detection_share: float = param(
        0.5, unit="1", ge=0, le=10, rationale="detection factor without intelligence (base + intelligence)"
    )
    violence_signal_weight: float = param(
        2.0,
        unit="1",
        ge=0,
        le=100,
        rationale="weight of a violent incident, relative to a unit of activity, in the signal",
    )
    report_signal_weight: float = param(
        3.0,
        unit="1",
        ge=0,
        le=100,
        rationale="weight of a community report, relative to a unit of activity, in the signal",
    )
    contact_rate: float = param(
        0.03,
        unit="contacts/household/month",
        ge=0,
        le=10,
        rationale="police-initiated contacts (stops, searches, questioning) a household has where effort is "
        "the grid mean; proportional to the block's effort",
        source="BJS Police-Public Contact Survey 2018 (Harrell & Davis 2020): about 10% of residents 16+ had "
        "a police-initiated contact in a year; a household of 2-3 adults, per month",
    )
    unfair_share: float = share(
        0.1,
        "share of contacts a household experiences as unfair (a wrongful stop, disrespect, force) "
        "under rights-compliant policing",
        source="BJS PPCS 2018: about 1 in 10 people stopped said the police did not behave properly",
    )
    heavy_handed_contact_multiplier: float = param(
        3.0,
        unit="x",
        ge=1,
        le=20,
        rationale="heavy-handed policing stops and searches this many times as often per unit of effort",
        source="NYC stop-question-frisk: 97k stops in 2002, 686k in 2011 (about x7 at the peak); "
        "default a moderate x3, an assumption inside that span",
    )
    heavy_handed_unfair_share: float = share(
        0.4,
        "share of contacts experienced as unfair under heavy-handed policing",
        source="NYC stop-question-frisk 2004-2012: about 88% of stops ended without arrest or summons "
        "and force was used in about 20% (Floyd v. City of New York, 2013); 0.4 an assumption inside",
    )
    heavy_handed_concentration: float = param(
        1.5,
        unit="exponent",
        ge=1,
        le=5,
        rationale="heavy-handed policing raises signals to this power (hotspot focus)",
    )
    report_weight: float = param(
        1.0, unit="1", ge=0, le=100, rationale="detection gain per unit of the cell's willingness to report"
    )
    interdiction_rate: float = param(
        0.04,
        unit="1/(effort unit month)",
        ge=0,
        le=100,
        rationale="seizure hazard rate per effort unit on a route cell",
    )
    evidence_base: float = share(
        0.6, "chance an arrest has the evidence to go to court, with no community help"
    )
    evidence_reporting_weight: float = share(
        0.4, "added chance per unit of willingness to report where arrested"
    )
    conviction_rate: float = share(0.5, "base chance a prosecution ends in conviction", unit="probability")
    witness_weight: float = param(
        0.15,
        unit="probability/witness",
        ge=0,
        le=1,
        rationale="conviction gain per live testimony against the group",
    )
    max_conviction: float = share(0.95, "ceiling of the conviction probability", unit="probability")
    confiscation_rate: float = share(
        0.04,
        "share of a group's cash confiscated per senior conviction",
        source="Europol (2016), Does crime still pay? Criminal asset recovery in the EU: about 2.2% of "
        "criminal proceeds are provisionally seized or frozen and 1.1% confiscated; 0.04 gives the "
        "baseline about 2% of the groups' revenue confiscated, enablers' forfeits included (measured, "
        "seeds 1-2, months 13-120)",
    )
    laundered_exposure: float = share(0.2, "share of confiscation_rate that reaches laundered assets")
    cooperation: float = share(0.05, "chance a trail abroad becomes a joint operation", unit="probability")
    control_erosion: float = param(
        0.02,
        unit="control/month",
        ge=0,
        le=1,
        rationale="control strength lost at a cell with the mean police effort",
    )


class CorruptionBehaviour(Section):
    bribe_threshold: float = param(
        8.0, unit="k/month", gt=0, le=1e5, rationale="monthly bribe that just outweighs integrity 1"
    )
    risk_horizon_months: float = param(
        12.0,
        unit="months",
        ge=0,
        le=120,
        rationale="months of detection risk an official weighs against a bribe",
    )
    penalty_if_caught: float = param(
        24.0,
        unit="k",
        ge=0,
        le=1e5,
        rationale="what an official expects to lose if caught (dismissal, lost pay, prosecution), weighed "
        "against the bribes expected before then; assumption: about two years' pay",
    )
    integrity_noise: float = param(
        0.05,
        unit="0-1",
        ge=0,
        le=1,
        rationale="standard deviation of an official's mood when offered a bribe",
    )
    protection_per_official: float = share(
        0.5, "share of police risk one corrupt official removes in the block"
    )
    detection_rate: float = share(0.02, "monthly hazard a corrupt official is caught", unit="1/month")


class EnablerBehaviour(Section):
    fee_rate: float = share(0.1, "mean fee on the value served")
    fee_factor_min: float = param(
        0.7, unit="multiplier", ge=0, le=10, rationale="an enabler's fee is fee_rate x U(min, max)"
    )
    fee_factor_max: float = param(
        1.3, unit="multiplier", ge=0, le=10, rationale="an enabler's fee is fee_rate x U(min, max)"
    )
    concealment: float = share(0.4, "share of seizure risk a transporter removes")
    cover: float = share(0.2, "share of arrest risk a forger removes")
    detection_rate: float = share(0.01, "monthly base hazard of disruption", unit="1/month")
    client_trace_weight: float = param(
        0.5, unit="1", ge=0, le=100, rationale="traces grow by this much per client served"
    )
    volume_trace_scale: float = param(
        500.0,
        unit="k/month",
        gt=0,
        le=1e7,
        rationale="money moved in a month that doubles an enabler's traces",
    )
    max_detection: float = share(0.9, "ceiling of the monthly disruption hazard", unit="probability/month")
    entry_rate: float = share(0.1, "chance a missing enabler is replaced", unit="probability/month")
    risk_horizon_months: float = param(
        12.0,
        unit="months",
        ge=0,
        le=120,
        rationale="months of fee income an enabler weighs as lost if caught",
    )
    penalty_if_caught: float = param(
        50.0,
        unit="k",
        ge=0,
        le=1e5,
        rationale="what else an enabler loses if caught (licence, practice, prosecution); assumption",
    )

    @model_validator(mode="after")
    def _ranges(self) -> EnablerBehaviour:
        _ordered(self.fee_factor_min, self.fee_factor_max, "fee_factor_min", "fee_factor_max")
        return self


class CommunityBehaviour(Section):
    """Residents' experiences, attitudes and decisions (community.Residents, community.respond)."""

    households_per_block: int = param(
        40,
        unit="households",
        ge=1,
        le=2000,
        rationale="households simulated per block, each with its own attitudes and thresholds (a sample "
        "of the block's residents: their shares are the block's reporting and support for the groups)",
    )
    attitude_spread: float = param(
        0.1,
        unit="0-1 (sd)",
        ge=0,
        le=1,
        rationale="spread of households' starting trust and sympathy around the block's baseline",
    )
    violence_weight: float = param(
        0.5,
        unit="per incident/1000 residents",
        ge=0,
        le=100,
        rationale="hazard that a household is harmed or frightened, per violent incident per 1000 residents",
    )
    victimisation_weight: float = param(
        0.5,
        unit="per victim/1000 residents",
        ge=0,
        le=100,
        rationale="hazard that a household is harmed, per victim of the groups per 1000 residents",
    )
    services_weight: float = param(
        0.5,
        unit="per k/1000 residents",
        ge=0,
        le=100,
        rationale="hazard that a household benefits from the groups' services, per k per 1000 residents",
    )
    service_gain: float = share(
        0.1, "share of the distance to full sympathy a household goes when the groups serve it"
    )
    fear_sensitivity: float = param(
        2.0,
        unit="1",
        ge=0,
        le=100,
        rationale="fear = 1 - exp(-sensitivity x (violence_weight x violence + harmed this month))",
    )
    harm_legitimacy_cost: float = share(
        0.5, "share of its sympathy for the groups a household loses when they harm it"
    )
    harm_grievance: float = share(
        0.2, "share of the distance to full grievance a household goes when it is harmed"
    )
    contact_learning: float = share(
        0.05,
        "share of the distance to full trust a household goes after a fair police contact",
        source="assumption; Tyler (2006) Why People Obey the Law: treatment in a contact, not its outcome, "
        "moves legitimacy",
    )
    unfair_asymmetry: float = param(
        4.0,
        unit="x",
        ge=1,
        le=20,
        rationale="an unfair contact costs this many times the trust a fair one earns",
        source="Skogan (2006), Policing & Society 16(2): the impact of a bad experience is 4 to 14 times "
        "that of a good one; the low end",
    )
    unfair_grievance: float = share(
        0.1, "share of the distance to full grievance a household goes after an unfair contact"
    )
    word_of_mouth: float = param(
        3.0,
        unit="households/contact",
        ge=0,
        le=100,
        rationale="households of the block who hear of each unfair contact",
        source="assumption; Rosenbaum et al. (2005), Police Quarterly 8(3): vicarious experience of the "
        "police moves attitudes as direct experience does",
    )
    vicarious_weight: float = share(0.5, "weight of an unfair contact heard of, relative to one lived")
    corruption_trust_cost: float = share(0.5, "share of trust lost where every official is corrupt")
    grievance_exclusion_weight: float = param(
        0.5, unit="1", ge=0, le=10, rationale="grievance per point of exclusion"
    )
    legitimacy_exclusion_weight: float = param(
        0.4,
        unit="1",
        ge=0,
        le=10,
        rationale="baseline sympathy for the groups per point of exclusion, scaled by distrust of the state",
    )
    legitimacy_floor: float = share(
        0.05, "households' baseline sympathy for the groups with no exclusion, harm or services", unit="0-1"
    )
    resilience_base: float = share(0.25, "resilience with no trust, grievance or legitimacy", unit="0-1")
    resilience_trust_weight: float = param(
        0.5, unit="1", ge=0, le=10, rationale="resilience per point of trust"
    )
    resilience_grievance_weight: float = param(
        0.3, unit="1", ge=0, le=10, rationale="resilience lost per point of grievance"
    )
    resilience_legitimacy_weight: float = param(
        0.2, unit="1", ge=0, le=10, rationale="resilience lost per point of the groups' legitimacy"
    )
    youth_grievance_share: float = share(
        0.5, "youth risk = share x grievance + (1 - share) x (1 - resilience)", unit="1"
    )
    activity_visibility: float = param(
        0.1,
        unit="incidents/unit",
        ge=0,
        le=10,
        rationale="reportable incidents residents see per unit of activity",
    )
    adaptation: float = share(
        0.1,
        "share of the gap to its baseline attitudes a household closes each month (memory fades)",
        unit="share/month",
    )


class VictimBehaviour(Section):
    identification_rate: float = share(
        0.01, "victim identification rate per effort unit", unit="1/(effort unit month)"
    )
    support_rate: float = share(0.3, "chance an identified victim enters support", unit="probability/month")
    compensation_rate: float = share(
        0.1, "chance a supported victim is compensated", unit="probability/month"
    )
    compensation_amount: float = param(
        5.0, unit="k", gt=0, le=1e4, rationale="paid from the victims' fund per compensation"
    )
    recovery_rate: float = share(
        0.1, "monthly recovery chance of a supported victim", unit="probability/month"
    )
    compensated_recovery_factor: float = param(
        1.5, unit="x", ge=0, le=10, rationale="compensation speeds recovery by this factor"
    )
    revictimisation_rate: float = share(
        0.03, "re-victimisation hazard at control strength 1 in a controlled cell", unit="probability/month"
    )
    escape_rate: float = share(
        0.05,
        "monthly chance a victim comes forward to the police where trust minus fear of the group equals "
        "forward_reference_trust",
        unit="probability/month",
    )
    forward_reference_trust: float = share(
        0.5, "trust in the police (net of fear of the group) at which victims come forward at escape_rate"
    )
    witness_propensity: float = share(
        0.2,
        "chance a rescued victim testifies, x (base + trust in the police) x (1 - fear of the group)",
        unit="probability",
    )
    testimony_base: float = param(
        0.5, unit="1", ge=0, le=10, rationale="testimony factor with no trust in the police (base + trust)"
    )
    testimony_months: int = param(
        12,
        unit="months",
        ge=0,
        le=600,
        rationale="months a testimony keeps helping prosecutions of the group",
    )
    forget_after_months: int = param(
        12, unit="months", ge=0, le=600, rationale="months after recovery when a victim leaves the books"
    )
    compensation_fund: float = param(
        10.0, unit="k/month", ge=0, le=1e6, rationale="public money paid into the victims' fund each month"
    )
    fund_share_of_confiscations: float = share(
        0.2,
        "share of confiscated assets paid into the victims' fund",
        source="Toolkit case study 6 (asset reuse); value an assumption",
    )


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


# ============================================================================= docs/parameters.md
PARAMETERS_PATH = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"
_HEADER = """# Parameters

Generated from `simulation/core/parameters.py` by `python -m simulation.core.parameters`; do not
edit by hand (a test checks that this file is current).

Every number an agent's decision uses is one of these parameters: each can be set in a scenario
file, with `--set PATH=VALUE`, swept in an experiment and named as an assumption of a theory of
success. Ranges are inclusive unless marked `(` (exclusive); every number has an upper bound.
Units: a step is a month; money is in thousands of currency units (k); goods in abstract units.
A `source` of "assumption" says plainly that the value is not taken from the literature; the
pattern table (`docs/ODD.md`, section 1) says how the model's behaviour at these values compares
with what has been observed.
"""


def _bounds(field: Any) -> str:
    low, high = "", ""
    for rule in field.metadata:
        if getattr(rule, "ge", None) is not None:
            low = f"[{rule.ge:g}"
        if getattr(rule, "gt", None) is not None:
            low = f"({rule.gt:g}"
        if getattr(rule, "le", None) is not None:
            high = f"{rule.le:g}]"
        if getattr(rule, "lt", None) is not None:
            high = f"{rule.lt:g})"
    return f"{low or '(-inf'}, {high or 'inf)'}" if low or high else "—"


def _rows(section: type[Section], prefix: str) -> tuple[list[str], list[tuple[str, type[Section]]]]:
    rows, nested = [], []
    for name, field in section.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, Section):
            nested.append((f"{prefix}{name}", kind))
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = field.default_factory() if field.default_factory is not None else field.default
        if isinstance(default, list):
            default = f"{len(default)} entries"
        rationale = (field.description or "").replace("|", "\\|")
        rows.append(
            f"| `{prefix}{name}` | {default} | {extra.get('unit', '—')} | {_bounds(field)} | "
            f"{rationale} | {extra.get('source', '—')} |"
        )
    return rows, nested


def parameters_markdown() -> str:
    """docs/parameters.md: one table per section, world first, then behaviour by agent and mechanism."""
    parts = [_HEADER]
    queue: list[tuple[str, type[Section]]] = [("world", WorldSpec), ("behaviour", BehaviourSpec)]
    queue += [("world.jurisdictions[]", JurisdictionSpec)]
    while queue:
        path, section = queue.pop(0)
        rows, nested = _rows(section, f"{path}.")
        queue = [*nested, *queue]
        if not rows:
            continue
        doc = (section.__doc__ or "").strip()
        intro = f"\n{doc}\n" if doc and not doc.startswith("Base for") else ""
        parts.append(f"\n## `{path}`\n{intro}")
        parts.append("| Path | Default | Unit | Range | Rationale | Source |\n|---|---|---|---|---|---|")
        parts.extend(rows)
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    PARAMETERS_PATH.write_text(parameters_markdown(), encoding="utf-8")
    print(f"wrote {PARAMETERS_PATH}")
