"""Pushing to members: `karmadactl apply` to three members against `kubectl apply --server-side` to one.

    python bench/push.py [--configmaps 1000] [--deployments 100] [--members 3]
    python bench/push.py --kubeconfigs a.kubeconfig,b.kubeconfig,c.kubeconfig   # real API servers
    KARMADACTL_E2E_KUBECONFIGS=a,b,c python bench/push.py                       # the same, as the e2e tests

1. Writes N ConfigMaps and M Deployments (namespace default) into a folder, and
   one ClusterPropagationPolicy that propagates all of them to every member
   (Duplicated) into a file beside it.
2. Starts fresh sandbox members with `karmadactl sandbox up` (their own
   processes, TLS) in a temporary $KARMADA_HOME and times
   `karmadactl apply -f POLICY -f DIR` end to end (wall time of the command).
   The command runs as `python -c WRAPPER apply ...`: the wrapper counts the
   HTTP requests the CLI sends to members, by method, by wrapping the member
   client's send in the measured process (about 10 ms of extra import; nothing
   in the product changes), then calls the CLI's main as the console script does.
3. Runs the same command again with nothing changed, counting its requests the
   same way, and reads each member's store revision (a list's resourceVersion)
   before and after, from the members' side: both must show no write.
4. Starts another set of fresh members in a second $KARMADA_HOME and times
   `kubectl apply --server-side -f DIR` to each of them, one after another
   (kubectl's discovery cache in a fresh temporary folder, as on a first use),
   then once more, untimed, at -v=6 to count kubectl's requests by method.
5. Prints objects per second and the ratios, the CPU time (user + sys) of the
   karmadactl process per object per member for the first push, and the wall
   time of the unchanged re-apply, each beside its aim; exits 1 when a step failed.

Against real API servers (--kubeconfigs, or KARMADACTL_E2E_KUBECONFIGS) the
same comparison runs on those clusters instead of sandbox members: they are
joined as member1..N in a temporary $KARMADA_HOME, karmadactl's objects go to
a namespace of their own and kubectl's to another (both created for the run,
deleted at the end, so nothing else in the clusters is touched), and the
member store revisions are not compared (a real cluster's controllers write all
the time): the re-apply's write requests, counted in the process, must be 0.
kubectl's part is skipped, with a note, when kubectl is not installed.

`sandbox up|down` run through the installed console script (not a pyenv shim),
as bench/startup.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

KUBECTL = shutil.which("kubectl", path="/usr/bin") or shutil.which("kubectl") or "kubectl"
HAVE_KUBECTL = shutil.which(KUBECTL) is not None
AIM_RATIO = 1.3          # karmadactl to three members / kubectl to one member
AIM_CPU_MS = 0.5         # karmadactl CPU (user + sys) per object per member, first push
AIM_AGAIN_SECONDS = 0.8  # wall time of the same apply again, nothing changed

# Runs the CLI like its console script, counting member requests by HTTP method into $BENCH_COUNTS.
COUNTING_CLI = """
import collections, json, os, sys
from karmadactl.members import client as member_client
counts = collections.Counter()
send = member_client.MemberClient._send
def counting_send(self, method, *args, **kwargs):
    counts[method] += 1
    return send(self, method, *args, **kwargs)
member_client.MemberClient._send = counting_send
from karmadactl.cli import main
code = main(sys.argv[1:])
with open(os.environ["BENCH_COUNTS"], "w") as f:
    json.dump(counts, f)
