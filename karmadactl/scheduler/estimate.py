"""How many more replicas fit on a cluster: Karmada's general estimator; pure.

The estimate comes from the cluster's status.resourceSummary (allocatable,
allocated, allocating): the pods still allowed, and for every requested
resource the free amount divided by the per-replica request. CPU is compared
in millicores, everything else in whole base units (quantities rounded up, as
Kubernetes' Quantity.Value() and MilliValue() do).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from karmadactl.apis.quantity import parse_quantity
from karmadactl.errors import InvalidInput
from karmadactl.scheduler.types import MAX_INT32

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster


def _amount(resources: dict | None, name: str) -> Fraction:
    value = (resources or {}).get(name)
    return Fraction(0) if value is None else parse_quantity(value)


def _value(q: Fraction) -> int:
    """Quantity.Value(): whole units, rounded up."""
    return math.ceil(q)


def _milli(q: Fraction) -> int:
    """Quantity.MilliValue(): thousandths, rounded up."""
    return math.ceil(q * 1000)


@dataclass(frozen=True)
class FreeCapacity:
    """A cluster's free room in integers: pods, and per resource millicores (cpu) or base units."""

    pods: int
    resources: dict[str, int]
    answers: dict = field(default_factory=dict)    # request id -> replicas that fit


def free_capacity(cluster: Cluster) -> FreeCapacity | None:
    """allocatable - allocated - allocating from status.resourceSummary, computed once per status.

    The scheduler asks this for every binding and every cluster, so the answer is
    kept on the Cluster next to the status it was computed from.
    """
    status = cluster.status or {}
    cached = getattr(cluster, "_free_capacity", None)
    if cached is not None and cached[0] is status:
        return cached[1]
    summary = status.get("resourceSummary")
    free = None
    if summary:
        allocatable = summary.get("allocatable") or {}
        allocated = summary.get("allocated") or {}
        allocating = summary.get("allocating") or {}
        pods = (_value(_amount(allocatable, "pods")) - _value(_amount(allocated, "pods"))
                - _value(_amount(allocating, "pods")))
        resources = {}
        for name in allocatable:
            left = _amount(allocatable, name) - _amount(allocated, name) - _amount(allocating, name)
            resources[name] = _milli(left) if name == "cpu" else _value(left)
        free = FreeCapacity(pods, resources)
    object.__setattr__(cluster, "_free_capacity", (status, free))
    return free


def replica_request(requirements: dict | None) -> tuple | None:
    """A binding's replicaRequirements.resourceRequest as a hashable key; a wrong shape (a customization
    may return anything) is an InvalidInput naming the field, the binding's error."""
    if requirements is None:
        return None
    if not isinstance(requirements, dict):
        raise InvalidInput("replicaRequirements: expected a mapping")
    resources = requirements.get("resourceRequest") or {}
    if not isinstance(resources, dict):
        raise InvalidInput("replicaRequirements.resourceRequest: expected a mapping of quantities")
    for name, quantity in resources.items():
        try:
            parse_quantity(quantity)
        except InvalidInput as e:
            raise InvalidInput(f"replicaRequirements.resourceRequest.{name}: {e}") from None
    return tuple(resources.items())


def general_estimate(cluster: Cluster, requirements: dict | None) -> int:
    """Karmada's general estimator for one cluster (0 when the cluster reports no resources)."""
    return _estimate(cluster, replica_request(requirements))


_REQUEST_IDS: dict[tuple, int] = {}


def _estimate(cluster: Cluster, request: tuple | None, request_id: int | None = None) -> int:
    free = free_capacity(cluster)
    if free is None or free.pods <= 0:
        return 0
    if request is None:
        return free.pods
    if request_id is None:
        request_id = _REQUEST_IDS.setdefault(request, len(_REQUEST_IDS))
    known = free.answers.get(request_id)
    if known is None:
        known = free.answers[request_id] = _fits(free, _per_replica(request))
    return known


def _fits(free: FreeCapacity, per_replica: tuple[tuple[str, int], ...]) -> int:
    best = free.pods
    for name, request in per_replica:
        available = free.resources.get(name)
        if available is None or available <= 0:
            return 0
        best = min(best, available // request)
    return best


@functools.lru_cache(maxsize=1024)
def _per_replica(request: tuple[tuple[str, str], ...]) -> tuple[tuple[str, int], ...]:
    """A replica's positive requests in the estimator's integers (millicores for cpu)."""
    out = []
    for name, raw in request:
        quantity = parse_quantity(raw)
        if _value(quantity) > 0:
            out.append((name, _milli(quantity) if name == "cpu" else _value(quantity)))
    return tuple(out)


def replica_estimator(requirements: dict | None, replicas: int) -> Callable[[Cluster], int]:
    """estimate_replicas for one binding over many clusters, the request read once."""
    if replicas == 0:
        return lambda cluster: MAX_INT32
    request = replica_request(requirements)
    request_id = None if request is None else _REQUEST_IDS.setdefault(request, len(_REQUEST_IDS))

    def estimate(cluster: Cluster) -> int:
        answer = min(_estimate(cluster, request, request_id), MAX_INT32)
        return replicas if answer == MAX_INT32 else answer
    return estimate


def estimate_replicas(cluster: Cluster, requirements: dict | None, replicas: int) -> int:
    """Replicas the cluster can still take (the scheduler's AllocatableReplicas).

    As Karmada's calAvailableReplicas: non-workloads (replicas == 0) are not
    estimated and keep MaxInt32; an answer of MaxInt32 becomes ``replicas``.
    """
    if replicas == 0:
        return MAX_INT32
    estimate = min(general_estimate(cluster, requirements), MAX_INT32)
    return replicas if estimate == MAX_INT32 else estimate
