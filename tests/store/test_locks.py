"""Store.lock: named locks across processes, on a SQLite file and on PostgreSQL.

One holder per name; other names are free; a waiter told to stop gives up (Cancelled); a holder
killed with SIGKILL leaves the lock free, so nobody waits on a dead process.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from karmadactl.store import Store
from karmadactl.store.locks import Cancelled
from tests.waiting import stays, until


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_store")
    return f"sqlite:///{tmp_path / 'locks.db'}"


def free(store: Store, name: str) -> bool:
    """True when the lock can be taken now (it is released again at once)."""
    tries = iter([False, True])           # one try, then give up
    try:
        with store.lock(name, cancelled=lambda: next(tries)):
            return True
    except Cancelled:
        return False


def test_one_holder_per_name_and_other_names_are_free(url):
    with Store.open(url) as first, Store.open(url) as second:
        with first.lock("push:member1"):
            assert not free(second, "push:member1")
            assert free(second, "push:member2")
        assert free(second, "push:member1")


def test_a_waiter_gets_the_lock_when_the_holder_lets_go(url):
    with Store.open(url) as first, Store.open(url) as second:
        taken = threading.Event()
        with first.lock("push:member1"):
            def wait_and_take():
                with second.lock("push:member1"):
                    taken.set()

            waiter = threading.Thread(target=wait_and_take)
            waiter.start()
            stays(lambda: not taken.is_set(), 0.2, every=0.02)
        waiter.join(timeout=30)
        assert taken.is_set()


HOLDER = """
import sys, time
from karmadactl.store import Store
store = Store.open(sys.argv[1])
with store.lock("push:member1"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
def test_a_holder_killed_with_sigkill_leaves_the_lock_free(url):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with Store.open(url) as store:
            assert not free(store, "push:member1")
            holder.kill()
            holder.wait(timeout=30)
            until(lambda: free(store, "push:member1"), timeout=30, every=0.05)   # the server may notice it late
    finally:
        holder.kill()
        holder.wait(timeout=30)
