"""Patch semantics of the sandbox member cluster: what a kubectl or client-go user sees."""

from __future__ import annotations

import copy

import pytest

from karmadactl.sandbox.fieldpaths import from_fields_v1, path_string, to_fields_v1
from karmadactl.sandbox.patch import (
    ApplyConflict,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    record_update,
    server_side_apply,
)

T0, T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", "2024-05-01T10:02:00Z"


def deployment(replicas=2, image="nginx:1.25", labels=None, containers=None) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels or {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers if containers is not None else [
                    {"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def pod(containers, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": containers, **spec}}


def entries(obj) -> dict[str, dict]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields", [])}


def owned(obj, manager) -> set[str]:
    return {path_string(p) for p in from_fields_v1(entries(obj)[manager]["fieldsV1"])}


# ---- strategic merge patch ------------------------------------------------------------------

SMP_CASES = [
    pytest.param(
        pod([{"name": "app", "image": "app:1"}, {"name": "side", "image": "side:1"}]),
        {"spec": {"containers": [{"name": "side", "image": "side:2"}]}},
        pod([{"name": "app", "image": "app:1"}, {"name": "side", "image": "side:2"}]),
        id="containers merge by name"),
    pytest.param(
        pod([{"name": "app", "image": "app:1"}]),
        {"spec": {"containers": [{"name": "log", "image": "log:1"}]}},
        pod([{"name": "app", "image": "app:1"}, {"name": "log", "image": "log:1"}]),
        id="new container appended"),
    pytest.param(
        pod([{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]),
        {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "value": "3"},
                                                         {"name": "C", "value": "4"}]}]}},
        pod([{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"},
                                     {"name": "C", "value": "4"}]}]),
        id="env merges by name"),
    pytest.param(
        pod([{"name": "app", "ports": [{"containerPort": 80, "name": "http"}]}]),
        {"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 443, "name": "https"},
                                                           {"containerPort": 80, "name": "web"}]}]}},
        pod([{"name": "app", "ports": [{"containerPort": 80, "name": "web"},
                                       {"containerPort": 443, "name": "https"}]}]),
        id="container ports merge by containerPort"),
    pytest.param(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
         "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}},
        {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
         "spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}},
        id="service ports merge by port"),
    pytest.param(
        pod([{"name": "app"}, {"name": "side"}]),
        {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}},
        pod([{"name": "app"}]),
        id="$patch delete removes one item"),
    pytest.param(
        pod([{"name": "app"}, {"name": "side"}]),
        {"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}},
        pod([{"name": "only", "image": "x"}]),
        id="$patch replace replaces the list"),
    pytest.param(
        {**deployment(), "spec": {"strategy": {"type": "RollingUpdate",
                                               "rollingUpdate": {"maxSurge": 1}}}},
        {"spec": {"strategy": {"$patch": "delete"}}},
        {**deployment(), "spec": {}},
        id="$patch delete removes a map"),
    pytest.param(
        {**deployment(), "spec": {"strategy": {"type": "RollingUpdate",
                                               "rollingUpdate": {"maxSurge": 1}}}},
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        {**deployment(), "spec": {"strategy": {"type": "Recreate"}}},
        id="$retainKeys clears other keys"),
    pytest.param(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["c", "a"]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
                                                               "finalizers": ["a", "b", "c"]}},
        id="finalizers merge as a set"),
    pytest.param(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a", "b"]}},
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["b"]}},
        id="$deleteFromPrimitiveList"),
    pytest.param(
        pod([{"name": "a"}, {"name": "b"}, {"name": "c"}]),
        {"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
                  "containers": [{"name": "c", "image": "c:2"}]}},
        pod([{"name": "c", "image": "c:2"}, {"name": "a"}, {"name": "b"}]),
        id="$setElementOrder orders the list"),
    pytest.param(
        pod([{"name": "a"}], tolerations=[{"key": "x", "operator": "Exists"}]),
        {"spec": {"tolerations": [{"key": "y", "operator": "Exists"}]}},
        pod([{"name": "a"}], tolerations=[{"key": "y", "operator": "Exists"}]),
        id="tolerations are replaced"),
    pytest.param(
        pod([{"name": "a", "args": ["--x"], "image": "a:1"}]),
        {"spec": {"containers": [{"name": "a", "args": ["--y"], "image": None}]}},
        pod([{"name": "a", "args": ["--y"]}]),
        id="scalar lists replaced, null deletes"),
    pytest.param(
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
         "spec": {"items": [{"name": "a", "size": 1}, {"name": "b"}]}},
        {"spec": {"items": [{"name": "a", "size": 2}]}},
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
         "spec": {"items": [{"name": "a", "size": 2}]}},
        id="custom resource lists are replaced"),
    pytest.param(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "ownerReferences": [
            {"uid": "1", "name": "a"}, {"uid": "2", "name": "b"}]}},
        {"metadata": {"ownerReferences": [{"uid": "2", "name": "bb"}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "ownerReferences": [
            {"uid": "1", "name": "a"}, {"uid": "2", "name": "bb"}]}},
        id="ownerReferences merge by uid"),
]


