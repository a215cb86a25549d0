"""Bulk writes of metric rows: the driver's own fast path, so storage never slows a sweep.

SQLite gets one ``executemany`` on the raw cursor (no per-row SQLAlchemy objects); PostgreSQL
gets binary ``COPY ... FROM STDIN`` through psycopg. Both run inside the caller's transaction, so a
batch is written whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert

from simulation.storage.schema import metrics

MetricRow = tuple[int, int, int, float | None]

_COLUMNS = ("run_id", "step", "indicator_id", "value")
_PG_TYPES = ("int4", "int4", "int2", "float8")
"""Binary COPY needs the exact column types of ``schema.metrics``."""


def write_metric_rows(conn: Connection, rows: Sequence[MetricRow]) -> None:
    """Insert (run_id, step, indicator_id, value) rows in the current transaction."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_psycopg(conn, rows)
    elif dialect.name == "sqlite":
        placeholders = ", ".join("?" for _ in _COLUMNS)
        sql = f"INSERT INTO {metrics.name} ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()
    else:  # any other driver: SQLAlchemy's executemany
        conn.execute(insert(metrics), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])


def _copy_psycopg(conn: Connection, rows: Sequence[MetricRow]) -> None:
    """Binary COPY: about a quarter faster than text, and no float formatting round trip."""
    statement = f"COPY {metrics.name} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(_PG_TYPES)
        for row in rows:
            copy.write_row(row)
