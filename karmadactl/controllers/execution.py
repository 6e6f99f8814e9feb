"""Works -> member clusters: Karmada's execution controller, pushing with server-side apply.

One pass takes the Works the plan wants and the Works stored from earlier
pushes, and for every member cluster in parallel (a bounded number of
workers per member and overall, each client paced by its token bucket):
creates the namespaces that pushed objects need, applies every Work whose
manifest changed since its last successful push (or, with `live_check`,
whose member object drifted from it), and removes the member objects of Works
nobody wants any more. A member that fails never blocks the others. The
Works, with their Applied condition and the member object's reflected status
and health, are then stored in one transaction; a Work is only marked pushed
once the member accepted it, so a pass cut short is repaired by the next.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from karmadactl.apis import kinds
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.controllers.binding import CONFLICT_ANNOTATION, MANAGED_LABEL, OVERRIDE_ERROR
from karmadactl.errors import ExitCode, KarmadaError

log = logging.getLogger(__name__)

WORK_GK = kinds.WORK
FIELD_MANAGER = "karmadactl"
PUSHED_HASH = "karmadactl.io/pushed-hash"
CLUSTERS_AT_ONCE = 8        # members pushed in parallel
WORKERS_PER_MEMBER = 4      # requests in flight to one member
CLUSTER_LEVEL_FIRST = ("Namespace", "CustomResourceDefinition")   # pushed one by one before the rest
FIRST = ("Namespace", "CustomResourceDefinition", "ServiceAccount", "ConfigMap", "Secret",
         "PersistentVolumeClaim", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Service")
# what Karmada puts on member objects and strips when resources are preserved on deletion (§7.4)
KARMADA_LABELS = (MANAGED_LABEL, "resourcebinding.karmada.io/permanent-id",
                  "clusterresourcebinding.karmada.io/permanent-id", "work.karmada.io/permanent-id",
                  "propagationpolicy.karmada.io/permanent-id", "clusterpropagationpolicy.karmada.io/permanent-id")
KARMADA_ANNOTATION_PREFIXES = ("resourcetemplate.karmada.io/", "resourcebinding.karmada.io/",
                               "clusterresourcebinding.karmada.io/", "work.karmada.io/",
                               "propagationpolicy.karmada.io/", "clusterpropagationpolicy.karmada.io/",
                               "policy.karmada.io/")


@dataclass
class Outcome:
    """What happened to one Work on its member."""

    cluster: str
    work: dict
    action: str           # created | updated | unchanged | deleted | preserved | conflict | failed | suspended
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.action not in ("conflict", "failed")

    @property
    def reference(self) -> str:
        manifest = manifest_of(self.work)
        info = kinds.of(manifest)
        ns = manifest["metadata"].get("namespace")
        return f"{info.resource}/{ns + '/' if ns else ''}{manifest['metadata']['name']}"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)      # cluster -> why
    writes: int = 0                                               # write requests sent to members

    @property
    def failed_clusters(self) -> set[str]:
        return set(self.unreachable) | {o.cluster for o in self.outcomes if not o.ok}

    @property
    def touched_clusters(self) -> set[str]:
        return {o.cluster for o in self.outcomes} | set(self.unreachable)

    @property
    def exit_code(self) -> ExitCode:
        failed = self.failed_clusters
        if not failed:
            return ExitCode.OK
        return ExitCode.PARTIAL if self.touched_clusters - failed else ExitCode.ERROR


def manifest_of(work: dict) -> dict:
    return work["spec"]["workload"]["manifests"][0]


def manifest_hash(work: dict) -> str:
    return hashlib.sha256(json.dumps(manifest_of(work), sort_keys=True).encode()).hexdigest()[:32]


def cluster_of(work: dict) -> str:
    return work["metadata"]["namespace"].removeprefix("karmada-es-")


def _key(work: dict) -> tuple[str, str]:
    return work["metadata"]["namespace"], work["metadata"]["name"]


def is_managed(obj: dict | None) -> bool:
    return bool(obj) and ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_LABEL) == "true"


def drifted(desired, live) -> bool:
    """True when the member object lacks or changed something the manifest sets."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return True
        return any(drifted(v, live.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return True
        return any(drifted(d, item) for d, item in zip(desired, live))
    return desired != live


# -- the pass ---------------------------------------------------------------------------------

def binding_of(work: dict) -> tuple[str, str, str] | None:
    """(group_kind, namespace, name) of the binding a Work belongs to, from its annotations."""
    annotations = work["metadata"].get("annotations") or {}
    if "clusterresourcebinding.karmada.io/name" in annotations:
        return ("ClusterResourceBinding.work.karmada.io", "", annotations["clusterresourcebinding.karmada.io/name"])
    if "resourcebinding.karmada.io/name" in annotations:
        return ("ResourceBinding.work.karmada.io", annotations.get("resourcebinding.karmada.io/namespace", ""),
                annotations["resourcebinding.karmada.io/name"])
    return None


def execute(store, desired: list[dict], *, keep_bindings: set[tuple[str, str, str]] = frozenset(),
            keep_works: set[tuple[str, str]] = frozenset(), now: str,
            live_check: bool = False, only_clusters: set[str] | None = None,
            progress: Callable[[int, int], None] | None = None) -> Report:
    """Push the desired Works, remove the unwanted ones, store the result.

    keep_bindings: bindings whose stored Works stay as they are although no
    longer desired (the binding lost its policy: Karmada never touches member
    objects then). keep_works: stored Works (namespace, name) to leave in place, such as
    the old copy of a graceful eviction.
    """
    from karmadactl.controllers.clusters import client_for

    with store.read() as tx:
        stored = {_key(w): w for w in tx.list(WORK_GK)}
        clusters = {c["metadata"]["name"]: Cluster.from_dict(c) for c in tx.list(CLUSTER_GK)}
        customizations = load_customizations(tx)
    wanted = {_key(w): w for w in desired}
    jobs: dict[str, tuple[list[dict], list[dict]]] = {}
    for key, work in wanted.items():
        previous = stored.get(key)
        fresh = (previous is None or live_check or _needs_push(work, previous))
        if fresh:
            jobs.setdefault(cluster_of(work), ([], []))[0].append(work)
    for key, work in stored.items():
        if key not in wanted and key not in keep_works and binding_of(work) not in keep_bindings:
            jobs.setdefault(cluster_of(work), ([], []))[1].append(work)
    if only_clusters is not None:
        jobs = {c: j for c, j in jobs.items() if c in only_clusters}

    report = Report()
    total = sum(len(a) + len(b) for a, b in jobs.values())
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    def run_cluster(name: str) -> tuple[list[Outcome], str | None, int]:
        pushes, removals = jobs[name]
        cluster = clusters.get(name)
        if cluster is None:       # the cluster left: nothing to reach, forget its Works
            return [Outcome(name, w, "deleted", "cluster no longer joined") for w in removals] + \
                   [Outcome(name, w, "failed", f"cluster {name} is not joined") for w in pushes], None, 0
        try:
            client = client_for(store, cluster)
        except KarmadaError as e:
            return [], str(e), 0
        try:
            return _push_cluster(client, cluster, pushes, removals, live_check, tick, customizations), None, \
                sum(v for k, v in client.requests.items() if k != "GET")
        except KarmadaError as e:   # the member stopped answering: the rest waits for the next pass
            return [], str(e), sum(v for k, v in client.requests.items() if k != "GET")
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=max(1, min(CLUSTERS_AT_ONCE, len(jobs)))) as pool:
        for name, (outcomes, failure, writes) in zip(jobs, pool.map(run_cluster, list(jobs))):
            report.outcomes.extend(outcomes)
            report.writes += writes
            if failure:
                report.unreachable[name] = failure
    _record(store, report, wanted, stored, now)
    return report


def _needs_push(work: dict, previous: dict) -> bool:
    if (work["metadata"].get("annotations") or {}).get(OVERRIDE_ERROR):
        return True      # reported on every pass until the override is fixed
    pushed = (previous["metadata"].get("annotations") or {}).get(PUSHED_HASH)
    return pushed != manifest_hash(work)


def _push_cluster(client, cluster: Cluster, pushes: list[dict], removals: list[dict], live_check: bool,
                  tick: Callable[[], None], customizations=()) -> list[Outcome]:
    """Everything for one member: namespaces first, then objects in dependency order, then removals."""
    outcomes: list[Outcome] = []
    ordered = sorted(pushes, key=lambda w: _order(manifest_of(w)))
    first = [w for w in ordered if manifest_of(w)["kind"] in CLUSTER_LEVEL_FIRST]
    rest = [w for w in ordered if manifest_of(w)["kind"] not in CLUSTER_LEVEL_FIRST]
    namespaces = {manifest_of(w)["metadata"].get("namespace") for w in rest} - {None, "", "default"}
    namespaces -= {manifest_of(w)["metadata"]["name"] for w in first if manifest_of(w)["kind"] == "Namespace"}
    for ns in sorted(namespaces):
        _ensure_namespace(client, ns)
    live = LiveObjects(client, cluster)
    for work in first:
        outcomes.append(_push(client, cluster, work, live_check, live, customizations))
        tick()
    live.prefetch([manifest_of(w) for w in rest])
    with ThreadPoolExecutor(max_workers=WORKERS_PER_MEMBER) as pool:
        for outcome in pool.map(lambda w: _push(client, cluster, w, live_check, live, customizations), rest):
            outcomes.append(outcome)
            tick()
    for work in removals:
        outcomes.append(_remove(client, cluster, work))
        tick()
    return outcomes


class LiveObjects:
    """The member's current objects, read with one LIST per kind and namespace when many are pushed
    there (a GET each otherwise): the conflict check costs no request per object."""

    LIST_FROM = 4     # objects of one kind and namespace from which one LIST beats the GETs

    def __init__(self, client, cluster: Cluster):
        self.client, self.cluster = client, cluster
        self.listed: dict[tuple[str, str, str], dict[str, dict]] = {}

    def prefetch(self, manifests: list[dict]) -> None:
        counts: dict[tuple[str, str, str], int] = {}
        for m in manifests:
            key = (m["apiVersion"], plural_for(self.cluster, m), m["metadata"].get("namespace", ""))
            counts[key] = counts.get(key, 0) + 1
        for (api_version, plural, ns), count in counts.items():
            if count >= self.LIST_FROM:
                kind = next(m["kind"] for m in manifests if m["apiVersion"] == api_version
                            and plural_for(self.cluster, m) == plural)
                items = self.client.list(api_version, plural, ns or None)
                self.listed[(api_version, plural, ns)] = {
                    i["metadata"]["name"]: {"apiVersion": api_version, "kind": kind, **i} for i in items}

    def get(self, manifest: dict, plural: str) -> dict | None:
        meta = manifest["metadata"]
        index = self.listed.get((manifest["apiVersion"], plural, meta.get("namespace", "")))
        if index is not None:
            return index.get(meta["name"])
        return self.client.get(manifest["apiVersion"], plural, meta["name"], meta.get("namespace"))


def _order(manifest: dict) -> tuple[int, str, str]:
    kind = manifest.get("kind", "")
    rank = FIRST.index(kind) if kind in FIRST else len(FIRST)
    meta = manifest.get("metadata") or {}
    return rank, meta.get("namespace", ""), meta.get("name", "")


def _ensure_namespace(client, namespace: str) -> None:
    """Create a namespace that pushed objects need (never deleted by karmadactl)."""
    if client.get("v1", "namespaces", namespace) is None:
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
                     "namespaces", field_manager=FIELD_MANAGER)


