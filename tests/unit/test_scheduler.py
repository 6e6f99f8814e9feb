"""The scheduler's selection half: filters, order, spread constraints, clusterAffinities.

Clusters are built as a user registers them (spec + status); capacity comes
from status.resourceSummary, so the general estimator gives each cluster the
number of pods it still allows.
"""

from __future__ import annotations

import pytest

from karmadactl.apis.cluster import Cluster, Taint
from karmadactl.apis.policy import (
    ClusterAffinity,
    ClusterAffinityTerm,
    OverflowAffinity,
    Placement,
    ReplicaScheduling,
    SpreadConstraint,
    Toleration,
)
from karmadactl.scheduler import ScheduleError, ScheduleRequest, TargetCluster, schedule
from karmadactl.scheduler.core import feasible_candidates
from karmadactl.scheduler.spread import Group, select_clusters, select_groups
from karmadactl.scheduler.types import Candidate

DEPLOYMENT_APIS = [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}]
DIVIDED = ReplicaScheduling(type="Divided", division_preference="Weighted", dynamic_weight="AvailableReplicas")
AGGREGATED = ReplicaScheduling(type="Divided", division_preference="Aggregated")
DUPLICATED = ReplicaScheduling(type="Duplicated")


def member(name: str, *, pods: int = 100, region: str = "", zones: tuple = (), provider: str = "",
           labels: dict | None = None, taints: tuple = (), apis: list | None = None) -> Cluster:
    status: dict = {"resourceSummary": {"allocatable": {"pods": str(pods), "cpu": "64"},
                                        "allocated": {}, "allocating": {}}}
    if apis is not None:
        status["apiEnablements"] = apis
    return Cluster(name=name, region=region, zones=list(zones), provider=provider, labels=dict(labels or {}),
                   taints=list(taints), status=status)


def request(placement: Placement, replicas: int = 0, **kw) -> ScheduleRequest:
    return ScheduleRequest(placement=placement, replicas=replicas, api_version="apps/v1", kind="Deployment", **kw)


def names(result) -> list[str]:
    return [t.name for t in result.clusters]


def replicas_of(result) -> dict[str, int | None]:
    return {t.name: t.replicas for t in result.clusters}


def no_fit_message(req: ScheduleRequest, clusters: list[Cluster]) -> str:
    with pytest.raises(ScheduleError) as caught:
        schedule(req, clusters)
    assert caught.value.reason == "NoClusterFit"
    return caught.value.message


# --- filters -----------------------------------------------------------------

NO_SCHEDULE = Taint("dedicated", "NoSchedule", "gpu")
NO_EXECUTE = Taint("cluster.karmada.io/not-ready", "NoExecute")


