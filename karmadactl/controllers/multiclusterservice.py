"""MultiClusterService (networking.karmada.io/v1alpha1, `types: [CrossCluster]`), as Karmada's
pkg/controllers/multiclusterservice/ runs it.

- mcs-controller (mcs_controller.go): claims the Service of the same name (label
  resourcetemplate.karmada.io/claimed-by, so no policy takes it: detector.select_policy),
  binds it to providers ∪ consumers (ResourceBinding `<svc>-service`, conflictResolution
  Overwrite), keeps a suspended marker Work per ready provider, reports ServiceApplied.
- endpointslice-collect-controller (endpointslice_collect_controller.go): every provider's
  EndpointSlices of the service (not Karmada's own) in suspended collected Works, shared
  with ServiceExport (controllers/mcs.py) through the managed-by label.
- endpointslice-dispatch-controller (endpointslice_dispatch_controller.go): each collected
  slice copied to every other consumer as EndpointSlice `<provider>-<slice>` (a Work of
  the same name in the consumer's execution namespace), reports EndpointSliceDispatched.

Empty provider or consumer lists mean every registered cluster (pkg/util/helper/mcs.go
GetProviderClusters/GetConsumerClusters); `LoadBalancer` and `spec.ports` are accepted and
ignored, as in Karmada. Karmada gates all of this behind the alpha feature gate
MultiClusterService (off by default, pkg/features/features.go); karmadactl has no gate for it
and always acts on a MultiClusterService a user stores.

karmadactl has no finalizers on the objects a user deletes: a MultiClusterService that is gone
(or no longer CrossCluster) is cleaned up on the next pass from what it left behind: the
Service is unclaimed, the binding keeps its clusters but loses the MultiClusterService's
marks (the Service stays propagated, as after a policy's deletion), marker and dispatched
Works go, collected Works lose its owner.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass

from karmadactl.apis import kinds
from karmadactl.apis.karmada import ObjectReference, ResourceBinding, TargetCluster, Work, load_binding
from karmadactl.apis.wellknown import (
    BINDING_API_VERSION,
    BINDING_FINALIZER,
    BINDING_MANAGED_BY,
    CLAIMED_BY,
    CPP_NAME,
    CPP_PERMANENT_ID,
    EXECUTION_FINALIZER,
    KARMADA_SLICE_DISPATCHER,
    MANAGED_LABEL,
    MCS_NAME,
    MCS_NAMESPACE,
    MCS_PERMANENT_ID,
    PP_NAME,
    PP_NAMESPACE,
    PP_PERMANENT_ID,
    PROVISION_CLUSTER,
    PUSHED_HASH,
    RB_PERMANENT_ID,
    SERVICE_NAME_LABEL,
    SLICE_MANAGED_BY,
    WORK_API_VERSION,
    WORK_NAME,
    WORK_NAMESPACE,
    WORK_PERMANENT_ID,
    execution_namespace,
)
from karmadactl.controllers.binding import set_condition, work_name
from karmadactl.controllers.mcs import (
    BY_MCS,
    SLICE_API_VERSION,
    MemberSlices,
    ServiceState,
    WorkChanges,
    _clean,
    collected_work,
    is_collected,
    owners,
    slice_work_name,
    slices_of,
)
from karmadactl.store.keys import ObjectKey

KIND = "MultiClusterService"
CROSS_CLUSTER = "CrossCluster"


# -- pure decisions ---------------------------------------------------------------------------

@dataclass
class Sides:
    """Where a MultiClusterService's Service comes from and goes to, by cluster name."""

    providers: list[str]
    consumers: list[str]


def sides(mcs: dict, registered: list[str]) -> Sides:
    """GetProviderClusters / GetConsumerClusters: the listed clusters, or every registered one."""
    spec = mcs.get("spec") or {}

    def names(field_name: str) -> list[str]:
        listed = [c.get("name", "") for c in spec.get(field_name) or [] if isinstance(c, dict)]
        return sorted(set(listed)) if listed else sorted(registered)

    return Sides(names("providerClusters"), names("consumerClusters"))


def is_cross_cluster(mcs: dict) -> bool:
    return CROSS_CLUSTER in ((mcs.get("spec") or {}).get("types") or [])


def marker_work_name(namespace: str, name: str) -> str:
    return work_name(namespace, name, KIND)


