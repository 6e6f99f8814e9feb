"""Karmada's cronfederatedhpa controller: each rule of a CronFederatedHPA sets its target's replicas
(a workload) or its minReplicas/maxReplicas (a FederatedHPA) at the times its schedule names.

Karmada (pkg/controllers/cronfederatedhpa/) keeps one in-memory gocron scheduler per rule and writes
`status.executionHistories[rule].nextExecutionTime` whenever it (re)starts one. karmadactl has no
long-lived scheduler: the stored nextExecutionTime is the timer. Every `watch` pass (and `watch
--once`) calls `run_due_rules(store, now)`, which for each rule:
  - suspended: nextExecutionTime cleared, nothing runs (cronfederatedhpa_controller.go updateRuleHistory);
  - stored nextExecutionTime not yet reached: kept; if the schedule or time zone changed meanwhile it
    is recomputed from now, as Karmada restarts a changed rule's executor (processCronRule);
  - reached, and still a time of the current schedule: the rule runs once, however many of its times
    passed since (Karmada's controller, restarted, reschedules from now and runs none; karmadactl's
    `watch --once` from cron is never running when the time comes), recorded with scheduleTime = the
    stored time, executionTime = now;
  - then nextExecutionTime = the first time of the schedule after now.
The run (cronfederatedhpa_job.go RunCronFederatedHPARule) sets the template's replicas, or the
FederatedHPA's min/max, when they differ; the change, the history record and any event are one
store transaction, so the same pass then divides the new replicas among the members.

Schedules: robfig/cron's five fields (what gocron's Cron() parses) with `?`, the @-descriptors and
`@every <duration>`, computed with cronsim; zone = the rule's timeZone, else this process's local zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from karmadactl.apis import kinds
from karmadactl.apis.autoscaling import (
    CRON_GK,
    CRON_KIND,
    FHPA_GK,
    FHPA_KIND,
    MIN_REPLICAS_LOWER_BOUND,
    CronFederatedHPA,
    CronFederatedHPARule,
    ExecutionHistory,
    FailedExecution,
    SuccessfulExecution,
    load_location,
)
from karmadactl.apis.codec import FieldError
from karmadactl.apis.meta import parse_time, rfc3339
from karmadactl.controllers.templates import CRD_GK
from karmadactl.errors import Conflict
from karmadactl.store.keys import ObjectKey, group_kind

DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
               "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_EVERY = re.compile(r"^@every\s+(.+)$")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# kinds whose /scale Kubernetes serves, with spec.replicas defaulted to 1 by the API server
SCALABLE = {"Deployment.apps", "StatefulSet.apps", "ReplicaSet.apps", "ReplicationController"}


class ScheduleError(ValueError):
    """A schedule or time zone that cannot be run (Karmada: event StartRuleFailed)."""


# ---------------------------------------------------------------- schedules (pure)

def zone_named(name: str | None) -> tzinfo:
    try:
        return load_location(name)
    except ValueError as e:
        raise ScheduleError(str(e)) from None


def every_interval(schedule: str) -> timedelta | None:
    """The interval of an `@every <Go duration>` schedule, None for other schedules. robfig/cron
    drops the fraction of a second and runs at least a second apart."""
    m = _EVERY.match(schedule.strip())
    if not m:
        return None
    text = m.group(1).strip()
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ScheduleError(f'invalid schedule "{schedule}": bad duration "{text}"')
    seconds = int(sum(float(number) * _GO_UNITS[unit] for number, unit in parts))
    return timedelta(seconds=max(1, seconds))


def _five_fields(schedule: str) -> str:
    text = schedule.strip()
    text = DESCRIPTORS.get(text, text)
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(f'invalid schedule "{schedule}": expected 5 fields, got {len(fields)}')
    return " ".join(f.replace("?", "*") for f in fields)


def next_run(schedule: str, zone: tzinfo, after: datetime) -> datetime:
    """The first time of the schedule strictly after `after` (to the second), in UTC."""
    interval = every_interval(schedule)
    if interval is not None:
        return after.astimezone(UTC).replace(microsecond=0) + interval
    from cronsim import CronSim, CronSimError

    try:
        sim = CronSim(_five_fields(schedule), after.astimezone(zone))
        for found in sim:
            local = found.astimezone(zone)
            if local.hour in sim.hours and local.minute in sim.minutes:   # robfig/cron skips a time that a
                return found.astimezone(UTC)                               # DST jump removed; cronsim moves it
    except CronSimError as e:
        raise ScheduleError(f'invalid schedule "{schedule}": {e}') from None
    raise ScheduleError(f'invalid schedule "{schedule}": no time in the next 50 years')


def is_time_of(schedule: str, zone: tzinfo, at: datetime) -> bool:
    """Whether the schedule names `at` (an `@every` schedule names any time: it counts from its start)."""
    if every_interval(schedule) is not None:
        return True
    return next_run(schedule, zone, at - timedelta(seconds=1)) == at


# ---------------------------------------------------------------- what a pass does (pure)

@dataclass
class Step:
    """What one pass does to one CronFederatedHPA: its histories with every rule's next time, the rules
    that run now (oldest scheduled first) and the rules that cannot start."""

    histories: list[ExecutionHistory]
    due: list[tuple[datetime, CronFederatedHPARule]] = field(default_factory=list)
    not_started: list[tuple[CronFederatedHPARule, str]] = field(default_factory=list)


def _stored_time(value: str | None) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def step(cron: CronFederatedHPA, now: datetime) -> Step:
    """Histories keep their order, a new rule's is added at the end, a removed rule's is dropped."""
    by_name = {h.rule_name: h for h in cron.status.execution_histories or []}
    rules = {r.name: r for r in cron.spec.rules}
    kept = [h for h in cron.status.execution_histories or [] if h.rule_name in rules]
    out = Step(kept)
    for rule in cron.spec.rules:
        history = by_name.get(rule.name)
        if rule.suspended:
            if history is None:
                history = ExecutionHistory(rule_name=rule.name)
                kept.append(history)
            history.next_execution_time = None
            continue
        try:
            zone = zone_named(rule.time_zone)
            upcoming = next_run(rule.schedule, zone, now)
            stored = _stored_time(history.next_execution_time) if history else None
            if stored is not None and stored <= now and is_time_of(rule.schedule, zone, stored):
                out.due.append((stored, rule))
        except ScheduleError as e:
            out.not_started.append((rule, str(e)))
            continue
        if history is None:
            history = ExecutionHistory(rule_name=rule.name)
            kept.append(history)
        history.next_execution_time = rfc3339(upcoming)
    out.due.sort(key=lambda item: item[0])
    return out


def record_success(history: ExecutionHistory, rule: CronFederatedHPARule, scheduled: datetime,
                   now: datetime) -> None:
    """Newest first, kept to the rule's limit (cronfederatedhpa_job.go addSuccessExecutionHistory)."""
    record = SuccessfulExecution(schedule_time=rfc3339(scheduled), execution_time=rfc3339(now),
                                 applied_replicas=rule.target_replicas,
                                 applied_max_replicas=rule.target_max_replicas,
                                 applied_min_replicas=rule.target_min_replicas)
    history.successful_executions = [record, *(history.successful_executions or [])][:max(rule.success_limit, 1)]


