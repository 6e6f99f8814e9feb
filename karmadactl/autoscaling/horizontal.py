"""One FederatedHPA pass, from what was read to what to write: desired replicas, status, events; pure.

Karmada's pkg/controllers/federatedhpa/federatedhpa_controller.go (reconcileAutoscaler from the
template's scale on, computeReplicasForMetrics, normalizeDesiredReplicas[WithBehaviors],
stabilizeRecommendation[WithBehaviors], convertDesiredReplicasWithBehaviorRate, storeScaleEvent,
setStatus, setCondition), itself lifted from Kubernetes' pkg/controller/podautoscaler/horizontal.go.
Karmada keeps the recommendations and scale events in memory; karmadactl keeps them in a `History`
the caller stores between passes, so `watch --once` run from cron stabilizes as a long-running
controller does.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from karmadactl.apis.autoscaling import (
    AVERAGE_VALUE,
    CONTAINER_RESOURCE,
    OBJECT,
    PODS,
    POLICY_PODS,
    RESOURCE,
    SELECT_DISABLED,
    SELECT_MIN,
    VALUE,
    ContainerResourceMetricStatus,
    FederatedHPA,
    FederatedHPAStatus,
    HorizontalPodAutoscalerCondition,
    HPAScalingRules,
    MetricSpec,
    MetricStatus,
    MetricValueStatus,
    ObjectMetricStatus,
    PodsMetricStatus,
    ResourceMetricStatus,
)
from karmadactl.apis.meta import rfc3339
from karmadactl.apis.quantity import format_quantity
from karmadactl.autoscaling import replicas as calc
from karmadactl.autoscaling.replicas import CalculationError, Pod, Proposal, Sample

DOWNSCALE_STABILIZATION = timedelta(minutes=5)      # --horizontal-pod-autoscaler-downscale-stabilization
SYNC_PERIOD = timedelta(seconds=15)                 # --horizontal-pod-autoscaler-sync-period
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0

ABLE_TO_SCALE, SCALING_ACTIVE, SCALING_LIMITED = "AbleToScale", "ScalingActive", "ScalingLimited"
NORMAL, WARNING = "Normal", "Warning"


# ---------------------------------------------------------------- what is kept between passes

@dataclass
class Recommendation:
    replicas: int
    at: datetime


@dataclass
class ScaleEvent:
    change: int                  # replicas added (scale up) or removed (scale down)
    at: datetime
    outdated: bool = False


@dataclass
class History:
    """Karmada's in-memory recommendations and scale events of one FederatedHPA."""

    recommendations: list[Recommendation] = field(default_factory=list)
    scale_up: list[ScaleEvent] = field(default_factory=list)
    scale_down: list[ScaleEvent] = field(default_factory=list)

    def to_dict(self) -> dict:
        def events(found: list[ScaleEvent]) -> list[dict]:
            return [{"change": e.change, "at": e.at.isoformat(), "outdated": e.outdated} for e in found]
        return {"recommendations": [{"replicas": r.replicas, "at": r.at.isoformat()} for r in self.recommendations],
                "scaleUpEvents": events(self.scale_up), "scaleDownEvents": events(self.scale_down)}

    @classmethod
    def from_dict(cls, d: dict | None) -> History:
        d = d or {}

        def events(key: str) -> list[ScaleEvent]:
            return [ScaleEvent(int(e["change"]), datetime.fromisoformat(e["at"]), bool(e.get("outdated")))
                    for e in d.get(key) or []]
        return cls([Recommendation(int(r["replicas"]), datetime.fromisoformat(r["at"]))
                    for r in d.get("recommendations") or []], events("scaleUpEvents"), events("scaleDownEvents"))


# ---------------------------------------------------------------- what was read

@dataclass(frozen=True)
class PodUsage:
    """One pod's PodMetrics: milli-units per container and resource."""

    timestamp: datetime
    window: timedelta
    containers: dict[str, dict[str, int]]

    def sample(self, resource: str, container: str = "") -> Sample | None:
        total, found = 0, False
        for name, usage in self.containers.items():
            if container and name != container:
                continue
            if resource in usage:
                total += usage[resource]
                found = True
        return Sample(total, self.timestamp, self.window) if found or not container else None


