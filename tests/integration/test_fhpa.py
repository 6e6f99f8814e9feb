"""FederatedHPA end to end: apply through the CLI, sandbox members with simulated load, watch passes.

Karmada's behaviour read in karmada-io/karmada pkg/controllers/federatedhpa/federatedhpa_controller.go
(reconcileAutoscaler: the template's replicas are scaled, the binding's Ready clusters are read, a
member that does not answer is skipped and the calibration Σmember spec / template replicas keeps the
count; normalizeDesiredReplicas: scale out limited to max(2 x current, 4), scale in held for the 5m
downscale stabilization window) and replica_calculator.go (GetResourceReplicas).

`watch` offers no clock to drive from outside, so the passes are Watcher.run_once(now) in this process,
each from a fresh Watcher as `watch --once` makes one, with `now` six minutes past the pods' start so
their cpu initialization period is over; everything else goes through the CLI.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from tests.conftest import run_cli
from tests.integration import watching
from tests.waiting import until


@pytest.fixture
def ns():
    return f"fhpa-{uuid.uuid4().hex[:6]}"


def manifests(ns: str, replicas: int) -> list[dict]:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
                  "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                                 "resources": {"requests": {"cpu": "100m"}}}]}}}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "web", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                       "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                                     "replicaScheduling": {
                                         "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                         "weightPreference": {"staticWeightList": [
                                             {"targetCluster": {"clusterNames": ["member1"]}, "weight": 1},
                                             {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1}]}}}}}
    fhpa = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}
    return [deployment, policy, fhpa]


def apply(tmp_path, docs: list[dict]) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    out = run_cli("apply", "-f", str(path))
    assert out.returncode == 0, out.stderr
    assert "does not act on" not in out.stderr


def watch_pass(now: datetime) -> list[str]:
    """One pass at `now`, as a fresh `watch --once` runs it (failover off: the outage test keeps its
    placement); the lines it said."""
    return watching.watch_pass(now, failover=False)


def get_json(kind: str, name: str, ns: str) -> dict:
    out = run_cli("get", kind, name, "-n", ns, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def running_pods(member_client, member, ns: str) -> int:
    from kubernetes import client as k8s

    pods = k8s.CoreV1Api(member_client(member)).list_namespaced_pod(ns, label_selector="app=web").items
    return sum(1 for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp)


def settle(member_client, members, ns: str, expected: list[int]) -> None:
    until(lambda: [running_pods(member_client, m, ns) for m in members] == expected, timeout=20)


def test_a_divided_deployment_scales_out_across_two_clusters_and_back_in_after_the_window(
        joined, ns, tmp_path, member_client):
    member1, member2 = joined[0], joined[1]
    apply(tmp_path, manifests(ns, 2))
    settle(member_client, (member1, member2), ns, [1, 1])
    for m in (member1, member2):                       # 150m per member: three pods at the 50% target
        m.set_load("deploy", ns, "web", total_cpu="150m")
    start = datetime.now(UTC) + timedelta(minutes=6)

    said = watch_pass(start)                           # 150% -> 6, limited to max(2 x 2, 4) = 4
    assert f"FederatedHPA {ns}/web: Deployment/web scaled from 2 to 4 " \
           "(cpu resource utilization (percentage of request) above target)" in said
    assert get_json("deploy", "web", ns)["spec"]["replicas"] == 4
    settle(member_client, (member1, member2), ns, [2, 2])

    watch_pass(start + timedelta(seconds=15))          # 75% of 4 pods -> 6
    settle(member_client, (member1, member2), ns, [3, 3])
    watch_pass(start + timedelta(seconds=30))          # 50%: within tolerance, stays
    status = get_json("fhpa", "web", ns)["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (6, 6)
    assert status["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageValue": "50m", "averageUtilization": 50}}}]
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions == {"AbleToScale": ("True", "ReadyForNewScale"), "ScalingActive": ("True", "ValidMetricFound"),
                          "ScalingLimited": ("False", "DesiredWithinRange")}

    out = run_cli("get", "fhpa", "-n", ns)
    assert out.stdout.splitlines()[1].split()[:6] == ["web", "Deployment", "web", "2", "10", "6"]
    described = run_cli("describe", "fhpa", "web", "-n", ns).stdout
    assert "SuccessfulRescale" in described and "New size: 6" in described

    for m in (member1, member2):                       # the load drops: 10% would mean 2 replicas
        m.set_load("deploy", ns, "web", total_cpu="30m")
    watch_pass(start + timedelta(minutes=1))           # held by the 5m window
    assert get_json("deploy", "web", ns)["spec"]["replicas"] == 6
    status = get_json("fhpa", "web", ns)["status"]
    assert {c["type"]: c["reason"] for c in status["conditions"]}["AbleToScale"] == "ScaleDownStabilized"

    said = watch_pass(start + timedelta(seconds=30, minutes=5, milliseconds=1))
    assert f"FederatedHPA {ns}/web: Deployment/web scaled from 6 to 2 (All metrics below target)" in said
    settle(member_client, (member1, member2), ns, [1, 1])
    assert [b["replicas"] for b in get_json("rb", "web-deployment", ns)["spec"]["clusters"]] == [1, 1]


def test_an_unreachable_member_does_not_scale_it_in(joined, ns, tmp_path, member_client):
    member1, member2 = joined[0], joined[1]
    apply(tmp_path, manifests(ns, 4))
    settle(member_client, (member1, member2), ns, [2, 2])
    for m in (member1, member2):
        m.set_load("deploy", ns, "web", total_cpu="100m")      # 50m a pod: on target
    start = datetime.now(UTC) + timedelta(minutes=6)
    watch_pass(start)
    assert get_json("deploy", "web", ns)["spec"]["replicas"] == 4
    member2.fail()
    try:
        for step in range(1, 4):                               # before and after member2 turns not Ready
            watch_pass(start + timedelta(minutes=step))
            assert get_json("deploy", "web", ns)["spec"]["replicas"] == 4
        status = get_json("fhpa", "web", ns)["status"]
        assert {c["type"]: c["status"] for c in status["conditions"]}["ScalingActive"] == "True"
        # the 5m window would hold a scale-in anyway: member2's pods must be left out, not read as idle
        assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 50
        assert {c["type"]: c["reason"] for c in status["conditions"]}["AbleToScale"] == "ReadyForNewScale"
    finally:
        member2.recover()


@pytest.mark.parametrize("change,message", [
    ({"metrics": [{"type": "External", "external": {"metric": {"name": "queue"},
                                                    "target": {"type": "Value", "value": "10"}}}]},
     'spec.metrics[0].type: unsupported value "External"'),
    ({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 4000}}},
     "spec.behavior.scaleDown.stabilizationWindowSeconds: must be less than or equal to 3600"),
    ({"minReplicas": 0}, "spec.minReplicas: must be greater than or equal to 1"),
])
def test_apply_refuses_what_karmadas_webhook_refuses_and_stores_nothing(home, tmp_path, change, message):
    """Karmada: pkg/webhook/federatedhpa/validating.go, with pkg/util/lifted/validatingfhpa.go."""
    deployment, policy, fhpa = manifests("shop", 2)
    fhpa["spec"].update(change)
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump_all([deployment, fhpa]))
    out = run_cli("apply", "-f", str(path))
    assert out.returncode == 1
    assert f"{path} (document 2): FederatedHPA shop/web: {message}" in out.stderr
    assert run_cli("get", "deploy,fhpa", "-A", "-o", "name").stdout == ""


def test_apply_stores_karmadas_defaults(home, tmp_path):
    """Karmada: pkg/webhook/federatedhpa/mutating.go, SetDefaultsFederatedHPA in pkg/util/lifted/federatedhpa.go."""
    fhpa = manifests("shop", 2)[2]
    del fhpa["spec"]["minReplicas"], fhpa["spec"]["metrics"]
    apply(tmp_path, [fhpa])
    spec = get_json("fhpa", "web", "shop")["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in spec