sys.exit(code)
"""


class BenchFailed(Exception):
    """A step did not do what it must; the message says which and why."""


# --- the objects -------------------------------------------------------------------------------

def configmap(i: int, namespace: str = "default") -> dict:
    app = f"shop-{i % 50:02d}"
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"settings-{i:04d}", "namespace": namespace,
                         "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "shop",
                                    "tier": ("frontend", "backend", "worker")[i % 3]}},
            "data": {"LOG_LEVEL": ("info", "debug", "warn")[i % 3],
                     "CACHE_TTL_SECONDS": str(60 * (1 + i % 10)),
                     "FEATURE_FLAGS": "checkout-v2,search-suggest" if i % 2 else "checkout-v2",
                     "application.properties": (f"server.port=8080\nspring.application.name={app}\n"
                                                f"db.pool.max={10 + i % 20}\nretry.backoff=250ms\n")}}


def deployment(i: int, namespace: str = "default") -> dict:
    name = f"web-{i:03d}"
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"replicas": 2 + i % 3,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "template": {
                         "metadata": {"labels": labels},
                         "spec": {"containers": [{
                             "name": "web", "image": f"registry.example.com/shop/{name}:1.{i % 7}.0",
                             "ports": [{"name": "http", "containerPort": 8080}],
                             "envFrom": [{"configMapRef": {"name": f"settings-{i:04d}"}}],
                             "resources": {"requests": {"cpu": f"{100 + 50 * (i % 4)}m", "memory": "128Mi"},
                                           "limits": {"memory": "256Mi"}},
                             "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                                                "periodSeconds": 10}}]}}}}


def policy(members: list[str], namespace: str = "default") -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "shop-everywhere"},
            "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": namespace},
                                           {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "namespace": namespace}],
                     "placement": {"clusterAffinity": {"clusterNames": members},
                                   "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}}}


def write_objects(folder: Path, configmaps: int, deployments: int, members: list[str],
                  namespace: str = "default", name: str = "objects") -> tuple[Path, Path]:
    """DIR with the templates (what kubectl applies too) and the policy file beside it."""
    objects = folder / name
    objects.mkdir()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with (objects / "configmaps.yaml").open("w") as f:
        yaml.dump_all((configmap(i, namespace) for i in range(configmaps)), f, Dumper=dumper, sort_keys=False)
    with (objects / "deployments.yaml").open("w") as f:
        yaml.dump_all((deployment(i, namespace) for i in range(deployments)), f, Dumper=dumper, sort_keys=False)
    policy_file = folder / f"{name}-policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy(members, namespace), sort_keys=False))
    return objects, policy_file


# --- running things ----------------------------------------------------------------------------

def karmadactl_script() -> str:
    script = Path(sys.executable).with_name("karmadactl")
    return str(script if script.exists() else shutil.which("karmadactl") or "karmadactl")


def run(argv: list[str], env: dict, what: str) -> tuple[float, str]:
    """Run a command; (wall seconds, stdout). A non-zero exit is a failure of the bench."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise BenchFailed(f"{what} exited {done.returncode}:\n{tail}")
    return seconds, done.stdout


def process_cpu(pid: int) -> float:
    """User+system CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(stdout: str, members: list[str]) -> dict[str, dict[str, int]]:
    """The per-member summary lines of `karmadactl apply` ("member1: 1100 created") as counts."""
    out = {}
    for line in stdout.splitlines():
        name, sep, rest = line.partition(": ")
        if sep and name in members:
            out[name] = {a: int(n) for n, a in (part.split(" ", 1) for part in rest.split(", "))}
    return out


class Sandbox:
    """`karmadactl sandbox up` in its own $KARMADA_HOME; `down` in the caller's finally."""

    real = False                 # members are real API servers (RealClusters)

    def __init__(self, home: Path, count: int, namespace: str = "default"):
        self.home, self.count, self.namespace = home, count, namespace
        self.env = {**os.environ, "KARMADA_HOME": str(home)}
        self.env.pop("KARMADACTL_STORE", None)
        self.members = [f"member{i}" for i in range(1, count + 1)]
        self.started = False

    def up(self) -> None:
        self.started = True
        run([karmadactl_script(), "sandbox", "up", "--members", str(self.count), "--per-process", "1"],
            self.env, "sandbox up")

    def down(self) -> None:
        if self.started:
            subprocess.run([karmadactl_script(), "sandbox", "down"], env=self.env, capture_output=True)

    def kubeconfig(self, name: str) -> Path:
        return self.home / "sandbox" / f"{name}.kubeconfig"

    def kubectl(self, name: str, *args: str) -> list[str]:
        return [KUBECTL, "--kubeconfig", str(self.kubeconfig(name)), "--cache-dir",
                str(self.home / "kube-cache"), *args]

    def count_objects(self, name: str) -> dict[str, int]:
        counts = {}
        for plural in ("configmaps", "deployments"):
            _, out = run(self.kubectl(name, "get", plural, "-n", self.namespace, "-o", "name"), self.env,
                         f"kubectl get {plural} on {name}")
            counts[plural] = len(out.split())
        return counts

    def revision(self, name: str) -> int:
        """The member store's revision: what a list answers as its resourceVersion."""
        _, out = run(self.kubectl(name, "get", "--raw", "/api/v1/namespaces?limit=1"), self.env,
                     f"kubectl get --raw on {name}")
        return int(json.loads(out)["metadata"]["resourceVersion"])

    def settled_revisions(self, quiet: float = 1.0, timeout: float = 30.0) -> dict[str, int]:
        """Revisions once the simulated controllers stopped writing status (unchanged for `quiet` s)."""
        deadline = time.monotonic() + timeout
        last = {m: self.revision(m) for m in self.members}
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = {m: self.revision(m) for m in self.members}
            if now == last:
                return now
            last = now
        raise BenchFailed(f"member revisions still moving after {timeout:g} s: {last}")


