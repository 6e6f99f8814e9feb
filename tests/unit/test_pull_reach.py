"""The one check that keeps the central side away from Pull clusters (members/fanout.py)."""

from __future__ import annotations

import pytest

from karmadactl.apis.cluster import Cluster
from karmadactl.members.fanout import Fleet, PullCluster, connect, reaches

PUSH = Cluster(name="hub-side", api_endpoint="https://a")
PULL = Cluster(name="edge", sync_mode="Pull", api_endpoint="https://b")


def test_sync_mode_round_trips():
    assert Cluster.from_dict(PULL.to_dict()).pull and PULL.to_dict()["spec"]["syncMode"] == "Pull"
    assert not Cluster.from_dict(PUSH.to_dict()).pull and PUSH.to_dict()["spec"]["syncMode"] == "Push"
    assert Cluster.from_dict({"metadata": {"name": "old"}, "spec": {}}).sync_mode == "Push"


def test_the_central_fleet_never_makes_a_client_for_a_pull_cluster():
    made = []
    fleet = Fleet(None, factory=lambda c: made.append(c.name))
    assert fleet.reaches(PUSH) and not fleet.reaches(PULL)
    with pytest.raises(PullCluster, match="cluster edge is in Pull mode"):
        fleet.client(PULL)
    with pytest.raises(PullCluster):
        connect(None, PULL)
    results = fleet.each([PULL], lambda cluster, client: "read", at_once=2)
    assert not results.values and "Pull mode" in results.errors["edge"]
    assert made == []


def test_an_agents_fleet_reaches_its_own_pull_cluster_only():
    other = Cluster(name="edge2", sync_mode="Pull")
    fleet = Fleet(None, factory=lambda c: f"client of {c.name}", agent_of="edge")
    assert fleet.client(PULL) == "client of edge"
    assert not fleet.reaches(other) and reaches(None)
    with pytest.raises(PullCluster):
        fleet.client(other)


def test_an_agents_fleet_reads_its_own_pull_clusters_kubeconfig(tmp_path):
    path = tmp_path / "edge.kubeconfig"
    path.write_text("apiVersion: v1\nkind: Config\ncurrent-context: edge\n"
                    "clusters: [{name: edge, cluster: {server: 'https://b'}}]\n"
                    "users: [{name: edge, user: {token: t}}]\n"
                    "contexts: [{name: edge, context: {cluster: edge, user: edge}}]\n")
    edge = Cluster(name="edge", sync_mode="Pull", api_endpoint="https://b", kubeconfig=str(path))
    with Fleet(None, agent_of="edge") as fleet:
        assert fleet.client(edge).kubeconfig.server == "https://b"
    with Fleet(None) as central, pytest.raises(PullCluster):
        central.client(edge)
