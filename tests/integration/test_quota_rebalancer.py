"""FederatedResourceQuota and WorkloadRebalancer acted on, through the CLI against sandbox members.

Karmada's sources for what is checked here:
  pkg/controllers/federatedresourcequota/federated_resource_quota_sync_controller.go   buildWorks: one
      ResourceQuota named like the FRQ per cluster of staticAssignments; Works gone with the FRQ
  pkg/controllers/federatedresourcequota/federated_resource_quota_status_controller.go collectQuotaStatus
  pkg/webhook/resourcebinding/validating.go   (gate FederatedQuotaEnforcement) the denial message;
  pkg/scheduler/helper.go getConditionByError  Scheduled=False, QuotaExceeded, the binding unscheduled
  pkg/controllers/workloadrebalancer/workloadrebalancer_controller.go   observedWorkloads, finishTime, TTL
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest
import yaml

from tests.conftest import run_cli
from tests.waiting import until


@pytest.fixture
def ns():
    return f"q-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def core(member_client):
    from kubernetes import client as k8s

    return lambda member: k8s.CoreV1Api(member_client(member))


@pytest.fixture
def apps(member_client):
    from kubernetes import client as k8s

    return lambda member: k8s.AppsV1Api(member_client(member))


def apply(tmp_path, *docs, expect: int = 0):
    path = tmp_path / f"{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump_all(list(docs)))
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == expect, result.stdout + result.stderr
    return result


def frq(ns: str, overall: dict, assignments: dict[str, dict]) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "FederatedResourceQuota",
            "metadata": {"name": "team", "namespace": ns},
            "spec": {"overall": overall,
                     "staticAssignments": [{"clusterName": c, "hard": h} for c, h in assignments.items()]}}


def deployment(ns: str, replicas: int, cpu: str = "250m", name: str = "web") -> dict:
    container = {"name": "web", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}}


def policy(ns: str, clusters: list[str], divided: bool = False) -> dict:
    placement: dict = {"clusterAffinity": {"clusterNames": clusters}}
    if divided:
        placement["replicaScheduling"] = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                          "weightPreference": {"dynamicWeight": "AvailableReplicas"}}
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}], "placement": placement}}


def quota_in(core, member, ns: str) -> dict | None:
    from kubernetes.client.exceptions import ApiException

    try:
        quota = core(member).read_namespaced_resource_quota("team", ns)
    except ApiException as e:
        assert e.status == 404
        return None
    return quota.to_dict()


def get_json(*args: str) -> dict:
    result = run_cli("get", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_frq_makes_and_updates_member_quotas_and_reports_usage(joined, core, ns, tmp_path):
    m1, m2, m3 = joined
    first = apply(tmp_path, frq(ns, {"cpu": "4", "pods": "10"}, {"member1": {"cpu": "2", "pods": "5"},
                                                                  "member2": {"cpu": "1"}}))
    assert "member1: 1 created" in first.stdout and "member2: 1 created" in first.stdout
    pushed = quota_in(core, m1, ns)
    assert pushed is not None and pushed["spec"]["hard"] == {"cpu": "2", "pods": "5"}
    assert pushed["metadata"]["labels"]["karmada.io/managed"] == "true"
    assert pushed["metadata"]["annotations"]["work.karmada.io/namespace"] == "karmada-es-member1"
    assert quota_in(core, m3, ns) is None                    # not assigned: nothing there
    works = get_json("works", "-A")["items"]
    assert sorted(w["metadata"]["namespace"] for w in works) == ["karmada-es-member1", "karmada-es-member2"]
    assert works[0]["metadata"]["labels"] == {"federatedresourcequota.karmada.io/namespace": ns,
                                              "federatedresourcequota.karmada.io/name": "team"}

    apply(tmp_path, frq(ns, {"cpu": "4", "pods": "10"}, {"member1": {"cpu": "3", "pods": "5"}}))
    assert quota_in(core, m1, ns)["spec"]["hard"] == {"cpu": "3", "pods": "5"}
    assert quota_in(core, m2, ns) is None                    # dropped from the list: its quota goes

    core(m1).patch_namespaced_resource_quota("team", ns, {"spec": {"hard": {"cpu": "99", "pods": "5"}}})
    assert run_cli("sync").returncode == 0                    # a hand edit on the member is repaired
    assert quota_in(core, m1, ns)["spec"]["hard"] == {"cpu": "3", "pods": "5"}

    apply(tmp_path, deployment(ns, 2), policy(ns, ["member1"]))

    def counted() -> dict | None:
        assert run_cli("sync").returncode == 0
        status = get_json("federatedresourcequotas", "team", "-n", ns).get("status") or {}
        used = (status.get("aggregatedStatus") or [{}])[0].get("used")
        return status if used == {"cpu": "500m", "pods": "2"} else None

    status = until(counted)
    assert status["overall"] == {"cpu": "4", "pods": "10"}
    assert status["aggregatedStatus"] == [{"clusterName": "member1", "hard": {"cpu": "3", "pods": "5"},
                                           "used": {"cpu": "500m", "pods": "2"}}]
    assert status["overallUsed"] == {"cpu": "500m", "pods": "2"}
    listed = run_cli("get", "federatedresourcequotas", "-n", ns)
    assert listed.stdout.split("\n")[1].split() == ["team", '{"cpu":"4","pods":"10"}', '{"cpu":"500m","pods":"2"}']
    described = run_cli("describe", "federatedresourcequota", "team", "-n", ns)
    assert "SyncWorkSucceed" in described.stdout and "AggregateStatusSucceed" in described.stdout
    assert "does not act on" not in described.stderr

    assert run_cli("delete", "federatedresourcequota", "team", "-n", ns).returncode == 0
    assert quota_in(core, m1, ns) is None                    # the FRQ gone: its ResourceQuotas go


def test_a_workload_over_the_overall_quota_is_left_unscheduled(joined, apps, ns, tmp_path, monkeypatch):
    monkeypatch.setenv("KARMADACTL_FEATURE_GATES", "FederatedQuotaEnforcement=true")
    apply(tmp_path, frq(ns, {"cpu": "1"}, {}), policy(ns, ["member1"]))
    refused = apply(tmp_path, deployment(ns, 6))            # as any scheduling failure: a warning, exit 0
    assert f"FederatedResourceQuota({ns}/team) exceeded for resource cpu" in refused.stderr, refused.stderr
    binding = get_json("rb", "web-deployment", "-n", ns)
    scheduled = next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "QuotaExceeded")
    assert scheduled["message"] == ('admission webhook "resourcebinding.karmada.io" denied the request: '
                                    f"FederatedResourceQuota({ns}/team) exceeded for resource cpu: "
                                    "requested sum 1500m, limit 1.")
    assert binding["spec"].get("clusters") in (None, [])
    assert get_json("works", "-A")["items"] == []            # nothing reaches a member

    apply(tmp_path, deployment(ns, 4))                       # 4 x 250m = the overall: allowed
    assert apps(joined[0]).read_namespaced_deployment("web", ns).spec.replicas == 4
    status = get_json("federatedresourcequotas", "team", "-n", ns)["status"]
    assert status["overallUsed"] == {"cpu": "1"}
    events = run_cli("describe", "rb", "web-deployment", "-n", ns).stdout
    assert "ScheduleBindingFailed" in events

    refused = apply(tmp_path, deployment(ns, 8))            # above again: the previous placement stays
    assert f"FederatedResourceQuota({ns}/team) exceeded for resource cpu" in refused.stderr, refused.stderr
    assert get_json("rb", "web-deployment", "-n", ns)["spec"]["clusters"] == [{"name": "member1", "replicas": 4}]
    assert apps(joined[0]).read_namespaced_deployment("web", ns).spec.replicas == 4
    assert get_json("deploy", "web", "-n", ns)["spec"]["replicas"] == 8     # the template itself is stored


def _next_second() -> None:
    """Karmada stamps a binding with the rebalancer's creationTimestamp, and the scheduler divides afresh
    only when that is after the binding's lastScheduledTime; both have whole seconds."""
    time.sleep(1.02 - time.time() % 1)


