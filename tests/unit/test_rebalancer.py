"""WorkloadRebalancer's status rules, in tables.

Karmada's source: pkg/controllers/workloadrebalancer/workloadrebalancer_controller.go
(syncWorkloadsFromSpecToStatus: observed; needTriggerReschedule: needs_trigger; handleWorkloadRebalance:
finished; timeLeft: expired) and pkg/apis/apps/v1alpha1/workloadrebalancer_types.go (problems).
"""

from __future__ import annotations

import pytest

from karmadactl.apis import rebalancer as wr


def ref(name: str, kind: str = "Deployment", namespace: str = "shop") -> dict:
    workload = {"apiVersion": "apps/v1", "kind": kind, "name": name}
    if namespace:
        workload["namespace"] = namespace
    return workload


def item(name: str, result: str = "", reason: str = "", **where) -> dict:
    out: dict = {"workload": ref(name, **where)}
    if result:
        out["result"] = result
    if reason:
        out["reason"] = reason
    return out


OK, FAILED = wr.SUCCESSFUL, wr.FAILED


@pytest.mark.parametrize("spec, previous, expected", [
    ([ref("b"), ref("a")], [], [item("a"), item("b")]),                              # new: no result, sorted
    ([ref("a"), ref("c")], [item("a", OK), item("b", OK), item("d", FAILED, wr.BINDING_NOT_FOUND)],
     [item("a", OK), item("b", OK), item("c")]),     # removed: kept when Successful, dropped when Failed
    ([ref("a")], [item("a", FAILED, wr.BINDING_NOT_FOUND)], [item("a", FAILED, wr.BINDING_NOT_FOUND)]),
    ([ref("x", kind="ClusterRole", namespace=""), ref("a")], [],
     [item("x", kind="ClusterRole", namespace=""), item("a")]),          # by kind before name
])
def test_observed(spec, previous, expected):
    assert wr.observed(spec, previous) == expected


@pytest.mark.parametrize("created, triggered, needed", [
    ("2026-12-01T10:00:00Z", None, True),
    ("2026-12-01T10:00:00Z", "2026-12-01T09:59:59Z", True),
    ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z", False),
    ("2026-12-01T10:00:00Z", "2026-12-01T10:00:01Z", False),
])
def test_needs_trigger(created, triggered, needed):
    assert wr.needs_trigger(created, triggered) is needed


NOW = "2026-12-01T10:00:05Z"


@pytest.mark.parametrize("old, items, retries, expected", [
    ({}, [item("a", OK)], 0, {"observedWorkloads": [item("a", OK)], "observedGeneration": 1, "finishTime": NOW}),
    ({"observedWorkloads": [item("a", OK)], "observedGeneration": 1, "finishTime": "2026-12-01T09:00:00Z"},
     [item("a", OK)], 0,
     {"observedWorkloads": [item("a", OK)], "observedGeneration": 1, "finishTime": "2026-12-01T09:00:00Z"}),
    ({}, [item("a")], 1, {"observedWorkloads": [item("a")], "observedGeneration": 1}),   # waits for a retry
])
def test_finished(old, items, retries, expected):
    assert wr.finished(old, items, 1, NOW, retries) == expected


@pytest.mark.parametrize("ttl, finish, now, expected", [
    (None, "2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z", None),
    (60, None, "2026-12-02T10:00:00Z", None),
    (60, "2026-12-01T10:00:00Z", "2026-12-01T10:00:59Z", False),
    (60, "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z", True),
    (0, "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z", True),
])
def test_expired(ttl, finish, now, expected):
    obj: dict = {"spec": {} if ttl is None else {"ttlSecondsAfterFinished": ttl},
                 "status": {"finishTime": finish} if finish else {}}
    assert wr.expired(obj, now) is expected


@pytest.mark.parametrize("spec, paths", [
    ({"workloads": [ref("a")]}, []),
    ({}, ["spec.workloads"]),
    ({"workloads": []}, ["spec.workloads"]),
    ({"workloads": [{"apiVersion": "apps/v1", "kind": "Deployment"}]}, ["spec.workloads[0].name"]),
    ({"workloads": [ref("a")], "ttlSecondsAfterFinished": -1}, []),     # the CRD sets no minimum
    ({"workloads": [ref("a")], "ttlSecondsAfterFinished": "60"}, ["spec.ttlSecondsAfterFinished"]),
    ({"workloads": [ref("a")], "ttlSecondsAfterFinished": 2 ** 31}, ["spec.ttlSecondsAfterFinished"]),
])
def test_problems(spec, paths):
    assert [p.path for p in wr.problems({"spec": spec})] == paths
