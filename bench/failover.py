"""Failover: how long `karmadactl watch` takes to move a failed member's replicas to the others.

    python bench/failover.py [--deployments 50] [--only a|b]

For each of two runs, in a fresh temporary $KARMADA_HOME with fresh sandbox members:
  (a) `watch --failure-threshold 5s --probe-interval 1s`
  (b) `watch` with its defaults (30 s / 10 s; this run takes about a minute)

1. `karmadactl sandbox up --members 3` (own processes, TLS, joined).
2. `karmadactl apply -f FILE`: a Namespace, N Deployments (3-6 replicas each) and one
   PropagationPolicy dividing them over member1-3 with static weights 1:1:1; waits until every
   member holds its share (polled with the official kubernetes client).
3. Starts `python -m karmadactl watch ...` as a background process (stderr to a log file) and
   waits until it says it acts.
4. Runs `karmadactl sandbox fail member2` and, from just before that command, measures
   - until every Deployment's replicas are fully on member1 + member3 (sum of spec.replicas
     over the two == the template's replicas, for all N): one LIST per member every 100 ms;
   - until member2 carries a NoExecute taint (`karmadactl get clusters member2 -o json` in a
     loop in a thread; resolution: one CLI call, printed beside it);
   and prints them beside the bound "failure threshold + 2 probe intervals", plus what the
   watch log says happened when (its lines carry whole seconds).
5. In finally blocks: stops the watch, `sandbox recover member2`, `sandbox down`.

Exits 1 when a step failed or a run did not finish within 3 minutes; a bound that is not met is
reported (NOT met) but is not a failure of the bench.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

NAMESPACE = "failover-bench"
MEMBERS = ("member1", "member2", "member3")
FAILED = "member2"
SURVIVORS = ("member1", "member3")
RUN_TIMEOUT = 180.0          # seconds per run, from `sandbox up` to the end of the measurement
POLL_EVERY = 0.1             # seconds between two rounds of member LISTs


class BenchFailed(Exception):
    """A step did not do what it must; the message says which and why."""


@dataclass
class Setting:
    label: str
    probe_interval: float      # seconds
    failure_threshold: float   # seconds
    flags: list[str] = field(default_factory=list)

    @property
    def bound(self) -> float:
        return self.failure_threshold + 2 * self.probe_interval


SETTINGS = {
    "a": Setting("(a) --failure-threshold 5s --probe-interval 1s", 1.0, 5.0,
                 ["--failure-threshold", "5s", "--probe-interval", "1s"]),
    "b": Setting("(b) defaults (--failure-threshold 30s --probe-interval 10s)", 10.0, 30.0, []),
}


# --- the objects -------------------------------------------------------------------------------

def deployment(i: int) -> dict:
    name = f"api-{i:03d}"
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "failover-bench"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {"replicas": 3 + i % 4,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{
                                      "name": "api", "image": f"registry.example.com/shop/{name}:2.{i % 5}.0",
                                      "ports": [{"name": "http", "containerPort": 8080}],
                                      "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}}}


def policy() -> dict:
    weights = [{"targetCluster": {"clusterNames": [m]}, "weight": 1} for m in MEMBERS]
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": "api-divided", "namespace": NAMESPACE},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                     "placement": {"clusterAffinity": {"clusterNames": list(MEMBERS)},
                                   "replicaScheduling": {"replicaSchedulingType": "Divided",
                                                         "replicaDivisionPreference": "Weighted",
                                                         "weightPreference": {"staticWeightList": weights}}}}}


def write_manifest(path: Path, count: int) -> dict[str, int]:
    """The Namespace, the Deployments and the policy in one file; {deployment name: replicas}."""
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}]
    objects += [deployment(i) for i in range(count)]
    objects.append(policy())
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return {d["metadata"]["name"]: d["spec"]["replicas"] for d in objects if d["kind"] == "Deployment"}


# --- running things ----------------------------------------------------------------------------

def karmadactl_script() -> str:
    script = Path(sys.executable).with_name("karmadactl")
    return str(script if script.exists() else shutil.which("karmadactl") or "karmadactl")


class Sandbox:
    """Sandbox members in their own $KARMADA_HOME, and the CLI calls against it."""

    def __init__(self, home: Path):
        self.home = home
        self.env = {**os.environ, "KARMADA_HOME": str(home)}
        self.env.pop("KARMADACTL_STORE", None)
        self.started = False
        self._clients: dict[str, object] = {}

    def cli(self, *args: str, what: str | None = None, timeout: float = 60.0) -> str:
        """Run `karmadactl ARGS`; its stdout. A non-zero exit is a failure of the bench."""
        try:
            done = subprocess.run([karmadactl_script(), *args], env=self.env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchFailed(f"{what or 'karmadactl ' + ' '.join(args)} did not finish within {timeout:g} s") from None
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            raise BenchFailed(f"{what or 'karmadactl ' + ' '.join(args)} exited {done.returncode}:\n{tail}")
        return done.stdout

    def up(self) -> None:
        self.started = True
        self.cli("sandbox", "up", "--members", str(len(MEMBERS)), "--per-process", "1", timeout=120)

    def down(self) -> None:
        for api in self._clients.values():
            api.close()
        self._clients.clear()
        if self.started:
            subprocess.run([karmadactl_script(), "sandbox", "down"], env=self.env, capture_output=True,
                           timeout=120)

    def recover(self, name: str) -> None:
        if self.started:
            subprocess.run([karmadactl_script(), "sandbox", "recover", name], env=self.env,
                           capture_output=True, timeout=60)

    def replicas(self, name: str) -> dict[str, int]:
        """{Deployment name: spec.replicas} on one member: one LIST of the namespace."""
        from kubernetes import client as k8s
        from kubernetes.config import new_client_from_config

        api = self._clients.get(name)
        if api is None:
            api = new_client_from_config(str(self.home / "sandbox" / f"{name}.kubeconfig"), persist_config=False)
            self._clients[name] = api
        listed = k8s.AppsV1Api(api).list_namespaced_deployment(NAMESPACE, _request_timeout=2)
        return {d.metadata.name: d.spec.replicas or 0 for d in listed.items}

    def taints(self, name: str) -> list[dict]:
        return json.loads(self.cli("get", "clusters", name, "-o", "json"))["spec"].get("taints") or []


class Watch:
    """`karmadactl watch` as a background process; its stderr goes to a log file."""

    def __init__(self, sandbox: Sandbox, flags: list[str]):
        self.log = sandbox.home / "watch.log"
        self.stream = open(self.log, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "karmadactl", "watch", *flags],
                                        stdout=subprocess.DEVNULL, stderr=self.stream, env=sandbox.env)

    @property
    def text(self) -> str:
        return self.log.read_text()

    def wait_acting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "acting as" in self.text:
                return
            if self.process.poll() is not None:
                raise BenchFailed(f"watch exited {self.process.returncode}:\n{self.tail()}")
            time.sleep(0.1)
        raise BenchFailed(f"watch did not start acting within {timeout:g} s:\n{self.tail()}")

    def tail(self, lines: int = 8) -> str:
        return "\n".join(self.text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stream.close()


# --- the measurement ---------------------------------------------------------------------------

def unplaced(expected: dict[str, int], held: dict[str, dict[str, int]]) -> list[str]:
    """Deployments whose replicas over the members in `held` do not add up to the template's."""
    return [name for name, want in expected.items()
            if sum(per_member.get(name, 0) for per_member in held.values()) != want]


