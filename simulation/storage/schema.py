"""Tables of the results database (SQLAlchemy Core).

``runs`` holds one row per simulated run, identified by ``run_key`` (hash of configuration hash,
seed and steps) so a sweep can tell what is already done. ``metrics`` is long format (one row per
run, step and indicator, the indicator as a small integer id from ``indicators``) so new
indicators need no migration and a row costs a few bytes. ``snapshots`` keeps spatial layers as
zlib-compressed raw array bytes with their dtype and shape, for an exact round trip.

``events`` keeps what happened with a time and a place in each run (a leader's arrest, a split, a
lever's onset; ``simulation.core.events``) and ``histories`` the monthly layers a scenario lists
under ``output.history`` (one compressed array [step, x, y] per run and layer), so event studies
work from the database.

``experiments`` holds each sweep's specification; ``experiment_runs`` lists the runs its plan
needs (a run shared by two experiments is stored once), and ``sweeps`` records every invocation
with its provenance: host, package versions, git commit, executor and timings.
``claim_verdicts`` keeps every judgement of a theory-of-success claim and ``findings`` the
results of challenge runs.
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
    SmallInteger,
    String,
    Table,
    Text,
)

RUN_STATUSES = ("running", "finished", "failed")
SWEEP_STATUSES = ("running", "finished", "interrupted")
SCHEMA_VERSION = 2
"""Bumped when a table changes shape; a database of another version is refused with a clear message."""

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
    Column("seed_entropy", String(40), nullable=True, comment="root seed the run's seed was spawned from"),
    Column("spawn_key", String(80), nullable=True, comment="SeedSequence spawn key, JSON list"),
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

info = Table(
    "ocsim_info",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

indicators = Table(
    "indicators",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False, unique=True),
)

# No foreign keys on metrics: checking two per row halves the speed of bulk inserts on SQLite.
# The store writes a run's metrics in the transaction that inserts the run and deletes them
# itself whenever it deletes or reclaims a run.
metrics = Table(
    "metrics",
    metadata,
    Column("run_id", Integer, nullable=False, comment="runs.id"),
    Column("step", Integer, nullable=False),
    Column("indicator_id", SmallInteger, nullable=False, comment="indicators.id"),
    Column("value", Float, nullable=True, comment="NULL where the indicator was undefined (NaN)"),
    PrimaryKeyConstraint("run_id", "step", "indicator_id", name="pk_metrics"),
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

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("source", Text, nullable=True, comment="experiment file it was read from"),
    Column("spec", Text, nullable=False, comment="the validated experiment specification, JSON"),
    Column("spec_hash", String(64), nullable=False),
    Column("design", Text, nullable=False, comment="design type, samples, parameters and their ranges, JSON"),
    Column("planned_runs", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

experiment_runs = Table(
    "experiment_runs",
    metadata,
    Column("experiment_id", Integer, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False),
    Column("scenario", String(200), nullable=False),
    Column("point", Integer, nullable=False, comment="index of the parameter point in the design"),
    Column("replication", Integer, nullable=False),
    Column("run_key", String(64), nullable=False, comment="runs.run_key once the run is stored"),
    Column("parameters", Text, nullable=False, comment="swept parameter values, JSON"),
    PrimaryKeyConstraint("experiment_id", "scenario", "point", "replication", name="pk_experiment_runs"),
    Index("ix_experiment_runs_run_key", "run_key"),
)

sweeps = Table(
    "sweeps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("wall_time", Float, nullable=True),
    Column("executor", String(200), nullable=False),
    Column("workers", Integer, nullable=True),
    Column("host", String(200), nullable=True),
    Column("platform", String(200), nullable=True),
    Column("python", String(40), nullable=True),
    Column("git_commit", String(60), nullable=True),
    Column("package_versions", Text, nullable=True, comment="JSON: package -> version"),
    Column("runs_planned", Integer, nullable=True),
    Column("runs_skipped", Integer, nullable=True, comment="already stored when the sweep started"),
    Column("runs_finished", Integer, nullable=True),
    Column("runs_failed", Integer, nullable=True),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in SWEEP_STATUSES) + ")", name="ck_sweeps_status"
    ),
)

claim_verdicts = Table(
    "claim_verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("experiment", String(200), nullable=False, comment="experiments.name of the runs judged"),
    Column("scenario", String(200), nullable=False),
    Column("claim_index", Integer, nullable=False),
    Column("claim", Text, nullable=False),
    Column("metric", String(64), nullable=False),
    Column("compare", String(400), nullable=False),
    Column("window_first", Integer, nullable=False),
    Column("window_last", Integer, nullable=False),
    Column("kind", String(16), nullable=False, comment="relative | absolute | level"),
    Column("threshold", Float, nullable=False),
    Column("wants_below", Integer, nullable=False, comment="1: holds at or below the threshold"),
    Column("confidence", Float, nullable=False),
    Column("estimate", Float, nullable=True),
    Column("low", Float, nullable=True),
    Column("high", Float, nullable=True),
    Column("verdict", String(16), nullable=False),
    Column("replications", Integer, nullable=False),
    Column("more_replications", Integer, nullable=True),
    Column("note", Text, nullable=True),
    Column("judged_at", DateTime(timezone=True), nullable=False),
    Index("ix_claim_verdicts_experiment", "experiment"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("experiment", String(200), nullable=False),
    Column("kind", String(40), nullable=False, comment="e.g. challenge"),
    Column("content", Text, nullable=False, comment="JSON"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_findings_experiment", "experiment"),
)

# Leases: a sweep claims the runs it is about to compute, and renews its claims with a heartbeat,
# so a second sweep of the same runs leaves them alone, and a sweep whose process died is seen as
# interrupted once its heartbeat is older than the lease time (``simulation.storage.leases``).
# Tables added after format 2 was fixed: ``create_all`` adds them to older databases unchanged.
run_leases = Table(
    "run_leases",
    metadata,
    Column("run_key", String(64), primary_key=True, comment="runs.run_key being computed"),
    Column("sweep_id", Integer, nullable=False, comment="sweeps.id holding the lease"),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_run_leases_sweep", "sweep_id"),
)

sweep_heartbeats = Table(
    "sweep_heartbeats",
    metadata,
    Column("sweep_id", Integer, primary_key=True, autoincrement=False, comment="sweeps.id"),
    Column("beat_at", DateTime(timezone=True), nullable=False, comment="last sign of life"),
    Column("host", String(200), nullable=True, comment="machine the sweep's process runs on"),
    Column("pid", Integer, nullable=True, comment="the sweep's process id on that machine"),
)

# Posterior ensembles: the accepted particles of a calibration with their weights
# (``simulation.storage.ensembles``). Tables added to format 2 without changing any existing
# table: ``create_all`` adds them to older databases, and older ocsim versions ignore them.
ENSEMBLE_STATUSES = ("running", "finished", "interrupted")

ensembles = Table(
    "ensembles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("method", String(40), nullable=False, comment="e.g. abc-smc (pyabc)"),
    Column("source", Text, nullable=True, comment="calibration file it was read from"),
    Column("scenario", String(200), nullable=True),
    Column("spec", Text, nullable=False, comment="the validated calibration, with --set and --steps, JSON"),
    Column("spec_hash", String(64), nullable=False),
    Column("parameters", Text, nullable=False, comment="JSON list of {path, prior, integer}"),
    Column("status", String(16), nullable=False),
    Column("generations", Integer, nullable=False, comment="generations finished"),
    Column("particles", Integer, nullable=False),
    Column("final_epsilon", Float, nullable=True),
    Column("simulations", BigInteger, nullable=False, comment="simulations run over all generations"),
    Column("seed", BigInteger, nullable=False, comment="root seed of the calibration"),
    Column("history_url", Text, nullable=True, comment="pyabc History database of the calibration"),
    Column("history_id", Integer, nullable=True, comment="pyabc run id (abc_id) in that database"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in ENSEMBLE_STATUSES) + ")", name="ck_ensembles_status"
    ),
)

ensemble_particles = Table(
    "ensemble_particles",
    metadata,
    Column("ensemble_id", Integer, ForeignKey("ensembles.id", ondelete="CASCADE"), nullable=False),
    Column("particle", Integer, nullable=False),
    Column("weight", Float, nullable=False, comment="normalised importance weight"),
    Column("distance", Float, nullable=True),
    Column("parameters", Text, nullable=False, comment="JSON: dotted path -> value"),
    PrimaryKeyConstraint("ensemble_id", "particle", name="pk_ensemble_particles"),
)


# A run's events and monthly layers (``output.history``), written in the transaction that stores its
# metrics and marks it finished, deleted with them. Tables added to format 2 without changing any
# existing table: ``create_all`` adds them to older databases, whose runs then load with no events
# and no history (they were not recorded), and older ocsim versions ignore them.
events = Table(
    "events",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False, comment="order of the event in the run, from 0"),
    Column("step", Integer, nullable=False, comment="month of the event"),
    Column("kind", String(32), nullable=False, comment="leader_arrest | split | lever_start"),
    Column("group_id", Integer, nullable=False, comment="the group concerned (-1: none, e.g. a lever)"),
    Column("x", Integer, nullable=False),
    Column("y", Integer, nullable=False),
    Column(
        "cells",
        LargeBinary,
        nullable=False,
        comment="flat cell indices (x * height + y) of the area: zlib-compressed little-endian int32 "
        "differences, first against 0",
    ),
    Column("detail", Text, nullable=True, comment='the kind\'s own fields as JSON, e.g. {"parent": 3}'),
    PrimaryKeyConstraint("run_id", "seq", name="pk_events"),
)

histories = Table(
    "histories",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("layer", String(64), nullable=False),
    Column("dtype", String(32), nullable=False, comment="numpy dtype string, e.g. '<f8'"),
    Column("shape", String(64), nullable=False, comment="JSON list [months + 1, width, height]"),
    Column("data", LargeBinary, nullable=False, comment="zlib-compressed C-order array bytes"),
    PrimaryKeyConstraint("run_id", "layer", name="pk_histories"),
)
