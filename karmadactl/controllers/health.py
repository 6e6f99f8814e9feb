"""Cluster health decisions for `watch`: the Ready condition and the cluster's taints.

Pure: functions take a Cluster and `now` and return a new Cluster or a taint list.

- `observe` is Karmada's cluster condition cache (cluster_condition_cache.go):
  a change of Ready between True and not-True is published only after the new
  state has held for the failure threshold (towards not-ready) or the success
  threshold (towards ready). Karmada keeps the pending observation in memory;
  karmadactl keeps it in an annotation so a restarted `watch` goes on timing.
- `desired_taints` is Karmada's cluster controller (NoSchedule taints from
  Ready), plus karmadactl's failover NoExecute taints (on by default in
  `watch`), or, when ClusterTaintPolicies exist, the taint policy controller.

Ready -> taint key (the same for NoSchedule and for failover's NoExecute), as Karmada's
cluster controller decides it (pkg/controllers/cluster/cluster_controller.go,
taintClusterByCondition):
  True                       -> none (both removed)
  False (any reason)         -> cluster.karmada.io/not-ready   (unreachable removed)
  Unknown (any reason)       -> cluster.karmada.io/unreachable (not-ready removed)
  no Ready condition yet     -> not-ready NoSchedule only
A member that does not answer a Push probe is Ready=False with reason
ClusterNotReachable, so it gets the not-ready taints; Unknown means the status
was not refreshed within a grace period, which Karmada only publishes for Pull
clusters.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from karmadactl.apis.cluster import TAINT_NOT_READY, TAINT_UNREACHABLE, Cluster, Taint
from karmadactl.apis.meta import micro_time, rfc3339
from karmadactl.apis.wellknown import HEALTH_PENDING
from karmadactl.members.status import conditions, ready_condition

NO_SCHEDULE = "NoSchedule"
NO_EXECUTE = "NoExecute"
_MANAGED_KEYS = (TAINT_NOT_READY, TAINT_UNREACHABLE)


@dataclass
class Thresholds:
    failure: timedelta = timedelta(seconds=30)
    success: timedelta = timedelta(seconds=30)


# Probes run on a fixed schedule; one whose timer fires a few milliseconds early must still see a
# threshold that is a whole number of intervals as held, or publishing slips a whole interval.
PROBE_JITTER = timedelta(milliseconds=100)


timestamp = rfc3339            # condition and taint times: whole seconds
micro_timestamp = micro_time  # a pending observation's start, so its threshold is timed exactly


def _since(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- Ready ----------------------------------------------------------------------------------

def pending(cluster: Cluster) -> dict | None:
    """The not-yet-published observation {"state", "since", "message"}, if any."""
    raw = (cluster.metadata.get("annotations") or {}).get(HEALTH_PENDING)
    if not raw:
        return None
    try:
        value = json.loads(raw)
        _since(value["since"])
        ready_condition(value["state"])
    except (ValueError, KeyError, TypeError):
        return None          # a damaged annotation: start timing afresh
    return value


def observe(cluster: Cluster, health: str, message: str, now: datetime,
            thresholds: Thresholds) -> Cluster:
    """A new Cluster with Ready published as Karmada's condition cache would.

    `health` is a probe answer ("Ready", "NotReady", "Unreachable", "CollectionFailed").
    Crossing between Ready=True and not-True waits for the threshold; until then the
    old condition stays and the observation is kept in HEALTH_PENDING. A cluster
    without a Ready condition publishes at once, and so does a change that does not
    cross (e.g. NotReady -> Unreachable: only reason and message change).
    """
    observed = ready_condition(health, message)["status"]
    current = cluster.condition("Ready")
    crossing = current is not None and (observed == "True") != (current.get("status") == "True")
    if crossing:
        held = pending(cluster)
        same = held is not None and ready_condition(held["state"])["status"] == observed
        since = _since(held["since"]) if held is not None and same else now
        threshold = thresholds.success if observed == "True" else thresholds.failure
        if now + PROBE_JITTER < since + threshold:
            record = {"state": health, "since": micro_timestamp(since), "message": message}
            return _with(cluster, status=copy.deepcopy(cluster.status),
                         pending_value=json.dumps(record, sort_keys=True))
    status = copy.deepcopy(cluster.status)
    status["conditions"] = conditions(health, message, timestamp(now), status.get("conditions"))
    return _with(cluster, status=status, pending_value=None)


def _with(cluster: Cluster, *, status: dict, pending_value: str | None) -> Cluster:
    """A copy of the cluster with `status` (the caller's own copy) and the pending annotation set."""
    metadata = copy.deepcopy(cluster.metadata)
    annotations = dict(metadata.get("annotations") or {})
    if pending_value is None:
        annotations.pop(HEALTH_PENDING, None)
    else:
        annotations[HEALTH_PENDING] = pending_value
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    return replace(cluster, status=status, metadata=metadata,
                   taints=list(cluster.taints), zones=list(cluster.zones), labels=dict(cluster.labels))


# -- taints ---------------------------------------------------------------------------------

def unhealthy_key(cluster: Cluster) -> str | None:
    """The taint key Ready calls for (see the module docstring); None when Ready is True."""
    ready = cluster.condition("Ready")
    if ready is None:
        return TAINT_NOT_READY
    status = ready.get("status")
    if status == "True":
        return None
    if status == "Unknown":
        return TAINT_UNREACHABLE
    return TAINT_NOT_READY


def desired_taints(cluster: Cluster, now: datetime, *, failover: bool,
                   taint_policies: list[dict] | None = None) -> list[Taint]:
    """The cluster's taints after the health controller (and the taint policies).

    Taints are identified by key and effect; one that stays keeps its value and
    timeAdded, a new one gets timeAdded=now. Other taints (the user's) are kept.
    With failover and no ClusterTaintPolicy, the not-ready/unreachable NoExecute
    taints follow the published Ready (none before Ready is first published).
    With policies, they decide instead (whether or not `failover` is set).
    """
    added = timestamp(now)
    key = unhealthy_key(cluster)
    taints = _reconcile(cluster.taints, {k: k == key for k in _MANAGED_KEYS}, NO_SCHEDULE, added)
    if taint_policies:
        return apply_taint_policies(replace(cluster, taints=taints), taint_policies, now)
    if failover:
        published = cluster.condition("Ready") is not None
        wanted = {k: published and k == key for k in _MANAGED_KEYS}
        taints = _reconcile(taints, wanted, NO_EXECUTE, added)
    return taints


def _reconcile(taints: list[Taint], wanted: dict[str, bool], effect: str, added: str) -> list[Taint]:
    """`taints` with key:effect present where wanted[key], absent where not."""
    result = [t for t in taints if not (t.effect == effect and t.key in wanted and not wanted[t.key])]
    for key, want in wanted.items():
        if want and not any(t.key == key and t.effect == effect for t in result):
            result.append(Taint(key, effect, "", added))
    return result


def apply_taint_policies(cluster: Cluster, policies: list[dict], now: datetime) -> list[Taint]:
    """Karmada's taint policy controller: policies in creationTimestamp order add their
    taints when addOnConditions match and remove them when removeOnConditions match."""
    from karmadactl.apis.policy import ClusterAffinity

    def created(policy: dict) -> tuple[str, str]:
        meta = policy.get("metadata") or {}
        return meta.get("creationTimestamp") or "", meta.get("name") or ""

    conds = cluster.status.get("conditions") or []
    taints = list(cluster.taints)
    for policy in sorted(policies, key=created):
        spec = policy.get("spec") or {}
        target = spec.get("targetClusters")
        if target is not None and not ClusterAffinity.from_dict(target, "targetClusters").matches(cluster):
            continue
        wanted = [(t.get("key", ""), t.get("effect", ""), t.get("value", "") or "")
                  for t in spec.get("taints") or []]
        if conditions_match(conds, spec.get("addOnConditions")):
            for key, effect, value in wanted:
                if not any(t.key == key and t.effect == effect for t in taints):
                    taints.append(Taint(key, effect, value, timestamp(now)))
        if conditions_match(conds, spec.get("removeOnConditions")):
            gone = {(key, effect) for key, effect, _ in wanted}
            taints = [t for t in taints if (t.key, t.effect) not in gone]
    return taints


def conditions_match(conds: list[dict], match: list[dict] | None) -> bool:
    """MatchConditions, ANDed; an empty list never matches; a missing condition never matches."""
    if not match:
        return False
    for rule in match:
        found = [c for c in conds if c.get("type") == rule.get("conditionType")]
        values = rule.get("statusValues") or []
        operator = rule.get("operator")
        if operator == "In":
            ok = any(c.get("status") in values for c in found)
        elif operator == "NotIn":
            ok = bool(found) and all(c.get("status") not in values for c in found)
        else:
            return False
        if not ok:
            return False
    return True
