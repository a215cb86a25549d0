"""Replication seeds spawned from one root seed.

Each replication's seed comes from ``numpy.random.SeedSequence(root).spawn(n)[i]``: the streams are
statistically independent, and replication ``i`` gets the same seed whatever ``n`` is, so adding
replications to an experiment never changes the ones already run (common random numbers across
scenarios, resumable sweeps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReplicationSeed:
    """One replication's seed and where it came from, enough to rebuild it exactly."""

    replication: int
    seed: int
    root_seed: int
    spawn_key: tuple[int, ...]


def _check(root_seed: int, n: int) -> None:
    if isinstance(root_seed, bool) or not isinstance(root_seed, int | np.integer) or root_seed < 0:
        raise ValueError(f"root seed must be a non-negative integer, got {root_seed!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"number of replications must be a non-negative integer, got {n!r}")


def _seed_of(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def replication_seed(root_seed: int, replication: int) -> ReplicationSeed:
    """The seed of one replication, without spawning the ones before it."""
    _check(root_seed, replication)
    # spawn(n)[i] is SeedSequence(root, spawn_key=(i,)); building it directly is identical.
    sequence = np.random.SeedSequence(int(root_seed), spawn_key=(int(replication),))
    return ReplicationSeed(int(replication), _seed_of(sequence), int(root_seed), sequence.spawn_key)


def replication_seed_details(root_seed: int, n: int) -> list[ReplicationSeed]:
    """Seeds of replications ``0..n-1`` with their spawn keys, for records and replay."""
    _check(root_seed, n)
    children = np.random.SeedSequence(int(root_seed)).spawn(int(n))
    return [
        ReplicationSeed(i, _seed_of(child), int(root_seed), child.spawn_key)
        for i, child in enumerate(children)
    ]


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """Seeds (unsigned 32-bit ints) for replications ``0..n-1`` of one root seed."""
    return [r.seed for r in replication_seed_details(root_seed, n)]
