"""An `apply` or `delete` cut short by SIGINT or kill -9 (issue 11, deliverable 6).

The desired Works are committed before the push begins and each is marked pushed (its
`karmadactl.io/pushed-hash` annotation) once its member took it, so whenever the command dies
the store says what is desired and what reached each member; the next `apply` or `sync`
converges. member1 answers slowly (injected latency) so that the push lasts long enough to be
interrupted at several points; member2 answers at once.

As in Karmada: a Work records its Applied condition after the member took the manifest
(karmada-io/karmada pkg/controllers/execution/execution_controller.go, syncToClusters then
updateAppliedCondition, which re-reads the Work and retries on a conflict), and a Work that is
no longer wanted carries a deletionTimestamp until its member object is removed (the same file,
Reconcile: DeletionTimestamp set -> tryDeleteWorkload, then removeFinalizer; the API server's
side is kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go,
markAsDeleting).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from tests.conftest import run_cli

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'

COUNT = 24              # ConfigMaps, each to member1 (slow) and member2
LATENCY = 0.3           # seconds per request to member1: 4 in flight, about 2 s of pushing


@pytest.fixture
def backend(request, home, monkeypatch) -> str:
    """The store every command here uses: the SQLite file in $KARMADA_HOME, or PostgreSQL (tests/pg.py)."""
    name = getattr(request, "param", "sqlite")
    if name == "postgres":
        monkeypatch.setenv("KARMADACTL_STORE", request.getfixturevalue("postgres_store"))
    return name


@pytest.fixture
def joined(backend, members):
    for m in members[:2]:
        result = run_cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path))
        assert result.returncode == 0, result.stderr
    yield members[:2]
    for m in members:
        m.inject(latency=0)


def documents(ns: str, version: str) -> list[dict]:
    configs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i:02d}", "namespace": ns},
                "data": {"version": version}} for i in range(COUNT)]
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "all", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap"}],
                       "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}}}
    return [*configs, policy]


def write(tmp_path, ns: str, version: str):
    path = tmp_path / f"{version}.yaml"
    path.write_text(yaml.safe_dump_all(documents(ns, version)))
    return path


def is_pushed(work: dict) -> bool:
    """What the README promises: the pushed-hash annotation names the manifest the member last took."""
    from karmadactl.apis.karmada import load_work
    from karmadactl.apis.wellknown import PUSHED_HASH
    from karmadactl.controllers.execution import manifest_hash

    return (work["metadata"].get("annotations") or {}).get(PUSHED_HASH) == manifest_hash(load_work(work))


def stored_works(ns: str) -> list[dict]:
    from karmadactl.apis.karmada import load_work
    from karmadactl.store import Store

    with Store.open() as store:
        with store.read() as tx:
            return [w for w in tx.list("Work.work.karmada.io") if load_work(w).manifest["metadata"]["namespace"] == ns]


def on_member(member_client, member, ns: str) -> dict[str, str]:
    """name -> data.version of the managed ConfigMaps a member holds, read with the official client."""
    from kubernetes import client as k8s

    items = k8s.CoreV1Api(member_client(member)).list_namespaced_config_map(ns).items
    return {c.metadata.name: (c.data or {}).get("version") for c in items
            if (c.metadata.labels or {}).get("karmada.io/managed") == "true"}


def until(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "karmadactl", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def interrupt(proc: subprocess.Popen, sig: signal.Signals) -> tuple[int, str]:
    assert proc.poll() is None, "the command finished before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def wait_for_point(point: str, ns: str, member_client, slow, version: str) -> None:
    """stored: the Works are committed (the slow member has little or nothing);
    midway / late: the slow member holds a third / half of the new copies (later than half, the rest of the push
    can finish before the signal lands on a loaded machine, and there is nothing left to interrupt)."""
    if point == "stored":
        until(lambda: len(stored_works(ns)) == 2 * COUNT, what="the Works stored")
        return
    share = {"midway": COUNT // 3, "late": COUNT // 2}[point]
    until(lambda: sum(v == version for v in on_member(member_client, slow, ns).values()) >= share,
          what=f"{share} objects on {slow.name}")


def check_store_tells_the_truth(ns: str, member_client, members, exact: bool, before: str | None) -> list[dict]:
    """Every desired Work is stored; one marked pushed is on its member as stored; one not marked holds
    the earlier copy (or none). After SIGINT (exact) the marks are exactly what the members hold."""
    from karmadactl.apis.karmada import load_work

    works = stored_works(ns)
    assert len(works) == 2 * COUNT                                   # what is desired: all of it
    for member in members:
        held = on_member(member_client, member, ns)
        mine = [w for w in works if w["metadata"]["namespace"] == f"karmada-es-{member.name}"]
        for work in mine:
            manifest = load_work(work).manifest
            name, version = manifest["metadata"]["name"], manifest["data"]["version"]
            applied = next(c for c in work["status"]["conditions"] if c["type"] == "Applied")
            if is_pushed(work):
                assert held.get(name) == version, (member.name, name)          # never claims too much
                assert applied["status"] == "True"
            else:
                assert applied["status"] == "Unknown" and applied["reason"] == "Pending", applied
                if exact:
                    assert held.get(name) == before, (member.name, name)      # nor too little
    return works


@pytest.mark.timeout(240)
@pytest.mark.parametrize("sig, point, converge, backend", [
    pytest.param(signal.SIGINT, "midway", "sync", "sqlite", id="SIGINT-midway-then-sync"),
    pytest.param(signal.SIGKILL, "stored", "sync", "sqlite", id="SIGKILL-before-the-push-then-sync"),
    pytest.param(signal.SIGKILL, "midway", "apply", "sqlite", id="SIGKILL-midway-update-then-apply"),
    pytest.param(signal.SIGINT, "late", "apply", "sqlite", id="SIGINT-late-update-then-apply"),
    pytest.param(signal.SIGKILL, "midway", "sync", "postgres", id="postgres-SIGKILL-midway-then-sync"),
], indirect=["backend"])
def test_an_interrupted_apply_leaves_a_truthful_store_and_the_next_pass_converges(
        joined, member_client, tmp_path, home, sig, point, converge, backend):
    slow = joined[0]
    ns = f"i-{uuid.uuid4().hex[:8]}"
    before = None
    if converge == "apply":      # an update cut short: the members hold the first version meanwhile
        first = run_cli("apply", "-f", str(write(tmp_path, ns, "one")))
        assert first.returncode == 0, first.stderr
        before = "one"
    path = write(tmp_path, ns, "two")
    slow.inject(latency=LATENCY)
    proc = start("apply", "-f", str(path))
    try:
        wait_for_point(point, ns, member_client, slow, "two")
        code, err = interrupt(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGINT:
        assert code == 130, err                  # typer's exit code for Ctrl-C (it says nothing more)
        assert "internal error" not in err and "Traceback" not in err
    else:
        assert code == -signal.SIGKILL
    works = check_store_tells_the_truth(ns, member_client, joined, exact=sig == signal.SIGINT, before=before)
    slow_works = [w for w in works if w["metadata"]["namespace"] == "karmada-es-member1"]
    assert not all(is_pushed(w) for w in slow_works)                 # it was cut short indeed

    listed = run_cli("get", "works", "-n", "karmada-es-member1")    # what a user sees: Applied per Work
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert sum(row[2] == "True" for row in rows) == sum(is_pushed(w) for w in slow_works)
    assert sum(row[2] == "Unknown" for row in rows) == sum(not is_pushed(w) for w in slow_works)

    slow.inject(latency=0)
    again = run_cli(converge, *(("-f", str(path)) if converge == "apply" else ()))
    assert again.returncode == 0, again.stderr
    assert "member1: " in again.stdout                               # the rest went, with no change to apply
    for member in joined:
        assert on_member(member_client, member, ns) == {f"cm-{i:02d}": "two" for i in range(COUNT)}
    assert all(is_pushed(w) for w in stored_works(ns))
    quiet = run_cli("apply", "-f", str(path))
    assert quiet.returncode == 0 and "member" not in quiet.stdout    # converged: nothing left to send
    if backend == "sqlite":                  # the members' push locks: private, beside the store file
        assert (home / "karmada.db-locks").stat().st_mode & 0o777 == 0o700


@pytest.mark.timeout(240)
def test_a_delete_killed_midway_leaves_works_marked_for_deletion_and_sync_finishes_it(
        joined, member_client, tmp_path):
    slow = joined[0]
    ns = f"d-{uuid.uuid4().hex[:8]}"
    path = write(tmp_path, ns, "one")
    assert run_cli("apply", "-f", str(path)).returncode == 0
    slow.inject(latency=LATENCY)
    proc = start("delete", "-f", str(path))
    try:
        until(lambda: len(on_member(member_client, slow, ns)) <= 2 * COUNT // 3, what="deletions on member1")
        code, _ = interrupt(proc, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == -signal.SIGKILL
    left = stored_works(ns)
    held = on_member(member_client, slow, ns)
    assert left and all(w["metadata"].get("deletionTimestamp") for w in left)     # not wanted, not yet gone
    assert {w["spec"]["workload"]["manifests"][0]["metadata"]["name"] for w in left
            if w["metadata"]["namespace"] == "karmada-es-member1"} >= set(held)   # each member object accounted for
    shown = json.loads(run_cli("get", "works", "-A", "-o", "json").stdout)["items"]
    assert {w["metadata"]["name"] for w in shown} >= {w["metadata"]["name"] for w in left}

    slow.inject(latency=0)
    synced = run_cli("sync")
    assert synced.returncode == 0, synced.stderr
    assert on_member(member_client, slow, ns) == {} and stored_works(ns) == []
