"""PropagationPolicy / ClusterPropagationPolicy (policy.karmada.io/v1alpha1) as typed objects; pure.

`PropagationPolicy.from_dict` reads Karmada's own YAML unchanged, rejects unknown or
mistyped fields the way kubectl's strict field validation does, fills in the defaults
that Karmada's CRD schema and mutating webhook set, and applies the checks of
Karmada's validating webhook. Every problem is one InvalidInput naming the field
path: "<source>: PropagationPolicy default/nginx: spec.placement...: <problem>".
`to_dict` gives the full object back (camelCase, defaults filled in, empty optional
fields left out), so `from_dict(p.to_dict()) == p`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from karmadactl.apis import names
from karmadactl.apis.codec import FieldError, api_field, decode, encode, keys_of
from karmadactl.apis.schema import type_name as _type_name
from karmadactl.apis.wellknown import POLICY_API_VERSION, is_reserved_namespace
from karmadactl.errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster, Taint

API_VERSION = POLICY_API_VERSION
PP_KIND = "PropagationPolicy"
CPP_KIND = "ClusterPropagationPolicy"
KINDS = (PP_KIND, CPP_KIND)
DEFAULT_NAMESPACE = "default"
DEFAULT_SCHEDULER = "default-scheduler"

SPREAD_FIELDS = ("cluster", "region", "zone", "provider")
FIELD_SELECTOR_KEYS = ("provider", "region", "zone")
FIELD_SELECTOR_OPERATORS = ("In", "NotIn")
REPLICA_SCHEDULING_TYPES = ("Duplicated", "Divided")
DIVISION_PREFERENCES = ("Aggregated", "Weighted")
DYNAMIC_WEIGHTS = ("AvailableReplicas",)
TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
PREEMPTIONS = ("Always", "Never")
CONFLICT_RESOLUTIONS = ("Abort", "Overwrite")
ACTIVATION_PREFERENCES = ("", "Lazy")
# Directly/Gracefully are current; Immediately/Graciously are the deprecated spellings still accepted.
APPLICATION_PURGE_MODES = ("Directly", "Gracefully", "Never", "Immediately", "Graciously")
CLUSTER_PURGE_MODES = ("Directly", "Gracefully")
GRACEFUL_PURGE_MODES = ("Gracefully", "Graciously")
PRIORITY_CLASS_SOURCES = ("KubePriorityClass",)
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

DEFAULT_TOLERATION_SECONDS = 300
DEFAULT_GRACE_PERIOD_SECONDS = 600
AFFINITY_NAME_MAX = 32
POLICY_NAME_MAX = 63          # the name becomes a label value on claimed templates

SERVICE_IMPORT = ("multicluster.x-k8s.io/v1alpha1", "ServiceImport")

Problem = tuple[str, str]          # (field path, what is wrong)


# ---------------------------------------------------------------- strict readers

def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: Any, path: str, allowed: tuple[str, ...] | None) -> dict:
    """`value` as a mapping; with `allowed`, a key outside it is an unknown field."""
    if not isinstance(value, dict):
        raise FieldError(path, f"must be an object, got {_type_name(value)}")
    if allowed is not None:
        for key in value:
            if key not in allowed:
                raise FieldError("", f'unknown field "{_join(path, str(key))}"')
    return value


def _list(d: dict, key: str, path: str) -> list:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError(_join(path, key), f"must be an array, got {_type_name(value)}")
    return value


def _unsupported(value: str, allowed: tuple[str, ...]) -> str:
    shown = ", ".join(f'"{a}"' for a in allowed if a)
    return f'unsupported value "{value}" (supported: {shown})'


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        raise FieldError(*problems[0])


# ---------------------------------------------------------------- label selectors

def _checked(shape: type, keep_empty: bool = False) -> Callable[[Any, str], dict | None]:
    """A decode hook for a field kept as a plain dict: the value checked and defaulted through `shape`."""
    def hook(value: Any, path: str) -> dict | None:
        out = encode(decode(shape, value, path))
        return out if out or keep_empty else None
    return hook


@dataclass
class _Expression:
    key: str = ""
    operator: str = ""
    values: list[str] | None = None


@dataclass
class _LabelSelector:
    """A metav1.LabelSelector, shape-checked; {} stays {} (it selects everything)."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[_Expression] | None = None


