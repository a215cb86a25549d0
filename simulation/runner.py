"""Run a validated scenario for a number of steps and collect its indicators and snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.core import indicators
from simulation.core.events import Event
from simulation.core.model import CriminalMarketModel
from simulation.scenario import Scenario

ProgressCallback = Callable[[int, int], None]


@dataclass
class RunResult:
    """What one run produced: indicators per step and spatial snapshots."""

    scenario: Scenario
    seed: int
    steps: int
    metrics: pd.DataFrame
    """One row per step (index ``step``, 1-based), one column per indicator."""
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    """step -> layer name -> 2-D array indexed ``[x, y]``; step 0 is the initial world."""
    wall_time: float = 0.0
    zone_masks: dict[str, np.ndarray] = field(default_factory=dict)
    """Named zones and, with ``displacement:``, the target / buffer / control areas ([x, y])."""
    events: pd.DataFrame = field(default_factory=lambda: events_frame([]))
    """One row per event (``simulation.core.events``): step, kind, group, x, y, cells, and the
    kind's own fields (``convicted``, ``parent``, ``lever``)."""
    history: dict[str, np.ndarray] = field(default_factory=dict)
    """Layer -> array [step, x, y] for steps 0..steps, for the layers ``output.history`` names."""
    initial: dict[str, float] | None = None
    """The indicators of the world as built, before the first month (step 0): stocks as they
    start (members, groups, controlled cells, corrupt officials, ...), monthly flows 0."""

    @property
    def metrics_from_start(self) -> pd.DataFrame:
        """``metrics`` with step 0 (the initial state) as its first row, as stored and exported."""
        if self.initial is None:
            return self.metrics
        first = pd.DataFrame([self.initial], index=pd.RangeIndex(0, 1, name="step"))
        return pd.concat([first.reindex(columns=self.metrics.columns), self.metrics])


def run_scenario(
    scenario: Scenario,
    seed: int,
    steps: int | None = None,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Simulate ``scenario`` from ``seed`` for ``steps`` months (default: the scenario's own)."""
    steps = scenario.steps if steps is None else int(steps)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    started = time.perf_counter()
    model = CriminalMarketModel(scenario, seed=seed)
    initial = initial_record(model)
    every = scenario.output.snapshot_every
    snapshots = {0: model.snapshot()} if every else {}
    kept = scenario.output.history
    history = {name: [model.world.layers[name].copy()] for name in kept}
    for step in range(1, steps + 1):
        model.step()
        if every and (step % every == 0 or step == steps):
            snapshots[step] = model.snapshot()
        for name in kept:
            history[name].append(model.world.layers[name].copy())
        if progress is not None:
            progress(step, steps)
    metrics = pd.DataFrame.from_records(model.records, index=pd.RangeIndex(1, steps + 1, name="step"))
    if scenario.output.keep is not None:
        metrics = metrics[[name for name in scenario.output.keep if name in metrics.columns]]
    return RunResult(
        scenario=scenario,
        seed=int(seed),
        steps=steps,
        metrics=metrics,
        snapshots=snapshots,
        wall_time=time.perf_counter() - started,
        zone_masks={**model.zones.masks, **model.displacement_masks()},
        events=events_frame(model.events),
        history={name: np.stack(frames) for name, frames in history.items()},
        initial=initial,
    )


def events_frame(events: list[Event]) -> pd.DataFrame:
    """The run's events as a tidy frame (kind-specific fields as columns, missing where n/a)."""
    columns = ["step", "kind", "group", "x", "y", "cells"]
    rows = [{**{c: getattr(e, c) for c in columns}, **e.detail} for e in events]
    return pd.DataFrame(rows, columns=columns + sorted({k for e in events for k in e.detail}))


def initial_record(model: CriminalMarketModel) -> dict[str, float]:
    """The model's indicators before its first step (step 0), computed as the monthly record is.

    Each indicator's ``compute`` only reads the model (no random draws, no state written), so the
    run that follows is the same as without it (tests/test_settings.py checks it).
    """
    return {indicator.name: indicator.compute(model) for indicator in indicators.recorded(model)}
