"""Pull mode against Push mode: what the central side spends, and how long a fleet takes to converge.

    python bench/pull.py [--members 3,10] [--configmaps 1000] [--passes 3] [--interval 2s]
                         [--postgres ADMIN_URL]

For each N of --members, twice, on a PostgreSQL store of its own (a throwaway server that
tests/pg.py starts, or a new database on --postgres):

- Push: `karmadactl sandbox up --members N --per-process 1` joins N sandbox members;
- Pull: the same members started with --no-join, then `token create`, `register memberI
  --token T --kubeconfig ...` for each, and one `karmadactl agent --config ... --kubeconfig ...
  --interval 2s` process per member (each logs in with its own agent role), waited for until
  every Cluster is Ready.

Then, the same in both modes:

1. converge: `karmadactl apply -f POLICY -f DIR` of 1,000 ConfigMaps (namespace default) with a
   ClusterPropagationPolicy Duplicated to every member; the wall time from the start of the
   command until every Work in the store says Applied=True (Push: the apply pushes them itself;
   Pull: the agents do, on their next pass), and the apply command's own wall time;
2. central CPU per pass: `karmadactl watch --once`, --passes times, each one's user+system CPU
   (resource.getrusage of the waited child) and wall time; the median is printed;
3. Pull only: the agents' CPU (user+system from /proc) during convergence and over one idle
   interval afterwards, and each member's ConfigMaps counted with kubectl.

Exits 1 when a step failed (a command exits non-zero, the fleet does not converge in
--timeout, a member lacks objects).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from push import BenchFailed, karmadactl_script, process_cpu  # bench/push.py: the helpers every bench shares

ROOT = Path(__file__).resolve().parents[1]
KUBECTL = shutil.which("kubectl", path="/usr/bin") or shutil.which("kubectl") or "kubectl"
WORK_GK = "Work.work.karmada.io"
APPLIED_WORKS = f"""
SELECT count(*) AS works,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM jsonb_array_elements(COALESCE(body::jsonb -> 'status' -> 'conditions', '[]'::jsonb)) c
           WHERE c ->> 'type' = 'Applied' AND c ->> 'status' = 'True')) AS applied
FROM objects WHERE group_kind = '{WORK_GK}'
"""
READY_CLUSTERS = """
SELECT count(*) FROM objects WHERE group_kind = 'Cluster.cluster.karmada.io' AND EXISTS (
    SELECT 1 FROM jsonb_array_elements(COALESCE(body::jsonb -> 'status' -> 'conditions', '[]'::jsonb)) c
    WHERE c ->> 'type' = 'Ready' AND c ->> 'status' = 'True')
"""


def configmap(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"settings-{i:04d}", "namespace": "default",
                         "labels": {"app.kubernetes.io/part-of": "shop", "tier": ("web", "api", "worker")[i % 3]}},
            "data": {"LOG_LEVEL": ("info", "debug", "warn")[i % 3], "CACHE_TTL_SECONDS": str(60 * (1 + i % 10)),
                     "application.properties": f"server.port=8080\ndb.pool.max={10 + i % 20}\n"}}


def policy(members: list[str]) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "settings-everywhere"},
            "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default"}],
                     "placement": {"clusterAffinity": {"clusterNames": members},
                                   "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}}}


def run(argv: list[str], env: dict, what: str) -> tuple[float, float, str]:
    """Run a command to its end: (wall seconds, CPU seconds of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise BenchFailed(f"{what} exited {done.returncode}:\n{tail}")
    return wall, cpu, done.stdout


# --- the database ------------------------------------------------------------------------------

class Postgres:
    """A database per run, on a throwaway server (tests/pg.py) or on the server --postgres names."""

    def __init__(self, admin_url: str | None):
        self.server = None
        if admin_url is None:
            sys.path.insert(0, str(ROOT))
            from tests.pg import Server

            self.server = Server()
            admin_url = self.server.start()
        self.admin_url = admin_url

    def database(self, name: str) -> str:
        import psycopg
        from sqlalchemy import make_url

        u = make_url(self.admin_url)
        with psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                             dbname=u.database, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return u.set(database=name).render_as_string(hide_password=False)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def count(url: str, query: str) -> tuple[int, ...]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(query)).one())
    finally:
        engine.dispose()


