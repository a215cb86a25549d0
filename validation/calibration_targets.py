"""A calibration's targets against the model at its default parameters (docs/calibration.md).

Before a calibration is trusted, each target is checked against what the model gives with no
parameter moved: how many sds away the defaults are, and what share of the distance each target
makes. A target that makes most of the distance on an indicator none of the free parameters is
meant to set would steer the fit. ``python -m validation.calibration_targets [FILE]`` prints the
table for ``experiments/calibrate_baseline.yaml`` (or FILE), three runs, seeds 1-3.
"""

from __future__ import annotations

import sys

import numpy as np

from simulation import run_scenario
from simulation.calibration.loader import load_calibration
from simulation.calibration.statistics import compile_targets
from validation.patterns import ROOT

SEEDS = (1, 2, 3)


def table(path: str) -> str:
    calibration = load_calibration(path)
    targets = compile_targets(calibration)
    runs = [run_scenario(calibration.scenario, seed=seed, steps=calibration.steps).metrics for seed in SEEDS]
    values = {t.key: np.array([t.compute(m) for m in runs]) for t in targets}
    z = {t.key: (values[t.key].mean() - t.observed) / t.sd for t in targets}
    distance = sum(v**2 for v in z.values())
    lines = [
        "| target | window | value ± sd | model at the defaults | sd away | share of the distance |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets:
        v, share = values[t.key], 100 * z[t.key] ** 2 / distance
        lines.append(
            f"| {t.statistic} of `{t.metric}` | {t.first}–{t.last} | {t.observed:g} ± {t.sd:g} | "
            f"{v.mean():.4g} ± {v.std(ddof=1):.2g} | {z[t.key]:+.2f} | {share:.0f}% |"
        )
    lines.append(f"\nDistance {distance:.2f}; largest {max(abs(x) for x in z.values()):.2f} sd.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "experiments" / "calibrate_baseline.yaml")))
