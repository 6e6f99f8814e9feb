"""Karmada's policy fields through the real CLI: zone selectors, schedulerName, dependentOverrides,
schedulePriority (offline plans), and the same against sandbox members (apply, get rb, describe)."""

from __future__ import annotations

import json

import yaml

from tests.conftest import run_cli
from tests.integration.test_plan_offline import cluster, deployment
from tests.integration.test_propagation import write


def pp(name="nginx", affinity=None, **spec) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                     "placement": {"clusterAffinity": affinity or {"clusterNames": ["m1"]}}, **spec}}


def zoned(name: str, *zones: str) -> dict:
    obj = cluster(name)
    obj["spec"]["zones"] = list(zones)
    return obj


def offline(tmp_path, docs, output="json"):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = run_cli("plan", "--offline", "-f", str(path), "-o", output)
    assert result.returncode == 0, result.stderr
    return result.stdout


def binding_of(listing: str) -> dict | None:
    return next((i for i in json.loads(listing)["items"] if i["kind"] == "ResourceBinding"), None)


def plan_row(table: str) -> str:
    return next(line for line in table.splitlines() if line.startswith("default"))


def test_zone_in_takes_a_multi_zone_cluster_when_any_zone_is_listed(home, tmp_path):
    # Karmada pkg/util/selector.go matchZones: In = any of the cluster's zones listed
    selector = {"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["eu-1b"]}]}}
    docs = [deployment(2), pp(affinity=selector), zoned("m1", "eu-1a", "eu-1b"), zoned("m2", "eu-1c"),
            zoned("m3")]
    assert [c["name"] for c in binding_of(offline(tmp_path, docs))["spec"]["clusters"]] == ["m1"]
    selector["fieldSelector"]["matchExpressions"][0]["operator"] = "NotIn"
    docs[1] = pp(affinity=selector)
    got = binding_of(offline(tmp_path, docs))["spec"]["clusters"]
    assert sorted(c["name"] for c in got) == ["m2", "m3"]


def test_another_schedulers_binding_is_not_scheduled_and_plan_says_why(home, tmp_path):
    # Karmada pkg/scheduler/event_handler.go schedulerNameFilter
    docs = [deployment(2), pp(schedulerName="gpu-scheduler"), cluster("m1")]
    binding = binding_of(offline(tmp_path, docs))
    assert binding["spec"]["schedulerName"] == "gpu-scheduler"
    assert "clusters" not in binding["spec"] or binding["spec"]["clusters"] == []
    assert not [c for c in (binding.get("status") or {}).get("conditions") or [] if c["type"] == "Scheduled"]
    assert 'left to scheduler "gpu-scheduler"' in plan_row(offline(tmp_path, docs, "table"))


def test_dependent_overrides_hold_the_template_until_they_exist(home, tmp_path):
    # Karmada pkg/util/helper/policy.go IsDependentOverridesPresent, checked by pkg/detector/detector.go
    op = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
          "metadata": {"name": "registry", "namespace": "default"},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                   "overrideRules": [{"targetCluster": {"clusterNames": ["m1"]}, "overriders": {
                       "imageOverrider": [{"component": "Registry", "operator": "replace",
                                           "value": "registry.example.com"}]}}]}}
    docs = [deployment(2), pp(dependentOverrides=["registry"]), cluster("m1")]
    assert binding_of(offline(tmp_path, docs)) is None
    assert "waiting for dependent overrides: OverridePolicy default/registry" in plan_row(
        offline(tmp_path, docs, "table"))
    listing = json.loads(offline(tmp_path, docs + [op]))
    work = next(i for i in listing["items"] if i["kind"] == "Work")
    image = work["spec"]["workload"]["manifests"][0]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/nginx:1.27"


def test_schedule_priority_comes_from_the_priority_class(home, tmp_path):
    # Karmada pkg/detector/detector.go BuildResourceBinding: spec.schedulePriority.priority
    priority = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
                "value": 1000}
    spec = {"schedulePriority": {"priorityClassSource": "KubePriorityClass", "priorityClassName": "high"}}
    docs = [deployment(2), pp(**spec), cluster("m1"), priority]
    assert binding_of(offline(tmp_path, docs))["spec"]["schedulePriority"] == {"priority": 1000}
    assert 'priorityclasses.scheduling.k8s.io "high" not found' in plan_row(offline(tmp_path, docs[:3], "table"))


def test_members_get_nothing_for_another_scheduler_and_get_rb_describe_say_why(joined, tmp_path, member_client):
    from kubernetes import client

    docs = [deployment(2), pp(affinity={"clusterNames": ["member1"]}, schedulerName="gpu-scheduler")]
    applied = run_cli("apply", "-f", write(tmp_path / "app.yaml", *docs))
    assert applied.returncode == 0, applied.stderr
    assert 'not scheduled: left to scheduler "gpu-scheduler"' in applied.stderr
    table = run_cli("get", "rb")
    row = next(line for line in table.stdout.splitlines() if line.startswith("nginx-deployment"))
    assert row.split()[1] == "Pending(gpu-scheduler)"
    described = run_cli("describe", "deploy", "nginx")
    assert 'Pending (left to scheduler "gpu-scheduler"' in described.stdout
    apps = client.AppsV1Api(member_client(joined[0]))
    names = [d.metadata.name for d in apps.list_namespaced_deployment("default").items]
    assert "nginx" not in names
    assert run_cli("delete", "-f", str(tmp_path / "app.yaml")).returncode == 0


def test_plan_lists_higher_schedule_priority_first(home, tmp_path):
    # Karmada pkg/scheduler/internal/queue/types.go Less: priority descending, then queue time
    def named(name, class_name):
        dep = deployment(1)
        dep["metadata"]["name"] = name
        policy = pp(name, schedulePriority={"priorityClassSource": "KubePriorityClass",
                                            "priorityClassName": class_name})
        policy["spec"]["resourceSelectors"][0]["name"] = name
        return [dep, policy]

    classes = [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": n},
                "value": v} for n, v in (("low", 1), ("high", 100))]
    docs = [*named("a-batch", "low"), *named("b-web", "high"), cluster("m1"), *classes]
    rows = [line.split()[1] for line in offline(tmp_path, docs, "table").splitlines()
            if line.startswith("default")]
    assert rows == ["b-web", "a-batch"]


def test_apply_warns_while_dependent_overrides_are_missing(joined, tmp_path, member_client):
    from kubernetes import client

    docs = [deployment(2), pp(affinity={"clusterNames": ["member1"]}, dependentOverrides=["registry"])]
    applied = run_cli("apply", "-f", write(tmp_path / "app.yaml", *docs))
    assert applied.returncode == 0, applied.stderr
    assert "not scheduled: waiting for dependent overrides: OverridePolicy default/registry" in applied.stderr
    apps = client.AppsV1Api(member_client(joined[0]))
    assert "nginx" not in [d.metadata.name for d in apps.list_namespaced_deployment("default").items]
    op = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
          "metadata": {"name": "registry", "namespace": "default"},
          "spec": {"overrideRules": [{"overriders": {"labelsOverrider": [
              {"operator": "add", "value": {"tier": "web"}}]}}]}}
    applied = run_cli("apply", "-f", write(tmp_path / "op.yaml", op))
    assert applied.returncode == 0 and "waiting" not in applied.stderr, applied.stderr
    live = apps.read_namespaced_deployment("nginx", "default")
    assert live.metadata.labels.get("tier") == "web"
    assert run_cli("delete", "-f", str(tmp_path / "app.yaml")).returncode == 0
    assert run_cli("delete", "-f", str(tmp_path / "op.yaml")).returncode == 0
