"""Cluster refresh (the cluster-status controller run by sync and get): version, APIs and capacity read again."""

from __future__ import annotations

import pytest

from karmadactl.controllers import clusters
from karmadactl.members.fanout import Fleet
from tests.controllers.world import cluster, no_client_for_m2
from tests.fakefleet import node


def refresh(store, factory, only: set[str] | None = None) -> dict[str, str]:
    with Fleet(store, factory=factory) as members:
        return clusters.refresh_status(store, only, fleet=members)


@pytest.mark.parametrize(("change", "only", "failures", "m1_version", "m2_version"), [
    ("upgrade", None, {}, "v1.32.1", "v1.32.1"),
    ("upgrade", {"m1"}, {}, "v1.32.1", "v1.31.0"),
    ("no client for m2", None,
     {"m2": "kubeconfig /home/me/.kube/m2: cannot read: No such file or directory"}, "v1.32.1", "v1.31.0"),
])
def test_a_refresh_reads_each_member_again(store, fleet, change, only, failures, m1_version, m2_version):
    for member in fleet.members.values():
        member.git_version = "v1.32.1"
    factory = no_client_for_m2(fleet) if change == "no client for m2" else fleet.factory
    assert refresh(store, factory, only) == failures
    assert cluster(store, "m1").status["kubernetesVersion"] == m1_version
    assert cluster(store, "m2").status["kubernetesVersion"] == m2_version


def test_new_nodes_show_in_the_resource_summary_and_an_unchanged_member_is_not_written(store, fleet):
    fleet["m1"].put(node("m1-node-big", cpu="16"))
    before = cluster(store, "m2").metadata["resourceVersion"]
    refresh(store, fleet.factory)
    assert cluster(store, "m1").status["nodeSummary"] == {"totalNum": 2, "readyNum": 2}
    assert cluster(store, "m1").status["resourceSummary"]["allocatable"]["cpu"] == "20"
    assert cluster(store, "m2").metadata["resourceVersion"] == before
    with store.read() as tx:
        assert [e["name"] for e in tx.events(kind="Cluster") if e["reason"] == "StatusRefreshed"] == ["m1"]


def test_an_unreachable_member_is_published_not_ready(store, fleet):
    fleet["m2"].fault = "unreachable"
    assert refresh(store, fleet.factory) == {}
    ready = cluster(store, "m2").condition("Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ClusterNotReachable")