@pytest.mark.parametrize("case, cluster, placement, extra, reason", [
    ("API not listed", member("m1", apis=[{"groupVersion": "v1", "resources": [{"name": "pods", "kind": "Pod"}]}]),
     Placement(), {}, "cluster(s) did not have the API resource"),
    ("other version only", member("m1", apis=[{"groupVersion": "apps/v1beta1",
                                               "resources": [{"name": "deployments", "kind": "Deployment"}]}]),
     Placement(), {}, "cluster(s) did not have the API resource"),
    ("API listed", member("m1", apis=DEPLOYMENT_APIS), Placement(), {}, None),
    ("no apiEnablements at all (offline plan)", member("m1"), Placement(), {}, None),
    ("NoSchedule taint", member("m1", taints=(NO_SCHEDULE,)), Placement(), {},
     "cluster(s) had untolerated taint {dedicated=gpu:NoSchedule}"),
    ("NoExecute taint without value", member("m1", taints=(NO_EXECUTE,)), Placement(), {},
     "cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoExecute}"),
    ("PreferNoSchedule is ignored", member("m1", taints=(Taint("soft", "PreferNoSchedule"),)), Placement(), {}, None),
    ("tolerated by Equal", member("m1", taints=(NO_SCHEDULE,)),
     Placement(cluster_tolerations=[Toleration(key="dedicated", operator="Equal", value="gpu",
                                               effect="NoSchedule")]), {}, None),
    ("Exists tolerates every taint", member("m1", taints=(NO_SCHEDULE, NO_EXECUTE)),
     Placement(cluster_tolerations=[Toleration(operator="Exists")]), {}, None),
    ("toleration for another effect", member("m1", taints=(NO_SCHEDULE,)),
     Placement(cluster_tolerations=[Toleration(key="dedicated", operator="Exists", effect="NoExecute")]), {},
     "cluster(s) had untolerated taint {dedicated=gpu:NoSchedule}"),
    ("affinity by name", member("m1"), Placement(cluster_affinity=ClusterAffinity(cluster_names=["m2"])), {},
     "cluster(s) did not match the placement cluster affinity constraint"),
    ("affinity by label", member("m1", labels={"env": "prod"}),
     Placement(cluster_affinity=ClusterAffinity(label_selector={"matchLabels": {"env": "prod"}})), {}, None),
    ("region spread needs a region", member("m1"),
     Placement(spread_constraints=[SpreadConstraint(spread_by_field="region", min_groups=1, max_groups=1),
                                   SpreadConstraint(spread_by_field="cluster", min_groups=1, max_groups=1)]),
     {}, "cluster(s) did not have region property"),
    ("zone spread needs zones", member("m1", region="r1"),
     Placement(spread_constraints=[SpreadConstraint(spread_by_field="zone", min_groups=1, max_groups=1)]),
     {}, "cluster(s) did not have zones property"),
    ("provider spread needs a provider", member("m1"),
     Placement(spread_constraints=[SpreadConstraint(spread_by_field="provider", min_groups=1, max_groups=1)]),
     {}, "cluster(s) did not have provider property"),
    ("label spread needs the label", member("m1"),
     Placement(spread_constraints=[SpreadConstraint(spread_by_label="rack", min_groups=1, max_groups=1)]),
     {}, "cluster(s) did not have label rack"),
    ("evicted cluster", member("m1"), Placement(), {"evicted": {"m1"}}, "cluster(s) is in the process of eviction"),
])
def test_each_filter_passes_or_names_its_reason(case, cluster, placement, extra, reason):
    req = request(placement, **extra)
    if reason is None:
        assert names(schedule(req, [cluster])) == ["m1"], case
    else:
        assert no_fit_message(req, [cluster]) == f"0/1 clusters are available: 1 {reason}.", case


def test_no_cluster_fit_counts_reasons_in_karmadas_format():
    clusters = [member("m1", apis=[]), member("m2", apis=DEPLOYMENT_APIS), member("m3", apis=DEPLOYMENT_APIS),
                member("m4", apis=DEPLOYMENT_APIS, taints=(NO_SCHEDULE,))]
    placement = Placement(cluster_affinity=ClusterAffinity(cluster_names=["m1", "m4"]))
    assert no_fit_message(request(placement), clusters) == (
        "0/4 clusters are available: 1 cluster(s) did not have the API resource, "
        "1 cluster(s) had untolerated taint {dedicated=gpu:NoSchedule}, "
        "2 cluster(s) did not match the placement cluster affinity constraint.")


def test_no_cluster_at_all():
    assert no_fit_message(request(Placement()), []) == "0/0 clusters are available: no cluster exists."


def test_clusters_already_placed_keep_their_place_despite_taints_and_missing_apis():
    tainted = member("m1", taints=(NO_SCHEDULE,), apis=[])
    placement = Placement(replica_scheduling=DUPLICATED)
    fresh = request(placement, replicas=2)
    assert no_fit_message(fresh, [tainted]).startswith("0/1 clusters are available: 1 cluster(s) did not have")
    placed = request(placement, replicas=2, previous=[TargetCluster("m1", 2)])
    assert replicas_of(schedule(placed, [tainted])) == {"m1": 2}


def test_an_evicted_cluster_is_filtered_even_when_placed():
    placement = Placement(replica_scheduling=DIVIDED)
    req = request(placement, replicas=4, previous=[TargetCluster("m1", 4)], evicted={"m1"})
    assert replicas_of(schedule(req, [member("m1"), member("m2")])) == {"m2": 4}


def test_a_deleting_cluster_is_counted_but_never_chosen():
    gone = member("m1")
    gone.metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert no_fit_message(request(Placement()), [gone]) == "0/1 clusters are available: no cluster exists."
    assert names(schedule(request(Placement()), [gone, member("m2")])) == ["m2"]


