"""logs: the clusters to read a workload's logs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.apis.cluster import Cluster


def log_clusters(store, kind: str | None, name: str | None, namespace: str, names: list[str] | None
                 ) -> list[Cluster]:
    """The clusters to look in: the ones named (-C), else those the workload `kind`/`name` is scheduled
    to (all when it has no binding), else all (kind None: a pod or a selector)."""
    from karmadactl.controllers.clusters import list_clusters

    if names:
        return list_clusters(store, names)
    clusters = list_clusters(store)
    if kind is None or name is None:
        return clusters
    from karmadactl.apis import kinds
    from karmadactl.apis.karmada import load_binding
    from karmadactl.controllers.detector import binding_name
    from karmadactl.store.keys import ObjectKey

    with store.read() as tx:
        stored = tx.get(ObjectKey(kinds.BINDINGS[0], namespace, binding_name(name, kind)))
    if stored is None:
        return clusters
    scheduled = set(load_binding(stored).spec.target_names())
    return [c for c in clusters if c.name in scheduled]
