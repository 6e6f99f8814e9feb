"""AggregateStatus for the built-in kinds (native/aggregatestatus.go, §5); pure.

Takes a template and its binding's aggregatedStatus items ({clusterName,
status, applied, health}, status being what reflect_status recorded) and
returns the template's new .status, or None for kinds Karmada does not
aggregate. The result is a fresh dict; the template is never mutated.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from karmadactl.apis.meta import now as meta_now
from karmadactl.interpreter._fields import (
    CRONJOB,
    DAEMONSET,
    DEPLOYMENT,
    HPA,
    INGRESS,
    JOB,
    PDB,
    POD,
    PV,
    PVC,
    REPLICASET,
    SERVICE,
    STATEFULSET,
    as_int,
    generation,
    guarded,
    kind_key,
    spec,
)
from karmadactl.interpreter.status import workload_counters

_POD_PHASES = ("Failed", "Pending", "Running", "Succeeded")
_VOLUME_PHASES = ("Failed", "Pending", "Available", "Bound", "Released")


def _statuses(items: list[dict]):
    """(clusterName, status) of the items that carry a status."""
    for item in items:
        if isinstance(item.get("status"), dict):
            yield item.get("clusterName") or "", item["status"]


def _old_status(template: dict) -> dict:
    return copy.deepcopy(template.get("status") or {})


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- workloads: summed counters and the observedGeneration rule -----------------------------

def _observed_latest(template: dict, items: list[dict]) -> bool:
    """Every cluster's controller has seen the latest template (§5, Argo CD's health check)."""
    if not items:
        return False
    wanted = generation(template)
    for item in items:
        reflected = item.get("status")
        if not isinstance(reflected, dict):
            return False
        if as_int(reflected.get("observedGeneration")) < as_int(reflected.get("generation")):
            return False
        if as_int(reflected.get("resourceTemplateGeneration")) < wanted:
            return False
    return True


def _aggregate_workload(template: dict, items: list[dict]) -> dict:
    counters = workload_counters(kind_key(template))
    result = _old_status(template)
    totals = dict.fromkeys(counters, 0)
    for _, reflected in _statuses(items):
        for name in counters:
            totals[name] += as_int(reflected.get(name))
    result.update(totals)
    if _observed_latest(template, items):
        result["observedGeneration"] = generation(template)
    return result


# -- Job and CronJob ------------------------------------------------------------------------

def _job_finished(job_status: dict) -> str | None:
    """"Complete" or "Failed" when the Job has finished, else None."""
    for cond in job_status.get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return cond["type"]
    return None


def _job_condition(type_: str, reason: str, message: str, now: str) -> dict:
    return {"type": type_, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def _aggregate_job(template: dict, items: list[dict], now: str) -> dict:
    old = _old_status(template)
    if _job_finished(old):
        return old  # a finished Job is never updated again
    result: dict[str, Any] = {"active": 0, "succeeded": 0, "failed": 0}
    failed_in, completed = [], 0
    start = completion = None
    with_completion = 0
    for cluster, reflected in _statuses(items):
        for name in ("active", "succeeded", "failed"):
            result[name] += as_int(reflected.get(name))
        finished = _job_finished(reflected)
        if finished == "Complete":
            completed += 1
        elif finished == "Failed":
            failed_in.append(cluster)
        started = _parse_time(reflected.get("startTime"))
        if started is not None and (start is None or started < start[0]):
            start = (started, reflected["startTime"])
        done = _parse_time(reflected.get("completionTime"))
        if done is not None:
            with_completion += 1
            if completion is None or done > completion[0]:
                completion = (done, reflected["completionTime"])
    conditions = []
    if failed_in:
        conditions.append(_job_condition("Failed", "JobFailed", "Job executed failed in member "
                                         f"clusters {','.join(failed_in)}", now))
    if items and completed == len(items):
        conditions.append(_job_condition("Complete", "Completed", "Job completed", now))
    if conditions:
        result["conditions"] = conditions
    if start is not None:
        result["startTime"] = start[1]
    if completion is not None and with_completion == len(items):
        result["completionTime"] = completion[1]
    return result


def _latest(current: str | None, candidate: str | None) -> str | None:
    candidate_time = _parse_time(candidate)
    if candidate_time is None:
        return current
    current_time = _parse_time(current)
    if current_time is None or candidate_time > current_time:
        return candidate
    return current


def _aggregate_cron_job(template: dict, items: list[dict]) -> dict:
    result = _old_status(template)
    active: list[dict] = []
    scheduled: str | None = None
    succeeded: str | None = None
    for _, reflected in _statuses(items):
        active.extend(copy.deepcopy(reflected.get("active") or []))
        scheduled = _latest(scheduled, reflected.get("lastScheduleTime"))
        succeeded = _latest(succeeded, reflected.get("lastSuccessfulTime"))
    for field, value in (("active", active), ("lastScheduleTime", scheduled),
                         ("lastSuccessfulTime", succeeded)):
        if value:
            result[field] = value
        else:
            result.pop(field, None)
    return result


# -- Pod, volumes ---------------------------------------------------------------------------

def _first_present(phases: set[str], order: tuple[str, ...]) -> str | None:
    return next((phase for phase in order if phase in phases), None)


def _aggregate_pod(template: dict, items: list[dict]) -> dict:
    if not items:
        return _old_status(template)
    phases, containers = set(), []
    for item in items:
        reflected = item.get("status")
        if not isinstance(reflected, dict):
            phases.add("Pending")  # not collected yet: do not let it look finished
            continue
        phases.add(reflected.get("phase") or "")
        for container in reflected.get("containerStatuses") or []:
            entry = {"ready": bool(container.get("ready"))}
            if container.get("state"):
                entry["state"] = copy.deepcopy(container["state"])
            containers.append(entry)
    result: dict = {"containerStatuses": containers}
    phase = _first_present(phases, _POD_PHASES)
    if phase:
        result["phase"] = phase
    return result


def _aggregate_pv(template: dict, items: list[dict]) -> dict:
    phases = {(item["status"].get("phase") or "") if isinstance(item.get("status"), dict)
              else "Pending" for item in items}
    phase = _first_present(phases, _VOLUME_PHASES)
    return {"phase": phase} if phase else {}


def _aggregate_pvc(template: dict, items: list[dict]) -> dict:
    phase = "Bound"
    for _, reflected in _statuses(items):
        member_phase = reflected.get("phase") or "Pending"
        if member_phase == "Lost":
            phase = "Lost"
            break
        if member_phase != "Bound":
            phase = member_phase
    return {"phase": phase}


# -- PDB, HPA -------------------------------------------------------------------------------

def _aggregate_pdb(template: dict, items: list[dict]) -> dict:
    result: dict[str, Any] = {"currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0,
                              "disruptionsAllowed": 0}
    disrupted = {}
    for cluster, reflected in _statuses(items):
        for name in tuple(result):
            result[name] += as_int(reflected.get(name))
        for pod, when in (reflected.get("disruptedPods") or {}).items():
            disrupted[f"{cluster}/{pod}"] = when
    if disrupted:
        result["disruptedPods"] = disrupted
    return result


def _aggregate_hpa(template: dict, items: list[dict]) -> dict:
    result = _old_status(template)
    for name in ("currentReplicas", "desiredReplicas"):
        result[name] = sum(as_int(reflected.get(name)) for _, reflected in _statuses(items))
    return result


# -- Service and Ingress: load-balancer ingress merged --------------------------------------

def merged_lb_ingress(items: list[dict]) -> list[dict]:
    """Every cluster's load-balancer ingress, each without a hostname labelled with its
    cluster's name, duplicates dropped, sorted by (ip, hostname)."""
    merged: dict[str, dict] = {}
    for cluster, reflected in _statuses(items):
        for entry in (reflected.get("loadBalancer") or {}).get("ingress") or []:
            entry = copy.deepcopy(entry)
            if not entry.get("hostname"):
                entry["hostname"] = cluster
            merged.setdefault(json.dumps(entry, sort_keys=True), entry)
    return [merged[key] for key in sorted(
        merged, key=lambda k: (merged[k].get("ip") or "", merged[k].get("hostname") or "", k))]


