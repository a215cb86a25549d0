"""Bulk writes of metric rows: the driver's own fast path, so storage never slows a sweep.

SQLite gets multi-row ``INSERT ... VALUES`` statements on the raw cursor (no per-row SQLAlchemy
objects); PostgreSQL
gets binary ``COPY ... FROM STDIN`` through psycopg. Both run inside the caller's transaction, so a
batch is written whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from sqlalchemy import Connection, insert

from simulation.storage.schema import metrics

MetricRow = tuple[int, int, int, float | None]

_COLUMNS = ("run_id", "step", "indicator_id", "value")
_PG_TYPES = ("int4", "int4", "int2", "float8")
_SQLITE_ROWS_PER_STATEMENT = 240
"""960 parameters per statement: under the 999 that older SQLite builds allow."""
"""Binary COPY needs the exact column types of ``schema.metrics``."""


def write_metric_rows(conn: Connection, rows: Sequence[MetricRow]) -> None:
    """Insert (run_id, step, indicator_id, value) rows in the current transaction."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_psycopg(conn, rows)
    elif dialect.name == "sqlite":
        _insert_sqlite(conn, rows)
    else:  # any other driver: SQLAlchemy's executemany
        conn.execute(insert(metrics), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])


def _insert_sqlite(conn: Connection, rows: Sequence[MetricRow]) -> None:
    """Many rows per INSERT statement: binding and stepping one statement per row, not the B-tree,
    is what limits Python's sqlite3 (multi-row VALUES measured 2.5x faster than plain executemany)."""
    k = _SQLITE_ROWS_PER_STATEMENT
    one_row = "(" + ", ".join("?" for _ in _COLUMNS) + ")"
    head = f"INSERT INTO {metrics.name} ({', '.join(_COLUMNS)}) VALUES "
    full = len(rows) // k * k
    cursor = conn.connection.driver_connection.cursor()
    try:
        if full:
            flat = list(chain.from_iterable(rows[:full]))
            width = k * len(_COLUMNS)
            cursor.executemany(
                head + ", ".join([one_row] * k),
                [flat[i : i + width] for i in range(0, full * len(_COLUMNS), width)],
            )
        if full < len(rows):
            cursor.executemany(head + one_row, rows[full:])
    finally:
        cursor.close()


def _copy_psycopg(conn: Connection, rows: Sequence[MetricRow]) -> None:
    """Binary COPY: about a quarter faster than text, and no float formatting round trip."""
    statement = f"COPY {metrics.name} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(_PG_TYPES)
        for row in rows:
            copy.write_row(row)
