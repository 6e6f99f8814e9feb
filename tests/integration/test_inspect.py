"""get (kubectl columns, --scope members|all), describe and events through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
import yaml

from tests.conftest import isolated_home, run_cli

NS = "inspect"
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": NS, "labels": {"app": "web"}},
              "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "web", "namespace": NS},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                   "placement": {
                       "clusterAffinity": {"clusterNames": ["member1", "member2", "member3"]},
                       "replicaScheduling": {
                           "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                           "weightPreference": {"staticWeightList": [
                               {"targetCluster": {"clusterNames": ["member1"]}, "weight": 3},
                               {"targetCluster": {"clusterNames": ["member2"]}, "weight": 2},
                               {"targetCluster": {"clusterNames": ["member3"]}, "weight": 1}]}}}}}
HANDMADE = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "handmade", "namespace": NS},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "handmade"}},
                     "template": {"metadata": {"labels": {"app": "handmade"}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


def ok(*args: str):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result


def table(stdout: str) -> list[list[str]]:
    """Rows split on runs of 2+ spaces (cells like NODE SELECTOR hold one space)."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def world(tmp_path_factory, members):
    """One store for the module: 3 members joined, web (6 replicas, 3:2:1) applied and synced,
    and an object created directly in member1 that karmadactl does not manage."""
    from karmadactl.members.kubeconfig import load_kubeconfig

    home = tmp_path_factory.mktemp("inspect") / "home"
    with isolated_home(str(home)):
        for m in members:
            ok("join", m.name, "--kubeconfig", str(m.kubeconfig_path))
        files = tmp_path_factory.mktemp("files") / "web.yaml"
        files.write_text(yaml.safe_dump_all([DEPLOYMENT, POLICY]))
        ok("apply", "-f", str(files))
        ok("sync")
        client = load_kubeconfig(str(members[0].kubeconfig_path), None).client(name="member1")
        try:
            client.apply(HANDMADE, "deployments", field_manager="someone-else")
            deadline = time.monotonic() + 30    # its simulated controller reports it ready: wait for it
            while not ((client.get("apps/v1", "deployments", "handmade", NS) or {}).get("status") or {}).get(
                    "readyReplicas") and time.monotonic() < deadline:
                time.sleep(0.02)
            yield home
        finally:
            client.delete("apps/v1", "deployments", "handmade", NS)
            client.close()
            run_cli("delete", "deploy", "web", "-n", NS)


