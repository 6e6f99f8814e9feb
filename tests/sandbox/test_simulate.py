"""The status the sandbox fakes for workloads, and its Nodes, look like a real cluster's."""

from __future__ import annotations

import pytest

from karmadactl.sandbox.simulate import WORKLOAD_KINDS, make_nodes, workload_status

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-01T00:05:00Z"
TEMPLATE = {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}


def workload(kind: str, generation: int = 1, **spec) -> dict:
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind,
            "metadata": {"name": "web", "namespace": "default", "generation": generation,
                         "creationTimestamp": T0},
            "spec": {"template": TEMPLATE, **spec}}


def status_of(obj: dict, unhealthy: bool = False, nodes: int = 3, **kw) -> dict:
    result = workload_status(obj, unhealthy=unhealthy, node_count=nodes, now=T1, **kw)
    assert result is not None
    return result


def conditions(status: dict) -> dict[str, dict]:
    return {c["type"]: c for c in status.get("conditions", [])}


@pytest.mark.parametrize("obj, unhealthy, nodes, expected", [
    # Deployment
    (workload("Deployment", replicas=3), False, 3,
     {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
      "availableReplicas": 3}),
    (workload("Deployment"), False, 3,  # replicas default to 1
     {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
      "availableReplicas": 1}),
    (workload("Deployment", replicas=2), True, 3,
     {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "unavailableReplicas": 2}),
    (workload("Deployment", replicas=0), False, 3, {"observedGeneration": 1}),
    # ReplicaSet: replicas is always written, even 0
    (workload("ReplicaSet", replicas=2), False, 3,
     {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
      "observedGeneration": 1}),
    (workload("ReplicaSet", replicas=2), True, 3,
     {"replicas": 2, "fullyLabeledReplicas": 2, "observedGeneration": 1}),
    (workload("ReplicaSet", replicas=0), False, 3, {"replicas": 0, "observedGeneration": 1}),
    # StatefulSet: replicas and availableReplicas are always written
    (workload("StatefulSet", replicas=2), False, 3,
     {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "currentReplicas": 2,
      "updatedReplicas": 2, "availableReplicas": 2, "collisionCount": 0}),
    (workload("StatefulSet", replicas=2), True, 3,
     {"observedGeneration": 1, "replicas": 2, "currentReplicas": 2, "updatedReplicas": 2,
      "availableReplicas": 0, "collisionCount": 0}),
    # DaemonSet: one pod per node
    (workload("DaemonSet"), False, 4,
     {"currentNumberScheduled": 4, "desiredNumberScheduled": 4, "numberMisscheduled": 0,
      "numberReady": 4, "observedGeneration": 1, "updatedNumberScheduled": 4,
      "numberAvailable": 4}),
    (workload("DaemonSet"), True, 2,
     {"currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberMisscheduled": 0,
      "numberReady": 0, "observedGeneration": 1, "updatedNumberScheduled": 2,
      "numberUnavailable": 2}),
])
def test_replica_counts(obj, unhealthy, nodes, expected):
    status = status_of(obj, unhealthy, nodes)
    counts = {k: v for k, v in status.items()
              if k not in ("conditions", "currentRevision", "updateRevision")}
    assert counts == expected


@pytest.mark.parametrize("replicas, unhealthy, available, progressing", [
    (3, False, ("True", "MinimumReplicasAvailable"), ("True", "NewReplicaSetAvailable")),
    (3, True, ("False", "MinimumReplicasUnavailable"), ("True", "ReplicaSetUpdated")),
    (1, True, ("False", "MinimumReplicasUnavailable"), ("True", "ReplicaSetUpdated")),
    (0, False, ("True", "MinimumReplicasAvailable"), ("True", "NewReplicaSetAvailable")),
])
def test_deployment_conditions(replicas, unhealthy, available, progressing):
    conds = conditions(status_of(workload("Deployment", replicas=replicas), unhealthy))
    assert list(conds) == ["Available", "Progressing"]
    assert (conds["Available"]["status"], conds["Available"]["reason"]) == available
    assert (conds["Progressing"]["status"], conds["Progressing"]["reason"]) == progressing
    assert conds["Progressing"]["message"].startswith('ReplicaSet "web-')
    for cond in conds.values():
        assert cond["lastUpdateTime"] == cond["lastTransitionTime"] == T1


