"""Spread constraints: which of the feasible clusters a binding goes to (§2.5).

Karmada (pkg/scheduler/core/spreadconstraint) implements `cluster` and
`region`; karmadactl also spreads by `zone`, `provider` and `spreadByLabel`
with the region algorithm, a group per distinct value:

- region: the cluster's spec.region;
- zone: the cluster's *first* entry of spec.zones (a cluster spanning several
  zones counts in the group of its first zone only, so it is never chosen
  twice);
- provider: spec.provider;
- spreadByLabel: the value of that label on the cluster.

Only one grouping constraint is honoured, chosen in the order region, zone,
provider, label; the others still act as property filters. The `cluster`
constraint bounds the number of clusters in every case.

Candidates come in, and go out, in the global order (§2.1): overflow order
ascending, score descending, available replicas descending, name ascending.
Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from karmadactl.scheduler.types import Candidate, ScheduleError

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.policy import Placement, SpreadConstraint

# Group score unit: the replica part outweighs the average cluster score (0..100).
WEIGHT_UNIT = 1000
GROUPING_FIELDS = ("region", "zone", "provider")


def _select_error(message: str) -> ScheduleError:
    return ScheduleError("SchedulerError", f"failed to select clusters: {message}")


def is_static_weighted(placement: Placement) -> bool:
    """Divided + Weighted without dynamicWeight: spread constraints are ignored."""
    scheduling = placement.replica_scheduling
    if scheduling is None or scheduling.type != "Divided":
        return False
    return scheduling.division_preference in ("", "Weighted") and not scheduling.dynamic_weight


def is_duplicated(placement: Placement) -> bool:
    scheduling = placement.replica_scheduling
    return scheduling is None or scheduling.type == "Duplicated"


def select_clusters(placement: Placement, candidates: list[Candidate], replicas: int) -> list[Candidate]:
    """The clusters the binding goes to; raises ScheduleError("SchedulerError", ...)."""
    constraints = list(placement.spread_constraints or [])
    if not constraints or is_static_weighted(placement):
        return list(candidates)
    # Duplicated copies the whole workload everywhere: capacity does not decide.
    need_replicas = None if is_duplicated(placement) else replicas
    cluster_constraint = next((c for c in constraints if c.spread_by_field == "cluster"), None)
    grouping = _grouping_constraint(constraints)
    if grouping is not None:
        field, constraint, key = grouping
        return select_by_groups(field, key, constraint, cluster_constraint, candidates,
                                replicas, is_duplicated(placement))
    if cluster_constraint is None:      # no constraint left to apply
        return list(candidates)
    return select_by_cluster(cluster_constraint, candidates, need_replicas)


GroupKey = Callable[["Cluster"], "str | None"]     # the cluster's group, None when it has none


def _grouping_constraint(constraints: list) -> tuple[str, SpreadConstraint, GroupKey] | None:
    by_field = {c.spread_by_field: c for c in constraints if c.spread_by_field}
    keys: dict[str, GroupKey] = {
        "region": lambda cluster: cluster.region or None,
        "zone": lambda cluster: cluster.zones[0] if cluster.zones else None,
        "provider": lambda cluster: cluster.provider or None,
    }
    for field in GROUPING_FIELDS:
        if field in by_field:
            return field, by_field[field], keys[field]
    for constraint in constraints:
        if constraint.spread_by_label:
            label = constraint.spread_by_label
            return f"label {label}", constraint, lambda cluster, label=label: (cluster.labels or {}).get(label)
    return None


# --- cluster only -------------------------------------------------------------

def select_by_cluster(constraint: SpreadConstraint, candidates: list[Candidate],
                      need_replicas: int | None) -> list[Candidate]:
    """First maxGroups clusters; for Divided, swap in capacity until the replicas fit.

    Walking from the last chosen cluster backwards, each is swapped for the
    not-chosen cluster with the most available replicas, when that is more.
    """
    total = len(candidates)
    if total < constraint.min_groups:
        raise _select_error("the number of feasible clusters is less than spreadConstraint.MinGroups")
    need = min(constraint.max_groups, total)
    chosen = list(candidates[:need])
    if need_replicas is None:
        return chosen
    rest = list(candidates[need:])
    position = len(chosen) - 1
    while sum(c.available for c in chosen) < need_replicas and position >= 0:
        swap = _most_available(rest, above=chosen[position].available)
        if swap is not None:
            chosen[position], rest[swap] = rest[swap], chosen[position]
        position -= 1
    if sum(c.available for c in chosen) < need_replicas:
        raise _select_error(f"no enough resource when selecting {need} clusters")
    return _in_global_order(candidates, chosen)


def _most_available(clusters: list[Candidate], above: int) -> int | None:
    best, best_value = None, above
    for index, candidate in enumerate(clusters):
        if candidate.available > best_value:
            best, best_value = index, candidate.available
    return best


def _in_global_order(candidates: list[Candidate], chosen: list[Candidate]) -> list[Candidate]:
    names = {c.name for c in chosen}
    return [c for c in candidates if c.name in names]


# --- groups (region, and karmadactl's zone / provider / label) -----------------

@dataclass(frozen=True)
class Group:
    name: str
    value: int      # number of clusters in the group
    weight: int     # the group's score


def group_score(clusters: list[Candidate], replicas: int, duplicated: bool,
                group_min: int, cluster_min: int) -> int:
    """Karmada's calcGroupScore; clusters in global order."""
    if duplicated:
        valid = [c for c in clusters if c.available >= replicas]
        if not valid:
            return 0
        return len(valid) * WEIGHT_UNIT + sum(c.score for c in valid) // len(valid)
    target = math.ceil(replicas / max(group_min, 1))
    need_clusters = max(cluster_min, group_min)
    walked_available = walked_score = walked = 0
    for cluster in clusters:
        walked_available += cluster.available
        walked_score += cluster.score
        walked += 1
        if walked >= need_clusters and walked_available >= target:
            break
    if walked_available < target:
        return walked_available * WEIGHT_UNIT + walked_score // len(clusters)
    return target * WEIGHT_UNIT + walked_score // walked