def test_get_prints_kubectl_columns_from_the_aggregated_status(world):
    rows = table(ok("get", "deploy", "-n", NS).stdout)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert rows[1][:4] == ["web", "6/6", "6", "6"]
    wide = table(ok("get", "deploy", "web", "-n", NS, "-o", "wide").stdout)
    assert wide[0][-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"] and wide[1][-3:] == ["web", "nginx:1.27", "app=web"]

    works = table(ok("get", "works", "-A").stdout)
    assert works[0] == ["NAMESPACE", "NAME", "WORKLOAD-KIND", "APPLIED", "AGE"]
    ours = sorted(r[0] for r in works[1:] if r[2] == "Deployment" and r[3] == "True")
    assert ours == ["karmada-es-member1", "karmada-es-member2", "karmada-es-member3"]


def test_scope_members_reads_live_objects_with_cluster_and_adoption(world):
    rows = table(ok("get", "deploy", "-n", NS, "--scope", "members").stdout)
    assert rows[0] == ["NAME", "CLUSTER", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "ADOPTION"]
    cells = {(r[0], r[1]): (r[2], r[-1]) for r in rows[1:]}
    assert cells == {("handmade", "member1"): ("1/1", "N"), ("web", "member1"): ("3/3", "Y"),
                     ("web", "member2"): ("2/2", "Y"), ("web", "member3"): ("1/1", "Y")}

    only = table(ok("get", "deploy", "web", "-n", NS, "-s", "members", "-C", "member2,member3").stdout)
    assert [(r[0], r[1], r[2]) for r in only[1:]] == [("web", "member2", "2/2"), ("web", "member3", "1/1")]

    both = table(ok("get", "deploy", "web", "-n", NS, "-s", "all").stdout)
    assert [(r[1], r[2], r[-1]) for r in both[1:]] == [("Karmada", "6/6", "-"), ("member1", "3/3", "Y"),
                                                      ("member2", "2/2", "Y"), ("member3", "1/1", "Y")]

    listed = json.loads(ok("get", "deploy", "-n", NS, "-s", "members", "-o", "json").stdout)
    assert listed["kind"] == "List"
    assert [(i["cluster"], i["object"]["metadata"]["name"]) for i in listed["items"]] == [
        ("member1", "handmade"), ("member1", "web"), ("member2", "web"), ("member3", "web")]
    assert listed["items"][2]["object"]["spec"]["replicas"] == 2     # the member's object, unchanged

    usage = run_cli("get", "rb", "-s", "members")
    assert usage.returncode == 2 and "only in the store" in usage.stderr


def test_an_unreachable_member_is_named_and_the_exit_code_says_partial(world, members):
    members[1].fail()
    try:
        partial = run_cli("get", "deploy", "web", "-n", NS, "-s", "members", subprocess=True)   # exit 3 from a process
        assert partial.returncode == 3
        assert "member2" in partial.stderr and len(partial.stderr.strip().splitlines()) == 1
        assert [r[1] for r in table(partial.stdout)[1:]] == ["member1", "member3"]
        alone = run_cli("get", "deploy", "web", "-n", NS, "-s", "members", "-C", "member2")
        assert alone.returncode == 1 and "member2" in alone.stderr and alone.stdout == ""
    finally:
        members[1].recover()
    assert run_cli("get", "deploy", "web", "-n", NS, "-s", "members").returncode == 0


def test_describe_refreshes_status_and_shows_policy_binding_works_and_events(world, members):
    members[0].set_unhealthy("Deployment", NS, "web")
    try:
        text = ok("describe", "deploy", "web", "-n", NS).stdout
    finally:
        members[0].set_unhealthy("Deployment", NS, "web", False)
    lines = text.splitlines()
    assert lines[0].split() == ["Name:", "web"] and lines[1].split() == ["Namespace:", NS]
    assert "Labels:       app=web" in lines
    assert "Policy:       PropagationPolicy inspect/web" in lines
    assert "Binding:      ResourceBinding inspect/web-deployment" in lines
    assert any(line.split() == ["Clusters:", "member1:3,", "member2:2,", "member3:1"] for line in lines)
    works = {line.split()[0]: line.split() for line in lines if line.startswith("  member")}
    # member1's pods stopped being ready: describe read it from the member, not from the last push
    assert works["member1"][2:5] == ["3", "True", "Unhealthy"]
    assert works["member2"][2:5] == ["2", "True", "Healthy"]
    status = lines[lines.index("Status:") + 1: lines.index("Events:")]
    assert any(line.split() == ["Ready", "Replicas:", "3"] for line in status)
    events = lines[lines.index("Events:") + 3:]
    assert {" ".join(e.split()[4:]) for e in events} >= {"member1: created", "member2: created"}

    missing = run_cli("describe", "deploy", "ghost", "-n", NS)
    assert missing.returncode == 1 and 'deployments.apps "ghost" not found' in missing.stderr


def test_events_filter_by_object_and_age(world):
    from karmadactl.store import schema

    everything = table(ok("events").stdout)
    assert everything[0] == ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert {"Cluster/member1", "Deployment/web"} <= {r[-2] for r in everything[1:] if len(r) >= 5}

    ours = json.loads(ok("events", "deploy/web", "-n", NS, "-o", "json").stdout)["items"]
    assert {e["involvedObject"]["name"] for e in ours} == {"web"} and len(ours) >= 3
    assert sorted(e["message"] for e in ours)[:3] == ["member1: created", "member2: created", "member3: created"]
    times = [e["eventTime"] for e in ours]
    assert times == sorted(times)                                          # oldest first

    # the joins happened long ago: --since leaves them out, keeps the pushes
    with sqlite3.connect(world / "karmada.db") as db:
        db.execute(f"UPDATE {schema.events.name} SET time = '2020-01-01T00:00:00.000000Z' WHERE kind = 'Cluster'")
    recent = json.loads(ok("events", "--since", "1h", "-o", "json").stdout)["items"]
    assert {e["involvedObject"]["kind"] for e in recent} == {"Deployment"}
    old = table(ok("events", "clusters/member1").stdout)
    assert old[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]      # no namespaces: no column
    joined = [row for row in old[1:] if row[2] == "Joined"]            # (a sync may have refreshed its status too)
    assert len(joined) == 1 and joined[0][0].endswith("y") and joined[0][1:4] == ["Normal", "Joined", "Cluster/member1"]
    assert all(row[3] == "Cluster/member1" for row in old[1:])
    bad = run_cli("events", "--since", "soon")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_describe_never_shows_a_work_healthy_that_is_not_applied(world, tmp_path):
    # a Work whose Applied is not True has health Unknown in Karmada's aggregated status item
    # (pkg/util/helper/workstatus.go assembleWorkStatus), whatever the member's object looks like: here
    # member1 already has a "handmade" Deployment karmadactl does not manage, so the push is refused
    clash = json.loads(json.dumps(DEPLOYMENT))
    clash["metadata"]["name"] = "handmade"
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "handmade", "namespace": NS},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "handmade"}],
                       "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}}}
    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump_all([clash, policy]))
    try:
        assert run_cli("apply", "-f", str(path)).returncode != 0
        text = ok("describe", "deploy", "handmade", "-n", NS).stdout
    finally:
        ok("delete", "-f", str(path))
    row = next(line for line in text.splitlines() if line.startswith("  member1"))
    assert row.split()[3:5] == ["False", "Unknown"]
    assert "already exists in the cluster member1" in row


def test_describe_shows_the_works_of_a_member_that_does_not_answer_as_stale(world, members):
    # Karmada's work-status controller only stops for a cluster that is not ready
    # (pkg/controllers/status/work_status_controller.go Reconcile): its last reflected status still
    # counts in the template's status while the workload is placed there; describe says it is stale
    members[1].fail()
    try:
        result = run_cli("describe", "deploy", "web", "-n", NS)
    finally:
        members[1].recover()
    assert result.returncode == 0, result.stderr
    assert "member2" in result.stderr and "not refreshed" in result.stderr
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines if line.startswith("  member")}
    assert rows["member2"].split()[2:5] == ["2", "Unknown", "Unknown"]
    assert "stale: member2 does not answer (last known: Applied=True, Healthy)" in rows["member2"]
    assert rows["member3"].split()[2:5] == ["1", "True", "Healthy"]
    status = lines[lines.index("Status:") + 1: lines.index("Events:")]
    assert any(line.split() == ["Replicas:", "6"] for line in status)
