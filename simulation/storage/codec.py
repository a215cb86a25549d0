"""Turning arrays and metric tables into database values and back, exactly.

Kept apart from the store so that a worker process can encode its results (the costly part)
before sending them to the parent, which only writes.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
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


def encode_history(history: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """History rows without a run id: layer, dtype, shape, data (one array [step, x, y] per layer)."""
    rows = []
    for layer, array in history.items():
        try:
            encoded = encode_array(array)
        except ValueError as exc:
            raise ValueError(f"history layer {layer!r}: {exc}") from None
        rows.append({"layer": str(layer), **encoded})
    return rows


# ------------------------------------------------------------------------------------- events
EVENT_COLUMNS = ("step", "kind", "group", "x", "y", "cells")
"""The columns every event has (``simulation.runner.events_frame``); the kinds' own fields follow."""
_INT32_MAX = np.iinfo(np.int32).max


def encode_cells(cells: Iterable[int]) -> bytes:
    """Flat cell indices as zlib-compressed int32 differences (a territory's sorted cells differ by
    1 or a column's height, so a hundred cells take a few dozen bytes)."""
    flat = np.asarray(list(cells), dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() > _INT32_MAX):
        raise ValueError(f"cell indices must lie in 0..{_INT32_MAX}")
    return zlib.compress(np.diff(flat, prepend=0).astype("<i4").tobytes())


def decode_cells(data: bytes) -> tuple[int, ...]:
    """Inverse of ``encode_cells``: the indices as a tuple of ints, in their stored order."""
    deltas = np.frombuffer(zlib.decompress(data), dtype="<i4")
    return tuple(np.cumsum(deltas, dtype=np.int64).tolist())


def _missing(value: Any) -> bool:
    """A field the event does not have: NaN (or None) in the frame's column for its kind."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: a value
        return False


def _plain(value: Any) -> Any:
    """Numpy scalars and arrays as the JSON values they stand for."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot store an event field of type {type(value).__name__}")


def encode_events(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Event rows without a run id: seq, step, kind, group_id, x, y, cells, detail.

    ``frame`` is a run's ``events`` (``simulation.runner.events_frame``): the common columns, then
    one column per kind-specific field, missing (NaN) for events of other kinds. ``detail`` holds
    an event's own fields as JSON (missing ones left out; whole numbers of a float column with
    gaps as integers), so ``decode_events`` rebuilds the same frame.
    """
    if frame is None or len(frame) == 0:
        return []
    absent = [c for c in EVENT_COLUMNS if c not in frame.columns]
    if absent:
        raise ValueError(f"events lack the column(s) {absent}")
    fields = [str(c) for c in frame.columns if c not in EVENT_COLUMNS]
    gappy_floats = {
        c for c in fields if pd.api.types.is_float_dtype(frame[c].dtype) and frame[c].isna().any()
    }
    rows = []
    for seq, event in enumerate(frame.to_dict("records")):
        detail = {}
        for name in fields:
            value = event[name]
            if _missing(value):
                continue
            if name in gappy_floats and float(value).is_integer():
                value = int(value)  # 3.0 in a column with gaps was 3: NaN made the column float
            detail[name] = value
        try:
            text = json.dumps(detail, sort_keys=True, default=_plain, allow_nan=False) if detail else None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"event {seq} ({event['kind']}, month {event['step']}): {exc}") from None
        rows.append(
            {
                "seq": seq,
                "step": int(event["step"]),
                "kind": str(event["kind"]),
                "group_id": int(event["group"]),
                "x": int(event["x"]),
                "y": int(event["y"]),
                "cells": encode_cells(event["cells"]),
                "detail": text,
            }
        )
    return rows


def decode_event(row: Any) -> dict[str, Any]:
    """One stored event (a row with the ``events`` table's columns) as a record of the frame."""
    detail = json.loads(row.detail) if row.detail else {}
    return {
        "step": int(row.step),
        "kind": str(row.kind),
        "group": int(row.group_id),
        "x": int(row.x),
        "y": int(row.y),
        "cells": decode_cells(row.cells),
        **detail,
    }


def events_table(records: Iterable[Mapping[str, Any]], leading: tuple[str, ...] = ()) -> pd.DataFrame:
    """Event records as a frame built the way the runner builds ``RunResult.events``: ``leading``
    columns (e.g. ``run_id``), the common columns, then the kinds' fields in alphabetical order."""
    records = list(records)
    fields = sorted({k for r in records for k in r} - {*EVENT_COLUMNS, *leading})
    return pd.DataFrame(records, columns=[*leading, *EVENT_COLUMNS, *fields])


def decode_events(rows: Iterable[Any]) -> pd.DataFrame:
    """Inverse of ``encode_events``: one run's events frame, equal to the run's own."""
    return events_table(decode_event(row) for row in rows)
