"""Pull mode's heartbeat: when the central watch says a Pull cluster's agent went quiet (heartbeat.silence).

The grace periods, the Lease's shape and the Unknown conditions are Karmada's: pkg/util/clusterlease.go and
pkg/controllers/cluster/cluster_controller.go (monitorClusterHealth, tryUpdateClusterHealth)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.meta import micro_time
from karmadactl.controllers import heartbeat

T0 = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)
CREATED = "2026-12-07T10:00:00Z"
READY = {"conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady"}]}
UNKNOWN = ("Unknown", "ClusterStatusUnknown", "Cluster status controller stopped posting cluster status.")
NEVER = ("Unknown", "ClusterStatusNeverUpdated", "Cluster status controller never posted cluster status.")


def lease(renewed_after: float) -> dict:
    return {"spec": {"holderIdentity": "edge", "leaseDurationSeconds": 40,
                     "renewTime": micro_time(T0 + timedelta(seconds=renewed_after))}}


@pytest.mark.parametrize(("mode", "status", "renewed", "now", "expected"), [
    # renewed within the 40s grace period: heard from
    ("Pull", READY, 0, 40, None),
    ("Pull", READY, 0, 40.5, UNKNOWN),
    ("Pull", READY, 100, 139, None),
    ("Pull", READY, 100, 141, UNKNOWN),
    # never renewed: the 60s startup grace from creation
    ("Pull", {}, None, 59, None),
    ("Pull", {}, None, 61, NEVER),
    ("Pull", READY, None, 61, UNKNOWN),          # posted a status but never a Lease
    # a Lease renewed after a long silence counts from its renewal
    ("Pull", READY, 500, 520, None),
    # Push clusters are never set Unknown this way
    ("Push", READY, None, 3600, None),
    ("Push", {}, 0, 3600, None),
])
def test_silence(mode, status, renewed, now, expected):
    cluster = Cluster(name="edge", sync_mode=mode, status=status, metadata={"creationTimestamp": CREATED})
    verdict = heartbeat.silence(cluster, None if renewed is None else lease(renewed), T0 + timedelta(seconds=now))
    if expected is None:
        assert verdict is None
    else:
        assert verdict is not None
        condition = verdict.condition()
        assert (condition["status"], condition["reason"], condition["message"]) == expected
        assert condition["type"] == "Ready"


def test_grace_periods_are_karmadas_defaults():
    assert heartbeat.MONITOR_GRACE == timedelta(seconds=40)
    assert heartbeat.STARTUP_GRACE == timedelta(seconds=60)
    assert heartbeat.LEASE_DURATION == timedelta(seconds=40) and heartbeat.RENEW_INTERVAL == timedelta(seconds=10)


def test_a_damaged_renew_time_counts_as_never_renewed():
    cluster = Cluster(name="edge", sync_mode="Pull", status=READY, metadata={"creationTimestamp": CREATED})
    damaged = {"spec": {"renewTime": "yesterday"}}
    assert heartbeat.silence(cluster, damaged, T0 + timedelta(seconds=30)) is None
    assert heartbeat.silence(cluster, damaged, T0 + timedelta(seconds=61)) is not None


def test_renew_creates_then_renews_the_lease_owned_by_the_cluster(tmp_path):
    from karmadactl.store import Store

    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        cluster = Cluster(name="edge", sync_mode="Pull", metadata={"uid": "u-1"})
        with store.write() as tx:
            heartbeat.renew(tx, cluster, T0)
        with store.write() as tx:
            heartbeat.renew(tx, cluster, T0 + timedelta(seconds=10))
        with store.read() as tx:
            stored = tx.get(heartbeat.lease_key("edge"))
    assert stored["apiVersion"] == "coordination.k8s.io/v1" and stored["kind"] == "Lease"
    assert stored["metadata"]["namespace"] == "karmada-cluster"
    assert stored["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert stored["spec"]["leaseDurationSeconds"] == 40 and stored["spec"]["holderIdentity"] == "edge"
    assert heartbeat.renewed_at(stored) == T0 + timedelta(seconds=10)
