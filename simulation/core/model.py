"""CriminalMarketModel: the world, its agents and the monthly schedule.

The model only orchestrates: each decision lives with the agent that makes it (``agents/``) or in
a submodel of interactions between agents (``submodels/``). All randomness flows from the
model's ``rng`` (seeded per run), so a configuration and a seed replay exactly.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from simulation.core.agents.community import BlockExperience, BlockProgrammes, Community
from simulation.core.agents.enabler import ENABLER_KINDS, Enabler
from simulation.core.agents.member import Member, Role, exit_hazard
from simulation.core.agents.ocg import OCG
from simulation.core.agents.official import PoliceUnit, PublicOfficial
from simulation.core.agents.victim import Victim, VictimState
from simulation.core.indicators import SNAPSHOT_LAYERS
from simulation.core.levers import apply as levers
from simulation.core.levers.catalogue import PRINCIPLES
from simulation.core.modifiers import DecisionModifiers
from simulation.core.routing import RouteGraph, RouteOptions
from simulation.core.submodels import conflict, policing, victimisation
from simulation.core.world import World, dilate
from simulation.core.zones import ZoneBook, ring
from simulation.scenario.schema import Scenario

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
RECIDIVISM_WINDOW = 24
RESERVATION_WAGE = 1.5
"""Members' wage relative to ``behaviour.ocg.wage`` is ``RESERVATION_WAGE - youth_risk`` where they
work: better prospects (lower risk) make crime's labour dearer."""
VICTIM_FUND_SHARE = 0.2
"""Share of confiscated assets paid into the victims' compensation fund (Toolkit case study 6)."""


