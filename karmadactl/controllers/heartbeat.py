"""Pull mode's heartbeat: the agent renews a Lease per cluster in the store; the central watch reads it.

As Karmada (pkg/util/clusterlease.go, pkg/controllers/cluster/cluster_controller.go):
a coordination.k8s.io/v1 Lease in namespace karmada-cluster named after the
cluster, leaseDurationSeconds 40, renewed every 40s x 0.25 = 10s, owned by the
Cluster. The cluster controller's monitor marks a Pull cluster Ready=Unknown once
nothing was heard from its agent for the grace period (40s; 60s after creation
for one that never posted).

Two differences, both so that a `watch` restarted between passes decides the
same: the monitor times from the Lease's renewTime as the agent wrote it (Karmada
times from when its own process saw the renewal; karmadactl's clocks are assumed
in step), and the agent renews its Lease on every pass from the first one
(Karmada's starts it once the cluster was first seen Ready:
pkg/controllers/status/cluster_status_controller.go syncClusterStatus, initLeaseController).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.meta import micro_time
from karmadactl.apis.wellknown import CLUSTER_API_VERSION, NAMESPACE_KARMADA_CLUSTER
from karmadactl.store.keys import ObjectKey

GROUP_KIND = "Lease.coordination.k8s.io"
API_VERSION = "coordination.k8s.io/v1"
LEASE_DURATION = timedelta(seconds=40)
RENEW_INTERVAL = LEASE_DURATION * 0.25
MONITOR_GRACE = timedelta(seconds=40)        # --cluster-monitor-grace-period
STARTUP_GRACE = timedelta(seconds=60)        # --cluster-startup-grace-period

REASON_UNKNOWN = "ClusterStatusUnknown"
MESSAGE_UNKNOWN = "Cluster status controller stopped posting cluster status."
REASON_NEVER_UPDATED = "ClusterStatusNeverUpdated"
MESSAGE_NEVER_UPDATED = "Cluster status controller never posted cluster status."


def lease_key(cluster: str) -> ObjectKey:
    return ObjectKey(GROUP_KIND, NAMESPACE_KARMADA_CLUSTER, cluster)


def renew(tx, cluster: Cluster, now: datetime) -> dict:
    """Create or renew the cluster's Lease in an open write transaction (the agent's)."""
    current = tx.get(lease_key(cluster.name))
    if current is None:
        owner = {"apiVersion": CLUSTER_API_VERSION, "kind": "Cluster", "name": cluster.name,
                 "uid": cluster.metadata.get("uid", "")}
        return tx.create({"apiVersion": API_VERSION, "kind": "Lease",
                          "metadata": {"name": cluster.name, "namespace": NAMESPACE_KARMADA_CLUSTER,
                                       "ownerReferences": [owner]},
                          "spec": {"holderIdentity": cluster.name,
                                   "leaseDurationSeconds": int(LEASE_DURATION.total_seconds()),
                                   "renewTime": micro_time(now)}})
    current["spec"]["renewTime"] = micro_time(now)
    return tx.update(current)


def parse_time(value: str) -> datetime:
    """A Time or MicroTime as stored (UTC, "Z")."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def renewed_at(lease: dict | None) -> datetime | None:
    value = ((lease or {}).get("spec") or {}).get("renewTime")
    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Silence:
    """What the monitor publishes for a Pull cluster whose agent went quiet: Ready=Unknown."""

    reason: str
    message: str

    def condition(self) -> dict:
        return {"type": "Ready", "status": "Unknown", "reason": self.reason, "message": self.message}


def silence(cluster: Cluster, lease: dict | None, now: datetime, *, grace: timedelta = MONITOR_GRACE,
            startup_grace: timedelta = STARTUP_GRACE) -> Silence | None:
    """None while the agent is heard from (its Lease renewed within the grace period, or a new cluster
    within the startup grace); otherwise the Unknown Ready condition to publish. Push clusters: None."""
    if not cluster.pull:
        return None
    heard = renewed_at(lease)
    if heard is not None:
        deadline = heard + grace
    else:
        created = cluster.metadata.get("creationTimestamp")
        deadline = (parse_time(created) if created else now) + startup_grace
    if now <= deadline:
        return None
    if cluster.condition("Ready") is None:
        return Silence(REASON_NEVER_UPDATED, MESSAGE_NEVER_UPDATED)
    return Silence(REASON_UNKNOWN, MESSAGE_UNKNOWN)
