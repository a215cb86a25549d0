"""A finished or failed run as plain data: what a worker sends back and the parent writes.

Nothing here knows about Mesa or the model; a record pickles cheaply (arrays and bytes), so it
crosses process and Dask boundaries without dragging the simulation along.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from simulation.storage.codec import MetricTable


@dataclass
class RunRecord:
    """One run, ready for ``ResultsStore.write_records``."""

    run_key: str
    scenario_name: str
    scenario_source: str | None
    config: str
    """The fully resolved configuration as JSON text."""
    config_hash: str
    seed: int
    steps: int
    replication: int | None
    experiment: str | None
    status: Literal["finished", "failed"]
    started_at: datetime
    finished_at: datetime
    wall_time: float
    seed_entropy: int | None = None
    spawn_key: tuple[int, ...] | None = None
    metrics: MetricTable | None = None
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    """Encoded snapshot rows (step, layer, dtype, shape, data), see ``codec.encode_snapshots``."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Encoded event rows (seq, step, kind, group_id, x, y, cells, detail), see ``codec.encode_events``."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """Encoded monthly layers (layer, dtype, shape, data), see ``codec.encode_history``."""
    error: str | None = None
    traceback: str | None = None
