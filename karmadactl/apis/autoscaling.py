"""Karmada's autoscaling.karmada.io/v1alpha1 kinds as typed objects; pure.

FederatedHPA (pkg/apis/autoscaling/v1alpha1/federatedhpa_types.go): its spec is an autoscaling/v2
HorizontalPodAutoscalerSpec with Karmada's own minReplicas lower bound, its status an autoscaling/v2
HorizontalPodAutoscalerStatus. `FederatedHPA.from_dict(obj, source)` reads the YAML, fills the
defaults of Karmada's mutating webhook (pkg/util/lifted/federatedhpa.go SetDefaultsFederatedHPA) and
applies the checks of its validating webhook (pkg/util/lifted/validatingfhpa.go); `to_dict()` writes
the whole object back (camelCase, empty optional fields left out).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, ClassVar

from karmadactl.apis.codec import FieldError, api_field, decode, encode
from karmadactl.apis.names import dns1123_label, dns1123_subdomain
from karmadactl.apis.schema import type_name
from karmadactl.errors import InvalidInput

API_VERSION = "autoscaling.karmada.io/v1alpha1"
GROUP = "autoscaling.karmada.io"
FHPA_KIND = "FederatedHPA"
FHPA_GK = f"{FHPA_KIND}.{GROUP}"

# pkg/util/lifted/federatedhpa.go and validatingfhpa.go (lifted from Kubernetes 1.27)
DEFAULT_CPU_UTILIZATION = 80
MIN_REPLICAS_LOWER_BOUND = 1              # Karmada does not scale to zero
MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600

RESOURCE, PODS, OBJECT, CONTAINER_RESOURCE, EXTERNAL = "Resource", "Pods", "Object", "ContainerResource", "External"
METRIC_SOURCE_TYPES = (CONTAINER_RESOURCE, OBJECT, PODS, RESOURCE)      # External: not served by Karmada
UTILIZATION, VALUE, AVERAGE_VALUE = "Utilization", "Value", "AverageValue"
POLICY_PODS, POLICY_PERCENT = "Pods", "Percent"
SELECT_MAX, SELECT_MIN, SELECT_DISABLED = "Max", "Min", "Disabled"
SELECT_POLICIES = (SELECT_DISABLED, SELECT_MAX, SELECT_MIN)

Problem = tuple[str, str]

_PATH_SEGMENT_BAD = ("/", "%")


def _quantity(value: Any, path: str) -> str:
    """A decode hook: a resource quantity, kept as a string ("500m", "1Gi"; a YAML number as written)."""
    from karmadactl.apis.quantity import parse_quantity

    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldError(path, f"must be a quantity, got {type_name(value)}", "a quantity")
    try:
        parse_quantity(value)
    except InvalidInput as e:
        raise FieldError(path, str(e)) from None
    return value if isinstance(value, str) else str(value)


def quantity_field() -> Any:
    return api_field(default=None, decode=_quantity)


# ---------------------------------------------------------------- spec (autoscaling/v2)

@dataclass
class CrossVersionObjectReference:
    kind: str = ""
    name: str = ""
    api_version: str | None = None


@dataclass
class MetricIdentifier:
    name: str = ""
    selector: dict | None = None


@dataclass
class MetricTarget:
    type: str = ""
    value: str | None = quantity_field()
    average_value: str | None = quantity_field()
    average_utilization: int | None = None


@dataclass
class ResourceMetricSource:
    name: str = ""
    target: MetricTarget = field(default_factory=MetricTarget)


@dataclass
class ContainerResourceMetricSource:
    name: str = ""
    target: MetricTarget = field(default_factory=MetricTarget)
    container: str = ""


@dataclass
class PodsMetricSource:
    metric: MetricIdentifier = field(default_factory=MetricIdentifier)
    target: MetricTarget = field(default_factory=MetricTarget)


@dataclass
class ObjectMetricSource:
    described_object: CrossVersionObjectReference = field(default_factory=CrossVersionObjectReference)
    target: MetricTarget = field(default_factory=MetricTarget)
    metric: MetricIdentifier = field(default_factory=MetricIdentifier)


@dataclass
class ExternalMetricSource:
    metric: MetricIdentifier = field(default_factory=MetricIdentifier)
    target: MetricTarget = field(default_factory=MetricTarget)


@dataclass
class MetricSpec:
    type: str = ""
    object: ObjectMetricSource | None = None
    pods: PodsMetricSource | None = None
    resource: ResourceMetricSource | None = None
    container_resource: ContainerResourceMetricSource | None = None
    external: ExternalMetricSource | None = None

    def describe(self) -> str:
        """How Kubernetes' HPA names a metric in conditions and events ("cpu resource utilization
        (percentage of request)", "pods metric requests")."""
        if self.type == RESOURCE and self.resource is not None:
            if self.resource.target.average_utilization is not None:
                return f"{self.resource.name} resource utilization (percentage of request)"
            return f"{self.resource.name} resource"
        if self.type == CONTAINER_RESOURCE and self.container_resource is not None:
            c = self.container_resource
            if c.target.average_utilization is not None:
                return f"{c.name} container resource utilization (percentage of request)"
            return f"{c.name} container resource"
        if self.type == PODS and self.pods is not None:
            return f"pods metric {self.pods.metric.name}"
        if self.type == OBJECT and self.object is not None:
            return f"{self.object.metric.name} metric"
        return f"{self.type} metric"