_parse_label_selector = _checked(_LabelSelector, keep_empty=True)


def _label_selector_problems(selector: dict | None, path: str) -> list[Problem]:
    if selector is None:
        return []
    problems: list[Problem] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        if not _valid_label_key(key):
            problems.append((f"{path}.matchLabels", f'invalid label key "{key}"'))
        if names.label_value(value):
            problems.append((f"{path}.matchLabels.{key}", f'invalid label value "{value}"'))
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        where = f"{path}.matchExpressions[{i}]"
        if not _valid_label_key(expr["key"]):
            problems.append((f"{where}.key", f'invalid label key "{expr["key"]}"'))
        operator, values = expr["operator"], expr.get("values") or []
        if operator not in SELECTOR_OPERATORS:
            problems.append((f"{where}.operator", _unsupported(operator, SELECTOR_OPERATORS)))
        elif operator in ("In", "NotIn") and not values:
            problems.append((f"{where}.values", f"must be non-empty when operator is {operator}"))
        elif operator in ("Exists", "DoesNotExist") and values:
            problems.append((f"{where}.values", f"must be empty when operator is {operator}"))
        for j, value in enumerate(values):
            if names.label_value(value):
                problems.append((f"{where}.values[{j}]", f'invalid label value "{value}"'))
    if not problems:
        from karmadactl.apis.labels import label_selector_matcher

        try:
            label_selector_matcher(selector)
        except (InvalidInput, KeyError) as e:
            problems.append((path, str(e)))
    return problems


def _valid_label_key(key: str) -> bool:
    return not names.qualified_name(key)


def _selector_matches(selector: dict | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    from karmadactl.apis.labels import label_selector_matcher

    try:
        return label_selector_matcher(selector)(labels or {})
    except (InvalidInput, KeyError):
        return False


# ---------------------------------------------------------------- placement parts

@dataclass(frozen=True)
class FieldSelectorRequirement:
    key: str = ""                  # "provider" | "region" | "zone"
    operator: str = ""             # "In" | "NotIn"
    values: tuple[str, ...] = ()

    def problems(self, path: str) -> list[Problem]:
        if self.key not in FIELD_SELECTOR_KEYS:
            return [(path, f'unsupported key "{self.key}", must be provider, region, or zone')]
        if self.operator not in FIELD_SELECTOR_OPERATORS:
            return [(path, f'unsupported operator "{self.operator}", must be In or NotIn')]
        return []

    def matches(self, cluster: Cluster) -> bool:
        """Karmada's field matcher (pkg/util/selector.go, ClusterMatches and matchZones).

        `zone` looks at spec.zones: In when ANY of the cluster's zones is listed, NotIn when
        none is, Exists / DoesNotExist on whether it has zones at all. `provider` and `region`
        are matched as label requirements over the cluster's non-empty fields; a requirement
        Kubernetes would refuse to build (In without values, a value that is not a label value,
        Gt with a non-integer) matches nothing, as Karmada's conversion error does.
        """
        if self.key == "zone":
            return zones_match(self.operator, self.values, cluster.zones or [])
        fields = {k: v for k, v in (("provider", cluster.provider), ("region", cluster.region)) if v}
        requirement = _field_requirement(self.key, self.operator, self.values)
        return requirement is not None and requirement.matches(fields)


def zones_match(operator: str, values, zones) -> bool:
    """matchZones: a cluster with several zones is matched on any overlap with `values`."""
    listed = set(values)
    if operator == "In":
        return any(zone in listed for zone in zones)
    if operator == "NotIn":
        return not any(zone in listed for zone in zones)
    if operator == "Exists":
        return bool(zones)
    if operator == "DoesNotExist":
        return not zones
    return False


_REQUIREMENT_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}


def _field_requirement(key: str, operator: str, values: tuple[str, ...]):
    """A labels.Requirement as Kubernetes' NewRequirement builds it, or None where it refuses."""
    from karmadactl.apis.labels import Requirement

    op = _REQUIREMENT_OPS.get(operator)
    if op is None:
        return None
    if op in ("in", "notin") and not values:
        return None
    if op in ("exists", "!") and values:
        return None
    if op in ("gt", "lt") and (len(values) != 1 or not values[0].lstrip("-").isdigit()):
        return None
    if op not in ("gt", "lt") and any(names.label_value(v) for v in values):
        return None
    return Requirement(key, op, tuple(values))


