"""Multi-cluster services: ServiceExport and ServiceImport (mcs-api), as Karmada's pkg/controllers/mcs/ runs them.

- serviceExport controller (service_export_controller.go): in every member where a
  ServiceExport's Work is applied, the EndpointSlices labelled with that service's name
  (not Karmada's own, pkg/util/helper/mcs.go IsEndpointSliceManagedByKarmada) are
  collected into suspended Works in karmada-es-<cluster> (reportEndpointSlice,
  getEndpointSliceWorkMeta); Works of slices that vanished, or of a service no longer
  exported, are cleaned (cleanEndpointSliceWork).
- endpointSlice controller (endpointslice_controller.go collectEndpointSliceFromWork):
  every collected Work labelled with a service name gives the template EndpointSlice
  `imported-<cluster>-<slice>` (pkg/util/names/names.go GenerateEndpointSliceName) of
  service `derived-<service>`; it goes with its Work.
- serviceImport controller (service_import_controller.go deriveServiceFromServiceImport):
  every ServiceImport of type ClusterSetIP gives the template Service `derived-<import>`.

Nothing is pushed here: the derived Service and the imported slices are templates that
follow their ServiceImport to its clusters as its dependencies (propagateDeps) through the
ordinary pass. `sync_services` runs after the pass has pushed (the ServiceExports must be
applied in their members before their slices are read), reads the members (one LIST of
EndpointSlices per member and namespace), and stores what changed; when templates changed,
the caller plans and pushes again so that one `apply`/`sync`/`watch` pass carries the
endpoints all the way to the importing members.

MultiClusterService (controllers/multiclusterservice.py) shares the collected Works.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from karmadactl.apis import kinds
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.apis.karmada import Work, load_work
from karmadactl.apis.wellknown import (
    EPS_CONTROLLER_FINALIZER,
    EPS_SERVICE_NAME,
    EPS_SERVICE_NAMESPACE,
    EPS_WORK_MANAGED_BY,
    KARMADA_SLICE_CONTROLLER,
    KARMADA_SLICE_DISPATCHER,
    MANAGED_LABEL,
    MCS_DISPATCH_FINALIZER,
    MCS_NAME,
    MCS_NAMESPACE,
    SERVICE_NAME_LABEL,
    SLICE_MANAGED_BY,
    WORK_API_VERSION,
    WORK_NAME,
    WORK_NAMESPACE,
    WORK_PERMANENT_ID,
    execution_namespace,
    is_service_work,
)
from karmadactl.controllers.binding import with_condition, work_name
from karmadactl.store.keys import ObjectKey

EXPORT_GK = "ServiceExport.multicluster.x-k8s.io"
IMPORT_GK = "ServiceImport.multicluster.x-k8s.io"
SLICE_GK = "EndpointSlice.discovery.k8s.io"
SERVICE_GK = "Service"
MCS_GK = "MultiClusterService.networking.karmada.io"
SLICE_API_VERSION = "discovery.k8s.io/v1"
MCS_GROUP = "multicluster.x-k8s.io"
BY_SERVICE_EXPORT = "ServiceExport"          # the owners a collected Work's managed-by label names
BY_MCS = "MultiClusterService"
DERIVED_FROM = "karmadactl.io/derived-from-serviceimport"   # on a derived Service: karmadactl's mark of its own
MEMBERS_AT_ONCE = 8


# -- names (pkg/util/names/names.go) ------------------------------------------------------------

def derived_service_name(name: str) -> str:
    """GenerateDerivedServiceName."""
    return f"derived-{name}"


def imported_slice_name(cluster: str, name: str) -> str:
    """GenerateEndpointSliceName: the control plane's copy of one member's EndpointSlice."""
    return f"imported-{cluster}-{name}"


def slice_work_name(namespace: str, name: str) -> str:
    """The collected Work of one member EndpointSlice (GenerateWorkName("EndpointSlice", ...))."""
    return work_name(namespace, name, "EndpointSlice")


# -- pure decisions ---------------------------------------------------------------------------

def is_karmada_slice(slice_: dict) -> bool:
    """IsEndpointSliceManagedByKarmada: slices Karmada wrote itself are never collected again."""
    managed_by = ((slice_.get("metadata") or {}).get("labels") or {}).get(SLICE_MANAGED_BY)
    return managed_by in (KARMADA_SLICE_CONTROLLER, KARMADA_SLICE_DISPATCHER)


def is_collected(work: Work) -> bool:
    """A Work holding an EndpointSlice collected from its member."""
    return bool(work.spec.suspend_dispatching) and bool(work.metadata.label(EPS_WORK_MANAGED_BY)) \
        and work.spec.workload.manifests != [] and work.manifest.get("kind") == "EndpointSlice"


def owners(work_labels: dict[str, str] | None) -> set[str]:
    """The controllers a collected Work is kept for (its managed-by label, '.'-joined)."""
    value = (work_labels or {}).get(EPS_WORK_MANAGED_BY) or ""
    return {v for v in value.split(".") if v}


def _is_applied(work: Work) -> bool:
    return work.status is not None and (work.status.condition("Applied") or {}).get("status") == "True"


def exported_services(works: Iterable[Work]) -> dict[str, set[tuple[str, str]]]:
    """cluster -> {(namespace, service)} exported there: a ServiceExport Work applied and not going."""
    exported: dict[str, set[tuple[str, str]]] = {}
    for work in works:
        if work.deleting or not work.spec.workload.manifests or not _is_applied(work):
            continue
        manifest = work.manifest
        if manifest.get("kind") != "ServiceExport" or \
                manifest.get("apiVersion", "").rpartition("/")[0] != MCS_GROUP:
            continue
        meta = manifest.get("metadata") or {}
        exported.setdefault(work.cluster, set()).add((meta.get("namespace") or "default", meta.get("name", "")))
    return exported


def slices_of(slices: list[dict], service: str) -> list[dict]:
    """A member's EndpointSlices of one service that are reported (not Karmada's own)."""
    return [s for s in slices if ((s.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL) == service
            and not is_karmada_slice(s)]


def collected_manifest(slice_: dict, work_namespace: str, name: str, permanent_id: str) -> dict:
    """The member slice as the Work keeps it (ctrlutil.CreateOrUpdateWork's marks added); server fields
    dropped, so the Work changes only when the endpoints do."""
    meta = slice_.get("metadata") or {}
    kept = {k: meta[k] for k in ("name", "namespace", "labels", "annotations") if meta.get(k)}
    kept["labels"] = {**(kept.get("labels") or {}), MANAGED_LABEL: "true", WORK_PERMANENT_ID: permanent_id}
    kept["annotations"] = {**(kept.get("annotations") or {}), WORK_NAMESPACE: work_namespace, WORK_NAME: name}
    manifest = {"apiVersion": SLICE_API_VERSION, "kind": "EndpointSlice", "metadata": kept}
    for key in ("addressType", "endpoints", "ports"):
        if key in slice_:
            manifest[key] = slice_[key]
    return manifest


def collected_work(cluster: str, slice_: dict, owner: str, existing: dict | None, service: str) -> dict:
    """The suspended Work that reports one member EndpointSlice for `owner` (ServiceExport or
    MultiClusterService), merged with the Work already stored (labels, finalizers, managed-by set)."""
    meta = slice_["metadata"]
    namespace = execution_namespace(cluster)
    name = slice_work_name(meta.get("namespace", ""), meta["name"])
    old_meta = (existing or {}).get("metadata") or {}
    labels = dict(old_meta.get("labels") or {})
    if owner == BY_SERVICE_EXPORT:
        labels.update({EPS_SERVICE_NAMESPACE: meta.get("namespace", ""), EPS_SERVICE_NAME: service})
        finalizer = EPS_CONTROLLER_FINALIZER
    else:
        labels.update({MCS_NAMESPACE: meta.get("namespace", ""), MCS_NAME: service})
        finalizer = MCS_DISPATCH_FINALIZER
    labels[EPS_WORK_MANAGED_BY] = ".".join(sorted(owners(labels) | {owner}))
    labels.setdefault(WORK_PERMANENT_ID, str(uuid.uuid5(uuid.NAMESPACE_URL, f"karmadactl:work/{namespace}/{name}")))
    finalizers = list(old_meta.get("finalizers") or [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)
    work = {"apiVersion": WORK_API_VERSION, "kind": "Work",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "finalizers": finalizers},
            "spec": {"workload": {"manifests": [collected_manifest(slice_, namespace, name,
                                                                   labels[WORK_PERMANENT_ID])]},
                     "suspendDispatching": True}}
    status = dict((existing or {}).get("status") or {})
    status["conditions"] = with_condition(status.get("conditions"), {
        "type": "Dispatching", "status": "False", "reason": "SuspendDispatching",
        "message": "Work dispatching is in a suspended state."}, replaces=("Applied",))
    work["status"] = status
    return _with_server_fields(work, existing)


def cleaned(work: dict, owner: str) -> dict | None:
    """cleanEndpointSliceWork: the Work without `owner`; None when nobody else keeps it (delete it)."""
    rest = owners((work.get("metadata") or {}).get("labels")) - {owner}
    if not rest:
        return None
    body = json.loads(json.dumps(work))
    labels = body["metadata"]["labels"]
    for key in ((EPS_SERVICE_NAME, EPS_SERVICE_NAMESPACE) if owner == BY_SERVICE_EXPORT else (MCS_NAME, MCS_NAMESPACE)):
        labels.pop(key, None)
    labels[EPS_WORK_MANAGED_BY] = ".".join(sorted(rest))
    return body


def imported_slice(work: Work) -> dict | None:
    """collectEndpointSliceFromWork: the control plane's EndpointSlice of a collected Work with a
    service name, or None."""
    service = work.metadata.label(EPS_SERVICE_NAME)
    if not service or work.deleting or not work.spec.workload.manifests:
        return None
    manifest = work.manifest
    meta = manifest.get("metadata") or {}
    labels = {SERVICE_NAME_LABEL: derived_service_name(service), SLICE_MANAGED_BY: KARMADA_SLICE_CONTROLLER}
    permanent_id = work.metadata.label(WORK_PERMANENT_ID)
    if permanent_id:
        labels[WORK_PERMANENT_ID] = permanent_id
    out = {"apiVersion": SLICE_API_VERSION, "kind": "EndpointSlice",
           "metadata": {"name": imported_slice_name(work.cluster, meta.get("name", "")),
                        "namespace": work.metadata.label(EPS_SERVICE_NAMESPACE) or meta.get("namespace", ""),
                        "labels": labels,
                        "annotations": {WORK_NAMESPACE: work.metadata.namespace or "",
                                        WORK_NAME: work.metadata.name}}}
    for key in ("addressType", "endpoints", "ports"):
        if key in manifest:
            out[key] = manifest[key]
    return out


def derived_service(service_import: dict) -> dict | None:
    """deriveServiceFromServiceImport: Service derived-<name> of a ClusterSetIP ServiceImport (None for
    Headless): ClusterIP, no selector, the import's ports."""
    spec = service_import.get("spec") or {}
    if spec.get("type") != "ClusterSetIP":
        return None
    meta = service_import["metadata"]
    ports = [{k: p[k] for k in ("name", "protocol", "port", "appProtocol") if k in p}
             for p in spec.get("ports") or [] if isinstance(p, dict)]
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": derived_service_name(meta["name"]), "namespace": meta.get("namespace") or "default",
                         "annotations": {DERIVED_FROM: meta["name"]}},
            "spec": {"type": "ClusterIP", "ports": ports}}


