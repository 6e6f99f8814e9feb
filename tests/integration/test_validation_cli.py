"""Validation at the door, through the real CLI with sandbox members joined: each reported bad input is
refused with one line naming file, document and field path, exit 1, and nothing stored or pushed."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from tests.conftest import run_cli

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"},
             "data": {"mode": "fast"}}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "default"},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "web", "namespace": "default"},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                                         {"apiVersion": "v1", "kind": "ConfigMap", "name": "settings"}],
                   "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}}}
OVERRIDE = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                     "overrideRules": [{"targetCluster": {"clusterNames": ["member2"]},
                                        "overriders": {"imageOverrider": [
                                            {"component": "Registry", "operator": "replace",
                                             "value": "registry.example.com"}]}}]}}


def changed(obj, path, value):
    obj = copy.deepcopy(obj)
    *parents, last = path
    target = obj
    for key in parents:
        target = target[key]
    target[last] = value
    return obj


OVER_1MIB = "x" * (2 * 1024 * 1024)
# (what the issue reported, the bad document, the field path the error must name)
CASES = [
    ("namespace 5", changed(CONFIGMAP, ("metadata", "namespace"), 5), "metadata.namespace"),
    ("Bad_Name!*", changed(CONFIGMAP, ("metadata", "name"), "Bad_Name!*"), "metadata.name"),
    ("300 characters", changed(CONFIGMAP, ("metadata", "name"), "a" * 300), "metadata.name"),
    ("replicass", changed(DEPLOYMENT, ("spec", "replicass"), 3), "spec.replicass"),
    ("priority beyond int32", changed(POLICY, ("spec", "priority"), 2 ** 31), "spec.priority"),
    ("bad image", changed(OVERRIDE, ("spec", "overrideRules", 0, "overriders", "imageOverrider", 0, "value"),
                          "UPPER CASE/!!bad image@@"),
     "spec.overrideRules[0].overriders.imageOverrider[0].value"),
    ("2 MiB ConfigMap", changed(CONFIGMAP, ("data", "mode"), OVER_1MIB), "data"),
]


def write(path, *docs):
    path.write_text(yaml.safe_dump_all(list(docs), width=1 << 30))
    return str(path)


def state(member_client, members) -> tuple:
    """Everything a user can see: the store (templates, policies, bindings, Works) and the members' objects."""
    from kubernetes import client

    store = tuple(run_cli("get", kind, "-A", "-o", "json").stdout for kind in ("cm", "deploy", "pp", "op", "rb", "works"))
    seen = []
    for m in members:
        api = member_client(m)
        seen.append(sorted(c.metadata.name for c in client.CoreV1Api(api).list_namespaced_config_map("default").items))
        seen.append(sorted(d.metadata.name for d in client.AppsV1Api(api).list_namespaced_deployment("default").items))
    return store, tuple(map(tuple, seen))


@pytest.mark.parametrize("case", [c[0] for c in CASES])
def test_each_reported_bad_input_is_one_line_naming_file_document_and_field_and_changes_nothing(
        joined, member_client, tmp_path, case):
    _, bad, field = next(c for c in CASES if c[0] == case)
    good = write(tmp_path / "good.yaml", CONFIGMAP, DEPLOYMENT, POLICY, OVERRIDE)
    assert run_cli("apply", "-f", good).returncode == 0
    before = state(member_client, joined)
    # the bad document is the 5th of a file whose other documents are the good ones, changed slightly
    others = [changed(o, ("metadata", "labels"), {"v": "2"}) for o in (CONFIGMAP, DEPLOYMENT, POLICY, OVERRIDE)]
    path = write(tmp_path / "bad.yaml", *others, bad)
    result = run_cli("apply", "-f", path, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path} (document 5): {bad['kind']} ")
    assert f": {field}: " in lines[0]
    assert "internal error" not in result.stderr
    assert state(member_client, joined) == before