class RealClusters(Sandbox):
    """Real API servers (one kubeconfig each) as member1..N: joined in their own $KARMADA_HOME when
    karmadactl pushes to them, the run's objects in a namespace of its own, deleted in `down`."""

    real = True

    def __init__(self, home: Path, kubeconfigs: list[str], namespace: str, join: bool):
        super().__init__(home, len(kubeconfigs), namespace)
        self.kubeconfigs = dict(zip(self.members, kubeconfigs))
        self.join = join

    def up(self) -> None:
        self.started = True
        self.home.mkdir(parents=True, exist_ok=True)
        for m in self.members:
            if self.join:       # karmadactl creates the namespace its objects need, as part of its push
                run([karmadactl_script(), "join", m, "--kubeconfig", self.kubeconfigs[m]], self.env, f"join {m}")
            else:
                run(self.kubectl(m, "create", "namespace", self.namespace), self.env, f"create namespace on {m}")

    def down(self) -> None:
        if self.started and HAVE_KUBECTL:
            for m in self.members:
                subprocess.run(self.kubectl(m, "delete", "namespace", self.namespace, "--ignore-not-found",
                                            "--wait=false"), env=self.env, capture_output=True)

    def kubeconfig(self, name: str) -> Path:
        return Path(self.kubeconfigs[name])

    def settled_revisions(self, quiet: float = 1.0, timeout: float = 30.0) -> dict[str, int]:
        return {}     # a real cluster's own controllers write all the time: not compared


# --- the measurements --------------------------------------------------------------------------

