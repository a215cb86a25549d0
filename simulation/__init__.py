"""ocsim: an agent-based laboratory for criminal markets under organized-crime strategies.

Public API::

    scenario = load_scenario("scenarios/baseline.yaml", {"world.ocgs.count": 12})
    result = run_scenario(scenario, seed=1)
    result.metrics      # pandas DataFrame, one row per step
    result.snapshots    # step -> layer -> 2-D array [x, y]
"""

from simulation.runner import RunResult, run_scenario
from simulation.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = ["RunResult", "Scenario", "ScenarioError", "__version__", "load_scenario", "run_scenario"]
