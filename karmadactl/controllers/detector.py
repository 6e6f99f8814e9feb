"""The detector: which templates propagate, which policy claims them, and their binding; pure.

Karmada's resource detector (§1.2.2, §1.4, §7.5 of the spec) watches every
template, finds the best PropagationPolicy or ClusterPropagationPolicy for it
and writes a ResourceBinding (namespaced template) or ClusterResourceBinding
(cluster-scoped template). Here the same decisions are functions of plain
objects; storing the result is the caller's job.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import TYPE_CHECKING

from karmadactl.apis.karmada import (
    BindingSnapshot,
    ObjectMeta,
    ObjectReference,
    ResourceBinding,
    ResourceBindingSpec,
    TargetCluster,
)
from karmadactl.apis.wellknown import (
    CLAIMED_BY,
    CPP_NAME,
    CPP_PERMANENT_ID,
    CRB_PERMANENT_ID,
    PP_NAME,
    PP_NAMESPACE,
    PP_PERMANENT_ID,
    RB_PERMANENT_ID,
    TEMPLATE_DIGEST,
    is_reserved_namespace,
)
from karmadactl.interpreter.resolve import interpret_replicas

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.policy import PropagationPolicy

PP_KIND = "PropagationPolicy"
CPP_KIND = "ClusterPropagationPolicy"
CLAIM_LABELS = (PP_PERMANENT_ID, CPP_PERMANENT_ID)
CLAIM_ANNOTATIONS = (PP_NAME, PP_NAMESPACE, CPP_NAME)
SKIP_AUTO_PROPAGATION = "namespace.karmada.io/skip-auto-propagation"

# Namespaces whose objects are never propagated: Karmada's reserved ones and the
# default of --skipped-propagating-namespaces (kube-.*), anchored like Karmada does.
SKIPPED_NAMESPACE_PATTERNS: tuple[re.Pattern, ...] = (
    re.compile(r"^(?:karmada-system)$"),
    re.compile(r"^(?:karmada-cluster)$"),
    re.compile(r"^(?:karmada-es-.*)$"),
    re.compile(r"^(?:kube-.*)$"),
)
# API groups and kinds the detector ignores by default.
SKIPPED_GROUP_SUFFIX = ".karmada.io"
SKIPPED_GROUPS = frozenset({"events.k8s.io"})
SKIPPED_GROUP_KINDS = frozenset({("", "Event"), ("coordination.k8s.io", "Lease")})
SKIPPED_OBJECTS = frozenset({("v1", "ConfigMap", "kube-system", "extension-apiserver-authentication")})
SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def is_skipped_namespace(namespace: str) -> bool:
    """Reserved namespaces and the default skipped ones (kube-.*)."""
    return any(pattern.match(namespace) for pattern in SKIPPED_NAMESPACE_PATTERNS)


def propagatable(obj: dict) -> bool:
    """Whether the detector takes care of this template at all (§7.5).

    Objects in `default` propagate like any other namespace; so does the
    Namespace object `default` when a policy selects it (it is only left out
    of namespace auto-propagation, see `auto_propagates_namespace`).
    """
    api_version, kind = obj.get("apiVersion") or "", obj.get("kind") or ""
    meta = _meta(obj)
    name, namespace = meta.get("name") or "", meta.get("namespace") or ""
    if not api_version or not kind or not name:
        return False
    if namespace and is_skipped_namespace(namespace):
        return False
    if api_version == "v1" and kind == "Namespace" and is_skipped_namespace(name):
        return False
    group = _group(api_version)
    if group.endswith(SKIPPED_GROUP_SUFFIX) or group == SKIPPED_GROUP_SUFFIX[1:] or group in SKIPPED_GROUPS:
        return False
    if (group, kind) in SKIPPED_GROUP_KINDS:
        return False
    if (api_version, kind, namespace, name) in SKIPPED_OBJECTS:
        return False
    if api_version == "v1" and kind == "Secret" and obj.get("type") == SERVICE_ACCOUNT_TOKEN:
        return False
    return True


def auto_propagates_namespace(namespace: dict) -> bool:
    """Whether a Namespace object goes to every cluster without a policy (namespace sync, §7.5)."""
    meta = _meta(namespace)
    name = meta.get("name") or ""
    if not name or name == "default" or is_skipped_namespace(name):
        return False
    return (meta.get("labels") or {}).get(SKIP_AUTO_PROPAGATION) != "true"


# -- which policy claims a template ---------------------------------------------------------

def _is_cluster_policy(policy: PropagationPolicy) -> bool:
    return policy.kind == CPP_KIND


def match_priority(obj: dict, policy: PropagationPolicy) -> int:
    """The implicit priority (3 name, 2 labelSelector, 1 kind only) of the policy's best
    selector for this object; 0 when the policy may not or does not select it."""
    if (policy.metadata or {}).get("deletionTimestamp"):
        return 0
    namespace = _meta(obj).get("namespace") or ""
    if _is_cluster_policy(policy):
        if namespace and is_reserved_namespace(namespace):
            return 0
    elif not namespace or namespace != policy.namespace:
        return 0
    return max((selector.match_priority(obj) for selector in policy.resource_selectors), default=0)


def _identity(policy: PropagationPolicy) -> tuple[str, str, str]:
    return policy.kind, ("" if _is_cluster_policy(policy) else policy.namespace), policy.name


def select_policy(obj: dict, policies: list[PropagationPolicy],
                  claimed_by: tuple[str, str, str] | None = None) -> PropagationPolicy | None:
    """The policy that claims `obj` (§1.2.2), or None.

    A claim is sticky while its policy still selects the object. Otherwise any
    matching PropagationPolicy of the object's namespace beats every
    ClusterPropagationPolicy; among one kind the higher explicit priority
    wins, then the better selector (name > labelSelector > kind only), then
    the smaller name.
    """
    if (_meta(obj).get("labels") or {}).get(CLAIMED_BY):     # a MultiClusterService propagates it
        return None
    matched = [(policy, match_priority(obj, policy)) for policy in policies]
    matched = [(policy, implicit) for policy, implicit in matched if implicit > 0]
    if claimed_by is not None:
        claimed = (claimed_by[0], "" if claimed_by[0] == CPP_KIND else claimed_by[1], claimed_by[2])
        for policy, _ in matched:
            if _identity(policy) == claimed:
                preemptors = [(p, i) for p, i in matched if p is not policy and can_preempt(p, policy)]
                return _best(preemptors) or policy
    return _best(matched)


def _best(matched: list[tuple[PropagationPolicy, int]]) -> PropagationPolicy | None:
    for cluster_scoped in (False, True):
        candidates = [(p, i) for p, i in matched if _is_cluster_policy(p) == cluster_scoped]
        if candidates:
            return min(candidates, key=lambda pi: (-pi[0].priority, -pi[1], pi[0].name))[0]
    return None


def can_preempt(policy: PropagationPolicy, claimant: PropagationPolicy) -> bool:
    """Whether `policy` takes a template `claimant` claimed (Karmada's pkg/detector/preemption.go).

    Only a policy with `preemption: Always` preempts: a PropagationPolicy takes from a
    PropagationPolicy of strictly lower priority and from any ClusterPropagationPolicy whatever
    its priority; a ClusterPropagationPolicy takes only from a ClusterPropagationPolicy of
    strictly lower priority, never from a PropagationPolicy.
    """
    if policy.preemption != "Always":
        return False
    if _is_cluster_policy(policy):
        return _is_cluster_policy(claimant) and policy.priority > claimant.priority
    return _is_cluster_policy(claimant) or policy.priority > claimant.priority


def claimed_policy(obj: dict) -> tuple[str, str, str] | None:
    """The (kind, namespace, name) of the policy named by a template's claim annotations, if any."""
    return _claim(_meta(obj).get("annotations") or {})


def binding_claim(binding: ResourceBinding) -> tuple[str, str, str] | None:
    """The (kind, namespace, name) of the policy that claims through this binding, if any."""
    return _claim(binding.metadata.annotations or {})


def _claim(annotations: dict) -> tuple[str, str, str] | None:
    if annotations.get(PP_NAME) and annotations.get(PP_NAMESPACE):
        return PP_KIND, annotations[PP_NAMESPACE], annotations[PP_NAME]
    if annotations.get(CPP_NAME):
        return CPP_KIND, "", annotations[CPP_NAME]
    return None


# -- what a claim waits for ------------------------------------------------------------------

WAITING_FOR_OVERRIDES = "waiting for dependent overrides"


def missing_dependent_overrides(policy: PropagationPolicy, overrides) -> list[str]:
    """The spec.dependentOverrides of `policy` that do not exist (Karmada's
    pkg/util/helper/policy.go IsDependentOverridesPresent): OverridePolicies of the policy's
    namespace for a PropagationPolicy, ClusterOverridePolicies for a ClusterPropagationPolicy."""
    cluster = _is_cluster_policy(policy)
    present = {o.name for o in overrides
               if o.is_cluster_scoped == cluster and (cluster or o.namespace == policy.namespace)}
    kind = "ClusterOverridePolicy" if cluster else "OverridePolicy"
    where = "" if cluster else f"{policy.namespace}/"
    return [f"{kind} {where}{name}" for name in policy.dependent_overrides if name not in present]


PRIORITY_CLASS = ("scheduling.k8s.io/v1", "PriorityClass")


def priority_classes(templates) -> dict[str, int]:
    """PriorityClass name -> value, of the PriorityClasses stored as templates."""
    out = {}
    for obj in templates:
        if (obj.get("apiVersion"), obj.get("kind")) == PRIORITY_CLASS and isinstance(obj.get("value"), int):
            out[_meta(obj).get("name") or ""] = obj["value"]
    return out


class ClaimWaits(Exception):
    """The claiming policy cannot be applied yet; the template waits (its binding is not touched)."""


def schedule_priority(policy: PropagationPolicy, classes: dict[str, int]) -> int | None:
    """The binding's spec.schedulePriority.priority (Karmada's pkg/detector/detector.go
    BuildResourceBinding): the value of the KubePriorityClass the policy names; None without
    schedulePriority. A missing PriorityClass fails the build, as the Get does in Karmada."""
    if not policy.schedule_priority:
        return None
    name = policy.schedule_priority.get("priorityClassName") or ""
    if name not in classes:
        raise ClaimWaits(f'priorityclasses.scheduling.k8s.io "{name}" not found')
    return classes[name]


DEFAULT_SCHEDULER = "default-scheduler"


def scheduled_elsewhere(binding: ResourceBinding) -> str:
    """The scheduler a binding is left to, or "" when it is karmadactl's."""
    return other_scheduler(binding.spec.scheduler_name)


def other_scheduler(scheduler_name: str | None) -> str:
    """A binding's spec.schedulerName when it is not karmadactl's, else "" (Karmada's
    default-scheduler; an empty schedulerName counts as that, pkg/scheduler/event_handler.go
    schedulerNameFilter)."""
    name = scheduler_name or DEFAULT_SCHEDULER
    return "" if name == DEFAULT_SCHEDULER else name


def left_to_scheduler_message(name: str) -> str:
    return f'left to scheduler "{name}": karmadactl schedules only for {DEFAULT_SCHEDULER}'


# activationPreference: Lazy. Karmada re-applies such a policy to a template only on a template
# event that changes more than status, resourceVersion, managedFields, generation and Karmada's own
# (".karmada.io") labels and annotations (pkg/util/eventfilter/eventfilter.go, pkg/detector/detector.go).
# karmadactl keeps a digest of what counts in the binding (TEMPLATE_DIGEST), so the next pass can tell.
_IGNORED_META = ("resourceVersion", "managedFields", "generation")


def template_digest(obj: dict) -> str:
    import hashlib
    import json

    meta = {k: v for k, v in _meta(obj).items() if k not in _IGNORED_META}
    for key in ("labels", "annotations"):
        values = meta.get(key) or {}
        meta[key] = {k: v for k, v in values.items() if ".karmada.io" not in k or k == SKIP_AUTO_PROPAGATION}
    body = {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def lazy_deferred(obj: dict, policy: PropagationPolicy, previous: ResourceBinding | None) -> bool:
    """Whether the pass keeps `previous` as it is: the policy is Lazy, already claims the template
    through this binding, and the template has not changed since the binding was built."""
    if policy.activation_preference != "Lazy" or previous is None:
        return False
    if binding_claim(previous) != (policy.kind, policy.namespace, policy.name):
        return False
    recorded = previous.metadata.annotation(TEMPLATE_DIGEST)
    return recorded is None or recorded == template_digest(obj)


# -- the binding ----------------------------------------------------------------------------

def binding_name(name: str, kind: str) -> str:
    """Karmada's binding name: lower(<name with ':' -> '.'>-<kind>), e.g. nginx-deployment."""
    return f"{name.replace(':', '.')}-{kind}".lower()


def _claim_metadata(policy: PropagationPolicy) -> tuple[dict[str, str], dict[str, str]]:
    policy_labels = (policy.metadata or {}).get("labels") or {}
    if _is_cluster_policy(policy):
        label_key, annotations = CPP_PERMANENT_ID, {CPP_NAME: policy.name}
    else:
        label_key, annotations = PP_PERMANENT_ID, {PP_NAME: policy.name, PP_NAMESPACE: policy.namespace}
    labels = {label_key: policy_labels[label_key]} if policy_labels.get(label_key) else {}
    return labels, annotations


# The order karmadactl writes a rebuilt binding's spec in: the detector's fields, what is kept from the
# previous binding, then what the pass adds (clusters from the scheduler, requiredBy from the dependencies).
_SPEC_ORDER = ("resource", "replicas", "replicaRequirements", "placement", "propagateDeps", "conflictResolution",
               "failover", "suspension", "preserveResourcesOnDeletion", "schedulerName", "schedulePriority")


def written_order(previous: ResourceBinding | None) -> dict | None:
    """The mapping whose key order a binding the detector rebuilds from `previous` is written in (its
    `raw`): the status in the previous binding's order. None for a new binding: its fields' order."""
    if previous is None:
        return None
    old = previous.spec
    spec = dict.fromkeys(_SPEC_ORDER)
    kept = (("clusters", old.clusters), ("gracefulEvictionTasks", old.graceful_eviction_tasks),
            ("rescheduleTriggeredAt", old.reschedule_triggered_at), ("requiredBy", old.required_by))
    spec.update((key, None) for key, value in kept if value is not None)
    order: dict = {"apiVersion": None, "kind": None, "metadata": {}, "spec": spec}
    status = (previous.raw or {}).get("status")
    if status:
        order["status"] = status
    return order


def _binding_metadata(obj: dict, policy: PropagationPolicy, old_meta: ObjectMeta) -> ObjectMeta:
    """A binding's metadata: its name and owner from the template, the claim from the policy;
    what others wrote into the previous binding's labels and annotations is kept."""
    meta = _meta(obj)
    namespace = meta.get("namespace") or ""
    kind = obj.get("kind") or ""
    id_label = RB_PERMANENT_ID if namespace else CRB_PERMANENT_ID
    claim_labels, claim_annotations = _claim_metadata(policy)
    old_labels = old_meta.labels or {}
    labels = {k: v for k, v in old_labels.items() if k not in CLAIM_LABELS}
    labels.update(claim_labels)
    labels[id_label] = old_labels.get(id_label) or str(uuid.uuid4())
    annotations = {k: v for k, v in (old_meta.annotations or {}).items() if k not in CLAIM_ANNOTATIONS}
    annotations.update(claim_annotations)
    annotations.pop(TEMPLATE_DIGEST, None)
    if policy.activation_preference == "Lazy":
        annotations[TEMPLATE_DIGEST] = template_digest(obj)
    owners = None
    if meta.get("uid"):
        owners = [{"apiVersion": obj.get("apiVersion") or "", "kind": kind, "name": meta.get("name") or "",
                   "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]
    return ObjectMeta(name=binding_name(meta.get("name") or "", kind), namespace=namespace or None,
                      uid=old_meta.uid, resource_version=old_meta.resource_version,
                      creation_timestamp=old_meta.creation_timestamp, generation=old_meta.generation,
                      labels=labels, annotations=annotations, owner_references=owners)


def _kept_spec(spec: ResourceBindingSpec, old: ResourceBindingSpec) -> None:
    """What the scheduler and the other controllers wrote into the previous binding's spec."""
    if old.clusters is not None:
        spec.clusters = [TargetCluster(c.name, c.replicas) for c in old.clusters]
    spec.graceful_eviction_tasks = copy.deepcopy(old.graceful_eviction_tasks)
    spec.reschedule_triggered_at = old.reschedule_triggered_at
    if old.required_by is not None:
        spec.required_by = [BindingSnapshot(r.namespace, r.name, None if r.clusters is None else
                                            [TargetCluster(c.name, c.replicas) for c in r.clusters])
                            for r in old.required_by]


def build_binding(obj: dict, policy: PropagationPolicy, previous: ResourceBinding | None = None,
                  customizations=(), priority: int | None = None) -> ResourceBinding:
    """The ResourceBinding (namespaced template) or ClusterResourceBinding that `policy` makes of `obj`.

    What the scheduler and the other controllers wrote into `previous` (the
    scheduling result, eviction tasks, status, extra labels and annotations)
    survives; the parts the detector owns are rewritten from the template and
    the policy.
    """
    meta = _meta(obj)
    namespace = meta.get("namespace") or ""
    resource = ObjectReference(api_version=obj.get("apiVersion") or "", kind=obj.get("kind") or "",
                               namespace=namespace or None, name=meta.get("name") or "",
                               uid=meta.get("uid") or None, resource_version=meta.get("resourceVersion") or None)
    replicas, requirements = interpret_replicas(obj, customizations)
    spec = ResourceBindingSpec(
        resource=resource, replicas=replicas or None, replica_requirements=requirements,
        placement=policy.placement.to_dict(), propagate_deps=bool(policy.propagate_deps),
        conflict_resolution=policy.conflict_resolution,
        failover=None if policy.failover is None else copy.deepcopy(policy.failover),
        suspension=None if policy.suspension is None else copy.deepcopy(policy.suspension),
        preserve_resources_on_deletion=bool(policy.preserve_resources_on_deletion),
        scheduler_name=policy.scheduler_name,
        schedule_priority=None if priority is None else {"priority": priority})
    if previous is not None:
        _kept_spec(spec, previous.spec)
    return ResourceBinding(
        kind="ResourceBinding" if namespace else "ClusterResourceBinding",
        metadata=_binding_metadata(obj, policy, previous.metadata if previous is not None else ObjectMeta()),
        spec=spec, status=copy.deepcopy(previous.status) if previous is not None else None,
        raw=written_order(previous))
