"""The sandbox member behaves like kube-apiserver for the official client and kubectl."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest
from kubernetes import client as k8s
from kubernetes import watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from karmadactl.sandbox.member import Member
from tests import waiting


def deployment(name: str = "web", replicas: int = 2, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}},
    }


def configmap(name: str, labels: dict | None = None, data: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data or {"k": "v"}}


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def wait_for(check, timeout: float = 10.0):
    """Poll check() until it returns something truthy (a helper, not a time limit)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                       "shortNames": ["wdg"]},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}},
                           "subresources": {"status": {}}}]},
}


# discovery, health, auth --------------------------------------------------------------------

def test_version_has_all_nine_fields_and_needs_no_token(raw):
    status, _, body = raw("GET", "/version", token=False)
    assert status == 200
    assert set(body) == {"major", "minor", "gitVersion", "gitCommit", "gitTreeState",
                         "buildDate", "goVersion", "compiler", "platform"}
    assert (body["major"], body["minor"], body["gitVersion"]) == ("1", "31", "v1.31.0")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/livez"])
def test_health_endpoints_answer_ok_without_a_token(raw, path):
    assert raw("GET", path, token=False)[::2] == (200, "ok")


def test_requests_without_the_token_get_401_status(raw):
    status, _, body = raw("GET", "/api/v1/namespaces", token=False)
    assert status == 401
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert raw("GET", "/api", headers={"Authorization": "Bearer wrong"}, token=False)[0] == 401


def test_discovery_documents(raw):
    assert raw("GET", "/api")[2]["versions"] == ["v1"]
    groups = {g["name"]: g for g in raw("GET", "/apis/")[2]["groups"]}   # trailing slash ok
    for group in ("apps", "batch", "networking.k8s.io", "policy", "autoscaling",
                  "rbac.authorization.k8s.io", "apiextensions.k8s.io", "storage.k8s.io",
                  "scheduling.k8s.io", "coordination.k8s.io"):
        assert group in groups
    assert groups["autoscaling"]["preferredVersion"] == {"groupVersion": "autoscaling/v2",
                                                         "version": "v2"}
    apps = {r["name"]: r for r in raw("GET", "/apis/apps/v1")[2]["resources"]}
    assert apps["deployments"]["kind"] == "Deployment" and apps["deployments"]["namespaced"]
    assert apps["deployments"]["shortNames"] == ["deploy"]
    assert "watch" in apps["deployments"]["verbs"]
    assert apps["deployments/status"]["verbs"] == ["get", "patch", "update"]
    assert apps["deployments/scale"]["kind"] == "Scale"
    core = {r["name"]: r for r in raw("GET", "/api/v1")[2]["resources"]}
    assert not core["nodes"]["namespaced"] and core["pods"]["namespaced"]
    assert {"namespaces", "services", "configmaps", "secrets", "serviceaccounts",
            "persistentvolumeclaims", "persistentvolumes", "events", "endpoints",
            "limitranges", "resourcequotas"} <= set(core)
    assert raw("GET", "/apis/nope.example.com/v1")[0] == 404


def test_initial_namespaces_and_nodes(api_client):
    core = k8s.CoreV1Api(api_client)
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert names == {"default", "kube-system", "kube-public", "kube-node-lease"}
    assert core.read_namespace("default").status.phase == "Active"
    nodes = core.list_node().items
    assert [n.metadata.name for n in nodes] == ["sbx-node-0", "sbx-node-1"]
    assert nodes[0].status.allocatable["cpu"] == "8"


# create, read, replace -----------------------------------------------------------------------

