"""Override policies applied to manifests: image parser, each overrider kind, ordering across policies."""

from __future__ import annotations

import copy

import pytest
import yaml

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.override import (
    CommandArgsOverrider,
    FieldOverrider,
    ImageOverrider,
    LabelAnnotationOverrider,
    OverridePolicy,
    PatchOp,
    PlaintextOverrider,
)
from karmadactl.apis.wellknown import APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES
from karmadactl.overrides import OverrideError
from karmadactl.overrides.image import ImageRef, apply_component, parse_image
from karmadactl.overrides.manager import applicable, apply_overrides
from karmadactl.overrides.overriders import (
    apply_annotations_overriders,
    apply_args_overriders,
    apply_command_overriders,
    apply_field_overriders,
    apply_image_overriders,
    apply_labels_overriders,
    apply_plaintext_overriders,
)

DIGEST = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"


# ---------------------------------------------------------------- image parser

@pytest.mark.parametrize("reference, expected", [
    ("nginx", ImageRef("", "nginx")),
    ("pause", ImageRef("", "pause")),
    ("nginx:1.27", ImageRef("", "nginx", "1.27")),
    ("library/nginx:1.27", ImageRef("", "library/nginx", "1.27")),             # no docker.io normalisation
    ("a/b/c:tag", ImageRef("", "a/b/c", "tag")),
    ("myregistry:5000/app:v1", ImageRef("myregistry:5000", "app", "v1")),
    ("localhost/app", ImageRef("localhost", "app")),
    ("localhost:5000/team/app:2", ImageRef("localhost:5000", "team/app", "2")),
    ("fictional.registry.example/imagename:v1.0.0", ImageRef("fictional.registry.example", "imagename", "v1.0.0")),
    ("10.10.10.10:10443/subpath/imagename", ImageRef("10.10.10.10:10443", "subpath/imagename")),
    (f"fictional.registry.example:10443/subpath/imagename@{DIGEST}",
     ImageRef("fictional.registry.example:10443", "subpath/imagename", "", DIGEST)),
])
def test_parse_image_and_print_it_back(reference, expected):
    ref = parse_image(reference)
    assert ref == expected
    assert str(ref) == reference


def test_tag_wins_over_digest():
    ref = parse_image(f"nginx:1.27@{DIGEST}")
    assert (ref.tag, ref.digest, str(ref)) == ("1.27", "", "nginx:1.27")


@pytest.mark.parametrize("reference, problem", [
    ("", "repository name must have at least one component"),
    ("Nginx:1.0", "repository name must be lowercase"),
    ("nginx:", "invalid reference format"),
    ("a//b", "invalid reference format"),
    ("nginx@sha256:abcd", "invalid reference format"),
    ("nginx@sha256:" + "a" * 40, "invalid checksum digest length"),
])
def test_invalid_image_references(reference, problem):
    with pytest.raises(OverrideError, match=problem):
        parse_image(reference)


IMAGE = "fictional.registry.example/imagename:v1.0.0"


@pytest.mark.parametrize("component, operator, value, expected", [
    ("Registry", "add", ".test", "fictional.registry.example.test/imagename:v1.0.0"),
    ("Registry", "replace", "fictional.registry.us", "fictional.registry.us/imagename:v1.0.0"),
    ("Registry", "remove", "", "imagename:v1.0.0"),
    ("Repository", "add", "/nginx", "fictional.registry.example/imagename/nginx:v1.0.0"),
    ("Repository", "replace", "nginx", "fictional.registry.example/nginx:v1.0.0"),
    ("Repository", "remove", "", "fictional.registry.example/:v1.0.0"),
    ("Tag", "add", DIGEST, IMAGE),                                  # "v1.0.0sha256:..." is neither: no change
    ("Tag", "add", "-alpine", "fictional.registry.example/imagename:v1.0.0-alpine"),
    ("Tag", "replace", DIGEST, f"fictional.registry.example/imagename@{DIGEST}"),
    ("Tag", "replace", "v2", "fictional.registry.example/imagename:v2"),
    ("Tag", "remove", "", "fictional.registry.example/imagename"),
])
def test_apply_component_karmada_cases(component, operator, value, expected):
    assert str(apply_component(parse_image(IMAGE), component, operator, value)) == expected


