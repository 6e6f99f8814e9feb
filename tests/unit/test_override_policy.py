"""OverridePolicy / ClusterOverridePolicy: parsing, validation messages, to_dict, matching (pure)."""

from __future__ import annotations

import copy

import pytest
import yaml

from karmadactl.apis.override import (
    ABSENT,
    FieldOverrider,
    ImageOverrider,
    OverridePolicy,
    OverrideRule,
    PatchOp,
    PlaintextOverrider,
)
from karmadactl.errors import InvalidInput

# The example of Karmada's documentation (docs "Override Policy"), all overrider kinds in one rule.
FULL = """
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: example
  namespace: apps
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: myapp
  overrideRules:
    - targetCluster:
        clusterNames:
          - member1
      overriders:
        imageOverrider:
          - predicate:
              path: /spec/template/spec/containers/0/image
            component: Registry
            operator: replace
            value: test-repo
        commandOverrider:
          - containerName: myapp
            operator: add
            value: ["--cluster=member1"]
        argsOverrider:
          - containerName: myapp
            operator: remove
            value: ["--debug"]
        labelsOverrider:
          - operator: add
            value:
              app.kubernetes.io/part-of: shop
        annotationsOverrider:
          - operator: remove
            value:
              foo: ""
        fieldOverrider:
          - fieldPath: /data/db-config.yaml
            yaml:
              - subPath: /database/port
                operator: replace
                value: 3307
        plaintext:
          - path: /metadata/annotations/note
            operator: add
            value: hello
          - path: /spec/paused
            operator: remove
"""


def doc(text: str = FULL) -> dict:
    return yaml.safe_load(text)


def parse(obj: dict) -> OverridePolicy:
    return OverridePolicy.from_dict(obj, "op.yaml")


def error_of(obj: dict) -> str:
    with pytest.raises(InvalidInput) as info:
        OverridePolicy.from_dict(obj, "op.yaml")
    return str(info.value)


def rule_overriders(obj: dict) -> dict:
    return obj["spec"]["overrideRules"][0]["overriders"]


# ---------------------------------------------------------------- parsing

def test_full_example_parses_into_typed_overriders():
    policy = parse(doc())
    assert (policy.kind, policy.namespace, policy.name) == ("OverridePolicy", "apps", "example")
    assert policy.display_name == "OverridePolicy apps/example"
    [rule] = policy.rules
    assert rule.target_cluster.cluster_names == ["member1"]
    o = rule.overriders
    assert o.image == [ImageOverrider("Registry", "replace", "test-repo", "/spec/template/spec/containers/0/image")]
    assert o.command[0].container_name == "myapp" and o.command[0].value == ["--cluster=member1"]
    assert o.args[0].operator == "remove"
    assert o.labels[0].value == {"app.kubernetes.io/part-of": "shop"}
    assert o.field == [FieldOverrider("/data/db-config.yaml", None, [PatchOp("/database/port", "replace", 3307)])]
    assert o.plaintext == [PlaintextOverrider("/metadata/annotations/note", "add", "hello"),
                           PlaintextOverrider("/spec/paused", "remove", ABSENT)]


def test_round_trip_through_to_dict():
    policy = parse(doc())
    out = policy.to_dict()
    assert parse(out) == policy
    assert out["spec"]["overrideRules"][0]["overriders"]["plaintext"][1] == {"path": "/spec/paused",
                                                                           "operator": "remove"}
    assert "value" not in out["spec"]["overrideRules"][0]["overriders"]["plaintext"][1]


def test_op_selectors_default_to_its_namespace_and_missing_namespace_is_default():
    obj = doc()
    del obj["metadata"]["namespace"]
    policy = parse(obj)
    assert policy.namespace == "default"
    assert policy.resource_selectors[0].namespace == "default"


def test_cluster_override_policy_has_no_namespace_and_keeps_selector_namespaces_open():
    obj = doc()
    obj["kind"] = "ClusterOverridePolicy"
    policy = parse(obj)
    assert policy.namespace == "" and policy.display_name == "ClusterOverridePolicy example"
    assert policy.resource_selectors[0].namespace == ""
    assert "namespace" not in policy.to_dict()["metadata"]


