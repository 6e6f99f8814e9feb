"""FederatedResourceQuota: per-cluster ResourceQuotas, enforcement and status (Karmada's
federated-resource-quota sync, status and enforcement controllers, and the resourcebinding webhook).

In the pass (`admit_and_sync`, before anything is stored): with the FederatedQuotaEnforcement
gate on, a binding whose new placement would take its namespace's usage above an FRQ's overall
keeps its previous placement and says why in its Scheduled condition; then every FRQ gets one Work
per existing cluster of its staticAssignments, a ResourceQuota named like the FRQ in its
namespace. After the push (`collect_status`): each FRQ's status from its applied Works.

The gate is Karmada's (alpha, off by default: pkg/features/features.go); karmadactl reads it from
KARMADACTL_FEATURE_GATES, written as Karmada's --feature-gates (`FederatedQuotaEnforcement=true`).
The controllers' and webhook's files are listed in apis/quota.py.
"""

from __future__ import annotations

import copy
import json
import os
from fractions import Fraction

from karmadactl.apis import quota as frq
from karmadactl.apis.karmada import (
    ObjectMeta,
    ResourceBinding,
    ResourceBindingStatus,
    TargetCluster,
    Work,
    Workload,
    WorkSpec,
    load_binding,
)
from karmadactl.apis.wellknown import MANAGED_LABEL, WORK_NAME, WORK_NAMESPACE, execution_namespace
from karmadactl.controllers.binding import with_condition, work_name

FEATURE_GATES_ENV = "KARMADACTL_FEATURE_GATES"


def feature_gates(text: str) -> dict[str, bool]:
    """`A=true,B=false` as Karmada's --feature-gates reads it."""
    gates = {}
    for item in text.split(","):
        name, _, value = item.strip().partition("=")
        if name:
            gates[name.strip()] = value.strip().lower() == "true"
    return gates


def enforcement_enabled() -> bool:
    return feature_gates(os.environ.get(FEATURE_GATES_ENV, "")).get(frq.ENFORCEMENT_GATE, False)


# ---------------------------------------------------------------- sync: FRQ -> Works (pure)

def works_for(quota: dict, clusters: set[str]) -> list[Work]:
    """One Work per existing cluster named in staticAssignments: a v1 ResourceQuota of the FRQ's name
    and namespace whose hard is the assignment (buildWorks); unlisted clusters get none."""
    meta = quota["metadata"]
    namespace, name = meta.get("namespace", ""), meta["name"]
    wname = work_name(namespace, name, "ResourceQuota")
    works = []
    for assignment in sorted((quota.get("spec") or {}).get("staticAssignments") or [],
                             key=lambda a: a.get("clusterName", "")):
        cluster = assignment.get("clusterName", "")
        if cluster not in clusters:
            continue
        es = execution_namespace(cluster)
        manifest = {"apiVersion": "v1", "kind": "ResourceQuota",
                    "metadata": {"name": name, "namespace": namespace, "labels": {MANAGED_LABEL: "true"},
                                 "annotations": {WORK_NAME: wname, WORK_NAMESPACE: es}},
                    "spec": {"hard": dict(assignment.get("hard") or {})}}
        works.append(Work(metadata=ObjectMeta(name=wname, namespace=es,
                                              labels={frq.NAMESPACE_LABEL: namespace, frq.NAME_LABEL: name}),
                          spec=WorkSpec(Workload([manifest]))))
    return works


def owner_of(work: Work) -> tuple[str, str] | None:
    """(namespace, name) of the FRQ a Work was made for, or None."""
    labels = work.metadata.labels or {}
    if frq.NAME_LABEL not in labels:
        return None
    return labels.get(frq.NAMESPACE_LABEL, ""), labels[frq.NAME_LABEL]


# ---------------------------------------------------------------- enforcement (on the pass's plans)

def enforce(plans: list, quotas: list[dict], now: str) -> list[dict]:
    """Refuse the binding writes the webhook would deny: such a binding keeps its previous clusters
    (and so its Works) and gets Scheduled=False, QuotaExceeded. Returns the events to record."""
    by_namespace: dict[str, list[dict]] = {}
    for quota in quotas:
        by_namespace.setdefault(quota["metadata"].get("namespace", ""), []).append(quota)
    used: dict[str, dict[str, dict[str, Fraction]]] = {}
    for namespace, mine in by_namespace.items():
        before = [p.previous for p in plans if p.previous is not None
                  and (p.previous.metadata.namespace or "") == namespace]
        used[namespace] = {q["metadata"]["name"]: frq.overall_used(q, before) for q in mine}
    events = []
    for p in plans:
        binding = p.binding
        if binding is None or binding.kind != "ResourceBinding" or p.binding is p.previous:
            continue
        namespace = binding.metadata.namespace or ""
        if namespace not in by_namespace:
            continue
        decision = frq.admit(by_namespace[namespace], used[namespace], p.previous, binding)
        if decision.allowed:
            used[namespace].update(decision.used)
            continue
        message = frq.denied(decision.message)
        p.binding, p.works, p.error = _refused(binding, p.previous, message, now), [], message
        old = _scheduled(p.previous)
        if old.get("reason") != frq.QUOTA_EXCEEDED or old.get("message") != message:
            events.append({"kind": "ResourceBinding", "namespace": namespace, "name": binding.metadata.name,
                           "type": "Warning", "reason": "ScheduleBindingFailed", "message": message})
    return events


