"""Running `karmadactl watch` against sandbox members in tests: a background watch process with short
thresholds, its fixtures, and the reads the tests poll (test_watch.py, test_watch_eviction.py,
test_team.py, test_pull_mode.py, test_cronfhpa.py, test_fhpa.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
import yaml

from tests import waiting
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
def joined(joined):
    """The three members joined (conftest's `joined`), answering again after the test whatever it did."""
    yield joined
    for m in joined:
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


@contextmanager
def unhealthy(members, ns: str, name: str = "web") -> Iterator[None]:
    """The members report their copy of the Deployment unhealthy until the block ends."""
    for m in members:
        m.set_unhealthy("Deployment", ns, name)
    try:
        yield
    finally:
        for m in members:
            m.set_unhealthy("Deployment", ns, name, False)


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