def select_groups(groups: list[Group], min_groups: int, max_groups: int, target: int) -> list[Group]:
    """The best set of groups: [min_groups, max_groups] of them holding >= target clusters.

    Every feasible set is found by a depth-first walk over the groups sorted
    by cluster count ascending, score descending, name ascending; a set stops
    growing as soon as it is feasible. The best set has the largest summed
    score, then the most clusters, then was found first; a feasible set that
    is a prefix of the best one (groups ordered by score, then name) wins over
    it. Returns the chosen groups ordered by score descending, name ascending;
    [] when no set is feasible.
    """
    if not groups:
        return []
    ordered = sorted(groups, key=lambda g: (g.value, -g.weight, g.name))
    found: list[tuple[Group, ...]] = []
    path: list[Group] = []

    def walk(total: int, begin: int) -> None:
        if total >= target and min_groups <= len(path) <= max_groups:
            found.append(tuple(sorted(path, key=lambda g: (-g.weight, g.name))))
            return
        if len(path) >= max_groups:
            return
        for index in range(begin, len(ordered)):
            path.append(ordered[index])
            walk(total + ordered[index].value, index + 1)
            path.pop()

    walk(0, 0)
    if not found:
        return []
    ranked = sorted(range(len(found)), key=lambda i: (-sum(g.weight for g in found[i]),
                                                      -sum(g.value for g in found[i]), i))
    best = found[ranked[0]]
    for index in ranked[1:]:
        candidate = found[index]
        if len(candidate) < len(best) and [g.name for g in best[:len(candidate)]] == [g.name for g in candidate]:
            best = candidate
    return list(best)


def select_by_groups(field: str, key: GroupKey, group_constraint: SpreadConstraint,
                     cluster_constraint: SpreadConstraint | None, candidates: list[Candidate],
                     replicas: int, duplicated: bool) -> list[Candidate]:
    """Karmada's region selection, for any grouping key (§2.5)."""
    members: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        value = key(candidate.cluster)
        if value is not None:       # the property filter already dropped clusters without one
            members.setdefault(value, []).append(candidate)
    if len(members) < group_constraint.min_groups:
        raise _select_error(f"the number of feasible {field} is less than spreadConstraint.MinGroups")
    cluster_min = cluster_constraint.min_groups if cluster_constraint else 0
    cluster_max = cluster_constraint.max_groups if cluster_constraint else 0
    groups = [Group(name, len(clusters),
                    group_score(clusters, replicas, duplicated, group_constraint.min_groups, cluster_min))
              for name, clusters in members.items()]
    chosen = select_groups(groups, group_constraint.min_groups, group_constraint.max_groups, cluster_min)
    if not chosen:
        raise _select_error("the number of clusters is less than the cluster spreadConstraint.MinGroups")
    # The best cluster of every chosen group, then the rest by global order up to cluster maxGroups.
    selected = [members[group.name][0] for group in chosen]
    chosen_names = {group.name for group in chosen}
    taken = {c.name for c in selected}
    rest = [c for c in candidates if key(c.cluster) in chosen_names and c.name not in taken]
    room = min(len(selected) + len(rest), cluster_max) - len(selected)
    if room > 0:
        selected.extend(rest[:room])
    return _in_global_order(candidates, selected)