def wait_for(what: str, done, timeout: float, poll: float = 0.25) -> float:
    """Poll `done()` until it is true; the seconds it took. BenchFailed after `timeout`."""
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            raise BenchFailed(f"{what}: not done after {timeout:g} s")
        time.sleep(poll)
    return time.perf_counter() - start


# --- one fleet ---------------------------------------------------------------------------------

@dataclass
class Fleet:
    """N sandbox members and a store, in Push or Pull mode; agents as processes in Pull mode."""

    mode: str
    count: int
    home: Path
    store_url: str
    interval: str
    agents: dict[str, subprocess.Popen] = field(default_factory=dict)
    started: bool = False

    @property
    def members(self) -> list[str]:
        return [f"member{i}" for i in range(1, self.count + 1)]

    @property
    def env(self) -> dict:
        return {**os.environ, "KARMADA_HOME": str(self.home), "KARMADACTL_STORE": self.store_url}

    def kubeconfig(self, name: str) -> Path:
        return self.home / "sandbox" / f"{name}.kubeconfig"

    def up(self, timeout: float) -> None:
        self.started = True
        join = "--join" if self.mode == "push" else "--no-join"
        run([karmadactl_script(), "sandbox", "up", "--members", str(self.count), "--per-process", "1", join],
            self.env, "sandbox up")
        if self.mode == "pull":
            self._register_and_start_agents()
            wait_for("every Cluster Ready (agents posting status)",
                     lambda: count(self.store_url, READY_CLUSTERS)[0] == self.count, timeout)

    def _register_and_start_agents(self) -> None:
        _, _, token = run([karmadactl_script(), "token", "create", "--ttl", "1h"], self.env, "token create")
        logs = self.home / "agents-logs"
        logs.mkdir(exist_ok=True)
        for name in self.members:
            config = self.home / "agents" / f"{name}.yaml"
            run([karmadactl_script(), "register", name, "--token", token.strip(), "--kubeconfig",
                 str(self.kubeconfig(name)), "--agent-config", str(config)], self.env, f"register {name}")
            env = {k: v for k, v in self.env.items() if k != "KARMADACTL_STORE"}   # the agent's own role
            with (logs / f"{name}.log").open("w") as log:
                self.agents[name] = subprocess.Popen(
                    [karmadactl_script(), "agent", "--config", str(config), "--kubeconfig", str(self.kubeconfig(name)),
                     "--interval", self.interval], env=env, stdout=log, stderr=subprocess.STDOUT)

    def agents_cpu(self) -> float:
        return sum(process_cpu(p.pid) for p in self.agents.values())

    def down(self) -> None:
        for process in self.agents.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.agents.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.started:
            subprocess.run([karmadactl_script(), "sandbox", "down"], env=self.env, capture_output=True)

    def configmaps_in(self, name: str) -> int:
        done = subprocess.run([KUBECTL, "--kubeconfig", str(self.kubeconfig(name)), "get", "configmaps", "-n",
                               "default", "-o", "name"], capture_output=True, text=True, env=self.env)
        return sum(1 for line in done.stdout.split() if line.startswith("configmap/settings-"))


