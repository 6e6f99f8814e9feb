"""Validation at the door: names, sizes, schemas of built-in kinds and CRDs, Karmada's ranges."""

from __future__ import annotations

import copy

import pytest

from karmadactl.apis import names
from karmadactl.apis.schema import Compiler
from karmadactl.apis.validation import Validator, image_value_problem, mode_of
from karmadactl.cli.files import Manifest
from karmadactl.controllers.templates import prepare
from karmadactl.errors import InvalidInput, UsageError

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                             "ports": [{"containerPort": 80}],
                                                             "resources": {"requests": {"cpu": "100m"}}}]}}}}


def problems(obj, crds=(), mode="strict"):
    errors, warnings = Validator(list(crds), mode).check(obj, obj["kind"] not in ("Namespace",
                                                                                "CustomResourceDefinition"))
    return {p.path: p.message for p in errors}, {p.path: p.message for p in warnings}


def mutated(path, value, base=DEPLOYMENT):
    obj = copy.deepcopy(base)
    *parents, last = path
    target = obj
    for key in parents:
        target = target[key]
    target[last] = value
    return obj


# ---------------------------------------------------------------- names
# Rules read in k8s.io/apimachinery/pkg/util/validation/validation.go (IsDNS1123Label, IsDNS1123Subdomain,
# IsDNS1035Label, IsQualifiedName, IsValidLabelValue) and kubernetes pkg/apis/core/validation/validation.go
# (ValidateServiceName = NameIsDNS1035Label, ValidateNamespaceName = NameIsDNSLabel).

@pytest.mark.parametrize("kind,group,name,ok", [
    ("ConfigMap", "", "a.b-c", True), ("ConfigMap", "", "Bad_Name!*", False), ("ConfigMap", "", "a" * 253, True),
    ("ConfigMap", "", "a" * 254, False), ("Namespace", "", "a.b", False), ("Namespace", "", "a" * 64, False),
    ("Service", "", "1web", False), ("Service", "", "web-1", True), ("Deployment", "apps", "1web", True),
    ("ClusterRole", "rbac.authorization.k8s.io", "system:controller:x", True),
    ("ClusterRole", "rbac.authorization.k8s.io", "a/b", False),
])
def test_names_follow_the_rule_of_their_kind(kind, group, name, ok):
    assert (names.object_name(kind, group, name) == "") is ok


@pytest.mark.parametrize("key,ok", [("app", True), ("example.com/app", True), ("Example.com/app", False),
                                    ("a" * 64, False), ("/app", False), ("app_", False), ("x/" + "a" * 63, True)])
def test_label_keys_are_qualified_names(key, ok):
    assert (names.qualified_name(key) == "") is ok


def test_a_bad_name_a_numeric_namespace_and_a_bad_label_are_each_named():
    obj = copy.deepcopy(DEPLOYMENT)
    obj["metadata"].update(name="Bad_Name!*", namespace=5, labels={"app": "a b"})
    errors, _ = problems(obj)
    assert "RFC 1123 subdomain" in errors["metadata.name"]
    assert errors["metadata.namespace"] == "must be of type string, got integer"
    assert "metadata.labels.app" in errors


def test_a_namespace_must_be_a_dns_label():
    errors, _ = problems(mutated(("metadata", "namespace"), "team.a"))
    assert "RFC 1123 label" in errors["metadata.namespace"]


def test_a_300_character_name_is_too_long():
    errors, _ = problems(mutated(("metadata", "name"), "a" * 300))
    assert errors == {"metadata.name": "must be no more than 253 characters"}


# ---------------------------------------------------------------- sizes
# ConfigMap/Secret: the values' total may not pass core.MaxSecretSize (1 MiB), ValidateConfigMap/ValidateSecret
# in kubernetes pkg/apis/core/validation/validation.go; annotations: TotalAnnotationSizeLimitB (256 KiB) in
# k8s.io/apimachinery/pkg/api/validation/objectmeta.go.

def test_a_configmap_over_one_mebibyte_is_refused_and_one_just_under_is_not():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"a": "x" * (1 << 20)}}
    assert problems(cm)[0] == {}
    cm["data"]["b"] = "y"
    assert "may not be more than 1048576 bytes" in problems(cm)[0]["data"]


def test_a_secret_counts_its_decoded_data_and_string_data():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"a": "eA==" * (200 * 1024)}, "stringData": {"b": "y" * (900 * 1024)}}
    assert "Secret data may not be more than" in problems(secret)[0]["data"]
    secret["data"] = {"a": "not base64!"}
    assert problems(secret)[0] == {"data.a": "must be base64-encoded"}


