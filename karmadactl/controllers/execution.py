"""Works -> member clusters: Karmada's execution controller, pushing with server-side apply.

A pass first stores the Works the plan wants (store_desired, in the reconcile
transaction): new and changed ones, each keeping its `pushed-hash` annotation
(the manifest its member last received), and the Works nobody wants marked for
deletion. Then `execute`, for every member cluster in parallel (a bounded
number of workers per member and overall, each client paced by its token
bucket), under that member's lock: creates the namespaces that pushed objects
need, applies every Work whose manifest differs from its pushed-hash (or, with
`live_check`, whose member object drifted from it), removes the member objects
of the Works being deleted, and records each result as it comes (Applied
condition, pushed-hash, the member object's reflected status and health). A
member that fails never blocks the others. A pass cut short anywhere, by an
error, SIGINT or kill -9, leaves the store saying what is desired and what
each member holds; the next pass pushes the difference.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from karmadactl.apis import kinds
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.apis.karmada import ManifestStatus, ResourceIdentifier, Work, WorkStatus, load_work
from karmadactl.apis.wellknown import (
    CONFLICT_RESOLUTION,
    CPP_PERMANENT_ID,
    CRB_NAME,
    CRB_PERMANENT_ID,
    FIELD_MANAGER,
    MANAGED_LABEL,
    OVERRIDE_ERROR,
    PP_PERMANENT_ID,
    PUSHED_HASH,
    RB_NAME,
    RB_NAMESPACE,
    RB_PERMANENT_ID,
    WORK_PERMANENT_ID,
    execution_namespace,
    is_service_work,
)
from karmadactl.controllers.binding import with_condition
from karmadactl.errors import ExitCode, KarmadaError, StoreError
from karmadactl.members.fanout import Fleet, fan_out, reaches
from karmadactl.store.keys import ObjectKey

if TYPE_CHECKING:
    from karmadactl.controllers.changes import WorkCache

log = logging.getLogger(__name__)

WORK_GK = kinds.WORK
CLUSTERS_AT_ONCE = 8        # members pushed in parallel
WORKERS_PER_MEMBER = 4      # requests in flight to one member
CLUSTER_LEVEL_FIRST = ("Namespace", "CustomResourceDefinition")   # pushed one by one before the rest
FIRST = ("Namespace", "CustomResourceDefinition", "ServiceAccount", "ConfigMap", "Secret",
         "PersistentVolumeClaim", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Service")
# what Karmada puts on member objects and strips when resources are preserved on deletion (§7.4)
KARMADA_LABELS = (MANAGED_LABEL, RB_PERMANENT_ID, CRB_PERMANENT_ID, WORK_PERMANENT_ID,
                  PP_PERMANENT_ID, CPP_PERMANENT_ID)
KARMADA_ANNOTATION_PREFIXES = ("resourcetemplate.karmada.io/", "resourcebinding.karmada.io/",
                               "clusterresourcebinding.karmada.io/", "work.karmada.io/",
                               "propagationpolicy.karmada.io/", "clusterpropagationpolicy.karmada.io/",
                               "policy.karmada.io/")


@dataclass
class Outcome:
    """What happened to one Work on its member."""

    cluster: str
    work: Work
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

    def extend(self, later: Report) -> None:
        """Add a later push of the same pass (the multi-cluster services' objects, controllers/mcs.py)."""
        self.outcomes.extend(later.outcomes)
        self.unreachable.update(later.unreachable)
        self.writes += later.writes

    @property
    def exit_code(self) -> ExitCode:
        failed = self.failed_clusters
        if not failed:
            return ExitCode.OK
        return ExitCode.PARTIAL if self.touched_clusters - failed else ExitCode.ERROR


def manifest_of(work: Work) -> dict:
    return work.manifest


def manifest_hash(work: Work) -> str:
    """The pushed-hash of a Work's manifest (worked out once for the Work and the copies made of it)."""
    return work.spec.workload.digest_of(work.manifest, _digest)


def _digest(manifest: dict) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:32]


def cluster_of(work: Work) -> str:
    return work.cluster


def _key(work: Work) -> ObjectKey:
    return ObjectKey(WORK_GK, work.metadata.namespace or "", work.metadata.name)


