"""Tables of the results database (SQLAlchemy Core).

``runs`` holds one row per simulated run, identified by ``run_key`` (hash of configuration hash,
seed and steps) so a sweep can tell what is already done. ``metrics`` is long format (one row per
run, step and indicator) so new indicators need no migration. ``snapshots`` keeps spatial layers
as zlib-compressed raw array bytes with their dtype and shape, for an exact round trip.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

RUN_STATUSES = ("running", "finished", "failed")

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_key", String(64), nullable=False, unique=True),
    Column("scenario_name", String(200), nullable=False),
    Column("scenario_source", Text, nullable=True),
    Column("config", Text, nullable=False, comment="full resolved configuration as JSON"),
    Column("config_hash", String(64), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("steps", Integer, nullable=False),
    Column("replication", Integer, nullable=True),
    Column("experiment", String(200), nullable=True),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("wall_time", Float, nullable=True, comment="seconds spent simulating"),
    Column("package_version", String(40), nullable=True),
    Column("error", Text, nullable=True),
    Column("traceback", Text, nullable=True),
    CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in RUN_STATUSES) + ")", name="ck_runs_status"),
    Index("ix_runs_experiment", "experiment"),
    Index("ix_runs_config_hash", "config_hash"),
    Index("ix_runs_scenario_name", "scenario_name"),
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("value", Float, nullable=True, comment="NULL where the indicator was undefined (NaN)"),
    PrimaryKeyConstraint("run_id", "step", "indicator", name="pk_metrics"),
    sqlite_with_rowid=False,
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("layer", String(64), nullable=False),
    Column("dtype", String(32), nullable=False, comment="numpy dtype string, e.g. '<f8'"),
    Column("shape", String(64), nullable=False, comment="JSON list, e.g. [40, 40]"),
    Column("data", LargeBinary, nullable=False, comment="zlib-compressed C-order array bytes"),
    PrimaryKeyConstraint("run_id", "step", "layer", name="pk_snapshots"),
)
