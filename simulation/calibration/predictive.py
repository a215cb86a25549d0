"""Posterior predictive check: fresh runs drawn from a posterior, set against every target.

The accepted particles' own statistics (kept in pyabc's History) are selected for being close to
the data, so they flatter the fit. A predictive check asks the honest question: if the
parameters are drawn from the posterior and the model is run again, with seeds no calibration
run used, where do the targets' statistics fall? Each of ``draws`` runs takes a particle drawn
by weight (with replacement) and its own new seed; both come from the calibration's root seed
on a stream of their own, so the same check gives the same runs. The runs use the calibration's
scenario, fixed settings and months exactly as its simulations did (stored with the ensemble;
for an ensemble calibrated before they were stored, rebuilt from its stored specification, which
reads the scenario file, and any observed CSV, it names again).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.calibration.posterior import weighted_quantiles
from simulation.calibration.statistics import Target, compile_targets, summary_statistics
from simulation.calibration.verdicts import plain_values
from simulation.storage.ensembles import finished_ensemble

PREDICTIVE_STREAM = 2**64 + 1
"""Spawn-key head of the check's seeds: particle seeds use keys below 2**64, generations 2**64."""
BAND = (0.05, 0.5, 0.95)

ProgressCallback = Callable[[int, int], None]
"""Called with (runs done, runs planned)."""


@dataclass
class PredictiveCheck:
    """Fresh runs from a posterior and their statistics, one row per run."""

    ensemble: str
    scenario: str
    steps: int
    targets: list[Target]
    runs: pd.DataFrame
    """Per run: ``draw``, ``particle``, ``seed``, the parameters' values, every target's statistic
    (column = target key; NaN when the run failed or the statistic is undefined)."""
    series: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Indicator of an observed series -> months x runs: the fresh runs' whole series."""
    failures: int = 0
    rebuilt_from: str | None = None
    """The scenario file read again, when the ensemble did not store the scenario as simulated."""

    def band(self, key: str) -> tuple[float, float, float]:
        """5%, 50% and 95% of the fresh runs' statistic ``key`` (NaN runs left out)."""
        values = self.runs[key].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not values.size:
            return (math.nan, math.nan, math.nan)
        low, mid, high = weighted_quantiles(values, np.ones(values.size), BAND)
        return low, mid, high

    def share_below(self, key: str, observed: float) -> float:
        """Share of fresh runs whose statistic is below the observed value (ties count half): the
        posterior predictive p-value; near 0 or 1, the posterior does not reproduce the target."""
        values = self.runs[key].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not values.size:
            return math.nan
        return float(((values < observed).sum() + 0.5 * (values == observed).sum()) / values.size)


def predictive_seed(root_seed: int, draw: int) -> int:
    sequence = np.random.SeedSequence(int(root_seed), spawn_key=(PREDICTIVE_STREAM, 1, int(draw)))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def draw_particles(posterior: pd.DataFrame, n: int, root_seed: int) -> np.ndarray:
    """Indices of ``n`` particles drawn by weight, with replacement, from the check's own stream."""
    sequence = np.random.SeedSequence(int(root_seed), spawn_key=(PREDICTIVE_STREAM, 0))
    weights = posterior["weight"].to_numpy(dtype=float)
    return np.random.default_rng(sequence).choice(len(posterior), size=int(n), p=weights / weights.sum())


def simulation_setup(record: dict[str, Any]) -> tuple[dict[str, Any], int, list[Target], str | None]:
    """The scenario as the calibration simulated it, its months and targets, and the scenario file
    read again to rebuild them from the stored specification (None when stored with the ensemble)."""
    spec = record["spec"]
    if "scenario_config" in spec and "compiled_targets" in spec:
        targets = [Target(**t) for t in spec["compiled_targets"]]
        return dict(spec["scenario_config"]), int(spec["steps"]), targets, None
    from simulation.calibration.loader import validate_calibration

    given = {k: v for k, v in spec.items() if k not in ("scenario_config", "compiled_targets")}
    source = str(record.get("source") or "")
    calibration = validate_calibration(given, source, steps=spec.get("steps"))
    raw = dict(calibration.scenario_raw)
    raw.setdefault("output", {})["snapshot_every"] = 0  # as the calibration ran it
    return raw, calibration.steps, compile_targets(calibration), str(calibration.scenario_path)


def posterior_predictive(
    db: str | None, name: str, draws: int = 20, progress: ProgressCallback | None = None
) -> PredictiveCheck:
    """Run ``draws`` fresh simulations at parameter sets drawn from ensemble ``name``."""
    from simulation.runner import run_scenario
    from simulation.scenario.loader import apply_overrides, validate_scenario

    record, posterior = finished_ensemble(db, name)
    raw, steps, targets, rebuilt = simulation_setup(record)
    source = f"ensemble {name} (scenario {record.get('scenario')})"
    series_metrics = sorted({t.metric for t in targets if t.statistic == "value"})
    chosen = draw_particles(posterior, draws, int(record["seed"]))
    # records keep each column's type: whole-number settings stay integers
    particles = posterior.drop(columns="weight").to_dict("records")
    rows, series, failures = [], {m: {} for m in series_metrics}, 0
    for draw, particle in enumerate(chosen):
        values = plain_values(particles[int(particle)])
        seed = predictive_seed(int(record["seed"]), draw)
        row: dict[str, Any] = {"draw": draw, "particle": int(particle), "seed": seed, **values}
        try:
            scenario = validate_scenario(apply_overrides(raw, values, source), source)
            metrics = run_scenario(scenario, seed=seed, steps=steps).metrics
        except Exception:  # a failing run is counted and left out, as the calibration rejects it
            failures += 1
            row.update({t.key: math.nan for t in targets})
        else:
            row.update(summary_statistics(targets, metrics))
            for metric in series_metrics:
                if metric in metrics.columns:
                    series[metric][draw] = metrics[metric].astype(float)
        rows.append(row)
        if progress is not None:
            progress(draw + 1, len(chosen))
    return PredictiveCheck(
        ensemble=name,
        scenario=str(record.get("scenario")),
        steps=steps,
        targets=targets,
        runs=pd.DataFrame(rows),
        series={m: pd.DataFrame(s) for m, s in series.items()},
        failures=failures,
        rebuilt_from=rebuilt,
    )