def _with_server_fields(obj: dict, existing: dict | None) -> dict:
    if existing:
        for key in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            if key in existing["metadata"]:
                obj["metadata"][key] = existing["metadata"][key]
    return obj


def _content(obj: dict | None) -> dict | None:
    if obj is None:
        return None
    meta = {k: v for k, v in obj["metadata"].items() if k not in ("uid", "resourceVersion", "creationTimestamp",
                                                                  "generation")}
    return {**obj, "metadata": meta}


# -- reading the members ----------------------------------------------------------------------

@dataclass
class MemberSlices:
    """What one pass read: each member's EndpointSlices by namespace, or why a member could not be read."""

    slices: dict[str, dict[str, list[dict]]] = field(default_factory=dict)    # cluster -> namespace -> slices
    errors: dict[str, str] = field(default_factory=dict)

    def of(self, cluster: str, namespace: str) -> list[dict] | None:
        """The slices read in that namespace, or None when the member was not read."""
        return None if cluster in self.errors else self.slices.get(cluster, {}).get(namespace)


def read_slices(store, clusters: list[Cluster], wanted: dict[str, set[str]], fleet=None) -> MemberSlices:
    """One LIST of EndpointSlices per member and namespace (`wanted`: cluster -> namespaces)."""
    from contextlib import nullcontext

    from karmadactl.members.fanout import Fleet

    chosen = [c for c in clusters if wanted.get(c.name)]
    if not chosen:
        return MemberSlices()

    def read(cluster: Cluster, client) -> dict[str, list[dict]]:
        plural = cluster.resource_for(SLICE_API_VERSION, "EndpointSlice") or "endpointslices"
        return {ns: client.list(SLICE_API_VERSION, plural, ns) for ns in sorted(wanted[cluster.name])}

    with Fleet(store) if fleet is None else nullcontext(fleet) as members:
        results = members.each(chosen, read, at_once=MEMBERS_AT_ONCE)
    return MemberSlices(results.values, results.errors)