def permanent_id(mcs: dict) -> str:
    """The webhook's multiclusterservice.karmada.io/permanent-id (deterministic when it is missing)."""
    meta = mcs["metadata"]
    return (meta.get("labels") or {}).get(MCS_PERMANENT_ID) or str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"karmadactl:mcs/{meta.get('namespace', '')}/{meta['name']}"))


def marker_work(mcs: dict, cluster: str) -> dict:
    """The suspended Work that marks a provider (it holds the MultiClusterService itself)."""
    meta = mcs["metadata"]
    namespace = meta.get("namespace") or "default"
    manifest = {"apiVersion": mcs["apiVersion"], "kind": KIND,
                "metadata": {"name": meta["name"], "namespace": namespace,
                             **({"labels": meta["labels"]} if meta.get("labels") else {})},
                "spec": mcs.get("spec") or {}}
    return {"apiVersion": WORK_API_VERSION, "kind": "Work",
            "metadata": {"name": marker_work_name(namespace, meta["name"]), "namespace": execution_namespace(cluster),
                         "labels": {MCS_PERMANENT_ID: permanent_id(mcs), MCS_NAMESPACE: namespace,
                                    MCS_NAME: meta["name"]}},
            "spec": {"workload": {"manifests": [manifest]}, "suspendDispatching": True}}


def claimed_service(service: dict, mcs: dict) -> dict:
    """The Service claimed by the MultiClusterService: policy claims removed, MultiClusterService's set."""
    body = json.loads(json.dumps(service))
    meta = body["metadata"]
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in (PP_PERMANENT_ID, CPP_PERMANENT_ID)}
    labels.update({CLAIMED_BY: KIND, MCS_PERMANENT_ID: permanent_id(mcs)})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k not in (PP_NAME, PP_NAMESPACE, CPP_NAME)}
    annotations.update({MCS_NAME: mcs["metadata"]["name"], MCS_NAMESPACE: mcs["metadata"].get("namespace", "")})
    meta["labels"], meta["annotations"] = labels, annotations
    return body


def unclaimed_service(service: dict) -> dict:
    body = json.loads(json.dumps(service))
    meta = body["metadata"]
    for key in (CLAIMED_BY, MCS_PERMANENT_ID):
        (meta.get("labels") or {}).pop(key, None)
    for key in (MCS_NAME, MCS_NAMESPACE):
        (meta.get("annotations") or {}).pop(key, None)
    return body


# the keys of a binding in the order this controller writes them (after those the previous binding had)
_WRITTEN_META = ("name", "namespace", "labels", "annotations", "finalizers", "ownerReferences")
_WRITTEN_SPEC = ("resource", "placement", "conflictResolution", "clusters")


def _written_order(previous: ResourceBinding | None) -> dict:
    old = (previous.raw or {}) if previous is not None else {}
    meta, spec = dict(old.get("metadata") or {}), dict(old.get("spec") or {})
    for key in _WRITTEN_META:
        meta.setdefault(key)
    for key in _WRITTEN_SPEC:
        spec.setdefault(key)
    return {"apiVersion": None, "kind": None, **old, "metadata": meta, "spec": spec}


def service_binding(service: dict, mcs: dict, clusters: list[str], registered: set[str],
                    previous: ResourceBinding | None) -> ResourceBinding:
    """The ResourceBinding `<svc>-service` that propagates the Service to providers ∪ consumers."""
    from karmadactl.controllers.reconcile import copied

    meta = service["metadata"]
    name = f"{meta['name']}-service".lower()
    binding = copied(previous) if previous is not None else ResourceBinding(kind="ResourceBinding")
    binding.api_version, binding.kind = BINDING_API_VERSION, "ResourceBinding"
    binding.raw = _written_order(previous)
    old_meta = binding.metadata
    labels = {**(old_meta.labels or {}), BINDING_MANAGED_BY: KIND, MCS_PERMANENT_ID: permanent_id(mcs)}
    labels.setdefault(RB_PERMANENT_ID, str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                      f"karmadactl:mcs-binding/{meta.get('namespace', '')}/{name}")))
    finalizers = list(old_meta.finalizers or [])
    if BINDING_FINALIZER not in finalizers:
        finalizers.append(BINDING_FINALIZER)
    old_meta.name, old_meta.namespace, old_meta.labels = name, meta.get("namespace", ""), labels
    old_meta.annotations = {**(old_meta.annotations or {}), MCS_NAME: mcs["metadata"]["name"],
                            MCS_NAMESPACE: mcs["metadata"].get("namespace", "")}
    old_meta.finalizers = finalizers
    old_meta.owner_references = [{"apiVersion": "v1", "kind": "Service", "name": meta["name"],
                                  "uid": meta.get("uid", ""), "controller": True, "blockOwnerDeletion": True}]
    spec = binding.spec
    spec.resource = ObjectReference(api_version="v1", kind="Service", namespace=meta.get("namespace", ""),
                                    name=meta["name"], uid=meta.get("uid", ""),
                                    resource_version=meta.get("resourceVersion", ""))
    spec.placement = {"clusterAffinity": {"clusterNames": clusters}}
    spec.conflict_resolution = "Overwrite"
    # karmadactl schedules it here: Duplicated to the registered clusters named
    spec.clusters = [TargetCluster(c) for c in clusters if c in registered]
    return binding