def test_non_workloads_go_everywhere_without_replicas():
    result = schedule(request(Placement()), [member("b"), member("a", taints=(NO_SCHEDULE,)), member("c")])
    assert result.clusters == [TargetCluster("b"), TargetCluster("c")]


# --- score and global order ----------------------------------------------------

def test_global_order_overflow_then_locality_then_available_then_name():
    term = ClusterAffinityTerm(affinity_name="main", affinity=ClusterAffinity(cluster_names=["a", "b", "c", "d"]),
                               overflow=[OverflowAffinity(affinity_name="burst",
                                                          affinity=ClusterAffinity(cluster_names=["e"]))])
    req = request(Placement(cluster_affinities=[term], replica_scheduling=DIVIDED), replicas=10,
                  previous=[TargetCluster("d", 1)])
    clusters = [member("e", pods=500), member("c", pods=20), member("b", pods=30), member("a", pods=30),
                member("d", pods=5)]
    from karmadactl.scheduler.core import affinity_tiers
    ordered = feasible_candidates(req, clusters, affinity_tiers(term, req))
    assert [(c.name, c.overflow_order, c.score, c.available) for c in ordered] == [
        ("d", 0, 100, 6), ("a", 0, 0, 30), ("b", 0, 0, 30), ("c", 0, 0, 20), ("e", 1, 0, 500)]


# --- spread constraints --------------------------------------------------------

def candidate(name: str, score: int, available: int, region: str = "") -> Candidate:
    return Candidate(cluster=Cluster(name=name, region=region), score=score, allocatable=available,
                     available=available)


def cluster_spread(min_groups: int, max_groups: int) -> SpreadConstraint:
    return SpreadConstraint(spread_by_field="cluster", min_groups=min_groups, max_groups=max_groups)


def test_cluster_spread_swaps_in_capacity_karmadas_example():
    # pkg/scheduler/core/spreadconstraint: scores 60/50/40, available 40/30/60, 2 clusters, 80 replicas.
    ordered = [candidate("member1", 60, 40), candidate("member2", 50, 30), candidate("member3", 40, 60)]
    placement = Placement(spread_constraints=[cluster_spread(1, 2)], replica_scheduling=DIVIDED)
    assert [c.name for c in select_clusters(placement, ordered, 80)] == ["member1", "member3"]


def test_cluster_spread_fails_when_no_swap_gives_enough():
    ordered = [candidate("member1", 60, 40), candidate("member2", 50, 30), candidate("member3", 40, 60)]
    placement = Placement(spread_constraints=[cluster_spread(1, 2)], replica_scheduling=DIVIDED)
    with pytest.raises(ScheduleError, match="no enough resource when selecting 2 clusters"):
        select_clusters(placement, ordered, 101)


def test_cluster_spread_min_groups_and_duplicated_ignores_capacity():
    ordered = [candidate("member1", 60, 1), candidate("member2", 50, 1), candidate("member3", 40, 60)]
    with pytest.raises(ScheduleError, match="less than spreadConstraint.MinGroups"):
        select_clusters(Placement(spread_constraints=[cluster_spread(4, 4)], replica_scheduling=DIVIDED),
                        ordered, 2)
    duplicated = Placement(spread_constraints=[cluster_spread(1, 2)], replica_scheduling=DUPLICATED)
    assert [c.name for c in select_clusters(duplicated, ordered, 50)] == ["member1", "member2"]


def test_static_weights_ignore_spread_constraints():
    static = ReplicaScheduling(type="Divided", division_preference="Weighted")
    ordered = [candidate("member1", 0, 1), candidate("member2", 0, 1), candidate("member3", 0, 1)]
    placement = Placement(spread_constraints=[cluster_spread(1, 1)], replica_scheduling=static)
    assert len(select_clusters(placement, ordered, 3)) == 3


def test_cluster_spread_through_the_pipeline():
    placement = Placement(spread_constraints=[cluster_spread(1, 2)], replica_scheduling=AGGREGATED)
    clusters = [member("m1", pods=4), member("m2", pods=3), member("m3", pods=10)]
    # Global order m3 (10), m1 (4), m2 (3): the first two hold 12 >= 12.
    assert replicas_of(schedule(request(placement, replicas=12), clusters)) == {"m1": 3, "m3": 9}