def test_no_resource_selectors_and_no_target_cluster_mean_everything():
    policy = parse(doc("""
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: all}
spec:
  overrideRules:
    - overriders:
        labelsOverrider: [{operator: add, value: {env: prod}}]
"""))
    assert policy.resource_selectors == [] and policy.rules[0].target_cluster is None
    assert "resourceSelectors" not in policy.to_dict()["spec"]


def test_deprecated_top_level_form_becomes_one_rule():
    policy = parse(doc("""
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: old, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  targetCluster:
    clusterNames: [member1]
  overriders:
    plaintext:
      - path: /spec/replicas
        operator: replace
        value: 3
"""))
    assert policy.rules == [OverrideRule(policy.rules[0].target_cluster, policy.rules[0].overriders)]
    assert policy.rules[0].target_cluster.cluster_names == ["member1"]
    assert policy.rules[0].overriders.plaintext == [PlaintextOverrider("/spec/replicas", "replace", 3)]
    assert parse(policy.to_dict()) == policy          # written back in the overrideRules form


def test_deprecated_validation_errors_name_the_old_path():
    obj = doc("""
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: old}
spec:
  overriders:
    plaintext: [{path: /spec/replicas, operator: replace}]
""")
    assert error_of(obj) == ("op.yaml: OverridePolicy default/old: spec.overriders.plaintext[0].value: "
                             "required for replace")


@pytest.mark.parametrize("extra, message", [
    ({"targetCluster": {"clusterNames": ["m1"]}}, "spec.targetCluster: overrideRules and targetCluster can't co-exist"),
    ({"overriders": {"plaintext": [{"path": "/a", "operator": "remove"}]}},
     "spec.overriders: overrideRules and overriders can't co-exist"),
])
def test_both_forms_together_are_rejected(extra, message):
    obj = doc()
    obj["spec"].update(extra)
    assert error_of(obj) == f"op.yaml: OverridePolicy apps/example: {message}"


def test_empty_deprecated_overriders_may_sit_beside_rules():
    obj = doc()
    obj["spec"]["overriders"] = {}
    assert parse(obj).rules == parse(doc()).rules


# ---------------------------------------------------------------- validation messages

def _with_overriders(overriders: dict, kind: str = "OverridePolicy") -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind,
            "metadata": {"name": "x", "namespace": "default"},
            "spec": {"overrideRules": [{"overriders": overriders}]}}


P = "op.yaml: OverridePolicy default/x: spec.overrideRules[0].overriders"


