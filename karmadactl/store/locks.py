"""Named locks that span processes and outlive no process: one pusher per member at a time.

A push and the record of what it pushed are two steps (a request to a member,
then a store transaction); holding the member's lock across both is what lets
the stored `pushed-hash` mean "what the member last received", whoever pushed.

SQLite: an advisory lock (flock) on one file per name in `<store file>-locks/`,
private like the store. PostgreSQL: a session advisory lock on a connection
held for the duration. Either is released by the operating system or the
server when the holder dies, even by kill -9, so nobody waits on a dead
process. Waiting polls, so that an interrupted waiter stops at once.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from karmadactl.errors import StoreError

POLL = 0.02          # seconds between tries, grown with jitter up to MAX_POLL
MAX_POLL = 0.2
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class Cancelled(Exception):
    """The waiter was told to stop before the lock was free."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"karmadactl-lock:{name}".encode()).digest()[:8], "big", signed=True)


def _wait(try_once: Callable[[], bool], cancelled: Callable[[], bool]) -> None:
    delay = POLL
    while not try_once():
        if cancelled():
            raise Cancelled()
        time.sleep(delay * (0.5 + random.random()))
        delay = min(MAX_POLL, delay * 1.5)


@contextmanager
def held(engine, path: Path | None, name: str, cancelled: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Hold the lock `name` for the with-block; raises Cancelled if `cancelled()` turns true first."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, cancelled):
            yield
    elif path is not None:
        with _file(path, name, cancelled):
            yield
    else:                         # an in-memory store lives in one process
        with _memory_guard:
            lock = _memory_locks.setdefault(name, threading.Lock())
        _wait(lambda: lock.acquire(blocking=False), cancelled)
        try:
            yield
        finally:
            lock.release()


@contextmanager
def _file(store_path: Path, name: str, cancelled: Callable[[], bool]) -> Iterator[None]:
    import fcntl

    folder = store_path.with_name(store_path.name + "-locks")
    old = os.umask(0o077)
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(folder / hashlib.sha256(name.encode()).hexdigest()[:24], os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise StoreError(f"cannot take the lock {name!r} beside {store_path}: {e.strerror}") from None
    finally:
        os.umask(old)

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    try:
        _wait(try_once, cancelled)
        yield
    finally:
        os.close(fd)          # releases the flock


@contextmanager
def _advisory(engine, name: str, cancelled: Callable[[], bool]) -> Iterator[None]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    key = _key(name)
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except SQLAlchemyError as e:
        raise StoreError(f"cannot take the lock {name!r}: {type(e).__name__}") from None
    try:
        _wait(lambda: bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()),
              cancelled)
        try:
            yield
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except SQLAlchemyError:
                conn.invalidate()     # never back to the pool holding the lock: the session ends
    finally:
        conn.close()
