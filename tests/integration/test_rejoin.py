"""Joining a cluster again, and changing its properties with join flags, `label` and `taint`:
a re-join keeps what no flag names, and plan, sync and watch place workloads alike afterwards.

Runs the CLI in process (cli.app.run) against the session's sandbox members over HTTP.
"""

from __future__ import annotations

import io
import json
import uuid

import pytest
import yaml

from karmadactl.cli.app import run
from karmadactl.cli.env import Env


def cli(*argv: str) -> tuple[int, str, str]:
    env = Env(stdout=io.StringIO(), stderr=io.StringIO())
    code = run(list(argv), env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def ok(*argv: str) -> str:
    code, out, err = cli(*argv)
    assert code == 0, f"{argv}: exit {code}: {err}"
    return out


def cluster(name: str) -> dict:
    return json.loads(ok("get", "clusters", name, "-o", "json"))


def store_dump() -> str:
    """Every stored cluster as YAML: what an error must leave exactly as it was."""
    return ok("get", "clusters", "-o", "yaml")


def join(member, *flags: str) -> tuple[int, str, str]:
    return cli("join", member.name, "--kubeconfig", str(member.kubeconfig_path), *flags)


def properties(c: dict) -> tuple:
    spec = c["spec"]
    return (spec.get("provider"), spec.get("region"), spec.get("zones"), c["metadata"].get("labels"),
            [(t["key"], t.get("value"), t["effect"]) for t in spec.get("taints") or []])


def test_joining_again_without_flags_keeps_every_property_and_changes_nothing(home, members, member_client):
    from kubernetes import client

    m3 = members[2]
    code, out, _ = join(m3, "--provider", "aws", "--region", "eu-west-1", "--zone", "eu-west-1a",
                        "--zone", "eu-west-1b", "-l", "env=prod", "-l", "tier=gold")
    assert code == 0 and out.strip() == "cluster/member3 created"
    ok("taint", "clusters", "member3", "dedicated=gpu:NoSchedule")
    before = cluster("member3")
    # the member's observed state moves on (a pod that requests CPU): still nothing the join names changed
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"busy-{uuid.uuid4().hex[:6]}"},
           "spec": {"nodeName": "member3-node-1", "containers": [
               {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "250m"}}}]}}
    client.CoreV1Api(member_client(m3)).create_namespaced_pod("default", pod)

    code, out, err = join(m3)                       # the same join, no other flag
    assert (code, out.strip(), err) == (0, "cluster/member3 unchanged", "")
    after = cluster("member3")
    assert properties(after) == ("aws", "eu-west-1", ["eu-west-1a", "eu-west-1b"],
                                 {"env": "prod", "tier": "gold"}, [("dedicated", "gpu", "NoSchedule")])
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

    code, out, _ = cli("join", "member3")            # the kubeconfig and context it was joined with
    assert (code, out.strip()) == (0, "cluster/member3 unchanged")
    assert cluster("member3")["metadata"]["annotations"]["karmadactl.io/kubeconfig"] == str(m3.kubeconfig_path)


def test_each_property_changes_only_when_a_flag_names_it_and_can_be_cleared(home, members):
    m2 = members[1]
    join(m2, "--provider", "gcp", "--region", "us", "--zone", "us-a,us-b", "-l", "env=prod", "-l", "team=a")
    ok("taint", "clusters", "member2", "maint:NoExecute")

    code, out, _ = join(m2, "--region", "ap")
    assert (code, out.strip()) == (0, "cluster/member2 updated")
    assert properties(cluster("member2")) == ("gcp", "ap", ["us-a", "us-b"], {"env": "prod", "team": "a"},
                                              [("maint", None, "NoExecute")])

    join(m2, "--zone", "ap-1")                      # given, --zone replaces the list
    assert cluster("member2")["spec"]["zones"] == ["ap-1"]
    join(m2, "-l", "team=b", "-l", "env-", "-l", "new=1")   # set, remove; others kept
    assert cluster("member2")["metadata"]["labels"] == {"new": "1", "team": "b"}

    code, out, _ = join(m2, "--provider", "", "--region", "", "--zone", "")    # '' clears
    assert code == 0 and out.strip() == "cluster/member2 updated"
    spec = cluster("member2")["spec"]
    assert "provider" not in spec and "region" not in spec and "zones" not in spec
    assert [t["key"] for t in spec["taints"]] == ["maint"]     # taints are only ever changed by taint


def test_credentials_stay_embedded_across_a_join_without_the_flag(home, members):
    m1 = members[0]
    join(m1, "--embed-credentials")
    assert cluster("member1")["spec"]["secretRef"] == {"namespace": "karmada-cluster", "name": "member1"}
    code, out, _ = join(m1)
    assert (code, out.strip()) == (0, "cluster/member1 unchanged")
    assert "secretRef" in cluster("member1")["spec"]
    code, out, _ = cli("join", "member1")              # no kubeconfig at all: the credentials it holds
    assert (code, out.strip()) == (0, "cluster/member1 unchanged")
    join(m1, "--no-embed-credentials")
    c = cluster("member1")
    assert "secretRef" not in c["spec"]
    assert c["metadata"]["annotations"]["karmadactl.io/kubeconfig"] == str(m1.kubeconfig_path)


