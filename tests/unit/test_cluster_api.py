"""Cluster objects and taint arithmetic (pure)."""

from __future__ import annotations

import pytest

from karmadactl.apis.cluster import Cluster, Taint, TaintChange, apply_taint_changes
from karmadactl.errors import InvalidInput


@pytest.mark.parametrize("spec, expected", [
    ("k=v:NoSchedule", TaintChange("k", "NoSchedule", "v")),
    ("k:NoExecute", TaintChange("k", "NoExecute")),
    ("example.com/k=v:PreferNoSchedule", TaintChange("example.com/k", "PreferNoSchedule", "v")),
    ("k-", TaintChange("k", remove=True)),
    ("k:NoSchedule-", TaintChange("k", "NoSchedule", remove=True)),
])
def test_taint_arguments_parse_like_kubectl(spec, expected):
    assert TaintChange.parse(spec) == expected


@pytest.mark.parametrize("spec, fragment", [
    ("k=v", r"expected key\[=value\]:Effect"),
    ("k=v:Never", "unknown effect"),
    ("bad key:NoSchedule", "invalid label key"),
    ("k=v v:NoSchedule", "invalid label value"),
    ("k=v-", "a removal names only"),
])
def test_bad_taint_arguments_name_the_argument(spec, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        TaintChange.parse(spec)


def test_taint_changes_add_overwrite_and_remove():
    taints = [Taint("a", "NoSchedule", "1"), Taint("a", "NoExecute", "1")]
    same = apply_taint_changes(taints, [TaintChange("a", "NoSchedule", "1")], overwrite=False, now="t",
                               cluster="c")
    assert same == taints
    with pytest.raises(InvalidInput, match="--overwrite"):
        apply_taint_changes(taints, [TaintChange("a", "NoSchedule", "2")], overwrite=False, now="t",
                            cluster="c")
    changed = apply_taint_changes(taints, [TaintChange("a", "NoSchedule", "2")], overwrite=True, now="t",
                                  cluster="c")
    assert [(t.effect, t.value) for t in changed] == [("NoExecute", "1"), ("NoSchedule", "2")]
    assert apply_taint_changes(taints, [TaintChange("a", remove=True)], overwrite=False, now="t",
                               cluster="c") == []
    only_one = apply_taint_changes(taints, [TaintChange("a", "NoExecute", remove=True)], overwrite=False,
                                   now="t", cluster="c")
    assert only_one == [taints[0]]


def test_cluster_round_trips_in_karmadas_shape():
    cluster = Cluster(name="m1", api_endpoint="https://m1:6443", provider="aws", region="eu",
                      zones=["eu-1a"], taints=[Taint("k", "NoSchedule", "v", "2026-01-01T00:00:00Z")],
                      labels={"env": "prod"}, kubeconfig="/home/u/.kube/config", context="m1")
    d = cluster.to_dict()
    assert d["apiVersion"] == "cluster.karmada.io/v1alpha1" and d["spec"]["syncMode"] == "Push"
    assert d["spec"]["taints"] == [{"key": "k", "value": "v", "effect": "NoSchedule",
                                    "timeAdded": "2026-01-01T00:00:00Z"}]
    assert "secretRef" not in d["spec"]
    assert Cluster.from_dict(d).to_dict() == d
    embedded = Cluster(name="m1", embedded=True, kubeconfig="/x", context="c").to_dict()
    assert embedded["spec"]["secretRef"] == {"namespace": "karmada-cluster", "name": "m1"}
    assert "annotations" not in embedded["metadata"]


def stored_cluster() -> dict:
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": "m1", "uid": "u1", "resourceVersion": "7", "labels": {"env": "prod"}},
            "spec": {"apiEndpoint": "https://m1:6443", "zones": ["z1"],
                     "taints": [{"key": "k", "effect": "NoSchedule"}]},
            "status": {"nodeSummary": {"totalNum": 1},
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "apiEnablements": [{"groupVersion": "apps/v1",
                                           "resources": [{"name": "deployments", "kind": "Deployment"}]}]}}


@pytest.mark.parametrize("reads", [1, 2])        # the first read checks the object, the next one remembers it
def test_a_cluster_shares_nothing_with_the_object_it_was_read_from(reads):
    d = stored_cluster()
    for _ in range(reads):
        cluster = Cluster.from_dict(d)
    assert cluster.taints == [Taint("k", "NoSchedule")] and cluster.zones == ["z1"]
    cluster.status["conditions"][0]["status"] = "False"
    cluster.metadata["uid"] = "changed"
    cluster.labels["env"] = "dev"
    cluster.zones.append("z2")
    cluster.taints.append(Taint("x", "NoExecute"))
    assert d == stored_cluster()
    d["status"]["apiEnablements"][0]["resources"].clear()
    assert cluster.resource_for("apps/v1", "Deployment") == "deployments"
    again = Cluster.from_dict(stored_cluster())
    assert again.ready == "True" and again.labels == {"env": "prod"} and again.taints == [Taint("k", "NoSchedule")]
    out = again.to_dict()
    out["status"]["conditions"].clear()
    out["metadata"]["uid"] = "changed"
    assert again.ready == "True" and again.metadata["uid"] == "u1"


@pytest.mark.parametrize("value, error", [
    (True, "Cluster m1: status.nodeSummary.totalNum: expected an integer"),
    (1.0, "Cluster m1: status.nodeSummary.totalNum: expected an integer"),
    ("1", "Cluster m1: status.nodeSummary.totalNum: expected an integer"),
])
def test_an_object_equal_to_a_checked_one_but_of_other_types_is_checked_again(value, error):
    Cluster.from_dict(stored_cluster())
    d = stored_cluster()
    d["status"]["nodeSummary"]["totalNum"] = value           # == 1 for True and 1.0
    with pytest.raises(InvalidInput) as raised:
        Cluster.from_dict(d)
    assert str(raised.value) == error
