"""`karmadactl watch` against sandbox members, with short thresholds: graceful and direct eviction,
rebalance on recovery, application failover and `watch --once` (failover and taints are in
test_watch.py).

Each test runs `watch` as its own process (as a user would) and polls the members through the
official client until the expected state shows, or fails after a deadline (tests/integration/watching.py).
"""

from __future__ import annotations

import json
from datetime import UTC

import pytest

from tests.conftest import run_cli
from tests.integration.watching import (  # noqa: F401  (fixtures)
    DIVIDED,
    FAST,
    apply,
    cluster,
    joined,
    ns,
    replicas,
    unhealthy,
    until,
    watch,
)
from tests.waiting import stays

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'


def test_graceful_eviction_keeps_the_old_copy_until_the_new_ones_are_healthy(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    on_m1 = replicas([m1], ns)
    assert on_m1
    with unhealthy((m2, m3), ns):
        w = watch()
        until(lambda: "acting as" in w.text)
        assert run_cli("taint", "clusters", "member1", "maintenance:NoExecute").returncode == 0
        until(lambda: "evicted from member1" in w.text)
        until(lambda: sum(replicas([m2, m3], ns).values()) == 6)
        stays(lambda: replicas([m1], ns) == on_m1, 1.0, every=0.25)   # kept: the new copies are not healthy
    until(lambda: not replicas([m1], ns))                            # healthy now: the old copy goes
    run_cli("taint", "clusters", "member1", "maintenance-")


def test_directly_deletes_the_old_copy_at_once(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED, failover={"cluster": {"purgeMode": "Directly"}})
    assert replicas([m1], ns)
    try:
        with unhealthy((m2, m3), ns):
            w = watch()
            until(lambda: "acting as" in w.text)
            assert run_cli("taint", "clusters", "member1", "maintenance:NoExecute").returncode == 0
            until(lambda: not replicas([m1], ns))                    # gone although the others are unhealthy
            assert sum(replicas([m2, m3], ns).values()) == 6
    finally:
        run_cli("taint", "clusters", "member1", "maintenance-")


def test_application_failover_moves_a_workload_held_unhealthy(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED, propagateDeps=True,
          failover={"application": {"decisionConditions": {"tolerationSeconds": 1}, "purgeMode": "Directly"}})
    assert replicas([m1], ns)
    with unhealthy([m1], ns):
        w = watch()
        until(lambda: "ApplicationFailure" in w.text)
        until(lambda: not replicas([m1], ns) and sum(replicas([m2, m3], ns).values()) == 6)


def test_watch_once_runs_a_single_pass(joined, ns, tmp_path):
    from karmadactl.apis.cluster import GROUP_KIND
    from karmadactl.store import Store
    from karmadactl.store.keys import ObjectKey

    with Store.open() as store, store.write() as tx:       # the join's status gone: only the pass can write it
        for m in joined:
            stored = tx.get(ObjectKey(GROUP_KIND, "", m.name))
            stored["status"] = {}
            tx.update(stored)
    result = run_cli("watch", "--once", *FAST, subprocess=True)
    assert result.returncode == 0, result.stderr
    items = json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"]
    assert items[0]["status"]["conditions"]
    for item in items:
        ready = next(c for c in item["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True", item["metadata"]["name"]


def test_rebalance_on_recovery_brings_replicas_back(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    w = watch("--rebalance-on-recovery")
    until(lambda: "acting as" in w.text)
    m2.fail()
    until(lambda: (r := replicas([m1, m3], ns)) and sum(r.values()) == 6)
    m2.recover()
    # divided afresh over all three (member2's old copy is first removed as a leftover, then sent again)
    try:
        until(lambda: (r := replicas(joined, ns)) and len(r) == 3 and sum(r.values()) == 6, timeout=30)
    except AssertionError:
        raise AssertionError(f"{replicas(joined, ns)}\n{w.text}") from None
    assert "rescheduled afresh" in w.text


def test_a_cluster_back_within_the_second_of_its_eviction_is_still_rebalanced(joined, ns, tmp_path):
    """The cause of an old flake: times have whole seconds, and the scheduler divides afresh only when
    rescheduleTriggeredAt is after lastScheduledTime (Karmada: pkg/scheduler/scheduler.go
    doScheduleBinding, pkg/util/binding.go RescheduleRequired). A cluster back in the second of the
    eviction's schedule got a trigger equal to it, ignored for good. The passes run in this process on
    a clock the test sets, so the two land in one second every time."""
    from datetime import datetime, timedelta

    from karmadactl.controllers.watch import Options, Watcher
    from karmadactl.store import Store

    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    options = Options(probe_interval=timedelta(milliseconds=100), failure_threshold=timedelta(0),
                      success_threshold=timedelta(0), rebalance_on_recovery=True)
    lines: list[str] = []
    with Store.open() as store:
        watcher = Watcher(store, options, lines.append)

        def run(ms: int):
            result = watcher.run_once(base + timedelta(milliseconds=ms))
            assert result.acted
            return result

        run(0)
        m2.fail()
        try:
            assert "member2" in run(100).failed
            assert set(replicas(joined, ns)) == {"member1", "member3"}
            run(200)                                       # the new copies are healthy: the eviction is over
        finally:
            m2.recover()
        assert "member2" in run(300).recovered             # the same second as the eviction's schedule
        run(1100)
        placed = replicas(joined, ns)
    assert len(placed) == 3 and sum(placed.values()) == 6, "\n".join(lines)
    assert any("rescheduled afresh" in line for line in lines)


def test_application_failover_directly_keeps_the_workload_off_while_the_eviction_lasts(joined, watch, ns, tmp_path):
    """Karmada's graceful eviction controller ignores purgeMode (pkg/controllers/gracefuleviction/
    evictiontask.go assessSingleTask): a Directly task stays until the new copies are healthy or it
    times out, and while it exists the scheduler filters its cluster out (pkg/scheduler/framework/
    plugins/clustereviction/cluster_eviction.go). Static weights would put replicas straight back on
    member1 otherwise, and it would be evicted again and again."""
    m1, m2, m3 = joined
    static = {"replicaScheduling": {
        "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
        "weightPreference": {"staticWeightList": [{"targetCluster": {"clusterNames": [m.name]}, "weight": 1}
                                                  for m in joined]}}}
    apply(tmp_path, ns, static, propagateDeps=True,
          failover={"application": {"decisionConditions": {"tolerationSeconds": 1}, "purgeMode": "Directly"}})
    assert replicas([m1], ns) == {"member1": 2}
    with unhealthy([m1], ns):
        w = watch()
        until(lambda: not replicas([m1], ns) and sum(replicas([m2, m3], ns).values()) == 6)
        until(lambda: "eviction from member1 is over" in w.text)    # the new copies are healthy
        assert not replicas([m1], ns)
        assert w.text.count("evicted from member1") == 1, w.text