@dataclass
class HPAScalingPolicy:
    type: str = ""
    value: int = 0
    period_seconds: int = 0


@dataclass
class HPAScalingRules:
    stabilization_window_seconds: int | None = None
    select_policy: str | None = None
    policies: list[HPAScalingPolicy] | None = None
    # alpha in Kubernetes 1.33; Karmada's controller ignores it, using its one controller-wide tolerance
    # (pkg/controllers/federatedhpa/replica_calculator.go, ReplicaCalculator.tolerance)
    tolerance: str | None = quantity_field()


@dataclass
class HorizontalPodAutoscalerBehavior:
    scale_up: HPAScalingRules | None = None
    scale_down: HPAScalingRules | None = None


@dataclass
class FederatedHPASpec:
    scale_target_ref: CrossVersionObjectReference = api_field(default_factory=CrossVersionObjectReference,
                                                              required=True)
    max_replicas: int = api_field(default=0, required=True)
    min_replicas: int | None = None
    metrics: list[MetricSpec] | None = None
    behavior: HorizontalPodAutoscalerBehavior | None = None
    encode_order: ClassVar = ("scale_target_ref", "min_replicas", "max_replicas", "metrics", "behavior")


# ---------------------------------------------------------------- status (autoscaling/v2)

@dataclass
class MetricValueStatus:
    value: str | None = quantity_field()
    average_value: str | None = quantity_field()
    average_utilization: int | None = None


@dataclass
class ResourceMetricStatus:
    name: str = ""
    current: MetricValueStatus = field(default_factory=MetricValueStatus)


@dataclass
class ContainerResourceMetricStatus:
    name: str = ""
    current: MetricValueStatus = field(default_factory=MetricValueStatus)
    container: str = ""


@dataclass
class PodsMetricStatus:
    metric: MetricIdentifier = field(default_factory=MetricIdentifier)
    current: MetricValueStatus = field(default_factory=MetricValueStatus)


@dataclass
class ObjectMetricStatus:
    metric: MetricIdentifier = field(default_factory=MetricIdentifier)
    current: MetricValueStatus = field(default_factory=MetricValueStatus)
    described_object: CrossVersionObjectReference = field(default_factory=CrossVersionObjectReference)


@dataclass
class MetricStatus:
    type: str = ""
    object: ObjectMetricStatus | None = None
    pods: PodsMetricStatus | None = None
    resource: ResourceMetricStatus | None = None
    container_resource: ContainerResourceMetricStatus | None = None
    external: dict | None = None


@dataclass
class HorizontalPodAutoscalerCondition:
    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str = api_field(default="", omitempty=True)
    message: str = api_field(default="", omitempty=True)


