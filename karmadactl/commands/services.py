"""Multi-cluster services as `get` shows them: which clusters export each ServiceExport's service."""

from __future__ import annotations

SERVICE_EXPORT_GK = "ServiceExport.multicluster.x-k8s.io"


def exporting_clusters(store) -> dict[tuple[str, str], list[str]]:
    """(namespace, name) -> the clusters where that ServiceExport is applied, sorted."""
    from karmadactl.controllers import mcs

    with store.read() as tx:
        return mcs.service_clusters(tx, "ServiceExport")