def plural_for(cluster: Cluster, manifest: dict) -> str:
    return (cluster.resource_for(manifest["apiVersion"], manifest["kind"])
            or kinds.of(manifest).plural)


def _push(client, cluster: Cluster, work: dict, live_check: bool, objects: "LiveObjects",
          customizations=()) -> Outcome:
    manifest = manifest_of(work)
    if work["spec"].get("suspendDispatching"):
        return Outcome(cluster.name, work, "suspended", "dispatching is suspended")
    override_error = (work["metadata"].get("annotations") or {}).get(OVERRIDE_ERROR)
    if override_error:      # the member keeps its last good copy
        return Outcome(cluster.name, work, "failed", f"overrides: {override_error}")
    meta = manifest["metadata"]
    plural = plural_for(cluster, manifest)
    try:
        live = objects.get(manifest, plural)
        if live is not None and not is_managed(live) and \
                (meta.get("annotations") or {}).get(CONFLICT_ANNOTATION) != "overwrite":
            ns = meta.get("namespace")
            return Outcome(cluster.name, work, "conflict",
                           f"resource(kind={manifest['kind']}, {ns + '/' if ns else ''}{meta['name']}) already "
                           f"exists in the cluster {cluster.name} and the {CONFLICT_ANNOTATION} strategy value "
                           "is empty, Karmada will not manage this resource")
        if live is not None and live_check and not drifted(_comparable(manifest), live):
            _attach(work, live, plural, customizations)
            return Outcome(cluster.name, work, "unchanged")
        result = client.apply(_retained(manifest, live, customizations), plural, field_manager=FIELD_MANAGER,
                              force=True)
    except KarmadaError as e:       # the member refused it, or a customization's script failed
        return Outcome(cluster.name, work, "failed", str(e))
    _attach(work, result, plural, customizations)
    if live is None:
        action = "created"
    elif (result.get("metadata") or {}).get("resourceVersion") == live["metadata"].get("resourceVersion"):
        action = "unchanged"
    else:
        action = "updated"
    return Outcome(cluster.name, work, action)


