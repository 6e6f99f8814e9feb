"""Karmada's Cluster status computed from nodes and pods: quantities, summaries, conditions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from karmadactl.apis.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    format_quantity,
    parse_quantity,
    pod_requests,
    quantity_format,
)
from karmadactl.errors import InvalidInput
from karmadactl.members.status import api_enablements_condition, conditions, node_summary, resource_summary


@pytest.mark.parametrize("text, value, fmt", [
    ("0", 0, DECIMAL_SI),
    ("8", 8, DECIMAL_SI),
    ("1500m", Fraction(3, 2), DECIMAL_SI),
    ("0.5", Fraction(1, 2), DECIMAL_SI),
    (".25", Fraction(1, 4), DECIMAL_SI),
    ("100n", Fraction(1, 10_000_000), DECIMAL_SI),
    ("250u", Fraction(1, 4000), DECIMAL_SI),
    ("2k", 2000, DECIMAL_SI),
    ("1M", 10**6, DECIMAL_SI),
    ("3G", 3 * 10**9, DECIMAL_SI),
    ("1E", 10**18, DECIMAL_SI),
    ("32Gi", 32 * 2**30, BINARY_SI),
    ("1.5Gi", 3 * 2**29, BINARY_SI),
    ("16318536Ki", 16318536 * 1024, BINARY_SI),
    ("1Ei", 2**60, BINARY_SI),
    ("1e3", 1000, DECIMAL_EXPONENT),
    ("5E-3", Fraction(5, 1000), DECIMAL_EXPONENT),
    ("-2", -2, DECIMAL_SI),
    ("+4Mi", 4 * 2**20, BINARY_SI),
    (3, 3, DECIMAL_SI),
])
def test_parse_quantity(text, value, fmt):
    assert parse_quantity(text) == value
    assert quantity_format(text) == fmt


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "5Xi", "1 Gi", "m", "--1", "1ki"])
def test_parse_quantity_rejects(text):
    with pytest.raises(InvalidInput, match="quantity"):
        parse_quantity(text)


@pytest.mark.parametrize("value, fmt, text", [
    (0, DECIMAL_SI, "0"),
    (8, DECIMAL_SI, "8"),
    (Fraction(3, 2), DECIMAL_SI, "1500m"),
    (Fraction(37, 10), DECIMAL_SI, "3700m"),
    (2000, DECIMAL_SI, "2k"),
    (1500, DECIMAL_SI, "1500"),
    (186957545164, DECIMAL_SI, "186957545164"),
    (Fraction(1, 10**10), DECIMAL_SI, "1n"),         # below 1n rounds up
    (Fraction(1, 4000), DECIMAL_SI, "250u"),
    (32 * 2**30, BINARY_SI, "32Gi"),
    (1536 * 2**20, BINARY_SI, "1536Mi"),
    (3 * 2**29, BINARY_SI, "1536Mi"),
    (48955608 * 1024, BINARY_SI, "48955608Ki"),
    (512, BINARY_SI, "512"),                         # under 1024: decimal, as kube
    (1500000000, BINARY_SI, "1500000000"),
    (Fraction(1, 2), BINARY_SI, "500m"),             # fractional bytes: decimal, as kube
    (2**60, BINARY_SI, "1Ei"),
    (1000, DECIMAL_EXPONENT, "1e3"),
    (-3, DECIMAL_SI, "-3"),
])
def test_format_quantity(value, fmt, text):
    assert format_quantity(value, fmt) == text


@pytest.mark.parametrize("text", ["1500m", "32Gi", "8", "2k", "1536Mi", "250u", "1e3"])
def test_canonical_quantities_round_trip(text):
    assert format_quantity(parse_quantity(text), quantity_format(text)) == text


def node(name: str, ready: str | None = "True", **allocatable: str) -> dict:
    conds = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conds.append({"type": "Ready", "status": ready})
    alloc = {k.replace("_", "-"): v for k, v in allocatable.items()}
    return {"metadata": {"name": name}, "status": {"conditions": conds, "allocatable": alloc}}


def container(**requests: str) -> dict:
    return {"name": "c", "resources": {"requests": {k.replace("_", "-"): v
                                                    for k, v in requests.items()}}}


def pod(node_name: str | None = "n1", phase: str = "Running", containers=(), init=(),
        overhead: dict | None = None) -> dict:
    spec: dict = {"containers": list(containers)}
    if init:
        spec["initContainers"] = list(init)
    if node_name:
        spec["nodeName"] = node_name
    if overhead:
        spec["overhead"] = overhead
    return {"spec": spec, "status": {"phase": phase}}


def test_node_summary_counts_ready_nodes():
    nodes = [node("a"), node("b", "False"), node("c", "Unknown"), node("d", None), node("e")]
    assert node_summary(nodes) == {"totalNum": 5, "readyNum": 2}
    assert node_summary([]) == {"totalNum": 0, "readyNum": 0}


@pytest.mark.parametrize("spec, expected", [
    # sum of app containers
    ({"containers": [container(cpu="100m", memory="64Mi"), container(cpu="250m")]},
     {"cpu": Fraction(7, 20), "memory": 64 * 2**20}),
    # an init container asking more than the sum wins for that resource only
    ({"containers": [container(cpu="100m", memory="64Mi")],
      "initContainers": [container(cpu="1", memory="32Mi"), container(cpu="500m")]},
     {"cpu": 1, "memory": 64 * 2**20}),
    # overhead is added on top
    ({"containers": [container(cpu="100m")], "overhead": {"cpu": "50m", "memory": "10Mi"}},
     {"cpu": Fraction(3, 20), "memory": 10 * 2**20}),
    # a sidecar (restartable init container) runs beside the app containers
    ({"containers": [container(cpu="100m")],
      "initContainers": [{**container(cpu="200m"), "restartPolicy": "Always"},
                         container(cpu="250m")]},
     {"cpu": Fraction(9, 20)}),
    # ... and beside the init containers started after it
    ({"containers": [container(cpu="100m")],
      "initContainers": [{**container(cpu="200m"), "restartPolicy": "Always"},
                         container(cpu="1")]},
     {"cpu": Fraction(6, 5)}),
    ({"containers": [{"name": "no-requests"}]}, {}),
])
def test_pod_requests(spec, expected):
    assert pod_requests(spec) == expected


def test_resource_summary():
    nodes = [node("n1", cpu="4", memory="16Gi", pods="110", ephemeral_storage="100Gi"),
             node("n2", cpu="3700m", memory="8Gi", pods="110", ephemeral_storage="93478772582"),
             node("n3", "False", cpu="2", memory="2Gi", pods="110")]
    pods = [
        pod("n1", containers=[container(cpu="500m", memory="512Mi")]),
        pod("n2", containers=[container(cpu="1", memory="1Gi")],
            init=[container(cpu="2", memory="128Mi")]),
        pod("n1", "Succeeded", containers=[container(cpu="8", memory="8Gi")]),   # finished
        pod("n2", "Failed", containers=[container(cpu="8", memory="8Gi")]),      # finished
        pod(None, "Pending", containers=[container(cpu="250m", memory="100Mi")]),
        pod(None, "Pending", containers=[container(cpu="250m", memory="156Mi"),
                                         {"name": "gpu", "resources": {
                                             "requests": {"nvidia.com/gpu": "1"}}}]),
        pod("n3", "Pending", containers=[container(cpu="100m")]),   # bound, not yet running
    ]
    summary = resource_summary(nodes, pods)
    assert summary["allocatable"] == {
        "cpu": "9700m",
        "ephemeral-storage": "200852954982",   # not a whole number of Ki: plain bytes
        "memory": "26Gi",
        "pods": "330",
    }
    assert summary["allocated"] == {"cpu": "2600m", "memory": "1536Mi", "pods": "3"}
    assert summary["allocating"] == {"cpu": "500m", "memory": "256Mi", "nvidia.com/gpu": "1",
                                     "pods": "2"}


def test_resource_summary_of_an_empty_cluster():
    assert resource_summary([], []) == {"allocatable": {}, "allocated": {}, "allocating": {}}


def test_allocatable_keeps_the_first_nodes_format():
    nodes = [node("a", memory="1000000000"), node("b", memory="1Gi")]
    assert resource_summary(nodes, [])["allocatable"]["memory"] == "2073741824"
    nodes.reverse()
    assert resource_summary(nodes, [])["allocatable"]["memory"] == "2073741824"  # not a Ki multiple
    nodes = [node("a", memory="1Gi"), node("b", memory="1048576Ki")]
    assert resource_summary(nodes, [])["allocatable"]["memory"] == "2Gi"


NOW, LATER = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"


def ready_of(conds: list[dict]) -> dict:
    return next(c for c in conds if c["type"] == "Ready")


@pytest.mark.parametrize("health, status, reason", [
    ("Ready", "True", "ClusterReady"),
    ("NotReady", "False", "ClusterNotReady"),
    ("Unreachable", "False", "ClusterNotReachable"),
    ("CollectionFailed", "False", "StatusCollectionFailed"),
])
def test_ready_condition_per_health(health, status, reason):
    cond = ready_of(conditions(health, "detail", NOW))
    assert (cond["status"], cond["reason"], cond["lastTransitionTime"]) == (status, reason, NOW)


def test_ready_condition_messages():
    ready = ready_of(conditions("Ready", "/readyz answered ok", NOW))
    assert ready["message"] == "cluster is healthy and ready to accept workloads"
    down = ready_of(conditions("Unreachable", "cannot connect to https://x:6443: Connection refused",
                               NOW))
    assert down["message"] == ("cluster is not reachable: cannot connect to https://x:6443: "
                               "Connection refused")


def test_last_transition_time_kept_while_status_unchanged():
    first = conditions("NotReady", "/readyz answered status 500", NOW)
    # same status (False), other reason: the transition time stays, reason and message change
    second = conditions("Unreachable", "refused", LATER, first)
    assert ready_of(second)["lastTransitionTime"] == NOW
    assert ready_of(second)["reason"] == "ClusterNotReachable"
    # the status changes: a new transition time
    third = conditions("Ready", "", LATER, second)
    assert ready_of(third)["lastTransitionTime"] == LATER
    assert len(third) == 1


def test_other_conditions_are_left_alone():
    previous = [{"type": "CompleteAPIEnablements", "status": "True", "reason": "Complete",
                 "message": "m", "lastTransitionTime": NOW}]
    result = conditions("Ready", "", LATER, previous)
    assert result[0] == previous[0]
    assert ready_of(result)["lastTransitionTime"] == LATER
    assert previous == [{"type": "CompleteAPIEnablements", "status": "True", "reason": "Complete",
                         "message": "m", "lastTransitionTime": NOW}]  # input not mutated


@pytest.mark.parametrize("enablements, failed, status, reason", [
    ([{"groupVersion": "v1", "resources": []}], [], "True", "Complete"),
    ([{"groupVersion": "v1", "resources": []}], ["metrics.k8s.io/v1beta1"], "False", "Partial"),
    ([], [], "False", "Empty"),
])
def test_api_enablements_condition(enablements, failed, status, reason):
    cond = api_enablements_condition(enablements, failed)
    assert (cond["type"], cond["status"], cond["reason"]) == ("CompleteAPIEnablements", status,
                                                               reason)
