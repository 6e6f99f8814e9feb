"""A member's resource metrics API (metrics.k8s.io/v1beta1, served by metrics-server).

As kubectl top does, the API counts as available only when discovery (/apis)
lists the metrics.k8s.io group with version v1beta1.
"""

from __future__ import annotations

from karmadactl.errors import KarmadaError
from karmadactl.members.client import MemberClient, ObjectNotFound

GROUP = "metrics.k8s.io"
VERSION = "v1beta1"
BASE = f"/apis/{GROUP}/{VERSION}"


class MetricsUnavailable(KarmadaError):
    """The member does not serve metrics.k8s.io/v1beta1 (no metrics-server)."""


def check_available(client: MemberClient) -> None:
    groups = client.get_json("/apis")
    for group in groups.get("groups") or []:
        if group.get("name") == GROUP and any(v.get("version") == VERSION
                                              for v in group.get("versions") or []):
            return
    raise MetricsUnavailable(f"cluster {client.name}: metrics API not available")


def _query(selector: str | None) -> dict:
    return {"labelSelector": selector} if selector else {}


def pod_metrics(client: MemberClient, namespace: str | None, name: str | None = None,
                selector: str | None = None) -> list[dict]:
    """PodMetrics of one namespace (None: all); with `name` the one pod ([] when the member
    has no such pod or no metrics for it)."""
    check_available(client)
    scope = f"/namespaces/{namespace}" if namespace else ""
    if name is not None:
        try:
            return [client.get_json(f"{BASE}{scope}/pods/{name}",
                                    what=f"get podmetrics {namespace}/{name}")]
        except ObjectNotFound:
            return []
    doc = client.get_json(f"{BASE}{scope}/pods", _query(selector), what="list podmetrics")
    return list(doc.get("items") or [])


def node_metrics(client: MemberClient, name: str | None = None, selector: str | None = None
                 ) -> tuple[list[dict], dict[str, dict]]:
    """(NodeMetrics, node name -> status.allocatable) of one node or all (selected) nodes."""
    check_available(client)
    if name is not None:
        try:
            found = [client.get_json(f"{BASE}/nodes/{name}", what=f"get nodemetrics {name}")]
        except ObjectNotFound:
            return [], {}
        node = client.get("v1", "nodes", name)
        nodes = [node] if node else []
    else:
        doc = client.get_json(f"{BASE}/nodes", _query(selector), what="list nodemetrics")
        found = list(doc.get("items") or [])
        nodes = client.list("v1", "nodes", label_selector=selector)
    allocatable = {n["metadata"]["name"]: (n.get("status") or {}).get("allocatable") or {}
                   for n in nodes}
    return found, allocatable


CUSTOM_BASE = "/apis/custom.metrics.k8s.io/v1beta2"


def custom_pod_metrics(client: MemberClient, namespace: str, metric: str, selector: str | None = None
                       ) -> list[dict]:
    """A Pods metric of the selected pods (custom.metrics.k8s.io MetricValueList items), as the HPA
    reads it; MemberAPIError when the member serves no such metric."""
    doc = client.get_json(f"{CUSTOM_BASE}/namespaces/{namespace}/pods/*/{metric}", _query(selector),
                          what=f"get pods metric {metric}")
    return list(doc.get("items") or [])


def custom_object_metric(client: MemberClient, namespace: str, plural: str, name: str, metric: str) -> dict:
    """One object's metric (the first MetricValue) from custom.metrics.k8s.io."""
    doc = client.get_json(f"{CUSTOM_BASE}/namespaces/{namespace}/{plural}/{name}/{metric}",
                          what=f"get {plural} {name} metric {metric}")
    items = doc.get("items") or []
    if not items:
        raise ObjectNotFound(client.name, 404, "NotFound", f"no metric {metric} for {plural} {name}")
    return dict(items[0])