def load_works(tx, namespace: str | None = None) -> list[Work]:
    """The stored Works (of one execution namespace), typed."""
    return [load_work(w) for w in tx.list(WORK_GK, namespace=namespace)]


def get_work(tx, key: ObjectKey) -> Work | None:
    found = tx.get(key)
    return None if found is None else load_work(found)


def is_managed(obj: dict | None) -> bool:
    if not obj:
        return False
    return ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_LABEL) == "true"


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

def binding_of(work: Work) -> ObjectKey | None:
    """The key of the binding a Work belongs to, from its annotations."""
    annotations = work.metadata.annotations or {}
    if CRB_NAME in annotations:
        return ObjectKey(kinds.BINDINGS[1], "", annotations[CRB_NAME])
    if RB_NAME in annotations:
        return ObjectKey(kinds.BINDINGS[0], annotations.get(RB_NAMESPACE, ""), annotations[RB_NAME])
    return None


def is_deleting(work: Work) -> bool:
    """A Work nobody wants any more whose member object is still to be removed (as Kubernetes marks an
    object waiting for its finalizer); it leaves the store once the member no longer holds its object."""
    return work.deleting


def is_pushed(work: Work) -> bool:
    """True when the member last received exactly this Work's manifest."""
    pushed = work.metadata.annotation(PUSHED_HASH)
    return pushed is not None and pushed == manifest_hash(work)


PENDING_REASON = "Pending"


def _pending_condition(now: str) -> dict:
    return {"type": "Applied", "status": "Unknown", "reason": PENDING_REASON,
            "message": "Manifest not pushed yet: the member holds an earlier copy or none",
            **({"lastTransitionTime": now} if now else {})}


def _with_condition(status: WorkStatus, condition: dict) -> None:
    """Set one condition; Applied and Dispatching replace each other."""
    status.conditions = with_condition(status.conditions, condition, replaces=("Applied", "Dispatching"))


def _desired_body(work: Work, current: Work | None, now: str) -> Work:
    """The Work to store before pushing: the plan's content over what the store knows of the member
    (pushed-hash, status, server fields); an Applied condition that no longer holds says Pending."""
    meta = replace(work.metadata)
    status = WorkStatus()
    if current is not None:
        old = current.metadata
        meta.uid, meta.creation_timestamp = old.uid, old.creation_timestamp
        meta.generation, meta.resource_version = old.generation, old.resource_version
        pushed = old.annotation(PUSHED_HASH)
        if pushed:
            meta.annotations = {**(meta.annotations or {}), PUSHED_HASH: pushed}
        if current.status is not None:
            status = replace(current.status)
    body = replace(work, metadata=meta, status=None)
    if not is_pushed(body) and not body.spec.suspend_dispatching:
        applied = status.condition("Applied")
        if applied is None or applied.get("status") == "True":
            _with_condition(status, _pending_condition(now))
    if status != WorkStatus():
        body.status = status
    return body


def store_desired(tx, desired: list[Work], *, keep_bindings: Collection[ObjectKey] = frozenset(),
                  keep_works: Collection[ObjectKey] = frozenset(), now: str, works: WorkCache | None = None
                  ) -> list[tuple[Work, dict]]:
    """Before any push, in the caller's write transaction: the Works the plan wants, created or
    updated (each keeps what the store knows was last pushed), and the Works nobody wants marked
    for deletion. A pass cut short at any later point leaves a store that says what is desired
    and, through each Work's pushed-hash, what reached its member.

    keep_bindings: bindings whose stored Works stay as they are although no
    longer desired (the binding lost its policy: Karmada never touches member
    objects then). keep_works: stored Works to leave in place, such as
    the old copy of a graceful eviction. `works`: the pass's typed Works, read from. Returns the
    Works written, each with its mapping as stored (for the pass's `works` once the transaction is
    committed).
    """
    stored = {_key(w): w for w in (works.load(tx) if works is not None else load_works(tx))}
    written: list[tuple[Work, dict]] = []
    wanted = {_key(w): w for w in desired}
    created: list[Work] = []
    for key in sorted(wanted):
        listed = stored.get(key)
        if listed is None:
            created.append(_desired_body(wanted[key], None, now))
            continue
        body = _desired_body(wanted[key], listed, now)
        if body == listed:          # an equal manifest: its pushed-hash, if worked out, serves the stored Work
            listed.spec.workload.take_digest(body.spec.workload)
        else:
            current = get_work(tx, key)      # re-read (and, on PostgreSQL, lock) it
            if current is None:
                created.append(_desired_body(wanted[key], None, now))
            else:
                body = _desired_body(wanted[key], current, now)
                written.append((body, tx.update(body.to_dict(like=current.raw))))
    written += zip(created, tx.create_many([work.to_dict() for work in created], copies=False))
    for key in sorted(stored):
        work = stored[key]
        if key in wanted or key in keep_works or is_deleting(work) or binding_of(work) in keep_bindings \
                or is_service_work(work.metadata.labels):      # the mcs controllers' own (controllers/mcs.py)
            continue
        current = get_work(tx, key)
        if current is not None and not is_deleting(current):
            current.metadata.deletion_timestamp = now or "1970-01-01T00:00:00Z"
            written.append((current, tx.update(current.to_dict())))
    return written


