"""`karmadactl plan --offline`: Karmada's worked scheduling examples (spec §2.7) through the real CLI.

Each case is a set of files as a CI pipeline would hold them: a Deployment, a
PropagationPolicy, Cluster objects whose status.resourceSummary gives their
capacity, and, for a reschedule, the ResourceBinding with the previous result.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import run_cli


def deployment(replicas: int, uid: str = "") -> dict:
    meta = {"name": "nginx", "namespace": "default"}
    if uid:
        meta["uid"] = uid
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                     "template": {"metadata": {"labels": {"app": "nginx"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}


def policy(scheduling: dict, clusters: list[str]) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": "nginx", "namespace": "default"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                     "placement": {"clusterAffinity": {"clusterNames": clusters},
                                   "replicaScheduling": scheduling}}}


def static(weights: dict[str, int]) -> dict:
    return {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [
                {"targetCluster": {"clusterNames": [c]}, "weight": w} for c, w in weights.items()]}}


DYNAMIC = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
           "weightPreference": {"dynamicWeight": "AvailableReplicas"}}
AGGREGATED = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}


def cluster(name: str, pods: int = 1000) -> dict:
    """A Cluster whose free capacity is `pods` replicas of a workload without requests."""
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name},
            "spec": {"syncMode": "Push", "apiEndpoint": f"https://{name}.example:6443"},
            "status": {"resourceSummary": {"allocatable": {"cpu": "1000", "memory": "4000Gi", "pods": str(pods)},
                                           "allocated": {"pods": "0"}}}}


def previous(targets: dict[str, int]) -> dict:
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
            "metadata": {"name": "nginx-deployment", "namespace": "default"},
            "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                                  "name": "nginx"},
                     "clusters": [{"name": c, "replicas": r} for c, r in targets.items()]},
            "status": {"conditions": [{"type": "Scheduled", "status": "True", "reason": "Success",
                                       "message": "Binding has been scheduled successfully."}]}}


def plan(tmp_path, docs: list[dict]) -> dict:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = run_cli("plan", "--offline", "-f", str(path), "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def placement(listing: dict) -> dict[str, int]:
    binding = next(i for i in listing["items"] if i["kind"] == "ResourceBinding")
    return {c["name"]: c["replicas"] for c in binding["spec"].get("clusters") or []}


M123 = ["m1", "m2", "m3"]
CASES = [
    # (number in §2.7, replicas, scheduling, clusters {name: free replicas}, previous result, expected)
    ("1 static 3:2:1 N=12", 12, static({"m1": 3, "m2": 2, "m3": 1}), dict.fromkeys(M123, 1000), None,
     {"m1": 6, "m2": 4, "m3": 2}),
    ("2 static 3:2:1 N=13", 13, static({"m1": 3, "m2": 2, "m3": 1}), dict.fromkeys(M123, 1000), None,
     {"m1": 7, "m2": 4, "m3": 2}),
    ("2 static 3:2:1 N=14", 14, static({"m1": 3, "m2": 2, "m3": 1}), dict.fromkeys(M123, 1000), None,
     {"m1": 7, "m2": 5, "m3": 2}),
    ("4 unweighted cluster ignored", 2, static({"m1": 1}), {"m1": 1000, "m2": 1000}, None, {"m1": 2}),
    ("5 dynamic 18:12:6", 12, DYNAMIC, {"m1": 18, "m2": 12, "m3": 6}, None, {"m1": 6, "m2": 4, "m3": 2}),
    ("5 dynamic 20:12:6", 12, DYNAMIC, {"m1": 20, "m2": 12, "m3": 6}, None, {"m1": 6, "m2": 4, "m3": 2}),
    ("6 aggregated 6:6:6", 12, AGGREGATED, {"m1": 6, "m2": 6, "m3": 6}, None, {"m1": 6, "m2": 6}),
    ("7 scale down 12->6", 6, DYNAMIC, dict.fromkeys(M123, 1000), {"m1": 2, "m2": 4, "m3": 6},
     {"m1": 1, "m2": 2, "m3": 3}),
    ("8 scale up 12->24 10:10:10", 24, DYNAMIC, dict.fromkeys(M123, 10), {"m1": 2, "m2": 4, "m3": 6},
     {"m1": 6, "m2": 8, "m3": 10}),
    ("9 aggregated up 4:6:8", 24, AGGREGATED, {"m1": 4, "m2": 6, "m3": 8}, {"m1": 4, "m2": 8},
     {"m1": 7, "m2": 12, "m3": 5}),
    ("10 aggregated up 6:6:20", 24, AGGREGATED, {"m1": 6, "m2": 6, "m3": 20}, {"m1": 4, "m2": 8},
     {"m1": 10, "m2": 14}),
    ("11 aggregated down 12->8", 8, AGGREGATED, {"m1": 100, "m2": 100}, {"m1": 4, "m2": 8}, {"m2": 8}),
    ("12 cluster2 gone, cluster4 new", 24, AGGREGATED, {"m1": 4, "m3": 8, "m4": 12}, {"m1": 4, "m2": 8},
     {"m1": 7, "m3": 7, "m4": 10}),
    ("13 failover 3:3", 12, DYNAMIC, {"m1": 3, "m2": 3}, {"m1": 6, "m3": 6}, {"m1": 9, "m2": 3}),
    ("14 aggregated first schedule 6:8:10", 12, AGGREGATED, {"m1": 6, "m2": 8, "m3": 10}, None,
     {"m3": 7, "m2": 5}),
]


@pytest.mark.parametrize("label, replicas, scheduling, clusters, prior, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_worked_examples(home, tmp_path, label, replicas, scheduling, clusters, prior, expected):
    docs = [deployment(replicas), policy(scheduling, sorted(clusters) + (["m2"] if prior and "m2" in prior
                                                                          and "m2" not in clusters else []))]
    docs += [cluster(name, pods) for name, pods in clusters.items()]
    if prior:
        docs.append(previous(prior))
    assert placement(plan(tmp_path, docs)) == expected


def test_example_3_the_largest_matching_weight_counts(home, tmp_path):
    scheduling = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                  "weightPreference": {"staticWeightList": [
                      {"targetCluster": {"clusterNames": ["m1"]}, "weight": 1},
                      {"targetCluster": {"clusterNames": ["m2"]}, "weight": 1},
                      {"targetCluster": {"clusterNames": ["m1"]}, "weight": 2}]}}
    docs = [deployment(3), policy(scheduling, ["m1", "m2"]), cluster("m1"), cluster("m2")]
    assert placement(plan(tmp_path, docs)) == {"m1": 2, "m2": 1}


@pytest.mark.parametrize("scheduling, free", [(DYNAMIC, 3), (AGGREGATED, 3)])
def test_not_enough_capacity_is_unschedulable(home, tmp_path, scheduling, free):
    docs = [deployment(24), policy(scheduling, M123), *[cluster(c, free) for c in M123],
            previous({"m1": 2, "m2": 4, "m3": 6})]
    listing = plan(tmp_path, docs)
    binding = next(i for i in listing["items"] if i["kind"] == "ResourceBinding")
    scheduled = next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    assert "not enough to schedule" in scheduled["message"]


def test_offline_plan_is_byte_for_byte_repeatable_and_lists_works(home, tmp_path):
    docs = [deployment(6), policy(static({"m1": 2, "m2": 1}), ["m1", "m2"]), cluster("m1"), cluster("m2")]
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    first = run_cli("plan", "--offline", "-f", str(path), "-o", "yaml")
    second = run_cli("plan", "--offline", "-f", str(path), "-o", "yaml")
    assert first.returncode == 0 and first.stdout == second.stdout
    listing = yaml.safe_load(first.stdout)
    works = [i for i in listing["items"] if i["kind"] == "Work"]
    assert [(w["metadata"]["namespace"], w["metadata"]["name"]) for w in works] == \
        [("karmada-es-m1", "nginx-687f7fb96f"), ("karmada-es-m2", "nginx-687f7fb96f")]
    assert [w["spec"]["workload"]["manifests"][0]["spec"]["replicas"] for w in works] == [4, 2]
    manifest = works[0]["spec"]["workload"]["manifests"][0]
    assert manifest["metadata"]["labels"]["karmada.io/managed"] == "true"
    table = run_cli("plan", "--offline", "-f", str(path))
    assert "m1:4,m2:2" in table.stdout
    assert not (home / "karmada.db").exists()     # offline touches no store


def test_offline_plan_without_clusters_reports_no_fit(home, tmp_path):
    listing = plan(tmp_path, [deployment(2), policy(DYNAMIC, ["m1"])])
    binding = next(i for i in listing["items"] if i["kind"] == "ResourceBinding")
    scheduled = next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "NoClusterFit")
    assert scheduled["message"].startswith("0/0 clusters are available")