def measure(fleet: Fleet, objects: Path, policy_file: Path, configmaps: int, passes: int, timeout: float) -> dict:
    expected = configmaps * fleet.count
    agents_before = fleet.agents_cpu()
    start = time.perf_counter()
    apply_wall, apply_cpu, _ = run([karmadactl_script(), "apply", "-f", str(policy_file), "-f", str(objects)],
                                   fleet.env, "karmadactl apply")

    def converged() -> bool:
        works, applied = count(fleet.store_url, APPLIED_WORKS)
        return works == expected and applied == expected

    wait_for(f"{expected} Works Applied", converged, timeout, poll=0.5)
    converge = time.perf_counter() - start
    agents_converge = fleet.agents_cpu() - agents_before
    out = {"apply_wall": apply_wall, "apply_cpu": apply_cpu, "converge": converge,
           "agents_converge_cpu": agents_converge}
    walls, cpus = [], []
    for i in range(passes):
        wall, cpu, _ = run([karmadactl_script(), "watch", "--once"], fleet.env, f"watch --once ({i + 1})")
        walls.append(wall)
        cpus.append(cpu)
    out["pass_wall"], out["pass_cpu"] = statistics.median(walls), statistics.median(cpus)
    if fleet.agents:
        idle_before = fleet.agents_cpu()
        time.sleep(parse_seconds(fleet.interval))
        out["agents_idle_cpu"] = fleet.agents_cpu() - idle_before
        for name in fleet.members:
            held = fleet.configmaps_in(name)
            if held != configmaps:
                raise BenchFailed(f"{name} holds {held} ConfigMaps, expected {configmaps}")
    return out


def parse_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60}
    for unit in ("ms", "s", "m"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float(text)


def bench(postgres: Postgres, mode: str, count: int, args: argparse.Namespace, work: Path) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"{mode}-{count}-", dir=work))
    url = postgres.database(f"bench_{mode}_{count}")
    members = [f"member{i}" for i in range(1, count + 1)]
    objects = home / "objects"
    objects.mkdir()
    with (objects / "configmaps.yaml").open("w") as f:
        yaml.safe_dump_all((configmap(i) for i in range(args.configmaps)), f, sort_keys=False)
    policy_file = home / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy(members), sort_keys=False))
    fleet = Fleet(mode, count, home / "home", url, args.interval)
    try:
        fleet.up(args.timeout)
        return measure(fleet, objects, policy_file, args.configmaps, args.passes, args.timeout)
    finally:
        fleet.down()


def header(args: argparse.Namespace) -> str:
    return (f"pull vs push: {args.configmaps} ConfigMaps Duplicated to N sandbox members, PostgreSQL store "
            f"({os.cpu_count()} cores, python {sys.version.split()[0]}; agents every {args.interval})")


def lines(mode: str, count: int, r: dict, interval: str) -> list[str]:
    out = [f"  N={count:<3} {mode}: converged in {r['converge']:6.2f} s (apply {r['apply_wall']:.2f} s wall, "
           f"{r['apply_cpu']:.2f} s CPU); central pass (watch --once) {r['pass_cpu']:.2f} s CPU, "
           f"{r['pass_wall']:.2f} s wall"]
    if mode == "pull":
        out.append(f"           agents: {r['agents_converge_cpu']:.2f} s CPU to converge (all {count}), "
                   f"{r['agents_idle_cpu']:.2f} s CPU per idle {interval} (all {count})")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", default="3,10", help="comma-separated fleet sizes")
    parser.add_argument("--configmaps", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3, help="watch --once runs per fleet (median)")
    parser.add_argument("--interval", default="2s", help="the agents' --interval")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for a fleet to converge")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server [default: a throwaway one]")
    parser.add_argument("--modes", default="push,pull")
    args = parser.parse_args()
    print(header(args), flush=True)
    postgres = Postgres(args.postgres)
    work = Path(tempfile.mkdtemp(prefix="karmadactl-bench-pull-"))
    failed = 0
    try:
        for count in (int(n) for n in args.members.split(",")):
            for mode in args.modes.split(","):
                try:
                    result = bench(postgres, mode, count, args, work)
                except BenchFailed as e:
                    failed += 1
                    print(f"  N={count:<3} {mode}: failed: {e}", flush=True)
                    continue
                print("\n".join(lines(mode, count, result, args.interval)), flush=True)
    finally:
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
