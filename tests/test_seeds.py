"""Replication seeds: independent of how many replications are asked for, and reproducible."""

import numpy as np
import pytest

from simulation.core.seeds import replication_seed, replication_seed_details, replication_seeds


def test_replication_i_keeps_its_seed_whatever_the_count():
    assert replication_seeds(42, 3) == replication_seeds(42, 10)[:3]


def test_seeds_match_numpy_seed_sequence_spawn():
    children = np.random.SeedSequence(7).spawn(4)
    expected = [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
    assert replication_seeds(7, 4) == expected


def test_seeds_are_python_ints_distinct_and_root_dependent():
    seeds = replication_seeds(1, 50)
    assert all(type(s) is int and 0 <= s < 2**32 for s in seeds)
    assert len(set(seeds)) == 50
    assert replication_seeds(2, 5) != seeds[:5]


def test_single_replication_seed_and_spawn_key_rebuild_the_same_stream():
    details = replication_seed_details(9, 5)
    assert [d.spawn_key for d in details] == [(i,) for i in range(5)]
    assert replication_seed(9, 3) == details[3]


@pytest.mark.parametrize(("root", "n"), [(-1, 2), (1, -1), (1.5, 2), (True, 2)])
def test_bad_arguments_are_rejected(root, n):
    with pytest.raises(ValueError, match="non-negative integer"):
        replication_seeds(root, n)
