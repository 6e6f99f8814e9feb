"""WorkloadRebalancer (apps.karmada.io/v1alpha1, cluster-scoped): its checks and the status rules of
Karmada's controller; pure.

Karmada's sources: pkg/apis/apps/v1alpha1/workloadrebalancer_types.go (the CRD's checks: at least one
workload, each with apiVersion, kind and name) and
pkg/controllers/workloadrebalancer/workloadrebalancer_controller.go (`observed`, `needs_trigger`,
`finished`, `expired`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from karmadactl.apis.schema import INT32, Problem

GROUP_KIND = "WorkloadRebalancer.apps.karmada.io"
SUCCESSFUL = "Successful"
FAILED = "Failed"
BINDING_NOT_FOUND = "ReferencedBindingNotFound"


def problems(obj: dict) -> list[Problem]:
    out: list[Problem] = []
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    workloads = spec.get("workloads")
    if not isinstance(workloads, list) or not workloads:
        return [Problem("spec.workloads", "required: at least one workload")]
    for i, workload in enumerate(workloads):
        if not isinstance(workload, dict):
            out.append(Problem(f"spec.workloads[{i}]", "must be an object"))
            continue
        for key in ("apiVersion", "kind", "name"):
            if not isinstance(workload.get(key), str) or not workload.get(key):
                out.append(Problem(f"spec.workloads[{i}].{key}", "required"))
    ttl = spec.get("ttlSecondsAfterFinished")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or not INT32[0] <= ttl <= INT32[1]):
        out.append(Problem("spec.ttlSecondsAfterFinished", "must be an integer (int32)"))
    return out


def reference(workload: dict) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace, name): a workload's identity and its order in the status."""
    return (workload.get("apiVersion", ""), workload.get("kind", ""), workload.get("namespace") or "",
            workload.get("name", ""))


def observed(spec_workloads: list[dict], previous: list[dict]) -> list[dict]:
    """syncWorkloadsFromSpecToStatus: entries still in the spec keep their result; removed ones stay only
    when Successful; new ones come without a result; sorted by apiVersion, kind, namespace, name."""
    wanted = {reference(w): w for w in spec_workloads}
    out = []
    for item in previous:
        ref = reference(item.get("workload") or {})
        if ref in wanted:
            out.append(item)
            del wanted[ref]
        elif item.get("result") == SUCCESSFUL:
            out.append(item)
    out.extend({"workload": dict(w)} for w in wanted.values())
    return sorted(out, key=lambda item: " ".join(reference(item["workload"])))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def needs_trigger(created: str, triggered: str | None) -> bool:
    """A binding is stamped when it has no rescheduleTriggeredAt or one older than the rebalancer."""
    return not triggered or _time(created) > _time(triggered)


def finished(old: dict, observed_workloads: list[dict], generation: int, now: str, retries: int = 0) -> dict:
    """The new status: finishTime is now when anything changed and nothing waits for a retry."""
    status = {"observedWorkloads": observed_workloads, "observedGeneration": generation}
    if old.get("finishTime"):
        status["finishTime"] = old["finishTime"]
    if status != old and retries == 0:
        status["finishTime"] = now
    return status


def expired(rebalancer: dict, now: str) -> bool | None:
    """Whether ttlSecondsAfterFinished has run out (None: no TTL, or not finished)."""
    ttl = (rebalancer.get("spec") or {}).get("ttlSecondsAfterFinished")
    finish = (rebalancer.get("status") or {}).get("finishTime")
    if ttl is None or not finish or not now:
        return None
    return _time(finish) + timedelta(seconds=int(ttl)) <= _time(now)
