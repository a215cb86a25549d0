"""Results database: runs, per-step metrics and spatial snapshots (SQLAlchemy Core, no Mesa)."""

from simulation.storage.codec import MetricTable, decode_array, encode_array, encode_snapshots
from simulation.storage.database import (
    DEFAULT_URL,
    ENV_VAR,
    DatabaseURLError,
    mask_password,
    open_engine,
    resolve_db_url,
)
from simulation.storage.records import RunRecord
from simulation.storage.schema import experiment_runs, experiments, metadata, metrics, runs, snapshots, sweeps
from simulation.storage.store import (
    ResultsStore,
    RunExistsError,
    load_metrics,
    load_runs,
    load_snapshots,
    make_run_key,
)

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "DatabaseURLError",
    "MetricTable",
    "ResultsStore",
    "RunExistsError",
    "RunRecord",
    "decode_array",
    "encode_array",
    "encode_snapshots",
    "experiment_runs",
    "experiments",
    "load_metrics",
    "load_runs",
    "load_snapshots",
    "make_run_key",
    "mask_password",
    "metadata",
    "metrics",
    "open_engine",
    "resolve_db_url",
    "runs",
    "snapshots",
    "sweeps",
]
