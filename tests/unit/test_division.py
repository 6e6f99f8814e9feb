"""Replica division: Webster seats, the general estimator and assign() against Karmada's examples."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.policy import ClusterAffinity, Placement, ReplicaScheduling, StaticWeight
from karmadactl.scheduler.assign import assign
from karmadactl.scheduler.estimate import estimate_replicas, general_estimate
from karmadactl.scheduler.types import MAX_INT32, Candidate, ScheduleError, ScheduleRequest, TargetCluster
from karmadactl.scheduler.webster import allocate_webster, fnv1a32, priority

# -- helpers ---------------------------------------------------------------------------------

def uid_with_parity(odd: bool) -> str:
    return next(u for u in (f"uid-{i}" for i in range(100)) if fnv1a32(u) % 2 == int(odd))


ODD_UID, EVEN_UID = uid_with_parity(True), uid_with_parity(False)

DYNAMIC = Placement(replica_scheduling=ReplicaScheduling(
    type="Divided", division_preference="Weighted", dynamic_weight="AvailableReplicas"))
AGGREGATED = Placement(replica_scheduling=ReplicaScheduling(type="Divided", division_preference="Aggregated"))
DUPLICATED = Placement(replica_scheduling=ReplicaScheduling(type="Duplicated"))


def static(*rules: tuple[str, int]) -> Placement:
    weights = [StaticWeight(target_cluster=ClusterAffinity(cluster_names=[name]), weight=w) for name, w in rules]
    return Placement(replica_scheduling=ReplicaScheduling(
        type="Divided", division_preference="Weighted", static_weights=weights))


def candidates(allocatable: dict[str, int], previous: dict[str, int] | None = None,
               overflow: dict[str, int] | None = None) -> list[Candidate]:
    previous, overflow = previous or {}, overflow or {}
    return [Candidate(cluster=Cluster(name=name), allocatable=a, available=a + previous.get(name, 0),
                      overflow_order=overflow.get(name, 0)) for name, a in allocatable.items()]


def request(placement, replicas: int, previous: dict[str, int] | None = None, uid: str = "",
            fresh: bool = False) -> ScheduleRequest:
    return ScheduleRequest(placement=placement, replicas=replicas, replica_requirements=None, uid=uid,
                           previous=[TargetCluster(n, r) for n, r in (previous or {}).items()], fresh=fresh)


def result(targets: list[TargetCluster]) -> dict[str, int | None]:
    return {t.name: t.replicas for t in targets}


def reference_webster(votes: dict[str, int], seats: int, uid: str = "",
                      initial: dict[str, int] | None = None) -> dict[str, int]:
    """The definition: one seat at a time to the best party under Karmada's comparison."""
    parties = {name: 0 for name in initial or {}}
    parties.update(votes)
    current = {name: (initial or {}).get(name, 0) for name in parties}
    larger_first = bool(uid) and fnv1a32(uid) % 2 == 1
    for _ in range(max(0, seats)):
        best = None
        for name in parties:
            if best is None:
                best = name
                continue
            p, q = priority(parties[name], current[name]), priority(parties[best], current[best])
            if p != q:
                better = p > q
            elif current[name] != current[best]:
                better = current[name] < current[best]
            else:
                better = name > best if larger_first else name < best
            if better:
                best = name
        current[best] += 1
    return dict(sorted(current.items()))


# -- Webster ---------------------------------------------------------------------------------

def test_fnv1a32_matches_go_hash_fnv():
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


def test_wikipedia_example_seat_by_seat():
    votes = {"A": 100000, "B": 80000, "C": 30000, "D": 20000}
    order = []
    previous = {name: 0 for name in votes}
    for seats in range(1, 9):
        now = allocate_webster(votes, seats)
        order += [name for name in votes if now[name] > previous[name]]
        previous = now
    assert order == ["A", "B", "A", "C", "B", "D", "A", "B"]
    assert allocate_webster(votes, 8) == {"A": 3, "B": 3, "C": 1, "D": 1}


def test_full_tie_goes_by_name_order_of_the_uid_parity():
    votes = {"member-a": 1, "member-b": 1}
    assert allocate_webster(votes, 1, "") == {"member-a": 1, "member-b": 0}
    assert allocate_webster(votes, 1, EVEN_UID) == {"member-a": 1, "member-b": 0}
    assert allocate_webster(votes, 1, ODD_UID) == {"member-a": 0, "member-b": 1}


