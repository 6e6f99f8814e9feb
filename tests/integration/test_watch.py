"""`karmadactl watch` against sandbox members, with short thresholds: taints, failover, graceful and
direct eviction, recovery, flapping, application failover, and the lease between two watches.

Each test runs `watch` as its own process (as a user would) and polls the members through the
official client until the expected state shows, or fails after a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from tests.conftest import run_cli

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


def until(check, timeout: float = 15.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"not reached within {timeout}s (last: {last!r})")


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


def apply(tmp_path, ns: str, placement: dict, replicas_: int = 6, **spec) -> None:
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
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == 0, result.stderr


DIVIDED = {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                 "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}


def cluster(name: str) -> dict:
    return json.loads(run_cli("get", "clusters", name, "-o", "json").stdout)


def taint_keys(name: str) -> set[str]:
    return {f"{t['key']}:{t['effect']}" for t in cluster(name)["spec"].get("taints") or []}


def test_a_failed_member_is_tainted_and_its_replicas_move_then_it_recovers_clean(joined, watch, ns, tmp_path):
    m1, m2, m3 = joined
    apply(tmp_path, ns, DIVIDED)
    assert sum(replicas(joined, ns).values()) == 6 and replicas(joined, ns).get("member2")
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    until(lambda: "cluster.karmada.io/unreachable:NoExecute" in taint_keys("member2"))
    assert "cluster.karmada.io/unreachable:NoSchedule" in taint_keys("member2")
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
    time.sleep(1.0)
    m2.recover()
    time.sleep(2.5)
    assert not {k for k in taint_keys("member2") if k.startswith("cluster.karmada.io/")}
    assert replicas(joined, ns) == before
    assert "evicted" not in w.text


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
    m1, m2, m3 = joined
    tolerant = dict(DIVIDED, clusterTolerations=[{"key": "cluster.karmada.io/unreachable", "operator": "Exists",
                                                  "effect": "NoExecute", "tolerationSeconds": 3}])
    apply(tmp_path, ns, tolerant)
    w = watch()
    until(lambda: "acting as" in w.text)
    m2.fail()
    try:
        until(lambda: "cluster.karmada.io/unreachable:NoExecute" in taint_keys("member2"))
        tainted_at = time.monotonic()
        time.sleep(1.0)
        assert "evicted" not in w.text                             # still tolerated
        until(lambda: "evicted from member2" in w.text, timeout=10)
        assert time.monotonic() - tainted_at >= 1.0    # taint times have whole seconds: 3 s less up to 1
    finally:
        m2.recover()


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
        time.sleep(1.0)
        assert replicas([m1], ns) == on_m1                          # kept: the new copies are not healthy
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


def test_one_watch_acts_and_a_standby_takes_over_when_it_is_killed(joined, watch, home):
    first = watch()
    until(lambda: "acting as" in first.text)
    second = watch()
    until(lambda: "standing by" in second.text)
    assert "acting as" not in second.text
    first.stop(signal.SIGKILL)                                         # no chance to release the lease
    killed_at = time.monotonic()
    until(lambda: "acting as" in second.text, timeout=15)
    assert time.monotonic() - killed_at < 10                          # within a lease period (5 s) and a pass


def test_watch_once_runs_a_single_pass(joined, ns, tmp_path):
    result = run_cli("watch", "--once", *FAST)
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
