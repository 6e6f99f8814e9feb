"""get: the objects of each requested kind, from the store and/or the members, with what could not be read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.kinds import Kind

KARMADA_ROW = "Karmada"          # the CLUSTER value of rows from the store
SCOPES = ("karmada", "members", "all")

# kubectl's "all" category: the kinds `kubectl get all` lists (their resources' categories: ["all"])
ALL_KINDS = ("pods", "services", "daemonsets", "deployments", "replicasets", "statefulsets",
             "horizontalpodautoscalers", "cronjobs", "jobs")

Row = tuple[str | None, dict]        # (cluster, object); cluster None for the store's rows of --scope karmada


@dataclass
class Query:
    """What a get command line selects, besides the kinds and names."""
    scope: str
    namespace: str
    all_namespaces: bool
    selector: str | None
    match: Callable[[dict], bool] | None
    clusters: str | None
    ignore_not_found: bool
    sort_by: str | None
    output: str
    every_kind: bool = False


@dataclass
class KindRows:
    """One requested kind's rows, with the CRD that defines it (None for a built-in kind)."""
    info: Kind
    namespace: str | None
    names: tuple[str, ...]
    rows: list[Row]
    crd: dict | None = None


@dataclass
class GetResult:
    """Each kind's rows; cluster -> why it could not be read; the clusters that answered; whether
    one object was asked for by name."""
    kinds: list[KindRows]
    failures: dict[str, str] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    single: bool = False


def plural(info: Kind) -> str:
    return f"{info.plural}.{info.group}" if info.group else info.plural


def get_objects(store, requests: list[tuple[str, list[str]]], query: Query,
                order: Callable[[list[Row]], list[Row]] | None = None) -> GetResult:
    """Each requested kind's rows from the store and/or the members; `order` sorts each kind's rows."""
    from karmadactl.errors import UsageError

    result = GetResult([])
    targets: list[Cluster] | None = None
    for kind, names in requests:
        info, ns, found, crd = _stored(store, kind, query)
        if info is None:
            if query.every_kind and kind in ALL_KINDS:
                continue            # a kind of the "all" category nothing here serves
            raise UsageError(f'get: the server doesn\'t have a resource type "{kind}"')
        rows: list[Row]
        if query.scope == "karmada":
            if names:
                found = _pick(found, names, info, ns, ignore_not_found=query.ignore_not_found)
            rows = [(None, o) for o in found]
        else:
            if info.group.endswith("karmada.io"):
                raise UsageError(f"--scope {query.scope}: {info.plural} live only in the store")
            if targets is None:
                from karmadactl.commands.members import chosen_clusters

                targets = chosen_clusters(store, query.clusters)
            rows = _with_members(store, targets, info, ns, found, names, query, result)
        if order is not None:
            rows = order(rows)
        result.kinds.append(KindRows(info, ns, tuple(names), rows, crd))
    result.single = len(requests) == 1 and len(requests[0][1]) == 1
    return result


def _stored(store, kind: str, query: Query) -> tuple[Kind | None, str | None, list[dict], dict | None]:
    """The kind as typed, its namespace to read, the store's objects of it (none with --scope
    members) and the CRD that defines it."""
    from karmadactl.controllers.discovery import lookup
    from karmadactl.controllers.templates import crds

    with store.read() as tx:
        info = lookup(tx, kind)
        if info is None and query.scope != "karmada":    # a kind only the members serve (their discovery)
            from karmadactl.commands.members import members_kind

            info = members_kind(store, query.clusters, kind)
        if info is None:
            return None, None, [], None
        ns = None if (query.all_namespaces or not info.namespaced) else query.namespace
        found = tx.list(info.group_kind, namespace=ns, selector=query.match) if query.scope != "members" else []
        return info, ns, found, _crd_of(crds(tx), info)


def _crd_of(crds: list[dict], info: Kind) -> dict | None:
    for crd in crds:
        spec = crd.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        names = spec.get("names")
        names = names if isinstance(names, dict) else {}
        if spec.get("group") == info.group and names.get("kind") == info.kind:
            return crd
    return None


def _with_members(store, targets: list[Cluster], info: Kind, ns: str | None, found: list[dict],
                  names: list[str], query: Query, result: GetResult) -> list[Row]:
    """The store's rows (--scope all) then the members' live objects of one kind."""
    from karmadactl.commands.members import read_members
    from karmadactl.errors import NotFound

    members, missed, reached = read_members(store, targets, info, namespace=ns, selector=query.selector,
                                            names=names)
    result.failures.update(missed)
    result.answered |= reached
    if names:
        found = [o for o in found if o["metadata"]["name"] in names]
    rows: list[Row] = [(KARMADA_ROW, o) for o in found]
    rows += members
    if names and not rows and not missed and not query.ignore_not_found:
        where = f' in namespace "{ns}"' if ns else ""
        raise NotFound(f'{plural(info)} "{names[0]}" not found{where} in any member cluster')
    return rows


def _pick(found: list[dict], names: list[str], info: Kind, ns: str | None, *, ignore_not_found: bool = False
          ) -> list[dict]:
    from karmadactl.errors import NotFound

    by_name = {o["metadata"]["name"]: o for o in found}
    missing = [n for n in names if n not in by_name]
    if missing and ignore_not_found:
        return [by_name[n] for n in names if n in by_name]
    if missing:
        where = f' in namespace "{ns}"' if ns else ""
        raise NotFound(f'{plural(info)} "{missing[0]}" not found{where}')
    return [by_name[n] for n in names]