def test_tie_goes_first_to_the_party_with_fewer_seats():
    # a: 3/(2*1+1) == b: 1/1; b holds fewer seats, so wins whatever the name order
    for uid in ("", EVEN_UID, ODD_UID):
        assert allocate_webster({"a": 3, "b": 1}, 1, uid, initial={"a": 1}) == {"a": 1, "b": 1}


def test_initial_seats_count_and_parties_without_votes_keep_theirs():
    got = allocate_webster({"a": 10, "b": 10}, 2, initial={"a": 3, "gone": 2})
    assert got == {"a": 3, "b": 2, "gone": 2}


def test_no_seats_or_no_parties():
    assert allocate_webster({"a": 5}, 0) == {"a": 0}
    assert allocate_webster({}, 5) == {}


def test_large_house_equals_definition():
    rng = random.Random(7)
    votes = {f"cluster-{i:02d}": rng.randint(0, 500) for i in range(40)}
    assert allocate_webster(votes, 3001, ODD_UID) == reference_webster(votes, 3001, ODD_UID)


def test_hundred_thousand_replicas_over_many_clusters():
    votes = {f"cluster-{i:03d}": 1 for i in range(150)}
    got = allocate_webster(votes, 100_000, EVEN_UID)
    assert sum(got.values()) == 100_000
    # 100000 = 150*666 + 100: the 100 extra seats go to the 100 smallest names
    assert got["cluster-000"] == 667 and got["cluster-099"] == 667 and got["cluster-100"] == 666


votes_st = st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4", "m5", "m6", "zz", "a"]),
                           st.one_of(st.integers(0, 30), st.integers(0, 10**12)), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(votes_st, st.integers(0, 120), st.text(max_size=6),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(["m1", "m2", "x"]), st.integers(0, 5), max_size=3)))
def test_heap_equals_seat_by_seat_definition(votes, seats, uid, initial):
    assert allocate_webster(votes, seats, uid, initial) == reference_webster(votes, seats, uid, initial)


@settings(max_examples=150, deadline=None)
@given(votes_st, st.integers(0, 150), st.text(max_size=6))
def test_all_seats_given_and_house_monotone(votes, seats, uid):
    now, more = allocate_webster(votes, seats, uid), allocate_webster(votes, seats + 1, uid)
    assert sum(now.values()) == seats and sum(more.values()) == seats + 1
    assert all(more[name] >= now[name] for name in votes)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4", "m5"]), st.integers(1, 1000), min_size=1),
       st.integers(1, 300))
def test_webster_rounds_against_one_common_divisor(votes, seats):
    """Webster's guarantee: some divisor d has |seats_i - votes_i/d| <= 1/2 for every party, i.e.
    the last seat any party got was worth at least the next seat of any other party."""
    got = allocate_webster(votes, seats)
    worst_last = min(priority(votes[n], got[n] - 1) for n in votes if got[n] > 0)
    best_next = max(priority(votes[n], got[n]) for n in votes)
    assert worst_last >= best_next


@settings(max_examples=100, deadline=None)
@given(votes_st, st.integers(0, 60), st.text(max_size=6), st.randoms())
def test_same_uid_same_answer_whatever_the_input_order(votes, seats, uid, rnd):
    items = list(votes.items())
    rnd.shuffle(items)
    assert allocate_webster(dict(items), seats, uid) == allocate_webster(votes, seats, uid)


# -- estimator -------------------------------------------------------------------------------

def cluster_with(allocatable: dict, allocated: dict | None = None, allocating: dict | None = None) -> Cluster:
    summary = {"allocatable": allocatable}
    if allocated is not None:
        summary["allocated"] = allocated
    if allocating is not None:
        summary["allocating"] = allocating
    return Cluster(name="member1", status={"resourceSummary": summary})


REQUEST = {"resourceRequest": {"cpu": "500m", "memory": "1Gi"}}


def test_estimator_karmada_example():
    c = cluster_with({"cpu": "4", "memory": "8Gi", "pods": "100"}, {"cpu": "1", "memory": "2Gi", "pods": "20"})
    assert estimate_replicas(c, REQUEST, 10) == 6


def test_estimator_half_a_gi_left_fits_none():
    c = cluster_with({"cpu": "4", "memory": "2Gi", "pods": "100"}, {"cpu": "1", "memory": "1536Mi", "pods": "20"})
    assert estimate_replicas(c, REQUEST, 10) == 0


def test_estimator_pods_limit_and_allocating():
    c = cluster_with({"cpu": "64", "memory": "256Gi", "pods": "10"}, {"pods": "3"}, {"pods": "2"})
    assert estimate_replicas(c, REQUEST, 50) == 5
    assert estimate_replicas(c, None, 50) == 5          # no requirements: the pods left


