"""Turning a store URL into a configured SQLAlchemy engine.

SQLite gets: a private file (0600 in a 0700 directory), WAL journal, a busy
timeout, foreign keys, and transactions whose BEGIN we emit ourselves so that a
write transaction can take the write lock up front (BEGIN IMMEDIATE). That is
the recipe from SQLAlchemy's SQLite dialect documentation: the pysqlite driver
is put in autocommit mode and the "begin" event emits BEGIN.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, make_url, pool
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from karmadactl import paths
from karmadactl.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
LOCK_OPTION = "karmadactl_lock"  # execution option: "immediate" for writers
PG_DRIVER = "postgresql+psycopg"  # psycopg 3, from the `postgres` extra


@dataclass(frozen=True)
class Target:
    """Where a store lives, as far as a user needs to know."""

    url: URL
    display: str  # password hidden; the file path for SQLite
    path: Path | None  # the SQLite file, None for other databases and memory

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def parse(url: str) -> Target:
    """Parse a store URL. Errors never repeat the URL (it may hold a password)."""
    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(
            "invalid store URL (expected e.g. sqlite:////path/karmada.db or "
            "postgresql://user@host/dbname)"
        ) from None
    display = u.render_as_string(hide_password=True)
    if u.drivername == "postgresql":  # the driver `karmadactl[postgres]` installs, on any SQLAlchemy 2.x
        u = u.set(drivername=PG_DRIVER)
    path = None
    if u.get_backend_name() == "sqlite" and _is_file_db(u):
        path = Path(u.database or "").expanduser().absolute()
        u = u.set(database=str(path))  # SQLite itself would not expand "~"
        display = str(path)
    return Target(u, display, path)


def _is_file_db(u: URL) -> bool:
    db = u.database or ""
    if not db or db == ":memory:" or u.query.get("mode") == "memory":
        return False
    return not db.startswith("file:")  # uri=true forms: left to the user


def prepare_file(path: Path) -> bool:
    """Create the SQLite file 0600 (its directory 0700) if missing.

    Returns True if the file already existed. The file is created here, not
    by SQLite, so it is never readable by others, even for an instant.
    """
    existed = path.exists()
    if existed:
        return True
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # others may race us
        os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask
    elif parent.resolve() == paths.home().resolve():
        os.chmod(parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; fine
        return True
    os.close(fd)
    os.chmod(path, 0o600)
    return False


@contextmanager
def private_umask() -> Iterator[None]:
    """Files created meanwhile (SQLite's -wal and -shm) are owner-only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_engine(target: Target) -> Engine:
    try:
        if target.is_sqlite:
            return _sqlite_engine(target)
        return create_engine(target.url, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as e:
        hint = ""
        if target.url.drivername == PG_DRIVER:
            hint = "; pip install 'karmadactl[postgres]'"
        raise StoreError(
            f"cannot open store {target.display}: no database driver for it ({_first_line(e)}){hint}"
        ) from None


def _sqlite_engine(target: Target) -> Engine:
    kwargs: dict = {}
    if target.path is None:  # one shared in-memory database for all connections
        kwargs["poolclass"] = pool.StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_engine(target.url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            if target.path is not None:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        lock = conn.get_execution_options().get(LOCK_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if lock == "immediate" else "BEGIN")

    return engine


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