@dataclass
class Observation:
    """What the controller read of the target: the template's replicas, the answering members' scale, the
    pods they run for it, and the metrics they serve."""

    template_replicas: int
    member_spec_replicas: int                     # Σ spec.replicas over the members that answered
    member_status_replicas: int
    pods: list[Pod] = field(default_factory=list)
    usage: dict[str, PodUsage] = field(default_factory=dict)          # metrics.k8s.io, by pod key
    usage_error: str | None = None                                    # no member served metrics.k8s.io
    pods_metrics: dict[str, dict[str, Sample] | str] = field(default_factory=dict)   # name -> samples or error
    object_metrics: dict[str, int | str] = field(default_factory=dict)                # name -> value or error
    selector: str = ""                                                # the target's, as its scale reports it
    controlled_by: list[str] = field(default_factory=list)           # FederatedHPAs selecting these pods


@dataclass
class Event:
    type: str
    reason: str
    message: str


@dataclass
class Decision:
    current: int
    desired: int
    rescale: bool
    reason: str
    status: FederatedHPAStatus
    history: History
    events: list[Event] = field(default_factory=list)
    error: str | None = None


# ---------------------------------------------------------------- conditions

def set_condition(status: FederatedHPAStatus, kind: str, value: str, reason: str, message: str,
                  now: datetime) -> None:
    """Kubernetes' setConditionInList: the transition time moves only when the status changes."""
    found = status.condition(kind)
    if found is None:
        found = HorizontalPodAutoscalerCondition(type=kind)
        status.conditions.append(found)
    if found.status != value:
        found.last_transition_time = rfc3339(now)
    found.status, found.reason, found.message = value, reason, message


def milli(value: int) -> str:
    """resource.NewMilliQuantity(value, DecimalSI) as a string."""
    return format_quantity(Fraction(value, 1000))


# ---------------------------------------------------------------- one metric

@dataclass
class _Result:
    proposal: Proposal | None = None
    name: str = ""
    status: MetricStatus = field(default_factory=MetricStatus)
    failure: tuple[str, str] | None = None       # (condition reason, message of the error)
    error: str = ""


def _resource(spec: MetricSpec, current: int, obs: Observation, calibration: float, now: datetime) -> _Result:
    container_source = spec.type == CONTAINER_RESOURCE
    source = spec.container_resource if container_source else spec.resource
    assert source is not None
    resource = source.name
    container = spec.container_resource.container if spec.container_resource is not None else ""
    reason = "FailedGetContainerResourceMetric" if container_source else "FailedGetResourceMetric"
    outer = (f"failed to get {container} container metric value" if container_source
             else f"failed to get {resource} resource metric value")
    target = source.target
    try:
        if obs.usage_error is not None:
            raise CalculationError(f"unable to get metrics for resource {resource}: {obs.usage_error}")
        samples = {k: s for k, u in obs.usage.items() if (s := u.sample(resource, container)) is not None}
        if target.average_value is not None:
            proposal = calc.plain_replicas(current, _milli_of(target.average_value), resource, obs.pods, samples,
                                           calibration, now)
            name = f"{resource} resource"
            value = MetricValueStatus(average_value=milli(proposal.value))
        elif target.average_utilization is not None:
            proposal = calc.resource_replicas(current, target.average_utilization, resource, obs.pods, samples,
                                              calibration, now, container)
            name = (f"{resource} container resource utilization (percentage of request)" if container_source
                    else f"{resource} resource utilization (percentage of request)")
            value = MetricValueStatus(average_value=milli(proposal.value), average_utilization=proposal.utilization)
        else:
            raise CalculationError("invalid resource metric source: neither an average utilization target nor "
                                   "an average value target was set")
    except CalculationError as e:
        inner = f"failed to get {resource} utilization: {e}"
        return _Result(failure=(reason, inner), error=f"{outer}: {inner}")
    if container_source:
        status = MetricStatus(type=CONTAINER_RESOURCE, container_resource=ContainerResourceMetricStatus(
            name=resource, container=container, current=value))
    else:
        status = MetricStatus(type=RESOURCE, resource=ResourceMetricStatus(name=resource, current=value))
    return _Result(proposal, name, status)