@dataclass
class ClusterAffinity:
    label_selector: dict | None = api_field(default=None, decode=_parse_label_selector)
    field_selector: list[FieldSelectorRequirement] = api_field(default_factory=list, omitempty=True,
                                                               key="fieldSelector.matchExpressions")
    cluster_names: list[str] = api_field(default_factory=list, omitempty=True)
    exclude: list[str] = api_field(default_factory=list, omitempty=True)

    @classmethod
    def from_dict(cls, d: dict, path: str = "clusterAffinity") -> ClusterAffinity:
        return decode(cls, d, path)

    def is_empty(self) -> bool:
        return self.label_selector is None and not (self.field_selector or self.cluster_names or self.exclude)

    def problems(self, path: str) -> list[Problem]:
        problems = _label_selector_problems(self.label_selector, f"{path}.labelSelector")
        for i, requirement in enumerate(self.field_selector):
            problems += requirement.problems(f"{path}.fieldSelector.matchExpressions[{i}]")
        return problems

    def matches(self, cluster: Cluster) -> bool:
        """Karmada's ClusterMatches: an excluded name never matches; every part that is set must match."""
        if cluster.name in self.exclude:
            return False
        if not _selector_matches(self.label_selector, cluster.labels):
            return False
        if not all(requirement.matches(cluster) for requirement in self.field_selector):
            return False
        return not self.cluster_names or cluster.name in self.cluster_names


def _affinity_name_problems(name: str, path: str) -> list[Problem]:
    if not name or len(name) > AFFINITY_NAME_MAX:
        return [(path, f"must be 1-{AFFINITY_NAME_MAX} characters long")]
    if not _valid_label_key(name):
        return [(path, f'invalid name "{name}": must be a qualified name (alphanumerics, "-", "_", ".", '
                       'optionally prefixed by a DNS subdomain and "/")')]
    return []


@dataclass
class OverflowAffinity:
    affinity_name: str = ""
    affinity: ClusterAffinity = api_field(default_factory=ClusterAffinity, inline=True)


@dataclass
class ClusterAffinityTerm:
    encode_order: ClassVar = ("affinity_name", "affinity", "overflow")
    overflow: list[OverflowAffinity] = api_field(default_factory=list, omitempty=True, key="overflowAffinities")
    affinity_name: str = ""
    affinity: ClusterAffinity = api_field(default_factory=ClusterAffinity, inline=True)

    def problems(self, path: str) -> list[Problem]:
        problems = _affinity_name_problems(self.affinity_name, f"{path}.affinityName")
        problems += self.affinity.problems(path)
        if self.overflow and self.affinity.is_empty():
            problems.append((f"{path}.overflowAffinities",
                             "can only be used together with the inline cluster affinity of the term"))
        seen = {self.affinity_name}
        for i, overflow in enumerate(self.overflow):
            where = f"{path}.overflowAffinities[{i}]"
            problems += _affinity_name_problems(overflow.affinity_name, f"{where}.affinityName")
            if overflow.affinity_name in seen:
                problems.append((f"{where}.affinityName",
                                 f'duplicate name "{overflow.affinity_name}": overflow names must be unique '
                                 "and differ from the term's affinityName"))
            seen.add(overflow.affinity_name)
            problems += overflow.affinity.problems(where)
        return problems


