"""InterpretStatus and the binding-status helpers (spec §4.2 reflections, §5 points 1-2),
through the native façade."""

from __future__ import annotations

import copy

import pytest

from karmadactl.apis.karmada import load_binding
from karmadactl.interpreter import native
from karmadactl.interpreter.native import aggregated_item, fully_applied, reflect_status


def member(api_version, kind, status=None, spec=None, generation=None, template_generation=None):
    meta = {"name": "web", "namespace": "default"}
    if generation is not None:
        meta["generation"] = generation
    if template_generation is not None:
        meta["annotations"] = {"resourcetemplate.karmada.io/generation": str(template_generation)}
    body = {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec or {}}
    if status is not None:
        body["status"] = status
    return body


DEPLOYMENT_STATUS = {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
                     "unavailableReplicas": 1, "observedGeneration": 4, "collisionCount": 1,
                     "conditions": [{"type": "Available", "status": "True"}]}

REFLECT_CASES = [
    ("deployment keeps counters and generations",
     member("apps/v1", "Deployment", DEPLOYMENT_STATUS, generation=4, template_generation=7),
     {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
      "unavailableReplicas": 1, "observedGeneration": 4, "generation": 4, "resourceTemplateGeneration": 7}),
    ("deployment counters default to zero",
     member("apps/v1", "Deployment", {"replicas": 1}, generation=1),
     {"replicas": 1, "updatedReplicas": 0, "readyReplicas": 0, "availableReplicas": 0,
      "unavailableReplicas": 0, "observedGeneration": 0, "generation": 1, "resourceTemplateGeneration": 0}),
    ("deployment without status", member("apps/v1", "Deployment", generation=1), None),
    ("statefulset",
     member("apps/v1", "StatefulSet", {"replicas": 2, "readyReplicas": 2, "currentReplicas": 2,
                                       "updatedReplicas": 2, "availableReplicas": 2,
                                       "currentRevision": "web-1", "observedGeneration": 3},
            generation=3, template_generation=2),
     {"replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
      "observedGeneration": 3, "generation": 3, "resourceTemplateGeneration": 2}),
    ("replicaset",
     member("apps/v1", "ReplicaSet", {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1,
                                      "availableReplicas": 1, "observedGeneration": 1}, generation=1),
     {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1, "availableReplicas": 1,
      "observedGeneration": 1, "generation": 1, "resourceTemplateGeneration": 0}),
    ("daemonset",
     member("apps/v1", "DaemonSet", {"currentNumberScheduled": 3, "desiredNumberScheduled": 3,
                                     "numberAvailable": 2, "numberMisscheduled": 0, "numberReady": 2,
                                     "updatedNumberScheduled": 3, "numberUnavailable": 1,
                                     "observedGeneration": 2}, generation=2, template_generation=1),
     {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0,
      "numberReady": 2, "updatedNumberScheduled": 3, "numberUnavailable": 1, "observedGeneration": 2,
      "generation": 2, "resourceTemplateGeneration": 1}),
    ("job keeps progress",
     member("batch/v1", "Job", {"active": 1, "succeeded": 2, "startTime": "2024-01-01T00:00:00Z",
                                "uncountedTerminatedPods": {}, "ready": 1,
                                "conditions": [{"type": "Complete", "status": "False"}]}),
     {"active": 1, "succeeded": 2, "startTime": "2024-01-01T00:00:00Z",
      "conditions": [{"type": "Complete", "status": "False"}]}),
    ("load balancer service",
     member("v1", "Service", {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}, "conditions": []},
            spec={"type": "LoadBalancer"}),
     {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}),
    ("clusterIP service reflects nothing",
     member("v1", "Service", {"loadBalancer": {}}, spec={"type": "ClusterIP"}), None),
    ("ingress reflects whole status",
     member("networking.k8s.io/v1", "Ingress", {"loadBalancer": {"ingress": [{"hostname": "a"}]}}),
     {"loadBalancer": {"ingress": [{"hostname": "a"}]}}),
    ("pdb",
     member("policy/v1", "PodDisruptionBudget", {"currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2,
                                                 "disruptionsAllowed": 1, "observedGeneration": 1,
                                                 "disruptedPods": {"web-0": "2024-01-01T00:00:00Z"}}),
     {"currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2, "disruptionsAllowed": 1,
      "disruptedPods": {"web-0": "2024-01-01T00:00:00Z"}}),
    ("hpa",
     member("autoscaling/v2", "HorizontalPodAutoscaler", {"currentReplicas": 2, "desiredReplicas": 4,
                                                          "currentMetrics": [{"type": "Resource"}]}),
     {"currentReplicas": 2, "desiredReplicas": 4}),
    ("pod reflects whole status",
     member("v1", "Pod", {"phase": "Running", "podIP": "10.0.0.3"}),
     {"phase": "Running", "podIP": "10.0.0.3"}),
    ("custom resource reflects whole status",
     member("example.com/v1", "Widget", {"ready": True, "url": "http://x"}), {"ready": True, "url": "http://x"}),
    ("configmap has nothing", member("v1", "ConfigMap"), None),
]