@dataclass
class FederatedHPAStatus:
    observed_generation: int | None = None
    last_scale_time: str | None = None
    current_replicas: int = api_field(default=0, omitempty=True)
    desired_replicas: int = 0
    current_metrics: list[MetricStatus] = api_field(default_factory=list, omitempty=True)
    conditions: list[HorizontalPodAutoscalerCondition] = api_field(default_factory=list, omitempty=True)

    def condition(self, kind: str) -> HorizontalPodAutoscalerCondition | None:
        return next((c for c in self.conditions if c.type == kind), None)


# ---------------------------------------------------------------- the object

@dataclass
class FederatedHPA:
    metadata: dict = field(default_factory=dict)
    spec: FederatedHPASpec = field(default_factory=FederatedHPASpec)
    status: FederatedHPAStatus | None = None

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "default")

    @property
    def min_replicas(self) -> int:
        return self.spec.min_replicas if self.spec.min_replicas is not None else MIN_REPLICAS_LOWER_BOUND

    @classmethod
    def from_dict(cls, obj: dict, source: str = "", validate: bool = True) -> FederatedHPA:
        """Parse, default and (unless told not to) validate one FederatedHPA; InvalidInput names the field."""
        lead = f"{source}: " if source else ""
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        who = f"{FHPA_KIND} {meta.get('namespace') or 'default'}/{meta.get('name', '')}"
        try:
            fhpa = cls._parse(obj)
            if validate:
                problems = fhpa.problems()
                if problems:
                    raise FieldError(*problems[0])
        except FieldError as e:
            raise InvalidInput(f"{lead}{who}: {e}") from None
        return fhpa

    @classmethod
    def _parse(cls, obj: dict) -> FederatedHPA:
        if not isinstance(obj, dict):
            raise FieldError("", f"must be an object, got {type_name(obj)}")
        for key in obj:
            if key not in ("apiVersion", "kind", "metadata", "spec", "status"):
                raise FieldError("", f'unknown field "{key}"')
        if obj.get("spec") is None:
            raise FieldError("spec", "required")
        spec = decode(FederatedHPASpec, obj["spec"], "spec")
        status = decode(FederatedHPAStatus, obj["status"], "status") if obj.get("status") is not None else None
        fhpa = cls(copy.deepcopy(obj.get("metadata") or {}), spec, status)
        fhpa.set_defaults()
        return fhpa

    def set_defaults(self) -> None:
        """Karmada's mutating webhook: minReplicas 1, cpu at 80% when no metric is given, and (only when
        behavior is set) every gap of behavior filled with Kubernetes' defaults."""
        if self.spec.min_replicas is None:
            self.spec.min_replicas = MIN_REPLICAS_LOWER_BOUND
        if not self.spec.metrics:
            self.spec.metrics = [MetricSpec(type=RESOURCE, resource=ResourceMetricSource(
                name="cpu", target=MetricTarget(type=UTILIZATION, average_utilization=DEFAULT_CPU_UTILIZATION)))]
        behavior = self.spec.behavior
        if behavior is not None:
            behavior.scale_up = _filled(behavior.scale_up, default_scale_up())
            behavior.scale_down = _filled(behavior.scale_down, default_scale_down())

    def problems(self) -> list[Problem]:
        """What Karmada's validating webhook says, in its order."""
        out: list[Problem] = []
        name = self.name
        if not name:
            out.append(("metadata.name", "required"))
        elif dns1123_subdomain(name):
            out.append(("metadata.name", f'invalid name "{name}": must be a lowercase RFC 1123 subdomain'))
        spec = self.spec
        if spec.min_replicas is not None and spec.min_replicas < MIN_REPLICAS_LOWER_BOUND:
            out.append(("spec.minReplicas", f"must be greater than or equal to {MIN_REPLICAS_LOWER_BOUND}"))
        if spec.max_replicas < 1:
            out.append(("spec.maxReplicas", "must be greater than 0"))
        if spec.min_replicas is not None and spec.max_replicas < spec.min_replicas:
            out.append(("spec.maxReplicas", "must be greater than or equal to `minReplicas`"))
        out += _reference_problems(spec.scale_target_ref, "spec.scaleTargetRef")
        for i, metric in enumerate(spec.metrics or []):
            out += _metric_problems(metric, f"spec.metrics[{i}]")
        if spec.behavior is not None:
            out += _rules_problems(spec.behavior.scale_up, "spec.behavior.scaleUp")
            out += _rules_problems(spec.behavior.scale_down, "spec.behavior.scaleDown")
        return out

    def to_dict(self) -> dict:
        out = {"apiVersion": API_VERSION, "kind": FHPA_KIND, "metadata": copy.deepcopy(self.metadata),
               "spec": encode(self.spec)}
        if self.status is not None:
            out["status"] = encode(self.status)
        return out


