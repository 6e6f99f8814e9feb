"""Eviction decisions: NoExecute taints, eviction tasks, their settlement, application failover."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.apis.cluster import TAINT_NOT_READY, TAINT_UNREACHABLE, Cluster, Taint
from karmadactl.apis.karmada import load_binding
from karmadactl.controllers import eviction
from karmadactl.controllers.eviction import (
    PRODUCER_TAINT_MANAGER,
    REASON_APPLICATION_FAILURE,
    REASON_TAINT_UNTOLERATED,
)

# The decisions take and give typed ResourceBindings; the cases below write bindings as the store
# holds them, so each call goes through load_binding and each binding returned through to_dict.


def taint_evictions(b: dict, clusters: dict[str, Cluster], now: datetime):
    return eviction.taint_evictions(load_binding(b), clusters, now)


def evict(b: dict, cluster: str, **options) -> dict:
    return eviction.evict(load_binding(b), cluster, **options).to_dict()


def purge_mode_for(b: dict, reason: str):
    return eviction.purge_mode_for(load_binding(b), reason)


def settle_tasks(b: dict, now: datetime, default_timeout: timedelta) -> dict:
    return eviction.settle_tasks(load_binding(b), now, default_timeout).to_dict()


def next_settle_time(b: dict, default_timeout: timedelta):
    return eviction.next_settle_time(load_binding(b), default_timeout)


def application_evictions(b: dict, unhealthy_since: dict[str, str], now: datetime):
    return eviction.application_evictions(load_binding(b), unhealthy_since, now)

T0 = datetime(2026, 11, 25, 15, 50, 0, tzinfo=UTC)
T0S = "2026-11-25T15:50:00Z"
TEN_MINUTES = timedelta(minutes=10)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def stamp(seconds: int) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def binding(clusters: dict[str, int] | None = None, **spec) -> dict:
    clusters = {"m1": 2, "m2": 1} if clusters is None else clusters
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
            "metadata": {"name": "web-deployment", "namespace": "default", "generation": 3},
            "spec": {"clusters": [{"name": n, "replicas": r} for n, r in clusters.items()], **spec},
            "status": {}}


# -- taint evictions ------------------------------------------------------------------------

NOT_READY_NE = Taint(TAINT_NOT_READY, "NoExecute", "", T0S)


def members(**taints: list[Taint]) -> dict[str, Cluster]:
    return {name: Cluster(name=name, taints=t) for name, t in taints.items()}


@pytest.mark.parametrize("tolerations, now, expected", [
    ([], 0, (["m1"], None)),                                                       # untolerated: now
    ([{"key": TAINT_NOT_READY, "operator": "Exists", "effect": "NoExecute"}], 10_000, ([], None)),  # forever
    ([{"key": TAINT_NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
     299, ([], at(300))),                                                          # not yet: due at +300
    ([{"key": TAINT_NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
     300, (["m1"], None)),
    ([{"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}], 0, (["m1"], None)),  # other key
    ([{"operator": "Exists", "tolerationSeconds": 60},
      {"key": TAINT_NOT_READY, "operator": "Exists", "tolerationSeconds": 30}], 0, ([], at(60))),  # first used
])
def test_taint_evictions(tolerations, now, expected):
    b = binding(placement={"clusterTolerations": tolerations})
    clusters = members(m1=[NOT_READY_NE], m2=[Taint("maint", "NoSchedule", "", T0S)])
    assert taint_evictions(b, clusters, at(now)) == expected


def test_earliest_toleration_across_taints_decides():
    tol = [{"key": TAINT_NOT_READY, "operator": "Exists", "tolerationSeconds": 300},
           {"key": "other", "operator": "Exists", "tolerationSeconds": 60}]
    clusters = members(m1=[NOT_READY_NE, Taint("other", "NoExecute", "", stamp(100))], m2=[])
    b = binding(placement={"clusterTolerations": tol})
    assert taint_evictions(b, clusters, at(159)) == ([], at(160))
    assert taint_evictions(b, clusters, at(160)) == (["m1"], None)


def test_applied_placement_tolerations_win_over_spec():
    b = binding(placement={"clusterTolerations": []})
    b["metadata"]["annotations"] = {"policy.karmada.io/applied-placement": json.dumps(
        {"clusterTolerations": [{"key": TAINT_NOT_READY, "operator": "Exists", "effect": "NoExecute"}]})}
    assert taint_evictions(b, members(m1=[NOT_READY_NE], m2=[]), at(1)) == ([], None)


def test_clusters_without_no_execute_taints_or_unknown_are_kept():
    b = binding({"m1": 1, "gone": 1})
    assert taint_evictions(b, members(m1=[Taint(TAINT_NOT_READY, "NoSchedule", "", T0S)]), T0) == ([], None)


# -- evict ----------------------------------------------------------------------------------

def test_evict_moves_the_cluster_to_a_task():
    b = binding()
    before = copy.deepcopy(b)
    out = evict(b, "m1", reason=REASON_TAINT_UNTOLERATED, producer=PRODUCER_TAINT_MANAGER, now=T0)
    assert b == before
    assert out["spec"]["clusters"] == [{"name": "m2", "replicas": 1}]
    assert out["spec"]["gracefulEvictionTasks"] == [{
        "fromCluster": "m1", "purgeMode": "Gracefully", "replicas": 2, "reason": "TaintUntolerated",
        "producer": "TaintManager", "creationTimestamp": T0S}]


@pytest.mark.parametrize("failover, purge_mode, grace, expected", [
    ({"cluster": {"purgeMode": "Directly"}}, None, None, {"purgeMode": "Directly"}),
    ({}, "Never", None, {"purgeMode": "Never", "suppressDeletion": True}),
    ({"cluster": {"purgeMode": "Directly"}}, "Gracefully", 120,
     {"purgeMode": "Gracefully", "gracePeriodSeconds": 120}),
])
def test_evict_purge_mode(failover, purge_mode, grace, expected):
    out = evict(binding(failover=failover), "m2", reason=REASON_APPLICATION_FAILURE, producer="p",
                now=T0, purge_mode=purge_mode, grace_period_seconds=grace, message="unhealthy")
    task = out["spec"]["gracefulEvictionTasks"][0]
    assert {k: task[k] for k in expected} == expected
    assert task["message"] == "unhealthy"
    assert ("suppressDeletion" in task) is (expected["purgeMode"] == "Never")


def test_evict_is_idempotent_and_ignores_other_clusters():
    once = evict(binding(), "m1", reason=REASON_TAINT_UNTOLERATED, producer="p", now=T0)
    assert evict(once, "m1", reason=REASON_TAINT_UNTOLERATED, producer="p", now=at(5)) == once
    assert evict(binding(), "m9", reason=REASON_TAINT_UNTOLERATED, producer="p", now=T0) == binding()
    # a task already there (e.g. the cluster came back into the targets): only the target goes
    again = copy.deepcopy(once)
    again["spec"]["clusters"].append({"name": "m1", "replicas": 2})
    twice = evict(again, "m1", reason=REASON_TAINT_UNTOLERATED, producer="p", now=at(5))
    assert twice["spec"]["gracefulEvictionTasks"] == once["spec"]["gracefulEvictionTasks"]
    assert [c["name"] for c in twice["spec"]["clusters"]] == ["m2"]


def test_evict_without_replicas_omits_them():
    b = binding()
    b["spec"]["clusters"] = [{"name": "m1"}]
    assert "replicas" not in evict(b, "m1", reason="r", producer="p", now=T0)["spec"]["gracefulEvictionTasks"][0]


@pytest.mark.parametrize("failover, reason, expected", [
    (None, REASON_TAINT_UNTOLERATED, ("Gracefully", None)),
    ({"cluster": {"purgeMode": "Directly"}}, REASON_TAINT_UNTOLERATED, ("Directly", None)),
    ({"cluster": {}}, REASON_TAINT_UNTOLERATED, ("Gracefully", None)),
    ({"application": {}}, REASON_APPLICATION_FAILURE, ("Gracefully", 600)),
    ({"application": {"purgeMode": "Gracefully", "gracePeriodSeconds": 90}}, REASON_APPLICATION_FAILURE,
     ("Gracefully", 90)),
    ({"application": {"purgeMode": "Never"}}, REASON_APPLICATION_FAILURE, ("Never", None)),
    ({"application": {"purgeMode": "Directly"}}, REASON_APPLICATION_FAILURE, ("Directly", None)),
])
def test_purge_mode_for(failover, reason, expected):
    b = binding() if failover is None else binding(failover=failover)
    assert purge_mode_for(b, reason) == expected


def test_purge_mode_for_unknown_reason():
    with pytest.raises(ValueError):
        purge_mode_for(binding(), "Whatever")


# -- settle_tasks ---------------------------------------------------------------------------

def with_task(task: dict, health: dict[str, str] | None = None, scheduled: bool = True,
              observed: int | None = 3) -> dict:
    b = binding({"m2": 3}, gracefulEvictionTasks=[{"fromCluster": "m1", "replicas": 2, "reason": "r",
                                                   "producer": "p", "creationTimestamp": T0S, **task}])
    b["status"] = {"conditions": [{"type": "Scheduled", "status": "True" if scheduled else "False"}],
                   "aggregatedStatus": [{"clusterName": c, "applied": True, "health": h}
                                        for c, h in (health or {}).items()]}
    if observed is not None:
        b["status"]["schedulerObservedGeneration"] = observed
    return b


def task_kept(b: dict, now: datetime) -> bool:
    return bool(settle_tasks(b, now, TEN_MINUTES)["spec"].get("gracefulEvictionTasks"))


@pytest.mark.parametrize("name, task, health, scheduled, observed, now, kept", [
    ("waiting", {"purgeMode": "Gracefully"}, {"m2": "Unhealthy"}, True, 3, 60, True),
    ("healthy", {"purgeMode": "Gracefully"}, {"m2": "Healthy"}, True, 3, 60, False),
    ("no-status-yet", {"purgeMode": "Gracefully"}, {}, True, 3, 60, True),
    ("not-scheduled", {"purgeMode": "Gracefully"}, {"m2": "Healthy"}, False, 3, 60, True),
    ("stale-schedule", {"purgeMode": "Gracefully"}, {"m2": "Healthy"}, True, 2, 60, True),
    ("no-observed-gen", {"purgeMode": "Gracefully"}, {"m2": "Healthy"}, True, None, 60, False),
    ("default-timeout", {"purgeMode": "Gracefully"}, {"m2": "Unhealthy"}, True, 3, 600, False),
    ("before-timeout", {"purgeMode": "Gracefully"}, {"m2": "Unhealthy"}, True, 3, 599, True),
    ("grace-period", {"purgeMode": "Gracefully", "gracePeriodSeconds": 30}, {}, True, 3, 30, False),
    ("long-grace", {"purgeMode": "Gracefully", "gracePeriodSeconds": 3600}, {}, True, 3, 600, True),
    # purgeMode is not looked at (evictiontask.go assessSingleTask): a Directly task stays, and keeps
    # the scheduler away from its cluster, until the new copies are healthy or the timeout passes
    ("directly", {"purgeMode": "Directly"}, {}, True, 3, 0, True),
    ("directly-waiting", {"purgeMode": "Directly"}, {"m2": "Unhealthy"}, True, 3, 599, True),
    ("directly-healthy", {"purgeMode": "Directly"}, {"m2": "Healthy"}, True, 3, 1, False),
    ("directly-timeout", {"purgeMode": "Directly"}, {"m2": "Unhealthy"}, True, 3, 600, False),
    ("never", {"purgeMode": "Never", "suppressDeletion": True}, {"m2": "Healthy"}, True, 3, 10**6, True),
    ("never-confirmed", {"purgeMode": "Never", "suppressDeletion": False}, {}, True, 3, 1, False),
])
def test_settle_tasks(name, task, health, scheduled, observed, now, kept):
    b = with_task(task, health, scheduled, observed)
    before = copy.deepcopy(b)
    assert task_kept(b, at(now)) is kept
    assert b == before


@pytest.mark.parametrize("mode", ["Gracefully", "Directly"])
def test_a_task_is_not_settled_before_the_scheduler_saw_the_eviction(mode):
    # the aggregatedStatus of the remaining targets predates the re-division: Karmada drops a task on
    # health only once schedulerObservedGeneration == generation (pkg/controllers/gracefuleviction/
    # rb_graceful_eviction_controller.go), and the eviction itself bumped the generation
    b = binding({"m1": 2, "m2": 2})
    b["status"] = {"conditions": [{"type": "Scheduled", "status": "True"}], "schedulerObservedGeneration": 3,
                   "aggregatedStatus": [{"clusterName": c, "applied": True, "health": "Healthy"}
                                        for c in ("m1", "m2")]}
    out = evict(b, "m1", reason=REASON_APPLICATION_FAILURE, producer="p", now=T0, purge_mode=mode)
    assert out["metadata"]["generation"] == 4
    assert task_kept(out, at(1)) is True
    out["status"]["schedulerObservedGeneration"] = 4        # scheduled again, new copies reported healthy
    assert task_kept(out, at(2)) is False


def test_graceful_task_waits_while_there_is_no_other_cluster():
    b = with_task({"purgeMode": "Gracefully"})
    b["spec"]["clusters"] = []          # nowhere to fail over to: keep the old copy until the timeout
    assert task_kept(b, at(60)) is True
    assert task_kept(b, at(600)) is False


def test_settle_keeps_other_tasks_and_stamps_new_ones():
    b = with_task({"purgeMode": "Never", "suppressDeletion": False})
    b["spec"]["gracefulEvictionTasks"].append({"fromCluster": "m3", "purgeMode": "Directly"})
    out = settle_tasks(b, at(5), TEN_MINUTES)
    assert out["spec"]["gracefulEvictionTasks"] == [
        {"fromCluster": "m3", "purgeMode": "Directly", "creationTimestamp": stamp(5)}]


def test_next_settle_time():
    b = with_task({"purgeMode": "Gracefully", "gracePeriodSeconds": 120})
    b["spec"]["gracefulEvictionTasks"].append(
        {"fromCluster": "m3", "purgeMode": "Never", "suppressDeletion": True, "creationTimestamp": T0S})
    assert next_settle_time(b, TEN_MINUTES) == at(120)
    b["spec"]["gracefulEvictionTasks"].append(
        {"fromCluster": "m4", "purgeMode": "Directly", "creationTimestamp": stamp(-600 + 60)})
    assert next_settle_time(b, TEN_MINUTES) == at(60)        # a Directly task times out too
    assert next_settle_time(binding(), TEN_MINUTES) is None


# -- application failover -------------------------------------------------------------------

def app_binding(health: dict[str, str], toleration: int | None = 60, purge_mode: str = "Gracefully",
                **extra) -> dict:
    application = {"purgeMode": purge_mode}
    if toleration is not None:
        application["decisionConditions"] = {"tolerationSeconds": toleration}
    b = binding({"m1": 2, "m2": 1}, failover={"application": application}, **extra)
    b["status"]["aggregatedStatus"] = [{"clusterName": c, "applied": True, "health": h}
                                       for c, h in health.items()]
    return b


def test_application_timer_starts_then_fires():
    b = app_binding({"m1": "Unhealthy", "m2": "Healthy"})
    due, timers = application_evictions(b, {}, T0)
    assert (due, timers) == ([], {"m1": T0S})
    assert application_evictions(b, timers, at(59)) == ([], {"m1": T0S})
    assert application_evictions(b, timers, at(60)) == (["m1"], {})


@pytest.mark.parametrize("health, timers_after", [
    ("Healthy", {}),               # recovery clears the timer
    ("Unknown", {"m1": T0S}),      # a status gap keeps it (Karmada keeps timers across gaps)
])
def test_application_timer_clear(health, timers_after):
    b = app_binding({"m1": health})
    assert application_evictions(b, {"m1": T0S}, at(120)) == ([], timers_after)
    # a fresh Unhealthy observation after recovery starts the timer again
    if health == "Healthy":
        again = app_binding({"m1": "Unhealthy"})
        assert application_evictions(again, {}, at(130)) == ([], {"m1": stamp(130)})


def test_application_default_toleration_and_zero():
    assert application_evictions(app_binding({"m1": "Unhealthy"}, None), {"m1": T0S}, at(299))[0] == []
    assert application_evictions(app_binding({"m1": "Unhealthy"}, None), {"m1": T0S}, at(300))[0] == ["m1"]
    assert application_evictions(app_binding({"m1": "Unhealthy"}, 0), {}, T0)[0] == ["m1"]


def test_application_skips_clusters_being_evicted_and_non_targets():
    b = app_binding({"m1": "Unhealthy", "m3": "Unhealthy"},
                    gracefulEvictionTasks=[{"fromCluster": "m1", "purgeMode": "Gracefully"}])
    assert application_evictions(b, {"m1": T0S, "m3": T0S, "old": T0S}, at(600)) == ([], {})


def test_no_application_failover_means_no_timers():
    b = binding()
    b["status"]["aggregatedStatus"] = [{"clusterName": "m1", "health": "Unhealthy"}]
    assert application_evictions(b, {"m1": T0S}, at(600)) == ([], {})


def test_application_eviction_then_evict_uses_policy_purge_mode():
    b = app_binding({"m1": "Unhealthy"}, 0, "Never")
    due, _ = application_evictions(b, {}, T0)
    mode, grace = purge_mode_for(b, REASON_APPLICATION_FAILURE)
    out = evict(b, due[0], reason=REASON_APPLICATION_FAILURE, producer="app", now=T0,
                purge_mode=mode, grace_period_seconds=grace)
    assert out["spec"]["gracefulEvictionTasks"][0]["suppressDeletion"] is True
    # the evicted cluster is not timed again while its task exists
    assert application_evictions(out, {}, at(1)) == ([], {})
