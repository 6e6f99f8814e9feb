"""CronFederatedHPA's pure parts: schedule times with timeZone, suspend, history limits, missed ticks,
and the webhook's checks at the door.

Karmada's behaviour, from pkg/controllers/cronfederatedhpa/ and its libraries:
- cronfederatedhpa_handler.go CreateCronJobForExecutor: one gocron scheduler per rule, in the rule's
  timeZone (time.LoadLocation) or the controller's local zone; gocron's Cron() parses robfig/cron's
  five fields and @-descriptors, `?` meaning `*`; a time is "the next one strictly after" (robfig Next).
- cronfederatedhpa_controller.go processCronRule/updateRuleHistory: a new or changed rule gets a fresh
  executor and nextExecutionTime = its next time after now; a suspended rule gets none (nil); a removed
  rule's history is dropped (removeCronFHPAHistory); a new rule's history is appended.
- cronfederatedhpa_job.go addSuccessExecutionHistory/addFailedExecutionHistory: newest record first,
  trimmed to successfulHistoryLimit/failedHistoryLimit (default 3, pkg/util/helper/cronfederatedhpa.go);
  scheduleTime = the stored nextExecutionTime, executionTime = when it ran, appliedReplicas/
  appliedMinReplicas/appliedMaxReplicas = the rule's targets even when nothing had to change.
- Missed ticks: the executors live in memory, so a controller that was down runs none of the times it
  missed: the new process reconciles every CronFederatedHPA and reschedules each rule from now. In a
  running controller a gocron v1 timer runs the job when it fires (go-co-op/gocron scheduler.go
  runContinuous); one that fires late (a frozen process) runs it then, and gocron v1 goes on from the
  missed time, so times that also passed are run straight after. karmadactl's timer is the stored
  nextExecutionTime, read by each watch pass: a rule whose time has come runs once, however many of its
  times passed since (what a rule sets does not depend on how often it ran; replaying each time would
  only add history records), and its next time is counted from now. Karmadactl cannot tell a watch
  that was stopped from `watch --once` run by cron between two of a rule's times; both run the rule once
  at the next pass, which is what `watch --once` from cron needs (Karmada would run none after a restart).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.apis.autoscaling import CronFederatedHPA, CronFederatedHPARule, ExecutionHistory, SuccessfulExecution
from karmadactl.apis.validation import karmada_problems
from karmadactl.controllers import cronfhpa
from karmadactl.controllers.cronfhpa import ScheduleError, is_time_of, next_run, record_failure, record_success, step


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------- next times

@pytest.mark.parametrize("schedule, zone, after, expected", [
    ("30 8 * * *", "UTC", "2026-03-02T08:29:59Z", "2026-03-02T08:30:00Z"),
    ("30 8 * * *", "UTC", "2026-03-02T08:30:00Z", "2026-03-03T08:30:00Z"),       # strictly after
    ("30 8 * * *", "Europe/Paris", "2026-03-02T06:00:00Z", "2026-03-02T07:30:00Z"),   # CET, UTC+1
    ("30 8 * * *", "Europe/Paris", "2026-07-02T06:00:00Z", "2026-07-02T06:30:00Z"),   # CEST, UTC+2
    ("0 9 * * MON-FRI", "Asia/Shanghai", "2026-03-06T02:00:00Z", "2026-03-09T01:00:00Z"),   # Friday 10:00 -> Monday
    ("0 0 ? * SUN", "UTC", "2026-03-02T00:00:00Z", "2026-03-08T00:00:00Z"),       # ? is *
    ("*/15 * * * *", "Asia/Kolkata", "2026-03-02T10:01:00Z", "2026-03-02T10:15:00Z"),   # UTC+5:30
    ("0 0 1,15 * *", "UTC", "2026-03-02T00:00:00Z", "2026-03-15T00:00:00Z"),
    ("0 0 13 * FRI", "UTC", "2026-03-02T00:00:00Z", "2026-03-06T00:00:00Z"),      # both days set: either
    ("@hourly", "UTC", "2026-03-02T10:01:00Z", "2026-03-02T11:00:00Z"),
    ("@daily", "America/New_York", "2026-03-02T10:00:00Z", "2026-03-03T05:00:00Z"),
    ("@every 90s", "UTC", "2026-03-02T10:00:00Z", "2026-03-02T10:01:30Z"),
    ("@every 1h30m", "UTC", "2026-03-02T10:00:00Z", "2026-03-02T11:30:00Z"),
    ("@every 200ms", "UTC", "2026-03-02T10:00:00Z", "2026-03-02T10:00:01Z"),      # at least a second apart
    ("0 2 * * *", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-09T06:00:00Z"),  # no 02:00 on Mar 8 (DST):
    ("30 1 * * *", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z"),  # robfig skips the day
])
def test_next_run_in_the_rules_time_zone(schedule, zone, after, expected):
    assert next_run(schedule, cronfhpa.zone_named(zone), at(after)) == at(expected)


def test_a_rule_without_time_zone_runs_in_this_process_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert next_run("0 9 * * *", cronfhpa.zone_named(None), at("2026-03-02T00:30:00Z")) == at("2026-03-03T00:00:00Z")
    monkeypatch.setenv("TZ", "")                    # Go: an empty TZ is UTC
    assert next_run("0 9 * * *", cronfhpa.zone_named(None), at("2026-03-02T00:30:00Z")) == at("2026-03-02T09:00:00Z")


@pytest.mark.parametrize("schedule, when, expected", [
    ("30 8 * * *", "2026-03-02T08:30:00Z", True),
    ("30 8 * * *", "2026-03-02T08:31:00Z", False),
    ("*/5 * * * *", "2026-03-02T08:35:00Z", True),
    ("@every 7m", "2026-03-02T08:31:13Z", True),       # an interval counts from when it was started
])
def test_is_time_of(schedule, when, expected):
    assert is_time_of(schedule, UTC, at(when)) is expected


@pytest.mark.parametrize("schedule, zone", [("61 * * * *", None), ("* * *", None), ("@every soon", None),
                                            ("0 8 * * *", "Mars/Olympus")])
def test_what_cannot_run_is_a_schedule_error(schedule, zone):
    with pytest.raises(ScheduleError):
        next_run(schedule, cronfhpa.zone_named(zone), at("2026-03-02T00:00:00Z"))


# ---------------------------------------------------------------- one pass: step

def cron(*rules: dict, histories: list[dict] | None = None) -> CronFederatedHPA:
    obj = {"metadata": {"name": "c", "namespace": "shop"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "rules": list(rules)}}
    if histories is not None:
        obj["status"] = {"executionHistories": histories}
    return CronFederatedHPA.from_dict(obj)


UP = {"name": "up", "schedule": "0 8 * * *", "targetReplicas": 6, "timeZone": "UTC"}
DOWN = {"name": "down", "schedule": "0 20 * * *", "targetReplicas": 1, "timeZone": "UTC"}


def nexts(s) -> dict:
    return {h.rule_name: h.next_execution_time for h in s.histories}


def test_a_new_rule_gets_its_next_time_and_does_not_run():
    s = step(cron(UP), at("2026-03-02T07:00:00Z"))
    assert nexts(s) == {"up": "2026-03-02T08:00:00Z"} and s.due == []


def test_a_rule_runs_when_its_time_has_come_and_is_counted_from_now():
    s = step(cron(UP, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T08:00:07Z"))
    assert [(t, r.name) for t, r in s.due] == [(at("2026-03-02T08:00:00Z"), "up")]
    assert nexts(s) == {"up": "2026-03-03T08:00:00Z"}


def test_a_rule_not_yet_due_keeps_its_time():
    s = step(cron(UP, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T07:59:59Z"))
    assert s.due == [] and nexts(s) == {"up": "2026-03-02T08:00:00Z"}


def test_missed_times_run_once_at_the_next_pass():
    """Down from Monday 07:00 to Thursday 09:00: the 08:00 of Monday, Tuesday, Wednesday and Thursday
    passed; the rule runs once, for the time that was stored, and next runs Friday."""
    s = step(cron(UP, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-05T09:00:00Z"))
    assert [(t, r.name) for t, r in s.due] == [(at("2026-03-02T08:00:00Z"), "up")]
    assert nexts(s) == {"up": "2026-03-06T08:00:00Z"}


def test_rules_due_in_one_pass_run_in_the_order_of_their_times():
    s = step(cron(DOWN, UP, histories=[{"ruleName": "down", "nextExecutionTime": "2026-03-02T20:00:00Z"},
                                       {"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T21:00:00Z"))
    assert [r.name for _, r in s.due] == ["up", "down"]          # the later time's target is what stays


def test_a_changed_schedule_is_counted_from_now_and_the_old_time_never_runs():
    """Karmada restarts a changed rule's executor; the time the old schedule had set is dropped."""
    moved = {**UP, "schedule": "0 9 * * *"}
    s = step(cron(moved, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T07:00:00Z"))
    assert s.due == [] and nexts(s) == {"up": "2026-03-02T09:00:00Z"}
    s = step(cron(moved, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T08:30:00Z"))                        # due by the old schedule, not a time of the new
    assert s.due == [] and nexts(s) == {"up": "2026-03-02T09:00:00Z"}


def test_a_changed_time_zone_is_counted_from_now():
    paris = {**UP, "timeZone": "Europe/Paris"}
    s = step(cron(paris, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T06:00:00Z"))
    assert nexts(s) == {"up": "2026-03-02T07:00:00Z"}


def test_a_suspended_rule_has_no_next_time_and_never_runs():
    s = step(cron({**UP, "suspend": True}, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T09:00:00Z"))
    assert s.due == [] and nexts(s) == {"up": None}
    s = step(cron({**UP, "suspend": False}, histories=[{"ruleName": "up"}]), at("2026-03-02T09:00:00Z"))
    assert s.due == [] and nexts(s) == {"up": "2026-03-03T08:00:00Z"}      # resumed: from now, nothing replayed


def test_histories_keep_their_order_drop_removed_rules_and_append_new_ones():
    s = step(cron(UP, DOWN, histories=[{"ruleName": "gone", "nextExecutionTime": "2026-03-02T08:00:00Z"},
                                       {"ruleName": "down", "nextExecutionTime": "2026-03-02T20:00:00Z"}]),
             at("2026-03-02T07:00:00Z"))
    assert [h.rule_name for h in s.histories] == ["down", "up"]


def test_a_rule_that_cannot_start_is_reported_and_left_as_it_was():
    bad = {**UP, "timeZone": "Mars/Olympus"}
    s = step(cron(bad, DOWN, histories=[{"ruleName": "up", "nextExecutionTime": "2026-03-02T08:00:00Z"}]),
             at("2026-03-02T09:00:00Z"))
    assert [(r.name, why) for r, why in s.not_started] == [("up", "unknown time zone Mars/Olympus")]
    assert s.due == [] and nexts(s) == {"up": "2026-03-02T08:00:00Z", "down": "2026-03-02T20:00:00Z"}


# ---------------------------------------------------------------- history records and limits

def rule(**fields) -> CronFederatedHPARule:
    return CronFederatedHPARule(name="up", schedule="0 8 * * *", **fields)


@pytest.mark.parametrize("limit, runs, kept", [(None, 5, 3), (1, 3, 1), (2, 1, 1), (32, 4, 4)])
def test_successful_runs_are_kept_newest_first_to_the_limit(limit, runs, kept):
    history = ExecutionHistory(rule_name="up")
    r = rule(target_replicas=4, successful_history_limit=limit)
    start = at("2026-03-02T08:00:00Z")
    for day in range(runs):
        record_success(history, r, start + timedelta(days=day), start + timedelta(days=day, seconds=2))
    records = history.successful_executions or []
    assert len(records) == kept
    assert records[0].schedule_time == f"2026-03-0{2 + runs - 1}T08:00:00Z"
    assert records[0] == SuccessfulExecution(schedule_time=records[0].schedule_time,
                                             execution_time=records[0].schedule_time.replace(":00Z", ":02Z"),
                                             applied_replicas=4)


def test_a_federated_hpa_rule_records_the_min_and_max_it_set():
    history = ExecutionHistory(rule_name="up")
    record_success(history, rule(target_min_replicas=2, target_max_replicas=9), at("2026-03-02T08:00:00Z"),
                   at("2026-03-02T08:00:01Z"))
    assert cron().status_dict() == {}
    from karmadactl.apis.codec import encode
    assert encode(history) == {"ruleName": "up", "successfulExecutions": [
        {"scheduleTime": "2026-03-02T08:00:00Z", "executionTime": "2026-03-02T08:00:01Z",
         "appliedMaxReplicas": 9, "appliedMinReplicas": 2}]}


@pytest.mark.parametrize("limit, failures, kept", [(None, 4, 3), (1, 2, 1), (0, 2, 0)])
def test_failed_runs_are_kept_to_the_limit(limit, failures, kept):
    history = ExecutionHistory(rule_name="up")
    r = rule(target_replicas=4, failed_history_limit=limit)
    for i in range(failures):
        record_failure(history, r, at("2026-03-02T08:00:00Z"), at("2026-03-02T08:00:01Z"), f"failure {i}")
    assert [f.message for f in history.failed_executions or []] == [f"failure {i}" for i in
                                                                    reversed(range(failures))][:kept]


# ---------------------------------------------------------------- checks at the door

def problems(spec: dict) -> dict[str, str]:
    obj = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "CronFederatedHPA",
           "metadata": {"name": "c", "namespace": "shop"}, "spec": spec}
    return {p.path: p.message for p in karmada_problems(obj)}


DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
FHPA = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA", "name": "web"}


@pytest.mark.parametrize("target, rule_fields, expected", [
    (DEPLOYMENT, {"targetReplicas": 0}, {}),                                     # scaling to zero is allowed
    (DEPLOYMENT, {}, {"spec.rules[0].targetReplicas": "targetReplicas cannot be nil if you want to scale Deployment"}),
    (DEPLOYMENT, {"targetReplicas": -1},
     {"spec.rules[0].targetReplicas": "targetReplicas should be larger than or equal to 0"}),
    (FHPA, {"targetMinReplicas": 2}, {}),
    (FHPA, {"targetMaxReplicas": 8}, {}),
    (FHPA, {"targetReplicas": 3}, {"spec.rules[0].targetMaxReplicas": "targetMinReplicas and targetMaxReplicas "
                                   "cannot be nil at the same time if you want to scale FederatedHPA"}),
    (FHPA, {"targetMinReplicas": 0, "targetMaxReplicas": 8},
     {"spec.rules[0].targetMinReplicas": "targetMinReplicas should be larger than 0"}),
    (FHPA, {"targetMinReplicas": 5, "targetMaxReplicas": 4},
     {"spec.rules[0].targetMinReplicas": "targetMaxReplicas should be larger than or equal to targetMinReplicas"}),
    ({**FHPA, "kind": "CronFederatedHPA"}, {"targetReplicas": 1},
     {"spec.scaleTargetRef.kind": "invalid scaleTargetRef kind: CronFederatedHPA, only support FederatedHPA"}),
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, {"targetReplicas": 1}, {"spec.scaleTargetRef.name": "required"}),
    (DEPLOYMENT, {"targetReplicas": 1, "timeZone": "Mars/Olympus"},
     {"spec.rules[0].timeZone": "unknown time zone Mars/Olympus"}),
    (DEPLOYMENT, {"targetReplicas": 1, "timeZone": "Asia/Shanghai", "successfulHistoryLimit": 32,
                  "failedHistoryLimit": 0}, {}),
    (DEPLOYMENT, {"targetReplicas": 1, "successfulHistoryLimit": 0, "failedHistoryLimit": 33},
     {"spec.rules[0].successfulHistoryLimit": "must be between 1 and 32, got 0",
      "spec.rules[0].failedHistoryLimit": "must be between 0 and 32, got 33"}),
])
def test_karmadas_webhook_checks(target, rule_fields, expected):
    assert problems({"scaleTargetRef": target,
                     "rules": [{"name": "r", "schedule": "0 8 * * *", **rule_fields}]}) == expected


@pytest.mark.parametrize("spec, expected", [
    ({}, {"spec.scaleTargetRef": "required", "spec.rules": "required"}),
    ({"scaleTargetRef": DEPLOYMENT, "rules": [{"targetReplicas": 1}]},
     {"spec.rules[0].name": "required", "spec.rules[0].schedule": "required"}),
    ({"scaleTargetRef": DEPLOYMENT, "rules": [{"name": "r", "schedule": "@daily", "targetReplicas": "3"}]},
     {"spec.rules[0].targetReplicas": "must be an integer, got string"}),
    ({"scaleTargetRef": DEPLOYMENT, "rules": [{"name": "r", "schedule": "@daily", "targetReplicas": 1,
                                               "suspend": "yes"}]},
     {"spec.rules[0].suspend": "must be a boolean, got string"}),
])
def test_required_fields_and_types(spec, expected):
    assert problems(spec) == expected


def test_rule_names_are_unique_and_short():
    rules = [{"name": "same", "schedule": "0 8 * * *", "targetReplicas": 1},
             {"name": "same", "schedule": "0 9 * * *", "targetReplicas": 2},
             {"name": "x" * 33, "schedule": "0 9 * * *", "targetReplicas": 2}]
    assert problems({"scaleTargetRef": DEPLOYMENT, "rules": rules}) == {
        "spec.rules[1].name": 'duplicate rule name "same"',
        "spec.rules[2].name": "must be 1 to 32 characters long"}
