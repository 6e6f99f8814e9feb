"""watch's health probe over fake members: Ready transitions, their thresholds, and the taints they set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.controllers.watch import Options, Watcher
from karmadactl.members.fanout import Fleet
from tests.controllers.world import cluster, no_client_for_m2

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
NOT_READY = ["cluster.karmada.io/not-ready:NoExecute", "cluster.karmada.io/not-ready:NoSchedule"]


def watcher(store, fleet, lines: list[str], factory=None, **options) -> Watcher:
    return Watcher(store, Options(**options), lines.append, holder="test",
                   fleet=Fleet(store, factory=factory or fleet.factory))


def ready_of(store, name: str) -> tuple[str, str, list[str]]:
    member = cluster(store, name)
    ready = member.condition("Ready") or {}
    return ready.get("status", ""), ready.get("reason", ""), sorted(f"{t.key}:{t.effect}" for t in member.taints)


def break_m2(fleet, how: str):
    """Make m2 fail as `how` says; returns the factory to use."""
    if how == "unreachable":
        fleet["m2"].fault = "unreachable"
    elif how == "not ready":
        fleet["m2"].ready = False
    elif how == "no client":
        return no_client_for_m2(fleet)
    return None


@pytest.mark.parametrize(("how", "reason"), [
    ("unreachable", "ClusterNotReachable"),
    ("not ready", "ClusterNotReady"),
    ("no client", "StatusCollectionFailed"),
])
def test_a_failing_member_is_published_not_ready_and_tainted(store, fleet, how, reason):
    lines: list[str] = []
    w = watcher(store, fleet, lines, break_m2(fleet, how), failure_threshold=timedelta(0))
    result = w.run_once(START)
    assert result.failed == {"m2"} and result.ready == {"m1"}
    assert ready_of(store, "m2") == ("False", reason, NOT_READY)
    assert ready_of(store, "m1") == ("True", "ClusterReady", [])
    assert any(line.startswith("cluster m2 is not ready") for line in lines), lines


def test_a_failure_shorter_than_the_threshold_changes_nothing(store, fleet):
    lines: list[str] = []
    w = watcher(store, fleet, lines, failure_threshold=timedelta(seconds=30))
    fleet["m2"].fault = "unreachable"
    assert w.run_once(START).failed == set()
    assert w.run_once(START + timedelta(seconds=20)).failed == set()
    assert ready_of(store, "m2") == ("True", "ClusterReady", [])
    fleet["m2"].fault = None
    w.run_once(START + timedelta(seconds=25))
    assert ready_of(store, "m2") == ("True", "ClusterReady", []) and lines == []


def test_a_member_past_the_threshold_fails_then_recovers_and_its_taints_go(store, fleet):
    lines: list[str] = []
    w = watcher(store, fleet, lines, failure_threshold=timedelta(seconds=30),
                success_threshold=timedelta(seconds=30))
    fleet["m2"].fault = "unreachable"
    w.run_once(START)
    assert w.run_once(START + timedelta(seconds=31)).failed == {"m2"}
    assert ready_of(store, "m2") == ("False", "ClusterNotReachable", NOT_READY)
    fleet["m2"].fault = None
    w.run_once(START + timedelta(seconds=40))
    assert ready_of(store, "m2")[0] == "False"                      # recovering: not yet past the threshold
    result = w.run_once(START + timedelta(seconds=71))
    assert "m2" in result.recovered and ready_of(store, "m2") == ("True", "ClusterReady", [])
    assert "cluster m2 is ready" in lines


def test_a_watch_keeps_one_client_per_member_across_passes_and_closes_them_at_the_end(store, fleet):
    w = watcher(store, fleet, [])
    for second in range(3):
        w.run_once(START + timedelta(seconds=second))
    assert fleet.made == {"m1": 1, "m2": 1}
    w.close()
    assert [m.closed for m in fleet.members.values()] == [1, 1]
