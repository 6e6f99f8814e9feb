"""The cluster registry: join, unjoin, taints and cordon, over the store and the members.

Everything that touches a member goes through karmadactl.members; everything
that touches the database through karmadactl.store. Each change to the store
is one write transaction that re-reads the Cluster and compare-and-swaps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from karmadactl.apis import meta
from karmadactl.apis.cluster import (
    GROUP_KIND,
    NAME_MAX,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Taint,
    TaintChange,
    apply_taint_changes,
    name_problem,
)
from karmadactl.apis.kinds import WORK
from karmadactl.apis.wellknown import ANNOTATION_CONTEXT, ANNOTATION_KUBECONFIG, MANAGED_LABEL, execution_namespace
from karmadactl.errors import AlreadyExists, InvalidInput, NotFound, Unreachable
from karmadactl.store.keys import ObjectKey

log = logging.getLogger(__name__)

REFRESH_AT_ONCE = 8     # members whose status is read in parallel


@dataclass
class JoinResult:
    cluster: Cluster
    action: str          # "created", "updated" or "unchanged" (with dry-run: what would happen)


@dataclass
class UnjoinResult:
    deleted: list[str] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)


def check_name(name: str) -> None:
    if name_problem(name):
        raise InvalidInput(f"cluster name {name!r}: must be a DNS-1123 label of at most {NAME_MAX} "
                           "characters (lower-case letters, digits and '-')")


def get(store, name: str) -> Cluster:
    with store.read() as tx:
        obj = tx.get(ObjectKey(GROUP_KIND, "", name))
    if obj is None:
        raise NotFound(f'cluster "{name}" not found')
    return Cluster.from_dict(obj)


def list_clusters(store, names: list[str] | None = None,
                  selector: Callable[[dict], bool] | None = None) -> list[Cluster]:
    with store.read() as tx:
        objs = tx.list(GROUP_KIND, selector=selector)
    clusters = [Cluster.from_dict(o) for o in objs]
    if names:
        by_name = {c.name: c for c in clusters}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise NotFound(f'cluster "{missing[0]}" not found')
        clusters = [by_name[n] for n in names]
    return clusters


@dataclass(frozen=True)
class Properties:
    """What a `join` or `label` says about a cluster; None (or empty) leaves that property as it is."""

    provider: str | None = None
    region: str | None = None
    zones: list[str] | None = None               # replaces the list; [] clears it
    labels: dict[str, str] = field(default_factory=dict)     # set (a join overwrites)
    remove_labels: list[str] = field(default_factory=list)   # `key-`
    embed: bool | None = None                    # None: keep how the credentials are held

    def apply_to(self, cluster: Cluster) -> None:
        if self.provider is not None:
            cluster.provider = self.provider
        if self.region is not None:
            cluster.region = self.region
        if self.zones is not None:
            cluster.zones = list(self.zones)
        cluster.labels = {**{k: v for k, v in cluster.labels.items() if k not in self.remove_labels},
                          **self.labels}


def parse_label_changes(specs: list[str], flag: str, what: str = "label") -> tuple[dict[str, str], list[str]]:
    """kubectl's label (or annotate) arguments: `key=value` sets, `key-` removes; a key may not do both.
    Label values are checked as label values; annotation values may be any text."""
    from karmadactl.apis.meta import check_label_key, check_label_value

    labels: dict[str, str] = {}
    remove: list[str] = []
    for spec in specs:
        key, sep, value = spec.partition("=")
        if sep:
            check_label_key(key, f"{flag} {spec!r}")
            if what == "label":
                check_label_value(value, f"{flag} {spec!r}")
            labels[key] = value
        elif spec.endswith("-") and len(spec) > 1:
            check_label_key(spec[:-1], f"{flag} {spec!r}")
            remove.append(spec[:-1])
        else:
            raise InvalidInput(f"{flag} {spec!r}: expected key=value, or key- to remove the {what}")
    both = sorted(set(labels) & set(remove))
    if both:
        raise InvalidInput(f"{flag}: {what} {both[0]!r} cannot be both set and removed")
    return labels, remove


def edit_labels(current: dict[str, str], labels: dict[str, str], remove: list[str], *,
                overwrite: bool, cluster: str) -> tuple[dict[str, str], list[str]]:
    """kubectl label's rules, pure: (new labels, removed keys that were not there)."""
    if not overwrite:
        taken = sorted(k for k in labels if k in current)
        if taken:
            raise InvalidInput(f"cluster {cluster}: label '{taken[0]}' already has a value "
                               f"({current[taken[0]]}), and --overwrite is false")
    missing = [k for k in remove if k not in current]
    new = {k: v for k, v in current.items() if k not in remove}
    new.update(labels)
    return new, missing