def test_create_sets_server_fields_and_get_list_return_them(api_client, raw):
    apps = k8s.AppsV1Api(api_client)
    created = apps.create_namespaced_deployment("default", deployment())
    meta = created.metadata
    assert meta.uid and meta.creation_timestamp and meta.generation == 1
    assert int(meta.resource_version) > 0
    assert meta.managed_fields[0].operation == "Update"
    got = apps.read_namespaced_deployment("web", "default")
    assert got.metadata.uid == meta.uid and got.kind == "Deployment"
    listed = raw("GET", "/apis/apps/v1/namespaces/default/deployments")[2]
    assert listed["kind"] == "DeploymentList" and listed["apiVersion"] == "apps/v1"
    assert int(listed["metadata"]["resourceVersion"]) >= int(meta.resource_version)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["web"]
    assert listed["items"][0]["kind"] == "Deployment"


def test_resource_versions_come_from_one_global_counter(api_client):
    core = k8s.CoreV1Api(api_client)
    a = core.create_namespaced_config_map("default", configmap("a"))
    b = core.create_namespaced_config_map("kube-system", configmap("b"))
    assert int(b.metadata.resource_version) == int(a.metadata.resource_version) + 1


def test_error_statuses_match_kube(api_client):
    core, apps = k8s.CoreV1Api(api_client), k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment("default", deployment())
    with pytest.raises(ApiException) as exists:
        apps.create_namespaced_deployment("default", deployment())
    body = status_of(exists.value)
    assert (exists.value.status, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'deployments.apps "web" already exists'
    assert body["details"] == {"name": "web", "group": "apps", "kind": "deployments"}

    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("nope", "default")
    assert status_of(missing.value)["message"] == 'configmaps "nope" not found'
    assert status_of(missing.value)["details"] == {"name": "nope", "kind": "configmaps"}

    with pytest.raises(ApiException) as no_ns:
        core.create_namespaced_config_map("ghost", configmap("x"))
    assert no_ns.value.status == 404
    assert status_of(no_ns.value)["message"] == 'namespaces "ghost" not found'

    with pytest.raises(ApiException) as bad_name:
        core.create_namespaced_config_map("default", configmap("Bad_Name"))
    assert bad_name.value.status == 422
    body = status_of(bad_name.value)
    assert body["reason"] == "Invalid"
    assert body["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid')
    assert body["details"]["causes"][0]["field"] == "metadata.name"

    with pytest.raises(ApiException) as nameless:
        core.create_namespaced_config_map("default", {"data": {"a": "b"}})
    assert status_of(nameless.value)["details"]["causes"][0]["reason"] == "FieldValueRequired"


def test_undecodable_body_and_unknown_method(raw):
    status, _, body = raw("POST", "/api/v1/namespaces/default/configmaps",
                          data=b"{not json", headers={"Content-Type": "application/json"})
    assert (status, body["reason"]) == (400, "BadRequest")
    status, _, body = raw("PUT", "/api/v1/namespaces/default/configmaps", body={})
    assert (status, body["reason"]) == (405, "MethodNotAllowed")


def test_replace_with_stale_resource_version_conflicts(api_client):
    """A ConfigMap, which no simulated controller writes: the only change between the reads and the
    writes is the test's own (a Deployment's status is bumped by the simulation at any time)."""
    core = k8s.CoreV1Api(api_client)
    first = core.create_namespaced_config_map("default", {"metadata": {"name": "web"}, "data": {"a": "1"}})
    stale_rv = first.metadata.resource_version
    current = core.read_namespaced_config_map("web", "default")
    assert current.metadata.resource_version == stale_rv
    current.data["a"] = "2"
    core.replace_namespaced_config_map("web", "default", current)
    current.metadata.resource_version = stale_rv
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("web", "default", current)
    body = status_of(err.value)
    assert (err.value.status, body["reason"]) == (409, "Conflict")
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "web": the object '
                               "has been modified; please apply your changes to the latest "
                               "version and try again")
    assert core.read_namespaced_config_map("web", "default").data == {"a": "2"}


def test_replace_of_a_deployment_with_a_stale_resource_version_names_its_group(api_client):
    """The write between is a patch (no resourceVersion precondition), so the simulated controller's
    own status updates cannot make it fail; the replace's version is stale whatever they do."""
    apps = k8s.AppsV1Api(api_client)
    created = apps.create_namespaced_deployment("default", deployment())
    apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"tier": "front"}}})
    created.metadata.labels["tier"] = "back"
    with pytest.raises(ApiException) as err:
        apps.replace_namespaced_deployment("web", "default", created)
    assert err.value.status == 409
    assert status_of(err.value)["message"].startswith('Operation cannot be fulfilled on deployments.apps "web"')
    assert apps.read_namespaced_deployment("web", "default").metadata.labels["tier"] == "front"


