"""`karmadactl watch` against sandbox members, with short thresholds: taints, failover, graceful and
direct eviction, recovery, flapping and application failover (the lease between two watches is
tested in test_team.py, on both backends).

Each test runs `watch` as its own process (as a user would) and polls the members through the
official client until the expected state shows, or fails after a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
import yaml

from tests import waiting
from tests.conftest import run_cli
from tests.waiting import stays

pytestmark = pytest.mark.slow     # several processes at once: skip locally with -m 'not slow'

FAST = ["--probe-interval", "200ms", "--failure-threshold", "600ms", "--success-threshold", "600ms",
        "--resync-interval", "1s"]


class Watch:
    """A background `karmadactl watch`; its stderr goes to a file the test can read."""

    def __init__(self, log_dir, *flags: str, home=None, store: str | None = None):
        self.log = log_dir / f"watch-{uuid.uuid4().hex[:6]}.log"
        self.stream = open(self.log, "w")
        store_flag = ["--store", store] if store else []
        self.process = subprocess.Popen([sys.executable, "-m", "karmadactl", *store_flag, "watch", *FAST, *flags],
                                        stdout=subprocess.DEVNULL, stderr=self.stream,
                                        env={**os.environ, **({"KARMADA_HOME": str(home)} if home else {})})

    @property
    def text(self) -> str:
        return self.log.read_text()

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stream.close()


@pytest.fixture
def watch(home):
    started = []

    def start(*flags: str) -> Watch:
        w = Watch(home.parent, *flags, home=home)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


@pytest.fixture
def joined(home, members):
    for m in members:
        assert run_cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path)).returncode == 0
    yield members
    for m in members:            # whatever a test did, the members answer again for the next one
        m.recover()


@pytest.fixture
def ns():
    return f"w-{uuid.uuid4().hex[:8]}"


def until(check, timeout: float = 30.0, every: float = 0.2):
    """Polling at the watch's own pace (its probe interval here is 200 ms). The deadline is only a bound
    for a failure: on two busy workers (-n 2, beside the eight-process tests) a failover can take 15 s."""
    return waiting.until(check, timeout, every)


def replicas(members, ns: str, name: str = "web") -> dict[str, int]:
    """Replicas per reachable member that holds the Deployment."""
    from kubernetes import client as k8s
    from kubernetes.config import new_client_from_config_dict

    out = {}
    for m in members:
        api = new_client_from_config_dict(m.kubeconfig(), persist_config=False)
        try:
            out[m.name] = k8s.AppsV1Api(api).read_namespaced_deployment(name, ns, _request_timeout=2).spec.replicas
        except Exception:
            pass
        finally:
            api.close()
    return out


def apply(tmp_path, ns: str, placement: dict, replicas_: int = 6, store: str | None = None, **spec) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
                  "spec": {"replicas": replicas_, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "web", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                       "placement": placement, **spec}}
    path = tmp_path / f"{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump_all([deployment, policy]))
    store_flag = ["--store", store] if store else []
    result = run_cli(*store_flag, "apply", "-f", str(path))
    assert result.returncode == 0, result.stderr


def watch_pass(now: datetime, **options) -> list[str]:
    """One pass at `now` in this process, as a fresh `watch --once` with these Options runs it; the lines it said."""
    from karmadactl.controllers import lease
    from karmadactl.controllers.watch import Options, Watcher
    from karmadactl.store import Store

    said: list[str] = []
    with Store.open() as store:
        watcher = Watcher(store, Options(**options), said.append)
        try:
            watcher.run_once(now)
        finally:
            watcher.close()
            lease.release(store, watcher.holder)
    return said


DIVIDED = {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                 "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}


def cluster(name: str) -> dict:
    return json.loads(run_cli("get", "clusters", name, "-o", "json").stdout)


def taint_keys(name: str) -> set[str]:
    return {f"{t['key']}:{t['effect']}" for t in cluster(name)["spec"].get("taints") or []}


def karmada_taints(name: str) -> set[str]:
    """The taints the watch puts on a cluster (cluster.karmada.io/...), not a user's."""
    return {k for k in taint_keys(name) if k.startswith("cluster.karmada.io/")}


