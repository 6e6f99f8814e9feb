"""The FederatedHPA controller (controllers/fhpa.py) over a real store and fake members: what it reads of a
member's pods and PodMetrics, as Karmada's controller and metrics client read them (karmada-io/karmada
pkg/controllers/federatedhpa/federatedhpa_controller.go scaleForTargetCluster: pods keyed by cluster and
name, a member that fails left out; metrics/client.go GetResourceMetric: a pod's usage is the sum over its
containers, milli-units), the 15s sync period (--horizontal-pod-autoscaler-sync-period), the failures
before the scale is read (reconcileAutoscaler, getBindingByLabel) and the record kept between passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from karmadactl.controllers.fhpa import pod_of, usage_of
from karmadactl.errors import Unreachable
from tests.controllers import world


def test_a_pod_is_keyed_by_its_cluster_with_readiness_start_and_requests():
    pod = pod_of("member1", {
        "metadata": {"name": "web-1", "namespace": "shop"},
        "spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                                {"name": "sidecar", "resources": {"requests": {"cpu": "0.05"}}}]},
        "status": {"phase": "Running", "startTime": "2026-01-01T10:00:00Z",
                   "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T10:00:20Z"}]}})
    assert (pod.key, pod.name, pod.phase, pod.ready, pod.deleting) == ("member1/web-1", "web-1", "Running", "True",
                                                                      False)
    assert pod.start_time == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert pod.ready_since == datetime(2026, 1, 1, 10, 0, 20, tzinfo=UTC)
    assert pod.request("cpu") == 300
    assert pod.request("cpu", "web") == 250
    assert pod.request("memory", "web") == 64 * 1024 * 1024 * 1000


def test_a_pod_without_ready_condition_or_being_deleted():
    pod = pod_of("member2", {"metadata": {"name": "web-2", "deletionTimestamp": "2026-01-01T10:00:00Z"},
                             "spec": {"containers": [{"name": "web"}]}, "status": {"phase": "Pending"}})
    assert (pod.ready, pod.ready_since, pod.start_time, pod.deleting) == (None, None, None, True)


def test_pod_metrics_sum_the_containers_in_milli_units():
    usage = usage_of({"metadata": {"name": "web-1"}, "timestamp": "2026-01-01T10:01:00Z", "window": "15s",
                      "containers": [{"name": "web", "usage": {"cpu": "1234567n", "memory": "1024Ki"}},
                                     {"name": "sidecar", "usage": {"cpu": "10m", "memory": "0"}}]})
    assert (usage.timestamp, usage.window) == (datetime(2026, 1, 1, 10, 1, tzinfo=UTC), timedelta(seconds=15))
    assert usage.sample("cpu").value == 2 + 10            # 1.234567m: MilliValue rounds up, per container
    assert usage.sample("cpu", "sidecar").value == 10
    assert usage.sample("memory").value == 1024 * 1024 * 1000
    assert usage.sample("cpu", "absent") is None


# ---------------------------------------------------------------- sync over a fake fleet

NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def fhpa_object(target: str = "web", min_replicas: int = 2) -> dict:
    return {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "minReplicas": min_replicas, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}


def serve_pods(member, count: int, cpu_milli: int) -> None:
    """`count` Running, Ready web pods of 100m requests in the fake member, each using `cpu_milli`."""
    items = []
    for i in range(count):
        name = f"web-{member.name}-{i}"
        member.put({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "100m"}}}]},
                    "status": {"phase": "Running", "startTime": "2026-03-01T10:00:00Z",
                               "conditions": [{"type": "Ready", "status": "True",
                                               "lastTransitionTime": "2026-03-01T10:00:05Z"}]}})
        items.append({"metadata": {"name": name, "namespace": "default"}, "timestamp": "2026-03-01T10:29:50Z",
                      "window": "15s", "containers": [{"name": "web", "usage": {"cpu": f"{cpu_milli}m"}}]})

    def get_json(path: str, query=None, *, what: str = "") -> dict:
        if member.fault == "unreachable":
            raise Unreachable(f"cluster {member.name}: connection refused")
        if path == "/apis":
            return {"groups": [{"name": "metrics.k8s.io", "versions": [{"version": "v1beta1"}]}]}
        if path == "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods":
            return {"items": items}
        raise AssertionError(path)
    member.get_json = get_json


def sync(store, fleet, now: datetime, every: bool = False) -> list[str]:
    from karmadactl.controllers import fhpa
    from karmadactl.members.fanout import Fleet

    said: list[str] = []
    with Fleet(store, factory=fleet.factory) as members:
        fhpa.sync_due(store, now, said.append, members, every=every)
    return said


def fhpa_status(store) -> dict:
    return world.stored(store, "FederatedHPA.autoscaling.karmada.io")[0].get("status") or {}


def reasons(store) -> list[str]:
    with store.read() as tx:
        return [e["reason"] for e in tx.events(kind="FederatedHPA")]


def test_scales_the_template_from_the_members_and_waits_the_sync_period(store, fleet):
    world.apply(store, world.deployment(replicas=4), world.policy("web", [world.selector(world.deployment())],
                                                                  ["m1", "m2"], divided=True), fhpa_object())
    world.run_pass(store, fleet)
    for name in ("m1", "m2"):
        serve_pods(fleet[name], 2, 90)                       # 90% of a 50% target
    said = sync(store, fleet, NOW, every=True)
    assert said == ["FederatedHPA default/web: Deployment/web scaled from 4 to 8 "
                    "(cpu resource utilization (percentage of request) above target)"]
    assert world.template(store, world.deployment())["spec"]["replicas"] == 8
    assert (fhpa_status(store)["currentReplicas"], fhpa_status(store)["desiredReplicas"]) == (4, 8)
    assert reasons(store) == ["SuccessfulRescale"]
    [record] = world.stored(store, "FederatedHPAState.karmadactl.io")
    assert record["spec"]["lastSyncTime"] == "2026-03-01T10:30:00.000000Z"
    assert [r["replicas"] for r in record["spec"]["recommendations"]] == [4, 8]

    def recommendations() -> int:
        return len(world.stored(store, "FederatedHPAState.karmadactl.io")[0]["spec"]["recommendations"])

    assert sync(store, fleet, NOW + timedelta(seconds=10)) == []          # within the 15s sync period
    assert recommendations() == 2
    sync(store, fleet, NOW + timedelta(seconds=15))
    assert recommendations() == 3
    world.apply(store, fhpa_object(min_replicas=3))                       # a spec change is acted on at once
    sync(store, fleet, NOW + timedelta(seconds=16))
    assert recommendations() == 4


def test_a_member_that_does_not_answer_is_left_out_not_counted_as_idle(store, fleet):
    world.apply(store, world.deployment(replicas=4), world.policy("web", [world.selector(world.deployment())],
                                                                  ["m1", "m2"], divided=True), fhpa_object())
    world.run_pass(store, fleet)
    serve_pods(fleet["m1"], 2, 50)                          # on target
    serve_pods(fleet["m2"], 2, 50)
    fleet["m2"].fault = "unreachable"
    assert sync(store, fleet, NOW, every=True) == []
    assert world.template(store, world.deployment())["spec"]["replicas"] == 4
    status = fhpa_status(store)
    assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 50
    assert {c["type"]: c["reason"] for c in status["conditions"]}["ScalingActive"] == "ValidMetricFound"


def test_a_missing_target_or_binding_is_reported_as_karmada_does(store, fleet):
    world.apply(store, fhpa_object(target="ghost"))
    said = sync(store, fleet, NOW, every=True)
    assert said == ['FederatedHPA default/web: deployments.apps "ghost" not found']
    able = fhpa_status(store)["conditions"][0]
    assert (able["type"], able["status"], able["reason"]) == ("AbleToScale", "False", "FailedGetScaleTargetRef")
    world.apply(store, world.deployment(name="ghost"))        # no policy claims it: no binding
    sync(store, fleet, NOW + timedelta(seconds=15))
    able = fhpa_status(store)["conditions"][0]
    assert (able["reason"], able["message"]) == (
        "FailedGetBinding", "the HPA controller was unable to get the binding by scaleTargetRef: "
                            "length of binding list is zero")
    assert reasons(store) == ["FailedGetScaleTargetRef", "FailedGetBindings"]


def test_the_record_goes_with_its_federated_hpa(store, fleet):
    world.apply(store, fhpa_object(target="ghost"))
    sync(store, fleet, NOW, every=True)
    assert len(world.stored(store, "FederatedHPAState.karmadactl.io")) == 1
    world.delete(store, fhpa_object())
    sync(store, fleet, NOW + timedelta(seconds=15))
    assert world.stored(store, "FederatedHPAState.karmadactl.io") == []
