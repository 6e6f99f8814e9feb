"""The pure parts of `karmadactl logs`: targets, selectors, the pod kubectl would pick.

kubectl's rules: staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go (a selector's
default tail of 10) and pkg/util/podutils (ActivePods ordering for the one pod
of a workload).
"""

from __future__ import annotations

import pytest

from karmadactl.cli.logs import containers_of, logging_order, parse_target, selector_of, tail_for
from karmadactl.errors import InvalidInput, UsageError


def test_targets_take_kubectls_type_names():
    assert parse_target("web-0") == ("pod", "web-0")
    assert parse_target("deploy/nginx") == ("deployment", "nginx")
    assert parse_target("statefulsets.apps/db") == ("statefulset", "db")
    assert parse_target("job/once") == ("job", "once")
    with pytest.raises(UsageError):
        parse_target("svc/web")
    with pytest.raises(UsageError):
        parse_target("deploy/")


def test_a_selector_defaults_to_the_last_10_lines_and_tail_wins():
    assert tail_for(-1, "app=web") == 10
    assert tail_for(-1, None) is None
    assert tail_for(0, "app=web") == 0 and tail_for(3, None) == 3


def test_selector_of_a_workload():
    workload = {"spec": {"selector": {"matchLabels": {"b": "2", "a": "1"},
                                      "matchExpressions": [{"key": "t", "operator": "In", "values": ["x", "y"]},
                                                           {"key": "gone", "operator": "DoesNotExist"}]}}}
    assert selector_of(workload) == "a=1,b=2,!gone,t in (x,y)"      # by key, as labels.Selector.String()


def test_the_pod_shown_is_running_and_ready_first():
    def pod(name, phase, ready, created="2024-01-01T00:00:00Z"):
        return {"metadata": {"name": name, "creationTimestamp": created}, "spec": {"nodeName": "n"},
                "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}

    pods = [pod("c", "Pending", False), pod("b", "Running", False), pod("a", "Running", True, "2024-01-02T00:00:00Z")]
    assert [p["metadata"]["name"] for p in sorted(pods, key=logging_order)] == ["a", "b", "c"]


def test_containers_are_named_as_kubectl_asks():
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}],
                                               "initContainers": [{"name": "init"}]}}
    with pytest.raises(InvalidInput, match=r"choose one of: \[a b\] or one of the init containers: \[init\]"):
        containers_of(pod, None, False)
    assert containers_of(pod, "b", False) == ["b"]
    assert containers_of(pod, None, True) == ["init", "a", "b"]
    with pytest.raises(InvalidInput, match="container x is not valid for pod p"):
        containers_of(pod, "x", False)
