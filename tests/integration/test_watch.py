"""`karmadactl watch` against sandbox members, with short thresholds: taints, failover, flapping,
tolerations and the status after a failover (eviction, recovery and application failover are in
test_watch_eviction.py; the lease between two watches in test_team.py, on both backends).

Each test runs `watch` as its own process (as a user would) and polls the members through the
official client until the expected state shows, or fails after a deadline (tests/integration/watching.py).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.conftest import run_cli
from tests.integration.watching import (  # noqa: F401  (fixtures)
    DIVIDED,
    apply,
    cluster,
    joined,
    karmada_taints,
    ns,
    replicas,
    taint_keys,
    until,
    watch,
)
from tests.waiting import stays

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'


def test_a_failed_member_is_tainted_and_its_replicas_move_then_it_recovers_clean(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    assert sum(replicas(joined, ns).values()) == 6 and replicas(joined, ns).get("member2")
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    # a Push member that does not answer is Ready=False (ClusterNotReachable), and Ready=False means the
    # not-ready taints (Karmada: pkg/controllers/status/cluster_status_controller.go generateReadyCondition;
    # pkg/controllers/cluster/cluster_controller.go taintClusterByCondition)
    until(lambda: "cluster.karmada.io/not-ready:NoExecute" in taint_keys("member2"))
    assert "cluster.karmada.io/not-ready:NoSchedule" in taint_keys("member2")
    assert not {k for k in taint_keys("member2") if k.startswith("cluster.karmada.io/unreachable")}
    ready = next(c for c in cluster("member2")["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ClusterNotReachable")
    moved = until(lambda: (r := replicas([m1, m3], ns)) and sum(r.values()) == 6 and r)
    assert set(moved) <= {"member1", "member3"}
    assert "evicted from member2" in w.text
    m2.recover()
    until(lambda: not {k for k in taint_keys("member2") if k.startswith("cluster.karmada.io/")})
    until(lambda: "member2" not in replicas(joined, ns))          # the leftover copy is removed
    ready = next(c for c in cluster("member2")["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"


def test_flapping_shorter_than_the_threshold_moves_nothing(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    before = replicas(joined, ns)
    w = watch("--failure-threshold", "3s")
    until(lambda: "acting as" in w.text)
    m2.fail()
    stays(lambda: not karmada_taints("member2"), 1.0)            # down for a third of the threshold
    m2.recover()
    stays(lambda: not karmada_taints("member2") and "evicted" not in w.text, 2.5)   # past it since the failure
    assert replicas(joined, ns) == before


def test_a_duplicated_workload_moves_to_a_spare_cluster(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    two_of_three = {"spreadConstraints": [{"spreadByField": "cluster", "minGroups": 2, "maxGroups": 2}],
                    "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
    apply(tmp_path, ns, two_of_three, replicas_=2)
    placed = replicas(joined, ns)
    assert len(placed) == 2
    victim = next(m for m in joined if m.name in placed)
    spare = next(m for m in joined if m.name not in placed)
    w = watch()
    until(lambda: "acting as" in w.text)
    victim.fail()
    try:
        until(lambda: spare.name in replicas([spare], ns))
    finally:
        victim.recover()


def test_tolerations_delay_the_eviction(joined, watch, ns, tmp_path):
    # a policy that tolerates not-ready tolerates a member that does not answer (Ready=False), until
    # timeAdded + tolerationSeconds (Karmada: pkg/controllers/cluster/taint_manager.go,
    # pkg/util/helper/taint.go). Measured on the times the store records, not on this test's clock.
    from datetime import datetime, timedelta

    m1, m2, m3 = joined
    tolerant = dict(DIVIDED, clusterTolerations=[{"key": "cluster.karmada.io/not-ready", "operator": "Exists",
                                                  "effect": "NoExecute", "tolerationSeconds": 3}])
    apply(tmp_path, ns, tolerant)
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    try:
        until(lambda: "evicted from member2" in w.text)
        taint = next(t for t in cluster("member2")["spec"]["taints"]
                     if (t["key"], t["effect"]) == ("cluster.karmada.io/not-ready", "NoExecute"))
        events = json.loads(run_cli("events", "-o", "json").stdout)["items"]
        evicted = next(e for e in events if e["reason"] == "EvictWorkload")
    finally:
        m2.recover()

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert parse(evicted["eventTime"]) >= parse(taint["timeAdded"]) + timedelta(seconds=3)


def test_after_failover_the_status_counts_only_the_clusters_the_workload_is_on(joined, watch, ns, tmp_path):
    """member2's Work waits, left over, until member2 answers and its copy can be deleted; Karmada leaves
    such a Work out of the binding's aggregatedStatus (pkg/util/helper/workstatus.go assembleWorkStatus
    skips Works with a deletionTimestamp), so the template counts member1 and member3 only. describe
    shows member2's Work as stale, not as Applied and Healthy."""
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    try:
        until(lambda: "eviction from member2 is over" in w.text)

        def status() -> dict:
            return json.loads(run_cli("get", "deploy", "web", "-n", ns, "-o", "json").stdout).get("status") or {}

        until(lambda: (s := status()).get("replicas") == 6 and s.get("readyReplicas") == 6)
        text = run_cli("describe", "deploy", "web", "-n", ns)
    finally:
        m2.recover()
    assert text.returncode == 0, text.stderr
    rows = {line.split()[0]: line for line in text.stdout.splitlines() if line.startswith("  member")}
    assert rows["member2"].split()[3:5] == ["Unknown", "Unknown"]
    assert "stale: member2 does not answer (last known: Applied=True, Healthy)" in rows["member2"]
    assert "left over" in rows["member2"]
    assert rows["member1"].split()[3:5] == ["True", "Healthy"]