@pytest.mark.parametrize("groups, minimum, maximum, target, expected", [
    ([("R1", 1, 80)], 2, 3, 1, []),
    ([("R1", 1, 80), ("R2", 2, 30)], 2, 3, 4, []),
    ([("R1", 1, 80)], 1, 3, 1, ["R1"]),
    ([("R1", 1, 80), ("R3", 1, 80), ("R2", 1, 60), ("R5", 2, 60), ("R4", 5, 50), ("R6", 3, 50)], 1, 3, 10,
     ["R5", "R4", "R6"]),
    ([("R1", 1, 80), ("R2", 4, 40), ("R3", 1, 30), ("R4", 3, 30), ("R5", 3, 20), ("R6", 5, 10)], 2, 6, 5,
     ["R1", "R2"]),
    ([("R1", 1, 60), ("R2", 1, 50), ("R3", 1, 40), ("R4", 3, 30), ("R5", 3, 20), ("R6", 3, 10)], 1, 3, 6,
     ["R1", "R4", "R5"]),
    ([("R1", 1, 60), ("R2", 2, 50), ("R3", 3, 40), ("R4", 4, 30)], 1, 2, 5, ["R1", "R4"]),
    ([("R4", 1, 60), ("R3", 3, 50), ("R1", 3, 40), ("R2", 4, 30)], 1, 2, 5, ["R3", "R1"]),
])
def test_group_selection_matches_karmadas_select_groups_table(groups, minimum, maximum, target, expected):
    chosen = select_groups([Group(n, v, w) for n, v, w in groups], minimum, maximum, target)
    assert [g.name for g in chosen] == expected


def regional(name: str, region: str, pods: int, **kw) -> Cluster:
    return member(name, region=region, pods=pods, **kw)


def test_region_spread_picks_the_best_cluster_per_region_then_fills_by_order():
    clusters = [regional("a1", "ra", 50), regional("a2", "ra", 40), regional("b1", "rb", 30),
                regional("c1", "rc", 5), regional("c2", "rc", 5)]
    placement = Placement(spread_constraints=[
        SpreadConstraint(spread_by_field="region", min_groups=2, max_groups=2), cluster_spread(2, 3)],
        replica_scheduling=DIVIDED)
    result = schedule(request(placement, replicas=60), clusters)
    # Region scores (target ceil(60/2)=30, at least 2 clusters walked): ra 30*1000, rb 30*1000, rc 10*1000.
    # ra+rb is chosen; a1 and b1 first, then a2 fills the third place.
    assert sorted(names(result)) == ["a1", "a2", "b1"]
    assert sum(t.replicas for t in result.clusters) == 60


def test_region_spread_errors():
    clusters = [regional("a1", "ra", 50), regional("b1", "rb", 30)]
    three_regions = Placement(spread_constraints=[
        SpreadConstraint(spread_by_field="region", min_groups=3, max_groups=3), cluster_spread(3, 3)],
        replica_scheduling=DIVIDED)
    with pytest.raises(ScheduleError, match="the number of feasible region is less than") as caught:
        schedule(request(three_regions, replicas=2), clusters)
    assert caught.value.reason == "SchedulerError"
    many_clusters = Placement(spread_constraints=[
        SpreadConstraint(spread_by_field="region", min_groups=1, max_groups=2), cluster_spread(3, 3)],
        replica_scheduling=DIVIDED)
    with pytest.raises(ScheduleError, match="the number of clusters is less than the cluster"):
        schedule(request(many_clusters, replicas=2), clusters)


def test_zone_spread_one_cluster_per_zone_beyond_karmada():
    clusters = [member("z1a", zones=("z1",), pods=40), member("z1b", zones=("z1",), pods=30),
                member("z2a", zones=("z2",), pods=20), member("z3a", zones=("z3",), pods=5),
                # several zones: the cluster counts in its first zone only
                member("multi", zones=("z3", "z1"), pods=6)]
    placement = Placement(spread_constraints=[
        SpreadConstraint(spread_by_field="zone", min_groups=2, max_groups=2), cluster_spread(2, 2)],
        replica_scheduling=DIVIDED)
    result = schedule(request(placement, replicas=40), clusters)
    # target 20 per zone: z1 and z2 reach it, z3 (5+6) does not; one cluster of each chosen zone.
    assert sorted(names(result)) == ["z1a", "z2a"]
    assert sum(replicas_of(result).values()) == 40