def record_failure(history: ExecutionHistory, rule: CronFederatedHPARule, scheduled: datetime, now: datetime,
                   message: str) -> None:
    """As record_success (addFailedExecutionHistory). A failedHistoryLimit of 0 keeps none; Karmada's
    trim slices to limit-1 there and panics."""
    record = FailedExecution(schedule_time=rfc3339(scheduled), execution_time=rfc3339(now), message=message)
    history.failed_executions = [record, *(history.failed_executions or [])][:rule.failure_limit] or None


# ---------------------------------------------------------------- scaling (in the caller's transaction)

def _not_found(api_version: str, kind: str, name: str, extra: list) -> str:
    info = kinds.of({"apiVersion": api_version, "kind": kind}, extra)
    return f'{info.plural}{"." + info.group if info.group else ""} "{name}" not found'


def _replicas_path(tx, gk: str) -> tuple[str, ...] | None:
    """Where a kind keeps the replicas its /scale shows: spec.replicas for the built-in workloads, a
    CRD's scale subresource specReplicasPath; None when the kind has no /scale."""
    if gk in SCALABLE:
        return ("spec", "replicas")
    for crd in tx.list(CRD_GK):
        spec = crd.get("spec") or {}
        if f"{(spec.get('names') or {}).get('kind')}.{spec.get('group')}" != gk:
            continue
        for version in spec.get("versions") or []:
            scale = ((version or {}).get("subresources") or {}).get("scale") or {}
            path = scale.get("specReplicasPath")
            if isinstance(path, str) and path.startswith("."):
                return tuple(path[1:].split("."))
    return None


def scale_workload(tx, cron: CronFederatedHPA, rule: CronFederatedHPARule) -> str | None:
    """Set the target template's replicas to targetReplicas when they differ (the job's ScaleWorkloads,
    through the template's /scale); the error message, or None."""
    ref = cron.spec.scale_target_ref
    api_version = ref.api_version or ""
    if not api_version:
        return f'no matches for kind "{ref.kind}" in version ""'
    gk = group_kind(api_version, ref.kind)
    template = tx.get(ObjectKey(gk, cron.namespace, ref.name))
    extra = kinds.crd_kinds(tx.list(CRD_GK))
    if template is None:
        return _not_found(api_version, ref.kind, ref.name, extra)
    path = _replicas_path(tx, gk)
    if path is None:
        return "the server could not find the requested resource"
    holder = template
    for key in path[:-1]:
        holder = holder.setdefault(key, {})
        if not isinstance(holder, dict):
            return f"{'.'.join(path)}: not an object"
    current = holder.get(path[-1], 1 if gk in SCALABLE else 0)
    if rule.target_replicas is None or current == rule.target_replicas:
        return None
    holder[path[-1]] = rule.target_replicas
    tx.update(template)
    return None