@pytest.mark.parametrize("overriders, message", [
    ({"plaintext": [{"path": "/a", "operator": "add", "value": 1}, {"path": "/b", "operator": "add"}]},
     f"{P}.plaintext[1].value: required for add"),
    ({"plaintext": [{"path": "/b", "operator": "replace", "value": None}]},
     f"{P}.plaintext[0].value: required for replace"),
    ({"plaintext": [{"path": "/b", "operator": "remove", "value": 3}]},
     f"{P}.plaintext[0].value: must not be set for remove"),
    ({"plaintext": [{"path": "spec/replicas", "operator": "remove"}]},
     f'{P}.plaintext[0].path: must be a JSON pointer starting with "/", got "spec/replicas"'),
    ({"plaintext": [{"operator": "remove"}]}, f"{P}.plaintext[0].path: required"),
    ({"plaintext": [{"path": "/a", "operator": "move", "value": 1}]},
     f'{P}.plaintext[0].operator: unsupported value "move" (supported: "add", "remove", "replace")'),
    ({"imageOverrider": [{"component": "Digest", "operator": "replace", "value": "x"}]},
     f'{P}.imageOverrider[0].component: unsupported value "Digest" (supported: "Registry", "Repository", "Tag")'),
    ({"imageOverrider": [{"component": "Tag", "operator": "update", "value": "x"}]},
     f'{P}.imageOverrider[0].operator: unsupported value "update" (supported: "add", "remove", "replace")'),
    ({"imageOverrider": [{"component": "Tag", "operator": "replace"}]},
     f"{P}.imageOverrider[0].value: required for replace"),
    ({"imageOverrider": [{"predicate": {"path": "spec/x"}, "component": "Tag", "operator": "remove"}]},
     f'{P}.imageOverrider[0].predicate.path: must be a JSON pointer starting with "/", got "spec/x"'),
    ({"imageOverrider": [{"predicate": {}, "component": "Tag", "operator": "remove"}]},
     f"{P}.imageOverrider[0].predicate.path: required"),
    ({"commandOverrider": [{"containerName": "c", "operator": "replace", "value": ["a"]}]},
     f'{P}.commandOverrider[0].operator: unsupported value "replace" (supported: "add", "remove")'),
    ({"argsOverrider": [{"operator": "add", "value": ["a"]}]}, f"{P}.argsOverrider[0].containerName: required"),
    ({"argsOverrider": [{"containerName": "c", "operator": "add", "value": [1]}]},
     f"{P}.argsOverrider[0].value[0]: must be a string, got integer"),
    ({"labelsOverrider": [{"operator": "add"}]}, f"{P}.labelsOverrider[0].value: required"),
    ({"labelsOverrider": [{"operator": "add", "value": {"env": "a b"}}]},
     f'{P}.labelsOverrider[0].value.env: invalid label value "a b": at most 63 characters, alphanumerics, '
     '"-", "_" or ".", starting and ending with an alphanumeric'),
    ({"labelsOverrider": [{"operator": "add", "value": {"bad key!": "x"}}]},
     f'{P}.labelsOverrider[0].value: invalid label key "bad key!": must be a qualified name (alphanumerics, '
     '"-", "_", ".", optionally prefixed by a DNS subdomain and "/")'),
    ({"annotationsOverrider": [{"operator": "add", "value": {"n": 5}}]},
     f"{P}.annotationsOverrider[0].value.n: must be a string, got integer"),
    ({"fieldOverrider": [{"fieldPath": "/data/x", "json": [{"subPath": "/a", "operator": "remove"}],
                          "yaml": [{"subPath": "/a", "operator": "remove"}]}]},
     f"{P}.fieldOverrider[0]: json and yaml are both set; only one is allowed"),
    ({"fieldOverrider": [{"fieldPath": "/data/x"}]}, f"{P}.fieldOverrider[0]: one of json or yaml is required"),
    ({"fieldOverrider": [{"fieldPath": "data/x", "yaml": [{"subPath": "/a", "operator": "remove"}]}]},
     f'{P}.fieldOverrider[0].fieldPath: must be a JSON pointer starting with "/", got "data/x"'),
    ({"fieldOverrider": [{"fieldPath": "/data/x", "json": [{"subPath": "a", "operator": "remove"}]}]},
     f'{P}.fieldOverrider[0].json[0].subPath: must be a JSON pointer starting with "/", got "a"'),
    ({"fieldOverrider": [{"fieldPath": "/data/x", "yaml": [{"subPath": "/a", "operator": "add"}]}]},
     f"{P}.fieldOverrider[0].yaml[0].value: required for add"),
    ({"fieldOverrider": [{"fieldPath": "/data/x", "json": [{"subPath": "/a", "operator": "remove", "value": 1}]}]},
     f"{P}.fieldOverrider[0].json[0].value: must not be set for remove"),
    ({"plaintext": [{"path": "/a", "operator": "remove", "from": "/b"}]},
     'op.yaml: OverridePolicy default/x: unknown field "spec.overrideRules[0].overriders.plaintext[0].from"'),
    ({"imageOverider": []},
     'op.yaml: OverridePolicy default/x: unknown field "spec.overrideRules[0].overriders.imageOverider"'),
])
def test_validation_errors_name_the_field(overriders, message):
    assert error_of(_with_overriders(overriders)) == message


def test_label_key_with_prefix_is_valid_and_annotation_values_are_free():
    policy = parse(_with_overriders({
        "labelsOverrider": [{"operator": "add", "value": {"example.com/tier": "web"}}],
        "annotationsOverrider": [{"operator": "add", "value": {"note": "any text: even spaces"}}]}))
    assert policy.rules[0].overriders.annotations[0].value == {"note": "any text: even spaces"}


