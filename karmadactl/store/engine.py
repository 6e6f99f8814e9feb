"""Turning a store URL into a configured SQLAlchemy engine.

SQLite gets: a private file (0600 in a 0700 directory) that is built aside and
appears only complete, checks that an existing file is a usable store, WAL journal, a busy
timeout, foreign keys, and transactions whose BEGIN we emit ourselves so that a
write transaction can take the write lock up front (BEGIN IMMEDIATE). That is
the recipe from SQLAlchemy's SQLite dialect documentation: the pysqlite driver
is put in autocommit mode and the "begin" event emits BEGIN.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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


def without_password(url: str) -> str:
    """The store URL as a user may see it: its password, if any, shown as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        raise StoreError("invalid store URL") from None


def _is_file_db(u: URL) -> bool:
    db = u.database or ""
    if not db or db == ":memory:" or u.query.get("mode") == "memory":
        return False
    return not db.startswith("file:")  # uri=true forms: left to the user


SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm")


def prepare_directory(path: Path, *, explicit: bool, display: str) -> None:
    """The directory of a new SQLite store: only $KARMADA_HOME is ever made (0700).

    A store named explicitly (--store, KARMADACTL_STORE) elsewhere whose
    directory is missing is an error: a typo must not scatter databases over
    the disk.
    """
    parent = path.parent
    if parent.is_dir():
        if parent.resolve() == paths.home().resolve():
            os.chmod(parent, 0o700)
        return
    own_home = parent.absolute() == paths.home().absolute()   # karmadactl makes its own home
    if (explicit and not own_home) or parent.exists():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise StoreError(f"cannot create store {display}: directory {parent} {what}")
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # others may race us
    os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask


def check_file(path: Path, display: str) -> list[str]:
    """Refuse an existing SQLite store that cannot be a usable karmadactl store; make it private.

    Returns the warnings to show (permissions tightened). A file that is
    empty, not SQLite, or read-only is a one-line error naming the file, before
    SQLite sees it (SQLite would silently turn an empty file into a new
    database and open a read-only one for reading only).
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"store {display} is not a file")
        if info.st_size == 0:
            raise StoreError(f"store {display} is an empty file, not a karmadactl store "
                             "(remove it to start afresh)")
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise StoreError(f"cannot open store {display}: {e.strerror}") from None
    if header != SQLITE_HEADER:
        raise StoreError(f"store {display} is not a karmadactl store (not an SQLite database; "
                         "corrupt or another kind of file)")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise StoreError(f"store {display} is read-only (mode {mode:o}); karmadactl needs to write to it")
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"store {display} is in a read-only directory; SQLite needs to create files "
                         "beside it")
    warnings = []
    for file in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        try:
            file_mode = stat.S_IMODE(file.stat().st_mode)
            if file_mode & 0o077:
                os.chmod(file, file_mode & 0o700)
                warnings.append(f"store file {file} was readable by others (mode {oct(file_mode)[2:]}); "
                                f"made it private (mode {oct(file_mode & 0o700)[2:]})")
        except FileNotFoundError:
            continue
        except OSError as e:
            raise StoreError(f"store {display} is readable by others and cannot be made private: "
                             f"{e.strerror}") from None
    return warnings


def temporary_file(path: Path) -> Path:
    """An empty private file beside the store, where a new store is built before it appears."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise StoreError(f"cannot create store {path}: {e.strerror}") from None
    os.close(fd)
    return tmp


def publish_file(tmp: Path, path: Path) -> None:
    """Put a fully built store in place, unless another process got there first."""
    try:
        os.link(tmp, path)   # atomic, and never replaces an existing store
    except FileExistsError:
        pass
    except OSError as e:
        raise StoreError(f"cannot create store {path}: {e.strerror}") from None
    finally:
        discard_file(tmp)


def discard_file(tmp: Path) -> None:
    for leftover in (tmp, *(tmp.with_name(tmp.name + side) for side in SIDE_FILES)):
        try:
            leftover.unlink()
        except FileNotFoundError:
            pass


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
