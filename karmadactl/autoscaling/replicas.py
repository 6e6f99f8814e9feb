"""The replica calculator of Karmada's FederatedHPA: desired replicas from per-pod metrics; pure.

Karmada lifts Kubernetes' HPA (pkg/controller/podautoscaler/replica_calculator.go, release 1.27) into
pkg/controllers/federatedhpa/replica_calculator.go and metrics/utilization.go, with one change: the
pods come from every member cluster the workload is scheduled to, and each proposal is divided by a
calibration, Σ(member spec.replicas) / template spec.replicas, so a Duplicated workload on three
clusters (calibration 3) is counted once. Pods are keyed by "<cluster>/<name>", as Karmada's
ClusteredKey of the query-source annotation and the pod name.

Values are milli-units (Quantity.MilliValue): cpu in millicores, memory in milli-bytes. Errors are
CalculationError with Kubernetes' messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TOLERANCE = 0.1                                        # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = timedelta(minutes=5)       # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = timedelta(seconds=30)        # --horizontal-pod-autoscaler-initial-readiness-delay
_ZERO_TIME = datetime.min.replace(tzinfo=UTC)          # Go's zero time: a condition without a transition time


class CalculationError(Exception):
    """The replica count could not be computed from a metric (the message is Kubernetes')."""


@dataclass(frozen=True)
class Pod:
    """What the calculator reads of one member pod."""

    key: str                                   # "<cluster>/<name>"
    name: str
    phase: str = "Running"
    deleting: bool = False
    ready: str | None = "True"                 # the Ready condition's status; None: no such condition
    ready_since: datetime | None = None        # the Ready condition's lastTransitionTime
    start_time: datetime | None = None
    requests: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()   # (container, ((resource, milli), ...))

    def request(self, resource: str, container: str = "") -> int:
        """Σ the container requests of `resource` (one container when named), milli-units."""
        total = 0
        for name, requests in self.requests:
            if container and name != container:
                continue
            found = dict(requests).get(resource)
            if found is None:
                raise CalculationError(f"missing request for {resource} in container {name} of Pod {self.name}")
            total += found
        return total


@dataclass(frozen=True)
class Sample:
    """One pod's metric value (milli-units), when it was taken and over which window."""

    value: int
    timestamp: datetime
    window: timedelta = timedelta(seconds=15)


@dataclass
class Groups:
    ready: int = 0
    unready: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)


def group_pods(pods: list[Pod], samples: dict[str, Sample], resource: str, now: datetime) -> Groups:
    """Kubernetes' groupPods: deleting or Failed pods are ignored, Pending ones unready, those without a
    sample missing; for cpu only, a pod is unready without a Ready condition or start time, within the
    cpu initialization period when not Ready or its sample predates readiness, and later when it is not
    Ready and never was since start."""
    out = Groups()
    for pod in pods:
        if pod.deleting or pod.phase == "Failed":
            out.ignored.add(pod.key)
            continue
        if pod.phase == "Pending":
            out.unready.add(pod.key)
            continue
        sample = samples.get(pod.key)
        if sample is None:
            out.missing.add(pod.key)
            continue
        if resource == "cpu" and _cpu_unready(pod, sample, now):
            out.unready.add(pod.key)
            continue
        out.ready += 1
    return out


def _cpu_unready(pod: Pod, sample: Sample, now: datetime) -> bool:
    if pod.ready is None or pod.start_time is None:
        return True
    since = pod.ready_since or _ZERO_TIME
    if pod.start_time + CPU_INITIALIZATION_PERIOD > now:
        return pod.ready == "False" or sample.timestamp < since + sample.window
    return pod.ready == "False" and pod.start_time + INITIAL_READINESS_DELAY > since


def utilization_ratio(samples: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int, int]:
    """(ratio to target, utilization %, raw average) over the pods that have both a sample and a request."""
    total = requested = entries = 0
    for key, value in samples.items():
        if key not in requests:
            continue
        total += value
        requested += requests[key]
        entries += 1
    if requested == 0:
        raise CalculationError("no metrics returned matched known pods")
    utilization = total * 100 // requested
    return utilization / target, utilization, total // entries


def usage_ratio(samples: dict[str, int], target: int) -> tuple[float, int]:
    usage = sum(samples.values()) // len(samples)
    return usage / target, usage


def _within(ratio: float) -> bool:
    return abs(1.0 - ratio) <= TOLERANCE