def default_scale_up() -> HPAScalingRules:
    """Kubernetes' scale-up rules: no window, the larger of 4 pods or 100% per 15s."""
    return HPAScalingRules(stabilization_window_seconds=0, select_policy=SELECT_MAX,
                           policies=[HPAScalingPolicy(POLICY_PODS, 4, 15), HPAScalingPolicy(POLICY_PERCENT, 100, 15)])


def default_scale_down() -> HPAScalingRules:
    """Kubernetes' scale-down rules: the window left to the controller's flag (5m), 100% per 15s."""
    return HPAScalingRules(stabilization_window_seconds=None, select_policy=SELECT_MAX,
                           policies=[HPAScalingPolicy(POLICY_PERCENT, 100, 15)])


def _filled(given: HPAScalingRules | None, defaults: HPAScalingRules) -> HPAScalingRules:
    if given is None:
        return defaults
    if given.select_policy is not None:
        defaults.select_policy = given.select_policy
    if given.stabilization_window_seconds is not None:
        defaults.stabilization_window_seconds = given.stabilization_window_seconds
    if given.policies is not None:
        defaults.policies = given.policies
    return defaults


# ---------------------------------------------------------------- validation (validatingfhpa.go)

def _path_segment_problems(value: str, path: str) -> list[Problem]:
    if value in (".", ".."):
        return [(path, f'may not be "{value}"')]
    for bad in _PATH_SEGMENT_BAD:
        if bad in value:
            return [(path, f"may not contain '{bad}'")]
    return []


def _reference_problems(ref: CrossVersionObjectReference, path: str) -> list[Problem]:
    out: list[Problem] = []
    for key, value in (("kind", ref.kind), ("name", ref.name)):
        out += [(f"{path}.{key}", "required")] if not value else _path_segment_problems(value, f"{path}.{key}")
    return out


def _positive(quantity: str | None) -> bool:
    from karmadactl.apis.quantity import parse_quantity

    return quantity is None or parse_quantity(quantity) > 0


def _target_problems(target: MetricTarget, path: str) -> list[Problem]:
    out: list[Problem] = []
    if not target.type:
        out.append((f"{path}.type", "must specify a metric target type"))
    elif target.type not in (UTILIZATION, VALUE, AVERAGE_VALUE):
        out.append((f"{path}.type", "must be either Utilization, Value, or AverageValue"))
    if not _positive(target.value):
        out.append((f"{path}.value", "must be positive"))
    if not _positive(target.average_value):
        out.append((f"{path}.averageValue", "must be positive"))
    if target.average_utilization is not None and target.average_utilization < 1:
        out.append((f"{path}.averageUtilization", "must be greater than 0"))
    return out


def _utilization_or_value(target: MetricTarget, path: str) -> list[Problem]:
    if target.average_utilization is None and target.average_value is None:
        return [(f"{path}.averageUtilization", "must set either a target raw value or a target utilization")]
    if target.average_utilization is not None and target.average_value is not None:
        return [(f"{path}.averageValue", "may not set both a target raw value and a target utilization")]
    return []


def _identifier_problems(metric: MetricIdentifier, path: str) -> list[Problem]:
    if not metric.name:
        return [(f"{path}.name", "must specify a metric name")]
    return _path_segment_problems(metric.name, f"{path}.name")