def test_annotations_may_not_pass_256_kibibytes_in_total():
    obj = mutated(("metadata", "annotations"), {"a": "x" * (128 * 1024), "b": "y" * (128 * 1024)})
    assert "may not be more than 262144 bytes" in problems(obj)[0]["metadata.annotations"]


def test_any_object_over_one_and_a_half_mebibytes_is_refused():
    obj = mutated(("spec", "template", "metadata", "annotations"), {f"k{i}": "v" * 1024 for i in range(1600)})
    assert "kube-apiserver accepts at most 1572864" in problems(obj)[0][""]


# ---------------------------------------------------------------- built-in schemas

def test_unknown_fields_are_errors_in_strict_mode_warnings_in_warn_mode_and_unchecked_in_ignore_mode():
    obj = mutated(("spec", "replicass"), 3)
    assert problems(obj) == ({"spec.replicass": "unknown field"}, {})
    assert problems(obj, mode="warn") == ({}, {"spec.replicass": "unknown field"})
    assert problems(obj, mode="ignore") == ({}, {})


@pytest.mark.parametrize("path,value,where,what", [
    (("spec",), 5, "spec", "must be of type object, got integer"),
    (("spec", "template", "spec", "containers"), "x", "spec.template.spec.containers",
     "must be of type array, got string"),
    (("spec", "replicas"), "3", "spec.replicas", "must be of type integer, got string"),
    (("spec", "replicas"), 2 ** 31, "spec.replicas", "must fit in int32 (-2147483648 to 2147483647), got 2147483648"),
    (("spec", "paused"), "yes", "spec.paused", "must be of type boolean, got string"),
])
def test_types_and_ranges_of_built_in_kinds(path, value, where, what):
    assert problems(mutated(path, value))[0] == {where: what}


def test_required_fields_and_every_problem_of_an_object_are_reported():
    obj = copy.deepcopy(DEPLOYMENT)
    del obj["spec"]["template"]["spec"]["containers"][0]["name"]
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": "x"}
    obj["spec"]["strategy"] = {"type": "Sideways", "rollingUpdate": {"maxSurge": True}}
    errors, _ = problems(obj)
    assert errors["spec.template.spec.containers[0].name"] == "required"
    assert errors["spec.template.spec.containers[0].resources.requests"] == "must be of type object, got string"
    assert "spec.strategy.rollingUpdate.maxSurge" in errors


def test_an_unknown_version_of_a_built_in_group_is_refused():
    errors, _ = problems(mutated(("apiVersion",), "apps/v2"))
    assert errors["apiVersion"].startswith('no kind "Deployment" is known in version "apps/v2"')


