"""DELETE answers as kube-apiserver gives them, per resource, through the official client.

kube-apiserver decides the body per registry. Those whose genericregistry.Store sets
`ReturnDeletedObject: true` answer with the deleted object:
  pkg/registry/core/pod/storage/storage.go, core/service/storage/storage.go,
  core/serviceaccount/storage/storage.go, core/persistentvolume/storage/storage.go,
  core/persistentvolumeclaim/storage/storage.go, core/resourcequota/storage/storage.go,
  storage/storageclass/storage/storage.go.
Namespaces and CRDs answer with the object marked for deletion from their own REST Delete
(core/namespace/storage/storage.go; apiextensions-apiserver registry/customresourcedefinition/
etcd.go). Every other registry, custom resources included (registry/customresource/etcd.go),
answers with a Success Status whose details name the object (apiserver
registry/generic/registry/store.go, finalizeDelete). An object held by finalizers comes back
marked for deletion whatever its registry. A pod's deletion is graceful (pod strategy
CheckGracefulDelete, rest.BeforeDelete): the answer carries deletionTimestamp = now + grace and
deletionGracePeriodSeconds = grace, the grace being 0 for a pod on no node.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from karmadactl.members.kubeconfig import Kubeconfig
from karmadactl.sandbox.resources import Registry
from karmadactl.sandbox.writes import RETURNS_DELETED_OBJECT, deletion_answer, pod_grace_period
from tests.waiting import until

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {
                               "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
}


def service(name: str = "web") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}


def pod(name: str, **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}}


def plain(obj: object) -> dict:
    return obj if isinstance(obj, dict) else obj.to_dict()


def seconds_from_now(stamp: datetime | str) -> float:
    if isinstance(stamp, str):
        stamp = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (stamp - datetime.now(UTC)).total_seconds()


def test_deleting_a_service_returns_the_deleted_service(api_client):
    core = k8s.CoreV1Api(api_client)
    created = core.create_namespaced_service("default", service())
    gone = core.delete_namespaced_service("web", "default")
    assert isinstance(gone, k8s.V1Service)
    assert (gone.metadata.name, gone.metadata.uid, gone.spec.cluster_ip) == \
        ("web", created.metadata.uid, created.spec.cluster_ip)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_service("web", "default")
    assert err.value.status == 404


def test_deleting_a_configmap_returns_a_success_status_naming_it(api_client, raw):
    core = k8s.CoreV1Api(api_client)
    created = core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    status, _, body = raw("DELETE", "/api/v1/namespaces/default/configmaps/cfg")
    assert status == 200
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": "cfg", "kind": "configmaps", "uid": created.metadata.uid}}
    core.create_namespaced_config_map("default", {"metadata": {"name": "cfg2"}})
    assert plain(core.delete_namespaced_config_map("cfg2", "default"))["status"] == "Success"


def test_objects_of_the_other_returning_registries_come_back_typed(api_client):
    core, storage = k8s.CoreV1Api(api_client), k8s.StorageV1Api(api_client)
    core.create_namespaced_service_account("default", {"metadata": {"name": "robot"}})
    assert core.delete_namespaced_service_account("robot", "default").metadata.name == "robot"
    claim = {"metadata": {"name": "data"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    core.create_namespaced_persistent_volume_claim("default", claim)
    gone_claim = core.delete_namespaced_persistent_volume_claim("data", "default")
    assert isinstance(gone_claim, k8s.V1PersistentVolumeClaim) and gone_claim.metadata.name == "data"
    volume = {"metadata": {"name": "pv1"},
              "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                       "hostPath": {"path": "/tmp/pv1"}}}
    core.create_persistent_volume(volume)
    assert core.delete_persistent_volume("pv1").spec.host_path.path == "/tmp/pv1"
    core.create_namespaced_resource_quota("default", {"metadata": {"name": "q"},
                                                      "spec": {"hard": {"pods": "10"}}})
    assert core.delete_namespaced_resource_quota("q", "default").spec.hard == {"pods": "10"}
    storage.create_storage_class({"metadata": {"name": "fast"}, "provisioner": "example.com/disk"})
    assert storage.delete_storage_class("fast").provisioner == "example.com/disk"


def test_workloads_nodes_and_rbac_answer_with_a_status_carrying_their_group(api_client):
    apps, rbac = k8s.AppsV1Api(api_client), k8s.RbacAuthorizationV1Api(api_client)
    apps.create_namespaced_deployment("default", {
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}})
    gone = plain(apps.delete_namespaced_deployment("web", "default"))
    assert (gone["status"], gone["details"]["group"], gone["details"]["kind"]) == \
        ("Success", "apps", "deployments")
    rbac.create_namespaced_role("default", {"metadata": {"name": "reader"}, "rules": []})
    gone = plain(rbac.delete_namespaced_role("reader", "default"))
    assert (gone["details"]["group"], gone["details"]["kind"]) == \
        ("rbac.authorization.k8s.io", "roles")
    core = k8s.CoreV1Api(api_client)
    name = core.list_node().items[0].metadata.name
    gone = plain(core.delete_node(name))
    assert (gone["status"], gone["details"]["name"], gone["details"]["kind"]) == \
        ("Success", name, "nodes")
    assert "group" not in gone["details"]


def test_a_pod_comes_back_marked_with_its_grace_period(api_client):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_pod("default", pod("pending"))
    pending = core.delete_namespaced_pod("pending", "default")
    assert isinstance(pending, k8s.V1Pod)
    assert pending.metadata.deletion_grace_period_seconds == 0     # on no node: at once
    assert abs(seconds_from_now(pending.metadata.deletion_timestamp)) < 5

    core.create_namespaced_pod("default", pod("bound", nodeName="n1",
                                              terminationGracePeriodSeconds=45))
    bound = core.delete_namespaced_pod("bound", "default")
    assert bound.metadata.deletion_grace_period_seconds == 45
    assert 40 < seconds_from_now(bound.metadata.deletion_timestamp) <= 45
    assert bound.metadata.generation == 2

    core.create_namespaced_pod("default", pod("short", nodeName="n1"))
    short = core.delete_namespaced_pod("short", "default", grace_period_seconds=5)
    assert short.metadata.deletion_grace_period_seconds == 5
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == []


def test_a_workload_pod_uses_its_30_second_default(api_client):
    core, apps = k8s.CoreV1Api(api_client), k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment("default", {
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}})
    name = until(lambda: core.list_namespaced_pod("default").items, timeout=10, every=0.02)[0].metadata.name
    gone = core.delete_namespaced_pod(name, "default")
    assert gone.spec.node_name and gone.metadata.deletion_grace_period_seconds == 30


def test_grace_periods_follow_the_pod_strategy():
    bound = {"spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30},
             "status": {"phase": "Running"}}
    assert pod_grace_period(bound, None) == 30
    assert pod_grace_period(bound, 3) == 3
    assert pod_grace_period(bound, -4) == 1
    assert pod_grace_period({"spec": {"nodeName": "n1"}}, None) == 0
    assert pod_grace_period({"spec": {"terminationGracePeriodSeconds": 30}}, None) == 0
    assert pod_grace_period(dict(bound, status={"phase": "Succeeded"}), None) == 0
    assert pod_grace_period(dict(bound, status={"phase": "Failed"}), 10) == 0


def test_namespace_and_crd_come_back_marked_for_deletion(api_client):
    core, ext = k8s.CoreV1Api(api_client), k8s.ApiextensionsV1Api(api_client)
    core.create_namespace({"metadata": {"name": "team-a"}})
    gone = plain(core.delete_namespace("team-a"))
    assert (gone["kind"], gone["status"]["phase"]) == ("Namespace", "Terminating")
    assert gone["metadata"]["deletionTimestamp"]

    ext.create_custom_resource_definition(CRD)
    crd = plain(ext.delete_custom_resource_definition("gadgets.example.com"))
    assert crd["kind"] == "CustomResourceDefinition" and crd["metadata"]["deletionTimestamp"]
    assert crd["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    terminating = next(c for c in crd["status"]["conditions"] if c["type"] == "Terminating")
    assert (terminating["status"], terminating["reason"]) == ("True", "InstanceDeletionPending")
    assert [c.metadata.name for c in ext.list_custom_resource_definition().items] == []


def test_a_custom_resource_answers_with_a_status(api_client):
    ext, custom = k8s.ApiextensionsV1Api(api_client), k8s.CustomObjectsApi(api_client)
    ext.create_custom_resource_definition(CRD)
    created = custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "gadgets",
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g1"}})
    gone = custom.delete_namespaced_custom_object("example.com", "v1", "default", "gadgets", "g1")
    assert gone == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": "g1", "group": "example.com", "kind": "gadgets",
                                "uid": created["metadata"]["uid"]}}


def test_finalizers_hold_any_kind_and_it_comes_back_marked(api_client):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", {"metadata": {"name": "held",
                                                               "finalizers": ["example.com/keep"]}})
    held = plain(core.delete_namespaced_config_map("held", "default"))
    assert held["kind"] == "ConfigMap" and held["metadata"]["deletionGracePeriodSeconds"] == 0
    again = plain(core.delete_namespaced_config_map("held", "default"))
    assert again["metadata"]["deletionTimestamp"] == held["metadata"]["deletionTimestamp"]
    core.create_namespaced_service("default", dict(service("kept"), metadata={
        "name": "kept", "finalizers": ["example.com/keep"]}))
    kept = core.delete_namespaced_service("kept", "default")
    assert kept.metadata.deletion_timestamp is not None
    assert core.read_namespaced_service("kept", "default").metadata.deletion_timestamp is not None


def test_a_dry_run_answers_the_same_and_keeps_the_object(api_client):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_service("default", service())
    core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    assert core.delete_namespaced_service("web", "default", dry_run="All").metadata.name == "web"
    assert plain(core.delete_namespaced_config_map("cfg", "default", dry_run="All"))["status"] == \
        "Success"
    assert core.read_namespaced_service("web", "default").metadata.name == "web"
    assert core.read_namespaced_config_map("cfg", "default").metadata.name == "cfg"


def test_a_bad_grace_period_is_a_bad_request(raw):
    raw("POST", "/api/v1/namespaces/default/pods", pod("p"))
    status, _, body = raw("DELETE", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=soon")
    assert (status, body["reason"]) == (400, "BadRequest")


def test_every_served_builtin_has_one_answer_shape():
    returning = {rt.group_resource for rt in Registry().all()
                 if rt.group_resource in RETURNS_DELETED_OBJECT}
    assert returning == RETURNS_DELETED_OBJECT
    for rt in Registry().all():
        obj = {"metadata": {"name": "x", "uid": "u", "namespace": "ns"}, "spec": {}}
        answer = deletion_answer(rt, obj)
        expected = rt.kind if rt.group_resource in RETURNS_DELETED_OBJECT else "Status"
        assert answer["kind"] == expected, rt.qualified


def test_the_member_client_deletes_whatever_shape_comes_back(member):
    """MemberClient.delete (execution's removal of a Work's objects) reads no body: a returned
    Service and a Success Status both count as deleted."""
    client = Kubeconfig.from_dict(member.kubeconfig()).client(timeout=5)
    client.apply(dict(service(), metadata={"name": "web", "namespace": "default"}), "services")
    client.apply({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "cfg", "namespace": "default"}}, "configmaps")
    for api_version, plural, name in (("v1", "services", "web"), ("v1", "configmaps", "cfg")):
        assert client.delete(api_version, plural, name, "default") is True
        assert client.get(api_version, plural, name, "default") is None
        assert client.delete(api_version, plural, name, "default") is False
