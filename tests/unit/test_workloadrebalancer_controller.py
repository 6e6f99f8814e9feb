"""The WorkloadRebalancer controller over a store: which binding is stamped, with what, and when the
rebalancer goes.

Karmada's source: pkg/controllers/workloadrebalancer/workloadrebalancer_controller.go (triggerReschedule:
an RB `<name>-<kind>` for a namespaced workload, a CRB without namespace; needTriggerReschedule; the
TTL: 0 deletes right after finishing).
"""

from __future__ import annotations

import pytest

from karmadactl.controllers import workloadrebalancer
from karmadactl.store import Store
from karmadactl.store.keys import ObjectKey

RB = "ResourceBinding.work.karmada.io"
CRB = "ClusterResourceBinding.work.karmada.io"
GK = "WorkloadRebalancer.apps.karmada.io"


@pytest.fixture
def store(tmp_path):
    opened = Store.open(f"sqlite:///{tmp_path / 'karmada.db'}")
    yield opened
    opened.close()


def binding(kind: str, name: str, namespace: str = "", triggered: str | None = None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    spec: dict = {"resource": {"apiVersion": "v1", "kind": "X", "name": name}}
    if triggered:
        spec["rescheduleTriggeredAt"] = triggered
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": kind.partition(".")[0], "metadata": meta, "spec": spec}


def rebalancer(*workloads: dict, ttl: int | None = None) -> dict:
    spec: dict = {"workloads": list(workloads)}
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    return {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer", "metadata": {"name": "r"},
            "spec": spec}


def test_bindings_are_stamped_with_the_rebalancers_creation_time(store):
    later = "2999-01-01T00:00:00Z"
    with store.write() as tx:
        tx.create(binding(RB, "web-deployment", "shop"))
        tx.create(binding(CRB, "admin-clusterrole"))
        tx.create(binding(RB, "api-deployment", "shop", triggered=later))
        created = tx.create(rebalancer(
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "admin"},
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": "shop"}))
    workloadrebalancer.reconcile(store, "2026-12-01T10:00:00Z")
    with store.read() as tx:
        stamped = [tx.get(ObjectKey(RB, "shop", "web-deployment"))["spec"].get("rescheduleTriggeredAt"),
                   tx.get(ObjectKey(CRB, "", "admin-clusterrole"))["spec"].get("rescheduleTriggeredAt"),
                   tx.get(ObjectKey(RB, "shop", "api-deployment"))["spec"].get("rescheduleTriggeredAt")]
        status = tx.get(ObjectKey(GK, "", "r"))["status"]
        rebalanced = sorted(e["name"] for e in tx.events() if e["reason"] == "Rebalance")
        triggered = [e["reason"] for e in tx.events(kind="WorkloadRebalancer")]
    assert stamped == [created["metadata"]["creationTimestamp"]] * 2 + [later]    # a later stamp is kept
    assert rebalanced == ["admin-clusterrole", "web-deployment"]                   # the stamped bindings
    assert triggered == ["RescheduleTriggered"] * 3
    assert [o["result"] for o in status["observedWorkloads"]] == ["Successful"] * 3
    assert status["finishTime"] == "2026-12-01T10:00:00Z"


def test_a_second_pass_changes_nothing(store):
    with store.write() as tx:
        tx.create(binding(RB, "web-deployment", "shop"))
        tx.create(rebalancer({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"}))
    workloadrebalancer.reconcile(store, "2026-12-01T10:00:00Z")
    with store.read() as tx:
        before = tx.get(ObjectKey(GK, "", "r"))
        bound, events = tx.get(ObjectKey(RB, "shop", "web-deployment")), tx.events()
    workloadrebalancer.reconcile(store, "2026-12-01T10:05:00Z")
    with store.read() as tx:
        assert tx.get(ObjectKey(GK, "", "r")) == before
        assert tx.get(ObjectKey(RB, "shop", "web-deployment")) == bound and tx.events() == events


def test_ttl_zero_deletes_it_in_the_pass_that_finishes_it(store):
    with store.write() as tx:
        tx.create(rebalancer({"apiVersion": "apps/v1", "kind": "Deployment", "name": "gone", "namespace": "shop"},
                             ttl=0))
    workloadrebalancer.reconcile(store, "2026-12-01T10:00:00Z")
    with store.read() as tx:
        assert tx.get(ObjectKey(GK, "", "r")) is None
        assert [e["reason"] for e in tx.events(kind="WorkloadRebalancer")] == ["ReferencedBindingNotFound",
                                                                               "TTLExpired"]
