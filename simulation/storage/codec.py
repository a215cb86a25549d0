"""Turning arrays and metric tables into database values and back, exactly.

Kept apart from the store so that a worker process can encode its results (the costly part)
before sending them to the parent, which only writes.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """Columns ``dtype``, ``shape``, ``data`` that restore ``array`` exactly."""
    array = np.asarray(array)
    if array.dtype.hasobject or array.dtype.names is not None:
        raise ValueError(f"cannot store arrays of dtype {array.dtype} (plain numeric dtypes only)")
    return {
        "dtype": array.dtype.str,
        "shape": json.dumps(list(array.shape)),
        "data": zlib.compress(np.ascontiguousarray(array).tobytes()),
    }


def decode_array(dtype: str, shape: str, data: bytes) -> np.ndarray:
    """Inverse of ``encode_array``: a writable array with the stored dtype and shape."""
    raw = zlib.decompress(data)
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(json.loads(shape)).copy()


@dataclass(frozen=True)
class MetricTable:
    """A run's indicators as plain arrays: ``values[i, j]`` is indicator ``names[j]`` at ``steps[i]``."""

    names: tuple[str, ...]
    steps: np.ndarray
    values: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MetricTable:
        """From a step-indexed frame with one numeric column per indicator."""
        try:
            steps = np.asarray(frame.index, dtype=np.int64)
        except (TypeError, ValueError):
            raise ValueError("metrics index must hold integer steps") from None
        columns = []
        for name in frame.columns:
            try:
                columns.append(pd.to_numeric(frame[name]).to_numpy(dtype=float))
            except (TypeError, ValueError):
                raise ValueError(f"indicator {name!r} is not numeric") from None
        values = np.column_stack(columns) if columns else np.empty((len(steps), 0))
        return cls(tuple(str(c) for c in frame.columns), steps, values)

    def rows(self, run_id: int, ids: dict[str, int]) -> list[tuple[int, int, int, float | None]]:
        """(run_id, step, indicator_id, value) tuples, NaN as None, for executemany or COPY."""
        n_steps, n_names = self.values.shape
        if n_steps == 0 or n_names == 0:
            return []
        step_column = np.repeat(self.steps, n_names).tolist()
        id_column = np.tile(np.array([ids[n] for n in self.names], dtype=np.int64), n_steps).tolist()
        flat = self.values.ravel()
        values: list[float | None] = flat.tolist()
        if np.isnan(flat).any():
            values = [None if v != v else v for v in values]
        return list(zip([int(run_id)] * len(values), step_column, id_column, values, strict=True))


def encode_snapshots(layers_by_step: dict[int, dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """Snapshot rows without a run id: step, layer, dtype, shape, data."""
    rows = []
    for step, layers in layers_by_step.items():
        for layer, array in layers.items():
            try:
                encoded = encode_array(array)
            except ValueError as exc:
                raise ValueError(f"snapshot step {step} layer {layer!r}: {exc}") from None
            rows.append({"step": int(step), "layer": str(layer), **encoded})
    return rows