def execute(store, *, now: str, live_check: bool = False, only_clusters: set[str] | None = None,
            progress: Callable[[int, int], None] | None = None, fleet: Fleet | None = None,
            works: WorkCache | None = None) -> Report:
    """Push the stored Works that their members lack, remove the member objects of Works being deleted.

    Each member is pushed by one process at a time (a store lock per member,
    held while its Works are pushed and recorded): the pushed-hash a Work
    carries is then what its member last received, whoever pushed it. Every
    result is recorded as it comes, a few per transaction. On an interrupt
    (SIGINT) the requests in flight finish and are recorded, nothing more is
    sent, and the KeyboardInterrupt goes on. `fleet` holds the members' clients (a Fleet
    of this pass's own when not given). With the pass's typed Works (`works`, changes.WorkCache; a
    running watch or agent keeps one from pass to pass), only the Works changed since they were last
    read are decoded, and the outcomes recorded are kept there.
    """
    from karmadactl.store.locks import Cancelled

    with store.read() as tx:
        scan = works.load(tx) if works is not None else load_works(tx)
        clusters = {c["metadata"]["name"]: Cluster.from_dict(c) for c in tx.list(CLUSTER_GK)}
        customizations = load_customizations(tx)
    todo: dict[str, int] = {}
    agent_of = fleet.agent_of if fleet is not None else None
    for work in scan:
        name = cluster_of(work)
        if (only_clusters is None or name in only_clusters) and reaches(clusters.get(name), agent_of) and \
                (is_deleting(work) or _needs_push(work, live_check)):
            todo[name] = todo.get(name, 0) + 1

    report = Report()
    stopping = threading.Event()
    guard = threading.Lock()
    done = [0]

    def tick(count: int) -> None:
        with guard:
            done[0] += count
            if progress:
                progress(done[0], max(done[0], sum(todo.values())))

    scanned: dict[str, list[Work]] = {}
    for work in scan:
        scanned.setdefault(work.metadata.namespace or "", []).append(work)

    def run_cluster(name: str) -> None:
        recorder = Recorder(store, name, now, tick, works)
        try:
            with store.lock(f"push:{name}", cancelled=stopping.is_set):
                _run_member(store, members, name, clusters.get(name), recorder, live_check, customizations,
                            stopping, scanned.get(execution_namespace(name), []))
        except Cancelled:
            pass
        with guard:
            report.outcomes.extend(recorder.outcomes)
            report.writes += recorder.writes
            if recorder.failure:
                report.unreachable[name] = recorder.failure

    with Fleet(store) if fleet is None else nullcontext(fleet) as members:
        fan_out(sorted(todo), run_cluster, at_once=CLUSTERS_AT_ONCE, cancelled=stopping)
    return report


