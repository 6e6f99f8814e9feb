"""What the FederatedHPA controller reads of a member's pods and PodMetrics (controllers/fhpa.py), as Karmada's
controller and metrics client read them (karmada-io/karmada pkg/controllers/federatedhpa/
federatedhpa_controller.go scaleForTargetCluster: pods keyed by cluster and name; metrics/client.go
GetResourceMetric: a pod's usage is the sum over its containers, milli-units)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from karmadactl.controllers.fhpa import pod_of, usage_of


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