def test_estimator_cpu_in_millicores_floor():
    c = cluster_with({"cpu": "1", "pods": "100"})
    assert general_estimate(c, {"resourceRequest": {"cpu": "300m"}}) == 3


def test_estimator_missing_resource_or_summary_fits_none():
    c = cluster_with({"cpu": "8", "memory": "8Gi", "pods": "100"})
    assert estimate_replicas(c, {"resourceRequest": {"nvidia.com/gpu": "1"}}, 4) == 0
    assert estimate_replicas(Cluster(name="bare"), REQUEST, 4) == 0
    assert estimate_replicas(cluster_with({"cpu": "8", "memory": "8Gi"}), REQUEST, 4) == 0   # no pods


def test_estimator_zero_requests_are_ignored():
    c = cluster_with({"cpu": "8", "pods": "7"})
    assert estimate_replicas(c, {"resourceRequest": {"cpu": "0", "memory": "0"}}, 3) == 7


def test_estimator_maxint_becomes_the_replicas_and_non_workloads_are_not_estimated():
    c = cluster_with({"pods": str(MAX_INT32 + 5)})
    assert estimate_replicas(c, None, 12) == 12
    assert estimate_replicas(cluster_with({"pods": "3"}), None, 0) == MAX_INT32


# -- assign: Karmada's worked examples ---------------------------------------------------------

EXAMPLES = [
    # 1-4 static weights
    ("1 static 3:2:1, 12", static(("m1", 3), ("m2", 2), ("m3", 1)), 12, {"m1": 0, "m2": 0, "m3": 0}, None,
     {"m1": 6, "m2": 4, "m3": 2}),
    ("2 static 3:2:1, 13", static(("m1", 3), ("m2", 2), ("m3", 1)), 13, {"m1": 0, "m2": 0, "m3": 0}, None,
     {"m1": 7, "m2": 4, "m3": 2}),
    ("2 static 3:2:1, 14", static(("m1", 3), ("m2", 2), ("m3", 1)), 14, {"m1": 0, "m2": 0, "m3": 0}, None,
     {"m1": 7, "m2": 5, "m3": 2}),
    ("3 max matching weight", static(("m1", 1), ("m2", 1), ("m1", 2)), 3, {"m1": 0, "m2": 0}, None,
     {"m1": 2, "m2": 1}),
    ("4 unweighted cluster dropped", static(("m1", 1)), 2, {"m1": 0, "m2": 0}, None, {"m1": 2}),
    # 5-6 first schedule by availability
    ("5 dynamic 18:12:6", DYNAMIC, 12, {"m1": 18, "m2": 12, "m3": 6}, None, {"m1": 6, "m2": 4, "m3": 2}),
    ("5 dynamic 20:12:6", DYNAMIC, 12, {"m1": 20, "m2": 12, "m3": 6}, None, {"m1": 6, "m2": 4, "m3": 2}),
    ("6 aggregated 6:6:6", AGGREGATED, 12, {"m1": 6, "m2": 6, "m3": 6}, None, {"m1": 6, "m2": 6}),
    # 7-14 steady rescheduling
    ("7 scale down 12->6", DYNAMIC, 6, {"m1": 10, "m2": 10, "m3": 10}, {"m1": 2, "m2": 4, "m3": 6},
     {"m1": 1, "m2": 2, "m3": 3}),
    ("8 scale up 12->24", DYNAMIC, 24, {"m1": 10, "m2": 10, "m3": 10}, {"m1": 2, "m2": 4, "m3": 6},
     {"m1": 6, "m2": 8, "m3": 10}),
    ("9 aggregated up 4:6:8", AGGREGATED, 24, {"m1": 4, "m2": 6, "m3": 8}, {"m1": 4, "m2": 8},
     {"m1": 7, "m2": 12, "m3": 5}),
    ("10 aggregated up 6:6:20", AGGREGATED, 24, {"m1": 6, "m2": 6, "m3": 20}, {"m1": 4, "m2": 8},
     {"m1": 10, "m2": 14}),
    ("11 aggregated down 12->8", AGGREGATED, 8, {"m1": 100, "m2": 100}, {"m1": 4, "m2": 8}, {"m2": 8}),
    ("12 cluster2 gone, cluster4 new", AGGREGATED, 24, {"m1": 4, "m3": 8, "m4": 12}, {"m1": 4, "m2": 8},
     {"m1": 7, "m3": 7, "m4": 10}),
    ("13 failover 3:3", DYNAMIC, 12, {"m1": 3, "m2": 3}, {"m1": 6, "m3": 6}, {"m1": 9, "m2": 3}),
    ("14 aggregated 6:8:10", AGGREGATED, 12, {"m1": 6, "m2": 8, "m3": 10}, None, {"m3": 7, "m2": 5}),
]


