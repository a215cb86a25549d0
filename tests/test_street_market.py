"""Buyers' choice of market place: where they buy and how much, given police presence nearby."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.core.submodels.street_market import HOME, OFFSETS, look_ahead, open_market, perceived_effort
from tests.conftest import small_model


def _one_territory(model, size: int = 5) -> tuple[int, int]:
    """The first group alone holds a size x size block in the middle of an unpoliced grid."""
    w = model.world
    w.control[:] = -1
    cx, cy = w.width // 2, w.height // 2
    gid = model.groups[0].gid
    w.control[cx - size // 2 : cx + size // 2 + 1, cy - size // 2 : cy + size // 2 + 1] = gid
    w.enforcement[:] = 0.0
    return cx, cy


def test_with_no_police_buyers_mostly_buy_at_home_and_only_where_their_group_sells():
    model = small_model()
    cx, cy = _one_territory(model)
    market = open_market(model)
    held = model.world.control >= 0
    assert np.allclose(market.choice.sum(axis=0)[held], 1.0)
    assert (market.choice[HOME][held] > 0.5).all(), "a walk costs something, so home is the likeliest"
    # a corner buyer has three market places of the group next door, an inner buyer eight
    corner = (cx - 2, cy - 2)
    assert market.choice[HOME][corner] > market.choice[HOME][cx, cy]
    for k, (dx, dy) in enumerate(OFFSETS):
        x, y = corner[0] + dx, corner[1] + dy
        if not held[x, y]:
            assert market.choice[k][corner] == 0.0, "nobody buys where their group does not sell"


def test_police_at_a_corner_send_its_buyers_next_door_and_price_out_those_with_nowhere_to_go():
    model = small_model()
    cx, cy = _one_territory(model)
    calm = open_market(model)
    model.world.enforcement[cx, cy] = 2.0
    policed = open_market(model)
    assert policed.choice[HOME][cx, cy] < calm.choice[HOME][cx, cy]
    assert policed.cost_factor[cx, cy] > calm.cost_factor[cx, cy]
    held = model.world.control >= 0
    demand = np.where(held, 1.0, 0.0)
    assert calm.where_bought(demand, held)[cx, cy] > policed.where_bought(demand, held)[cx, cy]
    # a lone cell's buyers cannot walk anywhere: they pay the whole police cost
    model.world.control[:] = -1
    model.world.control[cx, cy] = model.groups[0].gid
    alone = open_market(model)
    assert alone.choice[HOME][cx, cy] == 1.0
    assert alone.cost_factor[cx, cy] == pytest.approx(
        1.0 + model.spec.behaviour.market.search_cost_per_effort * 2.0
    )
    assert alone.cost_factor[cx, cy] > policed.cost_factor[cx, cy]


def test_a_street_crackdown_cuts_the_group_s_sales_in_the_policed_cell_and_raises_them_next_door():
    model = small_model()
    cx, cy = _one_territory(model)
    group = model.groups[0]
    group.inventory, group.price = 1e6, model.spec.behaviour.market.reference_price

    def sales() -> np.ndarray:
        model.world.retail[:] = 0.0
        model.street_market = open_market(model)
        group.sell(group.territory(), free_members=10_000)
        return model.world.retail.copy()

    calm = sales()
    model.world.enforcement[cx, cy] = 2.0
    crackdown = sales()
    ring = np.zeros_like(calm, dtype=bool)
    ring[cx - 1 : cx + 2, cy - 1 : cy + 2] = True
    ring[cx, cy] = False
    assert crackdown[cx, cy] < calm[cx, cy]
    assert crackdown[ring].sum() > calm[ring].sum()
    lost, gained = calm[cx, cy] - crackdown[cx, cy], crackdown[ring].sum() - calm[ring].sum()
    assert 0 < gained < lost, "some buyers walk next door, others buy less: displacement is partial"
    assert crackdown.sum() < calm.sum()


@settings(max_examples=40, deadline=None)
@given(
    demand=arrays(float, (6, 5), elements=st.floats(0, 100)),
    control=arrays(int, (6, 5), elements=st.integers(-1, 2)),
    effort=arrays(float, (6, 5), elements=st.floats(0, 10)),
)
def test_purchases_are_moved_not_made_or_lost(demand, control, effort):
    model = small_model()
    model.world.control[:] = -1
    model.world.enforcement[:] = 0.0
    model.world.control[:6, :5] = control
    model.world.enforcement[:6, :5] = effort
    market = open_market(model)
    home = np.zeros(model.world.control.shape)
    home[:6, :5] = np.where(control >= 0, demand, 0.0)
    bought = market.where_bought(home, model.world.control >= 0)
    assert bought.sum() == pytest.approx(home.sum(), rel=1e-9, abs=1e-9)
    assert (bought[model.world.control < 0] == 0).all(), "sales are made only in territories"
    assert (market.cost_factor >= 1.0).all()


def test_look_ahead_reads_the_neighbour_and_fills_off_the_grid():
    layer = np.arange(12.0).reshape(4, 3)
    east = look_ahead(layer, 1, 0, -1.0)
    assert east[0, 0] == layer[1, 0] and (east[3] == -1.0).all()


def _blurred(model, blur: float):
    model.spec.behaviour.market.presence_blur = blur
    return model


@settings(max_examples=30, deadline=None)
@given(effort=arrays(float, (6, 5), elements=st.floats(0, 10)), blur=st.floats(0, 1))
def test_perceived_presence_stays_within_what_is_there_and_sees_a_uniform_presence_as_it_is(effort, blur):
    """A blend of a locality and its neighbours' mean: never more than the most policed place
    around, never less than the least, and a uniform presence is perceived as it is."""
    model = _blurred(small_model(), blur)
    model.world.enforcement[:] = 0.0
    model.world.enforcement[:6, :5] = effort
    seen = perceived_effort(model)
    e = model.world.enforcement
    assert seen.min() >= e.min() - 1e-9 and seen.max() <= e.max() + 1e-9
    model.world.enforcement[:] = 3.0
    assert np.allclose(perceived_effort(model), 3.0)


def test_at_zero_blur_buyers_see_the_police_exactly_where_they_are():
    model = small_model()
    model.world.enforcement[:] = np.random.default_rng(1).random(model.world.enforcement.shape)
    assert perceived_effort(model) is model.world.enforcement


def test_buyers_unsure_where_the_police_are_also_avoid_the_surroundings_of_a_crackdown():
    """With presence blurred, police on a 3 x 3 block also raise what buying costs around it: the
    ring's own buyers buy less and fewer walk in, so the ring gains less than when buyers know
    exactly where the police are (toward the diffusion of benefits of the field studies)."""

    def crackdown_change(blur: float) -> tuple[float, float, float]:
        model = _blurred(small_model(), blur)
        cx, cy = _one_territory(model)
        group = model.groups[0]
        group.inventory, group.price = 1e6, model.spec.behaviour.market.reference_price
        ring = np.zeros(model.world.control.shape, dtype=bool)
        ring[cx - 2 : cx + 3, cy - 2 : cy + 3] = True
        ring[cx - 1 : cx + 2, cy - 1 : cy + 2] = False

        def sales() -> tuple[np.ndarray, float]:
            model.world.retail[:] = 0.0
            model.street_market = open_market(model)
            group.sell(group.territory(), free_members=10_000)
            return model.world.retail.copy(), float(model.street_market.cost_factor[ring].mean())

        calm, calm_cost = sales()
        model.world.enforcement[cx - 1 : cx + 2, cy - 1 : cy + 2] = 4.0
        crackdown, crackdown_cost = sales()
        ring_gain = crackdown[ring].sum() - calm[ring].sum()
        return ring_gain, crackdown_cost - calm_cost, crackdown.sum() - calm.sum()

    exact_gain, exact_cost, exact_total = crackdown_change(0.0)
    for blur in (0.25, 0.5, 1.0):
        gain, cost, total = crackdown_change(blur)
        assert gain < exact_gain, (blur, gain, exact_gain)
        assert cost > exact_cost, "the ring's buyers see police that are not there"
        assert total < exact_total < 0, "more buying is deterred in all"
