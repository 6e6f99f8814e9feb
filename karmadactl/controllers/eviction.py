"""Eviction and failover decisions for `watch` (Karmada §3.2-3.4). Pure.

- `taint_evictions`: the taint manager: which target clusters of a binding carry
  NoExecute taints the binding does not tolerate (now, or once tolerationSeconds pass).
- `evict`: GracefulEvictCluster: the cluster leaves spec.clusters and a
  gracefulEvictionTask records where the old copy still runs.
- `settle_tasks`: the graceful eviction controller: which tasks are done.
- `application_evictions`: the application failover controller's timers.

Bindings are typed ResourceBindings; inputs are never mutated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from karmadactl.apis.cluster import Cluster, Taint
from karmadactl.apis.karmada import ResourceBinding
from karmadactl.apis.meta import parse_time
from karmadactl.apis.wellknown import APPLIED_PLACEMENT
from karmadactl.controllers.health import NO_EXECUTE, timestamp

REASON_TAINT_UNTOLERATED = "TaintUntolerated"
REASON_APPLICATION_FAILURE = "ApplicationFailure"
PRODUCER_TAINT_MANAGER = "TaintManager"
PRODUCER_APPLICATION_FAILOVER = "resource-binding-application-failover-controller"
PRODUCER_CLUSTER_APPLICATION_FAILOVER = "cluster-resource-binding-application-failover-controller"
GRACEFULLY, DIRECTLY, NEVER = "Gracefully", "Directly", "Never"
DEFAULT_TOLERATION_SECONDS = 300          # failover.application.decisionConditions
DEFAULT_APPLICATION_GRACE_SECONDS = 600   # karmada-webhook's default for Gracefully


@dataclass
class Eviction:
    """One eviction the loop performs or schedules (for events and the loop's sleep)."""

    binding_key: tuple[str, str]      # (namespace, name); namespace "" for a ClusterResourceBinding
    cluster: str
    reason: str
    at: datetime | None               # None: now


def _targets(binding: ResourceBinding) -> list[str]:
    return binding.spec.target_names()


def _evicting(binding: ResourceBinding) -> set[str]:
    return {t.get("fromCluster") or "" for t in binding.spec.graceful_eviction_tasks or []}


def _mode(value: str | None) -> str:
    """A purge mode, with the deprecated "Graciously" read as Gracefully and empty as the default."""
    return GRACEFULLY if value in (None, "", "Graciously") else value


# -- taint manager --------------------------------------------------------------------------

def tolerations(binding: ResourceBinding) -> list:
    """The clusterTolerations of the placement the scheduler last applied (else spec.placement)."""
    from karmadactl.apis.policy import Toleration

    placement = binding.spec.placement or {}
    applied = binding.metadata.annotation(APPLIED_PLACEMENT)
    if applied:
        try:
            placement = json.loads(applied) or {}
        except ValueError:
            pass
    return [Toleration.from_dict(t) for t in placement.get("clusterTolerations") or []]


def eviction_time(taints: list[Taint], tols: list) -> datetime | None | bool:
    """When NoExecute `taints` evict a workload with tolerations `tols` (helper/taint.go).

    True: at once (a taint no toleration tolerates); None: never (no taint, or
    every used toleration lacks tolerationSeconds); else the earliest
    taint.timeAdded + tolerationSeconds over the tolerations used.
    """
    no_execute = [t for t in taints if t.effect == NO_EXECUTE]
    used = []
    for taint in no_execute:
        match = next((tol for tol in tols if tol.tolerates(taint)), None)
        if match is None:
            return True
        used.append(match)
    due = [parse_time(taint.time_added) + timedelta(seconds=tol.toleration_seconds)
           for tol in used if tol.toleration_seconds is not None
           for taint in no_execute if taint.time_added and tol.tolerates(taint)]
    return min(due) if due else None


def taint_evictions(binding: ResourceBinding, clusters: dict[str, Cluster], now: datetime
                    ) -> tuple[list[str], datetime | None]:
    """Target clusters to evict now because of NoExecute taints, and the next time one
    becomes due (None: nothing pending). Clusters unknown to `clusters` are skipped."""
    tols = tolerations(binding)
    evict_now: list[str] = []
    upcoming: list[datetime] = []
    for name in _targets(binding):
        cluster = clusters.get(name)
        if cluster is None:
            continue
        when = eviction_time(cluster.taints, tols)
        if when is True or (isinstance(when, datetime) and when <= now):
            evict_now.append(name)
        elif isinstance(when, datetime):
            upcoming.append(when)
    return evict_now, min(upcoming, default=None)


# -- eviction -------------------------------------------------------------------------------

def purge_mode_for(binding: ResourceBinding, reason: str) -> tuple[str, int | None]:
    """(purgeMode, gracePeriodSeconds) for an eviction of `reason`.

    TaintUntolerated: failover.cluster.purgeMode, else Gracefully (Karmada's
    --no-execute-taint-eviction-purge-mode default); the grace period is left to
    the eviction timeout. ApplicationFailure: failover.application.purgeMode
    (default Gracefully) with its gracePeriodSeconds (default 600) when Gracefully.
    """
    failover = binding.spec.failover or {}
    if reason == REASON_TAINT_UNTOLERATED:
        return _mode((failover.get("cluster") or {}).get("purgeMode")), None
    if reason == REASON_APPLICATION_FAILURE:
        application = failover.get("application") or {}
        mode = _mode(application.get("purgeMode"))
        if mode != GRACEFULLY:
            return mode, None
        return mode, application.get("gracePeriodSeconds") or DEFAULT_APPLICATION_GRACE_SECONDS
    raise ValueError(f"unknown eviction reason {reason!r}")


def evict(binding: ResourceBinding, cluster: str, *, reason: str, producer: str, now: datetime,
          purge_mode: str | None = None, grace_period_seconds: int | None = None,
          message: str = "") -> ResourceBinding:
    """The binding with `cluster` moved from spec.clusters to a gracefulEvictionTask.

    Unchanged when `cluster` is not a target; when a task for it exists already the
    cluster only leaves spec.clusters (as Karmada's GracefulEvictCluster). The spec
    changed, so metadata.generation goes up as the store will number it: the scheduler
    has not seen this spec yet, and `settle_tasks` waits for it to (the status of the
    remaining targets predates the re-division).
    """
    targets = binding.spec.clusters or []
    target = next((t for t in targets if t.name == cluster), None)
    if target is None:
        return binding
    spec = replace(binding.spec, clusters=[t for t in targets if t is not target])
    metadata = replace(binding.metadata)
    if metadata.generation is not None:
        metadata.generation += 1
    result = replace(binding, metadata=metadata, spec=spec)
    if cluster in _evicting(binding):
        return result
    mode = purge_mode or _mode(((spec.failover or {}).get("cluster") or {}).get("purgeMode"))
    task: dict = {"fromCluster": cluster, "purgeMode": mode}
    if target.replicas:
        task["replicas"] = target.replicas
    task["reason"] = reason
    if message:
        task["message"] = message
    task["producer"] = producer
    if grace_period_seconds is not None:
        task["gracePeriodSeconds"] = grace_period_seconds
    if mode == NEVER:
        task["suppressDeletion"] = True
    task["creationTimestamp"] = timestamp(now)
    spec.graceful_eviction_tasks = list(spec.graceful_eviction_tasks or []) + [task]
    return result


# -- graceful eviction controller -----------------------------------------------------------

def scheduled(binding: ResourceBinding) -> bool:
    """Scheduled=True and, when both are known, the scheduler saw the current generation."""
    status = binding.status
    if status is None:
        return False
    ok = any(c.get("type") == "Scheduled" and c.get("status") == "True" for c in status.conditions or [])
    observed = status.scheduler_observed_generation
    generation = binding.metadata.generation
    return ok and (observed is None or generation is None or observed == generation)


def _aggregated(binding: ResourceBinding) -> list[dict]:
    return (binding.status.aggregated_status if binding.status else None) or []


def all_targets_healthy(binding: ResourceBinding) -> bool:
    """Every target cluster reports Healthy (and there is at least one target)."""
    health = {item.get("clusterName"): item.get("health") for item in _aggregated(binding)}
    targets = _targets(binding)
    return bool(targets) and all(health.get(name) == "Healthy" for name in targets)


def task_deadline(task: dict, default_timeout: timedelta) -> datetime | None:
    """When a task times out: creationTimestamp + gracePeriodSeconds (else `default_timeout`).
    None for a task kept or dropped by suppressDeletion (purgeMode Never), or without creationTimestamp."""
    if task.get("suppressDeletion") is not None or not task.get("creationTimestamp"):
        return None
    seconds = task.get("gracePeriodSeconds")
    timeout = timedelta(seconds=seconds) if seconds is not None else default_timeout
    return parse_time(task["creationTimestamp"]) + timeout


def settle_tasks(binding: ResourceBinding, now: datetime, default_timeout: timedelta) -> ResourceBinding:
    """The binding without the eviction tasks that are done, as Karmada's graceful eviction
    controller decides (pkg/controllers/gracefuleviction/evictiontask.go, assessEvictionTasks).

    suppressDeletion true (purgeMode Never) keeps a task, false drops it (the user
    confirmed). Any other task, whatever its purgeMode, is dropped when its grace
    period (else `default_timeout`) has elapsed, or when the binding is scheduled and
    every target reports Healthy. A Directly task's old copy is deleted at once by the
    reconcile pass, but the task stays until then: while it exists the scheduler keeps
    the workload off that cluster. A task without creationTimestamp gets `now`.
    """
    tasks = binding.spec.graceful_eviction_tasks
    if not tasks:
        return binding
    settled = scheduled(binding) and all_targets_healthy(binding)
    kept = []
    for task in tasks:
        suppress = task.get("suppressDeletion")
        if suppress is not None:
            if suppress:
                kept.append(task)
            continue
        if not task.get("creationTimestamp"):
            kept.append(dict(task, creationTimestamp=timestamp(now)))
            continue
        deadline = task_deadline(task, default_timeout)
        if settled or (deadline is not None and now >= deadline):
            continue
        kept.append(task)
    return replace(binding, spec=replace(binding.spec, graceful_eviction_tasks=kept or None))


def next_settle_time(binding: ResourceBinding, default_timeout: timedelta) -> datetime | None:
    """The earliest timeout among the binding's eviction tasks (for the loop's sleep)."""
    deadlines = [task_deadline(task, default_timeout) for task in binding.spec.graceful_eviction_tasks or []]
    return min((d for d in deadlines if d is not None), default=None)


# -- application failover -------------------------------------------------------------------

def application_evictions(binding: ResourceBinding, unhealthy_since: dict[str, str], now: datetime
                          ) -> tuple[list[str], dict[str, str]]:
    """Target clusters whose workload has been Unhealthy past tolerationSeconds, and the
    updated timers (cluster -> RFC 3339 time first seen Unhealthy).

    Only with spec.failover.application. A timer starts at the first Unhealthy
    observation of a target not being evicted; Healthy clears it; Unknown keeps it
    without starting one (Karmada keeps timers across status gaps); timers of
    clusters that are no longer targets, or are evicted now, are dropped.
    tolerationSeconds 0 evicts at the first observation.
    """
    application = (binding.spec.failover or {}).get("application")
    if application is None:
        return [], {}
    seconds = (application.get("decisionConditions") or {}).get("tolerationSeconds")
    toleration = timedelta(seconds=DEFAULT_TOLERATION_SECONDS if seconds is None else seconds)
    targets, evicting = set(_targets(binding)), _evicting(binding)
    timers = {c: t for c, t in unhealthy_since.items() if c in targets and c not in evicting}
    due: list[str] = []
    for item in _aggregated(binding):
        name, health = item.get("clusterName"), item.get("health")
        if name not in targets or name in evicting:
            continue
        if health == "Healthy":
            timers.pop(name, None)
        elif health == "Unhealthy":
            since = timers.setdefault(name, timestamp(now))
            if now >= parse_time(since) + toleration:
                due.append(name)
    for name in due:
        timers.pop(name)
    return due, timers