class CriminalMarketModel(mesa.Model):
    """An illicit market on a grid of localities, played out month by month."""

    def __init__(self, spec: Scenario, seed: int) -> None:
        super().__init__(rng=int(seed))
        self.spec = spec
        self.world = World(spec.world, self.rng, self.random)
        self.modifiers = DecisionModifiers((self.world.width, self.world.height))
        self.route_graph = RouteGraph(self.world.width, self.world.height)
        self._no_protection = np.zeros((self.world.width, self.world.height))
        self.groups: list[OCG] = []
        self.group_by_gid: dict[int, OCG] = {}
        self.next_gid = 0
        self.testimonies: list[tuple[int, int]] = []
        self._witnesses: dict[int, int] = {}
        self.prisoners: list[Member] = []
        self.victims: list[Victim] = []
        self.enablers: list[Enabler] = []
        self.victim_fund = 0.0
        self.records: list[dict[str, float]] = []
        self.counters: dict[str, float] = dict.fromkeys(COUNTERS, 0.0)
        self._recidivism: deque[tuple[float, float]] = deque(maxlen=RECIDIVISM_WINDOW)
        self.spend = dict.fromkeys(PRINCIPLES, 0.0)
        self.zones = ZoneBook(spec, self.world)
        self.active_levers: list[levers.ActiveLever] = []
        self._displacement_masks = self._displacement_areas()
        self.services = np.zeros((self.world.width, self.world.height))
        self.sales_value = 0.0
        self._create_communities()
        self._create_officials()
        self._create_police()
        self._create_groups()
        self._create_enablers()
        self._refresh_community_layers()
        self.last_activity = np.zeros_like(self.services)
        self.last_violence = np.zeros_like(self.services)
        self.reports = np.zeros_like(self.services)
        self.last_reports = self.reports
        self.mean_effort = 0.0

    # ==================================================================== initialisation
    def _create_communities(self) -> None:
        w = self.world
        pop = w.population
        excl = w.block_mean(w.exclusion, pop)
        state = w.block_mean(w.state_presence, pop)
        unemp = w.block_mean(w.unemployment, pop)
        self.communities = [
            Community(self, b, float(excl[b]), float(state[b]), float(unemp[b])) for b in range(w.n_blocks)
        ]

    def _block_centre_cell(self, block: int):
        w = self.world
        values = np.where(w.block == block, w.population, -1.0)
        return w.cell(*np.unravel_index(int(values.argmax()), values.shape))

    def _create_officials(self) -> None:
        spec = self.spec.world.officials
        self.officials: list[PublicOfficial] = []
        for block in range(self.world.n_blocks):
            for _ in range(spec.per_community):
                self.officials.append(self._new_official(block))

    def _new_official(self, block: int) -> PublicOfficial:
        spec = self.spec.world.officials
        integrity = float(np.clip(self.rng.normal(spec.integrity_mean, spec.integrity_sd), 0.0, 1.0))
        return PublicOfficial(self, block, integrity, self._block_centre_cell(block))

    def _create_police(self) -> None:
        w, spec = self.world, self.spec.world.police
        self.police_units: list[PoliceUnit] = []
        for j, jurisdiction in enumerate(self.spec.world.jurisdictions):
            area = w.jurisdiction == j
            bands = np.array_split(np.arange(w.height), spec.units_per_jurisdiction)
            for band in bands:
                precinct = area & np.isin(w.ys, band)
                effort = spec.officers_per_unit * jurisdiction.state_capacity
                self.police_units.append(PoliceUnit(self, j, precinct, effort))

    def _create_groups(self) -> None:
        w, spec = self.world, self.spec.world.ocgs
        weights = w.population**2
        taken = np.zeros((w.width, w.height), dtype=bool)
        # in a crowded world each group's first territory shrinks so that every group gets room
        room = int((np.sqrt(w.width * w.height / spec.count) - 1) // 2)
        radius = max(0, min(spec.territory_radius, room))
        for _ in range(spec.count):
            free = np.where(taken, 0.0, weights).ravel()
            if free.sum() <= 0:  # crowded world: bases may sit side by side, on unclaimed cells
                free = (w.control < 0).ravel().astype(float)
            flat = int(self.rng.choice(free.size, p=free / free.sum()))
            hx, hy = divmod(flat, w.height)
            group = self.new_group((hx, hy), cash=spec.cash * float(self.rng.uniform(0.5, 1.5)))
            near = (np.abs(w.xs - hx) <= radius) & (np.abs(w.ys - hy) <= radius)
            claim = near & (w.control < 0)
            w.control[claim] = group.gid
            w.control_strength[claim] = 0.6
            taken |= (np.abs(w.xs - hx) <= radius + 2) & (np.abs(w.ys - hy) <= radius + 2)
            self._staff(group, max(3, int(self.rng.poisson(spec.members))), claim)

    def _staff(self, group: OCG, size: int, territory: np.ndarray) -> None:
        """Give a group its first members: a leader at the hub, lieutenants and soldiers."""
        w = self.world
        cells = np.flatnonzero(territory)
        weights = w.population.ravel()[cells]
        hub_cell = w.cell(*group.hub)
        leader = Member(self, group, Role.LEADER, hub_cell, experience=int(self.rng.integers(24, 120)))
        group.leader = leader
        for i in range(size - 1):
            role = Role.LIEUTENANT if i < max(1, size // 10) else Role.SOLDIER
            flat = int(self.rng.choice(cells, p=weights / weights.sum()))
            Member(
                self,
                group,
                role,
                w.cell(*divmod(flat, w.height)),
                experience=int(self.rng.integers(0, 72)),
            )

    def new_group(self, hub: tuple[int, int], cash: float) -> OCG:
        group = OCG(self, self.next_gid, hub, cash)
        self.next_gid += 1
        self.groups.append(group)
        self.group_by_gid[group.gid] = group
        return group

    def retire_group(self, group: OCG) -> None:
        self.groups.remove(group)
        del self.group_by_gid[group.gid]
        group.remove()

    def _create_enablers(self) -> None:
        spec = self.spec.world.enablers
        for i in range(spec.count):
            self._new_enabler(ENABLER_KINDS[i % len(ENABLER_KINDS)])
        self._contract_enablers()

    def _new_enabler(self, kind: str) -> Enabler:
        w = self.world
        p = (w.population / w.population.sum()).ravel()
        flat = int(self.rng.choice(p.size, p=p))
        enabler = Enabler(self, kind, self.spec.world.enablers.capacity, w.cell(*divmod(flat, w.height)))
        self.enablers.append(enabler)
        return enabler

    # =========================================================================== queries
    def detection_hazard(self, effort: np.ndarray, reporting: np.ndarray, boost) -> np.ndarray:
        return policing.detection_hazard(self, effort, reporting, boost)

    def seizure_hazard(self, group: OCG, path: np.ndarray) -> np.ndarray:
        return policing.seizure_hazard(self, group, path)

    def protection_of(self, group: OCG) -> np.ndarray:
        """Per-cell share of police risk removed for ``group`` by the officials it pays."""
        if not group.payroll:
            return self._no_protection
        counts = np.bincount([o.block for o in group.payroll], minlength=self.world.n_blocks)
        per_official = self.spec.behaviour.corruption.protection_per_official
        return self.world.broadcast(1.0 - (1.0 - per_official) ** counts)

    def witnesses_against(self, group: OCG) -> int:
        return self._witnesses.get(group.gid, 0)

    def recruitment_pool(self) -> np.ndarray:
        """Expected recruits a month per cell if a group recruits there at full control."""
        if self._pool is None:
            w, b = self.world, self.spec.behaviour.recruitment
            youth_risk = w.broadcast(np.array([c.youth_risk for c in self.communities]))
            youths = w.population * b.youth_share * youth_risk
            drive = 1.0 + (
                b.unemployment_weight * w.unemployment
                + b.exclusion_weight * w.exclusion
                + b.legitimacy_weight * w.ocg_legitimacy
            )
            self._pool = b.base_rate / 1000.0 * youths * drive
        return self._pool

    def bribe_targets(self, group: OCG) -> tuple[list[PublicOfficial], np.ndarray]:
        """Honest officials where the group's people face the most police effort, most exposed
        first, and the group's exposure per block (members weighted by the effort they face)."""
        w = self.world
        exposure = np.zeros(w.n_blocks)
        if group.members:
            xs, ys = group.member_coordinates()
            exposure = np.bincount(w.block[xs, ys], weights=1.0 + w.enforcement[xs, ys], minlength=w.n_blocks)
        candidates = [o for o in self.officials if not o.corrupt and exposure[o.block] > 0]
        return sorted(candidates, key=lambda o: -exposure[o.block]), exposure

    def contest(self, attacker: OCG, x: int, y: int, win: float) -> None:
        conflict.contest(self, attacker, x, y, win)

    def take_cell(self, group: OCG, x: int, y: int) -> None:
        conflict.take_cell(self, group, x, y)

    def victimise(self, group: OCG, x: int, y: int, kind: str) -> None:
        victimisation.victimise(self, group, x, y, kind)

    def confiscated(self, amount: float) -> None:
        """Criminal assets taken by the state; a fifth goes to the victims' compensation fund."""
        self.counters["assets_confiscated"] += amount
        self.victim_fund += VICTIM_FUND_SHARE * amount

    def record_seizure(self, group: OCG, volume: float) -> None:
        """Seizures are valued at the group's street price, as police statistics report them."""
        self.counters["seizures_volume"] += volume
        self.counters["seizures_value"] += volume * group.price

    # ============================================================================ the step
    def step(self) -> None:
        """One month (see docs/ODD.md, 'Process overview and scheduling')."""
        self._begin_step()
        self.active_levers = levers.plan(self.spec.strategy, self.steps, self.world, self.zones)
        self.spend = levers.apply(self.active_levers, self.modifiers)
        policing.allocate_effort(self)
        self.mean_effort = float(self.world.enforcement.mean())
        routes = self._route_options()
        order = [self.groups[i] for i in self.rng.permutation(len(self.groups))]
        for group in order:
            self._run_business(group, routes)
        self._contract_enablers()
        policing.serve_sentences(self)  # before arrests: a new sentence starts next month
        policing.arrest_members(self)
        self._member_exits()
        for group in list(self.groups):
            if group.leader_lost or (group.leader is None and group.active):
                conflict.succession(self, group)
            elif group.challenger is not None:
                conflict.power_struggle(self, group)
        self._dissolve_empty_groups()
        for group in [g for g in order if g in self.groups]:
            self._run_territory(group)
        self._dissolve_empty_groups()  # fights in the territory phase can take a group's last members
        self._update_control_strength()
        self._enablers_month()
        self._officials_month()
        victimisation.victim_transitions(self)
        self._communities_month()
        self._new_entrants()
        self._age_members()
        self._record()
        self.zones.observe(self.steps, self.world.activity)

    def _begin_step(self) -> None:
        w = self.world
        self.last_activity = w.activity.copy()
        self.last_violence = w.violence.copy()
        self.last_reports = self.reports
        for name in ("activity", "violence", "victimisation", "illicit_demand"):
            w.layers[name][:] = 0.0
        self.services[:] = 0.0
        self.sales_value = 0.0
        self.counters = dict.fromkeys(COUNTERS, 0.0)
        self.victim_fund += self.spec.behaviour.victim.compensation_fund
        self._pool = None
        self.testimonies = [(gid, until) for gid, until in self.testimonies if until >= self.steps]
        self._witnesses = {}
        for gid, _ in self.testimonies:
            self._witnesses[gid] = self._witnesses.get(gid, 0) + 1
        for e in self.enablers:
            e.handled.clear()

    def _route_options(self) -> RouteOptions:
        """Cell costs are transport plus risk-weighted expected seizure loss; shared by all groups."""
        w, b = self.world, self.spec.behaviour
        boost = self.modifiers.interdiction
        hazard = 1.0 - np.exp(-b.policing.interdiction_rate * w.enforcement * boost)
        cost = b.market.transport_cost + b.ocg.risk_aversion * hazard * b.market.wholesale_price
        origins = [p.x * w.height + p.y for p in w.entry_points]
        distance, predecessors = self.route_graph.shortest(cost, origins)
        wholesale = np.array([p.price_factor * b.market.wholesale_price for p in w.entry_points])
        return RouteOptions(distance, predecessors, origins, wholesale)

    def _run_business(self, group: OCG, routes: RouteOptions) -> None:
        group.reset_accounts()
        territory = group.territory()
        group.relocate_hub(territory)
        free = len(group.members)
        group.set_price()
        group.smuggle(routes)
        group.sell(territory, free)
        group.extort_and_exploit(territory)
        group.pay(territory)
        group.offer_bribe()
        group.launder()
        group.consume()

    def _run_territory(self, group: OCG) -> None:
        territory = group.territory()
        group.expand(territory)
        territory = group.territory()
        group.retreat(territory)
        territory = group.territory()
        self.counters["recruits"] += group.recruit(territory)
        group.organise()
        group.deploy(territory)
        group.cohesion += self.spec.behaviour.ocg.cohesion_recovery * (1.0 - group.cohesion)

    def _contract_enablers(self) -> None:
        """Groups lacking a service hire the cheapest enabler of that kind with room."""
        for group in self.groups:
            for kind in ENABLER_KINDS:
                if kind in group.enablers:
                    continue
                offers = [e for e in self.enablers if e.kind == kind and e.has_room]
                if offers:
                    min(offers, key=lambda e: e.fee_rate).take_client(group)

    def _member_exits(self) -> None:
        w, b = self.world, self.spec.behaviour.member
        for group in list(self.groups):
            free = [m for m in group.members if m.role is not Role.LEADER]
            if not free:
                continue
            coords = np.array([m.cell.coordinate for m in free])
            hazard = exit_hazard(
                b.exit_rate,
                group.cohesion,
                w.unemployment[coords[:, 0], coords[:, 1]],
                group.unpaid,
                self.modifiers.exit[coords[:, 0], coords[:, 1]],
            )
            for i in np.nonzero(self.rng.random(len(free)) < hazard)[0]:
                free[i].die_or_exit()
                self.counters["exits"] += 1

    def release(self, member: Member) -> None:
        """A prisoner walks free and decides whether to go back to crime."""
        w = self.world
        self.counters["released"] += 1
        old = member.prior_group
        if old is not None and old in self.groups:
            x, y = old.hub
        else:
            p = (w.population / w.population.sum()).ravel()
            x, y = divmod(int(self.rng.choice(p.size, p=p)), w.height)
        chance = member.reoffend_probability(
            float(w.unemployment[x, y]),
            float(w.exclusion[x, y]),
            float(w.ocg_legitimacy[x, y]),
            float(self.modifiers.reoffend[x, y]),
        )
        group = old if old in self.groups else self.group_by_gid.get(int(w.control[x, y]))
        if group is None or self.rng.random() >= chance:
            member.remove()
            return
        self.counters["reoffended"] += 1
        member.status = member.status.FREE
        member.role = Role.SOLDIER
        member.group = group
        member.cell = w.cell(x, y)
        group.members.append(member)

    def _dissolve_empty_groups(self) -> None:
        for group in list(self.groups):
            if not group.active:
                conflict.dissolve(self, group)

    def _update_control_strength(self) -> None:
        """Held cells firm up toward the holder's cohesion; police pressure erodes them."""
        w = self.world
        held = w.control >= 0
        cohesion = np.zeros(self.next_gid)
        for g in self.groups:
            cohesion[g.gid] = g.cohesion
        target = np.where(held, cohesion[np.maximum(w.control, 0)], 0.0)
        pressure = 0.02 * w.enforcement / max(1e-9, self.mean_effort)
        strength = w.control_strength + 0.1 * (target - w.control_strength) - pressure * held
        w.control_strength[:] = np.where(held, np.clip(strength, 0.05, 1.0), 0.0)

    def _enablers_month(self) -> None:
        """Investigators catch some enablers; new ones enter where groups lack the service."""
        b = self.spec.behaviour.enabler
        for enabler in list(self.enablers):
            if self.rng.random() < enabler.detection_probability():
                seized = enabler.disrupt()
                self.enablers.remove(enabler)
                self.counters["enablers_disrupted"] += 1
                self.confiscated(seized)
        for kind in ENABLER_KINDS:
            unmet = sum(1 for g in self.groups if kind not in g.enablers)
            if unmet and self.rng.random() < b.entry_rate:
                self._new_enabler(kind)

    def _officials_month(self) -> None:
        for i, official in enumerate(self.officials):
            if official.corrupt and self.rng.random() < official.caught_probability():
                official.end_corruption()
                official.remove()
                self.officials[i] = self._new_official(official.block)
                self.counters["officials_removed"] += 1

    def _communities_month(self) -> None:
        w = self.world
        per_k = np.maximum(w.block_sum(w.population) / 1000.0, 1e-9)
        violence = w.block_sum(w.violence) / per_k
        victims = w.block_sum(w.victimisation) / per_k
        services = w.block_sum(self.services) / per_k
        effort = w.block_mean(w.enforcement)
        mean_effort = max(self.mean_effort, 1e-9)
        corrupt = np.zeros(w.n_blocks)
        for o in self.officials:
            corrupt[o.block] += o.corrupt
        per_block = np.maximum(np.bincount([o.block for o in self.officials], minlength=w.n_blocks), 1)
        mod = self.modifiers
        relief = w.block_mean(mod.grievance_relief, w.population)
        narrative = w.block_mean(mod.legitimacy_shift, w.population)
        partnership = w.block_mean(mod.trust_shift, w.population)
        for c in self.communities:
            b = c.block
            programmes = BlockProgrammes(float(relief[b]), float(narrative[b]), float(partnership[b]))
            c.update(
                BlockExperience(
                    violence=float(violence[b]),
                    victimisation=float(victims[b]),
                    services=float(services[b]),
                    enforcement=float(effort[b] / mean_effort),
                    corruption=float(corrupt[b] / per_block[b]),
                ),
                programmes,
            )
        self._refresh_community_layers()
        seen = w.violence + w.victimisation + 0.1 * w.activity
        self.reports = self.rng.poisson(w.reporting * seen).astype(float)
        self.counters["community_reports"] = float(self.reports.sum())

    def _refresh_community_layers(self) -> None:
        w = self.world
        w.community_resilience[:] = w.broadcast(np.array([c.resilience for c in self.communities]))
        w.ocg_legitimacy[:] = w.broadcast(np.array([c.legitimacy for c in self.communities]))
        w.reporting[:] = w.broadcast(np.array([c.reporting for c in self.communities]))
        youth_risk = w.broadcast(np.array([c.youth_risk for c in self.communities]))
        # where young people have prospects, groups must pay more to keep them
        self.wage_factor = RESERVATION_WAGE - youth_risk

    def _new_entrants(self) -> None:
        """Where demand goes unserved, a new group may form (entrepreneurs fill the gap)."""
        w, b = self.world, self.spec.behaviour
        demand = w.population * b.market.demand_per_capita
        unserved = np.where(w.control < 0, demand, 0.0)
        share = float(unserved.sum() / max(demand.sum(), 1e-9))
        if self.rng.random() >= b.ocg.entry_rate * share:
            return
        crowded = dilate(dilate(w.control >= 0))
        candidates = np.where(crowded, 0.0, unserved)
        if candidates.max() <= 0:
            return
        hx, hy = np.unravel_index(int(candidates.argmax()), candidates.shape)
        group = self.new_group((int(hx), int(hy)), cash=self.spec.world.ocgs.cash * 0.25)
        territory = np.zeros_like(crowded)
        territory[hx, hy] = True
        self.take_cell(group, int(hx), int(hy))
        self._staff(group, 4, territory)
        self.counters["recruits"] += 4

    def _age_members(self) -> None:
        for group in self.groups:
            for m in group.members:
                m.experience += 1

    # ========================================================================= recording
    def _record(self) -> None:
        w, c = self.world, self.counters
        pop = w.population
        volume = sum(g.sold for g in self.groups)
        members_free = sum(len(g.members) for g in self.groups)
        self._recidivism.append((c["released"], c["reoffended"]))
        released = sum(r for r, _ in self._recidivism)
        states = [v.state for v in self.victims]
        record = {
            "violence": float(w.violence.sum()),
            "homicides": c["homicides"],
            "ocg_revenue": sum(g.revenue for g in self.groups),
            "ocg_profit": sum(g.profit for g in self.groups),
            "criminal_assets": sum(max(0.0, g.cash) + g.laundered for g in self.groups),
            "active_ocgs": float(len(self.groups)),
            "splits": c["splits"],
            "ocg_members": float(members_free),
            "recruits": c["recruits"],
            "exits": c["exits"],
            "recidivism_rate": (sum(o for _, o in self._recidivism) / released) if released else 0.0,
            "victims_current": float(sum(s is not VictimState.RECOVERED for s in states)),
            "new_victims": c["new_victims"],
            "victims_assisted": float(
                sum(s in (VictimState.SUPPORTED, VictimState.COMPENSATED) for s in states)
            ),
            "victims_compensated": c["victims_compensated"],
            "corrupt_officials": float(sum(o.corrupt for o in self.officials)),
            "community_resilience": float((w.community_resilience * pop).sum() / pop.sum()),
            "ocg_legitimacy": float((w.ocg_legitimacy * pop).sum() / pop.sum()),
            "illicit_price": (self.sales_value / volume)
            if volume > 0
            else float(np.mean([g.price for g in self.groups]) if self.groups else 0.0),
            "illicit_volume": float(volume),
            "controlled_cells": float((w.control >= 0).sum()),
            "arrests": c["arrests"],
            "leaders_arrested": c["leaders_arrested"],
            "seizures_value": c["seizures_value"],
            "seizures_volume": c["seizures_volume"],
            "assets_confiscated": c["assets_confiscated"],
            "prosecutions": c["prosecutions"],
            "convictions": c["convictions"],
            "enablers_disrupted": c["enablers_disrupted"],
            "rescues": c["rescues"],
            "community_reports": c["community_reports"],
            "cross_border_operations": c["cross_border_operations"],
            "officials_removed": c["officials_removed"],
            "spend_prevent": self.spend["prevent"],
            "spend_pursue": self.spend["pursue"],
            "spend_protect": self.spend["protect"],
            "spend_promote": self.spend["promote"],
            "enforcement_effort": float(w.enforcement.sum()),
            **self._displacement_record(),
        }
        self.records.append(record)

    def _displacement_areas(self) -> dict[str, np.ndarray]:
        """Target, buffer, control and across-the-border areas when the scenario asks for them."""
        spec = self.spec.displacement
        if spec is None:
            return {}
        target = self.zones.mask(spec.target)
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
        if self.spec.displacement is not None and not self._displacement_masks["displacement_target"].any():
            self._displacement_masks = self._displacement_areas()
        return self._displacement_masks

    def _displacement_record(self) -> dict[str, float]:
        masks = self.displacement_masks()
        if not masks:
            return {}
        activity = self.world.activity
        return {
            "activity_target": float(activity[masks["displacement_target"]].sum()),
            "activity_buffer": float(activity[masks["displacement_buffer"]].sum()),
            "activity_control": float(activity[masks["displacement_control"]].sum()),
            "activity_other_jurisdictions": float(activity[masks["displacement_other_jurisdictions"]].sum()),
            "activity_total": float(activity.sum()),
        }

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of the spatial layers kept for displacement maps."""
        return {name: self.world.layers[name].copy() for name in SNAPSHOT_LAYERS}