def test_the_compiled_schemas_agree_with_jsonschema_as_kubernetes_validate_runs_it():
    """kubernetes-validate's own validate() (jsonschema over the same files) is the reference."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    from karmadactl.apis.validation import kubernetes_version

    version = kubernetes_version().lstrip("v")
    cases = [DEPLOYMENT, mutated(("spec",), 5), mutated(("spec", "replicass"), 1),
             mutated(("spec", "template", "spec", "containers"), "x"), mutated(("spec", "replicas"), "3"),
             mutated(("spec", "template", "spec", "containers"), [{"image": "x"}]),
             mutated(("spec", "template", "spec", "containers"), [{"name": "x", "ports": [{"containerPort": "80"}]}]),
             mutated(("spec", "template", "spec", "containers"), [{"name": "x", "resources": {"limits": {"cpu": []}}}]),
             mutated(("spec", "strategy"), {"rollingUpdate": {"maxSurge": 1.5}}),
             mutated(("spec", "selector"), {"matchLabels": {"a": 1}}),
             mutated(("metadata", "labels"), ["x"]),
             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
              "spec": {"ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}], "type": "ClusterIP"}},
             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": "x"}]}},
             {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
              "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                  "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}}}},
             {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {}}}]
    verdicts = []
    for obj in cases:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
            expected = True
        except kubernetes_validate.ValidationError:
            expected = False
        assert (problems(obj)[0] == {}) is expected, obj
        verdicts.append(expected)
    assert verdicts.count(True) == 3          # the cases above: 3 valid, the others not


# ---------------------------------------------------------------- custom resources

CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "backends.example.io"},
       "spec": {"group": "example.io", "scope": "Namespaced",
                "names": {"kind": "Backend", "plural": "backends", "singular": "backend"},
                "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {
                        "spec": {"type": "object", "required": ["size"], "properties": {
                            "size": {"type": "integer", "minimum": 1, "maximum": 10},
                            "tier": {"type": "string", "enum": ["gold", "silver"]},
                            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                            "port": {"x-kubernetes-int-or-string": True},
                            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            "tags": {"type": "object", "additionalProperties": {"type": "string"}}}},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}
BACKEND = {"apiVersion": "example.io/v1", "kind": "Backend", "metadata": {"name": "b", "namespace": "default"},
           "spec": {"size": 3, "tier": "gold", "port": "http", "extra": {"anything": [1]}, "tags": {"a": "b"}}}


def test_a_custom_resource_is_checked_against_its_crd_schema():
    assert problems(BACKEND, [CRD]) == ({}, {})
    bad = copy.deepcopy(BACKEND)
    bad["spec"].update(size=11, tier="bronze", port=1.5, tags={"a": 1}, sizee=1, code="abc")
    errors, _ = problems(bad, [CRD])
    assert errors == {"spec.size": "must be less than or equal to 10",
                      "spec.code": '"abc" does not match the pattern ^[A-Z]{3}$',
                      "spec.tier": 'unsupported value "bronze": supported values: "gold", "silver"',
                      "spec.port": "must be of type integer or string, got number",
                      "spec.tags.a": "must be of type string, got integer",
                      "spec.sizee": "unknown field"}
    del bad["spec"]["size"]
    assert problems(bad, [CRD])[0]["spec.size"] == "required"


def test_a_version_the_crd_does_not_define_is_refused():
    errors, _ = problems(mutated(("apiVersion",), "example.io/v2", BACKEND), [CRD])
    assert errors["apiVersion"].startswith('version "v2" is not defined by CustomResourceDefinition')


def test_a_crd_name_must_be_plural_dot_group():
    errors, _ = problems(mutated(("metadata", "name"), "backend.example.io", CRD))
    assert errors["metadata.name"] == 'must be spec.names.plural + "." + spec.group ("backends.example.io")'


def test_recursive_schemas_compile_once_and_check_every_level():
    compiler = Compiler({"Node": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string"}, "child": {"$ref": "#/$defs/Node"}}}})
    check = compiler.compile({"$ref": "#/$defs/Node"})
    out: list = []
    check({"name": "a", "child": {"child": {"name": 5, "x": 1}}}, "", out)
    assert [(p.path, p.message) for p in out] == [("child.child.name", "must be of type string, got integer"),
                                                  ("child.child.x", "unknown field")]


# ---------------------------------------------------------------- Karmada's kinds

def test_a_policy_priority_beyond_int32_is_refused():
    # Karmada declares `Priority *int32` in pkg/apis/policy/v1alpha1/propagation_types.go
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "p", "namespace": "default"},
              "spec": {"priority": 2 ** 31, "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}]}}
    assert problems(policy)[0] == {"spec.priority": "must fit in int32 (-2147483648 to 2147483647), got 2147483648"}
    policy["spec"]["priority"] = 2 ** 31 - 1
    assert problems(policy)[0] == {}


@pytest.mark.parametrize("component,operator,value,ok", [
    ("Registry", "replace", "registry.example.com:5000", True), ("Registry", "replace", "UPPER CASE/!!bad image@@", False),
    ("Repository", "replace", "library/nginx", True), ("Repository", "replace", "Library/Nginx", False),
    ("Tag", "replace", "1.27-alpine", True), ("Tag", "replace", "-bad", False), ("Tag", "add", "-debug", True),
    ("Tag", "add", "@sha", False), ("Repository", "remove", "", True)])
def test_image_overrider_values_follow_the_oci_reference_grammar(component, operator, value, ok):
    assert (image_value_problem(component, operator, value) == "") is ok


# ---------------------------------------------------------------- prepare: all problems at once

def test_prepare_reports_every_problem_of_every_document_at_once_one_line_each():
    docs = [Manifest("app.yaml (document 1)", mutated(("metadata", "namespace"), 5)),
            Manifest("app.yaml (document 2)", {"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": "Bad_Name!*"}}),
            Manifest("app.yaml (document 3)", mutated(("spec", "replicass"), 1))]
    with pytest.raises(InvalidInput) as e:
        prepare(docs, [])
    lines = str(e.value).splitlines()
    assert lines[0] == "app.yaml (document 1): Deployment web: metadata.namespace: must be of type string, got integer"
    assert lines[1].startswith("app.yaml (document 2): ConfigMap Bad_Name!*: metadata.name: invalid value")
    assert lines[2] == "app.yaml (document 3): Deployment web: spec.replicass: unknown field"
    assert len(lines) == 3


def test_prepare_in_warn_mode_says_unknown_fields_and_goes_on():
    said: list[str] = []
    objs = prepare([Manifest("a.yaml", mutated(("spec", "replicass"), 1))], [], validate="warn", warn=said.append)
    assert said == ["warning: a.yaml: Deployment web: spec.replicass: unknown field"]
    assert objs[0]["spec"]["replicass"] == 1


def test_validate_accepts_kubectls_spellings():
    assert [mode_of(v) for v in ("strict", "warn", "ignore", "true", "false")] == \
        ["strict", "warn", "ignore", "strict", "ignore"]
    with pytest.raises(UsageError):
        mode_of("sometimes")


# ---------------------------------------------------------------- cron schedules and cluster taints

@pytest.mark.parametrize("schedule,ok", [("*/5 * * * *", True), ("0 0 * * MON-FRI", True), ("@hourly", True),
                                         ("@every 1h30m", True), ("0 0 ? * SUN", True), ("61 * * * *", False),
                                         ("* * *", False), ("TZ=UTC 0 * * * *", False), ("5-1 * * * *", False),
                                         ("*/0 * * * *", False)])
def test_cronjob_schedules_follow_the_five_field_grammar(schedule, ok):
    # Kubernetes: pkg/apis/batch/validation/validation.go validateScheduleFormat (robfig/cron ParseStandard)
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
               "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                   "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}}}}
    assert ("spec.schedule" not in problems(cronjob)[0]) is ok


def test_a_cron_federated_hpa_rule_schedule_is_checked():
    hpa = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "CronFederatedHPA", "metadata": {"name": "h"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "rules": [{"name": "up", "schedule": "0 8 * * *", "targetReplicas": 4},
                              {"name": "down", "schedule": "0 25 * * *", "targetReplicas": 1}]}}
    assert problems(hpa)[0] == {"spec.rules[1].schedule": 'invalid schedule "0 25 * * *": bad hour "25"'}


def test_a_cluster_taint_policy_needs_keys_known_effects_and_no_duplicates():
    # Karmada: pkg/apis/policy/v1alpha1/clustertaint_types.go (taints MinItems=1, key and effect required),
    # pkg/webhook/clustertaintpolicy/validating.go (no two taints with the same key and effect)
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy", "metadata": {"name": "t"},
              "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "value": "v", "effect": ""},
                                  {"key": "k", "effect": "NoSchedule"}]}}
    assert problems(policy)[0] == {"spec.taints[1].effect": "required",
                                   "spec.taints[2]": "duplicate taint with the same key (k) and effect (NoSchedule)"}
    policy["spec"]["taints"] = []
    assert problems(policy)[0] == {"spec.taints": "required: at least one taint"}


# ---------------------------------------------------------------- odd input never breaks the checks

def _json_values():
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                        max_leaves=8)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


OVERRIDE = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy", "metadata": {"name": "o"},
            "spec": {"overrideRules": [{"overriders": {"imageOverrider": [
                {"component": "Tag", "operator": "replace", "value": "1.0"}]}}]}}
TAINTS = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy", "metadata": {"name": "t"},
          "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}


def test_any_value_anywhere_gives_problems_never_an_exception():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    bases = [DEPLOYMENT, BACKEND, CRD, OVERRIDE, TAINTS]
    targets = [(b, p) for b in bases for p in _paths(b) if p[:1] not in ((), ("apiVersion",), ("kind",))]

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.sampled_from(targets), _json_values())
    def run(target, value):
        base, path = target
        obj = mutated(path, value, base)
        crd = obj if base is CRD else CRD
        errors, warnings = problems(BACKEND if base is CRD else obj, [crd])
        assert all(isinstance(m, str) for m in (*errors.values(), *warnings.values()))

    run()


@pytest.mark.parametrize("check,value", [
    ("dns1123_label", "web\n"), ("dns1123_subdomain", "web.example\n"), ("dns1035_label", "svc\n"),
    ("qualified_name", "app\n"), ("qualified_name", "example.com\n/app"), ("label_value", "v1\n"),
    ("config_key", "key\n"),
])
def test_a_trailing_newline_is_not_a_valid_name(check, value):
    """Go's regexp `$` (no multi-line flag) matches only at the end of the text, as `\\Z` does in Python
    (k8s.io/apimachinery/pkg/util/validation/validation.go); Python's `$` would also match before a final newline."""
    from karmadactl.apis import names

    assert getattr(names, check)(value) != ""


def test_a_trailing_newline_is_refused_in_a_cluster_name_and_in_labels_given_to_join_and_edit():
    """`join`, `label` and `edit` check with the same anchored rules as apis/names (they used `$`)."""
    from karmadactl.apis.meta import check_label_key, check_label_value
    from karmadactl.controllers.clusters import check_name
    from karmadactl.errors import InvalidInput

    for refused in (lambda: check_name("member1\n"), lambda: check_label_key("env\n", "--label"),
                    lambda: check_label_value("prod\n", "--label")):
        with pytest.raises(InvalidInput):
            refused()
    check_name("member1")
    check_label_key("example.com/env", "--label")
    check_label_value("prod", "--label")
