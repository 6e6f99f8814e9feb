"""Replica assignment: how many replicas each selected cluster gets; pure.

Karmada's four strategies (pkg/scheduler/core/assignment.go):

- Duplicated: every cluster runs all replicas.
- StaticWeight (Divided, Weighted, no dynamicWeight): replicas split by the
  weights of staticWeightList, from scratch every time, capacity ignored.
- DynamicWeight (Divided, Weighted, dynamicWeight) and Aggregated (Divided,
  Aggregated): split by available replicas. In Steady mode the previous result
  is kept, scaled down in proportion to itself, or topped up with the new
  replicas only; Fresh mode (an explicit reschedule) divides everything anew.
  Aggregated uses as few clusters as it can.

Every split uses Webster's method (webster.py). Candidates in overflow tiers
(overflow_order > 0) only take what the tiers before them cannot hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from karmadactl.scheduler.types import Candidate, ScheduleError, ScheduleRequest, TargetCluster
from karmadactl.scheduler.webster import allocate_webster

DUPLICATED = "Duplicated"
STATIC_WEIGHT = "StaticWeight"
DYNAMIC_WEIGHT = "DynamicWeight"
AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class Strategy:
    kind: str                        # one of the four constants above
    static_weights: tuple = ()       # StaticWeight rules (target_cluster, weight)


def strategy_of(placement) -> Strategy:
    """The assignment strategy a placement asks for (no replicaScheduling => Duplicated)."""
    rs = placement.effective_replica_scheduling() if hasattr(placement, "effective_replica_scheduling") \
        else placement.replica_scheduling
    if rs is None or rs.type == "Duplicated":
        return Strategy(DUPLICATED)
    if rs.type != "Divided":
        raise ScheduleError("SchedulerError", f"unsupported replica scheduling type {rs.type!r}")
    preference = rs.division_preference or "Weighted"
    if preference == "Aggregated":
        return Strategy(AGGREGATED)
    if preference != "Weighted":
        raise ScheduleError("SchedulerError", f"unsupported replica division preference {preference!r}")
    if rs.dynamic_weight:
        return Strategy(DYNAMIC_WEIGHT)
    return Strategy(STATIC_WEIGHT, tuple(rs.static_weights or ()))


def not_enough(available: int) -> ScheduleError:
    return ScheduleError("Unschedulable", f"Clusters available replicas {available} are not enough to schedule.")


# What Karmada's tiered assignment says when the tiers together fall short: no number.
OVERFLOW_NOT_ENOUGH = "Clusters available replicas are not enough to schedule."


def assign(request: ScheduleRequest, candidates: list[Candidate]) -> list[TargetCluster]:
    """Replicas per cluster for the selected candidates (given in the global order).

    Non-workloads (replicas == 0) get every candidate without replicas;
    Duplicated keeps the candidate order; divided results are ordered by
    cluster name (as Karmada's Webster helper returns them), except an
    unchanged Steady result, which keeps the previous order. Clusters left
    with 0 replicas are dropped. Raises ScheduleError("Unschedulable", ...)
    when the clusters cannot hold the replicas.
    """
    if request.replicas <= 0:
        return [TargetCluster(c.name) for c in candidates]
    if not candidates:
        raise ScheduleError("SchedulerError", "no clusters available to schedule")
    strategy = strategy_of(request.placement)
    if strategy.kind == DUPLICATED:
        return [TargetCluster(c.name, request.replicas) for c in candidates]

    if any(c.overflow_order > 0 for c in candidates):
        result = _assign_tiers(strategy, request, candidates)
    else:
        result = _divide(strategy, request, candidates, request.replicas)
    return [tc for tc in result if tc.replicas]


def _assign_tiers(strategy: Strategy, request: ScheduleRequest, candidates: list[Candidate]) -> list[TargetCluster]:
    """Fill the primary clusters first, then each overflow tier with what is left."""
    result: list[TargetCluster] = []
    remaining = request.replicas
    for order in sorted({c.overflow_order for c in candidates}):
        tier = [c for c in candidates if c.overflow_order == order]
        tier_capacity = sum(max(0, c.available) for c in tier)
        take = min(remaining, tier_capacity)
        if take > 0:
            result.extend(_divide(strategy, request, tier, take))
            remaining -= take
    if remaining > 0:
        raise ScheduleError("Unschedulable", OVERFLOW_NOT_ENOUGH)
    return sorted(result, key=lambda tc: tc.name)


def _divide(strategy: Strategy, request: ScheduleRequest, candidates: list[Candidate],
            replicas: int) -> list[TargetCluster]:
    if strategy.kind == STATIC_WEIGHT:
        return _by_name(allocate_webster(static_weights(strategy.static_weights, candidates),
                                         replicas, request.uid))
    return _divide_dynamic(strategy.kind == AGGREGATED, request, candidates, replicas)


def static_weights(rules, candidates: list[Candidate]) -> dict[str, int]:
    """Each candidate's weight: the largest weight of the rules matching it.

    Candidates no rule matches are left out; when no candidate matches any
    rule (or there are no rules) every candidate weighs 1.
    """
    weights: dict[str, int] = {}
    for c in candidates:
        weight = max((rule.weight for rule in rules if rule.target_cluster.matches(c.cluster)), default=0)
        if weight > 0:
            weights[c.name] = weight
    if not weights:
        weights = {c.name: 1 for c in candidates}
    return weights


def _divide_dynamic(aggregated: bool, request: ScheduleRequest, candidates: list[Candidate],
                    replicas: int) -> list[TargetCluster]:
    names = {c.name for c in candidates}
    # previous result restricted to the current candidates; what left is re-assigned
    scheduled = [(tc.name, tc.replicas or 0) for tc in request.previous if tc.name in names]
    assigned = sum(r for _, r in scheduled)
    previous = dict(scheduled)
    prior: set[str] = set()          # clusters the aggregated prefix puts first
    base: dict[str, int]

    if request.fresh:
        target, base = replicas, {}
        weights = [(c.name, c.allocatable + previous.get(c.name, 0)) for c in candidates]
    elif assigned == replicas:
        return [TargetCluster(name, r) for name, r in scheduled]
    elif assigned > replicas:       # scale down in proportion to the previous result
        target, base = replicas, {}
        weights = list(scheduled)
    else:                           # scale up (or first schedule): place the difference only
        target, base = replicas - assigned, previous
        weights = [(c.name, c.allocatable) for c in candidates]
        prior = {name for name, r in scheduled if r > 0}

    weights = [(name, max(0, w)) for name, w in weights]
    weights.sort(key=lambda nw: nw[1], reverse=True)      # stable: ties keep candidate order
    available = sum(w for _, w in weights)
    if available < target:
        raise not_enough(available)
    if aggregated:
        weights = _fewest_clusters([nw for nw in weights if nw[0] in prior]
                                   + [nw for nw in weights if nw[0] not in prior], target)

    seats = allocate_webster(dict(weights), target, request.uid)
    total = {name: base.get(name, 0) + seats.get(name, 0) for name in set(base) | set(seats)}
    return _by_name(total)


def _fewest_clusters(weights: list[tuple[str, int]], target: int) -> list[tuple[str, int]]:
    """The shortest prefix whose capacity reaches the target."""
    total = 0
    for i, (_, w) in enumerate(weights):
        total += w
        if total >= target:
            return weights[:i + 1]
    return weights


def _by_name(replicas: dict[str, int]) -> list[TargetCluster]:
    """Clusters that got replicas, by name (those with none are dropped anyway)."""
    return [TargetCluster(name, replicas[name]) for name in sorted(replicas) if replicas[name]]
