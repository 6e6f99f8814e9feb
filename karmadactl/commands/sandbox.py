"""sandbox up/down: join the sandbox members to the store, and unjoin them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.controllers.clusters import JoinResult

SANDBOX_LABEL = "sandbox.karmadactl.io/member"


def topology(index: int) -> tuple[str, str]:
    """Region and zone of sandbox member N, so spread constraints have something to spread over."""
    region = "region-1" if index <= 2 else "region-2"
    return region, f"{region}-zone-{index}"


def join_member(store, index: int, name: str, kubeconfig: str) -> JoinResult:
    """Join sandbox member N (its kubeconfig file) with its provider, region, zone and label."""
    from karmadactl.controllers import clusters

    region, zone = topology(index)
    properties = clusters.Properties(provider="sandbox", region=region, zones=[zone],
                                     labels={SANDBOX_LABEL: "true"})
    return clusters.join(store, name, kubeconfig=kubeconfig, context=None, properties=properties)


def unjoin_member(store, name: str) -> bool:
    """Unjoin a stopped member, leaving what was pushed to it; False when it was not joined."""
    from karmadactl.controllers import clusters
    from karmadactl.errors import NotFound

    try:
        clusters.unjoin(store, name, keep_resources=True)
    except NotFound:
        return False
    return True
