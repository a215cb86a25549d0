"""One simulation of a calibration: parameter values in, summary statistics out.

Each simulation is an ordinary ocsim run (``run_scenario``) of the calibration's scenario with the
particle's values set. Its seed is spawned from the calibration's root seed with a spawn key made
from the values themselves (``simulation.core.seeds``), so the same values under the same root
seed always give the same run, whichever process or machine runs it, and any particle can be
replayed with ``particle_seed``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulation.calibration.statistics import Target, summary_statistics
from simulation.core.seeds import replication_seed

FAILURES_IN_A_ROW = 20
"""Simulations failing one after another that stop a calibration. A run that raises is rejected
and the calibration goes on, but when every run raises (a scenario the model cannot run, a broken
installation) ABC would draw particles for ever without accepting one, holding each rejected one
in memory."""


class SimulationsFailing(RuntimeError):
    """Too many simulations in a row raised: the calibration cannot go on."""


def particle_values(values: Mapping[str, Any], integer: Mapping[str, bool]) -> dict[str, float | int]:
    """Dotted path -> value as the scenario takes it (whole numbers for integer settings)."""
    return {
        path: round(float(value)) if integer.get(path) else float(value) for path, value in values.items()
    }


def particle_seed(root_seed: int, values: Mapping[str, float | int]) -> int:
    """The run seed of a particle: SeedSequence(root_seed, spawn_key=(hash of the values,))."""
    text = json.dumps({k: values[k] for k in sorted(values)}, sort_keys=True)
    key = int(hashlib.sha256(text.encode()).hexdigest()[:16], 16)
    return replication_seed(int(root_seed), key).seed


@dataclass
class Simulator:
    """pyabc's model: picklable, builds and runs one scenario per call."""

    scenario_raw: dict[str, Any]
    source: str
    steps: int
    root_seed: int
    names: dict[str, str]
    """pyabc name -> dotted path."""
    integer: dict[str, bool]
    targets: list[Target]
    failures: int = field(default=0)
    failing_in_a_row: int = field(default=0)

    def values(self, parameter: Mapping[str, Any]) -> dict[str, float | int]:
        return particle_values({self.names[k]: v for k, v in parameter.items()}, self.integer)

    def run(self, values: Mapping[str, float | int]):
        from simulation.runner import run_scenario
        from simulation.scenario.loader import apply_overrides, validate_scenario

        scenario = validate_scenario(apply_overrides(self.scenario_raw, values, self.source), self.source)
        return run_scenario(scenario, seed=particle_seed(self.root_seed, values), steps=self.steps)

    def __call__(self, parameter: Mapping[str, Any]) -> dict[str, float]:
        values = self.values(parameter)
        try:
            result = self.run(values)
        except Exception as exc:  # a failing run is rejected (infinite distance), the calibration goes on
            self.failures += 1
            self.failing_in_a_row += 1
            if self.failing_in_a_row >= FAILURES_IN_A_ROW:
                raise SimulationsFailing(
                    f"{self.failing_in_a_row} simulations in a row raised an error, the last at "
                    f"{values}: {type(exc).__name__}: {exc}"
                ) from exc
            return {t.key: math.nan for t in self.targets}
        self.failing_in_a_row = 0
        return summary_statistics(self.targets, result.metrics)
