"""ResourceQuota status for the sandbox's namespaces, as kube-controller-manager's resourcequota
controller writes it.

`status.hard` is the spec's hard; `status.used` has one entry per hard resource: the pods that
are not terminal (phase Succeeded or Failed) count for `pods` and `count/pods` and add their
effective requests (`cpu`, `memory`, `requests.*`) and limits (`limits.*`); `count/<resource>`
and the legacy names (`services`, `configmaps`, `secrets`, ...) count objects. A resource
karmadactl does not evaluate is reported as 0. Usage is pure (`usage`); `QuotaController` only
recomputes a namespace's quotas after a write there, synchronously.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from karmadactl.apis.quantity import DECIMAL_SI, format_quantity, parse_quantity, pod_requests, quantity_format
from karmadactl.errors import InvalidInput

if TYPE_CHECKING:
    from karmadactl.sandbox.resources import ResourceType
    from karmadactl.sandbox.writes import Cluster

PODS = ("", "pods")
QUOTAS = ("", "resourcequotas")
MANAGER = "kube-controller-manager"
# the object counts kube names without count/ (pkg/quota/v1/evaluator/core)
LEGACY_COUNTS = {"services": ("", "services"), "configmaps": ("", "configmaps"), "secrets": ("", "secrets"),
                 "persistentvolumeclaims": ("", "persistentvolumeclaims"),
                 "replicationcontrollers": ("", "replicationcontrollers"),
                 "resourcequotas": ("", "resourcequotas")}


def terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_limits(spec: dict) -> dict[str, Fraction]:
    """A pod's limits by the same rule as its requests (containers summed, init containers maxed)."""
    as_requests = {**spec,
                   "containers": [{"resources": {"requests": (c.get("resources") or {}).get("limits")}}
                                  for c in spec.get("containers") or []],
                   "initContainers": [{"restartPolicy": c.get("restartPolicy"),
                                       "resources": {"requests": (c.get("resources") or {}).get("limits")}}
                                      for c in spec.get("initContainers") or []],
                   "overhead": spec.get("overhead")}
    return pod_requests(as_requests)


def _pod_amount(resource: str, pods: list[dict]) -> Fraction | None:
    if resource in ("pods", "count/pods"):
        return Fraction(len(pods))
    prefix, _, name = resource.partition(".") if resource.startswith(("requests.", "limits.")) else ("", "", resource)
    if prefix == "" and name not in ("cpu", "memory", "ephemeral-storage"):
        return None
    measure = pod_limits if prefix == "limits" else pod_requests
    return sum((measure(p.get("spec") or {}).get(name, Fraction(0)) for p in pods), Fraction(0))


def _group_resource(resource: str) -> tuple[str, str] | None:
    if resource in LEGACY_COUNTS:
        return LEGACY_COUNTS[resource]
    if resource.startswith("count/"):
        plural, _, group = resource[len("count/"):].partition(".")
        return group, plural
    return None


def usage(hard: dict, pods: list[dict], counts: dict[tuple[str, str], int]) -> dict[str, str]:
    """status.used for a quota with `hard`: pods are the namespace's pods, counts the number of
    objects of each (group, resource) there. Each amount is written in its hard value's format."""
    live = [p for p in pods if not terminal(p)]
    used = {}
    for resource, limit in hard.items():
        amount = _pod_amount(resource, live)
        if amount is None:
            gr = _group_resource(resource)
            amount = Fraction(counts.get(gr, 0)) if gr is not None else Fraction(0)
        used[resource] = format_quantity(amount, _format(limit))
    return used


def _format(value) -> str:
    try:
        return quantity_format(value)
    except InvalidInput:
        return DECIMAL_SI


def canonical(hard: dict) -> dict[str, str]:
    """Quantities as the apiserver stores them ("1000m" -> "1"); what does not parse is kept as it is."""
    out = {}
    for resource, value in hard.items():
        try:
            out[resource] = format_quantity(parse_quantity(value), quantity_format(value))
        except InvalidInput:
            out[resource] = str(value)
    return out


def quota_status(quota: dict, pods: list[dict], counts: dict[tuple[str, str], int]) -> dict:
    hard = canonical(((quota.get("spec") or {}).get("hard")) or {})
    if not hard:
        return {}
    return {"hard": hard, "used": usage(hard, pods, counts)}


class QuotaController:
    """Keeps the status of a sandbox member's ResourceQuotas current."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def written(self, rt: ResourceType, obj: dict, sub: str) -> None:
        if rt.group_resource == QUOTAS and sub == "status":
            return
        self.sync(obj["metadata"].get("namespace", ""))

    def removed(self, rt: ResourceType, obj: dict) -> None:
        if rt.group_resource != QUOTAS:
            self.sync(obj["metadata"].get("namespace", ""))

    def sync(self, namespace: str) -> None:
        if not namespace:
            return
        quotas = self.cluster.store.list(QUOTAS, namespace)
        if not quotas:
            return
        pods = self.cluster.store.peek(PODS, namespace)                   # read only
        counts: dict[tuple[str, str], int] = {}
        for gr, _ in self.cluster.store.keys_in_namespace(namespace):
            counts[gr] = counts.get(gr, 0) + 1
        rt = self.cluster.registry.lookup("", "v1", "resourcequotas")
        assert rt is not None
        for quota in quotas:
            status = quota_status(quota, pods, counts)
            if status != (quota.get("status") or {}):
                self.cluster.update(rt, quota, dict(quota, status=status), manager=MANAGER, sub="status")
