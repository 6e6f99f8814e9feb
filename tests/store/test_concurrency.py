"""Several karmadactl processes writing one store at the same time.

Each test starts 8 real processes (spawn) that wait on a barrier and then
hammer one store (a SQLite file, or PostgreSQL). Nothing may be lost and no
"database is locked" may reach a caller.

Why 10 rounds per process suffice: the barrier starts all eight together, so
each round is a read and a write racing seven others from the first round on
(a lost compare-and-swap and its retry, writers queued at BEGIN); 80 contended
increments show a lost update as a count short of 80 as surely as 400 would.
More rounds repeat the same interleavings on a longer run
(KARMADACTL_TEST_STORE_ROUNDS=50 for a soak run).
"""

from __future__ import annotations

import os
import traceback

import pytest

from karmadactl.errors import Conflict
from karmadactl.store import Store
from karmadactl.store.keys import ObjectKey
from tests.processes import run_in_processes

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'

PROCESSES = 8
ROUNDS = int(os.environ.get("KARMADACTL_TEST_STORE_ROUNDS", "10"))     # per process
COUNTER = "ConfigMap"  # group-kind of the core-group ConfigMap


def counter_object() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "counter"}, "spec": {"count": 0}}


def _cas_increments(store: Store) -> dict:
    """Read in one transaction, write in another: CAS decides, retry on Conflict."""
    conflicts = 0
    for _ in range(ROUNDS):
        while True:
            with store.read() as tx:
                obj = tx.get(ObjectKey(COUNTER, "", "counter"))
            obj["spec"]["count"] += 1
            try:
                with store.write() as tx:
                    tx.update(obj)
                break
            except Conflict:
                conflicts += 1
    return {"conflicts": conflicts}


def _locked_increments(store: Store) -> dict:
    """Read and write in one write transaction: the lock is held from BEGIN,
    so no other process can slip in between and CAS never fails."""

    def bump(tx) -> None:  # noqa: ANN001
        obj = tx.get(ObjectKey(COUNTER, "", "counter"))
        obj["spec"]["count"] += 1
        tx.update(obj)

    for _ in range(ROUNDS):
        store.transact(bump)
    return {}


def _creates(store: Store, worker: int) -> dict:
    for i in range(ROUNDS):
        with store.write() as tx:
            tx.create({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": f"cm-{worker}-{i}", "namespace": "default"}})
    return {}


def worker(job: str, url: str, worker_id: int, barrier, results) -> None:  # noqa: ANN001
    """Entry point of one child process; reports (worker, ok, detail)."""
    try:
        barrier.wait(timeout=60)  # all open at once: a new store's schema is created under a race
        store = Store.open(url)
        try:
            if job == "cas":
                out = _cas_increments(store)
            elif job == "locked":
                out = _locked_increments(store)
            else:
                out = _creates(store, worker_id)
        finally:
            store.close()
        results.put((worker_id, True, out))
    except BaseException:  # report everything, including "database is locked"
        results.put((worker_id, False, traceback.format_exc()))


def run_workers(job: str, url: str) -> list[dict]:
    reports = run_in_processes(worker, lambda i: (job, url, i), PROCESSES, timeout=100)
    return [detail for _, _, detail in reports]


@pytest.fixture
def url(store_url: str) -> str:
    return store_url


@pytest.fixture
def counter(url: str) -> None:
    with Store.open(url) as s:
        with s.write() as tx:
            tx.create(counter_object())


def _final(url: str) -> dict:
    with Store.open(url) as s:
        with s.read() as tx:
            return tx.get(ObjectKey(COUNTER, "", "counter"))


@pytest.mark.timeout(180)
def test_concurrent_cas_increments_lose_nothing(url: str, counter: None) -> None:
    run_workers("cas", url)
    final = _final(url)
    assert final["spec"]["count"] == PROCESSES * ROUNDS
    assert final["metadata"]["resourceVersion"] == str(1 + PROCESSES * ROUNDS)
    assert final["metadata"]["generation"] == 1 + PROCESSES * ROUNDS


@pytest.mark.timeout(180)
def test_read_modify_write_in_one_write_transaction_never_conflicts(url: str, counter: None) -> None:
    run_workers("locked", url)  # a Conflict would fail a worker
    assert _final(url)["spec"]["count"] == PROCESSES * ROUNDS


@pytest.mark.timeout(180)
def test_concurrent_creates_on_a_new_store_all_land(url: str) -> None:
    run_workers("create", url)  # eight processes open a store that does not exist yet
    with Store.open(url) as s:
        with s.read() as tx:
            names = {o["metadata"]["name"] for o in tx.list("ConfigMap", "default")}
    assert names == {f"cm-{w}-{i}" for w in range(PROCESSES) for i in range(ROUNDS)}