@dataclass(frozen=True)
class Toleration:
    key: str = api_field(default="", omitempty=True)
    operator: str = api_field(default="Equal", zero_default=True)
    value: str = api_field(default="", omitempty=True)
    effect: str = api_field(default="", omitempty=True)
    toleration_seconds: int | None = None

    @classmethod
    def from_dict(cls, d: dict, path: str = "clusterTolerations[0]") -> Toleration:
        return decode(cls, d, path)

    def problems(self, path: str) -> list[Problem]:
        problems: list[Problem] = []
        if self.operator not in TOLERATION_OPERATORS:
            problems.append((f"{path}.operator", _unsupported(self.operator, TOLERATION_OPERATORS)))
        if self.effect and self.effect not in TAINT_EFFECTS:
            problems.append((f"{path}.effect", _unsupported(self.effect, TAINT_EFFECTS)))
        return problems

    def tolerates(self, taint: Taint) -> bool:
        """corev1 ToleratesTaint."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        if self.operator in ("", "Equal"):
            return self.value == (taint.value or "")
        return False


@dataclass
class SpreadConstraint:
    encode_order: ClassVar = ("spread_by_field", "spread_by_label", "max_groups", "min_groups")
    spread_by_field: str = api_field(default="", omitempty=True)
    spread_by_label: str = api_field(default="", omitempty=True)
    min_groups: int = api_field(default=1, zero_default=True)
    max_groups: int = api_field(default=0, omitempty=True)

    def after_decode(self, path: str) -> None:
        if not self.spread_by_field and not self.spread_by_label:
            self.spread_by_field = "cluster"                       # webhook default

    def problems(self, path: str) -> list[Problem]:
        problems: list[Problem] = []
        if self.spread_by_field and self.spread_by_label:
            problems.append((path, "spreadByLabel should not co-exist with spreadByField"))
        if self.spread_by_field and self.spread_by_field not in SPREAD_FIELDS:
            problems.append((f"{path}.spreadByField", _unsupported(self.spread_by_field, SPREAD_FIELDS)))
        if self.min_groups < 0:
            problems.append((f"{path}.minGroups", "minGroups lower than 0 is not allowed"))
        if self.max_groups < 0:
            problems.append((f"{path}.maxGroups", "maxGroups lower than 0 is not allowed"))
        if self.max_groups > 0 and self.max_groups < self.min_groups:
            problems.append((path, "maxGroups lower than minGroups is not allowed"))
        return problems


def _spread_problems(constraints: list[SpreadConstraint], path: str) -> list[Problem]:
    problems: list[Problem] = []
    for i, constraint in enumerate(constraints):
        problems += constraint.problems(f"{path}[{i}]")
    by_field = [c.spread_by_field for c in constraints if c.spread_by_field]
    for name in dict.fromkeys(by_field):
        if by_field.count(name) > 1:
            problems.append((path, f"multiple {name} spread constraints are not allowed"))
    if by_field and "cluster" not in by_field:
        problems.append((path, "a spreadByField: cluster constraint is required when any spreadByField "
                               "constraint is used"))
    return problems


@dataclass
class StaticWeight:
    target_cluster: ClusterAffinity = api_field(required=True)
    weight: int = api_field(required=True)


@dataclass
class ReplicaScheduling:
    type: str = api_field(default="Divided", zero_default=True, key="replicaSchedulingType")      # CRD default
    division_preference: str = api_field(default="", omitempty=True, key="replicaDivisionPreference")
    static_weights: list[StaticWeight] = api_field(default_factory=list, omitempty=True,
                                                   key="weightPreference.staticWeightList")
    dynamic_weight: str = api_field(default="", omitempty=True, key="weightPreference.dynamicWeight")

    def after_decode(self, path: str) -> None:
        if self.type == "Divided" and not self.division_preference:
            self.division_preference = "Weighted"                  # webhook default

    def problems(self, path: str) -> list[Problem]:
        problems: list[Problem] = []
        if self.type not in REPLICA_SCHEDULING_TYPES:
            problems.append((f"{path}.replicaSchedulingType", _unsupported(self.type, REPLICA_SCHEDULING_TYPES)))
        if self.division_preference and self.division_preference not in DIVISION_PREFERENCES:
            problems.append((f"{path}.replicaDivisionPreference",
                             _unsupported(self.division_preference, DIVISION_PREFERENCES)))
        where = f"{path}.weightPreference"
        for i, weight in enumerate(self.static_weights):
            if weight.weight < 1:
                problems.append((f"{where}.staticWeightList[{i}].weight", "must be greater than or equal to 1"))
            problems += weight.target_cluster.problems(f"{where}.staticWeightList[{i}].targetCluster")
        if self.dynamic_weight and self.dynamic_weight not in DYNAMIC_WEIGHTS:
            problems.append((f"{where}.dynamicWeight", _unsupported(self.dynamic_weight, DYNAMIC_WEIGHTS)))
        return problems

    @property
    def supports_overflow(self) -> bool:
        """Overflow groups need a division that looks at available resources."""
        return self.type == "Divided" and (self.division_preference == "Aggregated" or bool(self.dynamic_weight))


@dataclass
class _GroupBy:
    group_by_label_key: str = ""


@dataclass
class _WorkloadAffinity:
    affinity: _GroupBy | None = None
    anti_affinity: _GroupBy | None = None


def _workload_affinity_problems(wa: dict | None, path: str) -> list[Problem]:
    if not wa:
        return []
    problems: list[Problem] = []
    for key in ("affinity", "antiAffinity"):
        label_key = (wa.get(key) or {}).get("groupByLabelKey")
        if key in wa and not _valid_label_key(label_key or ""):
            problems.append((f"{path}.{key}.groupByLabelKey", f'invalid label key "{label_key}"'))
    keys = [(wa.get(k) or {}).get("groupByLabelKey") for k in ("affinity", "antiAffinity")]
    if keys[0] and keys[0] == keys[1]:
        problems.append((path, "affinity and antiAffinity must not use the same groupByLabelKey"))
    return problems


@dataclass
class Placement:
    cluster_affinity: ClusterAffinity | None = None
    cluster_affinities: list[ClusterAffinityTerm] = api_field(default_factory=list, omitempty=True)
    cluster_tolerations: list[Toleration] = api_field(default_factory=list, omitempty=True)
    spread_constraints: list[SpreadConstraint] = api_field(default_factory=list, omitempty=True)
    replica_scheduling: ReplicaScheduling | None = None     # None: effectively Duplicated
    workload_affinity: dict | None = api_field(default=None, omitempty=True,     # {affinity|antiAffinity:
                                               decode=_checked(_WorkloadAffinity))  # {groupByLabelKey}}

    @classmethod
    def from_dict(cls, d: dict | None, path: str = "spec.placement", validate: bool = True) -> Placement:
        """Parse (defaults filled in); with `validate`, raise the first problem Karmada's webhook would."""
        placement = decode(cls, d or {}, path)
        if validate:
            _raise_first(placement.problems(path))
        return placement

    def to_dict(self) -> dict:
        return encode(self)

    def effective_replica_scheduling(self) -> ReplicaScheduling:
        """The strategy the scheduler uses: Duplicated when none is given."""
        return self.replica_scheduling or ReplicaScheduling(type="Duplicated")

    def problems(self, path: str = "spec.placement") -> list[Problem]:
        problems: list[Problem] = []
        if self.cluster_affinity is not None and self.cluster_affinities:
            problems.append((path, "clusterAffinities cannot co-exist with clusterAffinity"))
        if self.cluster_affinity is not None:
            problems += self.cluster_affinity.problems(f"{path}.clusterAffinity")
        seen: set[str] = set()
        overflow_ok = self.replica_scheduling is not None and self.replica_scheduling.supports_overflow
        for i, term in enumerate(self.cluster_affinities):
            where = f"{path}.clusterAffinities[{i}]"
            problems += term.problems(where)
            if term.affinity_name in seen:
                problems.append((f"{where}.affinityName", f'duplicate name "{term.affinity_name}": each affinity '
                                                          "term in a policy must have a unique name"))
            seen.add(term.affinity_name)
            if term.overflow and not overflow_ok:
                problems.append((f"{where}.overflowAffinities", "overflowAffinities can only be used together "
                                 "with dynamic weight (dynamicWeight: AvailableReplicas) or Aggregated division"))
        for i, toleration in enumerate(self.cluster_tolerations):
            problems += toleration.problems(f"{path}.clusterTolerations[{i}]")
        problems += _spread_problems(self.spread_constraints, f"{path}.spreadConstraints")
        if self.replica_scheduling is not None:
            problems += self.replica_scheduling.problems(f"{path}.replicaScheduling")
        problems += _workload_affinity_problems(self.workload_affinity, f"{path}.workloadAffinity")
        return problems