def wait_applied(sandbox: Sandbox, expected: dict[str, int], deadline: float) -> None:
    """Until every Deployment is divided over all three members (member2 holding a share)."""
    last = None
    while time.monotonic() < deadline:
        held = {m: sandbox.replicas(m) for m in MEMBERS}
        missing = unplaced(expected, held)
        without_m2 = [n for n in expected if not held[FAILED].get(n)]
        if not missing and not without_m2:
            return
        last = f"{len(missing)} not fully placed, {len(without_m2)} without a share on {FAILED}"
        time.sleep(0.5)
    raise BenchFailed(f"the Deployments were not applied in time: {last}")


class TaintPoller(threading.Thread):
    """`karmadactl get clusters NAME -o json` in a loop until a NoExecute taint shows."""

    def __init__(self, sandbox: Sandbox, name: str, started: float):
        super().__init__(daemon=True)
        self.sandbox, self.name, self.started = sandbox, name, started
        self.stop = threading.Event()
        self.seen_at: float | None = None       # seconds after `started`, when the call that saw it ended
        self.call_seconds: list[float] = []
        self.taint: dict | None = None
        self.error: str | None = None

    def run(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                taints = self.sandbox.taints(self.name)
            except BenchFailed as e:
                self.error = str(e)
                return
            ended = time.monotonic()
            self.call_seconds.append(ended - began)
            found = next((t for t in taints if t.get("effect") == "NoExecute"), None)
            if found:
                self.seen_at, self.taint = ended - self.started, found
                return
            self.stop.wait(0.2)


@dataclass
class Outcome:
    setting: Setting
    fail_command: float = 0.0              # seconds `sandbox fail` took
    first_move: float | None = None        # first time a survivor's replicas changed
    all_moved: float | None = None
    taint_seen: float | None = None
    taint_resolution: float = 0.0
    polls: int = 0
    log_marks: list[str] = field(default_factory=list)


def measure_failover(sandbox: Sandbox, expected: dict[str, int], outcome: Outcome, deadline: float,
                     watch: Watch) -> None:
    before = {m: sandbox.replicas(m) for m in SURVIVORS}
    wall_start = datetime.now(UTC)
    started = time.monotonic()
    taint = TaintPoller(sandbox, FAILED, started)
    try:
        sandbox.cli("sandbox", "fail", FAILED)
        outcome.fail_command = time.monotonic() - started
        taint.start()
        while time.monotonic() < deadline:
            round_began = time.monotonic()
            held = {m: sandbox.replicas(m) for m in SURVIVORS}
            outcome.polls += 1
            at = time.monotonic() - started
            if outcome.first_move is None and held != before:
                outcome.first_move = at
            if not unplaced(expected, held):
                outcome.all_moved = at
                break
            time.sleep(max(0.0, POLL_EVERY - (time.monotonic() - round_began)))
        else:
            missing = unplaced(expected, {m: sandbox.replicas(m) for m in SURVIVORS})
            raise BenchFailed(f"{len(missing)} of {len(expected)} Deployments still not fully on "
                              f"{'+'.join(SURVIVORS)} at the run's time limit; watch log:\n{watch.tail()}")
        taint.join(timeout=max(1.0, deadline - time.monotonic()))
        if taint.error:
            raise BenchFailed(f"reading the taints: {taint.error}")
        if taint.seen_at is None:
            raise BenchFailed(f"{FAILED} carries no NoExecute taint although the replicas moved")
        outcome.taint_seen = taint.seen_at
        outcome.taint_resolution = max(taint.call_seconds, default=0.0)
    finally:
        taint.stop.set()
    outcome.log_marks = log_marks(watch.text, wall_start)


def log_marks(text: str, wall_start: datetime) -> list[str]:
    """When the watch log says member2 went not ready, was tainted and evicted, relative to the fail.

    Log lines start with HH:MM:SS (UTC), so each mark is +-1 s.
    """
    def offset(line: str) -> float | None:
        try:
            clock = datetime.strptime(line[:8], "%H:%M:%S").time()
        except ValueError:
            return None
        at = datetime.combine(wall_start.date(), clock, tzinfo=UTC)
        if at < wall_start - timedelta(hours=12):
            at += timedelta(days=1)
        return (at - wall_start.replace(microsecond=0)).total_seconds()

    marks: dict[str, list[float]] = {}
    wanted = {f"cluster {FAILED} is not ready": "Ready=False published",
              f"cluster {FAILED}: taint cluster.karmada.io/not-ready:NoExecute added": "NoExecute taint added",
              f"evicted from {FAILED}": "evictions",
              "push to": "failed pushes",
              "pass failed": "failed passes"}
    for line in text.splitlines():
        t = offset(line)
        if t is None or t < -1:
            continue
        for needle, label in wanted.items():
            if needle in line:
                marks.setdefault(label, []).append(t)
    out = []
    for label in wanted.values():
        times = marks.get(label)
        if not times:
            continue
        if len(times) == 1:
            out.append(f"{label} +{times[0]:.0f} s")
        else:
            out.append(f"{label} x{len(times)} +{min(times):.0f}..+{max(times):.0f} s")
    return out


def one_run(setting: Setting, home: Path, count: int) -> Outcome:
    deadline = time.monotonic() + RUN_TIMEOUT
    outcome = Outcome(setting)
    sandbox = Sandbox(home)
    watch = None
    manifest = home.parent / f"{home.name}-objects.yaml"
    expected = write_manifest(manifest, count)
    try:
        sandbox.up()
        sandbox.cli("apply", "-f", str(manifest), what="karmadactl apply", timeout=120)
        wait_applied(sandbox, expected, deadline)
        watch = Watch(sandbox, setting.flags)
        watch.wait_acting(timeout=max(1.0, deadline - time.monotonic()))
        measure_failover(sandbox, expected, outcome, deadline, watch)
    finally:
        try:
            if watch is not None:
                watch.stop()
        finally:
            try:
                sandbox.recover(FAILED)
            finally:
                sandbox.down()
    return outcome


def report(outcome: Outcome, count: int) -> None:
    s = outcome.setting
    met = outcome.all_moved is not None and outcome.all_moved <= s.bound
    print(f"{s.label}")
    print(f"  `sandbox fail {FAILED}` took {outcome.fail_command:.2f} s; times below count from its start")
    print(f"  {FAILED} carries the NoExecute taint:   {outcome.taint_seen:6.1f} s "
          f"(seen by `get clusters`; one call takes up to {outcome.taint_resolution:.1f} s)")
    print(f"  first replicas moved to {'+'.join(SURVIVORS)}:   {outcome.first_move:6.1f} s")
    print(f"  all {count} Deployments fully on {'+'.join(SURVIVORS)}: {outcome.all_moved:6.1f} s   "
          f"bound threshold + 2 x interval = {s.failure_threshold:g} + 2 x {s.probe_interval:g} = {s.bound:g} s: "
          f"{'met' if met else 'NOT met'}")
    print(f"  member LIST rounds: {outcome.polls} (every {POLL_EVERY * 1000:.0f} ms, one LIST per member)")
    if outcome.log_marks:
        print(f"  watch log (whole seconds): {'; '.join(outcome.log_marks)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--only", choices=sorted(SETTINGS), help="Run one of the two settings")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (watch logs)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="karmadactl-failover-"))
    print(f"failover of {FAILED} with {args.deployments} Divided Deployments (3-6 replicas, static weights "
          f"1:1:1 over {', '.join(MEMBERS)}); {os.cpu_count()} cores, python {sys.version.split()[0]}")
    ok = True
    try:
        for key in ([args.only] if args.only else sorted(SETTINGS)):
            setting = SETTINGS[key]
            try:
                outcome = one_run(setting, tmp / f"home-{key}", args.deployments)
            except BenchFailed as e:
                print(f"{setting.label}\n  FAILED: {e}")
                ok = False
                continue
            report(outcome, args.deployments)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