def _pods(spec: MetricSpec, current: int, obs: Observation, calibration: float, now: datetime) -> _Result:
    assert spec.pods is not None
    metric = spec.pods.metric
    try:
        found = obs.pods_metrics.get(metric.name, "the server could not find the requested resource")
        if isinstance(found, str):
            raise CalculationError(f"unable to get metric {metric.name}: {found}")
        proposal = calc.plain_replicas(current, _milli_of(spec.pods.target.average_value or "0"), "", obs.pods,
                                       found, calibration, now)
    except CalculationError as e:
        return _Result(failure=("FailedGetPodsMetric", str(e)), error=f"failed to get pods metric value: {e}")
    status = MetricStatus(type=PODS, pods=PodsMetricStatus(metric=copy.deepcopy(metric),
                                                           current=MetricValueStatus(average_value=milli(proposal.value))))
    return _Result(proposal, f"pods metric {metric.name}", status)


def _object(spec: MetricSpec, namespace: str, current: int, obs: Observation, calibration: float) -> _Result:
    assert spec.object is not None
    source = spec.object
    ref = source.described_object
    found = obs.object_metrics.get(source.metric.name, "the server could not find the requested resource")
    try:
        if isinstance(found, str):
            raise CalculationError(f"unable to get metric {source.metric.name}: {ref.kind} on {namespace} "
                                   f"{ref.name}/{found}")
        if source.target.type == VALUE and source.target.value is not None:
            proposal = calc.object_replicas(current, found, _milli_of(source.target.value), obs.pods, calibration)
            status = ObjectMetricStatus(metric=copy.deepcopy(source.metric), described_object=copy.deepcopy(ref),
                                        current=MetricValueStatus(value=milli(proposal.value)))
            name = f"{ref.kind} metric {source.metric.name}"
        elif source.target.type == AVERAGE_VALUE and source.target.average_value is not None:
            proposal = calc.object_per_pod_replicas(obs.member_status_replicas, found,
                                                    _milli_of(source.target.average_value), calibration)
            status = ObjectMetricStatus(metric=copy.deepcopy(source.metric),
                                        current=MetricValueStatus(average_value=milli(proposal.value)))
            name = f"external metric {source.metric.name}({source.metric.selector})"
        else:
            raise CalculationError("invalid object metric source: neither a value target nor an average value "
                                   "target was set")
    except CalculationError as e:
        return _Result(failure=("FailedGetObjectMetric", str(e)), error=f"failed to get object metric value: {e}")
    return _Result(proposal, name, MetricStatus(type=OBJECT, object=status))


def _milli_of(quantity: str) -> int:
    from karmadactl.apis.quantity import parse_quantity

    return math.ceil(parse_quantity(quantity) * 1000)


def _metric(fhpa: FederatedHPA, spec: MetricSpec, current: int, obs: Observation, calibration: float,
            now: datetime) -> _Result:
    if spec.type in (RESOURCE, CONTAINER_RESOURCE):
        return _resource(spec, current, obs, calibration, now)
    if spec.type == PODS:
        return _pods(spec, current, obs, calibration, now)
    if spec.type == OBJECT:
        return _object(spec, fhpa.namespace, current, obs, calibration)
    error = f'unknown metric source type "{spec.type}"'
    return _Result(failure=("InvalidMetricSourceType", error), error=error)


@dataclass
class _Metrics:
    replicas: int
    name: str
    statuses: list[MetricStatus]
    error: str | None


def compute_replicas_for_metrics(fhpa: FederatedHPA, obs: Observation, status: FederatedHPAStatus,
                                 events: list[Event], now: datetime) -> _Metrics:
    """The largest proposal over the metrics (replicas -1: none can be used; error says why)."""
    if len(obs.controlled_by) > 1:
        others = " ".join(f"{{{name} {fhpa.namespace}}}" for name in sorted(obs.controlled_by))
        message = f"pods by selector {obs.selector} are controlled by multiple HPAs: [{others}]"
        events.append(Event(WARNING, "AmbiguousSelector", message))
        set_condition(status, SCALING_ACTIVE, "False", "AmbiguousSelector", message, now)
        return _Metrics(-1, "", [], message)
    specs = fhpa.spec.metrics or []
    current = obs.template_replicas
    calibration = obs.member_spec_replicas / current if current else 1.0
    statuses = [MetricStatus() for _ in specs]
    replicas, name = 0, ""
    invalid, first_error, first_failure = 0, "", ("", "")
    for i, spec in enumerate(specs):
        result = _metric(fhpa, spec, current, obs, calibration, now)
        if result.proposal is None:
            assert result.failure is not None
            events.append(Event(WARNING, result.failure[0], result.failure[1]))
            if invalid == 0:
                first_error, first_failure = result.error, result.failure
            invalid += 1
            continue
        statuses[i] = result.status
        if replicas == 0 or result.proposal.replicas > replicas:
            replicas, name = result.proposal.replicas, result.name
    error = f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: {first_error}" \
        if invalid else None
    if invalid >= len(specs) or (invalid and replicas < current):
        set_condition(status, SCALING_ACTIVE, "False", first_failure[0],
                      f"the HPA was unable to compute the replica count: {first_failure[1]}", now)
        return _Metrics(-1, "", statuses, error)
    set_condition(status, SCALING_ACTIVE, "True", "ValidMetricFound",
                  f"the HPA was able to successfully calculate a replica count from {name}", now)
    return _Metrics(replicas, name, statuses, error)