def _source_problems(metric: MetricSpec, path: str) -> list[Problem]:
    out: list[Problem] = []
    if metric.object is not None:
        where = f"{path}.object"
        out += _reference_problems(metric.object.described_object, f"{where}.describedObject")
        out += _identifier_problems(metric.object.metric, f"{where}.metric")
        out += _target_problems(metric.object.target, f"{where}.target")
        if metric.object.target.value is None and metric.object.target.average_value is None:
            out.append((f"{where}.target.averageValue", "must set either a target value or averageValue"))
    elif metric.pods is not None:
        where = f"{path}.pods"
        out += _identifier_problems(metric.pods.metric, f"{where}.metric")
        out += _target_problems(metric.pods.target, f"{where}.target")
        if metric.pods.target.average_value is None:
            out.append((f"{where}.target.averageValue", "must specify a positive target averageValue"))
    elif metric.resource is not None:
        where = f"{path}.resource"
        if not metric.resource.name:
            out.append((f"{where}.name", "must specify a resource name"))
        out += _target_problems(metric.resource.target, f"{where}.target")
        out += _utilization_or_value(metric.resource.target, f"{where}.target")
    elif metric.container_resource is not None:
        where = f"{path}.containerResource"
        c = metric.container_resource
        if not c.name:
            out.append((f"{where}.name", "must specify a resource name"))
        if not c.container:
            out.append((f"{where}.container", "must specify a container"))
        elif dns1123_label(c.container):
            out.append((f"{where}.container", f'invalid container name "{c.container}"'))
        out += _target_problems(c.target, f"{where}.target")
        out += _utilization_or_value(c.target, f"{where}.target")
    return out


_SOURCE_FIELDS = {OBJECT: "object", PODS: "pods", RESOURCE: "resource", CONTAINER_RESOURCE: "containerResource",
                  EXTERNAL: "external"}


def _metric_problems(metric: MetricSpec, path: str) -> list[Problem]:
    out: list[Problem] = []
    if not metric.type:
        out.append((f"{path}.type", "must specify a metric source type"))
    elif metric.type not in METRIC_SOURCE_TYPES:
        out.append((f"{path}.type", f'unsupported value "{metric.type}": supported values: "'
                                    + '", "'.join(METRIC_SOURCE_TYPES) + '"'))
    out += _source_problems(metric, path)
    present = [key for key in ("object", "pods", "resource", "containerResource", "external")
               if getattr(metric, _attr(key)) is not None]
    expected = _SOURCE_FIELDS.get(metric.type, "")
    if metric.type in METRIC_SOURCE_TYPES and expected not in present:
        out.append((f"{path}.{expected}", "must populate information for the given metric source"))
    if len(present) != 1:
        out += [(f"{path}.{key}", "must populate the given metric source only") for key in present if key != expected]
    return out


def _attr(key: str) -> str:
    return "container_resource" if key == "containerResource" else key


