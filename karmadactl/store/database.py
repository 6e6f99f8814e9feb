"""Store: opening, migrating and transacting on karmadactl's database."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from karmadactl import paths
from karmadactl.errors import StoreError
from karmadactl.store import engine as engines
from karmadactl.store import migrations
from karmadactl.store.objects import Tx

T = TypeVar("T")

ATTEMPTS = 4  # tries to take the write lock (each waits up to the busy timeout)
TRANSACT_ATTEMPTS = 5  # tries of a whole write transaction in Store.transact
_PG_MIGRATION_LOCK = 0x6B61726D  # advisory lock id, "karm"


class StoreBusy(StoreError):
    """The database stayed locked (or a serialization failure recurred)."""


def _is_busy(e: DBAPIError) -> bool:
    orig = e.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in ("40001", "40P01"):  # serialization failure, deadlock
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


class Store:
    """karmadactl's database: SQLite by default, any SQLAlchemy URL otherwise."""

    def __init__(self, engine: Engine, target: engines.Target):
        self._engine = engine
        self._target = target
        self.url_for_display: str = target.display
        self.path: Path | None = target.path
        self.warnings: list[str] = []   # for the user: e.g. permissions that were tightened

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Store:
        """Open (creating if allowed) the store and bring its schema up to date.

        url None means --store / KARMADACTL_STORE / $KARMADA_HOME/karmada.db.
        Only that last default has its directory created; an existing SQLite
        file must be a writable SQLite database (it is made private if it is not).
        """
        explicit = url is not None or bool(os.environ.get("KARMADACTL_STORE"))
        target = engines.parse(paths.store_url(url))
        path = target.path
        private = path is not None
        warnings: list[str] = []
        if path is not None:
            if not path.exists():
                if not create:
                    raise StoreError(f"no karmadactl store at {target.display}")
                cls._create_file(target, path, explicit=explicit)
            warnings = engines.check_file(path, target.display)
        store = cls(engines.make_engine(target), target)
        store.warnings = warnings
        try:
            with engines.private_umask() if private else nullcontext():
                store._migrate(create)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _create_file(cls, target: engines.Target, path: Path, *, explicit: bool) -> None:
        """Build a new SQLite store (`target`, at `path`) beside its final name and link it into place
        whole, so no process ever sees a half-made (empty) store file, and an empty file is always an error."""
        engines.prepare_directory(path, explicit=explicit, display=target.display)
        with engines.private_umask():
            tmp = engines.temporary_file(path)
            try:
                scratch = engines.Target(target.url.set(database=str(tmp)), target.display, tmp)
                store = cls(engines.make_engine(scratch), scratch)
                try:
                    store._migrate(True)
                finally:
                    store.close()
            except BaseException:
                engines.discard_file(tmp)
                raise
            engines.publish_file(tmp, path)

    def __repr__(self) -> str:
        return f"Store({self.url_for_display!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    @property
    def schema_version(self) -> int:
        with self._transaction(write=False) as conn:
            return migrations.current_version(conn)

    def _migrate(self, create: bool) -> None:
        with self._transaction(write=False) as conn:
            found = migrations.current_version(conn)
        migrations.check_not_newer(found)
        if found == migrations.LATEST:
            return
        if found == 0 and not create:
            raise StoreError(f"{self.url_for_display} holds no karmadactl store")
        with self._transaction(write=True) as conn:
            if conn.dialect.name == "postgresql":  # serialize concurrent first opens
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            migrations.upgrade(conn)

    def check_writable(self) -> None:
        """Take the write lock once: a store on a read-only medium fails here, not at the first change."""
        with self.write():
            pass

    # -- transactions ----------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only transaction: one consistent snapshot."""
        with self._transaction(write=False) as conn:
            yield Tx(conn, writable=False)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A write transaction holding the write lock from its start.

        Commits when the block ends, rolls back if it raises.
        """
        with self._transaction(write=True) as conn:
            yield Tx(conn, writable=True)

    def lock(self, name: str, cancelled: Callable[[], bool] = lambda: False):
        """An inter-process lock held for a with-block (store/locks.py), e.g. one pusher per member."""
        from karmadactl.store.locks import held

        return held(self._engine, self.path, name, cancelled)

    def transact(self, fn: Callable[[Tx], T], *, attempts: int = TRANSACT_ATTEMPTS) -> T:
        """Run fn in a write transaction, re-running all of it if the
        database was busy or the transaction could not be serialized."""
        delay = 0.05
        for attempt in range(attempts):
            try:
                with self.write() as tx:
                    return fn(tx)
            except StoreBusy:
                if attempt == attempts - 1:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay *= 2
        raise AssertionError("unreachable")

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        conn = self._begin(write)
        try:
            yield conn
        except BaseException as e:
            self._rollback(conn)
            if isinstance(e, SQLAlchemyError):
                raise self._error(e) from None
            raise
        try:
            conn.commit()
        except SQLAlchemyError as e:
            self._rollback(conn)
            raise self._error(e) from None
        finally:
            conn.close()

    def _begin(self, write: bool) -> Connection:
        """Connect and BEGIN (IMMEDIATE, for writers on SQLite), retrying
        with backoff while another process holds the lock."""
        delay = 0.05
        for attempt in range(ATTEMPTS):
            conn = None
            try:
                conn = self._engine.connect()
                if write:
                    conn.execution_options(**{engines.LOCK_OPTION: "immediate"})
                elif not self._target.is_sqlite:  # SQLite readers see a snapshot anyway
                    conn.execution_options(isolation_level="REPEATABLE READ")
                conn.begin()
                return conn
            except SQLAlchemyError as e:
                if conn is not None:
                    self._rollback(conn)
                busy = isinstance(e, DBAPIError) and _is_busy(e)
                if not busy or attempt == ATTEMPTS - 1:
                    raise self._error(e) from None
                time.sleep(delay * (1 + random.random()))
                delay *= 2
        raise AssertionError("unreachable")

    @staticmethod
    def _rollback(conn: Connection) -> None:
        try:
            conn.rollback()
        except SQLAlchemyError:
            pass
        finally:
            conn.close()

    def _error(self, e: SQLAlchemyError) -> StoreError:
        """One line naming the store; never the SQL parameters (secrets)."""
        if isinstance(e, DBAPIError):
            detail = str(e.orig).strip().splitlines()[0] if str(e.orig).strip() else type(e.orig).__name__
            if _is_busy(e):
                return StoreBusy(f"store {self.url_for_display} is busy ({detail}); try again")
        else:
            detail = type(e).__name__
        return StoreError(f"store {self.url_for_display}: {detail}")