def test_workload_rebalancer_object_divides_afresh_and_goes_after_its_ttl(joined, apps, ns, tmp_path):
    from karmadactl.controllers.watch import Options, Watcher
    from karmadactl.store import Store

    m1, m2, m3 = joined
    apply(tmp_path, deployment(ns, 6), policy(ns, ["member1", "member2"], divided=True))
    apply(tmp_path, policy(ns, ["member1", "member2", "member3"], divided=True))
    assert [_replicas(apps, m, ns) for m in joined][2] is None     # a grown cluster set moves nothing
    _next_second()
    rebalancer = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer",
                  "metadata": {"name": f"after-{ns}"},
                  "spec": {"workloads": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                          "namespace": ns},
                                         {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gone",
                                          "namespace": ns}],
                           "ttlSecondsAfterFinished": 60}}
    result = apply(tmp_path, rebalancer)
    assert "does not act on" not in result.stderr
    spread = [_replicas(apps, m, ns) for m in joined]
    assert spread[2] and sum(spread) == 6                         # divided afresh over all three
    got = get_json("workloadrebalancer", f"after-{ns}")["status"]
    assert got["observedGeneration"] == 1 and got["finishTime"]
    assert got["observedWorkloads"] == [
        {"workload": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gone", "namespace": ns},
         "result": "Failed", "reason": "ReferencedBindingNotFound"},
        {"workload": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": ns},
         "result": "Successful"}]
    described = run_cli("describe", "workloadrebalancer", f"after-{ns}").stdout
    assert "RescheduleTriggered" in described and "ReferencedBindingNotFound" in described

    # re-applied with a workload added and the failed one removed: the addition is acted on, the
    # Successful entry kept, the Failed one dropped (syncWorkloadsFromSpecToStatus)
    apply(tmp_path, deployment(ns, 2, name="api"))
    rebalancer["spec"]["workloads"] = [rebalancer["spec"]["workloads"][0],
                                       {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": ns}]
    apply(tmp_path, rebalancer)
    got = get_json("workloadrebalancer", f"after-{ns}")["status"]
    assert got["observedGeneration"] == 2
    assert [(o["workload"]["name"], o["result"]) for o in got["observedWorkloads"]] == [("api", "Successful"),
                                                                                       ("web", "Successful")]
    api_binding = get_json("rb", "api-deployment", "-n", ns)
    assert api_binding["spec"]["rescheduleTriggeredAt"] == \
        get_json("workloadrebalancer", f"after-{ns}")["metadata"]["creationTimestamp"]

    finished = datetime.fromisoformat(got["finishTime"].replace("Z", "+00:00"))
    with Store.open() as store:
        watcher = Watcher(store, Options(failure_threshold=timedelta(0), success_threshold=timedelta(0)))
        try:
            watcher.run_once(finished + timedelta(seconds=59))
            assert run_cli("get", "workloadrebalancer", f"after-{ns}").returncode == 0    # not yet
            watcher.run_once(finished + timedelta(seconds=60))
        finally:
            watcher.close()
    gone = run_cli("get", "workloadrebalancer", f"after-{ns}")
    assert gone.returncode == 1 and "not found" in gone.stderr


def _replicas(apps, member, ns: str) -> int | None:
    from kubernetes.client.exceptions import ApiException

    try:
        return apps(member).read_namespaced_deployment("web", ns).spec.replicas
    except ApiException as e:
        assert e.status == 404
        return None


def test_bad_quotas_and_rebalancers_are_refused_at_the_door(home, tmp_path):
    """pkg/webhook/federatedresourcequota/validating.go; the WorkloadRebalancer CRD's minItems."""
    bad = frq("shop", {"cpu": "1"}, {"member1": {"cpu": "2", "memory": "1Gi"}})
    result = apply(tmp_path, bad, expect=1)
    assert "spec.overall[cpu]: overall is less than assignments" in result.stderr
    assert "spec.staticAssignments[0].hard[memory]: assignment resourceName is not exist in overall" in result.stderr
    empty = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer", "metadata": {"name": "r"},
             "spec": {"workloads": []}}
    assert "spec.workloads" in apply(tmp_path, empty, expect=1).stderr
    assert get_json("federatedresourcequotas", "-A")["items"] == []
