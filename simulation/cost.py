"""What a run or a plan will cost, known before anything is computed, and the limits on both.

A run's time is estimated from its size alone — cells, groups, members and months — with
coefficients fitted (non-negative least squares) to eight worlds (24x24 to 200x200 cells, 4 to 60
groups, 80 to 18,000 members; model build and 6 months each, seed 1) on the development machine
(two shared cores, Python 3.12). The per-month fit is within about ±25% on those worlds, the build
within ±11% from 80x80 cells up (the smallest worlds build in a few hundredths of a second, where
it is off by 2x). Later months cost more than the first ones as markets fill up: ``GROWN_MARKET``
is set so that the default world's 120 months come out as measured (3.6 s). A faster machine runs
in less time; the estimate is for refusing what cannot be meant, not for planning to the minute
(``ocsim sweep --dry-run`` also times a real probe).

Limits (docs/experiments.md, README "bad input"):

- ``MAX_RUN_SECONDS``: a run estimated to take longer is refused unless ``--force``;
- ``MAX_PLAN_RUNS``: an experiment (scenarios x points x replications) with more runs is refused;
- ``MAX_PLAN_POINTS``: so is one with more scenario x point pairs, each of which is validated
  before the first run. Both are counted arithmetically, without building the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.scenario.schema import Scenario

MAX_RUN_SECONDS = 3600.0
"""One hour per run; a default-length run of the shipped scenarios takes seconds, one of the largest
grid (1000x1000) about 11 minutes."""
MAX_PLAN_RUNS = 500_000
MAX_PLAN_POINTS = 20_000
"""Scenario x point pairs; validating each takes about 0.6 ms, so 20,000 take about 12 s."""

BUILD_SECONDS = (0.01, 4.6e-5, 3.1e-3, 4.8e-5)
"""Building the model: constant, per cell, per group, per member."""
STEP_SECONDS = (0.0026, 4.1e-6, 1.2e-3, 5.2e-6)
"""One early month: constant, per cell, per group, per member."""
GROWN_MARKET = 1.25


def run_size(scenario: Scenario) -> tuple[int, int, int, int]:
    """(cells, groups, members, months) of a run."""
    world = scenario.world
    cells = world.grid.width * world.grid.height
    return cells, world.ocgs.count, world.ocgs.count * world.ocgs.members, scenario.steps


def run_seconds(scenario: Scenario, steps: int | None = None) -> float:
    """Estimated wall time of one run of ``scenario`` (``steps`` months, default its own)."""
    cells, groups, members, months = run_size(scenario)
    months = steps if steps is not None else months
    size = (1.0, cells, groups, members)
    build = sum(c * x for c, x in zip(BUILD_SECONDS, size, strict=True))
    step = sum(c * x for c, x in zip(STEP_SECONDS, size, strict=True))
    return build + step * months * GROWN_MARKET


def describe_size(scenario: Scenario) -> str:
    cells, groups, members, months = run_size(scenario)
    return f"{cells:,} cells, {groups:,} groups, {members:,} members, {months:,} months"


def duration(seconds: float) -> str:
    """A rough duration for messages: '0.4 s', '12 s', '7 min', '3.2 h', '41 days'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def too_long(scenario: Scenario, steps: int | None = None) -> str | None:
    """Why a run is refused without ``--force`` (None when it is within the limit)."""
    seconds = run_seconds(scenario, steps)
    if seconds <= MAX_RUN_SECONDS:
        return None
    return (
        f"a run is estimated to take about {duration(seconds)} ({describe_size(scenario)}); "
        f"runs estimated above {duration(MAX_RUN_SECONDS)} need --force"
    )
