"""Status: member objects -> Works -> bindings' aggregatedStatus -> the template's .status.

`refresh` re-reads the member object of every stored Work (Karmada's
work-status controller); `aggregate` folds the Works of each binding into
its aggregatedStatus and FullyApplied condition and, for kinds that have an
AggregateStatus rule, writes the template's status (the binding-status
controller). Both store their result in one transaction.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import replace

from karmadactl.apis import kinds
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.apis.codec import encode
from karmadactl.apis.karmada import (
    ResourceBinding,
    ResourceBindingStatus,
    Work,
    WorkStatus,
    load_binding,
    load_work,
)
from karmadactl.controllers.binding import with_condition
from karmadactl.controllers.changes import Memory, WorkCache
from karmadactl.controllers.execution import (
    CLUSTERS_AT_ONCE,
    LiveObjects,
    _attach,
    _key,
    binding_of,
    cluster_of,
    load_customizations,
    load_works,
    manifest_of,
    plural_for,
)
from karmadactl.errors import KarmadaError
from karmadactl.members.fanout import Fleet, reaches
from karmadactl.store.keys import ObjectKey

log = logging.getLogger(__name__)


def refresh(store, *, clusters: set[str] | None = None, fleet: Fleet | None = None,
            memory: Memory | None = None) -> dict[str, str]:
    """Read every stored Work's member object again; returns the clusters that could not be read.
    `fleet` holds the members' clients (a Fleet of this call's own when not given). With a running
    watch's `memory`, a Work whose member object and own version are those it last read back is
    left as it is, neither decoded nor interpreted again."""
    with store.read() as tx:
        if memory is not None:
            memory.customizations_seen(tx)
            works = memory.works.load(tx)
        else:
            works = load_works(tx)
        members = {c["metadata"]["name"]: Cluster.from_dict(c) for c in tx.list(CLUSTER_GK)}
        customizations = load_customizations(tx)
    by_cluster: dict[str, list[Work]] = {}
    agent_of = fleet.agent_of if fleet is not None else None
    for work in works:
        name = cluster_of(work)
        if name in members and (clusters is None or name in clusters) and reaches(members[name], agent_of):
            by_cluster.setdefault(name, []).append(work)
    last_read = memory.read_back if memory is not None else {}

    def read(cluster: Cluster, client) -> tuple[list[tuple[Work, tuple[str, str]]], str | None]:
        updated: list[tuple[Work, tuple[str, str]]] = []
        try:
            objects = LiveObjects(client, cluster)        # one LIST per kind and namespace where it pays
            objects.prefetch([manifest_of(w) for w in by_cluster[cluster.name]])
            for work in by_cluster[cluster.name]:
                manifest = manifest_of(work)
                plural = plural_for(cluster, manifest)
                live = objects.get(manifest, plural)
                if live is None:
                    continue
                seen = _live_version(live)
                if last_read.get(_key(work)) == (*_version(work), *seen):
                    continue          # neither the Work nor its member object changed since
                work = replace(work, status=replace(work.status) if work.status is not None else None)
                _attach(work, live, plural, customizations)
                updated.append((work, seen))
        except KarmadaError as e:      # what was read before keeps its new status
            return updated, str(e)
        return updated, None

    from karmadactl.store.objects import retrying

    with Fleet(store) if fleet is None else nullcontext(fleet) as reader:
        read_back = reader.each([members[name] for name in by_cluster], read, at_once=CLUSTERS_AT_ONCE)
    results = [read_back.values.get(name, ([], read_back.errors.get(name))) for name in by_cluster]
    failures = {name: failure for name, (_, failure) in zip(by_cluster, results) if failure}

    def write(tx) -> list[tuple[ObjectKey, tuple[str, int, str, str]]]:
        # the Works re-read (and locked) before they are written, in one go
        read = [(work, seen) for updated, _ in results for work, seen in updated if work.status is not None]
        stored = tx.get_many([_key(work) for work, _ in read])
        changed, read_as = [], []
        for work, seen in read:
            if _key(work) not in stored:
                continue
            current = load_work(stored[_key(work)])
            if current.status is None:
                current.status = WorkStatus()
            current.status.manifest_statuses = work.status.manifest_statuses if work.status else None
            changed.append(current.to_dict())
            read_as.append((_key(work), seen))
        return [(key, (meta.get("uid") or "", int(meta["resourceVersion"]), *seen))
                for (key, seen), meta in zip(read_as, (body["metadata"] for body in tx.update_many(changed)))]

    for key, versions in retrying(store, write):
        last_read[key] = versions
    return failures


def _version(work: Work) -> tuple[str, int]:
    return work.metadata.uid or "", int(work.metadata.resource_version or 0)


def _live_version(live: dict) -> tuple[str, str]:
    meta = live.get("metadata") or {}
    return str(meta.get("uid") or ""), str(meta.get("resourceVersion") or "")


def _applied(work: Work) -> tuple[bool, str]:
    condition = work.status.condition("Applied") if work.status is not None else None
    if condition is not None:
        return condition["status"] == "True", condition.get("message", "")
    return False, ""


def aggregate(store, now: str = "", works: WorkCache | None = None) -> None:
    """Fold Works into their bindings and templates (one transaction); with the pass's typed Works
    (`works`: a running watch keeps them in its Memory), only the Works changed since they were read
    are decoded."""
    from karmadactl.store.objects import retrying

    retrying(store, lambda tx: _aggregate(tx, now, works))


def _aggregate(tx, now: str, works: WorkCache | None = None) -> None:
    from karmadactl.interpreter import native

    tx.serialize("reconcile")      # bindings change under the reconcile pass's lock,
    tx.serialize("templates")      # templates under store_objects': no lost race, no deadlock
    customizations = load_customizations(tx)
    works_by_binding: dict[ObjectKey, list[Work]] = {}
    for work in works.load(tx) if works is not None else load_works(tx):
        key = binding_of(work)
        if key:
            works_by_binding.setdefault(key, []).append(work)
    folded: list[tuple[ResourceBinding, list[dict]]] = []
    changed = []
    read: dict[ObjectKey, dict] = {}
    if works is not None:       # the bindings the pass's plan read or wrote, shared: changed through copies
        bindings = works.load_bindings(tx)
    else:
        bindings = [load_binding(stored) for gk in kinds.BINDINGS for stored in tx.list(gk)]
    for binding in bindings:
        gk = kinds.BINDINGS[1] if binding.cluster_scoped else kinds.BINDINGS[0]
        binding_key = ObjectKey(gk, binding.metadata.namespace or "", binding.metadata.name)
        if binding.raw is not None:
            read[binding_key] = binding.raw
        items = []
        existing = native.existing_clusters(binding)
        for work in sorted(works_by_binding.get(binding_key, []), key=cluster_of):
            if cluster_of(work) not in existing:
                continue      # left over, deleted once its member answers (Karmada skips deleting Works)
            applied, message = _applied(work)
            statuses = work.status.manifest_statuses if work.status else None
            first = encode(statuses[0]) if statuses else None
            items.append(native.aggregated_item(cluster_of(work), applied, message, first))
        before = binding.status or ResourceBindingStatus()
        status = replace(before, aggregated_status=items or None,
                         conditions=_fully_applied(before, native.fully_applied(binding, items), now))
        if status != before:
            binding = replace(binding, status=status)
            changed.append(binding.to_dict())
        folded.append((binding, items))
    tx.update_many(changed, read=read)      # compared with the bindings as read, not decoded again
    _aggregate_templates(tx, folded, customizations)


def _fully_applied(status: ResourceBindingStatus, full: bool, now: str) -> list[dict]:
    """The binding's conditions with FullyApplied set; an unchanged one keeps its lastTransitionTime."""
    condition = {"type": "FullyApplied", "status": "True" if full else "False",
                 "reason": "FullyAppliedSuccess" if full else "FullyAppliedFailed",
                 "message": ("All works have been successfully applied" if full else
                             "Failed to apply all works, see status.aggregatedStatus for details")}
    if now:
        condition["lastTransitionTime"] = now
    return with_condition(status.conditions, condition)


def _template_key(binding: ResourceBinding) -> ObjectKey:
    resource = binding.spec.resource
    info = kinds.of({"apiVersion": resource.api_version, "kind": resource.kind})
    return ObjectKey(info.group_kind, resource.namespace or "", resource.name or "")


def _aggregate_templates(tx, folded: list[tuple[ResourceBinding, list[dict]]], customizations) -> None:
    """Each binding's template takes the status its Works add up to (read and written in one go)."""
    from karmadactl.interpreter import resolve

    templates = tx.get_many([_template_key(binding) for binding, _ in folded])
    changed: dict[ObjectKey, dict] = {}
    for binding, items in folded:
        key = _template_key(binding)
        template = templates.get(key)
        if template is None:
            continue
        try:
            new_status = resolve.aggregate_status(template, items, customizations)
        except KarmadaError as e:
            log.warning("aggregate status of %s: %s", binding.spec.resource.name, e)
            continue
        if new_status is None or new_status == template.get("status"):
            continue
        template["status"] = new_status
        changed[key] = template
    tx.update_many(list(changed.values()))