def released_binding(binding: ResourceBinding) -> ResourceBinding:
    """The binding after its MultiClusterService went: kept, without the MultiClusterService's marks."""
    from karmadactl.controllers.reconcile import copied

    body = copied(binding)
    meta = body.metadata
    for key in (BINDING_MANAGED_BY, MCS_PERMANENT_ID):
        (meta.labels or {}).pop(key, None)
    for key in (MCS_NAME, MCS_NAMESPACE):
        (meta.annotations or {}).pop(key, None)
    return body


def dispatched_work(collected: Work, provider: str, consumer: str, mcs_name: str, namespace: str) -> dict:
    """The copy of a provider's collected slice for one consumer: EndpointSlice `<provider>-<slice>`."""
    source = collected.manifest
    name = collected.metadata.name
    work_namespace = execution_namespace(consumer)
    work_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"karmadactl:work/{work_namespace}/{name}"))
    manifest = {"apiVersion": SLICE_API_VERSION, "kind": "EndpointSlice",
                "metadata": {"name": f"{provider}-{source['metadata']['name']}", "namespace": namespace,
                             "labels": {SERVICE_NAME_LABEL: mcs_name, SLICE_MANAGED_BY: KARMADA_SLICE_DISPATCHER,
                                        MANAGED_LABEL: "true", WORK_PERMANENT_ID: work_id},
                             "annotations": {PROVISION_CLUSTER: provider, WORK_NAMESPACE: work_namespace,
                                             WORK_NAME: name}}}
    for key in ("addressType", "endpoints", "ports"):
        if key in source:
            manifest[key] = source[key]
    return {"apiVersion": WORK_API_VERSION, "kind": "Work",
            "metadata": {"name": name, "namespace": work_namespace, "finalizers": [EXECUTION_FINALIZER],
                         "labels": {MCS_NAME: mcs_name, MCS_NAMESPACE: namespace, WORK_PERMANENT_ID: work_id},
                         "annotations": {PROVISION_CLUSTER: provider}},
            "spec": {"workload": {"manifests": [manifest]}}}


def is_marker(work: Work) -> bool:
    return bool(work.metadata.label(MCS_NAME)) and bool(work.spec.suspend_dispatching) \
        and bool(work.spec.workload.manifests) and work.manifest.get("kind") == KIND


def is_dispatched(work: Work) -> bool:
    return bool(work.metadata.annotation(PROVISION_CLUSTER)) and bool(work.metadata.label(MCS_NAME))


# -- reading ----------------------------------------------------------------------------------

def _key_of(mcs: dict) -> tuple[str, str]:
    return mcs["metadata"].get("namespace") or "default", mcs["metadata"]["name"]


def namespaces_to_read(state: ServiceState) -> dict[str, set[str]]:
    """cluster -> namespaces: the MultiClusterServices' namespaces in their ready providers."""
    registered = [c.name for c in state.clusters]
    ready = {c.name for c in state.clusters if c.ready == "True"}
    wanted: dict[str, set[str]] = {}
    for mcs in state.mcs:
        if is_cross_cluster(mcs):
            for cluster in sides(mcs, registered).providers:
                if cluster in ready:
                    wanted.setdefault(cluster, set()).add(_key_of(mcs)[0])
    return wanted


# -- the controllers --------------------------------------------------------------------------

def run(tx, state: ServiceState, read: MemberSlices, changes: WorkChanges, now: str) -> bool:
    """The three controllers for every MultiClusterService, and the cleanup of those gone; True when a
    template, a binding or a pushed Work changed."""
    active = {_key_of(m): m for m in state.mcs if is_cross_cluster(m)}
    changed = False
    rendering = _rendering(tx, state) if active else None
    for key in sorted(active):
        changed |= _reconcile(tx, state, read, changes, active[key], rendering, now)
    changed |= _clean_up(tx, state, changes, set(active), now)
    return changed