def scale_federated_hpa(tx, cron: CronFederatedHPA, rule: CronFederatedHPARule) -> str | None:
    """Set the FederatedHPA's maxReplicas/minReplicas from the rule's targets that are set, when they
    differ (the job's ScaleFHPA); the error message, or None."""
    ref = cron.spec.scale_target_ref
    if ref.kind != FHPA_KIND:
        return (f"CronFederatedHPA({cron.namespace}/{cron.name}) do not support scale target "
                f"{ref.api_version}/{ref.kind}")
    fhpa = tx.get(ObjectKey(FHPA_GK, cron.namespace, ref.name))
    if fhpa is None:
        return _not_found(ref.api_version or "", ref.kind, ref.name, [])
    spec = fhpa.setdefault("spec", {})
    changed = False
    if rule.target_max_replicas is not None and spec.get("maxReplicas") != rule.target_max_replicas:
        spec["maxReplicas"], changed = rule.target_max_replicas, True
    if rule.target_min_replicas is not None and \
            spec.get("minReplicas", MIN_REPLICAS_LOWER_BOUND) != rule.target_min_replicas:
        spec["minReplicas"], changed = rule.target_min_replicas, True
    if changed:
        tx.update(fhpa)
    return None


def scale(tx, cron: CronFederatedHPA, rule: CronFederatedHPARule) -> str | None:
    if cron.targets_federated_hpa:
        return scale_federated_hpa(tx, cron, rule)
    return scale_workload(tx, cron, rule)


# ---------------------------------------------------------------- the pass

def _event(tx, cron: CronFederatedHPA, type_: str, reason: str, message: str) -> None:
    tx.add_event(kind=CRON_KIND, name=cron.name, namespace=cron.namespace, type=type_, reason=reason,
                 message=message)


def _last_event(tx, cron: CronFederatedHPA) -> tuple[str, str] | None:
    mine = [e for e in tx.events(kind=CRON_KIND, name=cron.name) if e["namespace"] == cron.namespace]
    return (mine[-1]["reason"], mine[-1]["message"]) if mine else None


def _has_work(stored: dict, now: datetime) -> bool:
    """Whether a pass at `now` would change anything of this CronFederatedHPA (read first, so that a
    pass with nothing due takes no write lock)."""
    try:
        cron = CronFederatedHPA.from_dict(stored)
    except FieldError:
        return True
    before = cron.status_dict()
    plan = step(cron, now)
    cron.status.execution_histories = plan.histories or None
    return bool(plan.due or plan.not_started) or cron.status_dict() != before


def _run_one(tx, key: ObjectKey, now: datetime) -> list[str]:
    """One CronFederatedHPA's pass in the caller's write transaction; the lines to say once committed."""
    stored = tx.get(key)
    if stored is None:
        return []
    try:
        cron = CronFederatedHPA.from_dict(stored)
    except FieldError as e:                     # stored before the checks at the door knew its fields
        return [f"{CRON_KIND} {key.namespace}/{key.name}: {e}"]
    before = cron.status_dict()
    plan = step(cron, now)
    said, who = [], f"{CRON_KIND} {cron.namespace}/{cron.name}"
    for rule, message in plan.not_started:
        if _last_event(tx, cron) != ("StartRuleFailed", message):      # said once, not at every pass
            _event(tx, cron, "Warning", "StartRuleFailed", message)
            said.append(f"{who}: rule {rule.name} not started: {message}")
    histories = {h.rule_name: h for h in plan.histories}
    ref = cron.spec.scale_target_ref
    for scheduled, rule in plan.due:
        error = scale(tx, cron, rule)
        if error is None:
            record_success(histories[rule.name], rule, scheduled, now)
            said.append(f"{who}: rule {rule.name} scaled {ref.kind}/{ref.name} ({_targets(rule)})")
        else:
            _event(tx, cron, "Warning", "ScaleFailed", error)
            record_failure(histories[rule.name], rule, scheduled, now, error)
            said.append(f"{who}: rule {rule.name} failed: {error}")
    cron.status.execution_histories = plan.histories or None
    if cron.status_dict() != before:
        stored["status"] = cron.status_dict()
        tx.update(stored)
    return said


def _targets(rule: CronFederatedHPARule) -> str:
    parts = [f"{name} {value}" for name, value in (("replicas", rule.target_replicas),
                                                   ("minReplicas", rule.target_min_replicas),
                                                   ("maxReplicas", rule.target_max_replicas)) if value is not None]
    return ", ".join(parts)


def run_due_rules(store, now: datetime, say: Callable[[str], None] | None = None) -> None:
    """Every CronFederatedHPA's pass: rules due by `now` run, next times stored (one transaction each)."""
    with store.read() as tx:
        keys = [ObjectKey(CRON_GK, o["metadata"].get("namespace", ""), o["metadata"]["name"])
                for o in tx.list(CRON_GK) if _has_work(o, now)]
    for key in keys:
        for _ in range(3):
            try:
                with store.write() as tx:
                    lines = _run_one(tx, key, now)
                break
            except Conflict:
                continue
        else:
            lines = []
        for line in lines:
            if say is not None:
                say(line)
