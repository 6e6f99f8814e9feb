"""FederatedHPA's algorithm as tables (karmadactl/autoscaling/), each case worked by hand from the code:

  karmada-io/karmada pkg/controllers/federatedhpa/replica_calculator.go   GetResourceReplicas,
      calcPlainMetricReplicas, groupPods, calculatePodRequests (lifted from Kubernetes 1.27
      pkg/controller/podautoscaler/replica_calculator.go), with the calibration Σmember/template
  karmada-io/karmada pkg/controllers/federatedhpa/metrics/utilization.go  integer utilization and averages
  karmada-io/karmada pkg/controllers/federatedhpa/federatedhpa_controller.go  reconcileAutoscaler,
      computeReplicasForMetrics, normalizeDesiredReplicas(WithBehaviors), stabilizeRecommendation(WithBehaviors),
      convertDesiredReplicasWith{Rules,BehaviorRate}, calculateScale{Up,Down}Limit*, storeScaleEvent
  karmada-io/karmada pkg/util/lifted/federatedhpa.go, validatingfhpa.go   defaults and the webhook's checks
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.apis.autoscaling import FederatedHPA
from karmadactl.autoscaling import horizontal as h
from karmadactl.autoscaling.replicas import CalculationError, Pod, Sample, plain_replicas, resource_replicas
from karmadactl.errors import InvalidInput

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(minutes=30)


def pod(i: int, phase="Running", ready="True", since=LONG_AGO + timedelta(seconds=5), start=LONG_AGO,
        request=1000, deleting=False) -> Pod:
    return Pod(key=f"member1/web-{i}", name=f"web-{i}", phase=phase, ready=ready, ready_since=since,
               start_time=start, deleting=deleting, requests=(("web", (("cpu", request),)),))


def samples(*values: int | None) -> dict[str, Sample]:
    return {f"member1/web-{i}": Sample(v, NOW - timedelta(seconds=10)) for i, v in enumerate(values) if v is not None}


# (case, current, pods, cpu samples in millicores, calibration, expected replicas, expected utilization)
RESOURCE_CASES = [
    ("90% of a 50% target doubles-ish: ceil(1.8 x 3)", 3, [pod(0), pod(1), pod(2)], samples(900, 900, 900), 1.0, 6, 90),
    ("within the 0.1 tolerance keeps the count", 3, [pod(0), pod(1), pod(2)], samples(520, 480, 530), 1.0, 3, 51),
    ("10% of 50% scales in: ceil(0.2 x 3)", 3, [pod(0), pod(1), pod(2)], samples(100, 100, 100), 1.0, 1, 10),
    ("Duplicated on 2 clusters: the proposal is divided by calibration 2", 3,
     [pod(i) for i in range(6)], samples(*[900] * 6), 2.0, 6, 90),
    ("scale in: a pod without a sample counts as its full request (10% -> 32%)", 4,
     [pod(0), pod(1), pod(2), pod(3)], samples(100, 100, 100), 1.0, 3, 10),
    ("scale out: a pod without a sample counts as 0 (90% -> 67%)", 4,
     [pod(0), pod(1), pod(2), pod(3)], samples(900, 900, 900), 1.0, 6, 90),
    ("scale out: a never-ready pod counts as 0", 4,
     [pod(0), pod(1), pod(2), pod(3, ready="False", since=LONG_AGO + timedelta(seconds=10))],
     samples(900, 900, 900, 900), 1.0, 6, 90),
    ("a pod that was ready and then failed its probe is counted", 4,
     [pod(0), pod(1), pod(2), pod(3, ready="False", since=NOW - timedelta(minutes=1))],
     samples(900, 900, 900, 900), 1.0, 8, 90),
    ("a Pending pod is unready, ignored on a scale in", 4,
     [pod(0), pod(1), pod(2), pod(3, phase="Pending")], samples(100, 100, 100), 1.0, 1, 10),
    ("Failed and deleting pods are ignored", 4,
     [pod(0), pod(1), pod(2, phase="Failed"), pod(3, deleting=True)], samples(900, 900, 900, 900), 1.0, 4, 90),
    ("within the cpu initialization period a sample older than readiness + window is unready", 3,
     [pod(0), pod(1), pod(2, start=NOW - timedelta(minutes=1), since=NOW - timedelta(seconds=20))],
     samples(900, 900, 900), 1.0, 4, 90),
    ("a pod without a Ready condition is unready for cpu", 3,
     [pod(0), pod(1), pod(2, ready=None)], samples(100, 100, 100), 1.0, 1, 10),
]


@pytest.mark.parametrize("case,current,pods,found,calibration,want,utilization", RESOURCE_CASES,
                         ids=[c[0] for c in RESOURCE_CASES])
def test_resource_utilization_replicas(case, current, pods, found, calibration, want, utilization):
    proposal = resource_replicas(current, 50, "cpu", pods, found, calibration, NOW)
    assert (proposal.replicas, proposal.utilization) == (want, utilization)


@pytest.mark.parametrize("pods,found,message", [
    ([], samples(900), "no pods returned by selector while calculating replica count"),
    ([pod(0)], {}, "did not receive metrics for any ready pods"),
    ([Pod("member1/web-0", "web-0", requests=(("web", ()),))], samples(900),
     "missing request for cpu in container web of Pod web-0"),
])
def test_resource_replicas_errors(pods, found, message):
    with pytest.raises(CalculationError, match=message):
        resource_replicas(1, 50, "cpu", pods, found, 1.0, NOW)


@pytest.mark.parametrize("current,found,want,usage", [
    (2, samples(300, 300), 6, 300),           # 300 of 100: ceil(3 x 2)
    (4, samples(100, 105, 95, 100), 4, 100),  # within tolerance
    (4, samples(20, 20, 20, None), 2, 20),    # 0.2; the missing pod counts as the target: 160/4 = 40, ceil(0.4 x 4)
])
def test_plain_average_value_replicas(current, found, want, usage):
    pods = [pod(i) for i in range(current)]
    proposal = plain_replicas(current, 100, "memory", pods, found, 1.0, NOW)
    assert (proposal.replicas, proposal.value) == (want, usage)


def fhpa(behavior=None, min_replicas=1, max_replicas=20, metrics=None) -> FederatedHPA:
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": min_replicas, "maxReplicas": max_replicas}
    if behavior is not None:
        spec["behavior"] = behavior
    if metrics is not None:
        spec["metrics"] = metrics
    return FederatedHPA.from_dict({"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
                                   "metadata": {"name": "web", "namespace": "shop"}, "spec": spec})


def history(*recs: tuple[int, int], up=(), down=()) -> h.History:
    """(replicas, seconds ago) recommendations; (change, seconds ago) scale events."""
    return h.History([h.Recommendation(r, NOW - timedelta(seconds=s)) for r, s in recs],
                     [h.ScaleEvent(c, NOW - timedelta(seconds=s)) for c, s in up],
                     [h.ScaleEvent(c, NOW - timedelta(seconds=s)) for c, s in down])


# (case, behavior, history, current, desired, expected, AbleToScale reason, ScalingLimited status and reason)
NORMALIZE_CASES = [
    ("no behavior: a higher recommendation within 5m holds a scale in", None, history((6, 60)), 6, 2, 6,
     "ScaleDownStabilized", ("False", "DesiredWithinRange")),
    ("no behavior: recommendations older than 5m no longer hold it", None, history((6, 360)), 6, 2, 2,
     "ReadyForNewScale", ("False", "DesiredWithinRange")),
    ("no behavior: scale out limited to max(2 x current, 4)", None, history(), 2, 10, 4,
     "ReadyForNewScale", ("True", "ScaleUpLimit")),
    ("no behavior: above maxReplicas", None, history(), 10, 30, 20,
     "ReadyForNewScale", ("True", "TooManyReplicas")),
    ("no behavior: below minReplicas", None, history(), 3, 0, 1,
     "ReadyForNewScale", ("True", "TooFewReplicas")),
    ("default scale up: the larger of +4 pods and +100% per 15s", {"scaleUp": {}}, history(), 2, 20, 6,
     "ReadyForNewScale", ("True", "ScaleUpLimit")),
    ("selectPolicy Min: the smaller change", {"scaleUp": {"selectPolicy": "Min"}}, history(), 2, 20, 4,
     "ReadyForNewScale", ("True", "ScaleUpLimit")),
    ("selectPolicy Disabled: no scale up", {"scaleUp": {"selectPolicy": "Disabled"}}, history(), 2, 20, 2,
     "ReadyForNewScale", ("True", "ScaleUpLimit")),
    ("a scale up 5s ago uses the period's budget", {"scaleUp": {}}, history(up=[(4, 5)]), 6, 20, 6,
     "ReadyForNewScale", ("True", "ScaleUpLimit")),
    ("scale down 50% per 60s, no window", {"scaleDown": {"stabilizationWindowSeconds": 0, "policies": [
        {"type": "Percent", "value": 50, "periodSeconds": 60}]}}, history(), 10, 1, 5,
     "ReadyForNewScale", ("True", "ScaleDownLimit")),
    ("scale down 1 pod per 60s after one 30s ago: none left", {"scaleDown": {"stabilizationWindowSeconds": 0, "policies": [
        {"type": "Pods", "value": 1, "periodSeconds": 60}]}}, history(down=[(1, 30)]), 9, 1, 9,
     "ReadyForNewScale", ("True", "ScaleDownLimit")),
    ("scaleDown window (unset: the 5m flag) holds the highest recent recommendation", {}, history((8, 100)), 8, 3, 8,
     "ScaleDownStabilized", ("False", "DesiredWithinRange")),
    ("scaleUp window 60s holds the lowest recent recommendation", {"scaleUp": {"stabilizationWindowSeconds": 60}},
     history((3, 30)), 3, 8, 3, "ScaleUpStabilized", ("False", "DesiredWithinRange")),
    ("scale down to minReplicas", {"scaleDown": {"stabilizationWindowSeconds": 0}}, history(), 4, 0, 1,
     "ReadyForNewScale", ("True", "TooFewReplicas")),
]


@pytest.mark.parametrize("case,behavior,past,current,desired,want,able,limited", NORMALIZE_CASES,
                         ids=[c[0] for c in NORMALIZE_CASES])
def test_normalization(case, behavior, past, current, desired, want, able, limited):
    target = fhpa(behavior)
    status = h.FederatedHPAStatus()
    if behavior is None:
        got = h.normalize(target, past, status, current, desired, NOW)
    else:
        got = h.normalize_with_behaviors(target, past, status, current, desired, NOW)
    assert got == want
    assert status.condition("AbleToScale").reason == able
    limit = status.condition("ScalingLimited")
    assert (limit.status, limit.reason) == limited
    assert past.recommendations[-1] == h.Recommendation(desired, NOW) or \
        h.Recommendation(desired, NOW) in past.recommendations


def test_the_newest_recommendation_replaces_one_outside_both_windows():
    past = history((5, 600), (4, 30))
    h.stabilize(past, 2, NOW, timedelta(minutes=5))
    assert [r.replicas for r in past.recommendations] == [2, 4]


def test_scale_events_kept_only_with_behavior_and_outdated_ones_reused():
    past = history(up=[(2, 100)])
    h.store_scale_event(fhpa(), past, 2, 4, NOW)                       # no behavior: nothing kept
    assert len(past.scale_up) == 1
    h.store_scale_event(fhpa({}), past, 2, 4, NOW)                     # older than the longest period (15s)
    assert [(e.change, e.at) for e in past.scale_up] == [(2, NOW)]
    h.store_scale_event(fhpa({}), past, 4, 3, NOW)
    assert [e.change for e in past.scale_down] == [1]


def test_history_round_trips_through_its_record():
    past = history((3, 10), up=[(2, 5)], down=[(1, 1)])
    assert h.History.from_dict(past.to_dict()) == past


def observation(template=4, spec=4, cpu=(900, 900, 900, 900), error=None) -> h.Observation:
    pods = [pod(i) for i in range(len(cpu))]
    usage = {p.key: h.PodUsage(NOW - timedelta(seconds=10), timedelta(seconds=15), {"web": {"cpu": v}})
             for p, v in zip(pods, cpu)}
    return h.Observation(template, spec, spec, pods, usage, error)


def test_decide_scales_out_with_status_and_event():
    target = fhpa(metrics=[{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 50}}}])
    decision = h.decide(target, observation(), h.History(), NOW)
    assert (decision.current, decision.desired, decision.rescale) == (4, 8, True)
    assert [(e.reason, e.message) for e in decision.events] == [
        ("SuccessfulRescale", "New size: 8; reason: cpu resource utilization (percentage of request) above target")]
    status = decision.status
    assert (status.current_replicas, status.desired_replicas, status.last_scale_time) == (4, 8, "2026-01-01T12:00:00Z")
    metric = status.current_metrics[0].resource
    assert (metric.name, metric.current.average_utilization, metric.current.average_value) == ("cpu", 90, "900m")
    assert [(c.type, c.status, c.reason) for c in status.conditions] == [
        ("AbleToScale", "True", "SucceededRescale"), ("ScalingActive", "True", "ValidMetricFound"),
        ("ScalingLimited", "False", "DesiredWithinRange")]
    assert [r.replicas for r in decision.history.recommendations] == [4, 8]   # the first records the current count


def test_decide_without_metrics_does_not_scale():
    decision = h.decide(fhpa(), observation(error="metrics API not available"), h.History(), NOW)
    assert (decision.desired, decision.rescale) == (4, False)
    assert decision.error == ("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric "
                              "value: failed to get cpu utilization: unable to get metrics for resource cpu: "
                              "metrics API not available")
    assert [e.reason for e in decision.events] == ["FailedGetResourceMetric", "FailedComputeMetricsReplicas"]
    active = decision.status.condition("ScalingActive")
    assert (active.status, active.reason) == ("False", "FailedGetResourceMetric")
    assert decision.status.current_replicas == 4


@pytest.mark.parametrize("template,spec,want,reason", [
    (30, 30, 20, "Current number of replicas above Spec.MaxReplicas"),
    (1, 1, 2, "Current number of replicas below Spec.MinReplicas"),
])
def test_decide_clamps_to_min_and_max_first(template, spec, want, reason):
    decision = h.decide(fhpa(min_replicas=2), observation(template, spec), h.History(), NOW)
    assert (decision.desired, decision.reason) == (want, reason)


def test_decide_refuses_pods_that_two_federated_hpas_select():
    obs = observation()
    obs.selector, obs.controlled_by = "app=web", ["web", "api"]
    decision = h.decide(fhpa(), obs, h.History(), NOW)
    message = "pods by selector app=web are controlled by multiple HPAs: [{api shop} {web shop}]"
    assert (decision.rescale, decision.error) == (False, message)
    assert [(e.reason, e.message) for e in decision.events] == [("AmbiguousSelector", message),
                                                                ("FailedComputeMetricsReplicas", message)]
    active = decision.status.condition("ScalingActive")
    assert (active.status, active.reason) == ("False", "AmbiguousSelector")


def test_decide_with_no_replicas_in_members_disables_scaling():
    decision = h.decide(fhpa(), observation(spec=0), h.History(), NOW)
    assert decision.rescale is False
    assert decision.status.condition("ScalingActive").reason == "ScalingDisabled"


def test_conditions_keep_their_transition_time_while_the_status_holds():
    status = h.FederatedHPAStatus()
    h.set_condition(status, "AbleToScale", "True", "A", "a", NOW)
    h.set_condition(status, "AbleToScale", "True", "B", "b", NOW + timedelta(minutes=1))
    assert (status.conditions[0].reason, status.conditions[0].last_transition_time) == ("B", "2026-01-01T12:00:00Z")


# ---------------------------------------------------------------- defaults and the webhook

@pytest.mark.parametrize("change,message", [
    ({"minReplicas": 0}, "spec.minReplicas: must be greater than or equal to 1"),
    ({"maxReplicas": 0}, "spec.maxReplicas: must be greater than 0"),
    ({"minReplicas": 5, "maxReplicas": 3}, "spec.maxReplicas: must be greater than or equal to `minReplicas`"),
    ({"metrics": [{"type": "External", "external": {"metric": {"name": "queue"},
                                                    "target": {"type": "Value", "value": "10"}}}]},
     'spec.metrics[0].type: unsupported value "External"'),
    ({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]},
     "spec.metrics[0].resource.target.averageUtilization: must set either a target raw value or a target utilization"),
    ({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 3601}}},
     "spec.behavior.scaleDown.stabilizationWindowSeconds: must be less than or equal to 3600"),
    ({"behavior": {"scaleUp": {"stabilizationWindowSeconds": -1}}},
     "spec.behavior.scaleUp.stabilizationWindowSeconds: must be greater than or equal to zero"),
    ({"behavior": {"scaleUp": {"policies": []}}}, "spec.behavior.scaleUp.policies: must specify at least one Policy"),
    ({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}}},
     "spec.behavior.scaleUp.policies[0].value: must be greater than zero"),
    ({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 1801}]}}},
     "spec.behavior.scaleUp.policies[0].periodSeconds: must be less than or equal to 1800"),
    ({"behavior": {"scaleUp": {"selectPolicy": "Most"}}}, 'spec.behavior.scaleUp.selectPolicy: unsupported value "Most"'),
    ({"scaleTargetRef": {"kind": "Deployment"}}, "spec.scaleTargetRef.name: required"),
])
def test_the_webhook_refuses(change, message):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5,
            **change}
    with pytest.raises(InvalidInput) as e:
        FederatedHPA.from_dict({"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
                                "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}, "f.yaml")
    assert str(e.value).startswith(f"f.yaml: FederatedHPA shop/web: {message}")


def test_the_webhook_defaults():
    got = FederatedHPA.from_dict({"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
                                  "metadata": {"name": "web"},
                                  "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                              "name": "web"}, "maxReplicas": 5}}).to_dict()["spec"]
    assert got["minReplicas"] == 1
    assert got["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in got
    with_behavior = fhpa({"scaleDown": {"stabilizationWindowSeconds": 60}}).to_dict()["spec"]["behavior"]
    assert with_behavior == {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 15}]}}