# ---------------------------------------------------------------- normalization

def stabilize(history: History, desired: int, now: datetime, window: timedelta) -> int:
    """stabilizeRecommendation: the highest recommendation within the window; the newest replaces an old one."""
    highest, old = desired, None
    cutoff = now - window
    for i, rec in enumerate(history.recommendations):
        if rec.at < cutoff:
            old = i
        elif rec.replicas > highest:
            highest = rec.replicas
    _record(history, old, Recommendation(desired, now))
    return highest


def _record(history: History, old: int | None, rec: Recommendation) -> None:
    if old is not None:
        history.recommendations[old] = rec
    else:
        history.recommendations.append(rec)


def scale_up_limit(current: int) -> int:
    return int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))


def convert_with_rules(current: int, desired: int, low: int, high: int) -> tuple[int, str, str]:
    """convertDesiredReplicasWithRules: [min, min(max, max(2·current, 4))]."""
    limit = scale_up_limit(current)
    if high > limit:
        top, reason, message = limit, "ScaleUpLimit", "the desired replica count is increasing faster than the " \
                                                      "maximum scale rate"
    else:
        top, reason, message = high, "TooManyReplicas", "the desired replica count is more than the maximum " \
                                                        "replica count"
    if desired < low:
        return low, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
    if desired > top:
        return top, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def normalize(fhpa: FederatedHPA, history: History, status: FederatedHPAStatus, current: int, desired: int,
              now: datetime, window: timedelta = DOWNSCALE_STABILIZATION) -> int:
    """normalizeDesiredReplicas: no behavior set."""
    stabilized = stabilize(history, desired, now, window)
    if stabilized != desired:
        set_condition(status, ABLE_TO_SCALE, "True", "ScaleDownStabilized",
                      "recent recommendations were higher than current one, applying the highest recent "
                      "recommendation", now)
    else:
        set_condition(status, ABLE_TO_SCALE, "True", "ReadyForNewScale", "recommended size matches current size", now)
    result, reason, message = convert_with_rules(current, stabilized, fhpa.min_replicas, fhpa.spec.max_replicas)
    set_condition(status, SCALING_LIMITED, "False" if result == stabilized else "True", reason, message, now)
    return result


def stabilize_with_behaviors(history: History, up: HPAScalingRules, down: HPAScalingRules, current: int,
                             desired: int, now: datetime) -> tuple[int, str, str]:
    """stabilizeRecommendationWithBehaviors: min(max(current, lowest within the up window), highest within
    the down window)."""
    up_cutoff = now - timedelta(seconds=up.stabilization_window_seconds or 0)
    down_cutoff = now - timedelta(seconds=down.stabilization_window_seconds or 0)
    up_rec, down_rec, old = desired, desired, None
    for i, rec in enumerate(history.recommendations):
        if rec.at > up_cutoff:
            up_rec = min(rec.replicas, up_rec)
        if rec.at > down_cutoff:
            down_rec = max(rec.replicas, down_rec)
        if rec.at < up_cutoff and rec.at < down_cutoff:
            old = i
    recommendation = min(max(current, up_rec), down_rec)
    _record(history, old, Recommendation(desired, now))
    if desired >= current:
        return recommendation, "ScaleUpStabilized", "recent recommendations were lower than current one, applying " \
                                                    "the lowest recent recommendation"
    return recommendation, "ScaleDownStabilized", "recent recommendations were higher than current one, applying " \
                                                  "the highest recent recommendation"