def test_apply_component_on_bare_names():
    assert str(apply_component(parse_image("k8s.gcr.io/pause"), "Registry", "add", "-mirror")) == \
        "k8s.gcr.io-mirror/pause"
    assert str(apply_component(parse_image("perl:5.34.0"), "Registry", "add", "registry.k8s.io")) == \
        "registry.k8s.io/perl:5.34.0"
    assert str(apply_component(parse_image("nginx"), "Tag", "add", "1.27")) == "nginx:1.27"
    digested = parse_image(f"nginx@{DIGEST}")
    assert str(apply_component(digested, "Tag", "replace", "1.27")) == "nginx:1.27"
    assert str(apply_component(digested, "Tag", "remove", "")) == "nginx"


# ---------------------------------------------------------------- manifests

def workload(kind: str = "Deployment", images: tuple[str, ...] = (IMAGE,), **extra) -> dict:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    if kind == "Pod":
        spec: dict = {"containers": containers}
    else:
        spec = {"replicas": 2, "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": containers}}}
    return {"apiVersion": "v1" if kind == "Pod" else "apps/v1", "kind": kind,
            "metadata": {"name": "nginx", "namespace": "default", **extra}, "spec": spec}


def containers_of(manifest: dict) -> list[dict]:
    spec = manifest["spec"]
    return spec["containers"] if manifest["kind"] == "Pod" else spec["template"]["spec"]["containers"]


# ---------------------------------------------------------------- imageOverrider

@pytest.mark.parametrize("kind", ["Pod", "ReplicaSet", "Deployment", "DaemonSet", "StatefulSet", "Job"])
def test_image_overrider_rewrites_every_container_of_workload_kinds(kind):
    manifest = workload(kind, images=(IMAGE, "registry.k8s.io/nginx-slim:0.8"))
    changes = apply_image_overriders(manifest, [ImageOverrider("Repository", "replace", "nginx")])
    assert [c["image"] for c in containers_of(manifest)] == ["fictional.registry.example/nginx:v1.0.0",
                                                            "registry.k8s.io/nginx:0.8"]
    assert changes == ["image fictional.registry.example/imagename:v1.0.0 -> fictional.registry.example/nginx:v1.0.0",
                       "image registry.k8s.io/nginx-slim:0.8 -> registry.k8s.io/nginx:0.8"]


def test_image_overrider_leaves_init_containers_and_other_kinds_alone():
    manifest = workload()
    manifest["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": "busybox"}]
    apply_image_overriders(manifest, [ImageOverrider("Registry", "replace", "mirror.io")])
    assert manifest["spec"]["template"]["spec"]["initContainers"][0]["image"] == "busybox"
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
               "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "busybox"}]}}}}}}
    before = copy.deepcopy(cronjob)
    assert apply_image_overriders(cronjob, [ImageOverrider("Registry", "replace", "mirror.io")]) == []
    assert cronjob == before


def test_image_overrider_with_predicate_touches_only_that_path_of_any_kind():
    manifest = workload(images=("perl:5.34.0", "nginx:1.27"))
    apply_image_overriders(manifest, [ImageOverrider("Registry", "add", "registry.k8s.io",
                                                     "/spec/template/spec/containers/1/image")])
    assert [c["image"] for c in containers_of(manifest)] == ["perl:5.34.0", "registry.k8s.io/nginx:1.27"]
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"image": "busybox"}]}}}}}}
    path = "/spec/jobTemplate/spec/template/spec/containers/0/image"
    apply_image_overriders(cronjob, [ImageOverrider("Tag", "replace", "1.36", path)])
    assert cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"


def test_image_overrider_errors_name_the_path():
    with pytest.raises(OverrideError, match=r"predicate path /spec/template/spec/containers/5/image: path not found"):
        apply_image_overriders(workload(), [ImageOverrider("Tag", "remove", "",
                                                           "/spec/template/spec/containers/5/image")])
    with pytest.raises(OverrideError, match=r"/spec/containers/0/image: .*must be lowercase"):
        apply_image_overriders(workload("Pod", images=("Bad/Image",)), [ImageOverrider("Tag", "remove")])
    with pytest.raises(OverrideError, match=r"/spec/replicas: the image is not a string"):
        apply_image_overriders(workload(), [ImageOverrider("Tag", "remove", "", "/spec/replicas")])


# ---------------------------------------------------------------- command / args