def test_generation_counts_spec_changes_only(api_client):
    apps = k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment("default", deployment())
    labelled = apps.patch_namespaced_deployment("web", "default",
                                                {"metadata": {"labels": {"x": "y"}}})
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 5}})
    assert scaled.metadata.generation == 2


def test_main_resource_writes_keep_status_and_status_writes_keep_spec(api_client):
    apps = k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment("default", dict(deployment(), status={"replicas": 9}))
    # The status in a create is dropped (controllers own it)
    status = apps.read_namespaced_deployment_status("web", "default").status
    assert status is None or status.replicas != 9
    patched = apps.patch_namespaced_deployment_status(
        "web", "default", {"spec": {"replicas": 7}, "status": {"observedGeneration": 42}})
    assert patched.status.observed_generation == 42 and patched.spec.replicas == 2
    body = apps.read_namespaced_deployment("web", "default")
    body.status.observed_generation = 1
    body.spec.replicas = 3
    replaced = apps.replace_namespaced_deployment("web", "default", body)
    assert replaced.spec.replicas == 3
    assert replaced.status.observed_generation == 42


def test_services_get_a_cluster_ip_that_later_writes_keep(api_client):
    core = k8s.CoreV1Api(api_client)
    svc = {"metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    created = core.create_namespaced_service("default", svc)
    ip = created.spec.cluster_ip
    assert ip.startswith("10.96.") and created.spec.ports[0].target_port == 80
    replaced = core.replace_namespaced_service("web", "default", svc)    # no clusterIP in body
    assert replaced.spec.cluster_ip == ip


def test_secret_string_data_is_stored_as_base64_data(api_client):
    core = k8s.CoreV1Api(api_client)
    secret = core.create_namespaced_secret(
        "default", {"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}})
    assert secret.data == {"password": "aHVudGVyMg=="} and secret.string_data is None
    assert secret.type == "Opaque"


# patches ------------------------------------------------------------------------------------

def test_json_merge_and_strategic_patches(api_client, raw):
    apps = k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment("default", deployment())
    json_patched = apps.patch_namespaced_deployment(
        "web", "default", [{"op": "replace", "path": "/spec/replicas", "value": 4}])
    assert json_patched.spec.replicas == 4
    # the client sends dict bodies as strategic merge patches: containers merge by name
    sidecar = {"spec": {"template": {"spec": {"containers": [{"name": "log", "image": "busybox"}]}}}}
    strategic = apps.patch_namespaced_deployment("web", "default", sidecar)
    assert [c.name for c in strategic.spec.template.spec.containers] == ["log", "app"] or \
        {c.name for c in strategic.spec.template.spec.containers} == {"app", "log"}
    merge = {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}}
    merged = raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                 data=json.dumps(merge).encode(),
                 headers={"Content-Type": "application/merge-patch+json"})[2]
    assert [c["name"] for c in merged["spec"]["template"]["spec"]["containers"]] == ["only"]


def test_patch_with_unknown_content_type_is_415(raw):
    raw("POST", "/api/v1/namespaces/default/configmaps", configmap("c"))
    status, _, body = raw("PATCH", "/api/v1/namespaces/default/configmaps/c", data=b"{}",
                          headers={"Content-Type": "text/plain"})
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")


def test_server_side_apply_creates_updates_and_reports_conflicts(api_client):
    dyn = DynamicClient(api_client)
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    created = deployments.server_side_apply(body=deployment(replicas=2), namespace="default",
                                            field_manager="karmadactl")
    assert created.metadata.generation == 1
    assert [(m.manager, m.operation) for m in created.metadata.managedFields] == \
        [("karmadactl", "Apply")]

    def with_status():
        """The Deployment once the simulated controller wrote its status (once, 20 ms after the spec)."""
        live = deployments.get(name=created.metadata.name, namespace="default")
        return live if (live.status or {}).get("observedGeneration") == 1 else None

    settled = waiting.until(with_status)
    again = deployments.server_side_apply(body=deployment(replicas=2), namespace="default",
                                          field_manager="karmadactl")
    assert again.metadata.resourceVersion == settled.metadata.resourceVersion   # no-op
    with pytest.raises(ApiException) as err:
        deployments.server_side_apply(body=deployment(replicas=5), namespace="default",
                                      field_manager="someone-else")
    body = status_of(err.value)
    assert (err.value.status, body["reason"]) == (409, "Conflict")
    assert "karmadactl" in body["message"] and ".spec.replicas" in body["message"]
    forced = deployments.server_side_apply(body=deployment(replicas=5), namespace="default",
                                           field_manager="someone-else", force_conflicts=True)
    assert forced.spec.replicas == 5 and forced.metadata.generation == 2


def test_apply_requires_a_field_manager(raw):
    status, _, body = raw("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                          data=json.dumps(deployment()).encode(),
                          headers={"Content-Type": "application/apply-patch+yaml"})
    assert (status, body["reason"]) == (422, "Invalid")


def test_dry_run_stores_nothing(api_client):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", configmap("dry"), dry_run="All")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("dry", "default")
    assert err.value.status == 404
    core.create_namespaced_config_map("default", configmap("wet"))
    core.patch_namespaced_config_map("wet", "default", {"data": {"k": "changed"}}, dry_run="All")
    assert core.read_namespaced_config_map("wet", "default").data == {"k": "v"}


def test_scale_subresource(api_client):
    apps = k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment("default", deployment(replicas=2))
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 2 and scale.status.selector == "app=web"
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 6}})
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 6