def test_provider_and_label_spread_honour_max_groups():
    clusters = [member("aws1", provider="aws", labels={"rack": "r1"}, pods=10),
                member("aws2", provider="aws", labels={"rack": "r1"}, pods=9),
                member("gcp1", provider="gcp", labels={"rack": "r2"}, pods=8),
                member("az1", provider="azure", labels={"rack": "r3"}, pods=7)]
    duplicated = Placement(spread_constraints=[
        SpreadConstraint(spread_by_field="provider", min_groups=1, max_groups=2), cluster_spread(1, 2)],
        replica_scheduling=DUPLICATED)
    assert sorted(names(schedule(request(duplicated, replicas=3), clusters))) == ["aws1", "aws2"]
    by_label = Placement(spread_constraints=[
        SpreadConstraint(spread_by_label="rack", min_groups=3, max_groups=3), cluster_spread(3, 3)],
        replica_scheduling=DUPLICATED)
    assert sorted(names(schedule(request(by_label, replicas=3), clusters))) == ["aws1", "az1", "gcp1"]


# --- clusterAffinities -----------------------------------------------------------

def two_terms(**kw) -> Placement:
    return Placement(cluster_affinities=[
        ClusterAffinityTerm(affinity_name="primary", affinity=ClusterAffinity(cluster_names=["m1"])),
        ClusterAffinityTerm(affinity_name="backup", affinity=ClusterAffinity(cluster_names=["m2"]))], **kw)


def test_affinities_fall_back_to_the_next_term():
    clusters = [member("m1", taints=(NO_SCHEDULE,)), member("m2")]
    result = schedule(request(two_terms(replica_scheduling=DIVIDED), replicas=3), clusters)
    assert (result.affinity_name, replicas_of(result)) == ("backup", {"m2": 3})


def test_affinities_fall_back_on_any_error_not_only_no_fit():
    clusters = [member("m1", pods=2), member("m2", pods=10)]
    result = schedule(request(two_terms(replica_scheduling=DIVIDED), replicas=5), clusters)
    assert (result.affinity_name, replicas_of(result)) == ("backup", {"m2": 5})


def test_affinities_stay_on_the_observed_term_until_a_fresh_reschedule():
    clusters = [member("m1"), member("m2")]
    placement = two_terms(replica_scheduling=DIVIDED)
    staying = schedule(request(placement, replicas=2, observing_affinity="backup"), clusters)
    assert (staying.affinity_name, names(staying)) == ("backup", ["m2"])
    fresh = schedule(request(placement, replicas=2, observing_affinity="backup", fresh=True), clusters)
    assert (fresh.affinity_name, names(fresh)) == ("primary", ["m1"])
    unknown = schedule(request(placement, replicas=2, observing_affinity="renamed"), clusters)
    assert unknown.affinity_name == "primary"


def test_when_every_term_fails_the_first_terms_error_is_raised():
    clusters = [member("m1", taints=(NO_SCHEDULE,)), member("m2")]
    with pytest.raises(ScheduleError) as caught:
        schedule(request(two_terms(), replicas=0, evicted={"m2"}), clusters)
    assert caught.value.reason == "NoClusterFit"
    assert caught.value.message == ("0/2 clusters are available: "
                                    "1 cluster(s) did not match the placement cluster affinity constraint, "
                                    "1 cluster(s) had untolerated taint {dedicated=gpu:NoSchedule}.")


def test_overflow_tiers_fill_the_primary_group_first():
    term = ClusterAffinityTerm(
        affinity_name="idc", affinity=ClusterAffinity(cluster_names=["idc1"]),
        overflow=[OverflowAffinity(affinity_name="cloud", affinity=ClusterAffinity(cluster_names=["cloud1", "idc1"]))])
    placement = Placement(cluster_affinities=[term], replica_scheduling=DIVIDED)
    clusters = [member("idc1", pods=6), member("cloud1", pods=100), member("other", pods=100)]
    result = schedule(request(placement, replicas=10), clusters)
    assert (result.affinity_name, replicas_of(result)) == ("idc", {"cloud1": 4, "idc1": 6})
    small = schedule(request(placement, replicas=5), clusters)
    assert replicas_of(small) == {"idc1": 5}