def _changed_in_period(period_seconds: int, events: list[ScaleEvent], now: datetime) -> int:
    cutoff = now - timedelta(seconds=period_seconds)
    return sum(e.change for e in events if e.at > cutoff)


def _period_start(current: int, period: int, history: History, now: datetime) -> int:
    return current - _changed_in_period(period, history.scale_up, now) + \
        _changed_in_period(period, history.scale_down, now)


def scale_up_limit_with_rules(current: int, history: History, rules: HPAScalingRules, now: datetime) -> int:
    """calculateScaleUpLimitWithScalingRules."""
    if rules.select_policy == SELECT_DISABLED:
        return current
    pick = min if rules.select_policy == SELECT_MIN else max
    result: int | None = None
    for policy in rules.policies or []:
        start = _period_start(current, policy.period_seconds, history, now)
        if policy.type == POLICY_PODS:
            proposed = start + policy.value
        else:
            proposed = math.ceil(start * (1 + policy.value / 100))
        result = proposed if result is None else pick(result, proposed)
    return result if result is not None else (2 ** 31 - 1 if pick is min else -(2 ** 31))


def scale_down_limit_with_rules(current: int, history: History, rules: HPAScalingRules, now: datetime) -> int:
    """calculateScaleDownLimitWithBehaviors."""
    if rules.select_policy == SELECT_DISABLED:
        return current
    pick = max if rules.select_policy == SELECT_MIN else min
    result: int | None = None
    for policy in rules.policies or []:
        start = _period_start(current, policy.period_seconds, history, now)
        if policy.type == POLICY_PODS:
            proposed = start - policy.value
        else:
            proposed = int(start * (1 - policy.value / 100))
        result = proposed if result is None else pick(result, proposed)
    return result if result is not None else (-(2 ** 31) if pick is max else 2 ** 31 - 1)


def convert_with_behavior_rate(fhpa: FederatedHPA, history: History, current: int, desired: int,
                               now: datetime) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate: the scale policies' rate limits, then min/max."""
    behavior = fhpa.spec.behavior
    assert behavior is not None and behavior.scale_up is not None and behavior.scale_down is not None
    if desired > current:
        limit = max(scale_up_limit_with_rules(current, history, behavior.scale_up, now), current)
        if fhpa.spec.max_replicas > limit:
            top, reason, message = limit, "ScaleUpLimit", "the desired replica count is increasing faster than " \
                                                          "the maximum scale rate"
        else:
            top, reason, message = fhpa.spec.max_replicas, "TooManyReplicas", "the desired replica count is more " \
                                                                              "than the maximum replica count"
        if desired > top:
            return top, reason, message
    elif desired < current:
        limit = min(scale_down_limit_with_rules(current, history, behavior.scale_down, now), current)
        if fhpa.min_replicas < limit:
            bottom, reason, message = limit, "ScaleDownLimit", "the desired replica count is decreasing faster " \
                                                               "than the maximum scale rate"
        else:
            bottom, reason, message = fhpa.min_replicas, "TooFewReplicas", "the desired replica count is less " \
                                                                           "than the minimum replica count"
        if desired < bottom:
            return bottom, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def normalize_with_behaviors(fhpa: FederatedHPA, history: History, status: FederatedHPAStatus, current: int,
                             desired: int, now: datetime, window: timedelta = DOWNSCALE_STABILIZATION) -> int:
    """normalizeDesiredReplicasWithBehaviors (a scaleDown window left unset takes the controller's flag)."""
    behavior = fhpa.spec.behavior
    assert behavior is not None and behavior.scale_up is not None and behavior.scale_down is not None
    down = behavior.scale_down
    if down.stabilization_window_seconds is None:
        down = HPAScalingRules(int(window.total_seconds()), down.select_policy, down.policies)
    stabilized, reason, message = stabilize_with_behaviors(history, behavior.scale_up, down, current, desired, now)
    if stabilized != desired:
        set_condition(status, ABLE_TO_SCALE, "True", reason, message, now)
    else:
        set_condition(status, ABLE_TO_SCALE, "True", "ReadyForNewScale", "recommended size matches current size", now)
    result, reason, message = convert_with_behavior_rate(fhpa, history, current, stabilized, now)
    set_condition(status, SCALING_LIMITED, "False" if result == stabilized else "True", reason, message, now)
    return result