# delete -------------------------------------------------------------------------------------

def test_delete_returns_success_status_and_namespace_delete_cascades(api_client):
    core, apps = k8s.CoreV1Api(api_client), k8s.AppsV1Api(api_client)
    core.create_namespace({"metadata": {"name": "team-a"}})
    core.create_namespaced_config_map("team-a", configmap("cfg"))
    apps.create_namespaced_deployment("team-a", deployment())
    gone = apps.delete_namespaced_deployment("web", "team-a")
    if not isinstance(gone, dict):
        gone = gone.to_dict()
    assert (gone["status"], gone["details"]["name"], gone["details"]["kind"]) == \
        ("Success", "web", "deployments")
    core.delete_namespace("team-a")
    assert [n.metadata.name for n in core.list_namespace().items if n.metadata.name == "team-a"] == []
    assert core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=team-a").items == []
    with pytest.raises(ApiException) as err:
        core.delete_namespace("kube-system")
    assert err.value.status == 403


def test_finalizers_hold_deletion_until_removed(api_client):
    core = k8s.CoreV1Api(api_client)
    held = dict(configmap("held"), metadata={"name": "held", "finalizers": ["example.com/keep"]})
    core.create_namespaced_config_map("default", held)
    core.delete_namespaced_config_map("held", "default")
    still = core.read_namespaced_config_map("held", "default")
    assert still.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("held", "default")
    assert err.value.status == 404


def test_delete_collection_by_label(api_client, raw):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", configmap("a", {"drop": "yes"}))
    core.create_namespaced_config_map("default", configmap("b", {"drop": "no"}))
    status, _, body = raw("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=drop%3Dyes")
    assert status == 200 and [i["metadata"]["name"] for i in body["items"]] == ["a"]
    assert [c.metadata.name for c in core.list_namespaced_config_map("default").items] == ["b"]


