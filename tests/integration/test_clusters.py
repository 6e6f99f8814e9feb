"""The cluster registry through the real CLI, against sandbox members over HTTP."""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

from tests.conftest import run_cli
from tests.processes import run_cli_in_processes


def join(member, *extra):
    return run_cli("join", member.name, "--kubeconfig", str(member.kubeconfig_path), *extra)


def clusters_json():
    result = run_cli("get", "clusters", "-o", "json")
    assert result.returncode == 0, result.stderr
    return {c["metadata"]["name"]: c for c in json.loads(result.stdout)["items"]}


def test_join_stores_a_ready_cluster_with_capacity(home, members):
    m1 = members[0]
    result = join(m1, "--provider", "sandbox", "--region", "eu", "--zone", "eu-1", "-l", "env=prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cluster/member1 created"

    cluster = clusters_json()["member1"]
    assert cluster["apiVersion"] == "cluster.karmada.io/v1alpha1" and cluster["kind"] == "Cluster"
    spec, status = cluster["spec"], cluster["status"]
    assert spec["syncMode"] == "Push" and spec["apiEndpoint"] == m1.url
    assert (spec["provider"], spec["region"], spec["zones"]) == ("sandbox", "eu", ["eu-1"])
    assert cluster["metadata"]["labels"] == {"env": "prod"}
    assert spec["id"]                                  # the member's kube-system uid
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "ClusterReady")
    assert status["kubernetesVersion"].startswith("v1.")
    assert status["nodeSummary"] == {"totalNum": 3, "readyNum": 3}
    assert status["resourceSummary"]["allocatable"]["cpu"] == "24"      # 3 nodes x 8 cpu
    group_versions = [g["groupVersion"] for g in status["apiEnablements"]]
    assert "apps/v1" in group_versions and group_versions == sorted(group_versions)
    assert (home / "karmada.db").exists()
    assert stat.S_IMODE(os.stat(home / "karmada.db").st_mode) == 0o600


def test_join_again_is_a_noop_and_changed_flags_update(home, members):
    m2 = members[1]
    assert join(m2, "--region", "us").returncode == 0
    rv = clusters_json()["member2"]["metadata"]["resourceVersion"]
    again = join(m2, "--region", "us")
    assert again.returncode == 0 and again.stdout.strip() == "cluster/member2 unchanged"
    assert clusters_json()["member2"]["metadata"]["resourceVersion"] == rv
    changed = join(m2, "--region", "ap")
    assert changed.stdout.strip() == "cluster/member2 updated"
    assert clusters_json()["member2"]["spec"]["region"] == "ap"


def test_get_clusters_in_every_output_format(home, members):
    for m in members:
        assert join(m).returncode == 0
    table = run_cli("get", "clusters")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "MODE", "READY", "AGE"]
    assert [line.split()[0] for line in lines[1:]] == ["member1", "member2", "member3"]
    assert all(line.split()[2:4] == ["Push", "True"] for line in lines[1:])

    wide = run_cli("get", "clusters", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "VERSION", "MODE", "READY", "AGE", "REGION", "ZONES", "PROVIDER",
                               "API-ENDPOINT", "TAINTS", "NODES", "CPU", "MEMORY"]
    assert wide[3].split()[-3:] == ["5/5", "40", "160Gi"]        # member3: 5 nodes of 8 cpu / 32Gi

    names = run_cli("get", "clusters", "-o", "name").stdout.split()
    assert names == [f"cluster.cluster.karmada.io/member{i}" for i in (1, 2, 3)]

    one = yaml.safe_load(run_cli("get", "clusters", "member2", "-o", "yaml").stdout)
    assert one["kind"] == "Cluster" and one["metadata"]["name"] == "member2"
    listed = yaml.safe_load(run_cli("get", "clusters", "-o", "yaml").stdout)
    assert listed["kind"] == "List" and len(listed["items"]) == 3

    missing = run_cli("get", "clusters", "nope")
    assert missing.returncode == 1 and 'clusters.cluster.karmada.io "nope" not found' in missing.stderr
    bad = run_cli("get", "clusters", "-o", "xml", subprocess=True)     # exit 2 from a real process
    assert bad.returncode == 2 and 'the output format "xml"' in bad.stderr