def _retained(manifest: dict, live: dict | None, customizations=()) -> dict:
    """Karmada's Retain for what server-side apply does not keep by itself (an HPA-owned replica count
    with resourcetemplate.karmada.io/retain-replicas, a Job's generated selector, ...).

    Metadata stays the manifest's: with server-side apply, labels and annotations
    other writers set are kept without karmadactl claiming them.
    """
    if live is None:
        return manifest
    from karmadactl.interpreter import resolve

    retained = resolve.retain(manifest, live, customizations)
    retained["metadata"] = manifest["metadata"]
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        retained["metadata"].pop(key, None)
    return retained


def _comparable(manifest: dict) -> dict:
    """The manifest without what the server may legitimately rewrite."""
    return {k: v for k, v in manifest.items() if k != "status"}


def load_customizations(tx) -> list:
    """The stored ResourceInterpreterCustomizations, parsed (Lua is only loaded when one runs)."""
    from karmadactl.interpreter.customization import GROUP_KIND, parse_all

    return parse_all(tx.list(GROUP_KIND))


def _attach(work: dict, member_object: dict, plural: str, customizations=()) -> None:
    """Record the member object's reflected status and health on the Work."""
    from karmadactl.interpreter import resolve

    manifest = manifest_of(work)
    api_version = manifest["apiVersion"]
    group, _, version = api_version.rpartition("/")
    entry = {"identifier": {"ordinal": 0, "group": group, "version": version, "kind": manifest["kind"],
                            "resource": plural, "namespace": manifest["metadata"].get("namespace", ""),
                            "name": manifest["metadata"]["name"]},
             "health": _health(member_object, customizations)}
    try:
        status = resolve.reflect_status(member_object, customizations)
    except KarmadaError:
        status = None
    if status is not None:
        entry["status"] = status
    work.setdefault("status", {})["manifestStatuses"] = [entry]


