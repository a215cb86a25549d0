"""Which database results go to, checked before any run starts.

A URL comes from the caller (``--db``), else the ``OCSIM_DB`` environment variable, else a SQLite
file under ``results/``. Every way it can be wrong (unparsable, unknown backend, driver not
installed, folder not creatable, server unreachable) becomes one ``DatabaseURLError`` that names
the URL with its password masked and says what is allowed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

ENV_VAR = "OCSIM_DB"
DEFAULT_URL = "sqlite:///results/ocsim.sqlite"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
ALLOWED = (
    "sqlite:///relative/path.sqlite, sqlite:////absolute/path.sqlite, "
    "postgresql+psycopg://user:pass@host:5432/dbname "
    f"(given with --db or the {ENV_VAR} environment variable; default {DEFAULT_URL})"
)
_PIP_NAMES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary"}
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_CONNECT_TIMEOUT_S = 10


class DatabaseURLError(ValueError):
    """A database URL that cannot be used; the message names it (password masked) and the fix."""

    def __init__(self, url: str | None, reason: str, hint: str | None = None) -> None:
        self.url = mask_password(url) if url is not None else None
        self.reason = reason
        self.hint = hint or f"allowed: {ALLOWED}"
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"invalid database URL {self.url!r}: {self.reason}\n  {self.hint}"


def mask_password(url: str) -> str:
    """The URL with any password replaced by ``***``, also when it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise DatabaseURLError(url, "not a database URL (expected dialect+driver://...)") from None


def _check_driver(url: str, parsed: URL) -> None:
    """Fail early on a backend ocsim does not store to, or a driver that is not installed."""
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseURLError(
            url, f"backend {backend!r} is not supported; use one of {', '.join(SUPPORTED_BACKENDS)}"
        )
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise DatabaseURLError(url, f"unknown driver {parsed.drivername!r}") from None
    if getattr(dialect, "is_async", False):
        raise DatabaseURLError(url, f"async driver {parsed.drivername!r} is not supported")
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        module = getattr(exc, "name", None) or parsed.get_driver_name()
        package = _PIP_NAMES.get(module, module)
        raise DatabaseURLError(
            url, f"driver module {module!r} is not installed (pip install '{package}')"
        ) from None


def _is_sqlite_file(parsed: URL) -> bool:
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    return parsed.get_backend_name() == "sqlite" and not in_memory


def _prepare_sqlite_file(url: str, parsed: URL) -> URL:
    """Anchor a relative SQLite path at the working directory and create its folder."""
    path = Path(parsed.database or "").expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.is_dir():
        raise DatabaseURLError(url, f"{path} is a folder, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseURLError(url, f"cannot create folder {path.parent}: {exc.strerror}") from None
    return parsed.set(database=str(path))


def resolve_db_url(url: str | None = None) -> str:
    """The URL to use (explicit > ``OCSIM_DB`` > default), checked; SQLite paths made absolute."""
    if url is None or not str(url).strip():
        url = os.environ.get(ENV_VAR, "").strip() or DEFAULT_URL
    url = str(url).strip()
    parsed = _parse(url)
    _check_driver(url, parsed)
    if _is_sqlite_file(parsed):
        parsed = _prepare_sqlite_file(url, parsed)
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers (dashboard, notebooks) work while a run writes; FKs are off by default."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL still survives a crash or kill of the process; only a power cut can
        # lose the last commits (never corrupt the file). Full syncs cost a fifth of write speed.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def open_engine(url: str | None = None) -> Engine:
    """An engine for the resolved URL that has connected once, so bad settings fail here."""
    resolved = resolve_db_url(url)
    parsed = make_url(resolved)
    sqlite = parsed.get_backend_name() == "sqlite"
    # A server that does not answer should fail in seconds, not hang the run command.
    timeout = {} if sqlite or "connect_timeout" in parsed.query else {"connect_timeout": _CONNECT_TIMEOUT_S}
    engine = create_engine(parsed, connect_args=timeout)
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        hint = "check that the server is running, the database exists and the user may log in"
        if sqlite:
            hint = "check that the file is a SQLite database and its folder is writable"
        raise DatabaseURLError(resolved, f"cannot connect: {detail}", hint) from None
    return engine
