"""Rescheduling on demand (Karmada's WorkloadRebalancer) and export to a Karmada control plane."""

from __future__ import annotations

from karmadactl.apis.karmada import ResourceBinding, load_binding
from karmadactl.apis.kinds import BINDINGS
from karmadactl.apis.meta import SERVER_SET_METADATA
from karmadactl.apis.wellknown import ANNOTATION_CONTEXT, ANNOTATION_KUBECONFIG


def _chosen(binding: ResourceBinding, refs: list[tuple[str, str, str]] | None) -> bool:
    resource = binding.spec.resource
    if refs is not None:
        return (resource.kind, resource.namespace or "", resource.name) in refs
    scheduling = (binding.spec.placement or {}).get("replicaScheduling") or {}
    return scheduling.get("replicaSchedulingType") == "Divided"


def _bindings(tx) -> list[ResourceBinding]:
    return [load_binding(b) for gk in BINDINGS for b in tx.list(gk)]


def _after_last_schedule(store, refs, now: str) -> str:
    """A trigger time later than every chosen binding's lastScheduledTime. Times have whole seconds and
    the scheduler divides afresh only when rescheduleTriggeredAt is after lastScheduledTime, so a
    rebalance asked for in the second of the last schedule would be ignored: wait for the next second."""
    import time

    from karmadactl.apis.meta import now as clock

    with store.read() as tx:
        last = max(((b.status.last_scheduled_time if b.status else None) or "" for b in _bindings(tx)
                    if _chosen(b, refs)), default="")
    while last >= now:
        time.sleep(1 - time.time() % 1 + 0.01)
        now = clock()
    return now


def trigger(store, refs: list[tuple[str, str, str]] | None, now: str) -> list[str]:
    """Set spec.rescheduleTriggeredAt on the bindings of the given templates (kind, namespace, name), or of
    every Divided workload; the next pass divides their replicas afresh."""
    lines = []
    now = _after_last_schedule(store, refs, now)
    with store.write() as tx:
        for binding in _bindings(tx):
            if not _chosen(binding, refs):
                continue
            binding.spec.reschedule_triggered_at = now
            tx.update(binding.to_dict())
            tx.add_event(kind=binding.kind, name=binding.metadata.name, namespace=binding.metadata.namespace or "",
                         reason="Rebalance", message="rescheduling from scratch was asked for")
            lines.append(f"{binding.kind.lower()}.work.karmada.io/{binding.metadata.name} rescheduled from scratch")
    if refs is not None and len(lines) < len(refs):
        lines.append(f"{len(refs) - len(lines)} of the templates have no binding yet (no policy claims them)")
    return lines


def exportable(tx) -> list[dict]:
    """What a Karmada control plane would hold: Clusters (without karmadactl's credential references),
    policies, interpreter customizations and templates; no bindings, Works or credentials."""
    out = []
    for gk in tx.group_kinds():
        if gk.endswith("work.karmada.io") or gk.endswith("karmadactl.io"):
            continue
        for obj in tx.list(gk):
            meta = {k: v for k, v in obj["metadata"].items() if k not in SERVER_SET_METADATA}
            annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                           if k not in (ANNOTATION_KUBECONFIG, ANNOTATION_CONTEXT)}
            if annotations:
                meta["annotations"] = annotations
            else:
                meta.pop("annotations", None)
            exported = {**obj, "metadata": meta}
            if obj.get("kind") == "Cluster":
                exported.pop("status", None)
            out.append(exported)
    return out
