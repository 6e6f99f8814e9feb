"""GetDependencies of the built-in kinds (spec §4.2 table, §4.4)."""

from __future__ import annotations

import copy

import pytest

from karmadactl.interpreter.dependencies import get_dependencies


def ref(kind, name, namespace="shop"):
    return {"apiVersion": "v1", "kind": kind, "namespace": namespace, "name": name}


FULL_POD_SPEC = {
    "serviceAccountName": "web-sa",
    "imagePullSecrets": [{"name": "registry"}],
    "initContainers": [{"name": "init", "envFrom": [{"configMapRef": {"name": "init-env"}}]}],
    "containers": [{
        "name": "app",
        "env": [
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "a"}}},
            {"name": "B", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "b"}}},
            {"name": "C", "value": "plain"},
            {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "envFrom": [{"configMapRef": {"name": "bulk-cm"}}, {"secretRef": {"name": "bulk-secret"}}],
    }],
    "ephemeralContainers": [{"name": "debug", "envFrom": [{"secretRef": {"name": "debug-secret"}}]}],
    "volumes": [
        {"name": "v1", "configMap": {"name": "vol-cm"}},
        {"name": "v2", "secret": {"secretName": "vol-secret"}},
        {"name": "v3", "projected": {"sources": [
            {"configMap": {"name": "proj-cm"}}, {"secret": {"name": "proj-secret"}},
            {"serviceAccountToken": {"path": "token"}}]}},
        {"name": "v4", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "v5", "csi": {"driver": "secrets-store", "nodePublishSecretRef": {"name": "csi-secret"}}},
        {"name": "v6", "azureFile": {"secretName": "azure-secret", "shareName": "s"}},
        {"name": "v7", "cephfs": {"monitors": ["m"], "secretRef": {"name": "ceph-secret"}}},
        {"name": "v8", "emptyDir": {}},
        # the same ConfigMap twice must appear once
        {"name": "v9", "configMap": {"name": "env-cm"}},
    ],
}

FULL_POD_DEPENDENCIES = [
    ref("ConfigMap", "bulk-cm"), ref("ConfigMap", "env-cm"), ref("ConfigMap", "init-env"),
    ref("ConfigMap", "proj-cm"), ref("ConfigMap", "vol-cm"),
    ref("PersistentVolumeClaim", "data"),
    ref("Secret", "azure-secret"), ref("Secret", "bulk-secret"), ref("Secret", "ceph-secret"),
    ref("Secret", "csi-secret"), ref("Secret", "debug-secret"), ref("Secret", "env-secret"),
    ref("Secret", "proj-secret"), ref("Secret", "registry"), ref("Secret", "vol-secret"),
    ref("ServiceAccount", "web-sa"),
]


def workload(kind, pod_spec, api_version="apps/v1", **spec):
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "web", "namespace": "shop"},
            "spec": {**spec, "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}}}


def test_deployment_every_reference_form():
    deployment = workload("Deployment", FULL_POD_SPEC, replicas=2)
    before = copy.deepcopy(deployment)
    assert get_dependencies(deployment) == FULL_POD_DEPENDENCIES
    assert deployment == before


@pytest.mark.parametrize("kind,api_version", [
    ("ReplicaSet", "apps/v1"), ("DaemonSet", "apps/v1"), ("Job", "batch/v1")])
def test_other_pod_template_kinds(kind, api_version):
    assert get_dependencies(workload(kind, FULL_POD_SPEC, api_version)) == FULL_POD_DEPENDENCIES


def test_cron_job_reads_job_template():
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"},
            "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "db"}}]}]}}}}}}
    assert get_dependencies(cron) == [ref("Secret", "db")]


def test_pod_uses_its_own_spec():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
           "spec": {"containers": [{"name": "c"}], "volumes": [{"name": "d", "configMap": {"name": "cfg"}}]}}
    assert get_dependencies(pod) == [ref("ConfigMap", "cfg")]


def test_statefulset_leaves_out_claims_of_its_volume_claim_templates():
    pod_spec = {"containers": [{"name": "db"}], "volumes": [
        {"name": "shared", "persistentVolumeClaim": {"claimName": "shared"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}
    sts = workload("StatefulSet", pod_spec, volumeClaimTemplates=[{"metadata": {"name": "data"}}])
    assert get_dependencies(sts) == [ref("PersistentVolumeClaim", "shared")]


@pytest.mark.parametrize("account,expected", [
    ("", []), ("default", []), ("builder", [ref("ServiceAccount", "builder")])])
def test_service_account(account, expected):
    pod_spec = {"containers": [{"name": "c"}]}
    if account:
        pod_spec["serviceAccountName"] = account
    assert get_dependencies(workload("Deployment", pod_spec)) == expected


def test_ingress_tls_secrets():
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"tls": [{"hosts": ["a"], "secretName": "tls-b"}, {"hosts": ["b"], "secretName": "tls-a"},
                                {"hosts": ["c"]}, {"secretName": "tls-a"}]}}
    assert get_dependencies(ingress) == [ref("Secret", "tls-a"), ref("Secret", "tls-b")]


def test_service_import_depends_on_derived_service_and_slices():
    imported = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
                "metadata": {"name": "api", "namespace": "shop"}, "spec": {"type": "ClusterSetIP"}}
    assert get_dependencies(imported) == [
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "namespace": "shop",
         "labelSelector": {"matchLabels": {"kubernetes.io/service-name": "derived-api"}}},
        ref("Service", "derived-api"),
    ]


def test_template_without_namespace_uses_default():
    deployment = workload("Deployment", {"containers": [{"name": "c"}],
                                         "imagePullSecrets": [{"name": "pull"}]})
    del deployment["metadata"]["namespace"]
    assert get_dependencies(deployment) == [ref("Secret", "pull", "default")]


@pytest.mark.parametrize("manifest", [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {}},
    {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"},
     "spec": {"template": {"spec": {"imagePullSecrets": [{"name": "p"}]}}}},
])
def test_kinds_without_dependencies(manifest):
    assert get_dependencies(manifest) == []