def test_command_add_appends_and_creates_the_list():
    manifest = workload(images=("a", "b"))
    containers_of(manifest)[0]["command"] = ["/bin/app"]
    changes = apply_command_overriders(manifest, [CommandArgsOverrider("c0", "add", ["--cluster=m1"]),
                                                  CommandArgsOverrider("c1", "add", ["/bin/sh", "-c"])])
    assert containers_of(manifest)[0]["command"] == ["/bin/app", "--cluster=m1"]
    assert containers_of(manifest)[1]["command"] == ["/bin/sh", "-c"]
    assert changes == ["command of container c0: added --cluster=m1", "command of container c1: added /bin/sh -c"]


def test_args_remove_drops_every_equal_item_and_leaves_other_containers():
    manifest = workload("Pod", images=("a", "b"))
    containers_of(manifest)[0]["args"] = ["--debug", "--port=80", "--debug", "--v=2"]
    containers_of(manifest)[1]["args"] = ["--debug"]
    changes = apply_args_overriders(manifest, [CommandArgsOverrider("c0", "remove", ["--debug", "--v=2", "--x"])])
    assert containers_of(manifest)[0]["args"] == ["--port=80"]
    assert containers_of(manifest)[1]["args"] == ["--debug"]
    assert changes == ["args of container c0: removed --debug --debug --v=2"]


def test_args_remove_on_missing_list_leaves_an_empty_list_like_karmada():
    manifest = workload()
    assert apply_args_overriders(manifest, [CommandArgsOverrider("c0", "remove", ["--x"])]) == []
    assert containers_of(manifest)[0]["args"] == []


def test_command_overrider_ignores_unknown_containers_and_kinds():
    manifest = workload()
    before = copy.deepcopy(manifest)
    apply_command_overriders(manifest, [CommandArgsOverrider("nope", "add", ["x"])])
    assert manifest == before
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}}
    apply_command_overriders(service, [CommandArgsOverrider("c0", "add", ["x"])])
    assert service["spec"] == {}


# ---------------------------------------------------------------- labels / annotations (Karmada's cases)

def labelled(labels: dict | None) -> dict:
    manifest = workload()
    if labels is not None:
        manifest["metadata"]["labels"] = dict(labels)
    return manifest


@pytest.mark.parametrize("start, operator, value, expected, lines", [
    (None, "add", {"test2": "test2"}, {"test2": "test2"}, ["label test2=test2 added"]),
    ({"foo": "foo", "bar": "bar"}, "replace", {"foo": "exist", "non-exist": "non-exist"},
     {"foo": "exist", "bar": "bar"}, ["label foo=exist replaced (was foo)"]),
    ({"foo": "foo", "bar": "bar"}, "add", {"test": "test"}, {"test": "test", "foo": "foo", "bar": "bar"},
     ["label test=test added"]),
    ({"foo": "foo", "bar": "bar"}, "remove", {"foo": "foo", "non-exist": "non-exist"}, {"bar": "bar"},
     ["label foo removed"]),
    ({"foo": "foo", "bar": "bar"}, "remove", {}, {"foo": "foo", "bar": "bar"}, []),
    ({"foo": "foo", "bar": "bar"}, "replace", {"test": "test"}, {"foo": "foo", "bar": "bar"}, []),
    (None, "replace", {"test": "test"}, None, []),
])
def test_labels_overrider(start, operator, value, expected, lines):
    manifest = labelled(start)
    assert apply_labels_overriders(manifest, [LabelAnnotationOverrider(operator, value)]) == lines
    assert manifest["metadata"].get("labels") == expected


def test_annotations_with_slash_in_key():
    manifest = workload(annotations={"foo": "foo"})
    apply_annotations_overriders(manifest, [LabelAnnotationOverrider("add", {"testannotation/projectId": "c-m:p"})])
    assert manifest["metadata"]["annotations"] == {"foo": "foo", "testannotation/projectId": "c-m:p"}
    apply_annotations_overriders(manifest, [LabelAnnotationOverrider("remove", {"testannotation/projectId": ""})])
    assert manifest["metadata"]["annotations"] == {"foo": "foo"}


# ---------------------------------------------------------------- fieldOverrider

def configmap(**data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
            "data": dict(data)}


def test_field_overrider_yaml():
    manifest = configmap(**{"db-config.yaml": "database:\n  host: localhost\n  port: 3306\n  tags: [a]\n"})
    changes = apply_field_overriders(manifest, [FieldOverrider("/data/db-config.yaml", yaml=[
        PatchOp("/database/port", "replace", 3307),
        PatchOp("/database/tags/-", "add", "b"),
        PatchOp("/database/host", "remove")])])
    assert manifest["data"]["db-config.yaml"] == "database:\n  port: 3307\n  tags:\n  - a\n  - b\n"
    assert yaml.safe_load(manifest["data"]["db-config.yaml"]) == {"database": {"port": 3307, "tags": ["a", "b"]}}
    assert changes == ["field /data/db-config.yaml: yaml replace /database/port",
                       "field /data/db-config.yaml: yaml add /database/tags/-",
                       "field /data/db-config.yaml: yaml remove /database/host"]


