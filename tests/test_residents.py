"""Residents decide: reporting and siding with the groups follow from what households live through.

Each test feeds the same households two months that differ in one experience only (same seed, so
the same draws) and checks that the decisions move the way the experience should move them, and
that how the police act reaches attitudes only through contacts.
"""

from __future__ import annotations

import numpy as np

from simulation.core.agents.community import BlockMonth, Residents
from tests.conftest import small_model


def _month(model, **changes) -> BlockMonth:
    n = model.world.n_blocks
    values = dict(
        violence=np.zeros(n),
        victimisation=np.zeros(n),
        services=np.zeros(n),
        contacts=np.zeros(n),
        unfair_share=0.1,
        corruption=np.zeros(n),
        grievance_relief=np.zeros(n),
        legitimacy_shift=np.zeros(n),
        trust_shift=np.zeros(n),
    )
    values.update(changes)
    return BlockMonth(**values)


def _after(months: int, **changes) -> Residents:
    """The households of a fresh small world after ``months`` months of the same experience."""
    model = small_model(seed=3)
    for _ in range(months):
        model.residents.live_through(_month(model, **changes))
    return model.residents


def test_unfair_contacts_cost_trust_and_reporting_fair_ones_earn_them():
    n = small_model().world.n_blocks
    contacts = np.full(n, 2.0)
    fair, unfair = (
        _after(12, contacts=contacts, unfair_share=0.0),
        _after(12, contacts=contacts, unfair_share=0.6),
    )
    none = _after(12)
    assert fair.trust.mean() > none.trust.mean() > unfair.trust.mean()
    assert fair.reports.mean() > unfair.reports.mean()
    assert unfair.grievance.mean() > none.grievance.mean()


def test_how_police_act_reaches_residents_only_through_contacts():
    """Without contacts, the share of contacts that would be unfair changes nothing at all."""
    a, b = _after(6, unfair_share=0.0), _after(6, unfair_share=0.9)
    assert np.array_equal(a.trust, b.trust) and np.array_equal(a.reports, b.reports)


def test_harm_turns_households_against_the_groups_and_services_win_them():
    n = small_model().world.n_blocks
    harmed, served, none = (
        _after(12, victimisation=np.full(n, 2.0)),
        _after(12, services=np.full(n, 4.0)),
        _after(12),
    )
    assert harmed.sides.mean() < none.sides.mean() < served.sides.mean()
    assert harmed.fear.mean() > none.fear.mean()


def test_fear_of_violence_silences_reporting():
    n = small_model().world.n_blocks
    violent, calm = _after(6, violence=np.full(n, 2.0)), _after(6)
    assert violent.reports.mean() < calm.reports.mean()


def test_households_differ_and_decide_by_their_own_thresholds():
    residents = small_model().residents
    assert residents.trust.std(axis=1).min() > 0  # heterogeneous households in every block
    decided = residents.trust * (1 - residents.fear) * (1 - residents.sympathy) > residents.reticence
    assert np.array_equal(decided, residents.reports)
    shares = residents.reports.mean(axis=1)
    assert 0 < shares.mean() < 1


def test_the_blocks_layers_are_the_shares_of_their_households_decisions():
    model = small_model()
    for _ in range(3):
        model.step()
    w, r = model.world, model.residents
    assert np.allclose(w.reporting, w.broadcast(r.reports.mean(axis=1)))
    assert np.allclose(w.ocg_legitimacy, w.broadcast(r.sides.mean(axis=1)))
