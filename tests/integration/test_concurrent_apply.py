"""Concurrent `apply`, `sync` and `delete` runs, through the CLI, pushing to sandbox members (issue 11).

8 processes each run `karmadactl apply` 6 times (KARMADACTL_TEST_SAME_APPLIES scales it; the
concurrency issue's soak figure is 25) on one Deployment, one ConfigMap and their
PropagationPolicy, every time with other content; halfway each runs a `sync`, and at the end it
deletes a ConfigMap of its own that its first apply created. Every run must exit 0 (no "modified by someone else"), the templates must end as one of
the writes, whole, and the members must hold exactly what the store's Works say they were
pushed, with no `sync` afterwards. On both backends: a SQLite file and PostgreSQL (tests/pg.py).

Why 6 applies suffice: the processes start together at a barrier and each apply lasts as long as
its pushes to two members, so all eight overlap from the first round to the last; every round
is the same race (templates stored, Works rewritten, a push under each member's lock) and the
sync (round 3) and the deletes land among the other processes' applies. More rounds repeat
those interleavings; they do not add one.

Last writer wins for the templates, as `kubectl apply` without a resourceVersion does: the
server replaces the object (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/registry/
generic/registry/store.go, Update: the object's resourceVersion is only checked when the
caller sends one).
"""

from __future__ import annotations

import io
import os
import traceback
import uuid

import pytest
import yaml

from tests.conftest import run_cli
from tests.processes import run_in_processes

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'

PROCESSES = 8
APPLIES = int(os.environ.get("KARMADACTL_TEST_SAME_APPLIES", "6"))    # per process
MEMBERS = ("member1", "member2")


def replicas_for(writer: int, round_: int) -> int:
    return 1 + (writer * 7 + round_) % 5


def documents(ns: str, writer: int, round_: int) -> list[dict]:
    """One write: its mark (writer-round) is in every object, and the Deployment's replicas follow it.
    The writer's first also creates a ConfigMap of its own, which it deletes at the end."""
    mark = f"{writer}-{round_}"
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
        "spec": {"replicas": replicas_for(writer, round_), "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}, "annotations": {"example.com/write": mark}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "env": [{"name": "WRITE", "value": mark}]}]}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "settings", "namespace": ns, "labels": {"app": "web"}},
              "data": {"writer": str(writer), "round": str(round_)}}
    own = [{"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"own-{writer}", "namespace": ns, "labels": {"app": "web"}},
            "data": {"writer": str(writer)}}] if round_ == 0 else []
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "web", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                                             {"apiVersion": "v1", "kind": "ConfigMap",
                                              "labelSelector": {"matchLabels": {"app": "web"}}}],
                       "placement": {"clusterAffinity": {"clusterNames": list(MEMBERS)}}}}
    return [config, *own, deployment, policy]


def worker(url: str, ns: str, folder: str, writer: int, barrier, results) -> None:  # noqa: ANN001
    """One process: runs of the CLI's own entry point, each with a fresh Env; reports their exits."""
    try:
        from karmadactl.cli.app import run
        from karmadactl.cli.env import Env

        barrier.wait(timeout=60)
        runs = []

        def cli(*args: str) -> None:
            env = Env(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO())
            runs.append((run(["--store", url, *args], env), " ".join(args) + ": " + env.stderr.getvalue()))

        for round_ in range(APPLIES):
            path = os.path.join(folder, f"w{writer}-{round_}.yaml")
            with open(path, "w") as f:
                yaml.safe_dump_all(documents(ns, writer, round_), f)
            cli("apply", "-f", path)
            if round_ == APPLIES // 2:
                cli("sync")
        cli("delete", "configmap", f"own-{writer}", "-n", ns)
        results.put((writer, True, runs))
    except BaseException:
        results.put((writer, False, traceback.format_exc()))


def run_writers(url: str, ns: str, folder) -> list[tuple[int, str]]:
    reports = run_in_processes(worker, lambda w: (url, ns, str(folder), w), PROCESSES, timeout=400)
    return [r for _, _, runs in reports for r in runs]


