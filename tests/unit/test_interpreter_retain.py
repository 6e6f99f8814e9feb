"""Retain: generic label/annotation retention plus the kind-specific rules (spec §4.2)."""

from __future__ import annotations

import copy

import pytest

from karmadactl.interpreter.retain import retain

MANAGED_LABELS = "resourcetemplate.karmada.io/managed-labels"
MANAGED_ANNOTATIONS = "resourcetemplate.karmada.io/managed-annotations"


def manifest(api_version, kind, labels=None, annotations=None, **body) -> dict:
    meta = {"name": "web", "namespace": "default"}
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


def checked_retain(desired, observed):
    """retain() and assert it left both inputs untouched."""
    before = (copy.deepcopy(desired), copy.deepcopy(observed))
    result = retain(desired, observed)
    assert (desired, observed) == before
    return result


# -- generic: labels and annotations ---------------------------------------------------------

LABEL_CASES = [
    ("member-added label kept",
     {"app": "web"}, {"app": "web", "istio": "on"}, "", {"app": "web", "istio": "on"}),
    ("template value wins over member edit",
     {"app": "web"}, {"app": "edited"}, "app", {"app": "web"}),
    ("label dropped from template is removed",
     {"app": "web"}, {"app": "web", "tier": "front"}, "app,tier", {"app": "web"}),
    ("member label never managed survives even when template drops others",
     {}, {"tier": "front", "owner": "ops"}, "tier", {"owner": "ops"}),
    ("template adds a label",
     {"app": "web", "new": "1"}, {"app": "web"}, "app", {"app": "web", "new": "1"}),
    ("no labels anywhere", None, None, "", None),
]


@pytest.mark.parametrize("name,desired_labels,observed_labels,managed,expected", LABEL_CASES,
                         ids=[c[0] for c in LABEL_CASES])
def test_label_retention(name, desired_labels, observed_labels, managed, expected):
    desired = manifest("v1", "ConfigMap", labels=desired_labels, data={"k": "v"})
    observed = manifest("v1", "ConfigMap", labels=observed_labels,
                        annotations={MANAGED_LABELS: managed} if managed else None)
    result = checked_retain(desired, observed)
    assert result["metadata"].get("labels") == expected
    assert result["data"] == {"k": "v"}


def test_annotation_retention_uses_managed_annotations():
    desired = manifest("v1", "ConfigMap", annotations={"a": "1", MANAGED_ANNOTATIONS: "a"})
    observed = manifest("v1", "ConfigMap", annotations={
        "a": "0", "b": "old", "deployment.kubernetes.io/revision": "4",
        MANAGED_ANNOTATIONS: "a,b"})
    result = checked_retain(desired, observed)
    # b was ours and is gone from the template; the controller's annotation stays
    assert result["metadata"]["annotations"] == {
        "a": "1", MANAGED_ANNOTATIONS: "a", "deployment.kubernetes.io/revision": "4"}


def test_managed_list_tolerates_spaces_and_empty_entries():
    desired = manifest("v1", "ConfigMap", labels={})
    observed = manifest("v1", "ConfigMap", labels={"x": "1", "y": "2"},
                        annotations={MANAGED_LABELS: " x, ,"})
    assert checked_retain(desired, observed)["metadata"]["labels"] == {"y": "2"}


# -- kind-specific -----------------------------------------------------------------------------

def test_service_keeps_allocated_cluster_ip_and_health_check_port():
    desired = manifest("v1", "Service", spec={"type": "LoadBalancer", "ports": [{"port": 80}],
                                              "externalTrafficPolicy": "Local"})
    observed = manifest("v1", "Service", spec={
        "type": "LoadBalancer", "clusterIP": "10.96.0.12", "clusterIPs": ["10.96.0.12"],
        "healthCheckNodePort": 31234, "ports": [{"port": 80, "nodePort": 30080}]})
    result = checked_retain(desired, observed)
    assert result["spec"]["clusterIP"] == "10.96.0.12"
    assert result["spec"]["clusterIPs"] == ["10.96.0.12"]
    assert result["spec"]["healthCheckNodePort"] == 31234
    assert result["spec"]["ports"] == [{"port": 80}]


def test_service_without_allocation_stays_as_desired():
    desired = manifest("v1", "Service", spec={"ports": [{"port": 80}]})
    observed = manifest("v1", "Service", spec={"clusterIP": "", "healthCheckNodePort": 0})
    assert checked_retain(desired, observed)["spec"] == {"ports": [{"port": 80}]}


def test_headless_service_keeps_none():
    desired = manifest("v1", "Service", spec={"clusterIP": "None"})
    observed = manifest("v1", "Service", spec={"clusterIP": "None"})
    assert checked_retain(desired, observed)["spec"]["clusterIP"] == "None"


