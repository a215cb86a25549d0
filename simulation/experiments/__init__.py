"""Experiments: sweeps over scenarios, parameter designs and replications, run anywhere, stored once."""

from simulation.experiments.executors import EXECUTOR_KINDS, SerialExecutor, open_executor
from simulation.experiments.loader import ExperimentError, load_experiment, validate_experiment
from simulation.experiments.plan import ExperimentPlan, PlannedRun, RunTask, ScenarioInput, plan_experiment
from simulation.experiments.schema import DesignSpec, ExperimentSpec, RangeSpec
from simulation.experiments.sweep import (
    PreparedExperiment,
    SweepProgress,
    SweepSummary,
    prepare_experiment,
    run_experiment,
)

__all__ = [
    "EXECUTOR_KINDS",
    "DesignSpec",
    "ExperimentError",
    "ExperimentPlan",
    "ExperimentSpec",
    "PlannedRun",
    "PreparedExperiment",
    "RangeSpec",
    "RunTask",
    "ScenarioInput",
    "SerialExecutor",
    "SweepProgress",
    "SweepSummary",
    "load_experiment",
    "open_executor",
    "plan_experiment",
    "prepare_experiment",
    "run_experiment",
    "validate_experiment",
]
