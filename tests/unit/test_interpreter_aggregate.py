"""AggregateStatus of the built-in kinds (spec §5)."""

from __future__ import annotations

import copy

import pytest

from karmadactl.interpreter.aggregate import aggregate_status, has_aggregate_status

NOW = "2024-05-01T12:00:00Z"


def template(api_version, kind, generation=1, status=None, spec=None):
    body = {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "web", "namespace": "default", "generation": generation},
            "spec": spec or {}}
    if status is not None:
        body["status"] = status
    return body


def item(cluster, status=None, applied=True, health="Healthy"):
    entry = {"clusterName": cluster, "applied": applied, "health": health}
    if status is not None:
        entry["status"] = status
    return entry


def checked(tmpl, items, **kw):
    before = (copy.deepcopy(tmpl), copy.deepcopy(items))
    result = aggregate_status(tmpl, items, **kw)
    assert (tmpl, items) == before
    return result


# -- Deployment and the observedGeneration rule -------------------------------------------------

def deploy_status(replicas, ready, observed, gen, template_gen):
    return {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
            "availableReplicas": ready, "unavailableReplicas": replicas - ready,
            "observedGeneration": observed, "generation": gen, "resourceTemplateGeneration": template_gen}


def test_deployment_sums_counters_and_advances_generation_when_all_caught_up():
    tmpl = template("apps/v1", "Deployment", generation=5,
                    status={"observedGeneration": 4, "conditions": [{"type": "Available"}]})
    items = [item("a", deploy_status(2, 2, 3, 3, 5)), item("b", deploy_status(3, 1, 8, 8, 5))]
    assert checked(tmpl, items) == {
        "replicas": 5, "updatedReplicas": 5, "readyReplicas": 3, "availableReplicas": 3,
        "unavailableReplicas": 2, "observedGeneration": 5, "conditions": [{"type": "Available"}]}


@pytest.mark.parametrize("name,items", [
    ("member controller behind", [item("a", deploy_status(2, 2, 3, 3, 5)), item("b", deploy_status(1, 1, 7, 8, 5))]),
    ("member still has the old template", [item("a", deploy_status(2, 2, 3, 3, 5)), item("b", deploy_status(1, 1, 8, 8, 4))]),
    ("member status not collected yet", [item("a", deploy_status(2, 2, 3, 3, 5)), item("b")]),
    ("member not applied", [item("a", deploy_status(2, 2, 3, 3, 5)), item("b", applied=False, health="Unknown")]),
    ("no clusters yet", []),
])
def test_deployment_keeps_old_observed_generation_until_every_member_caught_up(name, items):
    tmpl = template("apps/v1", "Deployment", generation=5, status={"observedGeneration": 4})
    assert checked(tmpl, items)["observedGeneration"] == 4


def test_deployment_without_old_status_and_member_behind_has_no_observed_generation():
    tmpl = template("apps/v1", "Deployment", generation=2)
    result = checked(tmpl, [item("a", deploy_status(1, 0, 1, 2, 2))])
    assert "observedGeneration" not in result
    assert result["replicas"] == 1


@pytest.mark.parametrize("kind,counters,member", [
    ("StatefulSet", ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"),
     {"replicas": 2, "readyReplicas": 1, "currentReplicas": 2, "updatedReplicas": 2, "availableReplicas": 1}),
    ("ReplicaSet", ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas"),
     {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1, "availableReplicas": 1}),
    ("DaemonSet", ("currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
                   "numberReady", "updatedNumberScheduled", "numberUnavailable"),
     {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 1,
      "numberReady": 2, "updatedNumberScheduled": 3, "numberUnavailable": 1}),
])
def test_other_workloads_sum_their_counters_with_the_same_generation_rule(kind, counters, member):
    tmpl = template("apps/v1", kind, generation=3, status={"observedGeneration": 2})
    caught_up = {**member, "observedGeneration": 6, "generation": 6, "resourceTemplateGeneration": 3}
    behind = {**member, "observedGeneration": 5, "generation": 6, "resourceTemplateGeneration": 3}
    result = checked(tmpl, [item("a", caught_up), item("b", caught_up)])
    assert {name: result[name] for name in counters} == {name: 2 * member[name] for name in counters}
    assert result["observedGeneration"] == 3
    assert checked(tmpl, [item("a", caught_up), item("b", behind)])["observedGeneration"] == 2


# -- Job -----------------------------------------------------------------------------------

def job_status(active=0, succeeded=0, failed=0, finished=None, start=None, completion=None):
    status = {"active": active, "succeeded": succeeded, "failed": failed}
    if finished:
        status["conditions"] = [{"type": finished, "status": "True"}]
    if start:
        status["startTime"] = start
    if completion:
        status["completionTime"] = completion
    return status


