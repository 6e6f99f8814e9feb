"""One pass, many bindings: the memo a pass shares gives every binding the answer it gets alone.

reconcile.plan hands the scheduler one dict for the whole pass; bindings of one
policy share filter results there, and first schedules (no clusters yet) of the
same kind, replica count and per-replica request share their whole answer,
Webster's tie-break told apart by the UID's parity.
"""

from __future__ import annotations

import itertools

import pytest

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.policy import ClusterAffinity, Placement, ReplicaScheduling, SpreadConstraint, StaticWeight
from karmadactl.scheduler import ScheduleError, ScheduleRequest, TargetCluster, schedule
from karmadactl.scheduler.webster import larger_name_wins

DYNAMIC = ReplicaScheduling(type="Divided", division_preference="Weighted", dynamic_weight="AvailableReplicas")
AGGREGATED = ReplicaScheduling(type="Divided", division_preference="Aggregated")
DUPLICATED = ReplicaScheduling(type="Duplicated")
STATIC = ReplicaScheduling(type="Divided", division_preference="Weighted", static_weights=[
    StaticWeight(ClusterAffinity(cluster_names=["m0", "m1"]), 2), StaticWeight(ClusterAffinity(cluster_names=["m2"]), 1)])

PLACEMENTS = [
    Placement(replica_scheduling=DYNAMIC),
    Placement(replica_scheduling=AGGREGATED),
    Placement(replica_scheduling=DUPLICATED),
    Placement(replica_scheduling=STATIC),
    Placement(replica_scheduling=DYNAMIC, spread_constraints=[
        SpreadConstraint(spread_by_field="region", min_groups=2, max_groups=2),
        SpreadConstraint(spread_by_field="cluster", min_groups=2, max_groups=3)]),
    Placement(replica_scheduling=DYNAMIC, cluster_affinity=ClusterAffinity(cluster_names=["nowhere"])),
]
REQUESTS = [None, {"resourceRequest": {"cpu": "500m"}}, {"resourceRequest": {"cpu": "2", "memory": "1Gi"}},
            {"resourceRequest": {"cpu": "40"}}, {"resourceRequest": {"cpu": "lots"}}]
UIDS = ["", "uid-1", "uid-2", "uid-3", "uid-4"]


def fleet() -> list[Cluster]:
    """Clusters whose capacities tie in pairs, so the UID's tie-break decides."""
    return [Cluster(name=f"m{i}", region=f"r{i % 2}", labels={},
                    status={"resourceSummary": {"allocatable": {"pods": str(20 + 10 * (i // 2)), "cpu": "64",
                                                                "memory": "64Gi"},
                                                "allocated": {}, "allocating": {}}})
            for i in range(6)]


def answer(request: ScheduleRequest, clusters: list[Cluster], memo: dict | None):
    try:
        result = schedule(request, clusters, memo)
    except ScheduleError as e:
        return ("error", e.reason, e.message)
    except Exception as e:      # an unreadable request: its error, whether shared or not
        return ("raised", type(e).__name__, str(e))
    return [(t.name, t.replicas) for t in result.clusters], result.affinity_name


def requests():
    for placement, requirements, replicas, uid, previous, evicted in itertools.product(
            PLACEMENTS, REQUESTS, (0, 1, 3, 7, 500), UIDS, ([], [TargetCluster("m5", 2)]), (set(), {"m0"})):
        yield ScheduleRequest(placement=placement, replicas=replicas, replica_requirements=requirements, uid=uid,
                              api_version="apps/v1", kind="Deployment", previous=list(previous),
                              evicted=set(evicted))


def test_a_shared_memo_changes_no_answer():
    clusters = fleet()
    memo: dict = {}
    for request in requests():
        assert answer(request, clusters, memo) == answer(request, clusters, None), request


def test_the_uid_breaks_ties_by_its_parity():
    assert [larger_name_wins(uid) for uid in UIDS] == [False, True, False, True, False]
    clusters = fleet()
    ties = {larger_name_wins(uid): answer(ScheduleRequest(Placement(replica_scheduling=DYNAMIC), replicas=1,
                                                          uid=uid, kind="Deployment"), clusters, None)
            for uid in UIDS}
    assert ties[True] != ties[False]      # the table above does exercise the tie-break


@pytest.mark.parametrize("placement", PLACEMENTS[:4])
def test_shared_answers_are_copies(placement):
    clusters = fleet()
    memo: dict = {}
    first = schedule(ScheduleRequest(placement, replicas=3, uid="a", kind="Deployment"), clusters, memo)
    expected = [(t.name, t.replicas) for t in first.clusters]
    for target in first.clusters:
        target.replicas = 99
    again = schedule(ScheduleRequest(placement, replicas=3, uid="a", kind="Deployment"), clusters, memo)
    assert [(t.name, t.replicas) for t in again.clusters] == expected


def test_placements_parsed_per_binding_share_nothing_through_reused_ids():
    """A Lazy policy's binding keeps its own placement, parsed for it and freed after it: the next one
    parsed often gets the freed object's id, and must not get its answer."""
    clusters = fleet()
    previous = [TargetCluster("m0", 2), TargetCluster("m1", 2)]

    def one(names: list[str], memo: dict | None):
        placement = Placement.from_dict({"clusterAffinity": {"clusterNames": names}}, validate=False)
        return answer(ScheduleRequest(placement, replicas=4, api_version="apps/v1", kind="Deployment",
                                      previous=list(previous)), clusters, memo)

    picks = [["m0", "m1"], ["m2", "m3"], ["m4"], ["m0"], ["m5", "m1"], ["m2"], ["m3", "m4"]] * 4
    memo: dict = {}
    for names in picks:
        assert one(names, memo) == one(names, None), names