def annotate(store, name: str, annotations: dict[str, str], remove: list[str], *, overwrite: bool = False,
             dry_run: bool = False) -> tuple[Cluster, bool]:
    """kubectl annotate on a cluster. The annotations that record the kubeconfig reference belong
    to `join`. Without --overwrite a different value is refused, as kubectl's annotate does."""
    reserved = sorted({*annotations, *remove} & {ANNOTATION_KUBECONFIG, ANNOTATION_CONTEXT})
    if reserved:
        raise InvalidInput(f"cluster {name}: annotation {reserved[0]!r} is set by join (--kubeconfig, --context)")

    def change(cluster: Cluster) -> bool:
        current = dict(cluster.metadata.get("annotations") or {})
        taken = sorted(k for k, v in annotations.items() if k in current and current[k] != v)
        if taken and not overwrite:
            raise InvalidInput(f"cluster {name}: --overwrite is false but annotation '{taken[0]}' already "
                               f"has a value ({current[taken[0]]})")
        new = {**{k: v for k, v in current.items() if k not in remove}, **annotations}
        if new == current:
            return False
        cluster.metadata["annotations"] = new
        return True
    text = ", ".join([f"{k}" for k in annotations] + [f"{k}-" for k in remove])
    return _mutate(store, name, change, reason="Annotated", message=f"annotations changed: {text}",
                   dry_run=dry_run)


def join(store, name: str, *, kubeconfig: str | None, context: str | None,
         properties: Properties | None = None, dry_run: bool = False) -> JoinResult:
    """Register a Push cluster: reach it, read its status, store the Cluster.

    Joining a cluster again refreshes its endpoint, credentials reference and
    status; provider, region, zones, labels and taints change only where
    `properties` names them."""
    from karmadactl.members.kubeconfig import load_kubeconfig
    from karmadactl.members.status import collect_status

    properties = properties or Properties()
    check_name(name)
    with store.read() as tx:
        previous = tx.get(ObjectKey(GROUP_KIND, "", name))
    config = None
    if previous is not None:        # where its credentials come from is kept too, unless given
        known = Cluster.from_dict(previous)
        if known.pull:
            raise InvalidInput(f"join {name}: the cluster is registered in Pull mode (its agent pushes to it); "
                               f"`karmadactl unregister {name}` first to join it in Push mode")
        if known.embedded and kubeconfig is None and context is None:
            config = _embedded_config(store, known)
        if kubeconfig is None and known.kubeconfig:
            kubeconfig = known.kubeconfig
        if context is None and known.context and kubeconfig == known.kubeconfig:
            context = known.context
    config = config or load_kubeconfig(kubeconfig, context)
    client = config.client(name=name)
    try:
        health, message = client.health()
        if health != "Ready":
            raise Unreachable(f"join {name}: cluster at {config.server} is not ready: {message}")
        status = collect_status(client, (previous or {}).get("status"), meta.now(), probed=(health, message))
        cluster_id = member_id(client)
    finally:
        client.close()

    with store.write() as tx:
        check_unique_id(tx, name, cluster_id)
        current = tx.get(ObjectKey(GROUP_KIND, "", name))
        desired = Cluster.from_dict(current) if current else Cluster(name=name)
        embed = desired.embedded if properties.embed is None else properties.embed
        desired.api_endpoint = config.server
        properties.apply_to(desired)
        desired.embedded = embed
        desired.kubeconfig = "" if embed else config.source
        desired.context = "" if embed else config.context
        desired.id = cluster_id
        desired.status = status
        credentials = config.embedded() if embed else None
        unchanged = (current is not None and _same(current, desired.to_dict())
                     and tx.get_secret(name) == credentials)
        action = "unchanged" if unchanged else ("updated" if current else "created")
        if dry_run or unchanged:
            return JoinResult(Cluster.from_dict(current) if unchanged else desired, action)
        if credentials is not None:
            tx.put_secret(name, credentials)
        else:
            tx.delete_secret(name)
        stored = tx.update(desired.to_dict()) if current else tx.create(desired.to_dict())
        tx.add_event(kind="Cluster", name=name, reason="Joined" if current is None else "Updated",
                     message=f"cluster {name} {action} (endpoint {config.server})")
    return JoinResult(Cluster.from_dict(stored), action)


