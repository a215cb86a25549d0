"""ocsim: an agent-based laboratory for criminal markets under organized-crime strategies.

Public API::

    scenario = load_scenario("scenarios/baseline.yaml", {"world.ocgs.count": 12})
    result = run_scenario(scenario, seed=1)
    result.metrics      # pandas DataFrame, one row per step
    result.snapshots    # step -> layer -> 2-D array [x, y]
    load_metrics("sqlite:///results/ocsim.sqlite")   # stored runs as a tidy DataFrame

    run_experiment("experiments/kingpin_intensity.yaml", executor="local")   # a sweep
    load_metrics("sqlite:///results/ocsim.sqlite", experiment="kingpin_intensity")

    run_calibration("experiments/calibrate_baseline.yaml", workers=2)   # ABC-SMC (pyabc)
    load_posterior("sqlite:///results/ocsim.sqlite", "calibrate_baseline")   # parameters + weight

Names are imported on first use, so ``import simulation.storage`` does not load the model.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "CalibrationError": "simulation.calibration",
    "ExperimentError": "simulation.experiments",
    "ExperimentSpec": "simulation.experiments",
    "load_experiment": "simulation.experiments",
    "run_experiment": "simulation.experiments",
    "RunResult": "simulation.runner",
    "run_scenario": "simulation.runner",
    "Scenario": "simulation.scenario",
    "ScenarioError": "simulation.scenario",
    "load_scenario": "simulation.scenario",
    "load_calibration": "simulation.calibration",
    "load_posterior": "simulation.calibration",
    "run_calibration": "simulation.calibration",
    "load_metrics": "simulation.storage",
    "load_runs": "simulation.storage",
    "load_snapshots": "simulation.storage",
    "load_results": "simulation.storage",
    "load_events": "simulation.storage",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