# ---------------------------------------------------------------- resource selectors

@dataclass
class ResourceSelector:
    api_version: str = api_field(required=True)
    kind: str = api_field(required=True)
    namespace: str = api_field(default="", omitempty=True)
    name: str = api_field(default="", omitempty=True)
    label_selector: dict | None = api_field(default=None, decode=_parse_label_selector)

    def match_priority(self, obj: dict) -> int:
        """Karmada's implicit priority: 0 no match, 1 apiVersion/kind only, 2 by labelSelector, 3 by name."""
        meta = obj.get("metadata") or {}
        if obj.get("apiVersion") != self.api_version or obj.get("kind") != self.kind:
            return 0
        if self.namespace and (meta.get("namespace") or "") != self.namespace:
            return 0
        if self.name:
            return 3 if meta.get("name") == self.name else 0
        if self.label_selector is None:
            return 1
        return 2 if _selector_matches(self.label_selector, meta.get("labels") or {}) else 0


# ---------------------------------------------------------------- the policy

@dataclass
class _AliasRule:
    alias_label_name: str = api_field(required=True)
    json_path: str = api_field(required=True)


@dataclass
class _StatePreservation:
    rules: list[_AliasRule] = api_field(required=True)


@dataclass
class _DecisionConditions:
    toleration_seconds: int = DEFAULT_TOLERATION_SECONDS