def _rules_problems(rules: HPAScalingRules | None, path: str) -> list[Problem]:
    if rules is None:
        return []
    out: list[Problem] = []
    window = rules.stabilization_window_seconds
    if window is not None and window < 0:
        out.append((f"{path}.stabilizationWindowSeconds", "must be greater than or equal to zero"))
    if window is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        out.append((f"{path}.stabilizationWindowSeconds",
                    f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    if rules.select_policy is not None and rules.select_policy not in SELECT_POLICIES:
        out.append((f"{path}.selectPolicy", f'unsupported value "{rules.select_policy}": supported values: "'
                                            + '", "'.join(SELECT_POLICIES) + '"'))
    if not rules.policies:
        out.append((f"{path}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(rules.policies or []):
        where = f"{path}.policies[{i}]"
        if policy.type not in (POLICY_PODS, POLICY_PERCENT):
            out.append((f"{where}.type", f'unsupported value "{policy.type}": supported values: "Percent", "Pods"'))
        if policy.value <= 0:
            out.append((f"{where}.value", "must be greater than zero"))
        if policy.period_seconds <= 0:
            out.append((f"{where}.periodSeconds", "must be greater than zero"))
        if policy.period_seconds > MAX_PERIOD_SECONDS:
            out.append((f"{where}.periodSeconds", f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return out


# ---------------------------------------------------------------- CronFederatedHPA

CRON_KIND = "CronFederatedHPA"
CRON_GK = f"{CRON_KIND}.{GROUP}"
DEFAULT_HISTORY_LIMIT = 3       # pkg/util/helper/cronfederatedhpa.go, and the CRD's default


def local_zone() -> tzinfo:
    """The zone of this process, as Go's time.Local: $TZ (empty or unknown: UTC), else /etc/localtime."""
    from zoneinfo import ZoneInfo

    name = os.environ.get("TZ")
    if name is not None:
        try:
            return ZoneInfo(name.lstrip(":")) if name.lstrip(":") else UTC
        except (ValueError, OSError):
            return UTC
    try:
        with open("/etc/localtime", "rb") as f:
            return ZoneInfo.from_file(f, key="Local")
    except (ValueError, OSError):
        return UTC


def load_location(name: str | None) -> tzinfo:
    """A rule's timeZone as Go's time.LoadLocation reads it ("" and "UTC": UTC; "Local" or none: this
    process's zone); ValueError "unknown time zone NAME" otherwise."""
    from zoneinfo import ZoneInfo

    if name is None or name == "Local":
        return local_zone()
    if name in ("", "UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):      # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name}") from None


@dataclass
class CronFederatedHPARule:
    """One schedule and what it sets (pkg/apis/autoscaling/v1alpha1/cronfederatedhpa_types.go)."""

    strict: ClassVar[bool] = False

    name: str = ""
    schedule: str = ""
    target_replicas: int | None = None
    target_min_replicas: int | None = None
    target_max_replicas: int | None = None
    suspend: bool | None = None
    time_zone: str | None = None
    successful_history_limit: int | None = None
    failed_history_limit: int | None = None

    @property
    def suspended(self) -> bool:
        return bool(self.suspend)

    @property
    def success_limit(self) -> int:
        return DEFAULT_HISTORY_LIMIT if self.successful_history_limit is None else self.successful_history_limit

    @property
    def failure_limit(self) -> int:
        return DEFAULT_HISTORY_LIMIT if self.failed_history_limit is None else self.failed_history_limit


@dataclass
class CronFederatedHPASpec:
    strict: ClassVar[bool] = False

    scale_target_ref: CrossVersionObjectReference = field(default_factory=CrossVersionObjectReference)
    rules: list[CronFederatedHPARule] = field(default_factory=list)


@dataclass
class SuccessfulExecution:
    schedule_time: str | None = None
    execution_time: str | None = None
    applied_replicas: int | None = None
    applied_max_replicas: int | None = None
    applied_min_replicas: int | None = None


@dataclass
class FailedExecution:
    schedule_time: str | None = None
    execution_time: str | None = None
    message: str = ""


@dataclass
class ExecutionHistory:
    """One rule's record: when it runs next (none while suspended) and its latest runs, newest first."""

    rule_name: str = ""
    next_execution_time: str | None = None
    successful_executions: list[SuccessfulExecution] | None = None
    failed_executions: list[FailedExecution] | None = None


@dataclass
class CronFederatedHPAStatus:
    execution_histories: list[ExecutionHistory] | None = None


@dataclass
class CronFederatedHPA:
    """The spec and status of a stored CronFederatedHPA; the stored mapping stays the source of the rest."""

    metadata: dict = field(default_factory=dict)
    spec: CronFederatedHPASpec = field(default_factory=CronFederatedHPASpec)
    status: CronFederatedHPAStatus = field(default_factory=CronFederatedHPAStatus)

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "default")

    @property
    def targets_federated_hpa(self) -> bool:
        """Karmada's job: a scaleTargetRef in this API group is a FederatedHPA (or refused)."""
        return self.spec.scale_target_ref.api_version == API_VERSION

    @classmethod
    def from_dict(cls, obj: dict) -> CronFederatedHPA:
        """A stored (so already validated) CronFederatedHPA."""
        status = obj.get("status")
        spec = decode(CronFederatedHPASpec, obj.get("spec") or {}, "spec")
        return cls(copy.deepcopy(obj.get("metadata") or {}), spec,
                   decode(CronFederatedHPAStatus, status, "status") if isinstance(status, dict)
                   else CronFederatedHPAStatus())

    def status_dict(self) -> dict:
        return encode(self.status)