def test_rule_without_overriders_is_rejected():
    obj = _with_overriders({})
    obj["spec"]["overrideRules"] = [{"targetCluster": {"clusterNames": ["m1"]}}]
    assert error_of(obj) == "op.yaml: OverridePolicy default/x: spec.overrideRules[0].overriders: required"


def test_target_cluster_is_validated_like_a_cluster_affinity():
    obj = _with_overriders({})
    obj["spec"]["overrideRules"][0]["targetCluster"] = {
        "fieldSelector": {"matchExpressions": [{"key": "color", "operator": "In", "values": ["x"]}]}}
    assert "spec.overrideRules[0].targetCluster.fieldSelector.matchExpressions[0]" in error_of(obj)
    obj["spec"]["overrideRules"][0]["targetCluster"] = {"clusterName": ["m1"]}
    assert error_of(obj) == ('op.yaml: OverridePolicy default/x: unknown field '
                             '"spec.overrideRules[0].targetCluster.clusterName"')


def test_op_selector_in_another_namespace_is_rejected():
    obj = doc()
    obj["spec"]["resourceSelectors"][0]["namespace"] = "other"
    assert error_of(obj) == ('op.yaml: OverridePolicy apps/example: spec.resourceSelectors[0].namespace: an '
                             'OverridePolicy can only select objects in its own namespace "apps", not "other"')


@pytest.mark.parametrize("mutate, message", [
    (lambda o: o.update(apiVersion="policy.karmada.io/v1"), "apiVersion: must be"),
    (lambda o: o.update(kind="PropagationPolicy"), 'kind: unsupported value "PropagationPolicy"'),
    (lambda o: o["metadata"].pop("name"), "metadata.name: required"),
    (lambda o: o["metadata"].update(name="Bad_Name"), 'metadata.name: invalid name "Bad_Name"'),
    (lambda o: o.pop("spec"), "spec: required"),
    (lambda o: o["spec"].update(placement={}), 'unknown field "spec.placement"'),
    (lambda o: o.update(status={}), 'unknown field "status"'),
])
def test_object_level_errors(mutate, message):
    obj = doc()
    mutate(obj)
    assert message in error_of(obj)
    assert error_of(obj).startswith("op.yaml: ")


def test_not_a_mapping():
    with pytest.raises(InvalidInput, match="must be an object, got array"):
        OverridePolicy.from_dict([], "op.yaml")


def test_input_is_not_mutated():
    obj = doc()
    before = copy.deepcopy(obj)
    parse(obj)
    assert obj == before


# ---------------------------------------------------------------- matching

def deployment(name="myapp", namespace="apps", labels=None) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}}}


def _policy(kind: str, selectors: list[dict] | None, namespace: str = "apps") -> OverridePolicy:
    obj = _with_overriders({}, kind)
    obj["metadata"]["namespace"] = namespace
    if selectors is not None:
        obj["spec"]["resourceSelectors"] = selectors
    return parse(obj)


def test_match_priority_none_kind_label_name():
    everything = _policy("OverridePolicy", None)
    by_kind = _policy("OverridePolicy", [{"apiVersion": "apps/v1", "kind": "Deployment"}])
    by_label = _policy("OverridePolicy", [{"apiVersion": "apps/v1", "kind": "Deployment",
                                           "labelSelector": {"matchLabels": {"tier": "web"}}}])
    by_name = _policy("OverridePolicy", [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "myapp"}])
    obj = deployment(labels={"tier": "web"})
    assert [p.match_priority(obj) for p in (everything, by_kind, by_label, by_name)] == [1, 1, 2, 3]
    other = deployment(name="other", labels={"tier": "db"})
    assert [p.matches(other) for p in (everything, by_kind, by_label, by_name)] == [True, True, False, False]


def test_override_policy_only_matches_its_own_namespace():
    everything = _policy("OverridePolicy", None)
    assert everything.matches(deployment(namespace="apps"))
    assert not everything.matches(deployment(namespace="shop"))
    cluster_wide = _policy("ClusterOverridePolicy", None)
    assert cluster_wide.matches(deployment(namespace="shop"))
    assert cluster_wide.matches({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