@pytest.mark.parametrize("placement,replicas,allocatable,previous,expected",
                         [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_karmada_examples(placement, replicas, allocatable, previous, expected):
    got = assign(request(placement, replicas, previous), candidates(allocatable, previous))
    assert result(got) == expected
    assert [t.name for t in got] == sorted(expected)          # divided results come by cluster name


def test_example_15_wikipedia_through_static_weights():
    placement = static(("A", 100000), ("B", 80000), ("C", 30000), ("D", 20000))
    got = assign(request(placement, 8), candidates({"A": 0, "B": 0, "C": 0, "D": 0}))
    assert result(got) == {"A": 3, "B": 3, "C": 1, "D": 1}


@pytest.mark.parametrize("placement,allocatable,available", [
    (DYNAMIC, {"m1": 1, "m2": 1, "m3": 1}, 3),
    (AGGREGATED, {"m1": 3, "m2": 3, "m3": 3}, 9),
])
def test_scale_up_beyond_capacity_is_unschedulable(placement, allocatable, available):
    previous = {"m1": 2, "m2": 4, "m3": 6}
    with pytest.raises(ScheduleError) as err:
        assign(request(placement, 24, previous), candidates(allocatable, previous))
    assert err.value.reason == "Unschedulable"
    assert err.value.message == f"Clusters available replicas {available} are not enough to schedule."


def test_first_schedule_beyond_capacity_is_unschedulable():
    with pytest.raises(ScheduleError, match="Clusters available replicas 5 are not enough"):
        assign(request(DYNAMIC, 6), candidates({"m1": 2, "m2": 3}))


# -- assign: other behaviour -----------------------------------------------------------------

def test_duplicated_and_no_replica_scheduling_give_every_cluster_all_replicas_in_candidate_order():
    for placement in (DUPLICATED, Placement()):
        got = assign(request(placement, 3), candidates({"zeta": 0, "alpha": 0}))
        assert [(t.name, t.replicas) for t in got] == [("zeta", 3), ("alpha", 3)]


def test_non_workload_gets_every_cluster_without_replicas():
    got = assign(request(DYNAMIC, 0), candidates({"m2": 0, "m1": 0}))
    assert [(t.name, t.replicas) for t in got] == [("m2", None), ("m1", None)]
    assert [t.to_dict() for t in got] == [{"name": "m2"}, {"name": "m1"}]


def test_static_weights_without_matching_rule_weigh_everyone_one():
    got = assign(request(static(("elsewhere", 5)), 4), candidates({"m1": 0, "m2": 0, "m3": 0}))
    assert result(got) == {"m1": 2, "m2": 1, "m3": 1}


def test_static_weights_by_label_selector_take_the_largest_matching_weight():
    placement = Placement(replica_scheduling=ReplicaScheduling(
        type="Divided", division_preference="Weighted", static_weights=[
            StaticWeight(target_cluster=ClusterAffinity(label_selector={"matchLabels": {"tier": "big"}}), weight=3),
            StaticWeight(target_cluster=ClusterAffinity(label_selector={}), weight=1)]))
    cands = [Candidate(cluster=Cluster(name="big", labels={"tier": "big"})), Candidate(cluster=Cluster(name="small"))]
    assert result(assign(request(placement, 8), cands)) == {"big": 6, "small": 2}


def test_static_weights_tie_follows_uid_parity_and_drops_empty_clusters():
    placement = static(("m1", 1), ("m2", 1))
    assert result(assign(request(placement, 1, uid=EVEN_UID), candidates({"m1": 0, "m2": 0}))) == {"m1": 1}
    assert result(assign(request(placement, 1, uid=ODD_UID), candidates({"m1": 0, "m2": 0}))) == {"m2": 1}


def test_static_weights_ignore_previous_result_and_capacity():
    got = assign(request(static(("m1", 1), ("m2", 1)), 4, {"m1": 4}), candidates({"m1": 0, "m2": 0}, {"m1": 4}))
    assert result(got) == {"m1": 2, "m2": 2}


def test_steady_unchanged_total_keeps_previous_result_as_is():
    previous = {"m2": 5, "m1": 1}
    got = assign(request(DYNAMIC, 6, previous), candidates({"m1": 100, "m2": 0}, previous))
    assert [(t.name, t.replicas) for t in got] == [("m2", 5), ("m1", 1)]


def test_fresh_mode_divides_everything_again():
    previous = {"m1": 5, "m2": 1}
    got = assign(request(DYNAMIC, 6, previous, fresh=True), candidates({"m1": 1, "m2": 5}, previous))
    assert result(got) == {"m1": 3, "m2": 3}          # weights 1+5 : 5+1
    steady = assign(request(DYNAMIC, 6, previous), candidates({"m1": 1, "m2": 5}, previous))
    assert result(steady) == {"m1": 5, "m2": 1}


def test_fresh_aggregated_packs_into_fewest_clusters():
    previous = {"m1": 2, "m2": 2}
    got = assign(request(AGGREGATED, 4, previous, fresh=True), candidates({"m1": 0, "m2": 3}, previous))
    assert result(got) == {"m2": 4}                   # m2 can hold 3+2 >= 4


def test_overflow_tiers_fill_primary_first():
    allocatable = {"primary-a": 2, "primary-b": 1, "burst": 50}
    overflow = {"burst": 1}
    got = assign(request(DYNAMIC, 10), candidates(allocatable, overflow=overflow))
    assert result(got) == {"burst": 7, "primary-a": 2, "primary-b": 1}
    small = assign(request(DYNAMIC, 3), candidates(allocatable, overflow=overflow))
    assert result(small) == {"primary-a": 2, "primary-b": 1}


def test_overflow_tiers_return_to_primary_when_it_has_room_again():
    previous = {"primary": 2, "burst": 4}
    cands = candidates({"primary": 10, "burst": 0}, previous, overflow={"burst": 1})
    assert result(assign(request(DYNAMIC, 6, previous), cands)) == {"primary": 6}


def test_overflow_tiers_short_of_capacity_is_unschedulable():
    # Karmada pkg/scheduler/core/common.go (the tiered assignment): when replicas remain after the
    # last tier, UnschedulableError "Clusters available replicas are not enough to schedule.", no number.
    cands = candidates({"a": 2, "b": 3}, overflow={"b": 2})
    with pytest.raises(ScheduleError) as err:
        assign(request(AGGREGATED, 6), cands)
    assert (err.value.reason, err.value.message) == (
        "Unschedulable", "Clusters available replicas are not enough to schedule.")


# -- assign: properties ----------------------------------------------------------------------

clusters_st = st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4", "m5"]), st.integers(0, 20), min_size=1)


@settings(max_examples=150, deadline=None)
@given(clusters_st, st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m9"]), st.integers(0, 10)),
       st.integers(1, 60), st.sampled_from(["dynamic", "aggregated"]), st.booleans(), st.text(max_size=4))
def test_dynamic_assignment_places_all_replicas_within_capacity(allocatable, previous, replicas, kind, fresh, uid):
    placement = DYNAMIC if kind == "dynamic" else AGGREGATED
    cands = candidates(allocatable, previous)
    req = request(placement, replicas, previous, uid=uid, fresh=fresh)
    kept = {n: r for n, r in previous.items() if n in allocatable}
    if fresh:
        feasible = sum(c.available for c in cands) >= replicas
    else:
        feasible = sum(kept.values()) >= replicas or sum(allocatable.values()) >= replicas - sum(kept.values())
    if not feasible:
        with pytest.raises(ScheduleError):
            assign(req, cands)
        return
    got = result(assign(req, cands))
    assert sum(got.values()) == replicas
    assert all(r > 0 and name in allocatable for name, r in got.items())
    if fresh or sum(kept.values()) < replicas:
        assert all(got[n] <= allocatable[n] + kept.get(n, 0) for n in got)
    else:                                   # unchanged or scaled down: never grows a cluster
        assert all(got[n] <= kept.get(n, 0) for n in got)
    assert got == result(assign(req, cands))    # deterministic


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4"]), st.integers(1, 9), min_size=1),
       st.integers(1, 200))
def test_static_weights_follow_webster_proportions(weights, replicas):
    placement = static(*weights.items())
    got = result(assign(request(placement, replicas), candidates({n: 0 for n in weights})))
    full = {n: got.get(n, 0) for n in weights}
    assert sum(full.values()) == replicas
    assert full == allocate_webster(weights, replicas)
    total = sum(weights.values())
    if len(weights) == 2:                   # with two parties Webster stays within quota
        assert all(abs(full[n] - replicas * weights[n] / total) < 1 for n in weights)
