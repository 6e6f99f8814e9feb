"""apply, plan, get, delete and propagate through the real CLI, with sandbox members joined."""

from __future__ import annotations

import json

import yaml

from tests.conftest import run_cli

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
              "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "nginx"}},
                       "template": {"metadata": {"labels": {"app": "nginx"}},
                                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}
WEIGHTED = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": "nginx", "namespace": "default"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                     "placement": {
                         "clusterAffinity": {"clusterNames": ["member1", "member2"]},
                         "replicaScheduling": {
                             "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                             "weightPreference": {"staticWeightList": [
                                 {"targetCluster": {"clusterNames": ["member1"]}, "weight": 2},
                                 {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1}]}}}}}


def write(path, *docs):
    path.write_text(yaml.safe_dump_all(list(docs)))
    return str(path)


def bindings():
    out = run_cli("get", "rb", "-A", "-o", "json")
    assert out.returncode == 0, out.stderr
    return {b["metadata"]["name"]: b for b in json.loads(out.stdout)["items"]}


def test_weighted_two_to_one_gives_four_and_two_online_and_offline(joined, tmp_path):
    files = write(tmp_path / "app.yaml", DEPLOYMENT, WEIGHTED)
    applied = run_cli("apply", "-f", files)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == ["deployment.apps/nginx created",
                                           "propagationpolicy.policy.karmada.io/nginx created",
                                           "member1: 1 created", "member2: 1 created"]
    table = run_cli("plan")
    assert table.returncode == 0
    row = next(line for line in table.stdout.splitlines() if line.startswith("default"))
    assert row.split()[:6] == ["default", "nginx", "Deployment", "default/nginx", "6", "member1:4,member2:2"]
    binding = bindings()["nginx-deployment"]
    assert binding["spec"]["clusters"] == [{"name": "member1", "replicas": 4}, {"name": "member2", "replicas": 2}]
    assert binding["metadata"]["annotations"]["propagationpolicy.karmada.io/name"] == "nginx"

    # the same files plus the two Clusters, offline: the same answer, no store, no member contacted
    clusters = [yaml.safe_load(run_cli("get", "clusters", name, "-o", "yaml").stdout)
                for name in ("member1", "member2")]
    offline = write(tmp_path / "offline.yaml", DEPLOYMENT, WEIGHTED, *clusters)
    result = run_cli("plan", "--offline", "-f", offline, "-o", "json", env={"KARMADA_HOME": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    rb = next(i for i in json.loads(result.stdout)["items"] if i["kind"] == "ResourceBinding")
    assert rb["spec"]["clusters"] == binding["spec"]["clusters"]
    assert not (tmp_path / "none").exists()


def test_an_invalid_policy_stores_nothing_and_names_file_and_field(joined, tmp_path):
    bad = json.loads(json.dumps(WEIGHTED))
    bad["spec"]["placement"]["spreadConstraints"] = [{"spreadByField": "cluster", "minGroups": 3, "maxGroups": 2}]
    files = write(tmp_path / "bad.yaml", DEPLOYMENT, bad)
    result = run_cli("apply", "-f", files)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad.yaml" in result.stderr and "spreadConstraints[0]" in result.stderr
    assert run_cli("get", "deploy", "-o", "name").stdout == ""

    unknown = json.loads(json.dumps(WEIGHTED))
    unknown["spec"]["placement"]["clusterAfinity"] = {}
    result = run_cli("apply", "-f", write(tmp_path / "typo.yaml", unknown))
    assert result.returncode == 1 and "clusterAfinity" in result.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Deployment\nmetadata: {name: x\n")
    result = run_cli("apply", "-f", str(broken))
    assert result.returncode == 1 and "broken.yaml" in result.stderr and "line" in result.stderr

    nameless = run_cli("apply", "-f", write(tmp_path / "nameless.yaml",
                                            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))
    assert nameless.returncode == 1 and "metadata.name" in nameless.stderr


def test_apply_reads_stdin_json_lists_and_directories(joined, tmp_path):
    listing = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "team"}}]}
    assert run_cli("apply", "-f", "-", input=json.dumps(listing), subprocess=True).returncode == 0   # a real pipe
    folder = tmp_path / "manifests" / "nested"
    folder.mkdir(parents=True)
    write(folder / "c.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    (tmp_path / "manifests" / "notes.txt").write_text("not a manifest")
    flat = run_cli("apply", "-f", str(tmp_path / "manifests"))
    assert flat.returncode == 1 and "no .yaml" in flat.stderr
    assert run_cli("apply", "-f", str(tmp_path / "manifests"), "-R").returncode == 0
    names = run_cli("get", "cm", "-A", "-o", "name").stdout.split()
    assert names == ["configmap/a", "configmap/c", "configmap/b"]
    assert run_cli("get", "cm", "-n", "team", "-o", "name").stdout.split() == ["configmap/b"]
    missing = run_cli("get", "cm", "zzz")
    assert missing.returncode == 1 and 'configmaps "zzz" not found' in missing.stderr


def test_delete_template_drops_its_binding_and_policy_deletion_releases(joined, tmp_path):
    files = write(tmp_path / "app.yaml", DEPLOYMENT, WEIGHTED)
    run_cli("apply", "-f", files)
    assert "nginx-deployment" in bindings()
    deleted = run_cli("delete", "pp", "nginx")
    assert deleted.returncode == 0 and "propagationpolicy.policy.karmada.io/nginx deleted" in deleted.stdout
    released = bindings()["nginx-deployment"]
    assert "propagationpolicy.karmada.io/name" not in released["metadata"].get("annotations", {})
    assert released["spec"]["clusters"]            # the last result stays, as in Karmada
    assert run_cli("delete", "deploy", "nginx").returncode == 0
    assert bindings() == {}
    again = run_cli("delete", "deploy", "nginx")
    assert again.returncode == 1 and "not found" in again.stderr
    assert run_cli("delete", "deploy", "nginx", "--ignore-not-found").returncode == 0


def test_a_propagation_policy_beats_a_higher_priority_cluster_policy_and_claims_stick(joined, tmp_path):
    cpp = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
           "metadata": {"name": "everything"},
           "spec": {"priority": 100, "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                    "placement": {"clusterAffinity": {"clusterNames": ["member3"]}}}}
    run_cli("apply", "-f", write(tmp_path / "a.yaml", DEPLOYMENT, cpp, WEIGHTED))
    assert bindings()["nginx-deployment"]["metadata"]["annotations"]["propagationpolicy.karmada.io/name"] == "nginx"
    other = json.loads(json.dumps(WEIGHTED))
    other["metadata"]["name"] = "aaa-first-by-name"
    other["spec"]["priority"] = 10
    run_cli("apply", "-f", write(tmp_path / "b.yaml", other))
    # the template stays with the policy that claimed it
    assert bindings()["nginx-deployment"]["metadata"]["annotations"]["propagationpolicy.karmada.io/name"] == "nginx"


def test_propagate_writes_an_ordinary_policy(joined, tmp_path):
    run_cli("apply", "-f", write(tmp_path / "d.yaml", DEPLOYMENT))
    dry = run_cli("propagate", "deploy/nginx", "--cluster", "member1", "--cluster", "member3",
                  "--divided", "--weight", "member1=1", "--weight", "member3=2", "--dry-run", "-o", "yaml")
    assert dry.returncode == 0, dry.stderr
    policy = yaml.safe_load(dry.stdout)
    assert policy["kind"] == "PropagationPolicy" and policy["metadata"]["name"] == "nginx-deployment"
    assert "uid" not in policy["metadata"]
    assert run_cli("get", "pp", "-o", "name").stdout == ""
    done = run_cli("propagate", "deploy/nginx", "--cluster", "member1", "--cluster", "member3",
                   "--divided", "--weight", "member1=1", "--weight", "member3=2")
    assert done.returncode == 0 and "created" in done.stdout
    assert bindings()["nginx-deployment"]["spec"]["clusters"] == [{"name": "member1", "replicas": 2},
                                                                  {"name": "member3", "replicas": 4}]
    usage = run_cli("propagate", "deploy/nginx", "--cluster", "member1", "--all-clusters")
    assert usage.returncode == 2
    missing = run_cli("propagate", "deploy/ghost", "--all-clusters")
    assert missing.returncode == 1 and "ghost" in missing.stderr
