"""How the pattern table builds its runs: worlds, start shifts and posterior draws (no model run)."""

from __future__ import annotations

import pandas as pd
import pytest

import simulation
from validation import patterns
from validation.patterns import POSTERIOR_WORLD, Variant, posterior_variant

MARKUP = "behaviour.market.markup"
GROUPS = "world.ocgs.count"


def test_each_replication_takes_its_own_draw_and_the_world_of_the_variant():
    draws = (((MARKUP, 1.1),), ((MARKUP, 1.9),))
    variant = Variant("drawn", POSTERIOR_WORLD, draws=draws)
    scenarios = patterns._scenarios("baseline", variant, (), 5)
    markups = [s.behaviour.market.markup for s in scenarios]
    assert markups == [1.1, 1.9, 1.1, 1.9, 1.1]  # draw i for replication i, cycling
    assert {(s.world.grid.width, s.world.ocgs.count) for s in scenarios} == {(30, 5)}


def test_without_draws_every_replication_runs_the_same_scenario():
    scenarios = patterns._scenarios("baseline", Variant("plain"), (), 3)
    assert scenarios[0] is scenarios[1] is scenarios[2]


def test_both_runs_of_a_pair_share_the_draw_and_the_seed(monkeypatch):
    submitted = []

    def fake_runs(jobs, seeds):
        submitted.extend(zip(jobs, seeds, strict=True))
        return list(range(len(jobs)))

    monkeypatch.setattr(patterns, "_runs", fake_runs)
    variant = Variant("drawn", POSTERIOR_WORLD, draws=(((MARKUP, 1.1),), ((MARKUP, 1.9),)))
    pairs = patterns.paired.__wrapped__("prevention_slow_durable", 2, variant)
    assert len(pairs) == 2
    (strategy_1, seed_a), (without_1, seed_b), (strategy_2, seed_c), (without_2, seed_d) = submitted
    assert (seed_a, seed_b, seed_c, seed_d) == (1, 1, 2, 2)
    assert strategy_1.behaviour.market.markup == without_1.behaviour.market.markup == 1.1
    assert strategy_2.behaviour.market.markup == without_2.behaviour.market.markup == 1.9
    assert list(strategy_1.strategy.levers()) and not list(without_1.strategy.levers())


def test_a_posterior_variant_draws_by_weight_and_keeps_whole_numbers_whole(monkeypatch):
    posterior = pd.DataFrame({MARKUP: [1.2, 2.4], GROUPS: [4, 6], "weight": [1.0, 0.0]})
    monkeypatch.setattr(simulation, "load_posterior", lambda url, name: posterior)
    variant = posterior_variant("sqlite:///nowhere", "fit", 4)
    assert len(variant.draws) == 4
    assert all(dict(d) == {MARKUP: 1.2, GROUPS: 4} for d in variant.draws)  # never the weightless one
    assert all(isinstance(dict(d)[GROUPS], int) for d in variant.draws)
    assert variant.settings == POSTERIOR_WORLD and "fit" in variant.name


def test_a_missing_ensemble_is_named(tmp_path):
    with pytest.raises(LookupError, match="no ensemble named 'nothing'"):
        posterior_variant(f"sqlite:///{tmp_path / 'empty.sqlite'}", "nothing", 2)


def test_the_posterior_section_judges_every_pattern_at_the_defaults_and_across_the_draws(monkeypatch):
    seen = []

    def measure(replications, variant):
        seen.append(variant)
        inside = bool(variant.draws)
        return patterns.Measurement(0.5 if inside else 1.5, 0.2 if inside else 1.2, 0.8 if inside else 1.8, 4)

    fake = patterns.Pattern("fake", "source", "observed", (0.0, 1.0), "why", "unit", "measured", measure)
    monkeypatch.setattr(patterns, "PATTERNS", (fake,))
    variant = Variant("posterior of fit (30 x 30, 5 groups)", POSTERIOR_WORLD, draws=(((MARKUP, 1.2),),))
    text = patterns.across_posterior(variant, 4)
    row = next(line for line in text.splitlines() if line.startswith("| `fake` |"))
    assert "+1.50 [+1.20, +1.80] outside" in row and row.endswith("+0.50 [+0.20, +0.80] | **inside** |")
    assert [v.draws for v in seen] == [(), variant.draws]
    assert f"`{MARKUP}`" in text


def test_the_posterior_section_is_replaced_and_the_other_tables_kept():
    tables = "# Patterns\n\n| a |\n\n## On other worlds and start months\n\n| b |\n"
    first = patterns.with_posterior_section(tables, patterns.POSTERIOR_HEADING + "\nold\n")
    second = patterns.with_posterior_section(first, patterns.POSTERIOR_HEADING + "\nnew\n")
    assert second == tables + patterns.POSTERIOR_HEADING + "\nnew\n"
    assert "old" not in second
