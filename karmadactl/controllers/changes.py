"""What a running watch remembers from pass to pass, so that a steady pass costs what changed.

The stages that read only the store (the reconcile pass's plan and store, the push, the aggregation
of status) run again only when the store's objects differ from what they were just before the stage
last read them: `Memory.due`. A change made while a stage ran, by the stage itself or by another
process, makes it run once more (and, changing nothing then, settle); it is never taken as seen.
What a watch writes every pass regardless (its Lease, the FederatedHPA records, the heartbeats of
Pull clusters' agents) does not count. The status read-back keeps the
Works typed by (uid, resourceVersion) (`WorkCache`) and the versions it last read back
(`Memory.read_back`), so an unchanged Work is neither decoded nor interpreted again.

So a plan that failed for a passing reason (a customization's script that timed out) is tried
again at the next change in the store or at the resync, not at every pass; a failed push is
retried every pass (`Memory.push_due`).

A Memory belongs to one Watcher; every other entry point passes none and runs every stage, with a
WorkCache of the pass's own: each Work is decoded at most once per pass, and what the pass writes
is kept as written.
"""

from __future__ import annotations

from karmadactl.apis import kinds
from karmadactl.apis.karmada import ResourceBinding, Work, load_binding, load_work
from karmadactl.apis.wellknown import NAMESPACE_KARMADA_CLUSTER
from karmadactl.controllers import heartbeat, lease
from karmadactl.store.keys import ObjectKey
from karmadactl.store.objects import ObjectVersion, fingerprint

FHPA_STATE_GK = "FederatedHPAState.karmadactl.io"     # fhpa.STATE_GK (fhpa.py is not loaded for a name)


def bookkeeping(version: ObjectVersion) -> bool:
    """Objects a watch pass writes whatever changed, which no skipped stage reads."""
    return (version.group_kind in (lease.GROUP_KIND, FHPA_STATE_GK)
            or (version.group_kind == heartbeat.GROUP_KIND and version.namespace == NAMESPACE_KARMADA_CLUSTER))


def _version(meta: dict) -> tuple[str, int]:
    """(uid, resourceVersion) of a stored object's metadata, as object_versions() names it."""
    return meta.get("uid") or "", int(meta["resourceVersion"])


