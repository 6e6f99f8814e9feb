"""InterpretReplica and ReviseReplica for the built-in workload kinds; pure.

Karmada's native interpreter (§4.2/§4.3 of the spec): Deployment, StatefulSet
and ReplicaSet ask for spec.replicas, a Job for min(parallelism, completions),
a Pod for 1; every other kind is not a workload (0 replicas, no requirements).
The replica requirements are what one replica needs: the pod's effective
request (limits stand in for missing requests, as kube defaults a pod) and the
node claim (nodeSelector, tolerations, required node affinity).
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction

from karmadactl.apis.quantity import BINARY_SI, DECIMAL_SI, format_quantity, pod_requests
from karmadactl.interpreter._fields import as_int, guarded

_SCALED = {("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "ReplicaSet")}
_JOB = ("batch/v1", "Job")
_POD = ("v1", "Pod")
_BINARY_RESOURCES = ("memory", "ephemeral-storage")


def _key(obj: dict) -> tuple[str, str]:
    return obj.get("apiVersion") or "", obj.get("kind") or ""


def job_replicas(spec: dict) -> int:
    """min(parallelism, completions); parallelism defaults to 1, completions to parallelism."""
    parallelism = as_int(spec.get("parallelism"), 1)
    completions = as_int(spec.get("completions"), parallelism)
    return max(min(parallelism, completions), 0)


def _pod_spec(obj: dict) -> dict | None:
    key = _key(obj)
    spec = obj.get("spec") or {}
    if key == _POD:
        return spec
    if key in _SCALED or key == _JOB:
        return (spec.get("template") or {}).get("spec") or {}
    return None


# -- requirements ---------------------------------------------------------------------------

def _with_limits_as_requests(pod_spec: dict) -> dict:
    """A copy of the pod spec where each container's missing requests take its limits."""
    spec = dict(pod_spec)
    for field in ("containers", "initContainers"):
        containers = []
        for container in pod_spec.get(field) or []:
            resources = container.get("resources") or {}
            limits = resources.get("limits") or {}
            if limits:
                requests = {**limits, **(resources.get("requests") or {})}
                container = {**container, "resources": {**resources, "requests": requests}}
            containers.append(container)
        spec[field] = containers
    return spec


def _counted(name: str) -> bool:
    """The resources Karmada's Resource type keeps: native compute plus scalar resources."""
    return (name in ("cpu", "memory", "ephemeral-storage", "pods") or "/" in name
            or name.startswith(("hugepages-", "attachable-volumes-")))


def _format(name: str, value: Fraction) -> str:
    """Karmada's rounding: cpu to whole millicores, everything else to whole units (up)."""
    if name == "cpu":
        return format_quantity(Fraction(math.ceil(value * 1000), 1000), DECIMAL_SI)
    fmt = BINARY_SI if name in _BINARY_RESOURCES or name.startswith("hugepages-") else DECIMAL_SI
    return format_quantity(math.ceil(value), fmt)


def resource_request(pod_spec: dict) -> dict[str, str]:
    """The effective request of one replica, canonical quantities, zero resources left out."""
    totals = pod_requests(_with_limits_as_requests(pod_spec))
    return {name: _format(name, value) for name, value in sorted(totals.items())
            if _counted(name) and value > 0}


def node_claim(pod_spec: dict) -> dict | None:
    """nodeSelector, tolerations and the required node affinity of a pod; None if it has none."""
    claim: dict = {}
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required:
        claim["hardNodeAffinity"] = copy.deepcopy(required)
    if pod_spec.get("nodeSelector"):
        claim["nodeSelector"] = dict(pod_spec["nodeSelector"])
    if pod_spec.get("tolerations"):
        claim["tolerations"] = copy.deepcopy(pod_spec["tolerations"])
    return claim or None


def replica_requirements(pod_spec: dict, namespace: str = "") -> dict | None:
    """A binding's spec.replicaRequirements for this pod spec; None if it claims nothing."""
    claim = node_claim(pod_spec)
    request = resource_request(pod_spec)
    if claim is None and not request:
        return None
    requirements: dict = {}
    if claim is not None:
        requirements["nodeClaim"] = claim
    if request:
        requirements["resourceRequest"] = request
    if namespace:
        requirements["namespace"] = namespace
    if pod_spec.get("priorityClassName"):
        requirements["priorityClassName"] = pod_spec["priorityClassName"]
    return requirements


# -- the interpreter operations -------------------------------------------------------------

@guarded("InterpretReplica")
def interpret_replicas(obj: dict) -> tuple[int, dict | None]:
    """(replicas, replicaRequirements) of a template; (0, None) for kinds that are not workloads."""
    pod_spec = _pod_spec(obj)
    if pod_spec is None:
        return 0, None
    key = _key(obj)
    spec = obj.get("spec") or {}
    if key == _POD:
        replicas = 1
    elif key == _JOB:
        replicas = job_replicas(spec)
    else:
        replicas = max(as_int(spec.get("replicas"), 1), 0)
    namespace = (obj.get("metadata") or {}).get("namespace") or ""
    return replicas, replica_requirements(pod_spec, namespace)


@guarded("ReviseReplica")
def revise_replicas(obj: dict, replicas: int) -> dict:
    """A copy of the template with one member's share of replicas written in.

    Deployment/StatefulSet/ReplicaSet: spec.replicas; Job: spec.parallelism
    (the caller splits completions); any other kind comes back unchanged.
    Only the changed path is copied; the rest is shared with `obj`.
    """
    key = _key(obj)
    field = "replicas" if key in _SCALED else "parallelism" if key == _JOB else None
    if field is None:
        return dict(obj)
    return {**obj, "spec": {**(obj.get("spec") or {}), field: replicas}}
