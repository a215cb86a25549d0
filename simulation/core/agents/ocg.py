"""OCG: an organized criminal group running a retail market over a territory.

Rule: maximise expected profit, weighing losses by ``risk_aversion`` and choosing with
bounded rationality (``rationality``: 0 = random, large = always the best option).
Each month it prices its goods (cost plus markup, losses passed on), smuggles from the entry
point whose route is cheapest in cost plus expected loss, sells in its territory, extorts and
exploits there, pays wages, bribes and fees, launders, recruits toward the workforce its market
needs, and expands into or contests neighbouring cells when the expected gain beats the risk.

Attributes: ``gid`` (group id on the control layer), ``members``, ``leader``, ``cash`` and
``laundered`` (k), ``cohesion`` (0-1), ``price`` (k/unit), ``loss_rate`` (expected share of a
shipment seized, learnt), ``hub`` (market centre cell), ``enablers`` (kind -> Enabler),
``payroll`` (corrupt officials paid monthly). ``members`` holds only members at liberty:
prisoners are on the model's roll until released.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from simulation.core.agents.member import Member, Role, recruitment_pool
from simulation.core.agents.official import bribe_targets
from simulation.core.choice import choose_with_outside_option
from simulation.core.events import record_event
from simulation.core.routing import RouteGraph, RouteOptions, route_options
from simulation.core.submodels import conflict, policing, street_market, victimisation
from simulation.core.world import dilate

if TYPE_CHECKING:
    from simulation.core.agents.enabler import Enabler
    from simulation.core.agents.official import PublicOfficial
    from simulation.core.model import CriminalMarketModel
    from simulation.core.parameters import MarketBehaviour


class OCG(Agent):
    """An organized criminal group (see module docstring for its decision rule)."""

    model: CriminalMarketModel

    def __init__(self, model: CriminalMarketModel, gid: int, hub: tuple[int, int], cash: float):
        super().__init__(model)
        self.gid = gid
        self.hub = hub
        self.members: list[Member] = []
        self.leader: Member | None = None
        self.leader_lost = False
        self.challenger: Member | None = None
        self.cash = cash
        self.laundered = 0.0
        self.cohesion = model.spec.behaviour.ocg.initial_cohesion
        market = model.spec.behaviour.market
        self.price = market.reference_price
        self.loss_rate = market.initial_loss_rate
        self.unit_cost = market.wholesale_price
        self.inventory = 0.0
        self.unmet_share = 0.0
        self.expected_sales = 0.0
        self.enablers: dict[str, Enabler] = {}
        self.payroll: list[PublicOfficial] = []
        self.unpaid = False
        self.route: np.ndarray = np.array([], dtype=int)
        self.reset_accounts()

    # ----------------------------------------------------------------------------- state
    def reset_accounts(self) -> None:
        self.revenue = 0.0
        self.costs = 0.0
        self.sold = 0.0
        self.shipped = 0.0
        self.seized = 0.0

    @property
    def profit(self) -> float:
        return self.revenue - self.costs

    @property
    def active(self) -> bool:
        return bool(self.members)

    def wage_bill(self) -> float:
        """Wages owed this month: each member at the going rate where they work."""
        if not self.members:
            return 0.0
        xs, ys = self.member_coordinates()
        return float(self.model.spec.behaviour.ocg.wage * self.model.wage_factor[xs, ys].sum())

    def earn(self, amount: float) -> None:
        """Income from crimes other than retail (exploitation of victims)."""
        self.cash += amount
        self.revenue += amount

    def member_coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y arrays of where the members are."""
        n = len(self.members)
        flat = np.fromiter(chain.from_iterable(m.cell.coordinate for m in self.members), int, 2 * n)
        return flat[0::2], flat[1::2]

    def territory(self) -> np.ndarray:
        return self.model.world.control == self.gid

    def strength(self) -> float:
        """Fighting strength: numbers, held together by cohesion."""
        return self.cohesion * np.sqrt(max(1, len(self.members)))

    def desired_members(self, cells: int) -> int:
        b = self.model.spec.behaviour.ocg
        need = max(cells * b.members_per_cell, self.expected_sales / b.sales_per_member)
        return int(np.ceil(need * b.workforce_slack))

    # ----------------------------------------------------------------------- the month
    def do_business(self, routes: RouteOptions) -> None:
        """Price, smuggle, sell, extort and exploit, pay, bribe, launder and consume."""
        self.reset_accounts()
        territory = self.territory()
        self.relocate_hub(territory)
        free = len(self.members)
        self.set_price()
        self.smuggle(routes)
        self.sell(territory, free)
        self.extort_and_exploit(territory)
        self.pay(territory)
        self.offer_bribe()
        self.launder()
        self.consume()

    def work_territory(self, pool: np.ndarray) -> int:
        """Expand, retreat, recruit, organise and deploy; returns the recruits taken on."""
        self.expand(self.territory())
        self.retreat(self.territory())
        territory = self.territory()
        recruits = self.recruit(territory, pool)
        self.organise()
        self.deploy(territory)
        self.cohesion += self.model.spec.behaviour.ocg.cohesion_recovery * (1.0 - self.cohesion)
        return recruits

    # -------------------------------------------------------------------------- pricing
    def set_price(self) -> None:
        """Cost-plus pricing: learnt losses and scarcity are passed on to buyers."""
        market = self.model.spec.behaviour.market
        target = self.unit_cost * (1.0 + market.markup) * (1.0 + market.scarcity_weight * self.unmet_share)
        self.price += market.price_adjustment * (target - self.price)

    def demand_at(self, price: float, base: np.ndarray) -> np.ndarray:
        return demand_at(self.model.spec.behaviour.market, price, base)

    # ------------------------------------------------------------------------ smuggling
    def smuggle(self, routes: RouteOptions) -> None:
        """Choose an entry point and route by cost plus risk-weighted expected loss; ship."""
        world, market = self.model.world, self.model.spec.behaviour.market
        hub_index = self.hub[0] * world.height + self.hub[1]
        total_cost = routes.distance[:, hub_index] + routes.wholesale
        options = np.isfinite(total_cost)
        if not options.any():
            return
        rationality = self.model.spec.behaviour.ocg.rationality
        utility = np.where(options, -rationality * total_cost / market.wholesale_price, -np.inf)
        choice = int(np.argmax(utility + self.model.rng.gumbel(size=utility.size)))
        path = routes.path(choice, hub_index)
        self.route = path
        wholesale = routes.wholesale[choice]
        route_transport = market.transport_cost * RouteGraph.length(path, world.height)
        transporter = self.enablers.get("transporter")
        fee = transporter.fee_rate * wholesale if transporter is not None else 0.0
        route_transport += fee  # the transporter charges a share of the cargo's value
        self.unit_cost = (wholesale + route_transport) / max(market.min_arrival_share, 1.0 - self.loss_rate)

        wanted = max(0.0, self.expected_sales * market.stock_cover - self.inventory) / max(
            market.min_arrival_share, 1 - self.loss_rate
        )
        affordable = max(0.0, self.cash) / (wholesale + route_transport)
        quantity = min(wanted, affordable)
        if quantity <= 0 or path.size == 0:
            self.shipped = 0.0
            return  # nothing shipped, nothing learnt about seizures
        self.costs += quantity * (wholesale + route_transport)
        self.cash -= quantity * (wholesale + route_transport)
        if transporter is not None:
            transporter.serve(self, quantity * wholesale)
        hazard = policing.seizure_hazard(self.model, self, path)
        survival = float(np.prod(1.0 - hazard))
        consignments = max(1, int(np.ceil(quantity / market.consignment_size)))
        lost = self.model.rng.binomial(consignments, 1.0 - survival)
        seized = quantity * lost / consignments
        arrived = quantity - seized
        world.activity.ravel()[path] += quantity * market.transit_visibility
        self.shipped = quantity
        self.seized = seized
        self.inventory += arrived
        if seized > 0:
            policing.record_seizure(self.model, self, seized)
        self._learn_losses(seized / quantity)

    def _learn_losses(self, observed: float) -> None:
        memory = self.model.spec.behaviour.market.loss_memory
        self.loss_rate += memory * (observed - self.loss_rate)

    # ---------------------------------------------------------------------------- retail
    def sell(self, territory: np.ndarray, free_members: int) -> None:
        """Retail in the territory at the group's price, limited by stock and dealers.

        Buyers living in the territory buy at the place they choose (``street_market``), as much as
        the demand curve gives at the expected cost of buying there; sales are counted where made.
        """
        world, b = self.model.world, self.model.spec.behaviour
        street = self.model.street_market
        base = world.population * b.market.demand_per_capita
        demand = np.where(territory, self.demand_at(self.price * street.cost_factor, base), 0.0)
        total = float(demand.sum())
        capacity = free_members * b.ocg.sales_per_member
        sold = min(total, capacity, self.inventory)
        self.unmet_share = (total - sold) / total if total > 0 else 0.0
        self.expected_sales = min(total, capacity)
        if total > 0 and sold > 0:
            bought = street.where_bought(demand, territory)
            per_cell = bought * (sold / total)
            world.activity[:] += per_cell
            world.retail[:] += per_cell
            world.illicit_demand[:] += bought
            self.model.sales_value += sold * self.price
        self.inventory -= sold
        self.sold = sold
        self.revenue += sold * self.price
        self.cash += sold * self.price

    # ------------------------------------------------------------------ predatory crimes
    def predation(self, territory: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per territory cell (in ``np.nonzero(territory)`` order): protection money (k) it can
        take, and people it can expect to exploit.

        Both grow with the group's hold on the cell (control strength, weak community
        resilience); shielding the licit economy and awareness campaigns cut them.
        """
        world, b = self.model.world, self.model.spec.behaviour.ocg
        mod = self.model.modifiers
        xs, ys = np.nonzero(territory)
        hold = world.control_strength[xs, ys] * (1.0 - world.community_resilience[xs, ys])
        population = world.population[xs, ys]
        extortion = b.extortion_rate * population / 1000.0 * hold * mod.extortion[xs, ys]
        vulnerable = population * world.exclusion[xs, ys] * world.unemployment[xs, ys]
        return extortion, b.exploitation_rate * vulnerable / 1000.0 * hold * mod.exploitation[xs, ys]

    def extort_and_exploit(self, territory: np.ndarray) -> None:
        """Take protection money from businesses and exploit vulnerable people in the territory."""
        extortion, victims_expected = self.predation(territory)
        income = float(extortion.sum())
        self.revenue += income
        self.cash += income
        xs, ys = np.nonzero(territory)
        new_exploited = self.model.rng.poisson(victims_expected)
        extorted = self.model.rng.poisson(extortion / self.model.spec.behaviour.ocg.extortion_per_victim)
        for counts, kind in ((new_exploited, "exploitation"), (extorted, "extortion")):
            for i in np.nonzero(counts)[0]:
                for _ in range(int(counts[i])):
                    victimisation.victimise(self.model, self, int(xs[i]), int(ys[i]), kind)

    # -------------------------------------------------------------------------- payments
    def pay(self, territory: np.ndarray) -> None:
        """Wages, community 'services' (buying legitimacy) and the officials on the payroll."""
        b = self.model.spec.behaviour.ocg
        wages = self.wage_bill()
        bribes = sum(o.bribe for o in self.payroll)
        forger = self.enablers.get("forger")
        documents = forger.fee_rate * wages if forger is not None else 0.0
        due = wages + bribes + documents
        self.unpaid = self.cash < due
        paid = min(max(0.0, self.cash), due)
        self.cash -= paid
        self.costs += paid
        if forger is not None:
            forger.serve(self, documents)
        # 'services' come out of what is left once people and protection are paid
        services = min(b.services_share * max(0.0, self.revenue), max(0.0, self.cash))
        self.cash -= services
        self.costs += services
        if services > 0 and territory.any():
            share = np.where(territory, self.model.world.population, 0.0)
            self.model.services[:] += services * share / share.sum()
        if self.unpaid:
            self.cohesion = max(0.0, self.cohesion - b.unpaid_cohesion_loss)
            for official in list(self.payroll):
                official.end_corruption()

    def offer_bribe(self) -> None:
        """Buy protection where the group's people are most exposed to the police.

        The group sets aside ``bribe_share`` of its profit for protection and offers the most
        exposed block's official the part of it that block's exposure represents: protection is
        worth what is at stake where the official works.
        """
        b = self.model.spec.behaviour.ocg
        budget = b.bribe_share * max(0.0, self.profit)
        if budget <= 0:
            return
        officials, exposure = bribe_targets(self.model, self)
        if not officials:
            return
        target = officials[0]
        offer = budget * exposure[target.block] / exposure.sum()
        if target.consider_bribe(offer, self):
            self.payroll.append(target)

    def consume(self) -> None:
        """Leaders and members spend part of the group's wealth (it is why they are in it)."""
        b = self.model.spec.behaviour.ocg
        rate = b.consumption_rate
        reserve = b.consumption_reserve_months * b.wage * len(self.members)
        self.cash -= rate * max(0.0, self.cash - reserve)
        self.laundered -= rate * self.laundered

    def launder(self) -> None:
        """Move cash into laundered assets through a launderer, for a fee."""
        launderer = self.enablers.get("launderer")
        if launderer is None or self.cash <= 0:
            return
        b = self.model.spec.behaviour.ocg
        reserve = b.cash_reserve_months * b.wage * len(self.members)
        amount = self.model.spec.behaviour.ocg.launder_share * max(0.0, self.cash - reserve)
        if amount <= 0:
            return
        fee = launderer.fee_rate * amount
        self.cash -= amount
        self.laundered += amount - fee
        self.costs += fee
        launderer.serve(self, amount)

    # ----------------------------------------------------------------------- recruiting
    def recruit(self, territory: np.ndarray, pool: np.ndarray) -> int:
        """Recruit toward the workforce the market needs, from youths at risk in the territory.

        ``pool``: expected recruits a month per cell at full control (``recruitment_pool``).
        """
        world, b = self.model.world, self.model.spec.behaviour
        cells = int(territory.sum())
        vacancies = self.desired_members(cells) - len(self.members)
        affordable = int(self.cash / max(1e-9, b.ocg.cash_reserve_months * b.ocg.wage)) - len(self.members)
        wanted = min(vacancies, affordable)
        if wanted <= 0 or cells == 0:
            return 0
        rate = np.where(territory, pool * world.control_strength, 0.0)
        expected = float(rate.sum())
        recruits = min(wanted, int(self.model.rng.poisson(expected)))
        if recruits <= 0:
            return 0
        flat = self.model.rng.choice(rate.size, size=recruits, p=(rate / expected).ravel())
        for index in flat:
            x, y = divmod(int(index), world.height)
            Member(self.model, self, Role.SOLDIER, world.cell(x, y))
        return recruits

    def organise(self) -> None:
        """Keep a chain of command: about one lieutenant per ten members."""
        free = self.members
        lieutenants = [m for m in free if m.role is Role.LIEUTENANT]
        wanted = max(1, len(free) // self.model.spec.behaviour.ocg.members_per_lieutenant)
        if len(lieutenants) < wanted:
            soldiers = sorted((m for m in free if m.role is Role.SOLDIER), key=lambda m: -m.experience)
            for m in soldiers[: wanted - len(lieutenants)]:
                m.role = Role.LIEUTENANT

    def deploy(self, territory: np.ndarray) -> None:
        """Dealers go where buyers are: members outside the territory (and a few others) move."""
        world = self.model.world
        cells = np.flatnonzero(territory)
        if cells.size == 0:
            return
        weights = world.illicit_demand.ravel()[cells] + 1e-6
        total = weights.sum()
        if self.leader is not None:
            self.leader.cell = world.cell(*self.hub)
        xs, ys = self.member_coordinates()
        restless = self.model.rng.random(xs.size) < self.model.spec.behaviour.ocg.redeploy_share
        move = (~territory[xs, ys] | restless).nonzero()[0]
        movers = [self.members[i] for i in move if self.members[i] is not self.leader]
        if not movers:
            return
        targets = cells[self.model.rng.choice(cells.size, size=len(movers), p=weights / total)]
        for m, index in zip(movers, targets, strict=True):
            m.cell = world.cell(*divmod(int(index), world.height))

    # ------------------------------------------------------------------------ territory
    def expand(self, territory: np.ndarray) -> None:
        """Weigh frontier cells by expected gain against enforcement and fighting risk."""
        model, world, b = self.model, self.model.world, self.model.spec.behaviour
        free = len(self.members)
        cells = int(territory.sum())
        spare = free - (cells + 1) * b.ocg.members_per_cell
        if spare < 0 or b.ocg.expansion_attempts == 0:
            return
        frontier = dilate(territory) & ~territory
        xs, ys = np.nonzero(frontier)
        if xs.size == 0:
            return
        holding = b.ocg.members_per_cell * b.ocg.wage
        gain = b.ocg.expansion_horizon * self.cell_values(xs, ys)
        enforcement_loss = self.enforcement_loss(xs, ys)
        owner = world.control[xs, ys]
        rival = owner >= 0
        own_strength = self.strength()
        strengths = np.zeros(int(owner.max()) + 1)
        for gid in np.unique(owner[rival]):
            strengths[gid] = model.group_by_gid[int(gid)].strength()
        defence = (
            strengths[owner[rival]] * b.ocg.defender_advantage * world.control_strength[xs[rival], ys[rival]]
        )
        win = np.ones(xs.size)
        win[rival] = own_strength / (own_strength + defence + 1e-9)
        fight_cost = np.zeros(xs.size)
        fight_cost[rival] = b.ocg.contest_cost * (1.0 + world.control_strength[xs[rival], ys[rival]])
        score = win * gain - b.ocg.risk_aversion * (enforcement_loss + fight_cost)
        limit = min(b.ocg.expansion_attempts, int(spare // b.ocg.members_per_cell) + 1)
        stake = b.ocg.expansion_horizon * holding
        chosen = choose_with_outside_option(score, b.ocg.rationality, limit, model.rng, stake)
        for i in chosen:
            x, y = int(xs[i]), int(ys[i])
            if rival[i]:
                if self.cash < b.ocg.contest_cost:
                    continue
                conflict.contest(model, self, x, y, float(win[i]))
            else:
                conflict.take_cell(model, self, x, y)

    def enforcement_loss(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Expected value of the members a cell's policing would take over the planning horizon."""
        return enforcement_loss(self.model, xs, ys, self.model.spec.behaviour.ocg.members_per_cell)

    def cell_values(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Monthly net value of holding cells at the group's price and cost."""
        return cell_values(self.model, xs, ys, self.price, self.unit_cost)

    def retreat(self, territory: np.ndarray) -> None:
        """Give up cells that do not pay their risk, and those the group cannot staff any more.

        The mirror of expansion: a held cell is weighed by its value over the horizon less the
        risk-weighted loss of members to the police there, so a crackdown makes groups leave.
        """
        world, b = self.model.world, self.model.spec.behaviour.ocg
        xs, ys = np.nonzero(territory)
        if xs.size <= 1:
            return
        value = self.cell_values(xs, ys)
        worth = b.expansion_horizon * value - b.risk_aversion * self.enforcement_loss(xs, ys)
        hub = (xs == self.hub[0]) & (ys == self.hub[1])
        losing = np.nonzero(~hub)[0]
        stake = b.expansion_horizon * b.members_per_cell * b.wage
        give_up = choose_with_outside_option(
            -worth[losing], b.rationality, b.expansion_attempts, self.model.rng, stake
        )
        drop = list(losing[give_up])
        free = len(self.members)
        excess = xs.size - len(drop) - max(1, int(free / b.members_per_cell))
        if excess > 0:
            ranked = [i for i in np.argsort(value * world.control_strength[xs, ys]) if not hub[i]]
            drop += [i for i in ranked if i not in drop][:excess]
        if drop:
            world.control[xs[drop], ys[drop]] = -1
            world.control_strength[xs[drop], ys[drop]] = 0.0

    def relocate_hub(self, territory: np.ndarray) -> None:
        """The market centre is the territory's richest cell."""
        if not territory.any():
            return
        world = self.model.world
        x, y = self.hub
        if territory[x, y]:
            return
        values = np.where(territory, world.population, -1.0)
        self.hub = tuple(int(v) for v in np.unravel_index(int(values.argmax()), values.shape))

    # ------------------------------------------------------------------------ life cycle
    def nearer_challenger(self, challenger: Member, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Which of the cells (xs, ys) are strictly nearer the challenger than the hub: his side."""
        cx, cy = challenger.cell.coordinate
        lx, ly = self.hub
        return (xs - cx) ** 2 + (ys - cy) ** 2 < (xs - lx) ** 2 + (ys - ly) ** 2

    def faction_can_hold(self, challenger: Member) -> bool:
        """Would the challenger's camp have the people to hold the cells nearer him than the hub?"""
        territory = self.territory()
        cells = int(self.nearer_challenger(challenger, *np.nonzero(territory)).sum())
        mx, my = self.member_coordinates()
        camp = self.nearer_challenger(challenger, mx, my) & territory[mx, my]
        return int(camp.sum()) >= self.model.spec.behaviour.ocg.members_per_cell * cells

    def split_off(self, challenger: Member) -> OCG | None:
        """The challenger walks away with the part of the territory and the people nearest to them."""
        model, world = self.model, self.model.world
        territory = self.territory()
        xs, ys = np.nonzero(territory)
        cx, cy = challenger.cell.coordinate
        nearer = self.nearer_challenger(challenger, xs, ys)
        if not nearer.any():
            nearer = (xs == cx) & (ys == cy)
            if not nearer.any():
                return None
        new = found_group(model, hub=(cx, cy), cash=0.0)
        share = float(nearer.mean())
        new.cash = self.cash * share
        self.cash -= new.cash
        new.cohesion = model.spec.behaviour.ocg.splinter_cohesion
        world.control[xs[nearer], ys[nearer]] = new.gid
        challenger.leave_group()
        challenger.group = new
        challenger.role = Role.LEADER
        new.members.append(challenger)
        new.leader = challenger
        new_territory = world.control == new.gid
        for m in list(self.members):
            if m.role is not Role.LEADER and new_territory[m.cell.coordinate]:
                self.members.remove(m)
                m.group = new
                new.members.append(m)
        model.counters["splits"] += 1
        record_event(model, "split", new.gid, cx, cy, new_territory, parent=self.gid)
        return new

    def dissolve(self) -> None:
        """Nobody left at liberty, or no turf left: the group disappears (members at liberty leave
        crime) and its turf becomes a vacuum."""
        model, world = self.model, self.model.world
        territory = self.territory()
        world.control[territory] = -1
        world.control_strength[territory] = 0.0
        for official in list(self.payroll):
            official.end_corruption()
        for enabler in list(self.enablers.values()):
            enabler.drop_client(self)
        for member in list(self.members):
            member.die_or_exit()
        del model.group_by_gid[self.gid]
        self.remove()


# ---------------------------------------------------------------- what a market is worth
def demand_at(market: MarketBehaviour, price: float, base: np.ndarray) -> np.ndarray:
    """Constant-elasticity demand: ``base`` at the reference price."""
    return base * (price / market.reference_price) ** market.demand_elasticity


def cell_values(
    model: CriminalMarketModel, xs: np.ndarray, ys: np.ndarray, price: float, unit_cost: float
) -> np.ndarray:
    """Monthly net value of holding cells: retail margin plus extortion less the staff cost.

    Demand is what the cell's buyers take at the cost of buying there (police presence included).
    """
    world, b = model.world, model.spec.behaviour
    base = world.population[xs, ys] * b.market.demand_per_capita
    margin = max(0.0, price - unit_cost)
    buying_here = price * model.street_market.place_factor[xs, ys]
    shield = model.modifiers.extortion[xs, ys]
    extortion = b.ocg.extortion_rate * world.population[xs, ys] / 1000.0 * b.ocg.new_cell_hold * shield
    holding = b.ocg.members_per_cell * b.ocg.wage * model.wage_factor[xs, ys]
    return margin * demand_at(b.market, buying_here, base) + extortion - holding


def enforcement_loss(
    model: CriminalMarketModel, xs: np.ndarray, ys: np.ndarray, members: float
) -> np.ndarray:
    """Expected value of ``members`` people a cell's policing would take over the planning horizon."""
    world, b = model.world, model.spec.behaviour.ocg
    detection = policing.detection_hazard(
        model, world.enforcement[xs, ys], world.reporting[xs, ys], model.modifiers.detection[xs, ys]
    )
    member_value = b.member_value_months * b.wage
    return b.expansion_horizon * members * detection * member_value


# ------------------------------------------------------------------------------- the groups
def found_group(model: CriminalMarketModel, hub: tuple[int, int], cash: float) -> OCG:
    """A new group with the next group id (its mark on the control layer)."""
    group = OCG(model, model.next_gid, hub, cash)
    model.next_gid += 1
    model.group_by_gid[group.gid] = group
    return group


def staff(model: CriminalMarketModel, group: OCG, size: int, territory: np.ndarray) -> None:
    """Give a group its first members: a leader at the hub, lieutenants and soldiers."""
    w = model.world
    cells = np.flatnonzero(territory)
    weights = w.population.ravel()[cells]
    hub_cell = w.cell(*group.hub)
    start = model.spec.world.ocgs
    first = int(model.rng.integers(start.leader_experience_min, start.leader_experience_max))
    leader = Member(model, group, Role.LEADER, hub_cell, experience=first)
    group.leader = leader
    for i in range(size - 1):
        role = (
            Role.LIEUTENANT
            if i < max(1, size // model.spec.behaviour.ocg.members_per_lieutenant)
            else Role.SOLDIER
        )
        flat = int(model.rng.choice(cells, p=weights / weights.sum()))
        Member(
            model,
            group,
            role,
            w.cell(*divmod(flat, w.height)),
            experience=int(model.rng.integers(0, start.member_experience_max)),
        )


def populate(model: CriminalMarketModel) -> None:
    """The starting groups: bases drawn where people crowd, each with a patch of territory."""
    w, spec = model.world, model.spec.world.ocgs
    weights = w.population**2
    taken = np.zeros((w.width, w.height), dtype=bool)
    # in a crowded world each group's first territory shrinks so that every group gets room
    room = int((np.sqrt(w.width * w.height / spec.count) - 1) // 2)
    radius = max(0, min(spec.territory_radius, room))
    for _ in range(spec.count):
        free = np.where(taken, 0.0, weights).ravel()
        if free.sum() <= 0:  # crowded world: bases may sit side by side, on unclaimed cells
            free = (w.control < 0).ravel().astype(float)
        flat = int(model.rng.choice(free.size, p=free / free.sum()))
        hx, hy = divmod(flat, w.height)
        factor = float(model.rng.uniform(spec.cash_factor_min, spec.cash_factor_max))
        group = found_group(model, (hx, hy), cash=spec.cash * factor)
        near = (np.abs(w.xs - hx) <= radius) & (np.abs(w.ys - hy) <= radius)
        claim = near & (w.control < 0)
        w.control[claim] = group.gid
        w.control_strength[claim] = spec.starting_control
        spaced = radius + spec.base_spacing
        taken |= (np.abs(w.xs - hx) <= spaced) & (np.abs(w.ys - hy) <= spaced)
        staff(model, group, max(spec.min_members, int(model.rng.poisson(spec.members))), claim)


def do_business(model: CriminalMarketModel) -> None:
    """Phase P5-P6: this month's routes and buyers' options, then each group's business in a fresh
    random order.

    The order is a permutation from the model's numpy generator (not ``AgentSet.shuffle_do``, which
    draws from Python's ``random``): every draw of a run comes from one seeded stream.
    """
    routes = route_options(model)
    model.street_market = street_market.open_market(model)
    groups = list(model.groups)
    model.activation_order = [groups[i] for i in model.rng.permutation(len(groups))]
    for group in model.activation_order:
        group.do_business(routes)


def work_territory(model: CriminalMarketModel) -> None:
    """Phase P13: groups still active, in this month's order, work their territory."""
    pool = recruitment_pool(model)
    for group in [g for g in model.activation_order if g in model.groups]:
        model.counters["recruits"] += group.work_territory(pool)


def new_entrants(model: CriminalMarketModel) -> None:
    """Phase P20: where demand goes unserved, a new group may form (entrepreneurs fill the gap)."""
    w, b = model.world, model.spec.behaviour
    demand = w.population * b.market.demand_per_capita
    unserved = np.where(w.control < 0, demand, 0.0)
    share = float(unserved.sum() / max(demand.sum(), 1e-9))
    if model.rng.random() >= b.ocg.entry_rate * share:
        return
    crowded = dilate(dilate(w.control >= 0))
    candidates = np.where(crowded, 0.0, unserved)
    if candidates.max() <= 0:
        return
    hx, hy = np.unravel_index(int(candidates.argmax()), candidates.shape)
    group = found_group(model, (int(hx), int(hy)), cash=model.spec.world.ocgs.cash * b.ocg.entrant_cash_share)
    territory = np.zeros_like(crowded)
    territory[hx, hy] = True
    conflict.take_cell(model, group, int(hx), int(hy))
    staff(model, group, b.ocg.entrant_members, territory)
    model.counters["recruits"] += b.ocg.entrant_members