def _run_member(store, fleet: Fleet, name: str, cluster: Cluster | None, recorder: Recorder, live_check: bool,
                customizations, stopping: threading.Event, scanned: list[Work] | None = None) -> None:
    """One member, under its lock: read its Works afresh (those `scanned` before the lock serve
    when none of them changed since), push and remove, recording as it goes."""
    with store.read() as tx:
        namespace = execution_namespace(name)
        if scanned and tx.versions(WORK_GK, namespace) == {
                w.metadata.name: (w.metadata.uid or "", w.metadata.resource_version) for w in scanned}:
            works = scanned
        else:
            works = load_works(tx, namespace=namespace)
    pushes = [_private(w) for w in works if not is_deleting(w) and _needs_push(w, live_check)]   # status set
    removals = [w for w in works if is_deleting(w)]
    if not pushes and not removals:
        return
    if cluster is None:       # the cluster left: nothing to reach, forget its Works
        recorder.record([Outcome(name, w, "deleted", "cluster no longer joined") for w in removals] +
                        [Outcome(name, w, "failed", f"cluster {name} is not joined") for w in pushes])
        recorder.flush()
        return
    try:
        client = fleet.client(cluster)
    except KarmadaError as e:
        recorder.unreachable(pushes, str(e))
        return
    writes_before = _writes(client)
    try:
        _push_cluster(client, cluster, pushes, removals, live_check, recorder.record, customizations, stopping)
        recorder.flush()
    except StoreError:          # recording failed: the store's error, not the member's
        raise
    except KarmadaError as e:   # the member stopped answering: the rest waits for the next pass
        recorder.unreachable(pushes, str(e))
    finally:
        recorder.writes += _writes(client) - writes_before


def _private(work: Work) -> Work:
    """A copy of a Work whose status a push may set, leaving the Work it was read as alone."""
    return replace(work, status=replace(work.status) if work.status is not None else None)


def _writes(client) -> int:
    """Write requests the client sent so far (it may serve several passes)."""
    return sum(v for k, v in client.requests.items() if k != "GET")


def _needs_push(work: Work, live_check: bool = False) -> bool:
    if work.spec.suspend_dispatching and is_service_work(work.metadata.labels):
        return False     # collected from its member (or a provider's marker), never sent to it
    if live_check or work.metadata.annotation(OVERRIDE_ERROR):
        return True      # an override error is reported on every pass until the override is fixed
    return not is_pushed(work)


def _push_cluster(client, cluster: Cluster, pushes: list[Work], removals: list[Work], live_check: bool,
                  record: Callable[[list[Outcome]], None], customizations=(),
                  stopping: threading.Event | None = None) -> None:
    """Everything for one member: namespaces first, then objects in dependency order, then removals.

    Results go to `record` as they come: whatever finished while the last batch was being
    recorded is recorded next, in one transaction.
    """
    stopping = stopping or threading.Event()
    ordered = sorted(pushes, key=lambda w: _order(manifest_of(w)))
    first = [w for w in ordered if manifest_of(w)["kind"] in CLUSTER_LEVEL_FIRST]
    rest = [w for w in ordered if manifest_of(w)["kind"] not in CLUSTER_LEVEL_FIRST]
    namespaces = {manifest_of(w)["metadata"].get("namespace") for w in rest} - {None, "", "default"}
    namespaces -= {manifest_of(w)["metadata"]["name"] for w in first if manifest_of(w)["kind"] == "Namespace"}
    for ns in sorted(namespaces):
        if stopping.is_set():
            return
        _ensure_namespace(client, ns)
    live = LiveObjects(client, cluster)
    for work in first:
        if stopping.is_set():
            return
        record([_push(client, cluster, work, live_check, live, customizations)])
    if rest and not stopping.is_set():
        live.prefetch([manifest_of(w) for w in rest])
    def unless_stopping(step: Callable[[Work], Outcome], work: Work) -> Outcome | None:
        return None if stopping.is_set() else step(work)

    with ThreadPoolExecutor(max_workers=WORKERS_PER_MEMBER) as pool:
        for step, works in ((lambda w: _push(client, cluster, w, live_check, live, customizations), rest),
                            (lambda w: _remove(client, cluster, w), removals)):
            finished: queue.SimpleQueue[Future[Outcome | None]] = queue.SimpleQueue()
            for w in works:
                pool.submit(unless_stopping, step, w).add_done_callback(finished.put)
            left = len(works)
            while left:
                batch = [finished.get()]
                while not finished.empty():     # what else finished meanwhile goes in the same record
                    batch.append(finished.get())
                left -= len(batch)
                record([outcome for outcome in (f.result() for f in batch) if outcome is not None])


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