@pytest.mark.parametrize("obj,patch,want", SMP_CASES)
def test_strategic_merge_patch(obj, patch, want):
    before = copy.deepcopy(obj)
    assert apply_strategic_merge_patch(obj, patch) == want
    assert obj == before, "the input object must not be changed"


@pytest.mark.parametrize("patch", [
    pytest.param({"spec": {"containers": [{"image": "x"}]}}, id="item without merge key"),
    pytest.param({"spec": {"containers": [{"name": "a", "$patch": "bogus"}]}}, id="unknown directive"),
    pytest.param({"spec": {"$patch": "bogus"}}, id="unknown map directive"),
    pytest.param({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}},
                 id="key outside $retainKeys"),
    pytest.param(["not", "a", "map"], id="patch is not an object"),
])
def test_strategic_merge_patch_errors(patch):
    with pytest.raises(PatchError):
        apply_strategic_merge_patch(pod([{"name": "a"}]), patch)


# ---- JSON merge patch and JSON patch --------------------------------------------------------

@pytest.mark.parametrize("obj,patch,want", [
    ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}}, {"a": 1, "b": {"d": 3, "e": 4}}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ({"a": {"b": 1}}, {"a": None}, {}),
    ({"a": 1}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}),
])
def test_merge_patch(obj, patch, want):
    before = copy.deepcopy(obj)
    assert apply_merge_patch(obj, patch) == want
    assert obj == before


def test_merge_patch_list_of_containers_is_replaced():
    got = apply_merge_patch(pod([{"name": "a"}, {"name": "b"}]),
                            {"spec": {"containers": [{"name": "b", "image": "b:2"}]}})
    assert got["spec"]["containers"] == [{"name": "b", "image": "b:2"}]


def test_json_patch_applies_operations():
    obj = deployment()
    got = apply_json_patch(obj, [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
        {"op": "remove", "path": "/spec/template/spec/containers/0/ports"},
        {"op": "test", "path": "/spec/replicas", "value": 5},
    ])
    assert got["spec"]["replicas"] == 5
    assert got["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert "ports" not in got["spec"]["template"]["spec"]["containers"][0]
    assert obj == deployment()


@pytest.mark.parametrize("ops", [
    pytest.param([{"op": "test", "path": "/spec/replicas", "value": 9}], id="test fails"),
    pytest.param([{"op": "remove", "path": "/spec/nothing"}], id="remove missing path"),
    pytest.param([{"op": "replace", "path": "/spec/template/spec/containers/7/image",
                   "value": "x"}], id="index out of range"),
    pytest.param([{"op": "jump", "path": "/spec"}], id="unknown op"),
    pytest.param([{"path": "/spec"}], id="op missing"),
    pytest.param([{"op": "add", "path": "", "value": [1]}], id="result not an object"),
    pytest.param({"op": "add"}, id="not a list"),
])
def test_json_patch_errors(ops):
    with pytest.raises(PatchError):
        apply_json_patch(deployment(), ops)


# ---- server-side apply ----------------------------------------------------------------------

DEPLOYMENT_APPLY_FIELDS = {
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                ".": {}, "f:image": {}, "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {
                    ".": {}, "f:containerPort": {}}}}}},
        },
    },
}