@dataclass
class _ApplicationFailover:
    decision_conditions: _DecisionConditions = api_field(default_factory=_DecisionConditions)
    purge_mode: str = api_field(default="Gracefully", zero_default=True)
    grace_period_seconds: int | None = None
    state_preservation: _StatePreservation | None = None

    def after_decode(self, path: str) -> None:
        if self.grace_period_seconds is None and self.purge_mode in GRACEFUL_PURGE_MODES:
            self.grace_period_seconds = DEFAULT_GRACE_PERIOD_SECONDS


@dataclass
class _ClusterFailover:
    purge_mode: str = api_field(default="Gracefully", zero_default=True)
    state_preservation: _StatePreservation | None = None


@dataclass
class _Failover:
    """spec.failover, with the CRD/webhook defaults filled in."""

    application: _ApplicationFailover | None = None
    cluster: _ClusterFailover | None = None


def _failover_problems(failover: dict | None, propagate_deps: bool) -> list[Problem]:
    if not failover:
        return []
    problems: list[Problem] = []
    app = failover.get("application")
    if app is not None:
        path = "spec.failover.application"
        if not propagate_deps:
            problems.append(("spec.propagateDeps", "must be true when failover.application is set"))
        seconds = app["decisionConditions"]["tolerationSeconds"]
        if seconds < 0:
            problems.append((f"{path}.decisionConditions.tolerationSeconds", "must be greater than or equal to 0"))
        mode, grace = app["purgeMode"], app.get("gracePeriodSeconds")
        if mode not in APPLICATION_PURGE_MODES:
            problems.append((f"{path}.purgeMode", _unsupported(mode, APPLICATION_PURGE_MODES)))
        elif grace is not None and mode not in GRACEFUL_PURGE_MODES:
            problems.append((f"{path}.gracePeriodSeconds", "only takes effect when purgeMode is Gracefully"))
        if grace is not None and grace <= 0:
            problems.append((f"{path}.gracePeriodSeconds", "must be greater than 0"))
        problems += _state_preservation_problems(app.get("statePreservation"), f"{path}.statePreservation")
    cluster = failover.get("cluster")
    if cluster is not None:
        path = "spec.failover.cluster"
        if cluster["purgeMode"] not in CLUSTER_PURGE_MODES:
            problems.append((f"{path}.purgeMode", _unsupported(cluster["purgeMode"], CLUSTER_PURGE_MODES)))
        problems += _state_preservation_problems(cluster.get("statePreservation"), f"{path}.statePreservation")
    return problems


def _state_preservation_problems(preservation: dict | None, path: str) -> list[Problem]:
    if not preservation:
        return []
    return [(f"{path}.rules[{i}].aliasLabelName", f'invalid label key "{rule["aliasLabelName"]}"')
            for i, rule in enumerate(preservation["rules"]) if not _valid_label_key(rule["aliasLabelName"])]


@dataclass
class _ClusterNames:
    cluster_names: list[str] = api_field(default_factory=list, omitempty=True)


@dataclass
class _Suspension:
    dispatching: bool | None = None
    dispatching_on_clusters: _ClusterNames | None = None


@dataclass
class _SchedulePriority:
    priority_class_source: str = api_field(required=True)
    priority_class_name: str = api_field(required=True)