# -- the controller ---------------------------------------------------------------------------

@dataclass
class ServiceState:
    """What the mcs controllers read from the store."""

    works: list[Work]
    clusters: list[Cluster]
    imports: list[dict]
    services: list[dict]
    slices: list[dict]                 # EndpointSlice templates
    mcs: list[dict]

    @property
    def idle(self) -> bool:
        """Nothing to do: no export, import or MultiClusterService, and nothing of theirs left."""
        return not (self.imports or self.mcs or any(s for s in self.slices if is_karmada_slice(s))
                    or any(w.metadata.label(EPS_WORK_MANAGED_BY) or w.metadata.label(MCS_NAME) for w in self.works)
                    or any(w.manifest.get("kind") == "ServiceExport" for w in self.works
                           if w.spec.workload.manifests)
                    or any(DERIVED_FROM in (s["metadata"].get("annotations") or {}) for s in self.services))


def load_state(tx) -> ServiceState:
    return ServiceState(works=[load_work(w) for w in tx.list(kinds.WORK)],
                        clusters=[Cluster.from_dict(c) for c in tx.list(CLUSTER_GK)],
                        imports=tx.list(IMPORT_GK), services=tx.list(SERVICE_GK), slices=tx.list(SLICE_GK),
                        mcs=tx.list(MCS_GK))