# selectors ----------------------------------------------------------------------------------

def test_label_and_field_selectors_on_lists(api_client):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", configmap("a", {"env": "prod", "tier": "web"}))
    core.create_namespaced_config_map("default", configmap("b", {"env": "dev"}))
    core.create_namespaced_config_map("kube-system", configmap("c", {"env": "prod"}))

    def names(**kw):
        return sorted(i.metadata.name for i in core.list_config_map_for_all_namespaces(**kw).items)

    assert names(label_selector="env=prod") == ["a", "c"]
    assert names(label_selector="env!=prod") == ["b"]
    assert names(label_selector="env in (dev, staging)") == ["b"]
    assert names(label_selector="env notin (dev),tier") == ["a"]
    assert names(label_selector="!tier,env") == ["b", "c"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert names(field_selector="metadata.namespace!=default") == ["c"]
    with pytest.raises(ApiException) as err:
        names(field_selector="spec.whatever=1")
    assert err.value.status == 400


@pytest.mark.parametrize("selector, labels, selected", [
    ("", {}, True),
    ("a=1", {"a": "1"}, True),
    ("a==1", {"a": "2"}, False),
    ("a!=1", {}, True),
    ("a in (1, 2)", {"a": "2"}, True),
    ("a notin (1,2)", {"a": "1"}, False),
    ("a", {"a": ""}, True),
    ("!a", {"a": "x"}, False),
    ("a>3", {"a": "4"}, True),
    ("a<3", {"a": "4"}, False),
    ("app.kubernetes.io/name=web,tier in (fe)", {"app.kubernetes.io/name": "web", "tier": "fe"},
     True),
])
def test_label_selector_semantics(selector, labels, selected):
    from karmadactl.apis.labels import labels_match, parse_label_selector

    assert labels_match(parse_label_selector(selector), labels) is selected


@pytest.mark.parametrize("bad", ["a in (1", "a=b=c", "=x", "a in 1,2)", "bad key=1"])
def test_label_selector_rejects_malformed_text(bad):
    from karmadactl.apis.labels import SelectorError, parse_label_selector

    with pytest.raises(SelectorError):
        parse_label_selector(bad)


# watch --------------------------------------------------------------------------------------

def test_watch_streams_events_after_a_resource_version(api_client):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", configmap("before", {"w": "1"}))
    rv = core.list_namespaced_config_map("default").metadata.resource_version

    def writer():
        core.create_namespaced_config_map("default", configmap("c1", {"w": "1"}))
        core.create_namespaced_config_map("default", configmap("other", {"w": "2"}))
        core.patch_namespaced_config_map("c1", "default", {"data": {"k": "2"}})
        core.patch_namespaced_config_map("other", "default", {"metadata": {"labels": {"w": "1"}}})
        core.patch_namespaced_config_map("other", "default", {"metadata": {"labels": {"w": "3"}}})
        core.delete_namespaced_config_map("c1", "default")

    events = []
    thread = threading.Thread(target=writer)
    thread.start()
    for event in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                      resource_version=rv, label_selector="w=1",
                                      timeout_seconds=5):
        events.append((event["type"], event["object"].metadata.name))
        if events[-1] == ("DELETED", "c1"):
            break
    thread.join()
    # "other" enters and leaves the selector: ADDED then DELETED, as kube reports it
    assert events == [("ADDED", "c1"), ("MODIFIED", "c1"), ("ADDED", "other"),
                      ("DELETED", "other"), ("DELETED", "c1")]


def test_watch_from_zero_lists_current_objects_and_times_out(api_client):
    core = k8s.CoreV1Api(api_client)
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespace, resource_version="0", timeout_seconds=1)]
    assert sorted(events) == [("ADDED", n) for n in
                              ("default", "kube-node-lease", "kube-public", "kube-system")]


