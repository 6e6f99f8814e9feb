"""WorkloadRebalancer objects: Karmada's workloadrebalancer controller, run at the start of every pass.

A rebalancer whose spec the controller has not seen (observedGeneration behind) or that has workloads
without a result stamps each such workload's binding (`<name>-<kind>`, a ClusterResourceBinding when
it has no namespace) with spec.rescheduleTriggeredAt = the rebalancer's creationTimestamp, unless the
binding already has a later one; the pass's scheduler then divides its replicas afresh (the work of
`karmadactl rebalance`). Each workload's result goes to status.observedWorkloads, with finishTime.
A finished rebalancer with ttlSecondsAfterFinished is deleted once that time has passed after
finishTime (by any pass: `apply`, `sync`, `watch` with its clock).
"""

from __future__ import annotations

import copy

from karmadactl.apis import rebalancer as wr
from karmadactl.apis.karmada import load_binding
from karmadactl.apis.kinds import BINDINGS
from karmadactl.controllers.detector import binding_name
from karmadactl.store.keys import ObjectKey


def _binding_key(workload: dict) -> ObjectKey:
    name = binding_name(workload.get("name", ""), workload.get("kind", ""))
    namespace = workload.get("namespace") or ""
    return ObjectKey(BINDINGS[0] if namespace else BINDINGS[1], namespace, name)


def _describe(workload: dict) -> str:
    namespace = workload.get("namespace") or ""
    return f"{workload.get('kind')} {namespace + '/' if namespace else ''}{workload.get('name')}"


def _trigger(tx, rebalancer: dict, items: list[dict], events: list[dict]) -> None:
    """Stamp the bindings of the workloads without a result; record each result."""
    meta = rebalancer["metadata"]
    created = meta.get("creationTimestamp", "")
    for item in items:
        if item.get("result"):
            continue
        workload = item["workload"]
        stored = tx.get(_binding_key(workload))
        if stored is None:
            item["result"], item["reason"] = wr.FAILED, wr.BINDING_NOT_FOUND
            events.append({"kind": "WorkloadRebalancer", "name": meta["name"], "type": "Warning",
                           "reason": wr.BINDING_NOT_FOUND,
                           "message": f"no binding of {_describe(workload)} to reschedule"})
            continue
        binding = load_binding(stored)
        if wr.needs_trigger(created, binding.spec.reschedule_triggered_at):
            binding.spec.reschedule_triggered_at = created
            tx.update(binding.to_dict())
            events.append({"kind": binding.kind, "name": binding.metadata.name,
                           "namespace": binding.metadata.namespace or "", "reason": "Rebalance",
                           "message": f"rescheduling from scratch was asked for by WorkloadRebalancer "
                                      f"{meta['name']}"})
        item["result"] = wr.SUCCESSFUL
        events.append({"kind": "WorkloadRebalancer", "name": meta["name"], "reason": "RescheduleTriggered",
                       "message": f"rescheduling of {_describe(workload)} triggered"})


def _pending(rebalancer: dict) -> bool:
    status = rebalancer.get("status") or {}
    return (status.get("observedGeneration") != rebalancer["metadata"].get("generation")
            or any(not item.get("result") for item in status.get("observedWorkloads") or []))


def act(tx, now: str) -> None:
    """Act on every WorkloadRebalancer, in the caller's write transaction."""
    events: list[dict] = []
    for rebalancer in tx.list(wr.GROUP_KIND):
        if _pending(rebalancer):
            old = rebalancer.get("status") or {}
            items = copy.deepcopy(wr.observed((rebalancer.get("spec") or {}).get("workloads") or [],
                                              old.get("observedWorkloads") or []))
            _trigger(tx, rebalancer, items, events)
            status = wr.finished(old, items, rebalancer["metadata"].get("generation", 1), now)
            if status != old:
                rebalancer["status"] = status
                rebalancer = tx.update(rebalancer)
        if wr.expired(rebalancer, now):
            meta = rebalancer["metadata"]
            tx.delete(ObjectKey(wr.GROUP_KIND, "", meta["name"]), meta.get("resourceVersion"))
            events.append({"kind": "WorkloadRebalancer", "name": meta["name"], "reason": "TTLExpired",
                           "message": f"deleted {(rebalancer.get('spec') or {}).get('ttlSecondsAfterFinished')}s "
                                      "after it finished (ttlSecondsAfterFinished)"})
    tx.add_events(events)


def reconcile(store, now: str) -> None:
    """Act on every WorkloadRebalancer (one transaction, retried when it loses a race)."""
    from karmadactl.store.objects import retrying

    with store.read() as tx:
        if not tx.list(wr.GROUP_KIND):
            return
    retrying(store, lambda tx: act(tx, now))