def test_label_clusters_as_kubectl_label_does(home, members):
    join(members[0], "-l", "env=prod")
    code, out, _ = cli("label", "clusters", "member1", "tier=gold")
    assert (code, out) == (0, "cluster/member1 labeled\n")

    before = store_dump()
    code, out, err = cli("label", "clusters", "member1", "tier=silver")    # kubectl: --overwrite needed
    assert code == 1 and out == ""
    assert err == "error: cluster member1: label 'tier' already has a value (gold), and --overwrite is false\n"
    assert store_dump() == before

    assert ok("label", "clusters", "member1", "tier=silver", "--overwrite") == "cluster/member1 labeled\n"
    assert ok("label", "clusters", "member1", "tier-") == "cluster/member1 unlabeled\n"
    assert ok("label", "clusters", "member1", "nothere-") == 'label "nothere" not found.\ncluster/member1 not labeled\n'
    assert ok("label", "clusters", "member1", "x=1", "--dry-run") == "cluster/member1 labeled (dry run)\n"
    assert cluster("member1")["metadata"]["labels"] == {"env": "prod"}

    before = store_dump()
    for argv, code_wanted in ((("label", "widgets", "member1", "a=b"), 2),    # no such kind
                              (("label", "nodes", "member1", "a=b"), 1),      # any stored kind: none stored
                              (("label", "clusters", "ghost", "a=b"), 1),
                              (("label", "clusters", "member1", "bad key=1"), 1),
                              (("label", "clusters", "member1", "a=b", "a-"), 1),
                              (("label", "clusters", "member1", "novalue"), 1)):
        code, out, err = cli(*argv)
        assert code == code_wanted and out == "", argv
        assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "ghost" in cli("label", "clusters", "ghost", "a=b")[2]
    assert store_dump() == before


def test_annotate_clusters_as_kubectl_annotate_does_and_a_rejoin_keeps_them(home, members):
    join(members[0])
    assert ok("annotate", "clusters", "member1", "owner=team a", "ticket=1") == "cluster/member1 annotated\n"
    assert ok("annotate", "clusters", "member1", "owner=team a") == "cluster/member1 annotated\n"   # same value

    before = store_dump()
    code, out, err = cli("annotate", "clusters", "member1", "owner=team b")
    assert (code, out) == (1, "") and err == ("error: cluster member1: --overwrite is false but annotation "
                                              "'owner' already has a value (team a)\n")
    code, _, err = cli("annotate", "clusters", "member1", "karmadactl.io/kubeconfig=/tmp/x")
    assert code == 1 and "set by join" in err and err.count("\n") == 1
    assert store_dump() == before

    ok("annotate", "clusters", "member1", "owner=team b", "--overwrite", "ticket-")
    assert join(members[0])[1].strip() == "cluster/member1 unchanged"
    annotations = cluster("member1")["metadata"]["annotations"]
    assert annotations["owner"] == "team b" and "ticket" not in annotations
    assert annotations["karmadactl.io/kubeconfig"] == str(members[0].kubeconfig_path)


def test_taint_words_and_an_empty_effect_is_an_error(home, members):
    join(members[0])
    assert ok("taint", "clusters", "member1", "k=v:NoSchedule") == "cluster/member1 tainted\n"
    # kubectl's words: staging/src/k8s.io/kubectl/pkg/cmd/taint/utils.go, reorganizeTaints
    assert ok("taint", "clusters", "member1", "k:NoSchedule-") == "cluster/member1 untainted\n"
    ok("taint", "clusters", "member1", "k=v:NoSchedule")
    assert ok("taint", "clusters", "member1", "k=w:NoSchedule", "--overwrite") == "cluster/member1 modified\n"
    assert ok("taint", "clusters", "member1", "k-", "j=1:NoExecute") == "cluster/member1 modified\n"
    assert ok("taint", "clusters", "member1", "j=1:NoExecute") == "cluster/member1 unchanged\n"
    assert ok("taint", "clusters", "member1", "j-", "--dry-run") == "cluster/member1 untainted (dry run)\n"

    before = store_dump()
    for spec in ("k=v:", "k:", "k:-", "k=v"):
        code, out, err = cli("taint", "clusters", "member1", spec)
        assert code == 1 and out == "" and err.count("\n") == 1 and repr(spec) in err, (spec, err)
    assert store_dump() == before
    assert [t["key"] for t in cluster("member1")["spec"]["taints"]] == ["j"]


# -- plan, sync and watch agree after a change of the clusters ---------------------------------