def _anything_to_do(tx) -> bool:
    """A cheap first look: a kind of multi-cluster services stored, or a Work of theirs left to clean."""
    stored = set(tx.group_kinds())
    if stored & {EXPORT_GK, IMPORT_GK, MCS_GK, SLICE_GK}:
        return True
    if tx.list(SERVICE_GK, containing=[json.dumps(DERIVED_FROM)],
               selector=lambda s: DERIVED_FROM in ((s.get("metadata") or {}).get("annotations") or {})):
        return True
    labels = [json.dumps(key) for key in (EPS_SERVICE_NAME, EPS_WORK_MANAGED_BY, MCS_NAME)]   # is_service_work's
    return bool(tx.list(kinds.WORK, containing=labels,
                        selector=lambda w: is_service_work((w.get("metadata") or {}).get("labels"))))


def namespaces_to_read(state: ServiceState) -> dict[str, set[str]]:
    """cluster -> namespaces whose EndpointSlices this pass needs: those of exported services."""
    wanted: dict[str, set[str]] = {}
    for cluster, services in exported_services(state.works).items():
        wanted.setdefault(cluster, set()).update(ns for ns, _ in services)
    return wanted


def sync_services(store, now: str, fleet=None, only_clusters: set[str] | None = None) -> bool:
    """Collect the exported services' EndpointSlices, keep the imported slices and derived Services
    in step, and run the MultiClusterServices; True when templates or pushable Works changed (the
    caller then plans and pushes again). `only_clusters`: the members read (the others keep what was
    collected from them)."""
    from karmadactl.controllers import multiclusterservice
    from karmadactl.store.objects import retrying

    with store.read() as tx:
        if not _anything_to_do(tx):
            return False
        state = load_state(tx)
    if state.idle:
        return False
    wanted = namespaces_to_read(state)
    for cluster, namespaces in multiclusterservice.namespaces_to_read(state).items():
        wanted.setdefault(cluster, set()).update(namespaces)
    if only_clusters is not None:
        wanted = {c: namespaces for c, namespaces in wanted.items() if c in only_clusters}
    read = read_slices(store, state.clusters, wanted, fleet)
    return retrying(store, lambda tx: _write(tx, read, now))


def _write(tx, read: MemberSlices, now: str) -> bool:
    from karmadactl.controllers import multiclusterservice

    tx.serialize("reconcile")      # the same order as the status pass: no lost race, no deadlock
    tx.serialize("templates")
    state = load_state(tx)
    works = {(w.metadata.namespace or "", w.metadata.name): w for w in state.works}
    changes = WorkChanges(tx, works)
    collect_for_exports(state, read, changes)
    changed = multiclusterservice.run(tx, state, read, changes, now)
    changed |= changes.flush()
    collected = [w for w in changes.current() if is_collected(w)]
    changed |= sync_templates(tx, state, collected, now)
    return changed