def test_job_complete_when_every_cluster_completed():
    tmpl = template("batch/v1", "Job", status={"active": 2})
    items = [item("a", job_status(succeeded=2, finished="Complete", start="2024-05-01T10:00:00Z",
                                  completion="2024-05-01T10:05:00Z")),
             item("b", job_status(succeeded=1, finished="Complete", start="2024-05-01T09:59:00Z",
                                  completion="2024-05-01T10:07:00Z"))]
    assert checked(tmpl, items, now=NOW) == {
        "active": 0, "succeeded": 3, "failed": 0,
        "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": NOW, "lastTransitionTime": NOW,
                        "reason": "Completed", "message": "Job completed"}],
        "startTime": "2024-05-01T09:59:00Z", "completionTime": "2024-05-01T10:07:00Z"}


def test_job_running_somewhere_is_not_complete_and_has_no_completion_time():
    tmpl = template("batch/v1", "Job")
    items = [item("a", job_status(succeeded=2, finished="Complete", start="2024-05-01T10:00:00Z",
                                  completion="2024-05-01T10:05:00Z")),
             item("b", job_status(active=1, start="2024-05-01T10:01:00Z"))]
    result = checked(tmpl, items, now=NOW)
    assert result == {"active": 1, "succeeded": 2, "failed": 0, "startTime": "2024-05-01T10:00:00Z"}


def test_job_failed_in_one_cluster():
    tmpl = template("batch/v1", "Job")
    items = [item("a", job_status(failed=6, finished="Failed")), item("b", job_status(active=1)),
             item("c", job_status(failed=6, finished="Failed"))]
    result = checked(tmpl, items, now=NOW)
    assert result["failed"] == 12 and result["active"] == 1
    assert result["conditions"] == [{
        "type": "Failed", "status": "True", "lastProbeTime": NOW, "lastTransitionTime": NOW,
        "reason": "JobFailed", "message": "Job executed failed in member clusters a,c"}]


def test_job_with_a_cluster_not_reporting_is_not_complete():
    tmpl = template("batch/v1", "Job")
    items = [item("a", job_status(succeeded=1, finished="Complete")), item("b", applied=False)]
    assert "conditions" not in checked(tmpl, items, now=NOW)


def test_finished_job_is_never_updated_again():
    finished = {"succeeded": 3, "conditions": [{"type": "Complete", "status": "True"}]}
    tmpl = template("batch/v1", "Job", status=finished)
    assert checked(tmpl, [item("a", job_status(active=5))], now=NOW) == finished


def test_job_without_items_has_no_conditions():
    assert checked(template("batch/v1", "Job"), [], now=NOW) == {"active": 0, "succeeded": 0, "failed": 0}


# -- Pod -----------------------------------------------------------------------------------

@pytest.mark.parametrize("phases,expected", [
    (["Running", "Failed", "Pending"], "Failed"),
    (["Running", "Pending", "Succeeded"], "Pending"),
    (["Running", None], "Pending"),          # a cluster without status yet counts as Pending
    (["Succeeded", "Running"], "Running"),
    (["Succeeded", "Succeeded"], "Succeeded"),
])
def test_pod_phase_precedence(phases, expected):
    items = [item(f"c{i}", {"phase": phase} if phase else None) for i, phase in enumerate(phases)]
    assert checked(template("v1", "Pod"), items)["phase"] == expected


def test_pod_container_statuses_concatenated_and_trimmed():
    running = {"running": {"startedAt": "2024-05-01T10:00:00Z"}}
    items = [item("a", {"phase": "Running", "containerStatuses": [
                 {"name": "app", "ready": True, "state": running, "restartCount": 3, "image": "nginx"}]}),
             item("b", {"phase": "Running", "containerStatuses": [{"name": "app", "ready": False}]})]
    assert checked(template("v1", "Pod"), items) == {
        "phase": "Running",
        "containerStatuses": [{"ready": True, "state": running}, {"ready": False}]}


def test_pod_without_items_keeps_its_status():
    tmpl = template("v1", "Pod", status={"phase": "Pending"})
    assert checked(tmpl, []) == {"phase": "Pending"}


# -- Service / Ingress -----------------------------------------------------------------------

def lb(*entries):
    return {"loadBalancer": {"ingress": list(entries)}}