def _scheduled(binding: ResourceBinding | None) -> dict:
    return (binding.status.condition("Scheduled") if binding is not None and binding.status else None) or {}


def _refused(binding: ResourceBinding, previous: ResourceBinding | None, message: str, now: str) -> ResourceBinding:
    """The binding as the denied write leaves it: its new spec but the previous clusters and
    scheduling status, with Scheduled=False."""
    refused = copy.deepcopy(binding, {id(binding.raw): binding.raw})
    refused.spec.clusters = [TargetCluster(c.name, c.replicas) for c in (previous.spec.clusters or [])] \
        if previous is not None else []
    refused.metadata.annotations = {**(refused.metadata.annotations or {}),
                                    **((previous.metadata.annotations if previous is not None else None) or {})}
    status = copy.deepcopy(previous.status) if previous is not None else None
    status = status or ResourceBindingStatus()
    observed = binding.status.scheduler_observed_generation if binding.status is not None else None
    if observed is not None:
        status.scheduler_observed_generation = observed
    condition = {"type": "Scheduled", "status": "False", "reason": frq.QUOTA_EXCEEDED, "message": message}
    if now:
        condition["lastTransitionTime"] = now
    status.conditions = with_condition(status.conditions, condition)
    refused.status = status
    # written as the previous status was, what the refusal adds after it
    old_status = dict((((previous.raw or {}) if previous is not None else {}).get("status")) or {})
    old_status.setdefault("schedulerObservedGeneration")
    old_status.setdefault("conditions")
    refused.raw = {**(binding.raw or {"apiVersion": None, "kind": None, "metadata": {}, "spec": {}}),
                   "status": old_status}
    return refused


# ---------------------------------------------------------------- the pass's hooks (store)

def admit_and_sync(tx, plans: list, clusters: list, now: str) -> list[Work]:
    """In the reconcile transaction: enforcement on the plans (gate on), then the FRQs' Works,
    with Karmada's SyncWorkSucceed event for each FRQ whose Works change."""
    from karmadactl.controllers.execution import load_works

    quotas = tx.list(frq.GROUP_KIND)
    if not quotas:
        return []
    events = enforce(plans, quotas, now) if enforcement_enabled() else []
    names = {c.name for c in clusters}
    stored: dict[tuple[str, str], list] = {}
    for work in load_works(tx):
        owner = owner_of(work)
        if owner is not None and not work.deleting:
            stored.setdefault(owner, []).append((work.metadata.namespace, json.dumps(work.manifest, sort_keys=True)))
    works = []
    for quota in quotas:
        mine = works_for(quota, names)
        works.extend(mine)
        key = (quota["metadata"].get("namespace", ""), quota["metadata"]["name"])
        wanted = [(w.metadata.namespace, json.dumps(w.manifest, sort_keys=True)) for w in mine]
        if sorted(wanted) != sorted(stored.get(key, [])):
            events.append({"kind": "FederatedResourceQuota", "namespace": key[0], "name": key[1],
                           "reason": "SyncWorkSucceed",
                           "message": f"Sync works for FederatedResourceQuota({key[0]}/{key[1]}) succeed."})
    tx.add_events(events)
    return works


def collect_status(store, now: str = "") -> None:
    """Each FRQ's status from the member ResourceQuotas of its applied Works (one transaction)."""
    from karmadactl.store.objects import retrying

    with store.read() as tx:
        if not tx.list(frq.GROUP_KIND):
            return
    retrying(store, lambda tx: _collect(tx, now))


def _applied_status(work: Work) -> dict | None:
    if work.status is None:
        return None
    applied = work.status.condition("Applied")
    if applied is None or applied.get("status") != "True" or not work.status.manifest_statuses:
        return None
    return work.status.manifest_statuses[0].status


def _collect(tx, now: str) -> None:
    from karmadactl.controllers.execution import load_works

    quotas = tx.list(frq.GROUP_KIND)
    if not quotas:
        return
    enforcing = enforcement_enabled()
    by_owner: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for work in load_works(tx):
        owner, status = owner_of(work), _applied_status(work)
        if owner is not None and status is not None:
            by_owner.setdefault(owner, []).append((work.cluster, status))
    events = []
    for quota in quotas:
        namespace, name = quota["metadata"].get("namespace", ""), quota["metadata"]["name"]
        bindings = [load_binding(b) for b in tx.list("ResourceBinding.work.karmada.io", namespace=namespace)] \
            if enforcing else []
        status = frq.status_of(quota, by_owner.get((namespace, name), []), enforcing,
                               frq.overall_used(quota, bindings) if enforcing else None)
        if status == (quota.get("status") or {}):
            continue
        quota["status"] = status
        tx.update(quota)
        events.append({"kind": "FederatedResourceQuota", "namespace": namespace, "name": name,
                       "reason": "CollectOverallStatusSucceed" if enforcing else "AggregateStatusSucceed",
                       "message": f"Collect status of FederatedResourceQuota({namespace}/{name}) succeed."})
    tx.add_events(events)