def test_a_50_mb_configmap_is_refused_and_changes_nothing(joined, member_client, tmp_path):
    assert run_cli("apply", "-f", write(tmp_path / "good.yaml", CONFIGMAP, DEPLOYMENT, POLICY)).returncode == 0
    before = state(member_client, joined)
    path = tmp_path / "big.yaml"       # JSON is YAML too, and far quicker to write at this size than PyYAML's emitter
    path.write_text(json.dumps(changed(CONFIGMAP, ("data", "mode"), "x" * (50 * 1024 * 1024))))
    path = str(path)
    result = run_cli("apply", "-f", path, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {path}") and result.stderr.count("\n") == 1
    assert state(member_client, joined) == before


def test_all_problems_of_one_command_are_reported_at_once(joined, tmp_path):
    bads = [CASES[0][1], CASES[1][1], CASES[3][1], CASES[4][1]]
    path = write(tmp_path / "all.yaml", *bads)
    result = run_cli("apply", "-f", path)
    assert result.returncode == 1
    lines = result.stderr.strip().removeprefix("error: ").splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{path} (document {i})" for i in (1, 2, 3, 4)]
    assert [line.split(": ")[2] for line in lines] == ["metadata.namespace", "metadata.name", "spec.replicass",
                                                      "spec.priority"]
    assert run_cli("get", "cm", "-A", "-o", "name").stdout.strip() == ""


def test_plan_offline_plan_and_dry_run_refuse_the_same_input(home, tmp_path):
    path = write(tmp_path / "bad.yaml", DEPLOYMENT, changed(DEPLOYMENT, ("spec", "replicass"), 3))
    for args in (("plan", "--offline", "-f", path), ("plan", "-f", path), ("apply", "--dry-run", "-f", path)):
        result = run_cli(*args)
        assert result.returncode == 1, args
        assert result.stderr.strip() == (f"error: {path} (document 2): Deployment web: spec.replicass: "
                                         "unknown field"), args


def test_validate_warn_goes_on_with_a_warning_and_ignore_skips_the_schema(joined, member_client, tmp_path):
    path = write(tmp_path / "app.yaml", changed(DEPLOYMENT, ("spec", "replicass"), 3), POLICY)
    warned = run_cli("apply", "--validate=warn", "-f", path)
    assert warned.returncode == 0, warned.stderr
    assert f"warning: {path} (document 1): Deployment web: spec.replicass: unknown field" in warned.stderr
    assert "deployment.apps/web created" in warned.stdout
    assert run_cli("apply", "--validate=false", "-f", path).returncode == 0
    # ignore still checks names
    named = write(tmp_path / "named.yaml", changed(DEPLOYMENT, ("metadata", "name"), "Bad_Name!*"))
    result = run_cli("apply", "--validate=ignore", "-f", named)
    assert result.returncode == 1 and ": metadata.name: " in result.stderr
    assert run_cli("apply", "--validate=maybe", "-f", path).returncode == 2


def test_delete_f_checks_only_the_identity(joined, tmp_path):
    path = write(tmp_path / "cm.yaml", CONFIGMAP)
    assert run_cli("apply", "-f", path).returncode == 0
    loose = write(tmp_path / "loose.yaml", changed(CONFIGMAP, ("data",), {"mode": 5}))   # schema-invalid: fine here
    assert run_cli("delete", "-f", loose).returncode == 0
    bad = write(tmp_path / "bad.yaml", changed(CONFIGMAP, ("metadata", "namespace"), 5))
    result = run_cli("delete", "-f", bad)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: {bad}: ConfigMap settings: metadata.namespace: "
                                     "must be of type string, got integer")


def test_a_custom_resource_is_checked_against_its_crd_in_the_same_input(joined, tmp_path):
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "backends.example.io"},
           "spec": {"group": "example.io", "scope": "Namespaced",
                    "names": {"kind": "Backend", "plural": "backends"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {"type": "object", "properties": {
                            "size": {"type": "integer", "maximum": 10}}}}}}}]}}
    backend = {"apiVersion": "example.io/v1", "kind": "Backend", "metadata": {"name": "b", "namespace": "default"},
               "spec": {"size": 11, "color": "red"}}
    path = write(tmp_path / "crd.yaml", crd, backend)
    result = run_cli("apply", "-f", path)
    assert result.returncode == 1
    assert result.stderr.strip().removeprefix("error: ").splitlines() == [
        f"{path} (document 2): Backend b: spec.color: unknown field",
        f"{path} (document 2): Backend b: spec.size: must be less than or equal to 10"]
    assert json.loads(run_cli("get", "crd", "-o", "json").stdout or '{"items": []}')["items"] == []


def test_propagate_and_override_from_flags_are_validated_as_apply(joined, tmp_path):
    assert run_cli("apply", "-f", write(tmp_path / "d.yaml", DEPLOYMENT)).returncode == 0
    result = run_cli("propagate", "deploy/web", "--cluster", "member1", "--priority", str(2 ** 31))
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: propagate: PropagationPolicy web-deployment: spec.priority: "
                                     "must fit in int32 (-2147483648 to 2147483647), got 2147483648")
    result = run_cli("override", "deploy/web", "--cluster", "member1", "--image-registry", "UPPER CASE/!!bad")
    assert result.returncode == 1
    assert "imageOverrider[0].value" in result.stderr and result.stderr.count("\n") == 1
    assert run_cli("get", "pp", "-A", "-o", "name").stdout.strip() == ""
    assert run_cli("get", "op", "-A", "-o", "name").stdout.strip() == ""
