"""Team mode: several karmadactl processes sharing one store, on SQLite and on PostgreSQL.

Every test runs twice through the ``backend`` fixture: a SQLite file and a PostgreSQL database
(tests/pg.py; those runs are skipped with the reason when no PostgreSQL server can be had).

How many applies suffice: the eight processes wait on a barrier and start together, so every
apply races the other seven from the first one on. Each apply is the same two write transactions
(store the object, then a reconcile pass over the whole store), so the interleavings that can go
wrong (two writers at BEGIN, a lost compare-and-swap and its retry, two passes claiming one
template) all happen within the first few rounds; later rounds repeat them on a bigger store,
which only makes each pass slower (the cost grows with the square of the count). 20 applies
per process (160 objects, 32 bindings) and 10 writes per process to the shared object keep
every process overlapping the others for its whole run. The team-mode issue's soak figures
run with KARMADACTL_TEST_APPLIES=200 KARMADACTL_TEST_SAME_OBJECT_APPLIES=25.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import traceback
import uuid

import pytest
import yaml

from tests.conftest import run_cli
from tests.integration.watching import DIVIDED, Watch, apply, replicas, until
from tests.processes import run_in_processes
from tests.waiting import stays

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'

PROCESSES = 8
APPLIES = int(os.environ.get("KARMADACTL_TEST_APPLIES", "20"))                        # per process
SAME_OBJECT_APPLIES = int(os.environ.get("KARMADACTL_TEST_SAME_OBJECT_APPLIES", "10"))   # per process
BOUND_EVERY = 5        # every apply reconciles the whole store; a binding for each object would make it slow


def config_map(name: str, bound: bool = True, **data: str) -> dict:
    """A ConfigMap; the policy below binds those that are `bound`."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default", "labels": {"bound": "yes" if bound else "no"}},
            "data": data}


POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "all-config", "namespace": "default"},
          "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap",
                                          "labelSelector": {"matchLabels": {"bound": "yes"}}}],
                   "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}}}


# -- many processes applying (in-process, as `apply` does: store the objects, then reconcile) -----------


def _apply(store, objs: list[dict]) -> None:
    from karmadactl.apis.meta import now
    from karmadactl.controllers import reconcile, templates

    with store.write() as tx:
        templates.store_objects(tx, objs)
    reconcile.reconcile(store, now())


def _apply_distinct(store, worker: int) -> dict:
    for i in range(APPLIES):
        _apply(store, [config_map(f"cm-{worker}-{i}", bound=i % BOUND_EVERY == 0, worker=str(worker))])
    return {}


def _apply_same(store, worker: int) -> dict:
    """Apply one shared object again and again, each time with other content; every apply succeeds."""
    for i in range(SAME_OBJECT_APPLIES):
        _apply(store, [config_map("shared", writer=str(worker), round=str(i))])
    return {"ok": SAME_OBJECT_APPLIES}


def worker(job: str, url: str, worker_id: int, barrier, results) -> None:  # noqa: ANN001
    """One child process; reports (worker, ok, detail). Any exception, e.g. "database is locked", fails it."""
    try:
        from karmadactl.store import Store

        barrier.wait(timeout=60)
        store = Store.open(url)
        try:
            out = _apply_distinct(store, worker_id) if job == "distinct" else _apply_same(store, worker_id)
        finally:
            store.close()
        results.put((worker_id, True, out))
    except BaseException:
        results.put((worker_id, False, traceback.format_exc()))


def run_workers(job: str, url: str) -> list[dict]:
    reports = run_in_processes(worker, lambda i: (job, url, i), PROCESSES, timeout=240)
    return [detail for _, _, detail in sorted(reports, key=lambda r: r[0])]


def _seed(url: str) -> None:
    from karmadactl.store import Store

    with Store.open(url) as store:
        _apply(store, [POLICY])


@pytest.mark.timeout(600)      # 8 x 200 applies (the soak figure), each reconciling a growing store
def test_eight_processes_applying_distinct_objects_store_every_one(backend):
    from karmadactl.store import Store

    _seed(backend)
    run_workers("distinct", backend)
    with Store.open(backend) as store:
        with store.read() as tx:
            names = {o["metadata"]["name"] for o in tx.list("ConfigMap", "default")}
            bindings = {o["metadata"]["name"] for o in tx.list("ResourceBinding.work.karmada.io", "default")}
    assert names == {f"cm-{w}-{i}" for w in range(PROCESSES) for i in range(APPLIES)}
    bound = {f"cm-{w}-{i}-configmap" for w in range(PROCESSES) for i in range(0, APPLIES, BOUND_EVERY)}
    assert bindings == bound                                     # each bound exactly once, by some process


