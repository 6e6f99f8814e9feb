"""What of a member object's status goes into its Work, and one binding's view of its Works.

reflect_status is Karmada's InterpretStatus (native/reflectstatus.go): the
workload kinds keep a few counters plus the generations Karmada needs for the
observedGeneration rule (§5), Jobs their progress, a LoadBalancer Service its
load balancer, PDB/HPA their counters; every other kind keeps its whole status.
aggregated_item and fully_applied are the binding-status controller's
(pkg/util/helper/workstatus.go). Pure; inputs are never mutated.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from karmadactl.interpreter._fields import (
    DAEMONSET,
    DEPLOYMENT,
    HPA,
    JOB,
    PDB,
    REPLICASET,
    SERVICE,
    STATEFULSET,
    as_int,
    generation,
    guarded,
    kind_key,
    spec,
    template_generation,
)

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.karmada import ResourceBinding

HEALTHY = "Healthy"
UNHEALTHY = "Unhealthy"
UNKNOWN = "Unknown"

# counters reflected per workload kind; observedGeneration rides along for §5's rule
_WORKLOAD_COUNTERS: dict[tuple[str, str], tuple[str, ...]] = {
    DEPLOYMENT: ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                 "unavailableReplicas"),
    STATEFULSET: ("replicas", "currentReplicas", "readyReplicas", "availableReplicas",
                  "updatedReplicas"),
    REPLICASET: ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas"),
    DAEMONSET: ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable",
                "numberMisscheduled", "numberReady", "updatedNumberScheduled",
                "numberUnavailable"),
}
_JOB_FIELDS = ("active", "succeeded", "failed", "conditions", "startTime", "completionTime")
_PDB_COUNTERS = ("disruptionsAllowed", "expectedPods", "desiredHealthy", "currentHealthy")
_HPA_COUNTERS = ("currentReplicas", "desiredReplicas")
# purge modes whose eviction task no longer counts its cluster as holding the workload
_PURGED_AT_ONCE = ("Directly", "Immediately")


def workload_counters(key: tuple[str, str]) -> tuple[str, ...]:
    """The counters reflected and summed for a workload kind; () for other kinds."""
    return _WORKLOAD_COUNTERS.get(key, ())


@guarded("InterpretStatus")
def reflect_status(obj: dict) -> dict | None:
    """The status of a member object as Karmada records it in Work.status.manifestStatuses.

    None when there is nothing to record (no status yet, or a Service that is
    not a LoadBalancer).
    """
    key = kind_key(obj)
    current = obj.get("status")
    if key == SERVICE and spec(obj).get("type") != "LoadBalancer":
        return None
    if not isinstance(current, dict) or not current:
        return None
    if key in _WORKLOAD_COUNTERS:
        reflected = {name: as_int(current.get(name)) for name in _WORKLOAD_COUNTERS[key]}
        reflected["observedGeneration"] = as_int(current.get("observedGeneration"))
        reflected["generation"] = generation(obj)
        reflected["resourceTemplateGeneration"] = template_generation(obj)
        return reflected
    if key == JOB:
        return {name: copy.deepcopy(current[name]) for name in _JOB_FIELDS if name in current}
    if key == SERVICE:
        return {"loadBalancer": copy.deepcopy(current.get("loadBalancer") or {})}
    if key == PDB:
        pdb_status: dict[str, Any] = {name: as_int(current.get(name)) for name in _PDB_COUNTERS}
        if current.get("disruptedPods"):
            pdb_status["disruptedPods"] = dict(current["disruptedPods"])
        return pdb_status
    if key == HPA:
        return {name: as_int(current.get(name)) for name in _HPA_COUNTERS}
    # Ingress and every other kind: the whole status
    return copy.deepcopy(current)


# -- the binding's view of its Works --------------------------------------------------------

def aggregated_item(cluster: str, work_applied: bool, applied_message: str,
                    manifest_status: dict | None) -> dict:
    """One entry of a binding's status.aggregatedStatus, built from one cluster's Work.

    A Work that is not applied reports its message and health Unknown; an
    applied one carries the reflected status and health of its manifest
    (health Unknown until the member object has been seen).
    """
    if not work_applied:
        item = {"clusterName": cluster, "applied": False, "health": UNKNOWN}
        if applied_message:
            item["appliedMessage"] = applied_message
        return item
    item = {"clusterName": cluster, "applied": True, "health": UNKNOWN}
    if manifest_status:
        if manifest_status.get("status") is not None:
            item["status"] = copy.deepcopy(manifest_status["status"])
        if manifest_status.get("health"):
            item["health"] = manifest_status["health"]
    return item


def existing_clusters(binding: ResourceBinding) -> set[str]:
    """Clusters a binding's workload lives in: its targets, the clusters of the bindings
    that require it, and clusters still being gracefully evicted (§5 point 2)."""
    binding_spec = binding.spec
    names = set(binding_spec.target_names())
    for requirer in binding_spec.required_by or []:
        names.update(target.name for target in requirer.clusters or [])
    for task in binding_spec.graceful_eviction_tasks or []:
        if task.get("purgeMode") not in _PURGED_AT_ONCE and task.get("fromCluster"):
            names.add(task["fromCluster"])
    names.discard("")
    return names


def fully_applied(binding: ResourceBinding, items: list[dict], *, require_healthy: bool = True) -> bool:
    """The binding's FullyApplied condition: one applied item for every existing cluster.

    Karmada since the fix of issue #5867 also requires every item to be
    Healthy; `require_healthy=False` gives the older rule (applied only).
    """
    clusters = existing_clusters(binding)
    if not clusters or len(items) != len(clusters):
        return False
    for item in items:
        if not item.get("applied") or item.get("clusterName") not in clusters:
            return False
        if require_healthy and item.get("health") != HEALTHY:
            return False
    return True