def counted_apply(sandbox: Sandbox, args: list[str], what: str) -> tuple[float, float, str, dict[str, int]]:
    """`karmadactl ARGS` with its member requests counted: (wall seconds, CPU seconds of the process
    (user + sys), stdout, {method: requests})."""
    counts_file = sandbox.home / "requests.json"
    counts_file.unlink(missing_ok=True)
    env = {**sandbox.env, "BENCH_COUNTS": str(counts_file)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, out = run([sys.executable, "-c", COUNTING_CLI, *args], env, what)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, out, json.loads(counts_file.read_text())


def writes(requests: dict[str, int]) -> int:
    return sum(n for method, n in requests.items() if method != "GET")


def bench_karmadactl(sandbox: Sandbox, objects: Path, policy_file: Path, expected: dict[str, int]) -> dict:
    args = ["apply", "-f", str(policy_file), "-f", str(objects)]
    seconds, cpu, out, requests = counted_apply(sandbox, args, "karmadactl apply (first)")
    first = summary(out, sandbox.members)
    total = sum(expected.values())
    for m in sandbox.members:
        if first.get(m) != {"created": total}:
            raise BenchFailed(f"karmadactl apply: {m}: expected {total} created, got {first.get(m)}")
        held = sandbox.count_objects(m) if HAVE_KUBECTL else expected
        if held != expected:
            raise BenchFailed(f"karmadactl apply: {m} holds {held}, expected {expected}")
    if writes(requests) < len(sandbox.members) * total:     # the counter must see what was sent
        raise BenchFailed(f"karmadactl apply: only {requests} counted for {len(sandbox.members) * total} objects")

    before = sandbox.settled_revisions() if HAVE_KUBECTL else {}
    again_seconds, again_cpu, out, again_requests = counted_apply(sandbox, args, "karmadactl apply (again)")
    after = sandbox.settled_revisions() if HAVE_KUBECTL else {}
    return {"seconds": seconds, "cpu": cpu, "summary": first, "requests": requests, "again_seconds": again_seconds,
            "again_cpu": again_cpu, "again_summary": summary(out, sandbox.members), "again_requests": again_requests,
            "revisions": (before, after)}


def kubectl_version() -> str:
    done = subprocess.run([KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True)
    try:
        return json.loads(done.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        return "unknown"


def bench_kubectl(sandbox: Sandbox, objects: Path, expected: dict[str, int]) -> dict[str, float]:
    per_member = {}
    for m in sandbox.members:
        seconds, out = run(sandbox.kubectl(m, "apply", "--server-side", "-f", str(objects)), sandbox.env,
                           f"kubectl apply --server-side to {m}")
        applied = sum(1 for line in out.splitlines() if line.endswith(" serverside-applied"))
        total = sum(expected.values())
        if applied != total:
            raise BenchFailed(f"kubectl apply to {m}: {applied} of {total} objects applied")
        per_member[m] = seconds
    for m in sandbox.members:
        held = sandbox.count_objects(m)
        if held != expected:
            raise BenchFailed(f"kubectl apply: {m} holds {held}, expected {expected}")
    return per_member


def kubectl_requests(sandbox: Sandbox, objects: Path) -> dict[str, int]:
    """Requests by method of one more (untimed) `kubectl apply --server-side`, from its -v=6 log."""
    done = subprocess.run(sandbox.kubectl(sandbox.members[0], "apply", "--server-side", "-f", str(objects),
                                          "-v=6"), env=sandbox.env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchFailed(f"kubectl apply -v=6 exited {done.returncode}")
    counts: dict[str, int] = {}
    for method in re.findall(r"round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) https?://", done.stderr):
        counts[method] = counts.get(method, 0) + 1
    return counts


def members_from(args: argparse.Namespace) -> list[str]:
    """The kubeconfigs of real API servers (--kubeconfigs, else KARMADACTL_E2E_KUBECONFIGS), or []."""
    given = args.kubeconfigs if args.kubeconfigs is not None else os.environ.get("KARMADACTL_E2E_KUBECONFIGS", "")
    return [p for p in given.split(",") if p]


def print_karmadactl(k: dict, n: int, total: int) -> bool:
    """The karmadactl figures and their aims; False when the re-apply wrote to a member."""
    pushed = n * total
    k_rate = pushed / k["seconds"]
    print(f"  karmadactl apply -f DIR to {n} members: {k['seconds']:6.2f} s  {k_rate:7.0f} objects/s "
          f"({k_rate / n:.0f} per member)")
    print("    requests to members: " + ", ".join(f"{m} {c}" for m, c in sorted(k["requests"].items()))
          + f" ({sum(k['requests'].values()) / pushed:.1f} per object)")
    per_object = 1000 * k["cpu"] / pushed
    print(f"    karmadactl CPU (user + sys): {k['cpu']:.2f} s, {per_object:.2f} ms per object per member "
          f"(aim <= {AIM_CPU_MS}) {'met' if per_object <= AIM_CPU_MS else 'NOT met'}")
    requests = ", ".join(f"{m} {c}" for m, c in sorted(k["again_requests"].items())) or "none"
    again = "; ".join(f"{m}: " + ", ".join(f"{c} {a}" for a, c in sorted(s.items()))
                      for m, s in sorted(k["again_summary"].items())) or "no member had anything to push"
    print(f"  karmadactl apply again, nothing changed: {k['again_seconds']:.2f} s (aim < {AIM_AGAIN_SECONDS}) "
          f"{'met' if k['again_seconds'] < AIM_AGAIN_SECONDS else 'NOT met'}, CPU {k['again_cpu']:.2f} s; {again}")
    print(f"    requests to members: {requests}; write requests (POST/PUT/PATCH/DELETE): "
          f"{writes(k['again_requests'])}")
    before, after = k["revisions"]
    moved = {m: after[m] - before[m] for m in before if after[m] != before[m]}
    if before:
        print(f"    member store revisions unchanged: {'yes' if not moved else 'NO, moved by ' + str(moved)}")
    else:
        print("    member store revisions not compared (real clusters write all the time, or no kubectl)")
    if writes(k["again_requests"]) != 0 or moved:
        print("FAILED: the second apply wrote to members")
        return False
    return True


def print_kubectl(kube: dict[str, float], kube_requests: dict[str, int], k: dict, n: int, total: int,
                  first_member: str) -> None:
    pushed = n * total
    kube_all = sum(kube.values())
    kube_one = kube_all / n
    for m, s in kube.items():
        print(f"  kubectl apply --server-side to {m}:     {s:6.2f} s  {total / s:7.0f} objects/s")
    print(f"  kubectl, {n} members one after another:   {kube_all:6.2f} s  {pushed / kube_all:7.0f} objects/s")
    print(f"    requests to {first_member} (one more apply, -v=6): "
          + ", ".join(f"{m} {c}" for m, c in sorted(kube_requests.items()))
          + f" ({sum(kube_requests.values()) / total:.1f} per object)")
    ratio = k["seconds"] / kube_one
    print(f"  ratio karmadactl {n} members / kubectl one member: {ratio:.2f} (aim <= {AIM_RATIO}) "
          f"{'met' if ratio <= AIM_RATIO else 'NOT met'}")
    per_member_k, per_member_kube = pushed / k["seconds"] / n, total / kube_one
    print(f"  per-member rate: karmadactl {per_member_k:.0f}/s vs kubectl {per_member_kube:.0f}/s "
          f"(aim: karmadactl >= kubectl) {'met' if per_member_k >= per_member_kube else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configmaps", type=int, default=1000)
    parser.add_argument("--deployments", type=int, default=100)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--kubeconfigs", default=None,
                        help="a,b,c: real API servers instead of sandbox members "
                             "(default: $KARMADACTL_E2E_KUBECONFIGS)")
    args = parser.parse_args()
    expected = {"configmaps": args.configmaps, "deployments": args.deployments}
    total = args.configmaps + args.deployments
    real = members_from(args)
    n = len(real) or args.members

    tmp = Path(tempfile.mkdtemp(prefix="karmadactl-push-"))
    ours: Sandbox
    theirs: Sandbox
    if real:
        run_id = f"{os.getpid()}-{int(time.time())}"
        ours = RealClusters(tmp / "home-karmadactl", real, f"karmadactl-push-{run_id}", join=True)
        theirs = RealClusters(tmp / "home-kubectl", real, f"kubectl-push-{run_id}", join=False)
    else:
        ours, theirs = Sandbox(tmp / "home-karmadactl", n), Sandbox(tmp / "home-kubectl", n)
    objects, policy_file = write_objects(tmp, args.configmaps, args.deployments, ours.members, ours.namespace)
    kube_objects = objects
    if theirs.namespace != ours.namespace:
        kube_objects, _ = write_objects(tmp, args.configmaps, args.deployments, theirs.members, theirs.namespace,
                                        name="kubectl-objects")
    where = f"{n} real API servers" if real else f"{n} sandbox members"
    print(f"pushing {args.configmaps} ConfigMaps + {args.deployments} Deployments = {total} objects to {where} "
          f"({os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"kubectl {kubectl_version() if HAVE_KUBECTL else 'not installed'})")
    kube: dict[str, float] = {}
    kube_requests: dict[str, int] = {}
    try:
        try:
            ours.up()
            k = bench_karmadactl(ours, objects, policy_file, expected)
        finally:
            ours.down()
        if HAVE_KUBECTL:
            try:
                theirs.up()
                kube = bench_kubectl(theirs, kube_objects, expected)
                kube_requests = kubectl_requests(theirs, kube_objects)
            finally:
                theirs.down()
    except BenchFailed as e:
        print(f"FAILED: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ok = print_karmadactl(k, n, total)
    if kube:
        print_kubectl(kube, kube_requests, k, n, total, theirs.members[0])
    else:
        print("  kubectl: not installed, its comparison skipped (the objects were not counted on the members either)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
