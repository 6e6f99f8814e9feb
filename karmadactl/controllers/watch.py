"""The control loop: Karmada's cluster-status, taint-manager, graceful-eviction and
application-failover controllers, and the reconcile pass, run one pass at a time.

Each pass, while this process holds the watch lease:
  1. probe every member (`/readyz`, `/healthz` on 404) and publish Ready only
     after the new state held for its threshold; refresh version, APIs and
     capacity while healthy; set the NoSchedule taints, and the NoExecute taint
     of a cluster not ready past the threshold (failover, on by default);
  2. read the members' object status back;
  3. evict bindings from NoExecute-tainted clusters they do not tolerate and
     from clusters where their application stayed unhealthy, rate-limited;
     settle graceful eviction tasks; on recovery, rebalance if asked;
     run the CronFederatedHPA rules that are due (cronfhpa.py) and evaluate the
     FederatedHPAs (fhpa.py: every 15s, all of them in a new watch), which set
     their targets' replicas;
  4. run the reconcile pass (reschedule, push, drift repair every resync
     interval) to the ready members;
  5. remove leftovers on clusters that just recovered.
The decisions themselves are pure functions in health.py and eviction.py.

A running watch remembers what its passes left (changes.Memory). A steady pass, nothing changed
and no resync due: renew the lease, probe every member, one LIST per kind and namespace (a GET
for a kind with few objects) to read the members' objects back, the time-driven decisions of
step 3, and no more: a Work whose member object and own version are those last read back is
neither decoded nor interpreted, and the plan, the push and the aggregation are skipped while
the store's objects (its Lease, FederatedHPA records and Pull agents' heartbeats aside) are as they
left them. Any change runs them as a full pass would; the push also runs again after a failure,
and for a changed set of ready members; the resync runs everything. A new watch (`--once`)
runs every stage.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.apis.karmada import ResourceBinding, load_binding
from karmadactl.apis.kinds import BINDINGS
from karmadactl.apis.meta import rfc3339
from karmadactl.apis.wellknown import EVICTED_FROM, UNHEALTHY_SINCE
from karmadactl.controllers import changes, eviction, health, heartbeat, lease
from karmadactl.errors import Conflict, KarmadaError
from karmadactl.members.fanout import Fleet
from karmadactl.store.keys import ObjectKey

log = logging.getLogger(__name__)

TAINT_POLICY_GK = "ClusterTaintPolicy.policy.karmada.io"
PROBES_AT_ONCE = 8


@dataclass
class Options:
    probe_interval: timedelta = timedelta(seconds=10)
    failure_threshold: timedelta = timedelta(seconds=30)
    success_threshold: timedelta = timedelta(seconds=30)
    eviction_timeout: timedelta = timedelta(minutes=10)
    resync_interval: timedelta = timedelta(seconds=60)
    failover: bool = True
    rebalance_on_recovery: bool = False
    eviction_rate: float = 10.0        # evictions per second, with a burst of `eviction_burst`
    eviction_burst: int = 100

    @property
    def lease_duration(self) -> timedelta:
        return max(timedelta(seconds=5), 3 * self.probe_interval)


@dataclass
class PassResult:
    acted: bool                                   # False: another watch holds the lease
    ready: set[str] = field(default_factory=set)     # Ready and answering this pass
    recovered: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)   # became not ready this pass
    evictions: list[str] = field(default_factory=list)
    exit_code: int = 0


def identity() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Watcher:
    def __init__(self, store, options: Options, say: Callable[[str], None] | None = None,
                 holder: str | None = None, fleet: Fleet | None = None):
        self.store, self.options = store, options
        self.fleet = fleet if fleet is not None else Fleet(store)     # clients kept from pass to pass
        self.say = say or (lambda line: None)
        self.holder = holder or identity()
        self._last_resync: datetime | None = None
        self._last_status: dict[str, datetime] = {}
        self._tokens = float(options.eviction_burst)
        self._tokens_at: datetime | None = None
        self._unsaid: list[str] = []
        self.memory = changes.Memory()     # what the last passes left: the stages with nothing new are skipped

    # -- the pass ---------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> PassResult:
        from karmadactl.controllers import clusters as registry
        from karmadactl.controllers import cronfhpa, fhpa, reconcile, status

        now = now or datetime.now(UTC)
        if not lease.acquire(self.store, self.holder, self.options.lease_duration, now):
            self.memory = changes.Memory()       # another watch acts meanwhile: start afresh when back
            return PassResult(acted=False)
        result = PassResult(acted=True)
        self._unsaid = []            # lines of a pass that failed before committing are never said
        self._health(now, result)
        if not result.failed and result.ready:    # a cluster just failed: move its workloads first
            status.refresh(self.store, clusters=result.ready, fleet=self.fleet, memory=self.memory)
            seen = self.memory.fingerprint(self.store)
            if self.memory.due("read-back aggregate", seen):     # not the pass's own, which quotas follow
                status.aggregate(self.store, rfc3339(now), works=self.memory.works)
                self.memory.ran("read-back aggregate", seen)
        self._evict(now, result)
        cronfhpa.run_due_rules(self.store, now, self.say)
        fhpa.sync_due(self.store, now, self.say, self.fleet, every=self._last_resync is None)   # a new watch: all
        resync = self._last_resync is None or now - self._last_resync >= self.options.resync_interval
        if resync:
            self._last_resync = now
        _, report = reconcile.run_pass(self.store, rfc3339(now), live_check=resync, only_clusters=result.ready,
                                       fleet=self.fleet, memory=self.memory)
        if report is not None:
            for o in report.outcomes:
                if not o.ok:
                    self.say(f"push to {o.cluster} failed: {o.reference}: {o.message}")
            result.exit_code = int(report.exit_code)
        for name in sorted(result.recovered):
            for line in registry.prune_orphans(self.store, only_clusters={name}, fleet=self.fleet):
                self.say(f"leftover removed: {line}")
        return result

    def run(self, stop: threading.Event) -> None:
        """Pass after pass until `stop` is set; a standby checks the lease at the same pace."""
        acting: bool | None = None
        interval = self.options.probe_interval.total_seconds()
        next_pass = time.monotonic()
        try:
            while not stop.is_set():
                started = datetime.now(UTC)
                try:
                    result = self.run_once(started)
                except KarmadaError as e:
                    self.say(f"pass failed: {e}")
                    result = PassResult(acted=acting is not False)
                if result.acted != acting:
                    self.say(f"acting as {self.holder}" if result.acted else
                             f"standing by: another watch holds the lease ({lease.holder(self.store)})")
                    acting = result.acted
                next_pass += interval     # a fixed schedule: a slow pass does not push later probes back
                if next_pass < time.monotonic():
                    next_pass = time.monotonic()
                stop.wait(max(0.0, next_pass - time.monotonic()))
        finally:
            lease.release(self.store, self.holder)
            self.close()

    def close(self) -> None:
        """Close the members' clients (a pass after this makes them again)."""
        self.fleet.close()

    # -- 1. health and taints ---------------------------------------------------------------

    def _health(self, now: datetime, result: PassResult) -> None:
        from karmadactl.members.status import collect_status

        with self.store.read() as tx:
            clusters = [Cluster.from_dict(c) for c in tx.list(CLUSTER_GK)]
            taint_policies = tx.list(TAINT_POLICY_GK)

        def probe(cluster: Cluster, client) -> tuple[str, str, dict | None]:
            try:
                state, message = client.health()
                fresh = None
                last = self._last_status.get(cluster.name)
                if state == "Ready" and (cluster.ready != "True" or last is None
                                         or now - last >= self.options.resync_interval):
                    fresh = collect_status(client, cluster.status, rfc3339(now), probed=(state, message))
                    self._last_status[cluster.name] = now
                return state, message, fresh
            except KarmadaError as e:
                return "Unreachable", str(e), None

        thresholds = health.Thresholds(self.options.failure_threshold, self.options.success_threshold)
        probed = [c for c in clusters if self.fleet.reaches(c)]
        probes = self.fleet.each(probed, probe, at_once=PROBES_AT_ONCE)
        for cluster in clusters:
            if not self.fleet.reaches(cluster):    # Pull: its agent posts the status; its Lease says it is alive
                self._publish_pulled(cluster.name, now, taint_policies, result)
                continue
            if cluster.name in probes.values:
                state, message, fresh = probes.values[cluster.name]
            else:                   # no client could be made
                state, message, fresh = "CollectionFailed", probes.errors[cluster.name], None
            self._publish(cluster.name, state, message, fresh, now, thresholds, taint_policies, result)

    def _publish(self, name: str, state: str, message: str, fresh: dict | None, now: datetime,
                 thresholds, taint_policies: list[dict], result: PassResult) -> None:
        """Store one cluster's new Ready condition, status and taints (CAS; re-read on conflict)."""

        def change(tx, cluster: Cluster) -> Cluster:
            if fresh:
                conditions = cluster.status.get("conditions")
                cluster.status = {**fresh, **({"conditions": conditions} if conditions else {})}
            cluster = health.observe(cluster, state, message, now, thresholds)
            cluster.taints = health.desired_taints(cluster, now, failover=self.options.failover,
                                                   taint_policies=taint_policies)
            return cluster

        try:
            published = self._store_cluster(name, change, result)
        except Conflict:                # a conflict each time: what the other writers stored
            with self.store.read() as tx:
                stored = tx.get(ObjectKey(CLUSTER_GK, "", name))
            published = Cluster.from_dict(stored) if stored else None
        if published is not None and published.ready == "True" and state == "Ready":
            result.ready.add(name)      # a cluster failing but not yet past its threshold is left alone

    def _publish_pulled(self, name: str, now: datetime, taint_policies: list[dict], result: PassResult) -> None:
        """A Pull cluster: Ready=Unknown once its agent's Lease is stale (heartbeat.py), taints from Ready."""
        from karmadactl.members.status import set_condition

        def change(tx, cluster: Cluster) -> Cluster:
            quiet = heartbeat.silence(cluster, tx.get(heartbeat.lease_key(name)), now)
            if quiet is not None:
                cluster.status = {**cluster.status, "conditions": set_condition(
                    cluster.status.get("conditions"), quiet.condition(), health.timestamp(now))}
            cluster.taints = health.desired_taints(cluster, now, failover=self.options.failover,
                                                   taint_policies=taint_policies)
            return cluster

        try:
            published = self._store_cluster(name, change, result)
        except Conflict:                # the agent wrote its status meanwhile, each time
            return
        if published is not None and published.ready == "True":
            result.ready.add(name)

    def _store_cluster(self, name: str, change: Callable[[Any, Cluster], Cluster],
                       result: PassResult) -> Cluster | None:
        """Store change(tx, a copy of the stored cluster) and its events; compare-and-swap, tried three
        times, then Conflict. None when the cluster is no longer stored."""
        for attempt in range(3):
            try:
                with self.store.write() as tx:
                    current = tx.get(ObjectKey(CLUSTER_GK, "", name))
                    if current is None:
                        return None
                    before = Cluster.from_dict(current)
                    cluster = change(tx, replace(before))   # change() leaves `before` as it is
                    desired = cluster.to_dict()
                    if desired != before.to_dict():
                        tx.update(desired)
                        self._note_changes(tx, before, cluster, result)
                self._flush(committed=True)
                return cluster
            except Conflict:
                self._flush(committed=False)
                if attempt == 2:
                    raise
        return None

    def _note_changes(self, tx, before: Cluster, after: Cluster, result: PassResult) -> None:
        name = after.name
        if before.ready != after.ready:
            condition = after.condition("Ready") or {}
            if after.ready == "True":
                if before.condition("Ready") is not None:
                    result.recovered.add(name)
                self._event(tx, name, "Normal", "ClusterReady", f"cluster {name} is ready")
            else:
                result.failed.add(name)
                self._event(tx, name, "Warning", condition.get("reason", "ClusterNotReady"),
                            f"cluster {name} is not ready: {condition.get('message', '')}")
        old = {str(t) for t in before.taints}
        new = {str(t) for t in after.taints}
        for taint in sorted(new - old):
            self._event(tx, name, "Warning" if "NoExecute" in taint else "Normal", "TaintAdded",
                        f"cluster {name}: taint {taint} added")
        for taint in sorted(old - new):
            self._event(tx, name, "Normal", "TaintRemoved", f"cluster {name}: taint {taint} removed")

    def _event(self, tx, name: str, type_: str, reason: str, message: str, kind: str = "Cluster",
               namespace: str = "") -> None:
        """Record a decision; its log line is said once the transaction has committed (_flush)."""
        tx.add_event(kind=kind, name=name, namespace=namespace, type=type_, reason=reason, message=message)
        self._unsaid.append(message)

    def _flush(self, committed: bool) -> None:
        lines, self._unsaid = self._unsaid, []
        if committed:
            for line in lines:
                self.say(line)

    # -- 3. evictions -------------------------------------------------------------------------

    def _allowance(self, now: datetime) -> int:
        if self._tokens_at is not None:
            refill = (now - self._tokens_at).total_seconds() * self.options.eviction_rate
            self._tokens = min(float(self.options.eviction_burst), self._tokens + refill)
        self._tokens_at = now
        return int(self._tokens)

    def _evict(self, now: datetime, result: PassResult) -> None:
        with self.store.read() as tx:
            clusters = {c["metadata"]["name"]: Cluster.from_dict(c) for c in tx.list(CLUSTER_GK)}
        budget = self._allowance(now)
        try:
            with self.store.write() as tx:
                for gk in BINDINGS:
                    for binding in map(load_binding, tx.list(gk)):
                        changed, spent = self._evict_binding(tx, binding, clusters, now, budget, result)
                        budget -= spent
                        self._tokens -= spent
                        if changed != binding:
                            tx.update(changed.to_dict())
        except BaseException:
            self._flush(committed=False)
            raise
        self._flush(committed=True)

    def _evict_binding(self, tx, binding: ResourceBinding, clusters: dict[str, Cluster], now: datetime,
                       budget: int, result: PassResult) -> tuple[ResourceBinding, int]:
        meta = binding.metadata
        ref = f"{meta.namespace + '/' if meta.namespace else ''}{meta.name}"
        annotations = meta.annotations or {}
        updated = binding
        spent = 0
        due, _ = eviction.taint_evictions(updated, clusters, now)
        timers = json.loads(annotations.get(UNHEALTHY_SINCE, "{}"))
        failing, timers = eviction.application_evictions(updated, timers, now)
        for cluster, reason, producer in ([(c, "TaintUntolerated", "TaintManager") for c in due]
                                          + [(c, "ApplicationFailure", "ApplicationFailover") for c in failing]):
            if spent >= budget:
                self.say(f"eviction of {ref} from {cluster} postponed: eviction rate limit")
                break
            if cluster not in updated.spec.target_names():
                continue
            purge_mode, grace = eviction.purge_mode_for(updated, reason)
            updated = eviction.evict(updated, cluster, reason=reason, producer=producer, now=now,
                                     purge_mode=purge_mode, grace_period_seconds=grace)
            if reason == "TaintUntolerated":     # remembered for --rebalance-on-recovery
                moved = set(filter(None, (updated.metadata.annotation(EVICTED_FROM) or "").split(",")))
                updated = _annotated(updated, EVICTED_FROM, ",".join(sorted(moved | {cluster})))
            spent += 1
            result.evictions.append(f"{ref}@{cluster}")
            self._event(tx, meta.name, "Warning", "EvictWorkload",
                        f"{binding.kind} {ref} evicted from {cluster} ({reason}, purge {purge_mode})",
                        kind=binding.kind, namespace=meta.namespace or "")
        if timers != json.loads(annotations.get(UNHEALTHY_SINCE, "{}")):
            updated = _annotated(updated, UNHEALTHY_SINCE, json.dumps(timers, sort_keys=True) if timers else None)
        settled = eviction.settle_tasks(updated, now, self.options.eviction_timeout)
        gone = ({t["fromCluster"] for t in updated.spec.graceful_eviction_tasks or []}
                - {t["fromCluster"] for t in settled.spec.graceful_eviction_tasks or []})
        if gone:
            self._event(tx, meta.name, "Normal", "EvictionDone",
                        f"{binding.kind} {ref}: eviction from {','.join(sorted(gone))} is over, an old copy "
                        "left there goes (new copies healthy or grace period over)",
                        kind=binding.kind, namespace=meta.namespace or "")
        updated = settled
        if self.options.rebalance_on_recovery:
            back = {n for n in result.ready if n in clusters
                    and not any(t.effect == "NoExecute" for t in clusters[n].taints)}
            updated = self._rebalance(tx, updated, back, now, ref)
        return updated, spent

    def _rebalance(self, tx, binding: ResourceBinding, ready: set[str], now: datetime, ref: str
                   ) -> ResourceBinding:
        """Beyond Karmada: a Divided workload moved away from a cluster that is ready again is divided
        afresh, once the eviction from that cluster is settled (its old copy gone)."""
        moved = set(filter(None, (binding.metadata.annotation(EVICTED_FROM) or "").split(",")))
        evicting = {t["fromCluster"] for t in binding.spec.graceful_eviction_tasks or []}
        recovered = (moved & ready) - evicting
        placement = binding.spec.placement or {}
        scheduling = placement.get("replicaScheduling") or {}
        if not recovered or (scheduling.get("replicaSchedulingType") != "Divided"
                             and not placement.get("clusterAffinities")):
            return binding
        if ((binding.status.last_scheduled_time if binding.status else None) or "") >= rfc3339(now):
            # Times have whole seconds and the scheduler divides afresh only when rescheduleTriggeredAt
            # is after lastScheduledTime: a trigger in the second of the last schedule (the eviction's,
            # when the cluster came back quickly) would be ignored for good. Wait for the next second.
            return binding
        left = moved - recovered
        updated = _annotated(binding, EVICTED_FROM, ",".join(sorted(left)) if left else None)
        updated.spec = replace(binding.spec, reschedule_triggered_at=rfc3339(now))
        self._event(tx, binding.metadata.name, "Normal", "Rebalance",
                    f"{binding.kind} {ref} rescheduled afresh: {','.join(sorted(recovered))} recovered",
                    kind=binding.kind, namespace=binding.metadata.namespace or "")
        return updated


def _annotated(binding: ResourceBinding, key: str, value: str | None) -> ResourceBinding:
    """A copy of the binding with one annotation set (removed when `value` is None)."""
    annotations = binding.metadata.annotations
    if value is not None:
        annotations = {**(annotations or {}), key: value}
    elif annotations is not None:
        annotations = {k: v for k, v in annotations.items() if k != key}
    return replace(binding, metadata=replace(binding.metadata, annotations=annotations))
