"""CriminalMarketModel: the world, its agents and the declared monthly schedule.

The model builds the world and its agents and runs ``SCHEDULE``, a fixed sequence of phases. Each
phase lives with the agent type or submodel it concerns (``agents/``, ``submodels/``), so the
model holds only what agents share: the world, the strategy's decision modifiers, the month's
counters and the few rosters whose order is part of the dynamics. All randomness flows from the
model's numpy ``rng`` (seeded per run), so a configuration and a seed replay exactly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agent import AgentSet

from simulation.core import indicators, zones
from simulation.core.agents import community, enabler, member, ocg, official
from simulation.core.agents.community import Community
from simulation.core.agents.enabler import Enabler
from simulation.core.agents.member import Member
from simulation.core.agents.ocg import OCG
from simulation.core.agents.official import PoliceUnit, PublicOfficial
from simulation.core.agents.victim import Victim
from simulation.core.events import Event
from simulation.core.levers import apply as levers
from simulation.core.levers.catalogue import PRINCIPLES
from simulation.core.modifiers import DecisionModifiers
from simulation.core.routing import RouteGraph
from simulation.core.submodels import conflict, policing, street_market, victimisation
from simulation.core.world import World

if TYPE_CHECKING:
    from simulation.scenario.schema import Scenario

Phase = Callable[["CriminalMarketModel"], None]

COUNTERS = (
    "recruits",
    "exits",
    "homicides",
    "arrests",
    "leaders_arrested",
    "prosecutions",
    "convictions",
    "assets_confiscated",
    "enablers_disrupted",
    "rescues",
    "new_victims",
    "victims_compensated",
    "cross_border_operations",
    "officials_removed",
    "splits",
    "community_reports",
    "seizures_volume",
    "seizures_value",
    "released",
    "reoffended",
)
"""Events counted during a month (zeroed when it opens); indicators read them."""


def open_month(model: CriminalMarketModel) -> None:
    """Keep last month's signals for the police; zero this month's layers and counters."""
    w = model.world
    model.last_activity = w.activity.copy()
    model.last_violence = w.violence.copy()
    model.last_reports = model.reports
    for name in ("activity", "retail", "violence", "victimisation", "illicit_demand"):
        w.layers[name][:] = 0.0
    model.services[:] = 0.0
    model.sales_value = 0.0
    model.counters = dict.fromkeys(COUNTERS, 0.0)


INITIALISATION: tuple[Phase, ...] = (
    community.populate,  # one community per block
    official.populate,  # the officials' posts, block by block
    policing.populate,  # police units, a band of rows each
    ocg.populate,  # the groups, their territories and members
    enabler.populate,  # the enablers and the groups' first contracts
    community.refresh_layers,  # the communities' attitudes onto the grid
)
"""Who is created, in order (docs/ODD.md section 5); each step populates one agent type."""

SCHEDULE: tuple[Phase, ...] = (
    open_month,  # P1 model: last month's signals kept, this month's layers and counters zeroed
    victimisation.open_month,  # P1 victims' fund paid in, live testimonies counted
    levers.put_to_work,  # P2 the strategy: active levers, decision modifiers, spend
    policing.allocate_effort,  # P3-P4 police units deploy their officers
    ocg.do_business,  # P5-P6 groups in a random order: price, smuggle, sell, extort, pay, bribe, launder
    enabler.find_clients,  # P7 groups lacking a service hire an enabler
    policing.serve_sentences,  # P8 prisoners count down; the released decide whether to re-offend
    policing.arrest_members,  # P9 detection, arrests, prosecutions, the pursuit of leaders
    member.exits,  # P10 members decide whether to quit
    conflict.settle_leadership,  # P11 successions and power struggles, splits
    conflict.dissolve_empty_groups,  # P12 groups with nobody at liberty or no territory
    ocg.work_territory,  # P13 same order: expand, retreat, recruit, organise, deploy
    conflict.dissolve_empty_groups,  # P14 groups whose last member or cell fell in this month's fights
    conflict.firm_up_control,  # P15 control strength moves toward cohesion, eroded by policing
    enabler.face_investigators,  # P16 enablers detected and removed; new ones enter
    official.face_integrity_checks,  # P17 corrupt officials caught and replaced
    victimisation.victim_transitions,  # P18 rescue, support, compensation, recovery, re-victimisation
    community.respond,  # P19 communities update attitudes and report to the police
    ocg.new_entrants,  # P20 a new group may form where demand goes unserved
    member.age,  # P21 experience grows
    indicators.record,  # P22 one row of indicators
    zones.fix_hotspots,  # P23 hotspot zones whose month this was are fixed
)
"""One month, in the order of docs/ODD.md section 3 (P1-P23)."""


class CriminalMarketModel(mesa.Model):
    """An illicit market on a grid of localities, played out month by month."""

    def __init__(self, spec: Scenario, seed: int) -> None:
        super().__init__(rng=int(seed))
        self.spec = spec
        self.world = World(spec.world, self.rng, self.random)
        shape = (self.world.width, self.world.height)
        self.modifiers = DecisionModifiers(shape)
        self.route_graph = RouteGraph(*shape)
        self.zones = zones.ZoneBook(spec, self.world)
        self.active_levers: list[levers.ActiveLever] = []
        self.spend = dict.fromkeys(PRINCIPLES, 0.0)
        self.counters: dict[str, float] = dict.fromkeys(COUNTERS, 0.0)
        self.records: list[dict[str, float]] = []
        self.events: list[Event] = []
        self.recidivism: deque[tuple[float, float]] = deque(maxlen=indicators.RECIDIVISM_WINDOW)
        # monthly shared state that agents read or write as they decide
        self.services = np.zeros(shape)
        self.sales_value = 0.0
        self.last_activity = np.zeros(shape)
        self.last_violence = np.zeros(shape)
        self.reports = np.zeros(shape)
        self.street_market = street_market.open_market(self)
        """Where buyers buy this month (``street_market.open_market``, renewed in P5)."""
        self.residents: community.Residents
        """Every block's households (``community.populate``)."""
        self.last_reports = self.reports
        self.mean_effort = 0.0
        self.wage_factor = np.zeros(shape)
        """Members' wage relative to ``behaviour.ocg.wage`` per cell (``community.refresh_layers``)."""
        self.victim_fund = 0.0
        self.testimonies: list[tuple[int, int]] = []
        self.witnesses: dict[int, int] = {}
        self.activation_order: list[OCG] = []
        # rosters whose order is part of the dynamics (draws are taken in roster order):
        self.group_by_gid: dict[int, OCG] = {}
        self.next_gid = 0
        self.officials: list[PublicOfficial] = []
        """One post per official; a caught official's successor takes the same post."""
        self.prisoners: list[Member] = []
        """In order of committal, which is the order releases are decided in."""
        for populate in INITIALISATION:
            populate(self)

    def step(self) -> None:
        """One month: every phase of ``SCHEDULE`` in order (docs/ODD.md, section 3)."""
        for phase in SCHEDULE:
            phase(self)

    # ---------------------------------------------------------------------- agent sets
    def agents_of(self, kind: type[mesa.Agent]) -> AgentSet:
        """Mesa's set of the agents of one type (empty if there are none yet)."""
        return self.agents_by_type.get(kind) or AgentSet([], random=self.random)

    @property
    def groups(self) -> AgentSet:
        """The groups, in creation order (splits and entrants join at the end)."""
        return self.agents_of(OCG)

    @property
    def enablers(self) -> AgentSet:
        return self.agents_of(Enabler)

    @property
    def victims(self) -> AgentSet:
        return self.agents_of(Victim)

    @property
    def communities(self) -> AgentSet:
        return self.agents_of(Community)

    @property
    def police_units(self) -> AgentSet:
        return self.agents_of(PoliceUnit)

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of the spatial layers kept for displacement maps."""
        return indicators.snapshot(self.world)

    def displacement_masks(self) -> dict[str, np.ndarray]:
        """The displacement areas (hotspot targets are fixed once their month has passed)."""
        return self.zones.displacement_masks()