def test_deployment_condition_keeps_transition_time_while_status_unchanged():
    obj = workload("Deployment", replicas=2)
    obj["status"] = workload_status(obj, unhealthy=False, node_count=3, now=T0)
    later = conditions(status_of(obj, unhealthy=False))
    assert later["Available"]["lastTransitionTime"] == T0
    broken = conditions(status_of(obj, unhealthy=True))
    assert broken["Available"]["lastTransitionTime"] == T1


@pytest.mark.parametrize("kind, unhealthy", [
    ("Deployment", False), ("Deployment", True), ("StatefulSet", False), ("Job", False),
    ("Job", True), ("DaemonSet", True), ("ReplicaSet", False),
])
def test_status_of_unchanged_object_is_stable(kind, unhealthy):
    obj = workload(kind, replicas=2) if kind != "Job" else workload(kind)
    obj["status"] = workload_status(obj, unhealthy=unhealthy, node_count=3, now=T0)
    assert status_of(obj, unhealthy) == obj["status"]


def test_deployment_condition_update_time_moves_with_reason_not_status():
    obj = workload("Deployment", replicas=4)  # maxUnavailable 25% of 4 = 1
    obj["status"] = workload_status(obj, unhealthy=False, node_count=3, now=T0)
    paused = workload("Deployment", replicas=4, paused=True)
    paused["status"] = obj["status"]
    progressing = conditions(status_of(paused))["Progressing"]
    assert progressing["lastUpdateTime"] == T1 and progressing["lastTransitionTime"] == T1
    available = conditions(status_of(paused))["Available"]
    assert available["lastUpdateTime"] == T0


def test_deployment_paused_is_not_progressing():
    conds = conditions(status_of(workload("Deployment", paused=True)))
    assert conds["Progressing"]["status"] == "Unknown"
    assert conds["Progressing"]["reason"] == "DeploymentPaused"


def test_recreate_deployment_with_one_unavailable_pod_is_not_available():
    obj = workload("Deployment", replicas=4, strategy={"type": "Recreate"})
    assert conditions(status_of(obj, True))["Available"]["status"] == "False"


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"])
def test_generation_bump_is_observed(kind):
    assert status_of(workload(kind, generation=7, replicas=2))["observedGeneration"] == 7
    no_generation = workload(kind)
    del no_generation["metadata"]["generation"]
    assert status_of(no_generation)["observedGeneration"] == 1


def test_statefulset_revision_follows_template():
    first = status_of(workload("StatefulSet", replicas=2))
    assert first["currentRevision"] == first["updateRevision"]
    assert first["updateRevision"].startswith("web-")
    changed = workload("StatefulSet", generation=2, replicas=2)
    changed["spec"]["template"] = {**TEMPLATE, "spec": {"containers": [
        {"name": "web", "image": "nginx:1.28"}]}}
    second = status_of(changed)
    assert second["updateRevision"] != first["updateRevision"]
    assert status_of(workload("StatefulSet", replicas=5))["updateRevision"] == \
        first["updateRevision"]  # scaling is not a new revision


def test_deployment_new_replicaset_name_follows_template():
    def rs_message(image: str) -> str:
        obj = workload("Deployment")
        obj["spec"]["template"] = {"spec": {"containers": [{"name": "c", "image": image}]}}
        return conditions(status_of(obj))["Progressing"]["message"]
    assert rs_message("a:1") == rs_message("a:1")
    assert rs_message("a:1") != rs_message("a:2")