def test_pvc_keeps_volume_name():
    desired = manifest("v1", "PersistentVolumeClaim", spec={"resources": {"requests": {"storage": "1Gi"}}})
    observed = manifest("v1", "PersistentVolumeClaim", spec={"volumeName": "pvc-123"})
    assert checked_retain(desired, observed)["spec"]["volumeName"] == "pvc-123"


def test_pv_keeps_claim_ref():
    claim = {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data", "uid": "u1"}
    desired = manifest("v1", "PersistentVolume", spec={"capacity": {"storage": "1Gi"}})
    observed = manifest("v1", "PersistentVolume", spec={"claimRef": claim})
    assert checked_retain(desired, observed)["spec"]["claimRef"] == claim


def test_service_account_appends_member_only_secrets():
    desired = manifest("v1", "ServiceAccount", secrets=[{"name": "mine"}],
                       imagePullSecrets=[{"name": "registry"}])
    observed = manifest("v1", "ServiceAccount",
                        secrets=[{"name": "web-token-abcde"}, {"name": "mine"}],
                        imagePullSecrets=[{"name": "web-dockercfg-x"}])
    result = checked_retain(desired, observed)
    assert result["secrets"] == [{"name": "mine"}, {"name": "web-token-abcde"}]
    assert result["imagePullSecrets"] == [{"name": "registry"}, {"name": "web-dockercfg-x"}]


def test_service_account_token_secret_keeps_member_data():
    desired = manifest("v1", "Secret", type="kubernetes.io/service-account-token")
    observed = manifest("v1", "Secret", type="kubernetes.io/service-account-token",
                        data={"token": "dG9r", "ca.crt": "Y2E="})
    assert checked_retain(desired, observed)["data"] == {"token": "dG9r", "ca.crt": "Y2E="}


def test_opaque_secret_data_comes_from_template():
    desired = manifest("v1", "Secret", type="Opaque", data={"password": "bmV3"})
    observed = manifest("v1", "Secret", type="Opaque", data={"password": "b2xk"})
    assert checked_retain(desired, observed)["data"] == {"password": "bmV3"}


@pytest.mark.parametrize("label,expected", [("true", 7), ("false", 3), (None, 3)])
def test_deployment_replicas_retained_only_when_labelled(label, expected):
    labels = {"resourcetemplate.karmada.io/retain-replicas": label} if label else {}
    desired = manifest("apps/v1", "Deployment", labels=labels, spec={"replicas": 3})
    observed = manifest("apps/v1", "Deployment", spec={"replicas": 7})
    assert checked_retain(desired, observed)["spec"]["replicas"] == expected


def test_job_keeps_generated_selector_and_template_labels():
    desired = manifest("batch/v1", "Job", spec={"template": {"metadata": {"labels": {"app": "batch"}},
                                                              "spec": {"containers": []}}})
    generated = {"batch.kubernetes.io/controller-uid": "u1", "controller-uid": "u1"}
    observed = manifest("batch/v1", "Job", spec={
        "selector": {"matchLabels": generated},
        "template": {"metadata": {"labels": {"app": "batch", **generated}}}})
    result = checked_retain(desired, observed)
    assert result["spec"]["selector"] == {"matchLabels": generated}
    assert result["spec"]["template"]["metadata"]["labels"] == {"app": "batch", **generated}
    assert result["spec"]["template"]["spec"] == {"containers": []}


def test_pod_keeps_scheduling_and_injected_volumes():
    desired = manifest("v1", "Pod", spec={
        "containers": [{"name": "app", "image": "nginx:2"}, {"name": "gone", "image": "x"}],
        "initContainers": [{"name": "init", "image": "busybox"}]})
    token_mount = [{"name": "kube-api-access", "mountPath": "/var/run/secrets"}]
    observed = manifest("v1", "Pod", spec={
        "nodeName": "node-1", "serviceAccountName": "default",
        "volumes": [{"name": "kube-api-access", "projected": {"sources": []}}],
        "containers": [{"name": "app", "image": "nginx:1", "volumeMounts": token_mount}],
        "initContainers": [{"name": "init", "volumeMounts": token_mount}]})
    result = checked_retain(desired, observed)["spec"]
    assert result["nodeName"] == "node-1"
    assert result["serviceAccountName"] == "default"
    assert result["volumes"] == [{"name": "kube-api-access", "projected": {"sources": []}}]
    assert result["containers"][0] == {"name": "app", "image": "nginx:2", "volumeMounts": token_mount}
    assert "volumeMounts" not in result["containers"][1]
    assert result["initContainers"][0]["volumeMounts"] == token_mount


def test_unknown_kind_only_gets_metadata_retention():
    desired = manifest("example.com/v1", "Widget", spec={"size": 1})
    observed = manifest("example.com/v1", "Widget", labels={"added": "yes"}, spec={"size": 9})
    result = checked_retain(desired, observed)
    assert result["spec"] == {"size": 1}
    assert result["metadata"]["labels"] == {"added": "yes"}