def label(store, name: str, labels: dict[str, str], remove: list[str], *, overwrite: bool = False,
          dry_run: bool = False) -> tuple[Cluster, bool, list[str]]:
    """kubectl label on a cluster: returns (cluster, changed, removed keys it did not have)."""
    missing: list[str] = []

    def change(cluster: Cluster) -> bool:
        new, gone = edit_labels(cluster.labels, labels, remove, overwrite=overwrite, cluster=name)
        missing[:] = gone
        if new == cluster.labels:
            return False
        cluster.labels = new
        return True
    text = ", ".join([f"{k}={v}" for k, v in labels.items()] + [f"{k}-" for k in remove])
    cluster, changed = _mutate(store, name, change, reason="Labeled", message=f"labels changed: {text}",
                               dry_run=dry_run)
    return cluster, changed, missing


def _same(stored: dict, desired: dict) -> bool:
    """Equal apart from what the store itself sets and the observed status: a join that names nothing new
    changes nothing (the status is refreshed by sync and watch, and moves with every pod a member starts)."""
    def strip(obj: dict) -> dict:
        md = {k: v for k, v in obj.get("metadata", {}).items()
              if k not in ("resourceVersion", "uid", "creationTimestamp", "generation")}
        return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": md}
    return strip(stored) == strip(desired)


def member_id(client) -> str:
    """Karmada's cluster id: the UID of the member's kube-system namespace."""
    ns = client.get("v1", "namespaces", "kube-system")
    return (ns or {}).get("metadata", {}).get("uid", "")


def check_unique_id(tx, name: str, cluster_id: str) -> None:
    if not cluster_id:
        return
    for other in tx.list(GROUP_KIND):
        if other["metadata"]["name"] != name and other.get("spec", {}).get("id") == cluster_id:
            raise AlreadyExists(f"join {name}: this cluster is already joined as "
                                f"\"{other['metadata']['name']}\" (same kube-system uid)")


def client_for(store, cluster: Cluster):
    """A MemberClient for a stored cluster, from its kubeconfig reference or embedded credentials
    (the caller closes it; a pass over many members uses members.fanout.Fleet)."""
    from karmadactl.members.fanout import connect

    return connect(store, cluster)


def _embedded_config(store, cluster: Cluster):
    from karmadactl.members.fanout import embedded_kubeconfig

    return embedded_kubeconfig(store, cluster)


def _mutate(store, name: str, change: Callable[[Cluster], bool], *, reason: str, message: str,
            dry_run: bool = False) -> tuple[Cluster, bool]:
    """Read-modify-write one Cluster in a single transaction. Returns (cluster, changed)."""
    with store.write() as tx:
        obj = tx.get(ObjectKey(GROUP_KIND, "", name))
        if obj is None:
            raise NotFound(f'cluster "{name}" not found')
        cluster = Cluster.from_dict(obj)
        changed = change(cluster)
        if not changed or dry_run:
            return cluster, changed
        stored = Cluster.from_dict(tx.update(cluster.to_dict()))
        tx.add_event(kind="Cluster", name=name, reason=reason, message=message)
        return stored, True


def taint(store, name: str, changes: list[TaintChange], *, overwrite: bool = False,
          dry_run: bool = False) -> tuple[Cluster, str]:
    """kubectl taint on a cluster; returns (cluster, what kubectl would print: tainted, untainted,
    modified, or unchanged)."""
    verb = ["unchanged"]

    def change(cluster: Cluster) -> bool:
        new = apply_taint_changes(cluster.taints, changes, overwrite=overwrite, now=meta.now(),
                                  cluster=name)
        if [t.to_dict() for t in new] == [t.to_dict() for t in cluster.taints]:
            return False
        verb[0] = taint_verb(cluster.taints, new, overwrite=overwrite)
        cluster.taints = new
        return True
    text = ", ".join(f"{c.key}{':' + c.effect if c.effect else ''}{'-' if c.remove else ''}"
                     for c in changes)
    cluster, _ = _mutate(store, name, change, reason="Tainted", message=f"taints changed: {text}",
                         dry_run=dry_run)
    return cluster, verb[0]