def _health(member_object: dict, customizations) -> str:
    from karmadactl.interpreter import resolve

    try:
        return resolve.interpret_health(member_object, customizations)
    except KarmadaError:       # a failing health script says nothing good
        return "Unknown"


def _remove(client, cluster: Cluster, work: dict) -> Outcome:
    """Delete the member object of an unwanted Work, or strip Karmada's marks when it is preserved."""
    from karmadactl.members.client import MemberAPIError

    manifest = manifest_of(work)
    meta = manifest["metadata"]
    plural = plural_for(cluster, manifest)
    try:
        live = client.get(manifest["apiVersion"], plural, meta["name"], meta.get("namespace"))
        if live is None or not is_managed(live):
            return Outcome(cluster.name, work, "deleted", "" if live is None else "left: not managed by karmadactl")
        if work["spec"].get("preserveResourcesOnDeletion"):
            client.merge_patch(manifest["apiVersion"], plural, meta["name"], meta.get("namespace"),
                               {"metadata": _strip_patch(live)})
            return Outcome(cluster.name, work, "preserved")
        client.delete(manifest["apiVersion"], plural, meta["name"], meta.get("namespace"))
    except MemberAPIError as e:
        return Outcome(cluster.name, work, "failed", f"delete: {e}")
    return Outcome(cluster.name, work, "deleted")


