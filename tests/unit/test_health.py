"""Cluster health: Ready thresholds (condition cache) and the taints that follow Ready."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.apis.cluster import TAINT_NOT_READY, TAINT_UNREACHABLE, Cluster, Taint
from karmadactl.apis.wellknown import HEALTH_PENDING
from karmadactl.controllers.health import Thresholds, desired_taints, observe, pending

T0 = datetime(2026, 11, 25, 15, 50, 0, tzinfo=UTC)
T0S = "2026-11-25T15:50:00Z"
TH = Thresholds(failure=timedelta(seconds=30), success=timedelta(seconds=30))


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ready(cluster: Cluster) -> tuple[str, str] | None:
    c = cluster.condition("Ready")
    return (c["status"], c["reason"]) if c else None


def run(cluster: Cluster, probes: list[tuple[int, str]]) -> Cluster:
    for seconds, health in probes:
        cluster = observe(cluster, health, "", at(seconds), TH)
    return cluster


# -- Ready thresholds -----------------------------------------------------------------------

@pytest.mark.parametrize("health, expected", [
    ("Ready", ("True", "ClusterReady")),
    ("NotReady", ("False", "ClusterNotReady")),
    ("Unreachable", ("False", "ClusterNotReachable")),
])
def test_first_observation_publishes_at_once(health, expected):
    cluster = observe(Cluster(name="m1"), health, "", T0, TH)
    assert ready(cluster) == expected
    assert cluster.condition("Ready")["lastTransitionTime"] == T0S
    assert pending(cluster) is None


@pytest.mark.parametrize("name, start, probes, expected", [
    # a flap shorter than the failure threshold publishes nothing
    ("flap", "Ready", [(10, "Unreachable"), (20, "Unreachable"), (30, "Ready")], ("True", "ClusterReady")),
    # held for the threshold (timer starts at the first not-ready probe, t=10): published at t=40
    ("held", "Ready", [(10, "Unreachable"), (39, "Unreachable")], ("True", "ClusterReady")),
    ("held-long", "Ready", [(10, "Unreachable"), (40, "Unreachable")], ("False", "ClusterNotReachable")),
    # NotReady and Unreachable both count as not-ready: the timer does not restart
    ("mixed", "Ready", [(10, "NotReady"), (25, "Unreachable"), (40, "NotReady")], ("False", "ClusterNotReady")),
    # a Ready probe in between restarts the timer
    ("restart", "Ready", [(10, "NotReady"), (20, "Ready"), (30, "NotReady"), (50, "NotReady")],
     ("True", "ClusterReady")),
    # recovery needs the success threshold
    ("recover-early", "Unreachable", [(10, "Ready"), (39, "Ready")], ("False", "ClusterNotReachable")),
    ("recover", "Unreachable", [(10, "Ready"), (40, "Ready")], ("True", "ClusterReady")),
    # between NotReady and Unreachable the change publishes at once
    ("not-ready-kinds", "NotReady", [(5, "Unreachable")], ("False", "ClusterNotReachable")),
])
def test_thresholds(name, start, probes, expected):
    cluster = observe(Cluster(name="m1"), start, "", T0, TH)
    assert ready(run(cluster, probes)) == expected


def test_pending_observation_is_kept_in_an_annotation_and_cleared_on_publish():
    cluster = observe(Cluster(name="m1"), "Ready", "", T0, TH)
    waiting = observe(cluster, "Unreachable", "dial tcp: refused", at(10), TH)
    record = json.loads(waiting.metadata["annotations"][HEALTH_PENDING])
    assert record == {"state": "Unreachable", "since": "2026-11-25T15:50:10.000000Z",
                      "message": "dial tcp: refused"}
    assert waiting.condition("Ready") == cluster.condition("Ready")
    published = observe(waiting, "Unreachable", "dial tcp: refused", at(45), TH)
    assert HEALTH_PENDING not in (published.metadata.get("annotations") or {})
    assert published.condition("Ready")["message"] == "cluster is not reachable: dial tcp: refused"
    assert published.condition("Ready")["lastTransitionTime"] == "2026-11-25T15:50:45Z"


def test_timer_survives_a_restart_through_the_stored_object():
    cluster = observe(Cluster(name="m1"), "Ready", "", T0, TH)
    waiting = observe(cluster, "NotReady", "", at(10), TH)
    reloaded = Cluster.from_dict(waiting.to_dict())
    assert ready(observe(reloaded, "NotReady", "", at(40), TH)) == ("False", "ClusterNotReady")


def test_observe_does_not_mutate_its_input_and_keeps_other_conditions():
    cluster = Cluster(name="m1", status={"conditions": [
        {"type": "CompleteAPIEnablements", "status": "True", "reason": "Complete"}]},
        metadata={"annotations": {"team": "a"}})
    before = cluster.to_dict()
    published = observe(cluster, "NotReady", "", T0, TH)
    waiting = observe(published, "Ready", "", at(1), TH)
    assert cluster.to_dict() == before
    assert [c["type"] for c in waiting.status["conditions"]] == ["CompleteAPIEnablements", "Ready"]
    assert waiting.metadata["annotations"]["team"] == "a"


def test_zero_threshold_publishes_at_once():
    cluster = observe(Cluster(name="m1"), "Ready", "", T0, TH)
    zero = Thresholds(failure=timedelta(0), success=timedelta(0))
    assert ready(observe(cluster, "NotReady", "", at(1), zero)) == ("False", "ClusterNotReady")


# -- taints ---------------------------------------------------------------------------------

def with_ready(status: str | None, reason: str = "", taints: list[Taint] | None = None) -> Cluster:
    conds = [] if status is None else [{"type": "Ready", "status": status, "reason": reason}]
    return Cluster(name="m1", labels={"env": "prod"}, taints=list(taints or []),
                   status={"conditions": conds} if conds else {})


def keys(taints: list[Taint]) -> set[str]:
    return {str(t) for t in taints}


NR_NS, UR_NS = f"{TAINT_NOT_READY}:NoSchedule", f"{TAINT_UNREACHABLE}:NoSchedule"
NR_NE, UR_NE = f"{TAINT_NOT_READY}:NoExecute", f"{TAINT_UNREACHABLE}:NoExecute"


# Karmada's rule (pkg/controllers/cluster/cluster_controller.go, taintClusterByCondition): Ready=False,
# whatever its reason, adds cluster.karmada.io/not-ready and removes unreachable; Ready=Unknown does the
# reverse; Ready=True removes both. A Push member that refuses connections is False/ClusterNotReachable.
@pytest.mark.parametrize("status, reason, failover, expected", [
    (None, "", False, {NR_NS}),
    (None, "", True, {NR_NS}),                      # no NoExecute before Ready is ever published
    ("True", "ClusterReady", False, set()),
    ("True", "ClusterReady", True, set()),
    ("False", "ClusterNotReady", False, {NR_NS}),
    ("False", "ClusterNotReady", True, {NR_NS, NR_NE}),
    ("False", "StatusCollectionFailed", True, {NR_NS, NR_NE}),
    ("False", "ClusterNotReachable", False, {NR_NS}),
    ("False", "ClusterNotReachable", True, {NR_NS, NR_NE}),
    ("Unknown", "ClusterStatusUnknown", False, {UR_NS}),
    ("Unknown", "ClusterStatusUnknown", True, {UR_NS, UR_NE}),
])
def test_taints_follow_ready(status, reason, failover, expected):
    assert keys(desired_taints(with_ready(status, reason), T0, failover=failover)) == expected


def test_a_member_that_does_not_answer_gets_the_not_ready_taints():
    cluster = run(Cluster(name="m1"), [(0, "Ready"), (10, "Unreachable"), (40, "Unreachable")])
    assert ready(cluster) == ("False", "ClusterNotReachable")
    assert keys(desired_taints(cluster, at(40), failover=True)) == {NR_NS, NR_NE}


def test_recovery_removes_health_taints_and_keeps_user_taints():
    stale = [Taint("team", "NoSchedule", "a", "2026-01-01T00:00:00Z"),
             Taint(TAINT_UNREACHABLE, "NoSchedule", "", T0S),
             Taint(TAINT_UNREACHABLE, "NoExecute", "", T0S)]
    assert desired_taints(with_ready("True", "ClusterReady", stale), at(60), failover=True) == stale[:1]


def test_switch_between_not_ready_and_unreachable_replaces_the_taints():
    old = [Taint(TAINT_NOT_READY, "NoSchedule", "", T0S), Taint(TAINT_NOT_READY, "NoExecute", "", T0S)]
    taints = desired_taints(with_ready("Unknown", "ClusterStatusUnknown", old), at(60), failover=True)
    assert keys(taints) == {UR_NS, UR_NE}
    assert {t.time_added for t in taints} == {"2026-11-25T15:51:00Z"}
    back = desired_taints(with_ready("False", "ClusterNotReachable", taints), at(120), failover=True)
    assert keys(back) == {NR_NS, NR_NE}
    assert {t.time_added for t in back} == {"2026-11-25T15:52:00Z"}


def test_existing_taints_keep_their_time_added():
    old = [Taint(TAINT_NOT_READY, "NoSchedule", "", T0S), Taint(TAINT_NOT_READY, "NoExecute", "", T0S)]
    cluster = with_ready("False", "ClusterNotReady", old)
    assert desired_taints(cluster, at(600), failover=True) == old
    assert cluster.taints == old


def test_without_failover_user_no_execute_taints_stay():
    manual = [Taint(TAINT_NOT_READY, "NoExecute", "", T0S)]
    assert desired_taints(with_ready("True", "ClusterReady", manual), T0, failover=False) == manual


# -- ClusterTaintPolicy ---------------------------------------------------------------------

def policy(name: str, created: str, add: list, remove: list, taints: list, target: dict | None = None) -> dict:
    spec = {"addOnConditions": add, "removeOnConditions": remove, "taints": taints}
    if target is not None:
        spec["targetClusters"] = target
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy",
            "metadata": {"name": name, "creationTimestamp": created}, "spec": spec}


NOT_READY_POLICY = policy(
    "evict", "2026-01-01T00:00:00Z",
    add=[{"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}],
    remove=[{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}],
    taints=[{"key": "example.io/down", "effect": "NoExecute"}])


def test_policy_adds_its_taint_when_add_conditions_match():
    taints = desired_taints(with_ready("False", "ClusterNotReady"), T0, failover=True,
                            taint_policies=[NOT_READY_POLICY])
    # the policy decides the NoExecute taints: no built-in not-ready:NoExecute
    assert keys(taints) == {NR_NS, "example.io/down:NoExecute"}
    assert [t.time_added for t in taints if t.key == "example.io/down"] == [T0S]


def test_policy_removes_its_taint_when_remove_conditions_match():
    old = [Taint("example.io/down", "NoExecute", "", T0S), Taint("other", "NoExecute", "", T0S)]
    taints = desired_taints(with_ready("True", "ClusterReady", old), at(60), failover=True,
                            taint_policies=[NOT_READY_POLICY])
    assert keys(taints) == {"other:NoExecute"}


def test_policy_keeps_time_added_of_an_existing_taint_and_neither_condition_leaves_it():
    old = [Taint("example.io/down", "NoExecute", "", T0S)]
    cluster = with_ready("False", "ClusterNotReady", old)
    taints = desired_taints(cluster, at(60), failover=False, taint_policies=[NOT_READY_POLICY])
    assert [t for t in taints if t.key == "example.io/down"] == old


@pytest.mark.parametrize("target, tainted", [
    ({"labelSelector": {"matchLabels": {"env": "prod"}}}, True),
    ({"clusterNames": ["m2"]}, False),
    ({"exclude": ["m1"]}, False),
])
def test_policy_target_clusters(target, tainted):
    p = policy("p", "2026-01-01T00:00:00Z", NOT_READY_POLICY["spec"]["addOnConditions"], [],
               [{"key": "x", "effect": "NoSchedule"}], target)
    taints = desired_taints(with_ready("False", "ClusterNotReady"), T0, failover=False, taint_policies=[p])
    assert ("x:NoSchedule" in keys(taints)) is tainted


@pytest.mark.parametrize("match, applies", [
    ([{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["True"]}], True),
    ([{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["False"]}], False),
    ([{"conditionType": "Missing", "operator": "NotIn", "statusValues": ["True"]}], False),
    ([{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]},
      {"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}], False),   # ANDed
    ([], False),
    ([{"conditionType": "Ready", "operator": "Exists", "statusValues": ["False"]}], False),
])
def test_policy_condition_matching(match, applies):
    p = policy("p", "2026-01-01T00:00:00Z", match, [], [{"key": "x", "effect": "NoExecute"}])
    taints = desired_taints(with_ready("False", "ClusterNotReady"), T0, failover=True, taint_policies=[p])
    assert ("x:NoExecute" in keys(taints)) is applies


def test_policies_run_in_creation_order():
    cond = [{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]}]
    taint = [{"key": "x", "effect": "NoExecute"}]
    adder = policy("adder", "2026-01-02T00:00:00Z", cond, [], taint)
    remover = policy("remover", "2026-01-01T00:00:00Z", [], cond, taint)
    cluster = with_ready("False", "ClusterNotReady")
    # remover is older, so it runs first (nothing to remove), then adder adds: the taint stays
    assert "x:NoExecute" in keys(desired_taints(cluster, T0, failover=False, taint_policies=[adder, remover]))
    adder["metadata"]["creationTimestamp"] = "2025-12-31T00:00:00Z"
    assert "x:NoExecute" not in keys(desired_taints(cluster, T0, failover=False,
                                                    taint_policies=[adder, remover]))
