"""Reading the members for get, describe and top: the kinds only the members serve, and one kind's
live objects (or one object with its events) in each member, in parallel."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.kinds import Kind

MEMBERS_AT_ONCE = 8


def chosen_clusters(store, clusters: str | None) -> list[Cluster]:
    """The joined clusters a -C a,b option names, or all of them."""
    from karmadactl.controllers.clusters import list_clusters

    return list_clusters(store, [c for c in (clusters or "").split(",") if c] or None)


def members_kind(store, clusters: str | None, typed: str) -> Kind | None:
    """The Kind a user typed as the members' discovery knows it (a CRD only the members have, events,
    controllerrevisions, ...), asking the clusters in name order until one knows it; None when none does."""
    from karmadactl.apis.kinds import Kind
    from karmadactl.controllers.clusters import client_for
    from karmadactl.errors import KarmadaError
    from karmadactl.members import discovery

    for cluster in sorted(chosen_clusters(store, clusters), key=lambda c: c.name):
        try:
            client = client_for(store, cluster)
        except KarmadaError:
            continue
        try:
            found = discovery.resolve(discovery.api_resources(client), typed)
        except KarmadaError:
            continue            # an unreachable member is reported when its objects are read
        finally:
            client.close()
        if found is not None:
            return Kind(found.group_version, found.kind, found.name, found.namespaced, found.short_names)
    return None


def read_members(store, clusters: list[Cluster], info: Kind, *, namespace: str | None, selector: str | None,
                 names: list[str] | None) -> tuple[list[tuple[str, dict]], dict[str, str], set[str]]:
    """Live objects of one kind in each member, in parallel.

    Returns ((cluster, object) sorted by cluster, namespace, name; cluster -> why it could not be read;
    the clusters that answered).
    """
    from karmadactl.members.fanout import Fleet

    def read(cluster: Cluster, client) -> list[dict]:
        from karmadactl.members.client import ObjectNotFound

        plural = cluster.resource_for(info.api_version, info.kind)
        try:
            return client.list(info.api_version, plural or info.plural, namespace=namespace,
                               label_selector=selector)
        except ObjectNotFound:
            return []            # the member does not serve this kind (its CRDs may have changed)

    with Fleet(store) as fleet:
        read_back = fleet.each(clusters, read, at_once=MEMBERS_AT_ONCE)
    found: list[tuple[str, dict]] = []
    wanted = set(names or ())
    for cluster_name, items in read_back.values.items():
        found.extend((cluster_name, o) for o in items if not wanted or o["metadata"]["name"] in wanted)
    found.sort(key=lambda r: (r[0], r[1]["metadata"].get("namespace", ""), r[1]["metadata"]["name"]))
    return found, read_back.errors, set(read_back.values)


def read_described(store, clusters: list[Cluster], info: Kind, name: str, namespace: str | None
                   ) -> tuple[list[tuple[str, dict, list[dict]]], dict[str, str], list[str]]:
    """Each member's object and events, in parallel: ([(cluster, object, events)] by cluster name,
    cluster -> why it could not be read, clusters where there is no such object)."""
    from karmadactl.members.fanout import Fleet
    from karmadactl.members.lens import object_with_events

    def read(cluster: Cluster, client) -> tuple[dict | None, list[dict]]:
        plural = cluster.resource_for(info.api_version, info.kind) or info.plural
        return object_with_events(client, info.api_version, plural, name, namespace, info.kind)

    with Fleet(store) as fleet:
        read_back = fleet.each(sorted(clusters, key=lambda c: c.name), read, at_once=MEMBERS_AT_ONCE)
    found: list[tuple[str, dict, list[dict]]] = []
    absent: list[str] = []
    for cluster_name, (obj, events) in read_back.values.items():
        if obj is None:
            absent.append(cluster_name)
        else:
            found.append((cluster_name, obj, events))
    return found, read_back.errors, absent