@pytest.mark.parametrize("name,manifest,expected", REFLECT_CASES, ids=[c[0] for c in REFLECT_CASES])
def test_reflect_status(name, manifest, expected):
    before = copy.deepcopy(manifest)
    assert reflect_status(manifest) == expected
    assert manifest == before


def test_reflected_status_is_a_copy():
    manifest = member("v1", "Pod", {"phase": "Running", "containerStatuses": [{"ready": True}]})
    reflected = reflect_status(manifest)
    reflected["containerStatuses"][0]["ready"] = False
    assert manifest["status"]["containerStatuses"][0]["ready"] is True


# -- aggregatedStatus items ------------------------------------------------------------------

def test_item_of_work_not_applied():
    assert aggregated_item("member1", False, "Failed to apply all manifests (0/1): boom", None) == {
        "clusterName": "member1", "applied": False, "health": "Unknown",
        "appliedMessage": "Failed to apply all manifests (0/1): boom"}


def test_item_of_applied_work_with_manifest_status():
    manifest_status = {"identifier": {"ordinal": 0, "kind": "Deployment", "name": "web"},
                       "status": {"replicas": 2}, "health": "Healthy"}
    item = aggregated_item("member2", True, "", manifest_status)
    assert item == {"clusterName": "member2", "applied": True, "health": "Healthy", "status": {"replicas": 2}}
    item["status"]["replicas"] = 9
    assert manifest_status["status"] == {"replicas": 2}


def test_item_of_applied_work_not_yet_observed():
    assert aggregated_item("member3", True, "", None) == {
        "clusterName": "member3", "applied": True, "health": "Unknown"}
    assert aggregated_item("member3", True, "", {"identifier": {}, "health": "Unhealthy"}) == {
        "clusterName": "member3", "applied": True, "health": "Unhealthy"}


# -- FullyApplied ----------------------------------------------------------------------------

def binding(clusters=(), required_by=(), evictions=()):
    return load_binding({"spec": {"clusters": [{"name": c, "replicas": 1} for c in clusters],
                     "requiredBy": [{"namespace": "default", "name": "parent",
                                     "clusters": [{"name": c} for c in group]} for group in required_by],
                     "gracefulEvictionTasks": [{"fromCluster": c, "purgeMode": mode} for c, mode in evictions]}})


def item(cluster, applied=True, health="Healthy"):
    return {"clusterName": cluster, "applied": applied, "health": health}


FULLY_APPLIED_CASES = [
    ("all applied and healthy", binding(["a", "b"]), [item("a"), item("b")], True),
    ("not scheduled", binding([]), [], False),
    ("one cluster lacks an item", binding(["a", "b"]), [item("a")], False),
    ("one not applied", binding(["a", "b"]), [item("a"), item("b", applied=False, health="Unknown")], False),
    ("one unhealthy", binding(["a", "b"]), [item("a"), item("b", health="Unhealthy")], False),
    ("item for a cluster no longer targeted", binding(["a", "b"]), [item("a"), item("c")], False),
    ("required-by clusters count", binding(["a"], required_by=[["b"]]), [item("a")], False),
    ("required-by clusters applied", binding(["a"], required_by=[["a", "b"]]), [item("a"), item("b")], True),
    ("graceful eviction keeps the cluster", binding(["a"], evictions=[("old", "Gracefully")]),
     [item("a")], False),
    ("direct purge drops the cluster", binding(["a"], evictions=[("old", "Directly")]), [item("a")], True),
]


@pytest.mark.parametrize("name,rb,items,expected", FULLY_APPLIED_CASES, ids=[c[0] for c in FULLY_APPLIED_CASES])
def test_fully_applied(name, rb, items, expected):
    assert fully_applied(rb, items) is expected


def test_fully_applied_without_health_requirement():
    rb = binding(["a", "b"])
    items = [item("a"), item("b", health="Unhealthy")]
    assert fully_applied(rb, items) is False
    assert fully_applied(rb, items, require_healthy=False) is True


def test_facade_exports_every_operation():
    for name in ("reflect_status", "interpret_health", "retain", "get_dependencies",
                 "aggregate_status", "aggregated_item", "fully_applied"):
        assert callable(getattr(native, name))