def test_apply_creates_object_with_kube_managed_fields():
    obj = server_side_apply(None, deployment(), "karmada", False, T0)
    assert obj["spec"] == deployment()["spec"]
    assert obj["metadata"]["managedFields"] == [{
        "manager": "karmada", "operation": "Apply", "apiVersion": "apps/v1", "time": T0,
        "fieldsType": "FieldsV1", "fieldsV1": DEPLOYMENT_APPLY_FIELDS}]


def test_update_on_create_owns_every_field_like_kube():
    obj = record_update(None, deployment(), "kubectl-create", T0)
    (entry,) = obj["metadata"]["managedFields"]
    assert (entry["operation"], entry["apiVersion"], entry["time"]) == ("Update", "apps/v1", T0)
    fields = entry["fieldsV1"]
    # a map the write created is itself owned ("."), Go value structs (spec, template) are not
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    assert "." not in fields["f:spec"] and "." not in fields["f:spec"]["f:template"]
    ports = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']["f:ports"]
    assert ports == {".": {}, 'k:{"containerPort":80,"protocol":"TCP"}': {
        ".": {}, "f:containerPort": {}}}


def test_reapply_removes_fields_the_applier_dropped():
    first = deployment(labels={"app": "web", "tier": "front"}, containers=[
        {"name": "nginx", "image": "nginx:1"}, {"name": "log", "image": "log:1"}])
    live = server_side_apply(None, first, "karmada", False, T0)
    second = deployment(labels={"app": "web"}, containers=[{"name": "nginx", "image": "nginx:2"}])
    del second["spec"]["replicas"]
    obj = server_side_apply(live, second, "karmada", False, T1)
    assert obj["metadata"]["labels"] == {"app": "web"}
    assert obj["spec"]["template"]["spec"]["containers"] == [{"name": "nginx", "image": "nginx:2"}]
    assert "replicas" not in obj["spec"]
    assert ".spec.replicas" not in owned(obj, "karmada")
    assert entries(obj)["karmada"]["time"] == T1


def test_reapply_of_same_config_keeps_object_and_time():
    live = server_side_apply(None, deployment(), "karmada", False, T0)
    again = server_side_apply(live, deployment(), "karmada", False, T1)
    assert again == live


def test_conflict_with_update_manager_and_force():
    live = server_side_apply(None, deployment(replicas=2), "karmada", False, T0)
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5
    live = record_update(live, scaled, "kubectl-client-side-apply", T1)
    assert ".spec.replicas" in owned(live, "kubectl-client-side-apply")
    assert ".spec.replicas" not in owned(live, "karmada")

    with pytest.raises(ApplyConflict) as err:
        server_side_apply(live, deployment(replicas=3), "karmada", False, T2)
    assert str(err.value) == ('Apply failed with 1 conflict: conflict with '
                              '"kubectl-client-side-apply" using apps/v1: .spec.replicas')
    assert err.value.conflicts == [("kubectl-client-side-apply", ".spec.replicas")]

    forced = server_side_apply(live, deployment(replicas=3), "karmada", True, T2)
    assert forced["spec"]["replicas"] == 3
    assert ".spec.replicas" in owned(forced, "karmada")
    # the other manager owned nothing else, so its entry is gone
    assert "kubectl-client-side-apply" not in entries(forced)