@pytest.mark.timeout(480)
def test_eight_processes_applying_the_same_objects_all_succeed_and_members_match_the_store(
        backend, members, member_client, tmp_path):
    from kubernetes import client as k8s

    from karmadactl.apis.karmada import load_work
    from karmadactl.apis.wellknown import PUSHED_HASH
    from karmadactl.controllers.execution import manifest_hash
    from karmadactl.store import Store
    from karmadactl.store.keys import ObjectKey

    for m in members:
        if m.name in MEMBERS:
            joined = run_cli("--store", backend, "join", m.name, "--kubeconfig", str(m.kubeconfig_path))
            assert joined.returncode == 0, joined.stderr
    ns = f"c-{uuid.uuid4().hex[:8]}"

    runs = run_writers(backend, ns, tmp_path)

    assert len(runs) == PROCESSES * (APPLIES + 2)
    failed = [(code, err) for code, err in runs if code != 0]
    assert failed == [], failed[:3]
    assert not any("modified by someone else" in err for _, err in runs)

    writes = {(w, r) for w in range(PROCESSES) for r in range(APPLIES)}
    with Store.open(backend) as store:
        with store.read() as tx:
            config = tx.get(ObjectKey("ConfigMap", ns, "settings"))
            own = [c for c in tx.list("ConfigMap", ns) if c["metadata"]["name"].startswith("own-")]
            deployment = tx.get(ObjectKey("Deployment.apps", ns, "web"))
            works = [w for w in tx.list("Work.work.karmada.io")
                     if load_work(w).manifest["metadata"].get("namespace") == ns]
    assert own == []
    writer, round_ = int(config["data"]["writer"]), int(config["data"]["round"])
    assert (writer, round_) in writes and set(config["data"]) == {"writer", "round"}
    mark = deployment["spec"]["template"]["metadata"]["annotations"]["example.com/write"]
    d_writer, d_round = map(int, mark.split("-"))
    assert (d_writer, d_round) in writes
    assert deployment["spec"]["replicas"] == replicas_for(d_writer, d_round)          # one write whole
    assert deployment["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "WRITE", "value": mark}]

    # the store's Works are the final templates', each marked as pushed ...
    assert sorted((w["metadata"]["namespace"], load_work(w).manifest["kind"]) for w in works) == sorted(
        (f"karmada-es-{m}", kind) for m in MEMBERS for kind in ("ConfigMap", "Deployment"))
    for work in works:
        manifest = load_work(work).manifest
        assert work["metadata"]["annotations"][PUSHED_HASH] == manifest_hash(load_work(work)), work["metadata"]["name"]
        assert not work["metadata"].get("deletionTimestamp")
        applied = [c for c in work["status"]["conditions"] if c["type"] == "Applied"]
        assert [c["status"] for c in applied] == ["True"]
        if manifest["kind"] == "ConfigMap":
            assert manifest["data"] == config["data"]
        else:
            assert manifest["spec"]["template"] == deployment["spec"]["template"]

    # ... and each member holds exactly what its Work says (read with the official client)
    by_member = {m.name: m for m in members}
    for work in works:
        manifest = load_work(work).manifest
        api = member_client(by_member[work["metadata"]["namespace"].removeprefix("karmada-es-")])
        if manifest["kind"] == "ConfigMap":
            live = k8s.CoreV1Api(api).read_namespaced_config_map("settings", ns)
            assert live.data == manifest["data"]
            names = {c.metadata.name for c in k8s.CoreV1Api(api).list_namespaced_config_map(ns).items}
            assert names == {"settings"}                         # every own-N deleted there too
        else:
            live = k8s.AppsV1Api(api).read_namespaced_deployment("web", ns)
            assert live.spec.replicas == manifest["spec"]["replicas"]
            assert live.spec.template.metadata.annotations == manifest["spec"]["template"]["metadata"]["annotations"]
            assert [e.value for e in live.spec.template.spec.containers[0].env] == [mark]
        assert live.metadata.annotations["resourcetemplate.karmada.io/generation"] == \
            manifest["metadata"]["annotations"]["resourcetemplate.karmada.io/generation"]