@pytest.mark.parametrize("spec, succeeded", [
    ({}, 1),                                   # completions default 1
    ({"completions": 5, "parallelism": 2}, 5),
    ({"parallelism": 3}, 3),                   # work queue: every pod succeeds
])
def test_job_completes_when_healthy(spec, succeeded):
    status = status_of(workload("Job", **spec))
    assert status["succeeded"] == succeeded
    assert "active" not in status
    assert status["startTime"] == T0
    assert status["completionTime"] == T1
    assert status["ready"] == 0 and status["uncountedTerminatedPods"] == {}
    conds = conditions(status)
    assert list(conds) == ["SuccessCriteriaMet", "Complete"]
    assert all(c["status"] == "True" and c["reason"] == "CompletionsReached"
               for c in conds.values())


def test_job_on_old_kubernetes_has_only_complete():
    status = status_of(workload("Job"), kubernetes_version="v1.29.4")
    assert list(conditions(status)) == ["Complete"]


@pytest.mark.parametrize("spec, active", [
    ({}, 1),
    ({"completions": 5, "parallelism": 2}, 2),
    ({"completions": 1, "parallelism": 4}, 1),
])
def test_unhealthy_job_stays_active(spec, active):
    status = status_of(workload("Job", **spec), unhealthy=True)
    assert status["active"] == active
    assert "succeeded" not in status and "completionTime" not in status
    assert "conditions" not in status
    assert status["startTime"] == T0


def test_indexed_job_reports_completed_indexes():
    status = status_of(workload("Job", completions=3, parallelism=3, completionMode="Indexed"))
    assert status["completedIndexes"] == "0-2"


def test_job_keeps_its_times_once_complete():
    obj = workload("Job")
    obj["status"] = workload_status(obj, unhealthy=False, node_count=3, now=T0)
    again = status_of(obj)
    assert again["completionTime"] == T0
    assert conditions(again)["Complete"]["lastTransitionTime"] == T0


def test_suspended_job_runs_nothing():
    status = status_of(workload("Job", suspend=True))
    assert "active" not in status and "startTime" not in status
    assert conditions(status)["Suspended"]["reason"] == "JobSuspended"


@pytest.mark.parametrize("kind", ["Service", "ConfigMap", "Pod", "CronJob"])
def test_other_kinds_have_no_simulated_status(kind):
    assert kind not in WORKLOAD_KINDS
    assert workload_status({"kind": kind, "metadata": {"name": "x"}},
                           unhealthy=False, node_count=3) is None


def test_nodes_look_registered_by_a_kubelet():
    nodes = make_nodes("member1", 3, "8", "32Gi", "110", kubernetes_version="v1.30.2")
    assert [n["metadata"]["name"] for n in nodes] == [f"member1-node-{i}" for i in range(3)]
    for node in nodes:
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/hostname"] == node["metadata"]["name"]
        assert labels["kubernetes.io/os"] == "linux"
        assert labels["kubernetes.io/arch"] == "amd64"
        for field in ("capacity", "allocatable"):
            res = node["status"][field]
            assert (res["cpu"], res["memory"], res["pods"]) == ("8", "32Gi", "110")
            assert "ephemeral-storage" in res
        ready = conditions(node["status"])["Ready"]
        assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
        assert conditions(node["status"])["MemoryPressure"]["status"] == "False"
        assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.30.2"
        types = {a["type"] for a in node["status"]["addresses"]}
        assert types == {"InternalIP", "Hostname"}
    ips = {n["status"]["addresses"][0]["address"] for n in nodes}
    assert len(ips) == 3
    uids = {n["metadata"]["uid"] for n in nodes}
    assert len(uids) == 3


def test_nodes_topology_labels_only_when_asked():
    plain = make_nodes("m", 2, "4", "8Gi", "110")
    assert not any("topology.kubernetes.io/zone" in n["metadata"]["labels"] for n in plain)
    zoned = make_nodes("m", 3, "4", "8Gi", "110", zones=["a", "b"], region="eu")
    assert [n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in zoned] == \
        ["a", "b", "a"]
    assert {n["metadata"]["labels"]["topology.kubernetes.io/region"] for n in zoned} == {"eu"}
    assert make_nodes("m", 0, "4", "8Gi", "110") == []