def test_field_overrider_json_keeps_key_order_and_is_compact():
    manifest = configmap(**{"config.json": '{"db": {"host": "localhost", "port": 3306}, "debug": false}'})
    apply_field_overriders(manifest, [FieldOverrider("/data/config.json", json=[
        PatchOp("/db/host", "replace", "db.eu.example.com"), PatchOp("/db/ssl", "add", {"mode": "require"})])])
    assert manifest["data"]["config.json"] == \
        '{"db":{"host":"db.eu.example.com","port":3306,"ssl":{"mode":"require"}},"debug":false}'


@pytest.mark.parametrize("manifest, overrider, problem", [
    (workload(), FieldOverrider("/spec/replicas", yaml=[PatchOp("/a", "remove")]),
     "fieldOverrider /spec/replicas: the field is not a string"),
    (configmap(a="x: 1"), FieldOverrider("/data/b", yaml=[PatchOp("/x", "remove")]),
     "fieldOverrider /data/b: path not found"),
    (configmap(a="{not json"), FieldOverrider("/data/a", json=[PatchOp("/x", "remove")]),
     r"fieldOverrider /data/a: the field is not valid JSON \(line 1, column 2\)"),
    (configmap(a="a: [1"), FieldOverrider("/data/a", yaml=[PatchOp("/x", "remove")]),
     "fieldOverrider /data/a: the field is not valid YAML"),
    (configmap(a="x: 1"), FieldOverrider("/data/a", yaml=[PatchOp("/y/z", "add", 1)]),
     "fieldOverrider /data/a yaml add /y/z: path not found"),
])
def test_field_overrider_errors(manifest, overrider, problem):
    with pytest.raises(OverrideError, match=problem):
        apply_field_overriders(manifest, [overrider])


# ---------------------------------------------------------------- plaintext

def test_plaintext_patch_in_order():
    manifest = workload()
    changes = apply_plaintext_overriders(manifest, [
        PlaintextOverrider("/spec/replicas", "replace", 5),
        PlaintextOverrider("/metadata/annotations", "add", {"a": "b"}),
        PlaintextOverrider("/metadata/annotations/c~1d", "add", "e"),
        PlaintextOverrider("/spec/template/metadata", "remove")])
    assert manifest["spec"]["replicas"] == 5
    assert manifest["metadata"]["annotations"] == {"a": "b", "c/d": "e"}
    assert "metadata" not in manifest["spec"]["template"]
    assert changes == ["patch replace /spec/replicas", "patch add /metadata/annotations",
                       "patch add /metadata/annotations/c~1d", "patch remove /spec/template/metadata"]


@pytest.mark.parametrize("overrider, problem", [
    (PlaintextOverrider("/spec/nothere", "replace", 1), "plaintext replace /spec/nothere: path not found"),
    (PlaintextOverrider("/spec/nothere", "remove"), "plaintext remove /spec/nothere: path not found"),
    (PlaintextOverrider("/spec/a/b", "add", 1), "plaintext add /spec/a/b: path not found"),
    (PlaintextOverrider("/spec/template/spec/containers/3", "replace", {}),
     "plaintext replace /spec/template/spec/containers/3: index out of range"),
    (PlaintextOverrider("/spec/template/spec/containers/x", "add", {}),
     'plaintext add /spec/template/spec/containers/x: "x" is not an array index'),
    (PlaintextOverrider("/spec/replicas/x", "add", 1), "plaintext add /spec/replicas/x: path not found"),
])
def test_plaintext_invalid_paths(overrider, problem):
    with pytest.raises(OverrideError) as info:
        apply_plaintext_overriders(workload(), [overrider])
    assert str(info.value) == problem


# ---------------------------------------------------------------- policies, ordering, results

def policy(name: str, overriders: dict, *, kind: str = "OverridePolicy", namespace: str = "default",
           selectors: list[dict] | None = None, rules: list[dict] | None = None) -> OverridePolicy:
    spec: dict = {"overrideRules": rules or [{"overriders": overriders}]}
    if selectors is not None:
        spec["resourceSelectors"] = selectors
    return OverridePolicy.from_dict({"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind,
                                     "metadata": {"name": name, "namespace": namespace}, "spec": spec})