RECENT_EVENTS = 10      # an event already among the object's last ones is not recorded again each pass


def _event(tx, mcs: dict, reason: str, message: str, warning: bool = False) -> None:
    """One event on the MultiClusterService; a repeat of one of its recent events is left out (Karmada's
    event recorder, client-go's, counts repeats on one Event rather than writing new ones:
    k8s.io/client-go/tools/record/events_cache.go EventCorrelator)."""
    namespace, name = _key_of(mcs)
    type_ = "Warning" if warning else "Normal"
    recent = [e for e in tx.events(kind=KIND, name=name) if e["namespace"] == namespace][-RECENT_EVENTS:]
    if any((e["type"], e["reason"], e["message"]) == (type_, reason, message) for e in recent):
        return
    tx.add_event(kind=KIND, namespace=namespace, name=name, type=type_, reason=reason, message=message)


def _reconcile(tx, state: ServiceState, read: MemberSlices, changes: WorkChanges, mcs: dict, rendering,
               now: str) -> bool:
    namespace, name = _key_of(mcs)
    clusters = {c.name: c for c in state.clusters}
    chosen = sides(mcs, list(clusters))
    providers = []
    for cluster in chosen.providers:
        problem = _unusable(clusters.get(cluster), cluster, "Provider",
                            "skip to propagate MultiClusterService")
        if problem:
            _event(tx, mcs, problem[0], problem[1], warning=True)
            if problem[0] == "SyncServiceFailed":
                providers.append(cluster)        # listed but not ready: its marker stays
            continue
        providers.append(cluster)
        marker = marker_work(mcs, cluster)
        changes.put(_merged(marker, changes.get(marker["metadata"]["namespace"], marker["metadata"]["name"])))
    for work in state.works:
        if is_marker(work) and (work.metadata.label(MCS_NAMESPACE), work.metadata.label(MCS_NAME)) == \
                (namespace, name) and work.cluster not in providers:
            changes.drop(work.metadata.namespace or "", work.metadata.name)
    _collect(state, read, changes, mcs, providers)
    error, changed = _apply_service(tx, state, mcs, chosen, rendering, now)
    _dispatch(tx, state, changes, mcs, chosen.consumers, now)
    _set_status(tx, mcs, "ServiceApplied", error, "ServiceAppliedSucceed", "ServiceAppliedFailed",
                "Service is propagated to target clusters.", now)
    if error:
        _event(tx, mcs, "SyncServiceFailed", error, warning=True)
    return changed


def _unusable(cluster, name: str, side: str, skip: str) -> tuple[str, str] | None:
    if cluster is None:
        return "ClusterNotFound", f"{side} cluster {name} is not found"
    if cluster.ready != "True":
        return "SyncServiceFailed", f"{side} cluster {name} is not ready, {skip}"
    if cluster.status.get("apiEnablements") and cluster.resource_for(SLICE_API_VERSION, "EndpointSlice") is None:
        return "APIIncompatible", f"{side} cluster {name} does not support EndpointSlice"
    return None


def _merged(body: dict, existing: dict | None) -> dict:
    """A Work as this pass wants it, keeping what the store knows of it: server fields, status and the
    manifest its member last took (pushed-hash)."""
    if existing:
        for key in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            if key in existing["metadata"]:
                body["metadata"][key] = existing["metadata"][key]
        pushed = (existing["metadata"].get("annotations") or {}).get(PUSHED_HASH)
        if pushed:
            body["metadata"]["annotations"] = {**(body["metadata"].get("annotations") or {}), PUSHED_HASH: pushed}
        if existing.get("status"):
            body["status"] = existing["status"]
    return body


def _collect(state: ServiceState, read: MemberSlices, changes: WorkChanges, mcs: dict, providers: list[str]) -> None:
    """endpointslice-collect-controller: the providers' slices of the service, collected; the rest cleaned."""
    namespace, name = _key_of(mcs)
    reported = set()
    for cluster in providers:
        listed = read.of(cluster, namespace)
        if listed is None:
            reported |= {(w.metadata.namespace, w.metadata.name) for w in state.works if is_collected(w)
                         and w.cluster == cluster and w.metadata.label(MCS_NAME) == name
                         and w.metadata.label(MCS_NAMESPACE) == namespace}     # not read: kept as they were
            continue
        for slice_ in slices_of(listed, name):
            work_ns = execution_namespace(cluster)
            work_name_ = slice_work_name(namespace, slice_["metadata"]["name"])
            reported.add((work_ns, work_name_))
            changes.put(collected_work(cluster, slice_, BY_MCS, changes.get(work_ns, work_name_), name))
    for work in state.works:
        if is_collected(work) and BY_MCS in owners(work.metadata.labels) \
                and (work.metadata.label(MCS_NAMESPACE), work.metadata.label(MCS_NAME)) == (namespace, name) \
                and (work.metadata.namespace, work.metadata.name) not in reported:
            _clean(changes, work, BY_MCS)


