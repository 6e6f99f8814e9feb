"""The scheduler's filter stage: which clusters may hold a binding at all.

Karmada runs its in-tree filter plugins on every cluster that is not being
deleted and keeps a cluster only if all of them pass; the first plugin that
rejects gives the cluster's reason. When no cluster is left, the reasons are
counted into a FitError message ("0/N clusters are available: ..."), which
becomes condition Scheduled=False with reason NoClusterFit.

Plugins, in the order karmadactl runs them (Karmada's registry is a map, so
its order is unspecified; this one is fixed so messages are reproducible):
APIEnablement, TaintToleration, ClusterAffinity, SpreadConstraint,
ClusterEviction. Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.policy import ClusterAffinity
    from karmadactl.scheduler.types import ScheduleRequest

# Reason texts as Karmada's plugins write them (pkg/scheduler/framework/plugins).
REASON_NO_API = "cluster(s) did not have the API resource"
REASON_AFFINITY = "cluster(s) did not match the placement cluster affinity constraint"
REASON_EVICTION = "cluster(s) is in the process of eviction"
REASON_NO_PROVIDER = "cluster(s) did not have provider property"
REASON_NO_REGION = "cluster(s) did not have region property"
REASON_NO_ZONES = "cluster(s) did not have zones property"

# Taint effects that keep new placements away; PreferNoSchedule is ignored.
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


@dataclass(frozen=True)
class FilterContext:
    """What every filter looks at besides the cluster itself."""

    request: ScheduleRequest
    tiers: tuple[ClusterAffinity | None, ...]   # primary affinity, then overflow groups; None matches all
    previous: frozenset[str]                          # clusters already in spec.clusters


Filter = Callable[[FilterContext, "Cluster"], str | None]


def is_deleting(cluster: Cluster) -> bool:
    return bool((cluster.metadata or {}).get("deletionTimestamp"))


def api_enabled(cluster: Cluster, api_version: str, kind: str) -> bool:
    """Whether the member serves api_version/kind, as the scheduler sees it.

    Karmada accepts only an API listed in status.apiEnablements. karmadactl
    adds one rule (cli.md): a Cluster without status.apiEnablements at all
    (e.g. in an offline plan) serves every API.
    """
    status = cluster.status or {}
    if "apiEnablements" not in status:
        return True
    for group in status.get("apiEnablements") or []:
        if group.get("groupVersion") != api_version:
            continue
        if any(resource.get("kind") == kind for resource in group.get("resources") or []):
            return True
    return False


def untolerated_taint(cluster: Cluster, tolerations: Iterable) -> object | None:
    """The first NoSchedule/NoExecute taint no toleration tolerates, else None."""
    tolerations = list(tolerations)
    for taint in cluster.taints:
        if taint.effect not in BLOCKING_EFFECTS:
            continue
        if not any(toleration.tolerates(taint) for toleration in tolerations):
            return taint
    return None


def matching_tier(tiers: tuple, cluster: Cluster) -> int | None:
    """Index of the first affinity tier the cluster matches (0 = primary), else None."""
    for order, affinity in enumerate(tiers):
        if affinity is None or affinity.matches(cluster):
            return order
    return None


def spread_property_missing(cluster: Cluster, constraints: Iterable) -> str | None:
    """The reason a cluster lacks a property some spread constraint groups by, else None."""
    for constraint in constraints:
        field = constraint.spread_by_field
        if field == "provider" and not cluster.provider:
            return REASON_NO_PROVIDER
        if field == "region" and not cluster.region:
            return REASON_NO_REGION
        if field == "zone" and not cluster.zones:
            return REASON_NO_ZONES
        label = constraint.spread_by_label
        if label and label not in (cluster.labels or {}):
            # Not a Karmada text: Karmada never filters on spreadByLabel.
            return f"cluster(s) did not have label {label}"
    return None


# --- the plugins --------------------------------------------------------------

def filter_api_enablement(ctx: FilterContext, cluster: Cluster) -> str | None:
    if cluster.name in ctx.previous or not ctx.request.kind:
        return None
    if api_enabled(cluster, ctx.request.api_version, ctx.request.kind):
        return None
    return REASON_NO_API


def filter_taint_toleration(ctx: FilterContext, cluster: Cluster) -> str | None:
    # Existing placements stay: the taint manager, not the scheduler, evicts them.
    if cluster.name in ctx.previous:
        return None
    taint = untolerated_taint(cluster, ctx.request.placement.cluster_tolerations or [])
    if taint is None:
        return None
    return f"cluster(s) had untolerated taint {{{taint}}}"


def filter_cluster_affinity(ctx: FilterContext, cluster: Cluster) -> str | None:
    return None if matching_tier(ctx.tiers, cluster) is not None else REASON_AFFINITY


def filter_spread_constraint(ctx: FilterContext, cluster: Cluster) -> str | None:
    return spread_property_missing(cluster, ctx.request.placement.spread_constraints or [])


def filter_cluster_eviction(ctx: FilterContext, cluster: Cluster) -> str | None:
    return REASON_EVICTION if cluster.name in (ctx.request.evicted or ()) else None


FILTERS: tuple[tuple[str, Filter], ...] = (
    ("APIEnablement", filter_api_enablement),
    ("TaintToleration", filter_taint_toleration),
    ("ClusterAffinity", filter_cluster_affinity),
    ("SpreadConstraint", filter_spread_constraint),
    ("ClusterEviction", filter_cluster_eviction),
)


def run_filters(ctx: FilterContext, cluster: Cluster) -> str | None:
    """The reason of the first plugin that rejects the cluster, else None."""
    for _, plugin in FILTERS:
        reason = plugin(ctx, cluster)
        if reason is not None:
            return reason
    return None


@dataclass
class FilterOutcome:
    feasible: list[tuple[Cluster, int]]   # (cluster, overflow order), input order kept
    rejected: dict[str, str]                # cluster name -> reason
    total: int                              # every cluster given, deleting ones included


def find_feasible(ctx: FilterContext, clusters: Iterable[Cluster]) -> FilterOutcome:
    clusters = list(clusters)
    outcome = FilterOutcome(feasible=[], rejected={}, total=len(clusters))
    for cluster in clusters:
        if is_deleting(cluster):
            continue
        reason = run_filters(ctx, cluster)
        if reason is None:
            order = matching_tier(ctx.tiers, cluster)
            outcome.feasible.append((cluster, order or 0))
        else:
            outcome.rejected[cluster.name] = reason
    return outcome


def fit_error_message(total: int, rejected: dict[str, str]) -> str:
    """Karmada's FitError text: reasons counted, "<count> <reason>" sorted as strings."""
    if total == 0 or not rejected:
        return f"0/{total} clusters are available: no cluster exists."
    histogram = Counter(rejected.values())
    parts = sorted(f"{count} {reason}" for reason, count in histogram.items())
    return f"0/{total} clusters are available: {', '.join(parts)}."
