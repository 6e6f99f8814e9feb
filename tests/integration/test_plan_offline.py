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


def cpp(name: str, priority: int, selector: dict, clusters: list[str]) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
            "metadata": {"name": name},
            "spec": {"priority": priority, "resourceSelectors": [selector],
                     "placement": {"clusterAffinity": {"clusterNames": clusters}}}}


def pp(name: str, priority: int, selector: dict, clusters: list[str]) -> dict:
    doc = cpp(name, priority, selector, clusters)
    doc["kind"] = "PropagationPolicy"
    doc["metadata"]["namespace"] = "default"
    return doc


KIND_ONLY = {"apiVersion": "apps/v1", "kind": "Deployment"}
BY_LABEL = {"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "nginx"}}}
BY_NAME = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}


@pytest.mark.parametrize("policies, winner", [
    ([cpp("c-high", 100, BY_NAME, ["m1"]), pp("p-low", 0, KIND_ONLY, ["m2"])], "p-low"),   # any PP beats CPPs
    ([pp("a", 1, KIND_ONLY, ["m1"]), pp("b", 2, KIND_ONLY, ["m2"])], "b"),                # explicit priority
    ([pp("a", 0, KIND_ONLY, ["m1"]), pp("b", 0, BY_LABEL, ["m2"])], "b"),                 # label > kind-only
    ([pp("a", 0, BY_LABEL, ["m1"]), pp("b", 0, BY_NAME, ["m2"])], "b"),                   # name > label
    ([pp("b", 0, BY_NAME, ["m1"]), pp("a", 0, BY_NAME, ["m2"])], "a"),                    # then the smaller name
    ([cpp("z", 0, BY_NAME, ["m1"]), cpp("y", 5, KIND_ONLY, ["m2"])], "y"),                # among CPPs: priority
])
def test_which_policy_claims_the_template(home, tmp_path, policies, winner):
    template = deployment(2)
    template["metadata"]["labels"] = {"app": "nginx"}
    listing = plan(tmp_path, [template, *policies, cluster("m1"), cluster("m2")])
    binding = next(i for i in listing["items"] if i["kind"] == "ResourceBinding")
    annotations = binding["metadata"]["annotations"]
    assert winner in (annotations.get("propagationpolicy.karmada.io/name"),
                      annotations.get("clusterpropagationpolicy.karmada.io/name"))


def test_a_divided_job_splits_parallelism_and_completions(home, tmp_path):
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": "default"},
           "spec": {"parallelism": 6, "completions": 12,
                    "template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "pi", "image": "perl"}]}}}}
    policy_doc = pp("pi", 0, {"apiVersion": "batch/v1", "kind": "Job", "name": "pi"}, ["m1", "m2"])
    policy_doc["spec"]["placement"]["replicaScheduling"] = static({"m1": 2, "m2": 1})
    listing = plan(tmp_path, [job, policy_doc, cluster("m1"), cluster("m2")])
    works = {w["metadata"]["namespace"]: w["spec"]["workload"]["manifests"][0]["spec"]
             for w in listing["items"] if w["kind"] == "Work"}
    assert works["karmada-es-m1"]["parallelism"] == 4 and works["karmada-es-m2"]["parallelism"] == 2
    assert works["karmada-es-m1"]["completions"] == 8 and works["karmada-es-m2"]["completions"] == 4


def test_a_custom_resource_of_a_cluster_scoped_crd(home, tmp_path):
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "backends.example.io"},
           "spec": {"group": "example.io", "scope": "Cluster",
                    "names": {"kind": "Backend", "plural": "backends", "shortNames": ["be"]},
                    "versions": [{"name": "v1", "served": True, "storage": True}]}}
    backend = {"apiVersion": "example.io/v1", "kind": "Backend", "metadata": {"name": "shared"},
               "spec": {"size": 3}}
    policy_doc = cpp("backends", 0, {"apiVersion": "example.io/v1", "kind": "Backend"}, ["m1", "m2"])
    path = tmp_path / "crd.yaml"
    path.write_text(yaml.safe_dump_all([crd, backend, policy_doc]))
    assert run_cli("apply", "-f", str(path)).returncode == 0
    got = json.loads(run_cli("get", "be", "-o", "json").stdout)["items"]
    assert [b["metadata"]["name"] for b in got] == ["shared"] and "namespace" not in got[0]["metadata"]
    listing = plan(tmp_path, [crd, backend, policy_doc, cluster("m1"), cluster("m2")])
    crb = next(i for i in listing["items"] if i["kind"] == "ClusterResourceBinding")
    assert crb["metadata"]["name"] == "shared-backend"
    assert [c["name"] for c in crb["spec"]["clusters"]] == ["m1", "m2"]
    assert all("replicas" not in c for c in crb["spec"]["clusters"])