def _aggregate_load_balanced(template: dict, items: list[dict]) -> dict:
    if kind_key(template) == SERVICE and spec(template).get("type") != "LoadBalancer":
        return _old_status(template)
    ingress = merged_lb_ingress(items)
    return {"loadBalancer": {"ingress": ingress} if ingress else {}}


# -- entry point ----------------------------------------------------------------------------

_SIMPLE = {
    CRONJOB: _aggregate_cron_job,
    POD: _aggregate_pod,
    PV: _aggregate_pv,
    PVC: _aggregate_pvc,
    PDB: _aggregate_pdb,
    HPA: _aggregate_hpa,
    SERVICE: _aggregate_load_balanced,
    INGRESS: _aggregate_load_balanced,
}
_WORKLOADS = (DEPLOYMENT, STATEFULSET, REPLICASET, DAEMONSET)


def has_aggregate_status(template: dict) -> bool:
    key = kind_key(template)
    return key in _SIMPLE or key in _WORKLOADS or key == JOB


@guarded("AggregateStatus")
def aggregate_status(template: dict, items: list[dict], *, now: str | None = None) -> dict | None:
    """The template's new .status from its clusters' reflected statuses; None for kinds
    without AggregateStatus. `now` (RFC 3339) stamps new Job conditions."""
    key = kind_key(template)
    if key in _WORKLOADS:
        return _aggregate_workload(template, items)
    if key == JOB:
        return _aggregate_job(template, items, now or meta_now())
    aggregate = _SIMPLE.get(key)
    return aggregate(template, items) if aggregate else None