class WorkCache:
    """The stored Works, typed, kept by (uid, resourceVersion): only the bodies that changed are read.
    The bindings too, as the pass's plan read or wrote them, for the aggregation (`load_bindings`).

    The Works and bindings handed out are shared with later calls: a caller that changes one changes
    a copy."""

    def __init__(self) -> None:
        self._typed: dict[ObjectKey, tuple[tuple[str, int], Work]] = {}
        self._bindings: dict[ObjectKey, tuple[tuple[str, int], ResourceBinding]] = {}
        self.decoded = 0        # bodies read and typed so far

    def load(self, tx) -> list[Work]:
        """Every stored Work, sorted by (namespace, name), as load_works reads them."""
        current = {ObjectKey(v.group_kind, v.namespace, v.name): (v.uid, v.resource_version)
                   for v in tx.object_versions([kinds.WORK])}
        for key in [k for k in self._typed if k not in current]:
            del self._typed[key]
        stale = [key for key, version in current.items() if self._typed.get(key, (None,))[0] != version]
        bodies = tx.get_many(stale)
        for key in stale:
            body = bodies.get(key)
            if body is None:          # deleted since the versions were listed
                self._typed.pop(key, None)
                continue
            self._keep(key, body)     # at the version read: one changed again since is read next time
        return [self._typed[key][1] for key in current if key in self._typed]     # listed in key order

    def current(self, tx, keys: list[ObjectKey]) -> dict[ObjectKey, Work]:
        """The stored Works of these keys (the missing ones left out), reading only the bodies that
        changed since they were kept."""
        found, stale = {}, []
        for key, version in tx.versions_of(keys).items():
            kept = self._typed.get(key)
            if kept is not None and kept[0] == version:
                found[key] = kept[1]
            else:
                stale.append(key)
        for key, body in tx.get_many(stale).items():
            found[key] = self._keep(key, body)
        return found

    def written(self, works: list[tuple[Work, dict]]) -> None:
        """Works just written, each with the mapping the store returned for it (create_many,
        update_many), kept once the transaction is committed, so that no later look in this pass (or,
        for a watch, the next) reads or decodes them again. Each Work takes the metadata the store
        set (its metadata is its own: the writers build it afresh); neither is changed afterwards."""
        for work, body in works:
            meta, typed = body["metadata"], work.metadata
            typed.uid, typed.resource_version = meta.get("uid"), meta.get("resourceVersion")
            typed.creation_timestamp, typed.generation = meta.get("creationTimestamp"), meta.get("generation")
            work.raw = body
            key = ObjectKey(kinds.WORK, typed.namespace or "", typed.name)
            self._typed[key] = (_version(meta), work)

    def keep_bindings(self, bindings: list[ResourceBinding]) -> None:
        """(Cluster)ResourceBindings as the store holds them once committed (each with its stored
        mapping as `raw`), so that the aggregation does not read and decode them again."""
        for binding in bindings:
            meta = binding.metadata
            gk = kinds.BINDINGS[1] if binding.cluster_scoped else kinds.BINDINGS[0]
            self._bindings[ObjectKey(gk, meta.namespace or "", meta.name)] = (
                (meta.uid or "", int(meta.resource_version or 0)), binding)

    def load_bindings(self, tx) -> list[ResourceBinding]:
        """Every stored (Cluster)ResourceBinding, in the order tx.list gives each of kinds.BINDINGS;
        only those not kept at their current uid and resourceVersion are read and decoded."""
        versions = {ObjectKey(v.group_kind, v.namespace, v.name): (v.uid, v.resource_version)
                    for v in tx.object_versions(kinds.BINDINGS)}
        kept = {key: entry for key, entry in self._bindings.items() if versions.get(key) == entry[0]}
        for key, body in tx.get_many([key for key in versions if key not in kept]).items():
            kept[key] = (_version(body["metadata"]), load_binding(body))
        self._bindings = kept
        return [kept[key][1] for gk in kinds.BINDINGS for key in versions if key.gk == gk and key in kept]

    def _keep(self, key: ObjectKey, body: dict) -> Work:
        meta = body["metadata"]
        work = load_work(body)
        self._typed[key] = (_version(meta), work)
        self.decoded += 1
        return work


class Memory:
    """The store's fingerprint after each stage last ran, the last push's result, and the read-back's
    memory (see the module's docstring)."""

    def __init__(self) -> None:
        self.before: dict[str, str] = {}          # stage -> the store's fingerprint before it last read it
        self.pushed_to: frozenset[str] | None = None   # the ready members the last push went to
        self.push_failed = False
        self.works = WorkCache()
        self.read_back: dict[ObjectKey, tuple[str, int, str, str]] = {}   # Work uid, rv; member object's
        self.customizations: str | None = None    # their fingerprint when read_back was taken

    def fingerprint(self, store) -> str:
        with store.read() as tx:
            return fingerprint(v for v in tx.object_versions() if not bookkeeping(v))

    def due(self, stage: str, seen: str) -> bool:
        """True when the store's fingerprint `seen` is not what `stage` left."""
        return self.before.get(stage) != seen

    def ran(self, stage: str, seen: str) -> None:
        """`stage` ran on the store as `seen`, the fingerprint taken before it read it."""
        self.before[stage] = seen

    def push_due(self, seen: str, only_clusters: set[str] | None) -> bool:
        """The push runs again when the store changed since it last ran, it did not reach everything,
        or it goes to other members."""
        return (self.due("push", seen) or self.push_failed or only_clusters is None
                or self.pushed_to != frozenset(only_clusters))

    def pushed(self, seen: str, only_clusters: set[str] | None, failed: bool) -> None:
        self.ran("push", seen)
        self.pushed_to = None if only_clusters is None else frozenset(only_clusters)
        self.push_failed = failed

    def customizations_seen(self, tx) -> None:
        """Forget what was read back when the customizations (which interpret it) changed."""
        from karmadactl.interpreter.customization import GROUP_KIND

        seen = fingerprint(tx.object_versions([GROUP_KIND]))
        if seen != self.customizations:
            self.read_back.clear()
            self.customizations = seen
