"""InterpretHealth of the built-in kinds (spec §4.2 health rules)."""

from __future__ import annotations

import copy

import pytest

from karmadactl.interpreter.health import has_health_rule, interpret_health


def obj(api_version, kind, spec=None, status=None, generation=None) -> dict:
    body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "default"}}
    if generation is not None:
        body["metadata"]["generation"] = generation
    if spec is not None:
        body["spec"] = spec
    if status is not None:
        body["status"] = status
    return body


def deploy(kind="Deployment", replicas=3, gen=2, **status):
    return obj("apps/v1", kind, {"replicas": replicas} if replicas is not None else {},
               {"observedGeneration": 2, **status}, gen)


def lb_service(ingress, type_="LoadBalancer"):
    return obj("v1", "Service", {"type": type_}, {"loadBalancer": {"ingress": ingress}})


def pod(phase, ready=None):
    status = {"phase": phase}
    if ready is not None:
        status["conditions"] = [{"type": "Initialized", "status": "True"},
                                {"type": "Ready", "status": ready}]
    return obj("v1", "Pod", {"containers": []}, status)


CASES = [
    # Deployment / StatefulSet: caught up, all updated, all updated available
    ("deployment rolled out", deploy(updatedReplicas=3, availableReplicas=3), "Healthy"),
    ("deployment generation not observed", deploy(gen=3, updatedReplicas=3, availableReplicas=3), "Unhealthy"),
    ("deployment still updating", deploy(updatedReplicas=2, availableReplicas=2), "Unhealthy"),
    ("deployment updated but not available", deploy(updatedReplicas=3, availableReplicas=2), "Unhealthy"),
    ("deployment without spec.replicas", deploy(replicas=None, updatedReplicas=1, availableReplicas=1), "Healthy"),
    ("deployment scaled to zero", deploy(replicas=0), "Healthy"),
    ("statefulset rolled out", deploy("StatefulSet", updatedReplicas=3, availableReplicas=3), "Healthy"),
    ("statefulset still updating", deploy("StatefulSet", updatedReplicas=1, availableReplicas=1), "Unhealthy"),
    ("statefulset stale generation", deploy("StatefulSet", gen=5, updatedReplicas=3, availableReplicas=3), "Unhealthy"),
    # ReplicaSet: caught up and available >= desired
    ("replicaset available", deploy("ReplicaSet", availableReplicas=3), "Healthy"),
    ("replicaset short", deploy("ReplicaSet", availableReplicas=2), "Unhealthy"),
    ("replicaset stale generation", deploy("ReplicaSet", gen=4, availableReplicas=3), "Unhealthy"),
    # DaemonSet
    ("daemonset rolled out", obj("apps/v1", "DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 4,
                                                              "updatedNumberScheduled": 4, "numberAvailable": 4}, 1), "Healthy"),
    ("daemonset not all updated", obj("apps/v1", "DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 4,
                                                                   "updatedNumberScheduled": 3, "numberAvailable": 4}, 1), "Unhealthy"),
    ("daemonset updated not available", obj("apps/v1", "DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 4,
                                                                         "updatedNumberScheduled": 4, "numberAvailable": 3}, 1), "Unhealthy"),
    ("daemonset stale generation", obj("apps/v1", "DaemonSet", {}, {"observedGeneration": 1}, 2), "Unhealthy"),
    # Service
    ("clusterIP service", obj("v1", "Service", {"type": "ClusterIP"}), "Healthy"),
    ("service without type", obj("v1", "Service", {}), "Healthy"),
    ("LB service with ip", lb_service([{"ip": "1.2.3.4"}]), "Healthy"),
    ("LB service with hostname", lb_service([{"hostname": "lb.example.com"}]), "Healthy"),
    ("LB service pending", lb_service([]), "Unhealthy"),
    ("LB service empty entry", lb_service([{"ports": [{"port": 80, "protocol": "TCP"}]}]), "Unhealthy"),
    ("LB service no status", obj("v1", "Service", {"type": "LoadBalancer"}), "Unhealthy"),
    # Ingress
    ("ingress with ip", obj("networking.k8s.io/v1", "Ingress", {}, {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}), "Healthy"),
    ("ingress pending", obj("networking.k8s.io/v1", "Ingress", {}, {"loadBalancer": {}}), "Unhealthy"),
    # Pod
    ("pod succeeded", pod("Succeeded"), "Healthy"),
    ("pod running ready", pod("Running", "True"), "Healthy"),
    ("pod running not ready", pod("Running", "False"), "Unhealthy"),
    ("pod running no conditions", pod("Running"), "Unhealthy"),
    ("pod pending", pod("Pending", "False"), "Unhealthy"),
    ("pod failed", pod("Failed"), "Unhealthy"),
    # PVC
    ("pvc bound", obj("v1", "PersistentVolumeClaim", {}, {"phase": "Bound"}), "Healthy"),
    ("pvc pending", obj("v1", "PersistentVolumeClaim", {}, {"phase": "Pending"}), "Unhealthy"),
    ("pvc no status", obj("v1", "PersistentVolumeClaim", {}), "Unhealthy"),
    # PDB
    ("pdb enough healthy", obj("policy/v1", "PodDisruptionBudget", {}, {"currentHealthy": 3, "desiredHealthy": 2}), "Healthy"),
    ("pdb exactly enough", obj("policy/v1", "PodDisruptionBudget", {}, {"currentHealthy": 2, "desiredHealthy": 2}), "Healthy"),
    ("pdb short", obj("policy/v1", "PodDisruptionBudget", {}, {"currentHealthy": 1, "desiredHealthy": 2}), "Unhealthy"),
    # kinds without a rule
    ("configmap", obj("v1", "ConfigMap"), "Healthy"),
    ("job has no rule", obj("batch/v1", "Job", {}, {"failed": 3}), "Healthy"),
    ("custom resource", obj("example.com/v1", "Widget", {}, {"ready": False}), "Healthy"),
    ("deployment of another apiVersion", obj("extensions/v1beta1", "Deployment", {"replicas": 3}, {}), "Healthy"),
]


@pytest.mark.parametrize("name,manifest,expected", CASES, ids=[c[0] for c in CASES])
def test_health(name, manifest, expected):
    before = copy.deepcopy(manifest)
    assert interpret_health(manifest) == expected
    assert manifest == before


def test_has_health_rule():
    assert has_health_rule(deploy())
    assert has_health_rule(obj("policy/v1", "PodDisruptionBudget"))
    assert not has_health_rule(obj("v1", "ConfigMap"))
    assert not has_health_rule(obj("batch/v1", "Job"))
