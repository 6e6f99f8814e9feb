"""CronFederatedHPA through the CLI against sandbox members: a rule scales a Divided Deployment at its
minute, a rule sets a FederatedHPA's bounds, a rule that cannot scale records why.

`watch` offers no clock to drive from outside, so the passes are Watcher.run_once(now) in this process
on the same store the CLI uses, with the real members: each pass opens the store anew, as a new
`watch --once` process would, so the next time a pass relies on is the one stored in the status.
Karmada's behaviour: pkg/controllers/cronfederatedhpa/cronfederatedhpa_job.go (the template's /scale or
the FederatedHPA's min/max, history records, event ScaleFailed), cronfederatedhpa_controller.go
(nextExecutionTime); see tests/unit/test_cronfhpa.py for the missed-tick rule.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import yaml

from tests.conftest import run_cli
from tests.integration.watching import watch_pass

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
              "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "web", "namespace": "shop"},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                   "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                                 "replicaScheduling": {
                                     "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                     "weightPreference": {"staticWeightList": [
                                         {"targetCluster": {"clusterNames": ["member1"]}, "weight": 2},
                                         {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1}]}}}}}


def cron_fhpa(name: str, target: dict, *rules: dict) -> dict:
    return {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "CronFederatedHPA",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"scaleTargetRef": target, "rules": list(rules)}}


def apply(tmp_path, *docs: dict) -> None:
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(list(docs)))
    out = run_cli("apply", "-f", str(path))
    assert out.returncode == 0, out.stderr


def get(kind: str, name: str) -> dict:
    out = run_cli("get", kind, name, "-n", "shop", "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def member_replicas(member_client, members) -> dict[str, int]:
    from kubernetes.client import AppsV1Api

    found = {}
    for m in members[:2]:
        deployment = AppsV1Api(member_client(m)).read_namespaced_deployment("web", "shop")
        found[m.name] = deployment.spec.replicas
    return found


def next_minute(after: timedelta = timedelta(minutes=2)) -> datetime:
    """A whole minute a little ahead of the real clock (members' health is judged by the real clock)."""
    return (datetime.now(UTC) + after).replace(second=0, microsecond=0)


def test_a_rule_scales_a_divided_deployment_at_its_minute(joined, tmp_path, member_client):
    minute = next_minute()
    paris = minute.astimezone(ZoneInfo("Europe/Paris"))
    rule = {"name": "rush", "schedule": f"{paris.minute} {paris.hour} * * *", "timeZone": "Europe/Paris",
            "targetReplicas": 6, "successfulHistoryLimit": 2}
    apply(tmp_path, DEPLOYMENT, POLICY, cron_fhpa("rush-hour", TARGET, rule))
    assert member_replicas(member_client, joined) == {"member1": 2, "member2": 1}

    watch_pass(minute - timedelta(seconds=30))              # the rule starts: its next time is stored
    histories = get("cronfhpa", "rush-hour")["status"]["executionHistories"]
    stamp = minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert histories == [{"ruleName": "rush", "nextExecutionTime": stamp}]

    watch_pass(minute - timedelta(seconds=1))               # not yet
    assert get("deployment", "web")["spec"]["replicas"] == 3

    said = watch_pass(minute + timedelta(seconds=4))        # its minute: a new process reads the stored time
    assert "CronFederatedHPA shop/rush-hour: rule rush scaled Deployment/web (replicas 6)" in said
    assert get("deployment", "web")["spec"]["replicas"] == 6
    assert member_replicas(member_client, joined) == {"member1": 4, "member2": 2}     # the same pass divided them
    tomorrow = (minute + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert get("cronfhpa", "rush-hour")["status"]["executionHistories"] == [
        {"ruleName": "rush", "nextExecutionTime": tomorrow,
         "successfulExecutions": [{"scheduleTime": stamp,
                                   "executionTime": (minute + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "appliedReplicas": 6}]}]

    watch_pass(minute + timedelta(seconds=30))              # ran once: the next pass does nothing more
    records = get("cronfhpa", "rush-hour")["status"]["executionHistories"][0]["successfulExecutions"]
    assert len(records) == 1

    described = run_cli("describe", "cronfhpa", "rush-hour", "-n", "shop")
    assert described.returncode == 0, described.stderr
    assert "Execution Histories" in described.stdout and "does not act on" not in described.stderr
    listed = run_cli("get", "cronfhpa", "-n", "shop")
    assert listed.stdout.split("\n")[0].split() == ["NAME", "REFERENCE-KIND", "REFERENCE-NAME", "AGE"]
    assert listed.stdout.split("\n")[1].split()[:3] == ["rush-hour", "Deployment", "web"]


def test_a_rule_that_cannot_scale_records_why_with_an_event(joined, tmp_path):
    minute = next_minute()
    rule = {"name": "night", "schedule": f"{minute.minute} {minute.hour} * * *", "timeZone": "UTC",
            "targetReplicas": 1}
    apply(tmp_path, cron_fhpa("night", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "missing"}, rule))
    watch_pass(minute - timedelta(seconds=10))
    said = watch_pass(minute + timedelta(seconds=1))
    message = 'deployments.apps "missing" not found'
    assert f"CronFederatedHPA shop/night: rule night failed: {message}" in said
    history = get("cronfhpa", "night")["status"]["executionHistories"][0]
    assert history["failedExecutions"] == [{"scheduleTime": minute.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                            "executionTime": (minute + timedelta(seconds=1)).strftime(
                                                "%Y-%m-%dT%H:%M:%SZ"),
                                            "message": message}]
    events = run_cli("events", "cronfhpa/night", "-n", "shop", "-o", "json")
    assert events.returncode == 0, events.stderr
    assert [(e["type"], e["reason"], e["message"]) for e in json.loads(events.stdout)["items"]] == [
        ("Warning", "ScaleFailed", message)]


def test_a_rule_sets_a_federated_hpas_bounds(joined, tmp_path):
    minute = next_minute()
    fhpa = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 4}}
    rule = {"name": "sale", "schedule": f"{minute.minute} {minute.hour} * * *", "timeZone": "UTC",
            "targetMinReplicas": 3, "targetMaxReplicas": 10}
    apply(tmp_path, fhpa, cron_fhpa("sale", {"apiVersion": "autoscaling.karmada.io/v1alpha1",
                                             "kind": "FederatedHPA", "name": "web"}, rule))
    watch_pass(minute - timedelta(seconds=10))
    watch_pass(minute + timedelta(seconds=2))
    spec = get("fhpa", "web")["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 10)
    record = get("cronfhpa", "sale")["status"]["executionHistories"][0]["successfulExecutions"][0]
    assert (record["appliedMinReplicas"], record["appliedMaxReplicas"]) == (3, 10)


def test_watch_once_starts_the_rules(joined, tmp_path):
    """Through the real `watch --once`: the pass stores each rule's next time (none for a suspended one)."""
    apply(tmp_path, cron_fhpa("weekly", TARGET,
                              {"name": "monday", "schedule": "0 7 * * MON", "targetReplicas": 5, "timeZone": "UTC"},
                              {"name": "held", "schedule": "@hourly", "targetReplicas": 1, "suspend": True}))
    before = datetime.now(UTC)
    out = run_cli("watch", "--once")
    assert out.returncode == 0, out.stderr
    histories = get("cronfhpa", "weekly")["status"]["executionHistories"]
    assert [h["ruleName"] for h in histories] == ["monday", "held"] and "nextExecutionTime" not in histories[1]
    upcoming = datetime.strptime(histories[0]["nextExecutionTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert upcoming.weekday() == 0 and (upcoming.hour, upcoming.minute) == (7, 0)
    assert before < upcoming <= before + timedelta(days=7)


def test_a_rule_that_cannot_start_is_said_once_and_a_quiet_pass_writes_nothing(home, tmp_path):
    """February 30th passes the checks at the door (robfig/cron parses it too) but has no time: Karmada's
    event StartRuleFailed, recorded once; the other rule starts. A pass with nothing to do changes nothing."""
    apply(tmp_path, cron_fhpa("odd", TARGET,
                              {"name": "never", "schedule": "0 0 30 2 *", "targetReplicas": 1, "timeZone": "UTC"},
                              {"name": "daily", "schedule": "@daily", "targetReplicas": 2, "timeZone": "UTC"}))
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)          # no member: any clock will do
    said = watch_pass(now)
    assert said == ['CronFederatedHPA shop/odd: rule never not started: invalid schedule "0 0 30 2 *": '
                    'Bad day-of-month']
    first = get("cronfhpa", "odd")
    assert [h["ruleName"] for h in first["status"]["executionHistories"]] == ["daily"]
    assert watch_pass(now + timedelta(seconds=10)) == []
    assert get("cronfhpa", "odd")["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    events = json.loads(run_cli("events", "cronfhpa/odd", "-n", "shop", "-o", "json").stdout)["items"]
    assert [(e["type"], e["reason"]) for e in events] == [("Warning", "StartRuleFailed")]