def _apply_service(tx, state: ServiceState, mcs: dict, chosen: Sides, rendering, now: str) -> tuple[str, bool]:
    """Claim the Service and bind it to providers ∪ consumers, its Works built and stored; (error, changed)."""
    from karmadactl.controllers.reconcile import binding_key

    namespace, name = _key_of(mcs)
    service = next((s for s in state.services if (s["metadata"].get("namespace"), s["metadata"]["name"])
                    == (namespace, name)), None)
    if service is None:
        return f'services "{name}" not found', False
    changed = False
    claimed = claimed_service(service, mcs)
    if claimed["metadata"] != service["metadata"]:
        service = tx.update(claimed)
        changed = True
    key = binding_key(namespace, f"{name}-service".lower())
    stored = tx.get(key)
    previous = load_binding(stored) if stored is not None else None
    registered = {c.name for c in state.clusters}
    binding = service_binding(service, mcs, sorted(set(chosen.providers) | set(chosen.consumers)), registered,
                              previous)
    if previous is None:
        binding = load_binding(tx.create(binding.to_dict()))
        changed = True
    elif _content(binding) != _content(previous):
        binding = load_binding(tx.update(binding.to_dict()))
        changed = True
    changed |= _store_works(tx, state, service, binding, rendering, now)
    return "", changed


def _content(binding: ResourceBinding) -> ResourceBinding:
    return dataclasses.replace(binding, metadata=dataclasses.replace(binding.metadata, resource_version=None,
                                                                     generation=None))


def _rendering(tx, state: ServiceState) -> tuple:
    """What building a binding's Works needs: the override policies by scope and the customizations."""
    from karmadactl.apis.override import OverridePolicy
    from karmadactl.controllers.binding import Overrides
    from karmadactl.controllers.execution import load_customizations

    found = [OverridePolicy.from_dict(o, source="store") for kind in ("OverridePolicy", "ClusterOverridePolicy")
             for o in tx.list(f"{kind}.policy.karmada.io")]
    overrides = Overrides(clusters={c.name: c for c in state.clusters},
                          cluster_policies=[o for o in found if o.is_cluster_scoped],
                          policies=[o for o in found if not o.is_cluster_scoped])
    return overrides, load_customizations(tx)


def _store_works(tx, state: ServiceState, service: dict, binding: ResourceBinding, rendering: tuple,
                 now: str) -> bool:
    """The binding's Works, built as the binding controller builds them (overrides included), stored as
    execution.store_desired stores a pass's; the Works of clusters it left marked for deletion."""
    from karmadactl.controllers import execution
    from karmadactl.controllers.binding import build_works

    overrides, customizations = rendering
    rendered = build_works(service, binding, overrides, customizations)
    key = ObjectKey(kinds.BINDINGS[0], binding.metadata.namespace or "", binding.metadata.name)
    stored = {(w.metadata.namespace, w.metadata.name): w for w in state.works if execution.binding_of(w) == key}
    changed = False
    for work in rendered.works:
        current = stored.pop((work.metadata.namespace, work.metadata.name), None)
        body = execution._desired_body(work, current, now)
        if current is None:
            tx.create(body.to_dict())
        elif body != current:
            tx.update(body.to_dict(like=current.raw))
        else:
            continue
        changed = True
    for work in stored.values():
        if not work.deleting:
            work.metadata.deletion_timestamp = now or "1970-01-01T00:00:00Z"
            tx.update(work.to_dict())
            changed = True
    return changed