def test_get_clusters_by_label_selector(home, members):
    join(members[0], "-l", "env=prod")
    join(members[1], "-l", "env=dev")
    join(members[2])
    out = run_cli("get", "clusters", "-l", "env in (prod,dev),env!=dev", "-o", "name").stdout.split()
    assert out == ["cluster.cluster.karmada.io/member1"]
    assert run_cli("get", "clusters", "-l", "!env", "-o", "name").stdout.split() == \
        ["cluster.cluster.karmada.io/member3"]
    empty = run_cli("get", "clusters", "-l", "env=none")
    assert empty.returncode == 0 and empty.stdout == "" and "No resources found" in empty.stderr


def test_unreachable_member_is_refused_and_store_unchanged(home, members, tmp_path):
    config = yaml.safe_load(members[0].kubeconfig_path.read_text())
    config["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:1"
    path = tmp_path / "dead.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    result = run_cli("join", "dead", "--kubeconfig", str(path))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "127.0.0.1:1" in result.stderr
    assert clusters_json() == {}


def test_broken_kubeconfig_and_unknown_context(home, members, tmp_path):
    broken = tmp_path / "broken.kubeconfig"
    broken.write_text("apiVersion: v1\nclusters: [\n  - oops")
    result = run_cli("join", "x", "--kubeconfig", str(broken))
    assert result.returncode == 1 and str(broken) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    result = join(members[0], "--context", "nope")
    assert result.returncode == 1 and '"nope"' in result.stderr and "context" in result.stderr

    result = run_cli("join", "x", "--kubeconfig", str(tmp_path / "missing"))
    assert result.returncode == 1 and "missing" in result.stderr

    result = join(members[0], "--label", "bad key=1")
    assert result.returncode == 1 and "--label" in result.stderr

    result = run_cli("join", "Bad_Name", "--kubeconfig", str(members[0].kubeconfig_path))
    assert result.returncode == 1 and "Bad_Name" in result.stderr
    assert clusters_json() == {}


def test_the_same_cluster_cannot_be_joined_twice_under_two_names(home, members):
    assert join(members[0]).returncode == 0
    again = run_cli("join", "copy", "--kubeconfig", str(members[0].kubeconfig_path))
    assert again.returncode == 1 and 'already joined as "member1"' in again.stderr
    assert list(clusters_json()) == ["member1"]


def test_taint_cordon_uncordon(home, members):
    join(members[0])
    assert run_cli("taint", "clusters", "member1", "dedicated=gpu:NoSchedule", "maint:NoExecute").returncode == 0
    taints = clusters_json()["member1"]["spec"]["taints"]
    assert [(t["key"], t.get("value"), t["effect"]) for t in taints] == \
        [("dedicated", "gpu", "NoSchedule"), ("maint", None, "NoExecute")]
    assert all(t["timeAdded"] for t in taints)

    clash = run_cli("taint", "clusters", "member1", "dedicated=cpu:NoSchedule")
    assert clash.returncode == 1 and "--overwrite" in clash.stderr
    assert run_cli("taint", "clusters", "member1", "dedicated=cpu:NoSchedule", "--overwrite").returncode == 0
    assert run_cli("taint", "clusters", "member1", "maint-").returncode == 0
    taints = clusters_json()["member1"]["spec"]["taints"]
    assert [(t["key"], t["value"]) for t in taints] == [("dedicated", "cpu")]
    assert run_cli("taint", "clusters", "member1", "nothere-").returncode == 1
    assert run_cli("taint", "clusters", "member1", "k=v:Sometimes").returncode == 1
    assert run_cli("taint", "nodes", "member1", "k=v:NoSchedule").returncode == 2

    assert run_cli("cordon", "member1").stdout.strip() == "cluster/member1 cordoned"
    assert run_cli("cordon", "member1").stdout.strip() == "cluster/member1 already cordoned"
    keys = [t["key"] for t in clusters_json()["member1"]["spec"]["taints"]]
    assert "cluster.karmada.io/unschedulable" in keys
    wide = run_cli("get", "clusters", "-o", "wide").stdout
    assert "cluster.karmada.io/unschedulable:NoSchedule" in wide
    assert run_cli("uncordon", "member1").returncode == 0
    keys = [t["key"] for t in clusters_json()["member1"]["spec"]["taints"]]
    assert "cluster.karmada.io/unschedulable" not in keys
    assert run_cli("cordon", "ghost").returncode == 1


def test_unjoin_deletes_only_managed_objects(home, members, member_client):
    from kubernetes import client as k8s

    m3 = members[2]
    join(m3)
    core = k8s.CoreV1Api(member_client(m3))
    core.create_namespaced_config_map("default", {"metadata": {"name": "ours", "labels": {
        "karmada.io/managed": "true"}}, "data": {"a": "1"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "theirs"}, "data": {"a": "1"}})
    result = run_cli("unjoin", "member3")
    assert result.returncode == 0, result.stderr
    assert "configmaps/default/ours deleted" in result.stdout
    names = [c.metadata.name for c in core.list_namespaced_config_map("default").items]
    assert "theirs" in names and "ours" not in names
    assert clusters_json() == {}
    core.delete_namespaced_config_map("theirs", "default")


def test_unjoin_of_an_unreachable_member_needs_force(home, members):
    m2 = members[1]
    join(m2)
    m2.fail()
    try:
        refused = run_cli("unjoin", "member2")
        assert refused.returncode == 1 and "--force" in refused.stderr
        assert "member2" in clusters_json()
        forced = run_cli("unjoin", "member2", "--force")
        assert forced.returncode == 0 and clusters_json() == {}
    finally:
        m2.recover()


def test_embedded_credentials_survive_the_kubeconfig_and_never_show(home, members, tmp_path):
    m1 = members[0]
    copy = tmp_path / "copy.kubeconfig"
    copy.write_text(m1.kubeconfig_path.read_text())
    result = run_cli("join", "member1", "--kubeconfig", str(copy), "--embed-credentials")
    assert result.returncode == 0, result.stderr
    copy.unlink()
    for args in (["get", "clusters", "-o", "yaml"], ["get", "clusters", "-o", "json"],
                 ["-v", "-v", "get", "clusters", "-o", "wide"]):
        out = run_cli(*args)
        assert m1.token not in out.stdout + out.stderr
    cluster = clusters_json()["member1"]
    assert cluster["spec"]["secretRef"] == {"namespace": "karmada-cluster", "name": "member1"}
    assert "karmadactl.io/kubeconfig" not in cluster["metadata"].get("annotations", {})
    # the stored credentials still reach the member although the file is gone
    assert run_cli("unjoin", "member1").returncode == 0


def test_join_never_prints_the_token(home, members):
    m1 = members[0]
    for args in (["-v", "-v", "join", "member1", "--kubeconfig", str(m1.kubeconfig_path)],
                 ["join", "member1", "--kubeconfig", str(m1.kubeconfig_path), "-o", "yaml"],
                 ["join", "member1", "--kubeconfig", str(m1.kubeconfig_path), "--dry-run", "-o", "json"]):
        out = run_cli(*args)
        assert out.returncode == 0, out.stderr
        assert m1.token not in out.stdout + out.stderr


def test_dry_run_stores_nothing(home, members):
    result = join(members[0], "--dry-run")
    assert result.returncode == 0 and "created (dry run)" in result.stdout
    assert clusters_json() == {}


@pytest.mark.slow
def test_eight_concurrent_join_and_taint_processes_lose_no_write(home, members):
    for m in members:
        assert join(m).returncode == 0
    command_lines = []
    for i in range(8):
        if i < 3:
            command_lines.append(["join", members[i].name, "--kubeconfig", str(members[i].kubeconfig_path),
                                  "-l", f"writer={i}"])
        else:
            command_lines.append(["taint", "clusters", members[i % 3].name, f"writer{i}=x:NoSchedule"])
    for code, _, err in run_cli_in_processes(command_lines):
        assert code == 0, err
        assert "locked" not in err
    stored = clusters_json()
    for i in range(3):
        assert stored[members[i].name]["metadata"]["labels"] == {"writer": str(i)}
    keys = {t["key"] for c in stored.values() for t in c["spec"].get("taints", [])}
    assert keys == {f"writer{i}" for i in range(3, 8)}