def taint_verb(before: list[Taint], after: list[Taint], *, overwrite: bool) -> str:
    """kubectl's word for a change of taints (staging/src/k8s.io/kubectl/pkg/cmd/taint/utils.go,
    reorganizeTaints): modified when taints were both added and removed, or with --overwrite;
    tainted when only added; untainted otherwise."""
    old = {(t.key, t.effect) for t in before}
    new = {(t.key, t.effect) for t in after}
    added, removed = bool(new - old), bool(old - new)
    if (added and removed) or overwrite:
        return "modified"
    return "tainted" if added else "untainted"


def cordon(store, name: str, *, on: bool, dry_run: bool = False) -> tuple[Cluster, bool]:
    """Karmada's cordon: the cluster.karmada.io/unschedulable:NoSchedule taint."""
    def change(cluster: Cluster) -> bool:
        has = any(t.key == TAINT_UNSCHEDULABLE and t.effect == "NoSchedule" for t in cluster.taints)
        if has == on:
            return False
        if on:
            cluster.taints = [*cluster.taints, Taint(TAINT_UNSCHEDULABLE, "NoSchedule", "", meta.now())]
        else:
            cluster.taints = [t for t in cluster.taints
                              if not (t.key == TAINT_UNSCHEDULABLE and t.effect == "NoSchedule")]
        return True
    return _mutate(store, name, change, reason="Cordoned" if on else "Uncordoned",
                   message=f"cluster {name} {'cordoned' if on else 'uncordoned'}", dry_run=dry_run)


def managed_objects(client, cluster: Cluster) -> list[tuple[str, str, str, str]]:
    """(apiVersion, plural, namespace, name) of every object karmadactl manages in the member."""
    found = []
    for gv in cluster.status.get("apiEnablements") or []:
        for resource in gv.get("resources") or []:
            if resource["kind"] in ("Event", "Namespace", "Node") or "/" in resource["name"]:
                continue
            try:
                items = client.list(gv["groupVersion"], resource["name"],
                                    label_selector=f"{MANAGED_LABEL}=true")
            except Unreachable:
                raise
            except Exception as e:  # not listable (405) and the like
                log.debug("skip %s %s: %s", gv["groupVersion"], resource["name"], e)
                continue
            for item in items:
                md = item.get("metadata", {})
                found.append((gv["groupVersion"], resource["name"], md.get("namespace", ""), md["name"]))
    return found


def delete_managed(client, cluster: Cluster) -> Iterator[str]:
    """Delete every object karmadactl manages in the member, one by one, each told (describe_object)
    once it is deleted: a caller stopped by an error still holds what went before."""
    for api_version, plural, ns, name in managed_objects(client, cluster):
        client.delete(api_version, plural, name, ns or None)
        yield describe_object(api_version, plural, ns, name)


def describe_object(api_version: str, plural: str, namespace: str, name: str) -> str:
    group = api_version.rpartition("/")[0]
    resource = f"{plural}.{group}" if group else plural
    return f"{resource}/{namespace + '/' if namespace else ''}{name}"


def unjoin(store, name: str, *, keep_resources: bool = False, force: bool = False) -> UnjoinResult:
    """Delete what karmadactl manages in the member (unless kept), then forget the cluster."""
    cluster = get(store, name)
    if cluster.pull:
        raise InvalidInput(f"cluster {name} is a Pull mode member cluster, please use command `unregister` "
                           "if you want to continue unregistering the cluster")
    result = UnjoinResult()
    if not keep_resources:
        try:
            client = client_for(store, cluster)
            try:
                for line in delete_managed(client, cluster):
                    result.deleted.append(line)
            finally:
                client.close()
        except (Unreachable, InvalidInput, NotFound) as e:
            if not force:
                raise Unreachable(f"unjoin {name}: cannot clean up the member ({e}); pass --force to "
                                  "forget it anyway and leave its objects behind") from None
            result.left_behind = _objects_left(store, name)
    with store.write() as tx:
        current = tx.get(ObjectKey(GROUP_KIND, "", name))
        if current is None:
            raise NotFound(f'cluster "{name}" not found')
        tx.delete(ObjectKey(GROUP_KIND, "", name))
        tx.delete_secret(name)
        for work in tx.list(WORK, namespace=execution_namespace(name)):
            tx.delete(ObjectKey(WORK, work["metadata"]["namespace"], work["metadata"]["name"]))
        tx.add_event(kind="Cluster", name=name, reason="Unjoined",
                     message=f"cluster {name} unjoined; {len(result.deleted)} objects deleted, "
                             f"{len(result.left_behind)} left behind")
    return result


