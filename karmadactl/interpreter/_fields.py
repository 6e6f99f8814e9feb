"""Small readers shared by the native interpreter modules; pure, never mutate their input."""

from __future__ import annotations

APPS = "apps/v1"
BATCH = "batch/v1"
CORE = "v1"
NETWORKING = "networking.k8s.io/v1"
POLICY = "policy/v1"
AUTOSCALING = "autoscaling/v2"

DEPLOYMENT = (APPS, "Deployment")
STATEFULSET = (APPS, "StatefulSet")
REPLICASET = (APPS, "ReplicaSet")
DAEMONSET = (APPS, "DaemonSet")
JOB = (BATCH, "Job")
CRONJOB = (BATCH, "CronJob")
POD = (CORE, "Pod")
SERVICE = (CORE, "Service")
SERVICE_ACCOUNT = (CORE, "ServiceAccount")
SECRET = (CORE, "Secret")
PVC = (CORE, "PersistentVolumeClaim")
PV = (CORE, "PersistentVolume")
INGRESS = (NETWORKING, "Ingress")
PDB = (POLICY, "PodDisruptionBudget")
HPA = (AUTOSCALING, "HorizontalPodAutoscaler")

# Karmada stamps the template's generation on every object it pushes (§7.2).
TEMPLATE_GENERATION_ANNOTATION = "resourcetemplate.karmada.io/generation"


def kind_key(obj: dict) -> tuple[str, str]:
    """(apiVersion, kind) of a manifest."""
    return obj.get("apiVersion") or "", obj.get("kind") or ""


def as_int(value, default: int = 0) -> int:
    """An integer field as given; `default` when unset or not a number."""
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def metadata(obj: dict) -> dict:
    return obj.get("metadata") or {}


def spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def status(obj: dict) -> dict:
    return obj.get("status") or {}


def generation(obj: dict) -> int:
    return as_int(metadata(obj).get("generation"))


def template_generation(obj: dict) -> int:
    """The template generation Karmada stamped on a member object (0 if absent or garbled)."""
    return as_int((metadata(obj).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION))


def condition(conditions, type_: str) -> dict | None:
    for item in conditions or []:
        if isinstance(item, dict) and item.get("type") == type_:
            return item
    return None