class WorkChanges:
    """The collected Works as this pass leaves them: written once each at the end (flush)."""

    def __init__(self, tx, works: dict[tuple[str, str], Work]):
        self.tx = tx
        self.stored = works
        self.bodies: dict[tuple[str, str], dict | None] = {}     # key -> new body (None: delete)

    def get(self, namespace: str, name: str) -> dict | None:
        key = (namespace, name)
        if key in self.bodies:
            return self.bodies[key]
        work = self.stored.get(key)
        return None if work is None else work.to_dict()

    def put(self, body: dict) -> None:
        self.bodies[(body["metadata"]["namespace"], body["metadata"]["name"])] = body

    def drop(self, namespace: str, name: str) -> None:
        self.bodies[(namespace, name)] = None

    def current(self) -> list[Work]:
        out = {k: w for k, w in self.stored.items()}
        for key, body in self.bodies.items():
            if body is None:
                out.pop(key, None)
            else:
                out[key] = load_work(body)
        return [out[k] for k in sorted(out)]

    def flush(self) -> bool:
        """Write what changed; True when a Work that is pushed (not suspended) changed."""
        pushed = False
        for (namespace, name), body in sorted(self.bodies.items()):
            stored = self.stored.get((namespace, name))
            key = ObjectKey(kinds.WORK, namespace, name)
            if body is None:
                if stored is not None:
                    self.tx.delete(key)
                continue
            if stored is None:
                self.tx.create(body)
            elif _content(body) != _content(stored.to_dict()):
                body["metadata"]["resourceVersion"] = stored.metadata.resource_version
                self.tx.update(body)
            else:
                continue
            pushed |= not (body.get("spec") or {}).get("suspendDispatching")
        return pushed


def collect_for_exports(state: ServiceState, read: MemberSlices, changes: WorkChanges) -> None:
    """service-export-controller: report the exported services' slices, clean what is no longer there."""
    exported = exported_services(state.works)
    for work in state.works:
        if not is_collected(work) or BY_SERVICE_EXPORT not in owners(work.metadata.labels):
            continue
        exported_as = (work.metadata.label(EPS_SERVICE_NAMESPACE) or "", work.metadata.label(EPS_SERVICE_NAME) or "")
        listed = read.of(work.cluster, exported_as[0])
        if exported_as in exported.get(work.cluster, set()):
            if listed is None:
                continue                      # the member did not answer: its slices stay as they were
            present = {slice_work_name(exported_as[0], s["metadata"]["name"])
                       for s in slices_of(listed, exported_as[1])}
            if work.metadata.name in present:
                continue
        _clean(changes, work, BY_SERVICE_EXPORT)
    for cluster, services in sorted(exported.items()):
        for namespace, service in sorted(services):
            listed = read.of(cluster, namespace)
            for slice_ in slices_of(listed or [], service):
                name = slice_work_name(namespace, slice_["metadata"]["name"])
                existing = changes.get(execution_namespace(cluster), name)
                changes.put(collected_work(cluster, slice_, BY_SERVICE_EXPORT, existing, service))


def _clean(changes: WorkChanges, work: Work, owner: str) -> None:
    body = changes.get(work.metadata.namespace or "", work.metadata.name)
    if body is None:
        return
    kept = cleaned(body, owner)
    if kept is None:
        changes.drop(work.metadata.namespace or "", work.metadata.name)
    else:
        changes.put(kept)