def _push(client, cluster: Cluster, work: Work, live_check: bool, objects: LiveObjects,
          customizations=()) -> Outcome:
    manifest = manifest_of(work)
    if work.spec.suspend_dispatching:
        return Outcome(cluster.name, work, "suspended", "dispatching is suspended")
    override_error = work.metadata.annotation(OVERRIDE_ERROR)
    if override_error:      # the member keeps its last good copy
        return Outcome(cluster.name, work, "failed", f"overrides: {override_error}")
    meta = manifest["metadata"]
    plural = plural_for(cluster, manifest)
    try:
        live = objects.get(manifest, plural)
        if live is not None and not is_managed(live) and \
                (meta.get("annotations") or {}).get(CONFLICT_RESOLUTION) != "overwrite":
            ns = meta.get("namespace")
            return Outcome(cluster.name, work, "conflict",
                           f"resource(kind={manifest['kind']}, {ns + '/' if ns else ''}{meta['name']}) already "
                           f"exists in the cluster {cluster.name} and the {CONFLICT_RESOLUTION} strategy value "
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
    retained["metadata"] = dict(manifest["metadata"])
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


def _attach(work: Work, member_object: dict, plural: str, customizations=()) -> None:
    """Record the member object's reflected status and health on the Work."""
    from karmadactl.interpreter import resolve

    manifest = manifest_of(work)
    group, _, version = manifest["apiVersion"].rpartition("/")
    identifier = ResourceIdentifier(0, group, version, manifest["kind"], plural,
                                    manifest["metadata"].get("namespace", ""), manifest["metadata"]["name"])
    try:
        status = resolve.reflect_status(member_object, customizations)
    except KarmadaError:
        status = None
    if work.status is None:
        work.status = WorkStatus()
    work.status.manifest_statuses = [ManifestStatus(identifier, _health(member_object, customizations), status)]


def _health(member_object: dict, customizations) -> str:
    from karmadactl.interpreter import resolve

    try:
        return resolve.interpret_health(member_object, customizations)
    except KarmadaError:       # a failing health script says nothing good
        return "Unknown"


def _remove(client, cluster: Cluster, work: Work) -> Outcome:
    """Delete the member object of an unwanted Work, or strip Karmada's marks when it is preserved."""
    from karmadactl.members.client import MemberAPIError

    manifest = manifest_of(work)
    meta = manifest["metadata"]
    plural = plural_for(cluster, manifest)
    try:
        live = client.get(manifest["apiVersion"], plural, meta["name"], meta.get("namespace"))
        if live is None or not is_managed(live):
            return Outcome(cluster.name, work, "deleted", "" if live is None else "left: not managed by karmadactl")
        if work.spec.preserve_resources_on_deletion:
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


class Recorder:
    """Stores the outcomes of one member's pushes as they come, each batch in one transaction: what
    came in the last quarter second, or 64 outcomes, whichever is first; `flush` stores the rest.

    A push that succeeded sets the Work's pushed-hash to the manifest that was
    sent (the member's lock makes it what the member holds); a Work whose
    member object is gone leaves the store. Each batch re-reads the Works it
    records, so a Work changed meanwhile by another pass keeps its new content.
    """

    BATCH = 64
    BATCH_SECONDS = 0.25

    def __init__(self, store, cluster: str, now: str, tick: Callable[[int], None] = lambda n: None,
                 works: WorkCache | None = None):
        self.store, self.cluster, self.now, self.tick = store, cluster, now, tick
        self.works = works          # typed Works read from and kept in (changes.WorkCache)
        self.outcomes: list[Outcome] = []
        self.failure: str | None = None
        self.writes = 0
        self.pending: list[Outcome] = []
        self.since = time.monotonic()

    def record(self, outcomes: list[Outcome]) -> None:
        self.pending.extend(outcomes)
        if len(self.pending) >= self.BATCH or time.monotonic() - self.since >= self.BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Store the outcomes recorded since the last batch."""
        from karmadactl.store.objects import retrying

        self.since = time.monotonic()
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        written = retrying(self.store, lambda tx: self._write(tx, batch))
        if self.works is not None:         # committed: what it wrote is what the store holds
            self.works.written(written)
        self.outcomes.extend(batch)
        self.tick(len(batch))

    def unreachable(self, pushes: list[Work], why: str) -> None:
        """The member did not answer: Works it has not taken say so (the others keep their record)."""
        from karmadactl.store.objects import retrying

        self.flush()
        self.failure = why
        answered = {_key(o.work) for o in self.outcomes}
        left = [w for w in pushes if _key(w) not in answered]

        def write(tx) -> None:
            for work in sorted(left, key=_key):
                current = get_work(tx, _key(work))
                if current is None or is_pushed(current):
                    continue
                status = WorkStatus() if current.status is None else current.status
                _with_condition(status, {"type": "Applied", "status": "False", "reason": "AppliedFailed",
                                         "message": why, **({"lastTransitionTime": self.now} if self.now else {})})
                current.status = status
                tx.update(current.to_dict())
            tx.add_event(kind="Cluster", name=self.cluster, type="Warning", reason="PushFailed", message=why)

        retrying(self.store, write)

    def _write(self, tx, outcomes: list[Outcome]) -> list[tuple[Work, dict]]:
        events = []
        ordered = sorted(outcomes, key=lambda o: _key(o.work))
        keys = [_key(o.work) for o in ordered]
        if self.works is not None:       # one read of versions for the batch, bodies only of the changed
            stored = self.works.current(tx, keys)
        else:
            stored = {key: load_work(body) for key, body in tx.get_many(keys).items()}
        updates: list[Work] = []
        for o in ordered:
            key = _key(o.work)
            if key in stored:
                current = stored[key]        # shared with the pass: changed only through copies
                if is_deleting(o.work) and o.action in ("deleted", "preserved"):
                    if is_deleting(current):
                        tx.delete(key)
                    else:             # wanted again meanwhile: the member no longer holds it
                        annotations = current.metadata.annotations
                        if annotations is not None:
                            annotations = {k: v for k, v in annotations.items() if k != PUSHED_HASH}
                        updates.append(replace(current, metadata=replace(current.metadata, annotations=annotations)))
                elif not is_deleting(o.work):
                    marked = _marked(current, o, self.now)
                    if marked != current:
                        updates.append(marked)
            if o.action != "unchanged":
                manifest = manifest_of(o.work)
                events.append({"kind": manifest["kind"], "name": manifest["metadata"]["name"],
                               "namespace": manifest["metadata"].get("namespace", ""),
                               "type": "Normal" if o.ok else "Warning", "reason": EVENT_REASONS.get(o.action, o.action),
                               "message": f"{o.cluster}: {o.action}{': ' + o.message if o.message else ''}"})
        read = {key: w.raw for key, w in stored.items() if w.raw is not None}
        results = tx.update_many([w.to_dict() for w in updates], read=read)    # and one statement for its writes
        tx.add_events(events)
        return [(work, body) for work, body in zip(updates, results) if body is not read.get(_key(work))]


def _marked(current: Work, outcome: Outcome, now: str) -> Work:
    """The stored Work with one push's outcome: pushed-hash, Applied (or Dispatching), member status."""
    body = replace(current, metadata=replace(current.metadata))
    sent = manifest_hash(outcome.work)
    if outcome.ok and outcome.action != "suspended":
        body.metadata.annotations = {**(body.metadata.annotations or {}), PUSHED_HASH: sent}
    status = body.status = WorkStatus() if current.status is None else replace(current.status)
    if outcome.work.status is not None and outcome.work.status.manifest_statuses is not None:
        status.manifest_statuses = outcome.work.status.manifest_statuses
    condition = _applied_condition(outcome)
    if now:
        condition["lastTransitionTime"] = now
    if outcome.ok and outcome.action != "suspended" and body.manifest is not outcome.work.manifest \
            and manifest_hash(body) != sent:
        condition = _pending_condition(now)       # the desired manifest changed while this one was sent
    _with_condition(status, condition)
    return body
