"""The scheduling pipeline: filter, score, estimate, select, assign (§2.1-§2.5).

`schedule` is what karmada-scheduler does for one ResourceBinding, minus the
API calls: it takes the binding's placement and state as a ScheduleRequest,
the registered clusters, and returns the target clusters (or raises
ScheduleError). With placement.clusterAffinities it walks the ordered terms
as Karmada does (§2.3). Pure: no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from karmadactl.scheduler import filters, spread
from karmadactl.scheduler.types import Candidate, ScheduleError, ScheduleRequest, ScheduleResult, TargetCluster

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.policy import ClusterAffinity, ClusterAffinityTerm

LOCALITY_SCORE = 100      # ClusterLocality: the cluster already holds the binding


def schedule(request: ScheduleRequest, clusters: list[Cluster], memo: dict | None = None) -> ScheduleResult:
    """Target clusters for a binding; raises ScheduleError.

    With clusterAffinities, scheduling starts at the term named by
    request.observing_affinity (the first term when that is empty or unknown,
    or when request.fresh) and moves to the next term on any error; the
    result records the term that succeeded. When every term fails, the error
    of the first term tried is raised, as karmada-scheduler does; the caller
    then clears the result only if its reason is NoClusterFit.

    `memo`, a dict the caller keeps for one pass over many bindings (with the
    same clusters list), lets bindings of the same policy share filter results.
    """
    placement = request.placement
    terms = list(placement.cluster_affinities or [])
    if not terms:
        return ScheduleResult(clusters=_schedule_with((placement.cluster_affinity,), request, clusters, memo))
    first_error: ScheduleError | None = None
    for term in terms[start_index(terms, request):]:
        try:
            targets = _schedule_with(affinity_tiers(term, request), request, clusters, memo)
        except ScheduleError as error:
            first_error = first_error or error
            continue
        return ScheduleResult(clusters=targets, affinity_name=term.affinity_name)
    assert first_error is not None
    raise first_error


def start_index(terms: list[ClusterAffinityTerm], request: ScheduleRequest) -> int:
    if request.fresh or not request.observing_affinity:
        return 0
    for index, term in enumerate(terms):
        if term.affinity_name == request.observing_affinity:
            return index
    return 0


def is_workload(request: ScheduleRequest) -> bool:
    return request.replicas > 0


def affinity_tiers(term: ClusterAffinityTerm, request: ScheduleRequest) -> tuple[ClusterAffinity, ...]:
    """The term's affinity, then its overflow groups in order (workloads only)."""
    tiers = [term.affinity]
    if is_workload(request):
        tiers.extend(overflow.affinity for overflow in term.overflow or [])
    return tuple(tiers)


def _schedule_with(tiers: tuple, request: ScheduleRequest, clusters: list[Cluster],
                   memo: dict | None = None) -> list[TargetCluster]:
    key = _answer_key(tiers, request, clusters) if memo is not None else None
    known = memo.get(key) if memo is not None and key is not None else None
    if known is not None and known[0] is request.placement and known[1] is clusters:
        return [TargetCluster(name, replicas) for name, replicas in known[2]]
    candidates = feasible_candidates(request, clusters, tiers, memo)
    selected = spread.select_clusters(request.placement, candidates, request.replicas)
    if not selected:
        raise ScheduleError("SchedulerError", "no clusters available to schedule")
    if not is_workload(request):
        targets = [TargetCluster(name=c.name) for c in selected]
    else:
        from karmadactl.scheduler.assign import assign
        targets = assign(request, selected)
    if memo is not None and key is not None:
        memo[key] = (request.placement, clusters, [(t.name, t.replicas) for t in targets])
    return targets


def _answer_key(tiers: tuple, request: ScheduleRequest, clusters: list[Cluster]) -> tuple | None:
    """What a first schedule's answer depends on, for bindings of one pass to share it; None when the
    binding has clusters already (its answer depends on them) or its request cannot be read (its
    error is raised where it always was).

    Such a binding is filtered, estimated and divided from its placement, kind, evictions, replica
    count and per-replica request alone; its UID only breaks Webster's ties, by its parity.
    """
    if request.previous:
        return None
    from karmadactl.errors import InvalidInput
    from karmadactl.scheduler.estimate import replica_request
    from karmadactl.scheduler.webster import larger_name_wins

    try:
        per_replica = replica_request(request.replica_requirements)
    except InvalidInput:
        return None
    return ("answer", id(clusters), id(request.placement), tuple(map(id, tiers)), request.api_version,
            request.kind, frozenset(request.evicted), request.replicas, per_replica, larger_name_wins(request.uid))


def feasible_candidates(request: ScheduleRequest, clusters: list[Cluster], tiers: tuple,
                        memo: dict | None = None) -> list[Candidate]:
    """Filter, score and estimate; the candidates in the global order.

    Raises ScheduleError("NoClusterFit", ...) when no cluster passes the filters.
    """
    previous = {target.name: target.replicas or 0 for target in request.previous}
    ctx = filters.FilterContext(request=request, tiers=tiers, previous=frozenset(previous))
    key = (id(clusters), id(request.placement), tuple(map(id, tiers)), request.api_version, request.kind,
           ctx.previous, frozenset(request.evicted))
    kept = memo.get(key) if memo is not None else None
    # the memo holds the placement and clusters it keys by id, so no other object takes their ids
    outcome = kept[2] if kept is not None and kept[0] is request.placement and kept[1] is clusters else None
    if outcome is None:
        outcome = filters.find_feasible(ctx, clusters)
        if memo is not None:
            memo[key] = (request.placement, clusters, outcome)
    if not outcome.feasible:
        raise ScheduleError("NoClusterFit", filters.fit_error_message(outcome.total, outcome.rejected))
    from karmadactl.scheduler.estimate import replica_estimator
    estimate = replica_estimator(request.replica_requirements, request.replicas)
    candidates = []
    for cluster, overflow_order in outcome.feasible:
        allocatable = estimate(cluster)
        candidates.append(Candidate(
            cluster=cluster,
            score=LOCALITY_SCORE if cluster.name in previous else 0,
            allocatable=allocatable,
            available=allocatable + previous.get(cluster.name, 0),
            overflow_order=overflow_order,
        ))
    return sort_global(candidates)


def sort_global(candidates: list[Candidate]) -> list[Candidate]:
    """Overflow order ascending, score descending, available descending, name ascending."""
    return sorted(candidates, key=lambda c: (c.overflow_order, -c.score, -c.available, c.name))
