"""InterpretHealth for the built-in kinds (Karmada's native/healthy.go); pure.

A member object is Healthy or Unhealthy; kinds without a rule are Healthy.
"""

from __future__ import annotations

from karmadactl.interpreter._fields import (
    DAEMONSET,
    DEPLOYMENT,
    INGRESS,
    PDB,
    POD,
    PVC,
    REPLICASET,
    SERVICE,
    STATEFULSET,
    as_int,
    condition,
    generation,
    guarded,
    kind_key,
    spec,
    status,
)
from karmadactl.interpreter.status import HEALTHY, UNHEALTHY


def _caught_up(obj: dict) -> bool:
    """The member's controller has seen the latest spec."""
    return as_int(status(obj).get("observedGeneration")) == generation(obj)


def _rolled_out(obj: dict) -> bool:
    """Deployment/StatefulSet: caught up, every desired replica updated and available."""
    current = status(obj)
    updated = as_int(current.get("updatedReplicas"))
    desired = spec(obj).get("replicas")
    if desired is not None and updated < as_int(desired):
        return False
    return _caught_up(obj) and as_int(current.get("availableReplicas")) >= updated


def _replica_set(obj: dict) -> bool:
    desired = spec(obj).get("replicas")
    available = as_int(status(obj).get("availableReplicas"))
    return _caught_up(obj) and (desired is None or available >= as_int(desired))


def _daemon_set(obj: dict) -> bool:
    current = status(obj)
    updated = as_int(current.get("updatedNumberScheduled"))
    return (_caught_up(obj) and updated >= as_int(current.get("desiredNumberScheduled"))
            and as_int(current.get("numberAvailable")) >= updated)


def _has_lb_ingress(obj: dict) -> bool:
    ingress = (status(obj).get("loadBalancer") or {}).get("ingress") or []
    return any(entry.get("ip") or entry.get("hostname") for entry in ingress)


def _service(obj: dict) -> bool:
    return spec(obj).get("type") != "LoadBalancer" or _has_lb_ingress(obj)


def _pod(obj: dict) -> bool:
    phase = status(obj).get("phase")
    if phase == "Succeeded":
        return True
    ready = condition(status(obj).get("conditions"), "Ready")
    return phase == "Running" and ready is not None and ready.get("status") == "True"


def _pvc(obj: dict) -> bool:
    return status(obj).get("phase") == "Bound"


def _pdb(obj: dict) -> bool:
    current = status(obj)
    return as_int(current.get("currentHealthy")) >= as_int(current.get("desiredHealthy"))


_RULES = {
    DEPLOYMENT: _rolled_out,
    STATEFULSET: _rolled_out,
    REPLICASET: _replica_set,
    DAEMONSET: _daemon_set,
    SERVICE: _service,
    INGRESS: _has_lb_ingress,
    POD: _pod,
    PVC: _pvc,
    PDB: _pdb,
}


def has_health_rule(obj: dict) -> bool:
    """Whether the native interpreter judges this kind (others are always Healthy)."""
    return kind_key(obj) in _RULES


@guarded("InterpretHealth")
def interpret_health(obj: dict) -> str:
    """"Healthy" or "Unhealthy" for a member object; "Healthy" for kinds without a rule."""
    rule = _RULES.get(kind_key(obj))
    if rule is None or rule(obj):
        return HEALTHY
    return UNHEALTHY