class NamedPolicy:
    """What every policy type shares: its scope and how messages name it (`Kind ns/name`, `Kind name`)."""

    kind: str
    name: str
    namespace: str
    CLUSTER_KIND = ""

    @property
    def is_cluster_scoped(self) -> bool:
        return self.kind == self.CLUSTER_KIND

    @property
    def display_name(self) -> str:
        if self.is_cluster_scoped:
            return f"{self.kind} {self.name}"
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass
class PropagationPolicy(NamedPolicy):
    """A PropagationPolicy or, when kind says so, a ClusterPropagationPolicy (namespace "")."""

    CLUSTER_KIND = CPP_KIND
    encode_order: ClassVar = ("resource_selectors", "propagate_deps", "placement", "priority", "preemption",
                              "dependent_overrides", "scheduler_name", "failover", "conflict_resolution",
                              "activation_preference", "suspension", "preserve_resources_on_deletion",
                              "schedule_priority")                       # Karmada's field order
    kind: str = api_field(skip=True)
    name: str = api_field(skip=True)
    namespace: str = api_field(skip=True)
    resource_selectors: list[ResourceSelector] = api_field(default_factory=list)
    propagate_deps: bool = api_field(default=False, omitempty=True)
    association: bool = False           # the old name of propagate_deps: folded into it, never written
    placement: Placement = api_field(default_factory=Placement,      # an empty value of any type: none
                                     decode=lambda value, path: decode(Placement, value or {}, path))
    priority: int = 0
    preemption: str = api_field(default="Never", zero_default=True)
    conflict_resolution: str = api_field(default="Abort", zero_default=True)
    activation_preference: str = api_field(default="", omitempty=True)
    dependent_overrides: list[str] = api_field(default_factory=list, omitempty=True)
    scheduler_name: str = api_field(default=DEFAULT_SCHEDULER, zero_default=True)
    failover: dict | None = api_field(default=None, omitempty=True, decode=_checked(_Failover))
    suspension: dict | None = api_field(default=None, omitempty=True, decode=_checked(_Suspension))
    preserve_resources_on_deletion: bool = api_field(default=False, omitempty=True)
    schedule_priority: dict | None = api_field(default=None, omitempty=True, decode=_checked(_SchedulePriority))
    metadata: dict = api_field(default_factory=dict, skip=True)

    def match_priority(self, obj: dict) -> int:
        """The best implicit priority of any of the policy's selectors for `obj` (0: no match)."""
        return max((s.match_priority(obj) for s in self.resource_selectors), default=0)

    @classmethod
    def from_dict(cls, obj: dict, source: str = "") -> PropagationPolicy:
        """Parse, default and validate one (Cluster)PropagationPolicy; InvalidInput names the field."""
        lead = f"{source}: " if source else ""
        if not isinstance(obj, dict):
            raise InvalidInput(f"{lead}a policy must be an object, got {_type_name(obj)}")
        kind = obj.get("kind")
        label = kind if kind in KINDS else "policy"
        try:
            meta = _object(obj.get("metadata") or {}, "metadata", None)
            name = meta.get("name")
            if not isinstance(name, str):
                name = ""
            namespace = meta.get("namespace")
            namespace = namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE
            if kind == CPP_KIND:
                namespace = ""
            who = f"{label} {namespace}/{name}" if namespace and name else f"{label} {name}".rstrip()
        except FieldError as e:
            raise InvalidInput(f"{lead}{label}: {e}") from None
        try:
            policy = cls._parse(obj, kind, name, namespace)
            _raise_first(policy.problems())
        except FieldError as e:
            raise InvalidInput(f"{lead}{who}: {e}") from None
        return policy

    @classmethod
    def _parse(cls, obj: dict, kind: Any, name: str, namespace: str) -> PropagationPolicy:
        _object(obj, "", ("apiVersion", "kind", "metadata", "spec", "status"))
        if obj.get("apiVersion") != API_VERSION:
            raise FieldError("apiVersion", f'must be "{API_VERSION}", got {obj.get("apiVersion")!r}')
        if kind not in KINDS:
            raise FieldError("kind", _unsupported(str(kind), KINDS))
        meta = copy.deepcopy(obj.get("metadata") or {})
        raw_name = meta.get("name")
        if raw_name is None or raw_name == "":
            raise FieldError("metadata.name", "required")
        if not isinstance(raw_name, str):
            raise FieldError("metadata.name", f"must be a string, got {_type_name(raw_name)}")
        if kind == PP_KIND:
            if meta.get("namespace") is not None and not isinstance(meta["namespace"], str):
                raise FieldError("metadata.namespace", f"must be a string, got {_type_name(meta['namespace'])}")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if obj.get("spec") is None:
            raise FieldError("spec", "required")
        spec = _object(obj["spec"], "spec", keys_of(cls))
        if spec.get("resourceSelectors") in (None, []):
            raise FieldError("spec.resourceSelectors", "required: at least one resource selector")
        policy = decode(cls, spec, "spec", kind=kind, name=raw_name, namespace=namespace if kind == PP_KIND else "",
                        metadata=meta)
        if kind == PP_KIND:
            for selector in policy.resource_selectors:
                selector.namespace = selector.namespace or namespace          # webhook default
        if policy.association or any((s.api_version, s.kind) == SERVICE_IMPORT for s in policy.resource_selectors):
            policy.propagate_deps = True                                      # webhook forces it
        policy.association = False
        return policy

    def problems(self) -> list[Problem]:
        """Every problem Karmada's validating webhook (and the CRD schema) would report, in field order."""
        problems: list[Problem] = []
        if len(self.name) > POLICY_NAME_MAX:
            problems.append(("metadata.name", f"must be no more than {POLICY_NAME_MAX} characters"))
        elif names.dns1123_subdomain(self.name):
            problems.append(("metadata.name", f'invalid name "{self.name}": must be lower case alphanumerics, '
                                              '"-" or ".", starting and ending with an alphanumeric'))
        if not self.is_cluster_scoped and names.dns1123_label(self.namespace):
            problems.append(("metadata.namespace", f'invalid namespace "{self.namespace}"'))
        for i, selector in enumerate(self.resource_selectors):
            path = f"spec.resourceSelectors[{i}]"
            if not self.is_cluster_scoped and selector.namespace != self.namespace:
                problems.append((f"{path}.namespace", f'a PropagationPolicy can only select objects in its own '
                                 f'namespace "{self.namespace}", not "{selector.namespace}"'))
            if self.is_cluster_scoped and selector.namespace and is_reserved_namespace(selector.namespace):
                problems.append((f"{path}.namespace", f'namespace "{selector.namespace}" is reserved for Karmada '
                                 "(karmada-system, karmada-cluster, karmada-es-*) and cannot be selected"))
            if self.preemption == "Always" and not selector.name:
                problems.append((f"{path}.name", "must be set when preemption is Always (a selector without a "
                                 "name could preempt unexpected resources)"))
            problems += _label_selector_problems(selector.label_selector, f"{path}.labelSelector")
        problems += self.placement.problems("spec.placement")
        if self.preemption not in PREEMPTIONS:
            problems.append(("spec.preemption", _unsupported(self.preemption, PREEMPTIONS)))
        problems += _failover_problems(self.failover, self.propagate_deps)
        if self.conflict_resolution not in CONFLICT_RESOLUTIONS:
            problems.append(("spec.conflictResolution",
                             _unsupported(self.conflict_resolution, CONFLICT_RESOLUTIONS)))
        if self.activation_preference not in ACTIVATION_PREFERENCES:
            problems.append(("spec.activationPreference",
                             _unsupported(self.activation_preference, ACTIVATION_PREFERENCES)))
        suspension = self.suspension or {}
        if suspension.get("dispatching") and (suspension.get("dispatchingOnClusters") or {}).get("clusterNames"):
            problems.append(("spec.suspension",
                             "dispatching cannot co-exist with dispatchingOnClusters.clusterNames"))
        if self.schedule_priority is not None:
            source = self.schedule_priority["priorityClassSource"]
            if source not in PRIORITY_CLASS_SOURCES:
                problems.append(("spec.schedulePriority.priorityClassSource",
                                 _unsupported(source, PRIORITY_CLASS_SOURCES)))
        return problems

    def to_dict(self) -> dict:
        """The full object, defaults filled in, camelCase, in Karmada's field order."""
        meta = copy.deepcopy(self.metadata)
        meta["name"] = self.name
        if self.is_cluster_scoped:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = self.namespace
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": meta, "spec": encode(self)}
