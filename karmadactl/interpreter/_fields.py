"""Small readers shared by the native interpreter modules; pure, never mutate their input."""

from __future__ import annotations

import functools
import re

from karmadactl.apis.wellknown import TEMPLATE_GENERATION
from karmadactl.errors import InvalidInput

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
    return as_int((metadata(obj).get("annotations") or {}).get(TEMPLATE_GENERATION))


def condition(conditions, type_: str) -> dict | None:
    for item in conditions or []:
        if isinstance(item, dict) and item.get("type") == type_:
            return item
    return None


# -- malformed objects ----------------------------------------------------------------------
# Karmada's native interpreter first converts an object into its typed Go struct
# (helper.ConvertToTypedObject) and fails the operation when a field has the
# wrong type. The readers here take plain dicts; a field of the wrong shape
# surfaces as one of these Python errors, turned into the same per-object error.

SHAPE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError, ArithmeticError, RecursionError)


class MalformedObject(InvalidInput):
    """An object whose fields have shapes its kind's interpreter cannot read."""


def describe(obj) -> str:
    """`Deployment default/nginx`, as far as the object says it."""
    if not isinstance(obj, dict):
        return "object"
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else "object"
    name = meta.get("name") if isinstance(meta.get("name"), str) else "?"
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def guarded(operation: str):
    """Run a built-in interpreter operation; a malformed object becomes MalformedObject naming it."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(obj, *args, **kwargs):
            try:
                return fn(obj, *args, **kwargs)
            except MalformedObject:
                raise
            except InvalidInput as e:        # a quantity that is not one, ...
                raise MalformedObject(f"{operation}: {describe(obj)}: {e}") from None
            except SHAPE_ERRORS as e:
                raise MalformedObject(f"{operation}: failed to convert {describe(obj)} from its fields: "
                                      f"{shape_reason(e)}") from None
        return run
    return wrap


_PYTHON_TYPES = {"str": "a string", "int": "a number", "float": "a number", "bool": "a boolean",
                 "list": "a list", "dict": "a mapping", "NoneType": "null"}
_WANTED = [(re.compile(r"'(\w+)' object has no attribute '(get|items|keys|values|setdefault|pop)'"), "a mapping"),
           (re.compile(r"'(\w+)' object has no attribute '(append|extend|index)'"), "a list"),
           (re.compile(r"'(\w+)' object is not (iterable|subscriptable)"), "a list or a mapping"),
           (re.compile(r"^(string) indices must be integers"), "a mapping")]


def shape_reason(e: BaseException) -> str:
    """The Python error in the words of the object: what was found where something else was expected."""
    if isinstance(e, RecursionError):
        return "nested too deeply"
    text = str(e) or type(e).__name__
    for pattern, wanted in _WANTED:
        found = pattern.search(text)
        if found:
            return f"{_PYTHON_TYPES.get(found.group(1), found.group(1))} where {wanted} was expected"
    return text if len(text) <= 120 else text[:117] + "..."