def test_conflicts_between_appliers_list_every_field():
    live = server_side_apply(None, deployment(replicas=2, image="nginx:1"), "alice", False, T0)
    with pytest.raises(ApplyConflict) as err:
        server_side_apply(live, deployment(replicas=4, image="nginx:2"), "bob", False, T1)
    assert str(err.value) == (
        'Apply failed with 2 conflicts: conflicts with "alice":\n'
        '- .spec.replicas\n'
        '- .spec.template.spec.containers[name="nginx"].image')
    assert live["spec"]["replicas"] == 2, "a refused apply changes nothing"


def test_same_value_from_two_appliers_is_shared():
    live = server_side_apply(None, deployment(replicas=2), "alice", False, T0)
    live = server_side_apply(live, deployment(replicas=2), "bob", False, T1)
    assert ".spec.replicas" in owned(live, "alice") and ".spec.replicas" in owned(live, "bob")
    # bob stops applying replicas: alice still owns it, so it stays
    without = deployment()
    del without["spec"]["replicas"]
    obj = server_side_apply(live, without, "bob", False, T2)
    assert obj["spec"]["replicas"] == 2
    assert ".spec.replicas" not in owned(obj, "bob")


def test_fields_of_update_managers_survive_apply():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    live = server_side_apply(None, svc, "karmada", False, T0)
    allocated = copy.deepcopy(live)
    allocated["spec"]["clusterIP"] = "10.0.0.7"
    live = record_update(live, allocated, "kube-apiserver", T0)
    hpa = server_side_apply(None, deployment(replicas=2), "karmada", False, T0)
    scaled = copy.deepcopy(hpa)
    scaled["spec"]["replicas"] = 7
    hpa = record_update(hpa, scaled, "kube-controller-manager", T1)

    svc2 = copy.deepcopy(svc)
    svc2["spec"]["ports"][0]["targetPort"] = 9090
    obj = server_side_apply(live, svc2, "karmada", False, T1)
    assert obj["spec"]["clusterIP"] == "10.0.0.7"
    assert obj["spec"]["ports"] == [{"port": 80, "targetPort": 9090}]

    without = deployment(image="nginx:2")
    del without["spec"]["replicas"]
    dep = server_side_apply(hpa, without, "karmada", False, T2)
    assert dep["spec"]["replicas"] == 7
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"


def test_apply_keeps_items_others_added_to_associative_lists():
    live = server_side_apply(None, deployment(), "karmada", False, T0)
    injected = copy.deepcopy(live)
    injected["spec"]["template"]["spec"]["containers"].append({"name": "istio-proxy", "image": "p"})
    injected["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "value": "1"}]
    live = record_update(live, injected, "sidecar-injector", T1)
    obj = server_side_apply(live, deployment(image="nginx:2"), "karmada", False, T2)
    assert obj["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx:2", "ports": [{"containerPort": 80}],
         "env": [{"name": "X", "value": "1"}]},
        {"name": "istio-proxy", "image": "p"}]
    # dropping the nginx container keeps it (another manager owns its env), minus what karmada owned
    obj = server_side_apply(obj, deployment(containers=[]), "karmada", False, T2)
    assert obj["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "env": [{"name": "X", "value": "1"}]}, {"name": "istio-proxy", "image": "p"}]


def test_apply_ignores_status_and_server_metadata():
    live = server_side_apply(None, deployment(), "karmada", False, T0)
    live["metadata"].update(uid="u-1", resourceVersion="7", creationTimestamp=T0, generation=1)
    live["status"] = {"replicas": 2}
    applied = deployment(replicas=3)
    applied["status"] = {"replicas": 99}
    applied["metadata"]["uid"] = "other"
    obj = server_side_apply(live, applied, "karmada", False, T1)
    assert obj["status"] == {"replicas": 2}
    assert obj["metadata"]["uid"] == "u-1" and obj["metadata"]["resourceVersion"] == "7"
    assert not any(p.startswith((".status", ".metadata.uid", ".metadata.name"))
                   for p in owned(obj, "karmada"))


@pytest.mark.parametrize("containers,message", [
    ([{"name": "a"}, {"name": "a"}], 'duplicate entries for key [name="a"]'),
    ([{"image": "x"}], 'omits key field "name"'),
])
def test_apply_rejects_invalid_associative_lists(containers, message):
    with pytest.raises(PatchError, match=message.replace("[", r"\[").replace("]", r"\]")):
        server_side_apply(None, deployment(containers=containers), "karmada", False, T0)


def test_custom_resource_lists_are_atomic_in_apply():
    cr = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
          "spec": {"items": [{"name": "a"}], "size": 1}}
    obj = server_side_apply(None, cr, "karmada", False, T0)
    assert entries(obj)["karmada"]["fieldsV1"] == {"f:spec": {"f:items": {}, "f:size": {}}}
    cr2 = copy.deepcopy(cr)
    cr2["spec"]["items"] = [{"name": "b"}]
    assert server_side_apply(obj, cr2, "karmada", False, T1)["spec"]["items"] == [{"name": "b"}]