def store_scale_event(fhpa: FederatedHPA, history: History, previous: int, new: int, now: datetime) -> None:
    """storeScaleEvent: kept only when behavior is set; an event older than the longest policy period is
    marked outdated and the newest replaces the last outdated one."""
    behavior = fhpa.spec.behavior
    if behavior is None:
        return
    up = new > previous
    rules = behavior.scale_up if up else behavior.scale_down
    events = history.scale_up if up else history.scale_down
    longest = max((p.period_seconds for p in (rules.policies if rules else None) or []), default=0)
    cutoff = now - timedelta(seconds=longest)
    old = None
    for i, event in enumerate(events):
        if event.at < cutoff:
            event.outdated = True
        if event.outdated:
            old = i
    change = ScaleEvent(new - previous if up else previous - new, now)
    if old is not None:
        events[old] = change
    else:
        events.append(change)


# ---------------------------------------------------------------- the pass

def decide(fhpa: FederatedHPA, obs: Observation, history: History, now: datetime,
           window: timedelta = DOWNSCALE_STABILIZATION) -> Decision:
    """reconcileAutoscaler from the template's scale on: what to scale to, the new status and the events."""
    status = copy.deepcopy(fhpa.status) if fhpa.status is not None else FederatedHPAStatus()
    history = copy.deepcopy(history)
    events: list[Event] = []
    set_condition(status, ABLE_TO_SCALE, "True", "SucceededGetScale",
                  "the HPA controller was able to get the target's current scale", now)
    current = obs.template_replicas
    if not history.recommendations:
        history.recommendations.append(Recommendation(current, now))
    low, high = fhpa.min_replicas, fhpa.spec.max_replicas
    statuses: list[MetricStatus] = []
    reason, error = "", None
    if obs.member_spec_replicas == 0 and low != 0:
        desired, rescale = 0, False
        set_condition(status, SCALING_ACTIVE, "False", "ScalingDisabled",
                      "scaling is disabled since the replica count of the target is zero", now)
    elif current > high:
        desired, rescale, reason = high, True, "Current number of replicas above Spec.MaxReplicas"
    elif current < low:
        desired, rescale, reason = low, True, "Current number of replicas below Spec.MinReplicas"
    else:
        computed = compute_replicas_for_metrics(fhpa, obs, status, events, now)
        if computed.replicas == -1:
            kept = _status(status, current, status.desired_replicas, status.current_metrics, None)
            assert computed.error is not None
            events.append(Event(WARNING, "FailedComputeMetricsReplicas", computed.error))
            return Decision(current, current, False, "", kept, history, events, computed.error)
        error, statuses = computed.error, computed.statuses
        desired = max(computed.replicas, 0)
        if desired > current:
            reason = f"{computed.name if computed.replicas > 0 else ''} above target"
        if desired < current:
            reason = "All metrics below target"
        if fhpa.spec.behavior is None:
            desired = normalize(fhpa, history, status, current, desired, now, window)
        else:
            desired = normalize_with_behaviors(fhpa, history, status, current, desired, now, window)
        rescale = desired != current
    if rescale:
        set_condition(status, ABLE_TO_SCALE, "True", "SucceededRescale",
                      f"the HPA controller was able to update the target scale to {desired}", now)
        events.append(Event(NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {reason}"))
        store_scale_event(fhpa, history, current, desired, now)
    else:
        desired = current
    return Decision(current, desired, rescale, reason,
                    _status(status, current, desired, statuses, now if rescale else None), history, events, error)


def _status(status: FederatedHPAStatus, current: int, desired: int, metrics: list[MetricStatus],
            scaled_at: datetime | None) -> FederatedHPAStatus:
    """setStatus: current and desired replicas, the metrics, the conditions; lastScaleTime on a rescale."""
    return FederatedHPAStatus(last_scale_time=rfc3339(scaled_at) if scaled_at else status.last_scale_time,
                              current_replicas=current, desired_replicas=desired,
                              current_metrics=list(metrics), conditions=status.conditions)


def failed_status(fhpa: FederatedHPA, reason: str, message: str, now: datetime) -> FederatedHPAStatus:
    """The status after a failure before the target's scale was read: AbleToScale False with Karmada's reason."""
    status = copy.deepcopy(fhpa.status) if fhpa.status is not None else FederatedHPAStatus()
    set_condition(status, ABLE_TO_SCALE, "False", reason, message, now)
    return status
