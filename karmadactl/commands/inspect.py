"""describe and events: one stored object with its binding, Works and events (status refreshed from
the members first), one object as each member has it, and the events karmadactl recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from karmadactl.apis import kinds

if TYPE_CHECKING:
    from karmadactl.apis.kinds import Kind
    from karmadactl.store.keys import ObjectKey

RECENT_EVENTS = 10


@dataclass
class Description:
    """A stored object and what karmadactl knows about it: for a template, its binding and Works;
    its recent events; the members whose status could not be refreshed (cluster -> why)."""
    info: Kind
    obj: dict
    template: bool
    binding: dict | None = None
    works: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    unanswered: dict[str, str] = field(default_factory=dict)
    exported_from: list[str] | None = None     # a service's exporting clusters (ServiceExport, ServiceImport)
    endpoints: list = field(default_factory=list)    # the EndpointSlices collected for it (controllers/mcs.py)


@dataclass
class MembersDescription:
    """One object as each member has it: [(cluster, object, its events)] by cluster name, the members
    that could not be read (cluster -> why) and those without such an object."""
    info: Kind
    namespace: str | None
    found: list[tuple[str, dict, list[dict]]]
    failures: dict[str, str]
    absent: list[str]


def resolve_kind(tx, kind: str) -> Kind:
    from karmadactl.controllers.discovery import lookup
    from karmadactl.errors import UsageError

    info = lookup(tx, kind)
    if info is None:
        raise UsageError(f'the server doesn\'t have a resource type "{kind}"')
    return info


def _plural(info: Kind) -> str:
    return f"{info.plural}.{info.group}" if info.group else info.plural


def describe(store, kind: str, name: str, namespace: str) -> Description:
    """The stored object `kind`/`name`, its template's binding and Works and its recent events, after
    the status of the members it was pushed to is read again and aggregated."""
    from karmadactl.apis import meta
    from karmadactl.apis.karmada import load_work
    from karmadactl.controllers import status
    from karmadactl.controllers.detector import binding_name
    from karmadactl.errors import NotFound
    from karmadactl.store.keys import ObjectKey

    with store.read() as tx:
        info = resolve_kind(tx, kind)
        ns = namespace if info.namespaced else ""
        key = ObjectKey(info.group_kind, ns, name)
        if tx.get(key) is None:
            where = f' in namespace "{ns}"' if ns else ""
            raise NotFound(f'{_plural(info)} "{name}" not found{where}')
        template = not info.group.endswith("karmada.io")
        binding_key = ObjectKey(kinds.BINDINGS[0 if info.namespaced else 1], ns, binding_name(name, info.kind))
        members = {load_work(w).cluster for w in _works_of(tx, binding_key)} if template else set()
    failures: dict[str, str] = {}
    if members:
        failures = status.refresh(store, clusters=members)
        status.aggregate(store, meta.now())
    with store.read() as tx:
        obj = tx.get(key)
        if obj is None:
            raise NotFound(f'{info.plural} "{name}" not found')
        if not template:
            found = Description(info, obj, False, events=_object_events(tx, info.kind, name, ns),
                                unanswered=failures)
        else:
            found = Description(info, obj, True, binding=tx.get(binding_key), works=_works_of(tx, binding_key),
                                events=_object_events(tx, info.kind, name, ns), unanswered=failures)
        _add_service_endpoints(tx, found, ns, name)
        return found


def _add_service_endpoints(tx, found: Description, namespace: str, name: str) -> None:
    """For a ServiceExport, ServiceImport or MultiClusterService: the clusters exporting the service and
    the endpoints collected from them."""
    from karmadactl.controllers import mcs

    kind = found.info.group_kind
    if kind not in (mcs.EXPORT_GK, mcs.IMPORT_GK, mcs.MCS_GK):
        return
    from karmadactl.apis.karmada import load_work

    works = [load_work(w) for w in tx.list(kinds.WORK)]
    found.endpoints = mcs.exported_slices(works, namespace, name, by_mcs=kind == mcs.MCS_GK)
    if kind != mcs.MCS_GK:
        found.exported_from = mcs.exporting_clusters(works, namespace, name)


def _works_of(tx, binding_key: ObjectKey) -> list[dict]:
    from karmadactl.apis.karmada import load_work
    from karmadactl.controllers.execution import binding_of

    return [w for w in tx.list(kinds.WORK) if binding_of(load_work(w)) == binding_key]


def _object_events(tx, kind: str, name: str, namespace: str) -> list[dict]:
    return [e for e in tx.events(kind=kind, name=name) if e["namespace"] == namespace][-RECENT_EVENTS:]


def describe_in_members(store, kind: str, name: str, namespace: str, clusters: str | None) -> MembersDescription:
    """`kind`/`name` as each chosen member (-C a,b, else all) has it, with that member's events. A kind
    the store does not know is looked up in the members' discovery."""
    from karmadactl.commands.members import chosen_clusters, members_kind, read_described
    from karmadactl.controllers.discovery import lookup
    from karmadactl.errors import NotFound, UsageError

    with store.read() as tx:
        info = lookup(tx, kind)
    info = info or members_kind(store, clusters, kind)
    if info is None:
        raise UsageError(f'the server doesn\'t have a resource type "{kind}"')
    if info.group.endswith("karmada.io"):
        raise UsageError(f"--scope members: {info.plural} live only in the store")
    targets = chosen_clusters(store, clusters)
    ns = namespace if info.namespaced else None
    found, failures, absent = read_described(store, targets, info, name, ns)
    described = MembersDescription(info, ns, found, failures, absent)
    if not found and not failures:
        where = f' in namespace "{ns}"' if ns else ""
        raise NotFound(f'{_plural(info)} "{name}" not found{where} in any member cluster')
    return described


def recorded_events(store, kind: str | None, name: str | None, namespace: str | None,
                    since: datetime | None) -> list[dict]:
    """The events karmadactl recorded, oldest first: of a kind (as a user types it) and name, in a
    namespace, newer than `since`, each when given."""
    with store.read() as tx:
        kind_name = resolve_kind(tx, kind).kind if kind else None
        found = tx.events(kind=kind_name, name=name or None, since=since)
    if namespace is not None:
        found = [e for e in found if e["namespace"] == namespace]
    return found