def sync_templates(tx, state: ServiceState, collected: list[Work], now: str) -> bool:
    """The imported EndpointSlices and derived Services, created, updated or deleted as their Works and
    ServiceImports say; True when any changed."""
    desired: dict[ObjectKey, dict] = {}
    for work in collected:
        obj = imported_slice(work)
        if obj is not None:
            desired[ObjectKey(SLICE_GK, obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
    derived_from: dict[ObjectKey, dict] = {}
    for service_import in state.imports:
        obj = derived_service(service_import)
        if obj is not None:
            key = ObjectKey(SERVICE_GK, obj["metadata"]["namespace"], obj["metadata"]["name"])
            desired[key], derived_from[key] = obj, service_import
    ours = {ObjectKey(SLICE_GK, s["metadata"].get("namespace", ""), s["metadata"]["name"]): s
            for s in state.slices if (s["metadata"].get("labels") or {}).get(SLICE_MANAGED_BY)
            == KARMADA_SLICE_CONTROLLER}
    services = {ObjectKey(SERVICE_GK, s["metadata"].get("namespace", ""), s["metadata"]["name"]): s
                for s in state.services}
    ours.update({k: s for k, s in services.items() if DERIVED_FROM in (s["metadata"].get("annotations") or {})})
    changed = False
    for key in sorted(desired):
        obj, existing = desired[key], ours.get(key) or services.get(key)
        if existing is not None and key.gk == SERVICE_GK:
            obj = _keep_cluster_ip(obj, existing)
        if existing is None:
            tx.create(obj)
        elif _comparable(obj) != _comparable(existing):
            obj["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
            tx.update(_with_server_fields(obj, existing))
        else:
            continue
        changed = True
        if key in derived_from:
            meta = derived_from[key]["metadata"]
            tx.add_event(kind="ServiceImport", namespace=meta.get("namespace", ""), name=meta["name"],
                         reason="SyncDerivedServiceSucceed",
                         message=f"Sync derived service for serviceImport({meta['name']}) succeed.")
    for key in sorted(set(ours) - set(desired)):
        tx.delete(key)
        changed = True
    return changed


def _keep_cluster_ip(obj: dict, existing: dict) -> dict:
    """Updates replace the derived Service except its clusterIP."""
    spec = existing.get("spec") or {}
    for key in ("clusterIP", "clusterIPs"):
        if key in spec:
            obj["spec"][key] = spec[key]
    return obj


def _comparable(obj: dict) -> dict:
    meta = obj.get("metadata") or {}
    return {"metadata": {k: meta.get(k) or None for k in ("labels", "annotations")},
            **{k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind", "status")}}


def exporting_clusters(works: Iterable[Work], namespace: str, name: str) -> list[str]:
    """The clusters a service is exported from (its ServiceExport applied there), sorted."""
    return sorted(c for c, services in exported_services(works).items() if (namespace, name) in services)



# -- what get and describe show ---------------------------------------------------------------

@dataclass
class ExportedSlice:
    """One member EndpointSlice collected for a service: where it comes from and what it holds."""

    cluster: str
    name: str
    addresses: list[str]
    ports: list[str]          # "name:port/protocol"


def exported_slices(works: Iterable[Work], namespace: str, service: str, by_mcs: bool = False) -> list[ExportedSlice]:
    """The collected slices of one service (by ServiceExport, or by a MultiClusterService), by cluster."""
    name_label, namespace_label = (MCS_NAME, MCS_NAMESPACE) if by_mcs else (EPS_SERVICE_NAME, EPS_SERVICE_NAMESPACE)
    out = []
    for work in sorted(works, key=lambda w: (w.cluster, w.metadata.name)):
        if not is_collected(work) or work.metadata.label(name_label) != service \
                or work.metadata.label(namespace_label) != namespace:
            continue
        manifest = work.manifest
        addresses = [a for e in manifest.get("endpoints") or [] for a in e.get("addresses") or []]
        ports = [f"{p.get('name') or '<unset>'}:{p.get('port', '')}/{p.get('protocol', 'TCP')}"
                 for p in manifest.get("ports") or []]
        out.append(ExportedSlice(work.cluster, (manifest.get("metadata") or {}).get("name", ""), addresses, ports))
    return out


def service_clusters(tx, kind: str) -> dict[tuple[str, str], list[str]]:
    """(namespace, name) -> clusters: where each service is exported from (ServiceExport), or where each
    ServiceImport is applied (imported)."""
    works = [load_work(w) for w in tx.list(kinds.WORK)]
    if kind == "ServiceExport":
        out: dict[tuple[str, str], list[str]] = {}
        for cluster, services in exported_services(works).items():
            for service in services:
                out.setdefault(service, []).append(cluster)
        return {k: sorted(v) for k, v in out.items()}
    imported: dict[tuple[str, str], list[str]] = {}
    for work in works:
        if work.deleting or not work.spec.workload.manifests or not _is_applied(work):
            continue
        manifest = work.manifest
        if manifest.get("kind") == kind and manifest.get("apiVersion", "").rpartition("/")[0] == MCS_GROUP:
            meta = manifest.get("metadata") or {}
            imported.setdefault((meta.get("namespace") or "default", meta.get("name", "")), []).append(work.cluster)
    return {k: sorted(v) for k, v in imported.items()}