@pytest.mark.timeout(200)
def test_eight_processes_applying_one_object_all_succeed_and_leave_one_of_the_writes(backend):
    """Last writer wins, as with kubectl apply: no lost race reaches a caller (issue 11), none is lost."""
    from karmadactl.store import Store
    from karmadactl.store.keys import ObjectKey

    _seed(backend)
    reports = run_workers("same", backend)      # any exception in a worker, e.g. a Conflict, fails it
    assert [r["ok"] for r in reports] == [SAME_OBJECT_APPLIES] * PROCESSES
    with Store.open(backend) as store:
        with store.read() as tx:
            final = tx.get(ObjectKey("ConfigMap", "default", "shared"))
            binding = tx.get(ObjectKey("ResourceBinding.work.karmada.io", "default", "shared-configmap"))
    writes = {(str(w), str(i)) for w in range(PROCESSES) for i in range(SAME_OBJECT_APPLIES)}
    assert (final["data"]["writer"], final["data"]["round"]) in writes
    assert set(final["data"]) == {"writer", "round"}                 # one write whole, not a mix
    assert int(final["metadata"]["resourceVersion"]) == PROCESSES * SAME_OBJECT_APPLIES   # every write landed
    assert binding is not None


# -- the CLI end to end ------------------------------------------------------------------------------


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    """One command on the shared store. In this process: what runs as processes here is the watches
    (and the workers above); tests/unit/test_cli_surface.py runs `--store` in a real process."""
    return run_cli("--store", url, *args)


def test_join_apply_get_through_the_cli(backend, members, tmp_path):
    m1 = members[0]
    joined = cli(backend, "join", m1.name, "--kubeconfig", str(m1.kubeconfig_path))
    assert joined.returncode == 0, joined.stderr
    ns = f"t-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns},
         "data": {"color": "blue"}},
        {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
         "metadata": {"name": "settings", "namespace": ns},
         "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "settings"}],
                  "placement": {"clusterAffinity": {"clusterNames": [m1.name]}}}}]))
    applied = cli(backend, "apply", "-f", str(path))
    assert applied.returncode == 0, applied.stderr
    assert "configmap/settings created" in applied.stdout
    got = cli(backend, "get", "cm", "settings", "-n", ns, "-o", "json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["data"] == {"color": "blue"}
    clusters = json.loads(cli(backend, "get", "clusters", "-o", "json").stdout)
    assert [c["metadata"]["name"] for c in clusters["items"]] == [m1.name]
    works = cli(backend, "get", "works", "-A")
    assert works.returncode == 0 and "settings" in works.stdout     # pushed to the member through this store


def test_a_password_in_the_store_url_is_never_printed(postgres_store):
    with_password = postgres_store.replace("postgres@", "postgres:s3cr3t-pw@")   # trust auth ignores it
    assert with_password != postgres_store
    for args in (("init",), ("get", "clusters")):
        result = cli(with_password, *args)
        assert result.returncode == 0, result.stderr
        assert "s3cr3t-pw" not in result.stdout + result.stderr
    missing = cli(with_password.rsplit("/", 1)[0] + "/no_such_db", "get", "clusters")
    assert missing.returncode != 0
    assert "no_such_db" in missing.stderr and "s3cr3t-pw" not in missing.stdout + missing.stderr


# -- HA watch ----------------------------------------------------------------------------------------


def evictions(url: str, namespace: str) -> list[dict]:
    """EvictWorkload events stored for the namespace's bindings (the log may print before a commit)."""
    from karmadactl.store import Store

    with Store.open(url) as store:
        with store.read() as tx:
            return [e for e in tx.events() if e["reason"] == "EvictWorkload" and e["namespace"] == namespace]


def test_one_watch_acts_and_a_standby_takes_over_without_evicting_twice(backend, members, tmp_path):
    """The lease between two watches, on both backends: one acts, the other stands by until the first
    is killed with SIGKILL, then acts within the lease period, and the first's eviction is not done again."""
    m1, m2, m3 = members
    for m in members:
        assert cli(backend, "join", m.name, "--kubeconfig", str(m.kubeconfig_path)).returncode == 0
    ns = f"ha-{uuid.uuid4().hex[:8]}"
    apply(tmp_path, ns, DIVIDED, store=backend)
    assert replicas(members, ns).get("member2")
    first = Watch(tmp_path, store=backend)
    second = None
    try:
        until(lambda: "acting as" in first.text)
        second = Watch(tmp_path, store=backend)
        until(lambda: "standing by" in second.text)
        assert "acting as" not in second.text
        m2.fail()
        until(lambda: evictions(backend, ns))                        # the leader evicted, and committed it
        first.stop(signal.SIGKILL)                                    # no chance to release the lease
        killed_at = time.monotonic()
        until(lambda: "acting as" in second.text, timeout=15)
        assert time.monotonic() - killed_at < 10                      # within a lease period (5 s) and a pass
        until(lambda: (r := replicas([m1, m3], ns)) and sum(r.values()) == 6)
        done = stays(lambda: "evicted" not in second.text and evictions(backend, ns), 1.5, every=0.3)
        assert len(done) == 1, done                                   # through several passes of the new leader
        assert "evicted from member2" in done[0]["message"]
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()
        for m in members:
            m.recover()