def test_a_failed_member_is_tainted_and_its_replicas_move_then_it_recovers_clean(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    assert sum(replicas(joined, ns).values()) == 6 and replicas(joined, ns).get("member2")
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    # a Push member that does not answer is Ready=False (ClusterNotReachable), and Ready=False means the
    # not-ready taints (Karmada: pkg/controllers/status/cluster_status_controller.go generateReadyCondition;
    # pkg/controllers/cluster/cluster_controller.go taintClusterByCondition)
    until(lambda: "cluster.karmada.io/not-ready:NoExecute" in taint_keys("member2"))
    assert "cluster.karmada.io/not-ready:NoSchedule" in taint_keys("member2")
    assert not {k for k in taint_keys("member2") if k.startswith("cluster.karmada.io/unreachable")}
    ready = next(c for c in cluster("member2")["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ClusterNotReachable")
    moved = until(lambda: (r := replicas([m1, m3], ns)) and sum(r.values()) == 6 and r)
    assert set(moved) <= {"member1", "member3"}
    assert "evicted from member2" in w.text
    m2.recover()
    until(lambda: not {k for k in taint_keys("member2") if k.startswith("cluster.karmada.io/")})
    until(lambda: "member2" not in replicas(joined, ns))          # the leftover copy is removed
    ready = next(c for c in cluster("member2")["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"


def test_flapping_shorter_than_the_threshold_moves_nothing(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    before = replicas(joined, ns)
    w = watch("--failure-threshold", "3s")
    until(lambda: "acting as" in w.text)
    m2.fail()
    stays(lambda: not karmada_taints("member2"), 1.0)            # down for a third of the threshold
    m2.recover()
    stays(lambda: not karmada_taints("member2") and "evicted" not in w.text, 2.5)   # past it since the failure
    assert replicas(joined, ns) == before


def test_a_duplicated_workload_moves_to_a_spare_cluster(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    two_of_three = {"spreadConstraints": [{"spreadByField": "cluster", "minGroups": 2, "maxGroups": 2}],
                    "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
    apply(tmp_path, ns, two_of_three, replicas_=2)
    placed = replicas(joined, ns)
    assert len(placed) == 2
    victim = next(m for m in joined if m.name in placed)
    spare = next(m for m in joined if m.name not in placed)
    w = watch()
    until(lambda: "acting as" in w.text)
    victim.fail()
    try:
        until(lambda: spare.name in replicas([spare], ns))
    finally:
        victim.recover()


def test_tolerations_delay_the_eviction(joined, watch, ns, tmp_path):
    # a policy that tolerates not-ready tolerates a member that does not answer (Ready=False), until
    # timeAdded + tolerationSeconds (Karmada: pkg/controllers/cluster/taint_manager.go,
    # pkg/util/helper/taint.go). Measured on the times the store records, not on this test's clock.
    from datetime import datetime, timedelta

    m1, m2, m3 = joined
    tolerant = dict(DIVIDED, clusterTolerations=[{"key": "cluster.karmada.io/not-ready", "operator": "Exists",
                                                  "effect": "NoExecute", "tolerationSeconds": 3}])
    apply(tmp_path, ns, tolerant)
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    try:
        until(lambda: "evicted from member2" in w.text)
        taint = next(t for t in cluster("member2")["spec"]["taints"]
                     if (t["key"], t["effect"]) == ("cluster.karmada.io/not-ready", "NoExecute"))
        events = json.loads(run_cli("events", "-o", "json").stdout)["items"]
        evicted = next(e for e in events if e["reason"] == "EvictWorkload")
    finally:
        m2.recover()

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert parse(evicted["eventTime"]) >= parse(taint["timeAdded"]) + timedelta(seconds=3)


def test_graceful_eviction_keeps_the_old_copy_until_the_new_ones_are_healthy(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    on_m1 = replicas([m1], ns)
    assert on_m1
    for m in (m2, m3):
        m.set_unhealthy("Deployment", ns, "web")
    try:
        w = watch()
        until(lambda: "acting as" in w.text)
        assert run_cli("taint", "clusters", "member1", "maintenance:NoExecute").returncode == 0
        until(lambda: "evicted from member1" in w.text)
        until(lambda: sum(replicas([m2, m3], ns).values()) == 6)
        stays(lambda: replicas([m1], ns) == on_m1, 1.0, every=0.25)   # kept: the new copies are not healthy
    finally:
        for m in (m2, m3):
            m.set_unhealthy("Deployment", ns, "web", False)
    until(lambda: not replicas([m1], ns))                            # healthy now: the old copy goes
    run_cli("taint", "clusters", "member1", "maintenance-")


def test_directly_deletes_the_old_copy_at_once(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED, failover={"cluster": {"purgeMode": "Directly"}})
    assert replicas([m1], ns)
    for m in (m2, m3):
        m.set_unhealthy("Deployment", ns, "web")
    try:
        w = watch()
        until(lambda: "acting as" in w.text)
        assert run_cli("taint", "clusters", "member1", "maintenance:NoExecute").returncode == 0
        until(lambda: not replicas([m1], ns))                        # gone although the others are unhealthy
        assert sum(replicas([m2, m3], ns).values()) == 6
    finally:
        for m in (m2, m3):
            m.set_unhealthy("Deployment", ns, "web", False)
        run_cli("taint", "clusters", "member1", "maintenance-")


def test_application_failover_moves_a_workload_held_unhealthy(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED, propagateDeps=True,
          failover={"application": {"decisionConditions": {"tolerationSeconds": 1}, "purgeMode": "Directly"}})
    assert replicas([m1], ns)
    m1.set_unhealthy("Deployment", ns, "web")
    try:
        w = watch()
        until(lambda: "ApplicationFailure" in w.text)
        until(lambda: not replicas([m1], ns) and sum(replicas([m2, m3], ns).values()) == 6)
    finally:
        m1.set_unhealthy("Deployment", ns, "web", False)


def test_watch_once_runs_a_single_pass(joined, ns, tmp_path):
    result = run_cli("watch", "--once", *FAST, subprocess=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"][0]["status"]["conditions"]


def test_rebalance_on_recovery_brings_replicas_back(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    w = watch("--rebalance-on-recovery")
    until(lambda: "acting as" in w.text)
    m2.fail()
    until(lambda: (r := replicas([m1, m3], ns)) and sum(r.values()) == 6)
    m2.recover()
    # divided afresh over all three (member2's old copy is first removed as a leftover, then sent again)
    try:
        until(lambda: (r := replicas(joined, ns)) and len(r) == 3 and sum(r.values()) == 6, timeout=30)
    except AssertionError:
        raise AssertionError(f"{replicas(joined, ns)}\n{w.text}") from None
    assert "rescheduled afresh" in w.text


def test_a_cluster_back_within_the_second_of_its_eviction_is_still_rebalanced(joined, ns, tmp_path):
    """The cause of an old flake: times have whole seconds, and the scheduler divides afresh only when
    rescheduleTriggeredAt is after lastScheduledTime (Karmada: pkg/scheduler/scheduler.go
    doScheduleBinding, pkg/util/binding.go RescheduleRequired). A cluster back in the second of the
    eviction's schedule got a trigger equal to it, ignored for good. The passes run in this process on
    a clock the test sets, so the two land in one second every time."""
    from datetime import datetime, timedelta

    from karmadactl.controllers.watch import Options, Watcher
    from karmadactl.store import Store

    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    options = Options(probe_interval=timedelta(milliseconds=100), failure_threshold=timedelta(0),
                      success_threshold=timedelta(0), rebalance_on_recovery=True)
    lines: list[str] = []
    with Store.open() as store:
        watcher = Watcher(store, options, lines.append)

        def run(ms: int):
            result = watcher.run_once(base + timedelta(milliseconds=ms))
            assert result.acted
            return result

        run(0)
        m2.fail()
        try:
            assert "member2" in run(100).failed
            assert set(replicas(joined, ns)) == {"member1", "member3"}
            run(200)                                       # the new copies are healthy: the eviction is over
        finally:
            m2.recover()
        assert "member2" in run(300).recovered             # the same second as the eviction's schedule
        run(1100)
        placed = replicas(joined, ns)
    assert len(placed) == 3 and sum(placed.values()) == 6, "\n".join(lines)
    assert any("rescheduled afresh" in line for line in lines)


def test_application_failover_directly_keeps_the_workload_off_while_the_eviction_lasts(joined, watch, ns, tmp_path):
    """Karmada's graceful eviction controller ignores purgeMode (pkg/controllers/gracefuleviction/
    evictiontask.go assessSingleTask): a Directly task stays until the new copies are healthy or it
    times out, and while it exists the scheduler filters its cluster out (pkg/scheduler/framework/
    plugins/clustereviction/cluster_eviction.go). Static weights would put replicas straight back on
    member1 otherwise, and it would be evicted again and again."""
    m1, m2, m3 = joined
    static = {"replicaScheduling": {
        "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
        "weightPreference": {"staticWeightList": [{"targetCluster": {"clusterNames": [m.name]}, "weight": 1}
                                                  for m in joined]}}}
    apply(tmp_path, ns, static, propagateDeps=True,
          failover={"application": {"decisionConditions": {"tolerationSeconds": 1}, "purgeMode": "Directly"}})
    assert replicas([m1], ns) == {"member1": 2}
    m1.set_unhealthy("Deployment", ns, "web")
    try:
        w = watch()
        until(lambda: not replicas([m1], ns) and sum(replicas([m2, m3], ns).values()) == 6)
        until(lambda: "eviction from member1 is over" in w.text)    # the new copies are healthy
        assert not replicas([m1], ns)
        assert w.text.count("evicted from member1") == 1, w.text
    finally:
        m1.set_unhealthy("Deployment", ns, "web", False)


def test_after_failover_the_status_counts_only_the_clusters_the_workload_is_on(joined, watch, ns, tmp_path):
    """member2's Work waits, left over, until member2 answers and its copy can be deleted; Karmada leaves
    such a Work out of the binding's aggregatedStatus (pkg/util/helper/workstatus.go assembleWorkStatus
    skips Works with a deletionTimestamp), so the template counts member1 and member3 only. describe
    shows member2's Work as stale, not as Applied and Healthy."""
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    try:
        until(lambda: "eviction from member2 is over" in w.text)

        def status() -> dict:
            return json.loads(run_cli("get", "deploy", "web", "-n", ns, "-o", "json").stdout).get("status") or {}

        until(lambda: (s := status()).get("replicas") == 6 and s.get("readyReplicas") == 6)
        text = run_cli("describe", "deploy", "web", "-n", ns)
    finally:
        m2.recover()
    assert text.returncode == 0, text.stderr
    rows = {line.split()[0]: line for line in text.stdout.splitlines() if line.startswith("  member")}
    assert rows["member2"].split()[3:5] == ["Unknown", "Unknown"]
    assert "stale: member2 does not answer (last known: Applied=True, Healthy)" in rows["member2"]
    assert "left over" in rows["member2"]
    assert rows["member1"].split()[3:5] == ["True", "Healthy"]