def test_service_lb_ingress_merged_deduplicated_sorted():
    tmpl = template("v1", "Service", spec={"type": "LoadBalancer"})
    items = [item("member2", lb({"ip": "10.0.0.9"}, {"hostname": "lb.example.com"})),
             item("member1", lb({"ip": "10.0.0.2"}, {"hostname": "lb.example.com"})),
             item("member3"),
             item("member4", lb({"ip": "10.0.0.2", "hostname": "member1"}))]
    assert checked(tmpl, items) == {"loadBalancer": {"ingress": [
        {"hostname": "lb.example.com"},
        {"ip": "10.0.0.2", "hostname": "member1"},
        {"ip": "10.0.0.9", "hostname": "member2"},
    ]}}


def test_service_without_lb_ingress_yet():
    tmpl = template("v1", "Service", spec={"type": "LoadBalancer"})
    assert checked(tmpl, [item("a", {"loadBalancer": {}})]) == {"loadBalancer": {}}


def test_non_lb_service_status_left_alone():
    tmpl = template("v1", "Service", spec={"type": "ClusterIP"}, status={"loadBalancer": {}})
    assert checked(tmpl, [item("a", lb({"ip": "1.1.1.1"}))]) == {"loadBalancer": {}}


def test_ingress_lb_merged():
    tmpl = template("networking.k8s.io/v1", "Ingress")
    items = [item("b", lb({"ip": "2.2.2.2"})), item("a", lb({"ip": "1.1.1.1"}, {"ip": "2.2.2.2", "hostname": "b"}))]
    assert checked(tmpl, items) == {"loadBalancer": {"ingress": [
        {"ip": "1.1.1.1", "hostname": "a"}, {"ip": "2.2.2.2", "hostname": "b"}]}}


# -- PDB, HPA, PVC, PV, CronJob ------------------------------------------------------------------

def test_pdb_sums_and_prefixes_disrupted_pods_with_cluster():
    items = [item("a", {"currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2, "disruptionsAllowed": 1,
                        "disruptedPods": {"web-0": "2024-05-01T10:00:00Z"}}),
             item("b", {"currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 2, "disruptionsAllowed": 0})]
    assert checked(template("policy/v1", "PodDisruptionBudget"), items) == {
        "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 4, "disruptionsAllowed": 1,
        "disruptedPods": {"a/web-0": "2024-05-01T10:00:00Z"}}


def test_hpa_sums_replicas():
    items = [item("a", {"currentReplicas": 2, "desiredReplicas": 3}), item("b", {"currentReplicas": 1, "desiredReplicas": 1})]
    tmpl = template("autoscaling/v2", "HorizontalPodAutoscaler")
    assert checked(tmpl, items) == {"currentReplicas": 3, "desiredReplicas": 4}


@pytest.mark.parametrize("phases,expected", [
    (["Bound", "Bound"], "Bound"),
    (["Bound", "Pending"], "Pending"),
    (["Pending", "Lost", "Bound"], "Lost"),
    (["Bound", None], "Bound"),  # a cluster that has not reported yet does not count
])
def test_pvc_phase(phases, expected):
    items = [item(f"c{i}", {"phase": p} if p else None) for i, p in enumerate(phases)]
    assert checked(template("v1", "PersistentVolumeClaim"), items) == {"phase": expected}


@pytest.mark.parametrize("phases,expected", [
    (["Bound", "Available"], "Available"),
    (["Bound", None], "Pending"),
    (["Released", "Failed"], "Failed"),
    (["Released", "Bound"], "Bound"),
])
def test_pv_phase(phases, expected):
    items = [item(f"c{i}", {"phase": p} if p else None) for i, p in enumerate(phases)]
    assert checked(template("v1", "PersistentVolume"), items) == {"phase": expected}


def test_cron_job_merges_active_and_takes_latest_times():
    items = [item("a", {"active": [{"name": "j-1"}], "lastScheduleTime": "2024-05-01T10:00:00Z",
                        "lastSuccessfulTime": "2024-05-01T09:00:00Z"}),
             item("b", {"active": [{"name": "j-2"}], "lastScheduleTime": "2024-05-01T11:00:00Z"})]
    assert checked(template("batch/v1", "CronJob"), items) == {
        "active": [{"name": "j-1"}, {"name": "j-2"}], "lastScheduleTime": "2024-05-01T11:00:00Z",
        "lastSuccessfulTime": "2024-05-01T09:00:00Z"}


# -- kinds without AggregateStatus --------------------------------------------------------------

@pytest.mark.parametrize("api_version,kind", [
    ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "ServiceAccount"), ("example.com/v1", "Widget"),
    ("apps/v1beta1", "Deployment")])
def test_no_aggregation(api_version, kind):
    tmpl = template(api_version, kind)
    assert not has_aggregate_status(tmpl)
    assert checked(tmpl, [item("a", {"ready": True})]) is None