@pytest.fixture
def api(member_client):
    from kubernetes import client as k8s

    return lambda member: (k8s.CoreV1Api(member_client(member)), k8s.AppsV1Api(member_client(member)))


def workload(ns: str) -> list[dict]:
    """A Deployment and a Service for the clusters labelled env=prod outside region "retired", and an
    override that labels their copies on clusters labelled tier=gold."""
    labels = {"app": "web"}
    selected = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                {"apiVersion": "v1", "kind": "Service", "name": "web"}]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
         "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
         "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 80}]}},
        {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
         "metadata": {"name": "web", "namespace": ns},
         "spec": {"resourceSelectors": selected,
                  "placement": {"clusterAffinity": {
                      "labelSelector": {"matchLabels": {"env": "prod"}},
                      "fieldSelector": {"matchExpressions": [
                          {"key": "region", "operator": "NotIn", "values": ["retired"]}]}}}}},
        {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
         "metadata": {"name": "gold", "namespace": ns},
         "spec": {"resourceSelectors": selected,
                  "overrideRules": [{"targetCluster": {"labelSelector": {"matchLabels": {"tier": "gold"}}},
                                     "overriders": {"labelsOverrider": [
                                         {"operator": "add", "value": {"tier": "gold"}}]}}]}},
    ]


def planned(ns: str) -> dict[str, set[str]]:
    """kind -> the clusters `plan` gives it (from its Works), for this namespace."""
    listed = json.loads(ok("plan", "-o", "json"))["items"]
    out: dict[str, set[str]] = {"Deployment": set(), "Service": set()}
    for item in listed:
        if item["kind"] != "Work":
            continue
        for manifest in item["spec"]["workload"]["manifests"]:
            if manifest["metadata"].get("namespace") == ns and manifest["kind"] in out:
                out[manifest["kind"]].add(item["metadata"]["namespace"].removeprefix("karmada-es-"))
    return out


def live(api, members, ns: str) -> dict[str, set[str]]:
    """kind -> the members that hold the object now, read with the official client."""
    out: dict[str, set[str]] = {"Deployment": set(), "Service": set()}
    for m in members:
        core, apps = api(m)
        if any(d.metadata.name == "web" for d in apps.list_namespaced_deployment(ns).items):
            out["Deployment"].add(m.name)
        if any(s.metadata.name == "web" for s in core.list_namespaced_service(ns).items):
            out["Service"].add(m.name)
    return out


def gold_label(api, member, ns: str) -> str | None:
    return (api(member)[1].read_namespaced_deployment("web", ns).metadata.labels or {}).get("tier")


def test_plan_sync_and_watch_agree_after_a_rejoin_a_label_change_and_a_region_change(home, members, api, tmp_path):
    ns = f"rejoin-{uuid.uuid4().hex[:6]}"
    for m in members:
        join(m, "-l", "env=prod", *(["-l", "tier=gold"] if m.name == "member3" else []))
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump_all(workload(ns)))
    ok("apply", "-f", str(path))
    everywhere = {"member1", "member2", "member3"}
    assert planned(ns) == live(api, members, ns) == {"Deployment": everywhere, "Service": everywhere}
    assert gold_label(api, members[2], ns) == "gold"

    # the issue's case: a join again without flags must not drop member3's labels
    assert join(members[2])[1].strip() == "cluster/member3 unchanged"
    ok("sync")
    assert planned(ns) == live(api, members, ns) == {"Deployment": everywhere, "Service": everywhere}
    assert gold_label(api, members[2], ns) == "gold"       # the override still applies

    # a label change: member3 leaves the placement, in plan and in the members alike
    # (label runs the pass itself: member3's copies are deleted at once)
    assert ok("label", "clusters", "member3", "env-") == "cluster/member3 unlabeled\nmember3: 2 deleted\n"
    two = {"member1", "member2"}
    assert planned(ns) == {"Deployment": two, "Service": two}
    assert live(api, members, ns) == planned(ns)
    ok("sync")
    assert live(api, members, ns) == planned(ns)

    # and back, through watch's pass this time
    ok("label", "clusters", "member3", "env=prod")
    assert planned(ns) == {"Deployment": everywhere, "Service": everywhere}
    code, _, err = cli("watch", "--once")
    assert code == 0, err
    assert live(api, members, ns) == planned(ns)
    assert gold_label(api, members[2], ns) == "gold"

    # a region change through join: member1 leaves, in plan and after sync; and comes back
    assert join(members[0], "--region", "retired")[1].strip() == "cluster/member1 updated"
    assert planned(ns) == {"Deployment": {"member2", "member3"}, "Service": {"member2", "member3"}}
    ok("sync")
    assert live(api, members, ns) == planned(ns)
    join(members[0], "--region", "")
    assert planned(ns) == {"Deployment": everywhere, "Service": everywhere}
    ok("sync")
    assert live(api, members, ns) == planned(ns)
