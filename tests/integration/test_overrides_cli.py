"""Overrides through the real CLI: `plan --offline -o yaml` shows each cluster's manifest, `override` writes
an ordinary OverridePolicy."""

from __future__ import annotations

import yaml

from tests.conftest import run_cli
from tests.integration.test_plan_offline import cluster, deployment, policy, static


def op(name: str, rules: list[dict], kind: str = "OverridePolicy", selector: dict | None = None) -> dict:
    doc = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind, "metadata": {"name": name},
           "spec": {"resourceSelectors": [selector or {"apiVersion": "apps/v1", "kind": "Deployment"}],
                    "overrideRules": rules}}
    if kind == "OverridePolicy":
        doc["metadata"]["namespace"] = "default"
    return doc


def rule(clusters: list[str], **overriders) -> dict:
    return {"targetCluster": {"clusterNames": clusters}, "overriders": overriders}


def manifests(tmp_path, docs) -> dict[str, dict]:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = run_cli("plan", "--offline", "-f", str(path), "-o", "yaml")
    assert result.returncode == 0, result.stderr
    listing = yaml.safe_load(result.stdout)
    return {w["metadata"]["namespace"].removeprefix("karmada-es-"): w for w in listing["items"]
            if w["kind"] == "Work"}


BASE = [deployment(6), policy(static({"m1": 2, "m2": 1}), ["m1", "m2"]), cluster("m1"), cluster("m2")]


def image(work: dict) -> str:
    return work["spec"]["workload"]["manifests"][0]["spec"]["template"]["spec"]["containers"][0]["image"]


def test_offline_plan_shows_overridden_manifests_per_cluster(home, tmp_path):
    overrides = op("mirror", [rule(["m2"], imageOverrider=[
        {"component": "Registry", "operator": "replace", "value": "registry.example.com:5000"},
        {"component": "Tag", "operator": "replace", "value": "1.28"}],
        labelsOverrider=[{"operator": "add", "value": {"region": "two"}}],
        plaintext=[{"path": "/spec/replicas", "operator": "replace", "value": 5}])])
    works = manifests(tmp_path, [*BASE, overrides])
    assert image(works["m1"]) == "nginx:1.27"
    assert image(works["m2"]) == "registry.example.com:5000/nginx:1.28"
    m2 = works["m2"]["spec"]["workload"]["manifests"][0]
    assert m2["metadata"]["labels"]["region"] == "two"
    assert m2["spec"]["replicas"] == 5                  # overrides run after the replica revision
    applied = works["m2"]["metadata"]["annotations"]["policy.karmada.io/applied-overrides"]
    assert '"policyName":"mirror"' in applied
    assert "policy.karmada.io/applied-overrides" not in works["m1"]["metadata"]["annotations"]


def test_cluster_override_policies_first_then_override_policies(home, tmp_path):
    cop = op("everywhere", [rule(["m1", "m2"], imageOverrider=[
        {"component": "Registry", "operator": "replace", "value": "cop.example.com"}])],
        kind="ClusterOverridePolicy")
    by_name = op("by-name", [rule(["m1"], imageOverrider=[
        {"component": "Registry", "operator": "replace", "value": "name.example.com"}])],
        selector={"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"})
    kind_only = op("a-kind-only", [rule(["m1"], imageOverrider=[
        {"component": "Registry", "operator": "replace", "value": "kind.example.com"}])])
    works = manifests(tmp_path, [*BASE, by_name, kind_only, cop])
    assert image(works["m1"]) == "name.example.com/nginx:1.27"     # the most specific OP is applied last
    assert image(works["m2"]) == "cop.example.com/nginx:1.27"


def test_a_broken_override_is_reported_for_its_cluster(home, tmp_path):
    broken = op("broken", [rule(["m2"], plaintext=[{"path": "/spec/missing/x", "operator": "remove"}])])
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump_all([*BASE, broken]))
    table = run_cli("plan", "--offline", "-f", str(path))
    assert table.returncode == 0
    assert "m2" in table.stdout and "ERROR" in table.stdout and "/spec/missing/x" in table.stdout
    works = manifests(tmp_path, [*BASE, broken])
    assert image(works["m1"]) == "nginx:1.27"
    assert works["m2"]["metadata"]["annotations"]["karmadactl.io/override-error"]


def test_invalid_override_policies_are_refused_with_the_field(home, tmp_path):
    bad = op("bad", [rule(["m1"], plaintext=[{"path": "/spec/replicas", "operator": "replace"}])])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == 1 and "bad.yaml" in result.stderr and "value" in result.stderr
    both = op("both", [rule(["m1"], fieldOverrider=[{"fieldPath": "/data/x", "json": [], "yaml": []}])])
    path.write_text(yaml.safe_dump(both))
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == 1 and "fieldOverrider" in result.stderr


def test_override_command_writes_an_ordinary_policy(home, tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(deployment(2)))
    assert run_cli("apply", "-f", str(path)).returncode == 0
    printed = run_cli("override", "deploy/nginx", "--cluster", "member2", "--image-registry", "r.example.com",
                      "--image-tag", "2.0", "--annotation", "owner=team a", "--patch",
                      '[{"op": "replace", "path": "/spec/replicas", "value": 1}]', "--dry-run", "-o", "yaml")
    assert printed.returncode == 0, printed.stderr
    doc = yaml.safe_load(printed.stdout)
    assert doc["kind"] == "OverridePolicy" and doc["metadata"]["name"] == "nginx-deployment-member2"
    overriders = doc["spec"]["overrideRules"][0]["overriders"]
    assert overriders["imageOverrider"] == [{"component": "Registry", "operator": "replace", "value": "r.example.com"},
                                            {"component": "Tag", "operator": "replace", "value": "2.0"}]
    assert overriders["plaintext"] == [{"path": "/spec/replicas", "operator": "replace", "value": 1}]
    assert run_cli("get", "op", "-o", "name").stdout == ""
    bad_patch = run_cli("override", "deploy/nginx", "--cluster", "member2", "--patch", "{not json")
    assert bad_patch.returncode == 1 and "--patch" in bad_patch.stderr
    nothing = run_cli("override", "deploy/nginx", "--cluster", "member2")
    assert nothing.returncode == 2