def _objects_left(store, name: str) -> list[str]:
    """What the store says was pushed to the cluster (Works in karmada-es-NAME)."""
    with store.read() as tx:
        works = tx.list(WORK, namespace=execution_namespace(name))
    left = []
    for work in works:
        for manifest in work.get("spec", {}).get("workload", {}).get("manifests", []):
            md = manifest.get("metadata", {})
            left.append(f"{manifest.get('kind', '?').lower()}/"
                        f"{md.get('namespace') + '/' if md.get('namespace') else ''}{md.get('name')}")
    return left


def prune_orphans(store, only_clusters: set[str] | None = None, *, fleet=None) -> list[str]:
    """Delete member objects labelled as managed that no stored Work wants (after a crash, say).
    `fleet` (members.fanout.Fleet) holds the members' clients; a Fleet of this call's own when not given."""
    from karmadactl.controllers.execution import cluster_of, load_works, manifest_of
    from karmadactl.members.fanout import Fleet

    with store.read() as tx:
        works = load_works(tx)
        clusters = [Cluster.from_dict(c) for c in tx.list(GROUP_KIND)]
    wanted = set()
    for work in works:
        m = manifest_of(work)
        wanted.add((cluster_of(work), m["apiVersion"], m["kind"], m["metadata"].get("namespace", ""),
                    m["metadata"]["name"]))
    lines = []
    with Fleet(store) if fleet is None else nullcontext(fleet) as members:
        for cluster in clusters:
            if (only_clusters and cluster.name not in only_clusters) or not members.reaches(cluster):
                continue
            kinds_by_plural = {(gv["groupVersion"], r["name"]): r["kind"] for gv in
                               cluster.status.get("apiEnablements") or [] for r in gv.get("resources") or []}
            try:
                client = members.client(cluster)
                for api_version, plural, ns, name in managed_objects(client, cluster):
                    kind = kinds_by_plural.get((api_version, plural), "")
                    if (cluster.name, api_version, kind, ns, name) in wanted:
                        continue
                    client.delete(api_version, plural, name, ns or None)
                    lines.append(f"{cluster.name}: {describe_object(api_version, plural, ns, name)} pruned")
            except (Unreachable, InvalidInput, NotFound) as e:
                lines.append(f"{cluster.name}: not pruned ({e})")
    if lines:
        with store.write() as tx:
            tx.add_event(kind="Cluster", name=",".join(sorted({line.split(":")[0] for line in lines})),
                         reason="Pruned", message=f"{len(lines)} orphaned managed objects handled")
    return lines


def refresh_status(store, only_clusters: set[str] | None = None, *, fleet=None) -> dict[str, str]:
    """Read each member's version, APIs (CRDs pushed since included) and capacity again, as the
    cluster-status controller does; returns the clusters that could not be read."""
    from karmadactl.members.fanout import Fleet
    from karmadactl.members.status import collect_status

    clusters = [c for c in list_clusters(store) if not only_clusters or c.name in only_clusters]
    with Fleet(store) if fleet is None else nullcontext(fleet) as members:
        clusters = [c for c in clusters if members.reaches(c)]
        read = members.each(clusters, lambda cluster, client: collect_status(client, cluster.status, meta.now()),
                            at_once=REFRESH_AT_ONCE)
    failures = {}
    for cluster in clusters:
        if cluster.name in read.errors:
            failures[cluster.name] = read.errors[cluster.name]
            continue
        def change(current: Cluster, status=read.values[cluster.name]) -> bool:
            if current.status == status:
                return False
            current.status = status
            return True
        _mutate(store, cluster.name, change, reason="StatusRefreshed", message=f"cluster {cluster.name} status read")
    return failures