def test_watch_from_a_compacted_resource_version_is_410_gone():
    from karmadactl.sandbox.objects import ObjectStore

    store = ObjectStore(history=2)
    for name in ("a", "b", "c", "d"):
        store.put(("", "configmaps"), {"metadata": {"name": name, "namespace": "default"}})
    with pytest.raises(Exception) as err:
        store.watch(("", "configmaps"), None, since=1)
    assert err.value.code == 410
    replay = store.watch(("", "configmaps"), None, since=3)
    assert replay.queue.get_nowait().obj["metadata"]["name"] == "d"


# simulated workload status ------------------------------------------------------------------

def test_workload_status_settles_and_emits_modified(api_client, member):
    apps = k8s.AppsV1Api(api_client)
    created = apps.create_namespaced_deployment("default", deployment(replicas=3))
    seen = []
    for event in watch.Watch().stream(apps.list_namespaced_deployment, "default",
                                      resource_version=created.metadata.resource_version,
                                      timeout_seconds=5):
        seen.append(event)
        if event["type"] == "MODIFIED" and event["object"].status.ready_replicas == 3:
            break
    assert seen and seen[-1]["object"].status.ready_replicas == 3
    member.set_unhealthy("Deployment", "default", "web")
    unhealthy = wait_for(lambda: not apps.read_namespaced_deployment("web", "default")
                         .status.ready_replicas)
    assert unhealthy
    member.set_unhealthy("Deployment", "default", "web", False)
    assert wait_for(lambda: apps.read_namespaced_deployment("web", "default")
                    .status.ready_replicas == 3)


# custom resources ---------------------------------------------------------------------------

def test_crd_makes_its_kind_servable_and_deleting_it_removes_it(api_client, raw):
    ext = k8s.ApiextensionsV1Api(api_client)
    custom = k8s.CustomObjectsApi(api_client)
    crd = ext.create_custom_resource_definition(CRD)
    assert {c.type for c in crd.status.conditions} >= {"Established", "NamesAccepted"}
    found = {r["name"]: r for r in raw("GET", "/apis/example.com/v1")[2]["resources"]}
    assert found["widgets"]["shortNames"] == ["wdg"] and "widgets/status" in found
    widget = {"apiVersion": "example.com/v1", "kind": "Widget",
              "metadata": {"name": "w1"}, "spec": {"size": 3}, "status": {"ok": True}}
    created = custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets",
                                                     widget)
    assert created["spec"] == {"size": 3} and "status" not in created
    custom.patch_namespaced_custom_object_status("example.com", "v1", "default", "widgets", "w1",
                                                 {"status": {"ok": True}})
    listed = custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert listed["kind"] == "WidgetList" and listed["items"][0]["status"] == {"ok": True}
    widgets = DynamicClient(api_client).resources.get(api_version="example.com/v1", kind="Widget")
    assert widgets.get(name="w1", namespace="default").spec.size == 3

    ext.delete_custom_resource_definition("widgets.example.com")
    assert raw("GET", "/apis/example.com/v1")[0] == 404
    assert raw("GET", "/apis/example.com/v1/namespaces/default/widgets")[0] == 404
    assert "example.com" not in {g["name"] for g in raw("GET", "/apis")[2]["groups"]}


def test_an_unacceptable_crd_is_invalid(raw):
    bad = json.loads(json.dumps(CRD))
    bad["spec"]["versions"][0]["storage"] = False
    status, _, body = raw("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", bad)
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "spec.versions"
    assert raw("GET", "/apis/example.com/v1")[0] == 404


# faults -------------------------------------------------------------------------------------

def test_injected_errors_then_recovery(api_client, raw, member):
    core = k8s.CoreV1Api(api_client)
    member.inject(error_status=503, error_count=1)
    with pytest.raises(ApiException) as err:
        core.list_namespace()
    assert err.value.status == 503 and status_of(err.value)["kind"] == "Status"
    assert len(core.list_namespace().items) == 4
    member.inject(error_status=429, error_count=1)
    status, headers, body = raw("GET", "/api/v1/namespaces")
    assert (status, headers.get("Retry-After"), body["reason"]) == (429, "1", "TooManyRequests")