def set_replicas(n: int) -> dict:
    return {"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": n}]}


def mark(value: str) -> dict:
    return {"annotationsOverrider": [{"operator": "add", "value": {"winner": value}}]}


MEMBER1 = Cluster(name="member1", labels={"region": "eu"})
MEMBER2 = Cluster(name="member2", labels={"region": "us"})
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment"}


def test_an_override_changes_replicas_per_cluster():
    op = policy("scale", {}, rules=[
        {"targetCluster": {"clusterNames": ["member1"]}, "overriders": set_replicas(5)},
        {"targetCluster": {"labelSelector": {"matchLabels": {"region": "us"}}}, "overriders": set_replicas(1)}])
    manifest = workload()
    one = apply_overrides(manifest, MEMBER1, [], [op])
    two = apply_overrides(manifest, MEMBER2, [], [op])
    assert (one.manifest["spec"]["replicas"], two.manifest["spec"]["replicas"]) == (5, 1)
    assert manifest["spec"]["replicas"] == 2                      # the input is never changed
    assert one.changes == ["patch replace /spec/replicas"] and one.error == ""


def test_rules_apply_only_to_matching_clusters_in_order():
    op = policy("multi", {}, rules=[
        {"overriders": mark("all-clusters")},
        {"targetCluster": {"clusterNames": ["member2"]}, "overriders": mark("member2-only")},
        {"targetCluster": {"exclude": ["member1"]}, "overriders": set_replicas(9)}])
    [(_, rules1)] = applicable(workload(), MEMBER1, [], [op])
    [(_, rules2)] = applicable(workload(), MEMBER2, [], [op])
    assert rules1 == [op.rules[0]] and rules2 == op.rules
    result = apply_overrides(workload(), MEMBER2, [], [op])
    assert result.manifest["metadata"]["annotations"]["winner"] == "member2-only"
    assert result.manifest["spec"]["replicas"] == 9
    assert [item["policyName"] for item in result.applied_overrides] == ["multi"] * 3


def test_cluster_override_policies_first_then_override_policies():
    cop = policy("zz-global", set_replicas(1), kind="ClusterOverridePolicy", selectors=[DEPLOY | {"name": "nginx"}])
    op = policy("aa-local", set_replicas(3))
    result = apply_overrides(workload(), MEMBER1, [cop], [op])
    assert result.manifest["spec"]["replicas"] == 3                # the OverridePolicy wins
    order = applicable(workload(), MEMBER1, [cop], [op])
    assert [p.display_name for p, _ in order] == ["ClusterOverridePolicy zz-global", "OverridePolicy default/aa-local"]


def test_implicit_priority_orders_policies_none_then_label_then_name():
    by_name = policy("a-by-name", mark("a-by-name"), selectors=[DEPLOY | {"name": "nginx"}])
    by_label = policy("b-by-label", mark("b-by-label"),
                      selectors=[DEPLOY | {"labelSelector": {"matchLabels": {"tier": "web"}}}])
    by_kind = policy("c-by-kind", mark("c-by-kind"), selectors=[DEPLOY])
    everything = policy("d-all", mark("d-all"))
    manifest = workload(labels={"tier": "web"})
    order = [p.name for p, _ in applicable(manifest, MEMBER1, [], [by_name, by_label, everything, by_kind])]
    assert order == ["c-by-kind", "d-all", "b-by-label", "a-by-name"]
    result = apply_overrides(manifest, MEMBER1, [], [by_name, by_label, everything, by_kind])
    assert result.manifest["metadata"]["annotations"]["winner"] == "a-by-name"
    assert result.changes[0] == "annotation winner=c-by-kind added"


def test_equal_priority_goes_by_name():
    beta, alpha = policy("beta", mark("beta")), policy("alpha", mark("alpha"))
    result = apply_overrides(workload(), MEMBER1, [], [beta, alpha])
    assert result.manifest["metadata"]["annotations"]["winner"] == "beta"
    assert result.changes == ["annotation winner=alpha added", "annotation winner=beta replaced (was alpha)"]


