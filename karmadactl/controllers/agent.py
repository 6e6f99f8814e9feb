"""Pull mode's agent: one member's Works pushed from beside it, its status and heartbeat posted back.

Karmada's karmada-agent runs, for its own cluster only, the cluster-status
controller (Ready with the 30s thresholds, version, APIs, capacity; the Lease),
the execution controller and the work-status controller (cmd/agent/app/agent.go:
startClusterStatusController, startExecutionController, startWorkStatusController). `Agent.run_once` is one
pass of all of them, with the same code the central side uses for Push clusters
(execution.execute, status.refresh, clusters.prune_orphans) over a Fleet that
reaches this one member. It writes nothing but its own cluster's rows: the
Cluster's status, its Works and their status, its Lease and events. As a
running watch does (changes.Memory), a pass pushes only when the store changed
since the last push, that push failed or a resync is due, and re-interprets
only the Works or member objects that changed.

The pending Ready observation (health.observe's threshold timing) is kept in the
process, as Karmada's agent keeps it, not in an annotation: an agent may change
only the status of its Cluster.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.apis.meta import rfc3339
from karmadactl.apis.wellknown import HEALTH_PENDING
from karmadactl.controllers import health, heartbeat
from karmadactl.controllers.changes import Memory
from karmadactl.errors import InvalidInput, KarmadaError, NotFound
from karmadactl.members.fanout import Factory, Fleet
from karmadactl.store.keys import ObjectKey

log = logging.getLogger(__name__)


@dataclass
class Options:
    interval: timedelta = timedelta(seconds=10)             # --cluster-status-update-frequency
    resync_interval: timedelta = timedelta(seconds=60)      # member objects compared and repaired
    thresholds: health.Thresholds = field(default_factory=health.Thresholds)


@dataclass
class PassResult:
    ready: str = "Unknown"                     # the Ready status posted
    pushed: int = 0                            # Works applied or removed this pass
    failed: list[str] = field(default_factory=list)    # "<reference>: <message>" per failed Work
    unreadable: str = ""                       # why the member's objects could not be read back
    pruned: list[str] = field(default_factory=list)


class Agent:
    def __init__(self, store: Any, cluster: str, factory: Factory, options: Options | None = None,
                 say: Callable[[str], None] | None = None):
        self.store, self.name = store, cluster
        self.options = options or Options()
        self.fleet = Fleet(store, factory, agent_of=cluster)
        self.say = say or (lambda line: None)
        self._pending: str | None = None
        self._last_resync: datetime | None = None
        self._pruned = False
        self.memory = Memory()      # what the last passes left: no push, no read-back of what is unchanged

    def run_once(self, now: datetime | None = None) -> PassResult:
        from karmadactl.controllers import clusters, execution, status

        now = now or datetime.now(UTC)
        cluster = self._own()
        result = PassResult()
        result.ready = self._post_status(cluster, now)
        self._renew(cluster, now)
        if result.ready != "True":      # nothing applied to an unready member (Karmada's execution controller,
            return result               # pkg/controllers/execution/execution_controller.go Reconcile)
        resync = self._last_resync is None or now - self._last_resync >= self.options.resync_interval
        if resync:
            self._last_resync = now
        seen = self.memory.fingerprint(self.store)
        if resync or self.memory.push_due(seen, {self.name}):
            report = execution.execute(self.store, now=rfc3339(now), live_check=resync, only_clusters={self.name},
                                       fleet=self.fleet, works=self.memory.works)
            self.memory.pushed(seen, {self.name}, failed=bool(report.failed_clusters))
            result.pushed = len(report.outcomes)
            result.failed = [f"{o.reference}: {o.message}" for o in report.outcomes if not o.ok]
        failures = status.refresh(self.store, clusters={self.name}, fleet=self.fleet, memory=self.memory)
        result.unreadable = failures.get(self.name, "")
        if not self._pruned:      # after a crash: what no Work wants any more
            result.pruned = clusters.prune_orphans(self.store, only_clusters={self.name}, fleet=self.fleet)
            self._pruned = True
        return result

    def run(self, stop: threading.Event) -> None:
        """Pass after pass until `stop` is set (SIGTERM, SIGINT): a pass in progress finishes first."""
        interval = self.options.interval.total_seconds()
        next_pass = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    result = self.run_once()
                    for line in result.failed:
                        self.say(f"push to {self.name} failed: {line}")
                    if result.unreadable:
                        self.say(f"status of {self.name} not read: {result.unreadable}")
                    for line in result.pruned:
                        self.say(f"leftover removed: {line}")
                except KarmadaError as e:
                    self.say(f"pass failed: {e}")
                next_pass = max(next_pass + interval, time.monotonic())
                stop.wait(max(0.0, next_pass - time.monotonic()))
        finally:
            self.close()

    def close(self) -> None:
        self.fleet.close()

    # -- the steps ------------------------------------------------------------------------------

    def _own(self) -> Cluster:
        with self.store.read() as tx:
            obj = tx.get(ObjectKey(CLUSTER_GK, "", self.name))
        if obj is None:
            raise NotFound(f'cluster "{self.name}" not found: register it first (karmadactl register)')
        cluster = Cluster.from_dict(obj)
        if not cluster.pull:
            raise InvalidInput(f"cluster {self.name} is in {cluster.sync_mode} mode: the agent serves Pull clusters")
        return cluster

    def _post_status(self, cluster: Cluster, now: datetime) -> str:
        """Probe the member, read its status when healthy, publish Ready with the thresholds; returns
        the Ready status stored."""
        from karmadactl.members.status import collect_status
        from karmadactl.store.objects import retrying

        fresh = None
        try:
            client = self.fleet.client(cluster)
            state, message = client.health()
            if state == "Ready":
                fresh = collect_status(client, cluster.status, rfc3339(now))
        except KarmadaError as e:
            state, message = "Unreachable", str(e)
        published: dict[str, Any] = {}

        def write(tx) -> str:
            current = tx.get(ObjectKey(CLUSTER_GK, "", self.name))
            if current is None:
                raise NotFound(f'cluster "{self.name}" not found')
            observed = self._observe(Cluster.from_dict(current), fresh, state, message, now)
            published["pending"] = (observed.metadata.get("annotations") or {}).get(HEALTH_PENDING)
            if observed.status != (current.get("status") or {}):
                current["status"] = observed.status
                tx.update(current)
            return observed.ready

        ready = retrying(self.store, write)
        self._pending = published.get("pending")
        return ready

    def _observe(self, cluster: Cluster, fresh: dict | None, state: str, message: str, now: datetime) -> Cluster:
        seen = copy.deepcopy(cluster)
        conditions = [c for c in seen.status.get("conditions") or []
                      if not (c.get("type") == "Ready" and c.get("status") == "Unknown")]   # the monitor's
        if fresh:
            seen.status = {**fresh, "conditions": conditions}
        else:
            seen.status = {**seen.status, "conditions": conditions}
        if not conditions:
            seen.status.pop("conditions")
        annotations = {k: v for k, v in (seen.metadata.get("annotations") or {}).items() if k != HEALTH_PENDING}
        if self._pending:
            annotations[HEALTH_PENDING] = self._pending
        seen.metadata["annotations"] = annotations
        return health.observe(seen, state, message, now, self.options.thresholds)

    def _renew(self, cluster: Cluster, now: datetime) -> None:
        from karmadactl.store.objects import retrying

        retrying(self.store, lambda tx: heartbeat.renew(tx, cluster, now))