@dataclass(frozen=True)
class Proposal:
    replicas: int
    utilization: int | None = None       # Utilization targets: the current percentage
    value: int = 0                       # the raw average (milli-units)


def resource_replicas(current: int, target_utilization: int, resource: str, pods: list[Pod],
                      samples: dict[str, Sample], calibration: float, now: datetime,
                      container: str = "") -> Proposal:
    """GetResourceReplicas: a Utilization target (percent of the pods' requests)."""
    if not pods:
        raise CalculationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, resource, now)
    values = {k: s.value for k, s in samples.items() if k not in groups.ignored and k not in groups.unready}
    requests = {pod.key: pod.request(resource, container) for pod in pods}
    if not values:
        raise CalculationError("did not receive metrics for any ready pods")
    ratio, utilization, raw = utilization_ratio(values, requests, target_utilization)
    fallback = max(100, target_utilization)
    replicas = _replicas(current, ratio, groups, values, calibration,
                         lambda key: requests[key] * fallback // 100,
                         lambda filled: utilization_ratio(filled, requests, target_utilization)[0])
    return Proposal(replicas, utilization, raw)


def _replicas(current: int, ratio: float, groups: Groups, values: dict[str, int], calibration: float,
              missing_value: Callable[[str], int], ratio_of: Callable[[dict[str, int]], float]) -> int:
    """The proposal of a per-pod metric: from the ready pods alone when no pod lacks a sample and no
    unready pod would join a scale-up; otherwise with missing pods assumed at `missing_value` (scale
    down) or 0 (scale up) and unready ones at 0 (scale up), the ratio taken again by `ratio_of`."""
    up_with_unready = bool(groups.unready) and ratio > 1.0
    if not up_with_unready and not groups.missing:
        return current if _within(ratio) else math.ceil(ratio * groups.ready / calibration)
    if groups.missing:
        if ratio < 1.0:
            values.update({k: missing_value(k) for k in groups.missing})
        elif ratio > 1.0:
            values.update({k: 0 for k in groups.missing})
    if up_with_unready:
        values.update({k: 0 for k in groups.unready})
    return _rebalanced(current, ratio, ratio_of(values), len(values), calibration)


def _rebalanced(current: int, ratio: float, new_ratio: float, count: int, calibration: float) -> int:
    """The count after missing and unready pods were filled in; the current one when the change is
    within tolerance or would turn the direction of scaling."""
    if _within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current
    replicas = math.ceil(new_ratio * count / calibration)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def plain_replicas(current: int, target: int, resource: str, pods: list[Pod], samples: dict[str, Sample],
                   calibration: float, now: datetime) -> Proposal:
    """calcPlainMetricReplicas: an AverageValue target of a resource, or a Pods metric (resource "")."""
    if not pods:
        raise CalculationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, resource, now)
    values = {k: s.value for k, s in samples.items() if k not in groups.ignored and k not in groups.unready}
    if not values:
        raise CalculationError("did not receive metrics for any ready pods")
    ratio, usage = usage_ratio(values, target)
    replicas = _replicas(current, ratio, groups, values, calibration,
                         lambda key: target, lambda filled: usage_ratio(filled, target)[0])
    return Proposal(replicas, None, usage)


def ready_pods(pods: list[Pod]) -> int:
    return sum(1 for pod in pods if pod.phase == "Running" and pod.ready == "True")


def object_replicas(current: int, usage: int, target: int, pods: list[Pod], calibration: float) -> Proposal:
    """GetObjectMetricReplicas: a Value target of one object's metric."""
    ratio = usage / target
    if current == 0:
        return Proposal(math.ceil(ratio), None, usage)
    if _within(ratio):
        return Proposal(current, None, usage)
    if not pods:
        raise CalculationError("unable to calculate ready pods: no pods returned by selector while "
                               "calculating replica count")
    return Proposal(math.ceil(ratio * ready_pods(pods) / calibration), None, usage)


def object_per_pod_replicas(status_replicas: int, usage: int, target_average: int,
                            calibration: float) -> Proposal:
    """GetObjectPerPodMetricReplicas: an AverageValue target of one object's metric (Karmada divides the
    out-of-tolerance count by the calibration twice, as its code does)."""
    replicas = status_replicas
    ratio = usage / (target_average * replicas) if replicas else math.inf
    if abs(1.0 - ratio) > TOLERANCE:
        replicas = math.ceil(usage / target_average / calibration)
    average = math.ceil(usage / status_replicas) if status_replicas else 0
    return Proposal(math.ceil(replicas / calibration), None, average)