def test_policies_of_other_namespaces_and_cluster_scoped_objects():
    elsewhere = policy("elsewhere", mark("elsewhere"), namespace="shop")
    assert applicable(workload(), MEMBER1, [], [elsewhere]) == []
    namespace_obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
    cop = policy("ns-labels", {"labelsOverrider": [{"operator": "add", "value": {"team": "a"}}]},
                 kind="ClusterOverridePolicy")
    local = policy("local", mark("local"))
    result = apply_overrides(namespace_obj, MEMBER1, [cop], [local])
    assert result.manifest["metadata"] == {"name": "default", "labels": {"team": "a"}}
    assert result.applied_overrides == [] and result.applied_cluster_overrides[0]["policyName"] == "ns-labels"


def test_order_of_overriders_within_a_rule():
    # the image is rewritten before plaintext runs, so plaintext sees (and replaces) the new image
    op = policy("both", {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "mirror.io"}],
                         "plaintext": [{"path": "/spec/template/spec/containers/0/image", "operator": "replace",
                                        "value": "pinned:1"}]})
    result = apply_overrides(workload(), MEMBER1, [], [op])
    assert containers_of(result.manifest)[0]["image"] == "pinned:1"
    assert result.changes == [f"image {IMAGE} -> mirror.io/imagename:v1.0.0",
                              "patch replace /spec/template/spec/containers/0/image"]


def test_an_error_stops_the_cluster_and_names_policy_and_rule():
    good = policy("a-good", set_replicas(4))
    bad = policy("b-bad", {}, rules=[{"overriders": mark("x")},
                                     {"overriders": {"plaintext": [{"path": "/spec/nothere", "operator": "replace",
                                                                    "value": 1}]}}])
    manifest = workload()
    result = apply_overrides(manifest, MEMBER1, [], [good, bad])
    assert result.error == "OverridePolicy default/b-bad rule 1: plaintext replace /spec/nothere: path not found"
    assert result.manifest == manifest and result.manifest is not manifest
    assert result.applied_overrides == [] and result.changes == []
    cop = policy("cop", {"fieldOverrider": [{"fieldPath": "/spec/replicas", "yaml": [
        {"subPath": "/a", "operator": "remove"}]}]}, kind="ClusterOverridePolicy")
    assert apply_overrides(manifest, MEMBER1, [cop], []).error == \
        "ClusterOverridePolicy cop rule 0: fieldOverrider /spec/replicas: the field is not a string"


def test_applied_overrides_in_karmadas_annotation_shape():
    remove = {"plaintext": [{"path": "/spec/template/metadata", "operator": "remove"}],
              "labelsOverrider": [{"operator": "add", "value": {"env": "prod"}}]}
    zeta = policy("zeta", remove, selectors=[DEPLOY | {"name": "nginx"}])
    alpha = policy("alpha", set_replicas(2))
    cop = policy("global", mark("g"), kind="ClusterOverridePolicy")
    result = apply_overrides(workload(), MEMBER1, [cop], [zeta, alpha])
    assert result.applied_overrides == [
        {"policyName": "alpha", "overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace",
                                                              "value": 2}]}},
        {"policyName": "zeta", "overriders": {
            "plaintext": [{"path": "/spec/template/metadata", "operator": "remove", "value": None}],
            "labelsOverrider": [{"operator": "add", "value": {"env": "prod"}}]}},
    ]
    assert result.annotations() == {APPLIED_CLUSTER_OVERRIDES: [{"policyName": "global", "overriders": {
        "annotationsOverrider": [{"operator": "add", "value": {"winner": "g"}}]}}],
        APPLIED_OVERRIDES: result.applied_overrides}
    assert apply_overrides(workload(), MEMBER1, [], []).annotations() == {}


def test_result_does_not_share_values_with_the_policy():
    op = policy("share", {"plaintext": [{"path": "/spec/extra", "operator": "add", "value": {"list": [1]}}]})
    result = apply_overrides(workload(), MEMBER1, [], [op])
    result.manifest["spec"]["extra"]["list"].append(2)
    assert op.rules[0].overriders.plaintext[0].value == {"list": [1]}
    assert apply_overrides(workload(), MEMBER1, [], [op]).manifest["spec"]["extra"] == {"list": [1]}


def test_deprecated_form_policy_applies_like_a_rule():
    old = OverridePolicy.from_dict(yaml.safe_load("""
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: old}
spec:
  targetCluster: {clusterNames: [member2]}
  overriders:
    imageOverrider: [{component: Tag, operator: replace, value: "1.0"}]
"""))
    assert apply_overrides(workload(), MEMBER1, [old], []).changes == []
    changed = apply_overrides(workload(), MEMBER2, [old], [])
    assert containers_of(changed.manifest)[0]["image"] == "fictional.registry.example/imagename:1.0"