def _dispatch(tx, state: ServiceState, changes: WorkChanges, mcs: dict, consumers: list[str], now: str) -> None:
    """endpointslice-dispatch-controller: each provider slice to every other usable consumer."""
    namespace, name = _key_of(mcs)
    clusters = {c.name: c for c in state.clusters}
    usable, kept, errors = set(), set(), []
    for cluster in consumers:
        problem = _unusable(clusters.get(cluster), cluster, "Consumer", "skip to propagate EndpointSlice")
        if problem is None:
            usable.add(cluster)
        else:
            _event(tx, mcs, problem[0], problem[1], warning=True)
            if problem[0] == "SyncServiceFailed":
                kept.add(cluster)               # not ready: the copies it has stay
            errors.append(problem[1])
    desired: dict[tuple[str, str], dict] = {}
    for work in changes.current():
        if not is_collected(work) or (work.metadata.label(MCS_NAMESPACE), work.metadata.label(MCS_NAME)) != \
                (namespace, name):
            continue
        for consumer in sorted(usable - {work.cluster}):
            body = dispatched_work(work, work.cluster, consumer, name, namespace)
            desired[(body["metadata"]["namespace"], body["metadata"]["name"])] = body
    for key, body in sorted(desired.items()):
        existing = changes.get(*key)
        changes.put(_merged(body, existing))
    for work in state.works:
        key = (work.metadata.namespace or "", work.metadata.name)
        if is_dispatched(work) and (work.metadata.label(MCS_NAMESPACE), work.metadata.label(MCS_NAME)) == \
                (namespace, name) and key not in desired and work.cluster not in kept and not work.deleting:
            changes.put(_deleting(work, now))
    error = "; ".join(errors)
    _set_status(tx, mcs, "EndpointSliceDispatched", error, "EndpointSliceDispatchedSucceed",
                "EndpointSliceDispatchedFailed", "EndpointSlice are dispatched successfully", now)


def _deleting(work: Work, now: str) -> dict:
    """A dispatched Work nobody wants: execution removes its slice from the consumer, then the Work."""
    body = work.to_dict()
    body["metadata"]["deletionTimestamp"] = now or "1970-01-01T00:00:00Z"
    return body


def _set_status(tx, mcs: dict, type_: str, error: str, ok_reason: str, failed_reason: str, ok_message: str,
                now: str) -> None:
    """One condition on the stored MultiClusterService, with its event when it changes."""
    namespace, name = _key_of(mcs)
    current = tx.get(ObjectKey(kinds.of(mcs).group_kind, namespace, name))
    if current is None:
        return
    condition = {"type": type_, "status": "False" if error else "True",
                 "reason": failed_reason if error else ok_reason, "message": error or ok_message,
                 **({"lastTransitionTime": now} if now else {})}
    status = json.loads(json.dumps(current.get("status") or {}))
    old = next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)
    set_condition(status, condition)
    if status == (current.get("status") or {}):
        return
    current["status"] = status
    tx.update(current)
    if not error and (old is None or old.get("status") != "True"):
        reason = "SyncServiceSucceed" if type_ == "ServiceApplied" else "DispatchEndpointSliceSucceed"
        _event(tx, mcs, reason, ok_message)
    elif error and type_ == "EndpointSliceDispatched":
        _event(tx, mcs, "DispatchEndpointSliceFailed", error, warning=True)


def _clean_up(tx, state: ServiceState, changes: WorkChanges, active: set[tuple[str, str]], now: str) -> bool:
    """What MultiClusterServices that are gone (or no longer CrossCluster) left behind."""
    from karmadactl.controllers.reconcile import binding_key

    changed = False
    for work in state.works:
        owned_by = (work.metadata.label(MCS_NAMESPACE) or "", work.metadata.label(MCS_NAME) or "")
        if not work.metadata.label(MCS_NAME) or owned_by in active:
            continue
        if is_collected(work):
            _clean(changes, work, BY_MCS)
        elif is_marker(work):
            changes.drop(work.metadata.namespace or "", work.metadata.name)
        elif is_dispatched(work) and not work.deleting:
            changes.put(_deleting(work, now))
    for service in state.services:
        meta = service["metadata"]
        if (meta.get("labels") or {}).get(CLAIMED_BY) != KIND:
            continue
        owner = ((meta.get("annotations") or {}).get(MCS_NAMESPACE, ""), (meta.get("annotations") or {}).get(MCS_NAME))
        if owner in active:
            continue
        tx.update(unclaimed_service(service))
        stored = tx.get(binding_key(meta.get("namespace", ""), f"{meta['name']}-service".lower()))
        binding = load_binding(stored) if stored is not None else None
        if binding is not None and binding.metadata.label(BINDING_MANAGED_BY) == KIND:
            tx.update(released_binding(binding).to_dict())
        changed = True
    return changed