def _strip_patch(live: dict) -> dict:
    meta = live.get("metadata") or {}
    labels = {k: None for k in meta.get("labels") or {} if k in KARMADA_LABELS}
    annotations = {k: None for k in meta.get("annotations") or {}
                   if k.startswith(KARMADA_ANNOTATION_PREFIXES)}
    return {"labels": labels, "annotations": annotations}


EVENT_REASONS = {"created": "Created", "updated": "Updated", "deleted": "Deleted", "preserved": "Preserved",
                 "conflict": "Conflict", "failed": "ApplyFailed", "suspended": "Suspended"}


# -- storing the outcome ----------------------------------------------------------------------

def _applied_condition(outcome: Outcome) -> dict:
    if outcome.ok and outcome.action != "suspended":
        return {"type": "Applied", "status": "True", "reason": "AppliedSuccessful",
                "message": "Manifest has been successfully applied"}
    if outcome.action == "suspended":
        return {"type": "Dispatching", "status": "False", "reason": "SuspendDispatching",
                "message": "Work dispatching is in a suspended state."}
    return {"type": "Applied", "status": "False", "reason": "AppliedFailed",
            "message": f"Failed to apply all manifests (0/1): {outcome.message}"}


def _record(store, report: Report, wanted: dict, stored: dict, now: str) -> None:
    """One transaction: desired Works with their status, removed Works gone, events."""
    outcomes = {(o.cluster, _key(o.work)): o for o in report.outcomes}
    created: list[dict] = []
    with store.write() as tx:
        for key, work in wanted.items():
            cluster = cluster_of(work)
            if cluster in report.unreachable and key in stored:
                continue          # nothing known about it this time: keep the last record
            outcome = outcomes.get((cluster, key))
            previous = stored.get(key)
            body = json.loads(json.dumps(work))
            annotations = body["metadata"].setdefault("annotations", {})
            prev_annotations = (previous or {}).get("metadata", {}).get("annotations") or {}
            status = dict((previous or {}).get("status") or {})
            if outcome is not None:
                if outcome.ok and outcome.action != "suspended":
                    annotations[PUSHED_HASH] = manifest_hash(work)
                elif PUSHED_HASH in prev_annotations:
                    annotations[PUSHED_HASH] = prev_annotations[PUSHED_HASH]
                if "manifestStatuses" in (work.get("status") or {}):
                    status["manifestStatuses"] = work["status"]["manifestStatuses"]
                condition = _applied_condition(outcome)
                if now:
                    condition["lastTransitionTime"] = now
                others = [c for c in status.get("conditions") or []
                          if c["type"] not in ("Applied", "Dispatching")]
                status["conditions"] = sorted([*others, condition], key=lambda c: c["type"])
            elif cluster in report.unreachable:
                status["conditions"] = [{"type": "Applied", "status": "False", "reason": "AppliedFailed",
                                         "message": report.unreachable[cluster],
                                         **({"lastTransitionTime": now} if now else {})}]
            elif PUSHED_HASH in prev_annotations:
                annotations[PUSHED_HASH] = prev_annotations[PUSHED_HASH]
            if status:
                body["status"] = status
            if previous is None:
                created.append(body)
            else:
                body["metadata"]["resourceVersion"] = previous["metadata"]["resourceVersion"]
                for server_field in ("uid", "creationTimestamp", "generation"):
                    if server_field in previous["metadata"]:
                        body["metadata"][server_field] = previous["metadata"][server_field]
                if body != previous:
                    tx.update(body)
        tx.create_many(created)
        events = []
        for o in report.outcomes:
            key = _key(o.work)
            if key not in wanted and o.action in ("deleted", "preserved") and tx.get(WORK_GK, key[1], key[0]):
                tx.delete(WORK_GK, key[1], key[0])
            if o.action != "unchanged":
                manifest = manifest_of(o.work)
                events.append({"kind": manifest["kind"], "name": manifest["metadata"]["name"],
                               "namespace": manifest["metadata"].get("namespace", ""),
                               "type": "Normal" if o.ok else "Warning", "reason": EVENT_REASONS.get(o.action, o.action),
                               "message": f"{o.cluster}: {o.action}{': ' + o.message if o.message else ''}"})
        tx.add_events(events)
        for cluster, why in report.unreachable.items():
            tx.add_event(kind="Cluster", name=cluster, type="Warning", reason="PushFailed", message=why)