def test_latency_delays_answers(api_client, member):
    core = k8s.CoreV1Api(api_client)
    member.inject(latency=3.0)
    import urllib3
    with pytest.raises(urllib3.exceptions.HTTPError):
        core.list_namespace(_request_timeout=0.3)
    member.inject()
    assert len(core.list_namespace().items) == 4


def test_fail_refuses_connections_and_recover_keeps_port_and_data(api_client, member, raw):
    core = k8s.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", configmap("kept"))
    port = member.port
    member.fail()
    with pytest.raises(OSError):
        import socket
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    member.recover()
    assert member.port == port
    assert core.read_namespaced_config_map("kept", "default").data == {"k": "v"}


def test_fail_drops_an_open_watch(api_client, member):
    core = k8s.CoreV1Api(api_client)
    stream = watch.Watch().stream(core.list_namespace, timeout_seconds=30)
    next(stream)                                   # the watch is open
    member.fail()
    with pytest.raises(Exception):  # noqa: B017 (urllib3 or the client: whichever notices the cut)
        for _ in stream:                           # remaining synthetic events, then the cut
            pass
    member.recover()


# kubectl ------------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_get_apply_server_side_and_get_json(tmp_path):
    # kubectl sends bearer tokens only over TLS, so this member serves https
    m = Member("tls", nodes=1, settle_delay=0.02, tls=True)
    m.start()
    try:
        config = tmp_path / "kubeconfig"
        m.write_kubeconfig(config)
        manifest = tmp_path / "web.yaml"
        manifest.write_text(json.dumps(dict(deployment(), metadata={"name": "web",
                                                                     "namespace": "default"})))

        def kubectl(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(["kubectl", "--kubeconfig", str(config), *args],
                                  capture_output=True, text=True, timeout=60)

        got = kubectl("get", "ns")
        assert got.returncode == 0, got.stderr
        # a Table answer: kubectl shows the STATUS column of namespaces
        assert got.stdout.split("\n")[0].split() == ["NAME", "STATUS", "AGE"]
        assert ["kube-system", "Active"] == got.stdout.split("\n")[4].split()[:2]
        applied = kubectl("apply", "--server-side", "-f", str(manifest))
        assert applied.returncode == 0, applied.stderr
        assert "deployment.apps/web serverside-applied" in applied.stdout
        listed = kubectl("get", "deploy", "-o", "json")
        assert listed.returncode == 0, listed.stderr
        items = json.loads(listed.stdout)["items"]
        assert [i["metadata"]["name"] for i in items] == ["web"]
        assert items[0]["spec"]["replicas"] == 2
    finally:
        m.stop()


def test_start_on_a_taken_port_fails(member):
    other = Member("clash", port=member.port)
    with pytest.raises(OSError):
        other.start()


def test_serve_in_the_callers_loop_with_fail_and_recover():
    """The daemon's way: await serve() in its own loop and fail/recover from that loop."""
    import asyncio

    async def reachable(member: Member) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", member.port)
        except OSError:
            return False
        writer.close()
        return True

    async def scenario() -> list[bool]:
        m = Member("inloop", nodes=0)
        serving = asyncio.create_task(m.serve())
        for _ in range(500):
            if m.port and await reachable(m):
                break
            await asyncio.sleep(0.01)
        seen = [await reachable(m)]
        m.fail()
        seen.append(await reachable(m))
        await m.arecover()
        seen.append(await reachable(m))
        serving.cancel()
        try:
            await serving
        except asyncio.CancelledError:
            pass
        seen.append(await reachable(m))
        return seen

    assert asyncio.run(scenario()) == [True, False, True, False]
