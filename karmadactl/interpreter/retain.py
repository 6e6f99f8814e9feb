"""Retain: merge what a member cluster owns into the object karmadactl is about to write.

Generic part (Karmada's objectwatcher + util.RetainLabels/RetainAnnotations):
labels and annotations the member added are kept, unless karmadactl itself
propagated the key before (it is listed in the observed object's
managed-labels / managed-annotations annotation) and the template has dropped
it since. Kind-specific part (native/retain.go, §4.2): fields the member's
controllers allocate or fill in. resourceVersion, finalizers and
ownerReferences are not copied: objects are written with server-side apply,
which leaves fields we do not send alone. Pure; inputs are never mutated.
"""

from __future__ import annotations

import copy

from karmadactl.apis.wellknown import MANAGED_ANNOTATIONS, MANAGED_LABELS, RETAIN_REPLICAS
from karmadactl.interpreter._fields import (
    DEPLOYMENT,
    JOB,
    POD,
    PV,
    PVC,
    SECRET,
    SERVICE,
    SERVICE_ACCOUNT,
    as_int,
    guarded,
    kind_key,
)

SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"


def _managed_keys(observed: dict, annotation: str) -> set[str]:
    listed = ((observed.get("metadata") or {}).get("annotations") or {}).get(annotation) or ""
    return {key.strip() for key in listed.split(",") if key.strip()}


def _merge_member_keys(desired: dict[str, str] | None, observed: dict[str, str] | None,
                       previously_managed: set[str]) -> dict[str, str]:
    """Desired entries win; member entries stay unless we managed them and dropped them."""
    merged = dict(desired or {})
    dropped = previously_managed - merged.keys()
    for key, value in (observed or {}).items():
        if key not in merged and key not in dropped:
            merged[key] = value
    return merged


@guarded("Retain")
def retain_metadata(desired: dict, observed: dict) -> dict:
    """A copy of `desired` whose labels and annotations keep what the member added."""
    result = copy.deepcopy(desired)
    meta = result.setdefault("metadata", {})
    observed_meta = observed.get("metadata") or {}
    for field, annotation in (("labels", MANAGED_LABELS),
                              ("annotations", MANAGED_ANNOTATIONS)):
        merged = _merge_member_keys(meta.get(field), observed_meta.get(field),
                                    _managed_keys(observed, annotation))
        if merged:
            meta[field] = merged
        else:
            meta.pop(field, None)
    return result


# -- kind-specific retention; each works on (and returns) its own copy ----------------------

def _set_or_drop(target: dict, field: str, value) -> None:
    if value in (None, "", [], {}):
        target.pop(field, None)
    else:
        target[field] = copy.deepcopy(value)


def _retain_pod(result: dict, observed: dict) -> None:
    pod_spec = result.setdefault("spec", {})
    member_spec = observed.get("spec") or {}
    for field in ("nodeName", "serviceAccountName", "volumes"):
        _set_or_drop(pod_spec, field, member_spec.get(field))
    for field in ("containers", "initContainers"):
        mounts = {c.get("name"): c.get("volumeMounts") for c in member_spec.get(field) or []}
        for container in pod_spec.get(field) or []:
            if container.get("name") in mounts:
                _set_or_drop(container, "volumeMounts", mounts[container.get("name")])


def _retain_service(result: dict, observed: dict) -> None:
    service_spec = result.setdefault("spec", {})
    member_spec = observed.get("spec") or {}
    if member_spec.get("clusterIP"):
        service_spec["clusterIP"] = member_spec["clusterIP"]
        if member_spec.get("clusterIPs") and not service_spec.get("clusterIPs"):
            service_spec["clusterIPs"] = list(member_spec["clusterIPs"])
    if as_int(member_spec.get("healthCheckNodePort")) > 0:
        service_spec["healthCheckNodePort"] = as_int(member_spec["healthCheckNodePort"])


def _append_member_only(desired: list | None, observed: list | None) -> list:
    """`desired` followed by the member's entries it lacks (compared by name)."""
    merged = copy.deepcopy(list(desired or []))
    names = {entry.get("name") if isinstance(entry, dict) else entry for entry in merged}
    for entry in observed or []:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if name not in names:
            merged.append(copy.deepcopy(entry))
            names.add(name)
    return merged


def _retain_service_account(result: dict, observed: dict) -> None:
    for field in ("secrets", "imagePullSecrets"):
        merged = _append_member_only(result.get(field), observed.get(field))
        if merged:
            result[field] = merged


def _retain_pvc(result: dict, observed: dict) -> None:
    volume = (observed.get("spec") or {}).get("volumeName")
    if volume:
        result.setdefault("spec", {})["volumeName"] = volume


def _retain_pv(result: dict, observed: dict) -> None:
    claim = (observed.get("spec") or {}).get("claimRef")
    if claim is not None:
        result.setdefault("spec", {})["claimRef"] = copy.deepcopy(claim)


def _retain_secret(result: dict, observed: dict) -> None:
    if result.get("type") == SERVICE_ACCOUNT_TOKEN and observed.get("data"):
        result["data"] = copy.deepcopy(observed["data"])


def _retain_deployment(result: dict, observed: dict) -> None:
    labels = (result.get("metadata") or {}).get("labels") or {}
    replicas = (observed.get("spec") or {}).get("replicas")
    if labels.get(RETAIN_REPLICAS) == "true" and replicas is not None:
        result.setdefault("spec", {})["replicas"] = as_int(replicas)


def _retain_job(result: dict, observed: dict) -> None:
    member_spec = observed.get("spec") or {}
    match_labels = (member_spec.get("selector") or {}).get("matchLabels")
    if match_labels is not None:
        selector = result.setdefault("spec", {}).setdefault("selector", {})
        selector["matchLabels"] = dict(match_labels)
    template_labels = ((member_spec.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels is not None:
        template = result.setdefault("spec", {}).setdefault("template", {})
        template.setdefault("metadata", {})["labels"] = dict(template_labels)


_KIND_RETAIN = {
    POD: _retain_pod,
    SERVICE: _retain_service,
    SERVICE_ACCOUNT: _retain_service_account,
    PVC: _retain_pvc,
    PV: _retain_pv,
    SECRET: _retain_secret,
    DEPLOYMENT: _retain_deployment,
    JOB: _retain_job,
}


@guarded("Retain")
def retain(desired: dict, observed: dict) -> dict:
    """The object to write to a member: `desired` plus what the member owns in `observed`."""
    result = retain_metadata(desired, observed)
    kind_retain = _KIND_RETAIN.get(kind_key(desired))
    if kind_retain is not None:
        kind_retain(result, observed)
    return result