# ---- record_update --------------------------------------------------------------------------

def test_update_takes_changed_fields_from_other_managers():
    live = server_side_apply(None, deployment(), "karmada", False, T0)
    edited = copy.deepcopy(live)
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:edited"
    edited["metadata"]["labels"]["owner"] = "me"
    obj = record_update(live, edited, "kubectl-edit", T1)
    assert owned(obj, "kubectl-edit") == {
        '.spec.template.spec.containers[name="nginx"].image', ".metadata.labels.owner"}
    assert '.spec.template.spec.containers[name="nginx"].image' not in owned(obj, "karmada")
    assert [e["operation"] for e in obj["metadata"]["managedFields"]] == ["Apply", "Update"]
    assert obj["metadata"]["managedFields"][1]["time"] == T1


def test_update_without_changes_keeps_managed_fields():
    live = server_side_apply(None, deployment(), "karmada", False, T0)
    assert record_update(live, copy.deepcopy(live), "kubectl-edit", T1) == live


def test_status_update_is_recorded_for_the_subresource():
    live = record_update(None, deployment(), "kubectl-create", T0)
    with_status = copy.deepcopy(live)
    with_status["status"] = {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
    with_status["spec"]["replicas"] = 9          # ignored: not part of the status subresource
    obj = record_update(live, with_status, "kube-controller-manager", T1, subresource="status")
    entry = entries(obj)["kube-controller-manager"]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {
        "f:conditions": {".": {}, 'k:{"type":"Available"}': {".": {}, "f:status": {}, "f:type": {}}},
        "f:replicas": {}}}
    assert ".spec.replicas" in owned(obj, "kubectl-create")


def test_sent_managed_fields_reset():
    live = server_side_apply(None, deployment(), "karmada", False, T0)
    edited = copy.deepcopy(live)
    edited["metadata"]["managedFields"] = [{}]
    assert "managedFields" not in record_update(live, edited, "kubectl", T1)["metadata"]


# ---- FieldsV1 -------------------------------------------------------------------------------

def test_fields_v1_round_trip_and_display():
    paths = {("f:spec", "f:replicas"), ("f:metadata", "f:labels"),
             ("f:metadata", "f:labels", "f:app"),
             ("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'),
             ("f:metadata", "f:finalizers", 'v:"example.com/x"')}
    tree = to_fields_v1(paths)
    assert tree["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    assert from_fields_v1(tree) == paths
    assert path_string(("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}', "f:name")) == \
        '.spec.ports[port=80,protocol="TCP"].name'
    assert path_string(("f:metadata", "f:finalizers", 'v:"example.com/x"')) == \
        '.metadata.finalizers[="example.com/x"]'
