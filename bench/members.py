"""Sandbox members per process: start time and memory of `sandbox up --members N` in one process.

    python bench/members.py [--members 100] [--deployments 10] [--per-process 100]

1. Times `karmadactl sandbox up --members N --no-join` (start the members and
   wait until every one answers) in a fresh temporary $KARMADA_HOME, then
   `karmadactl sandbox up --members N` (they run: it only joins them).
2. Reads the processes' pids from `karmadactl sandbox status -o json` and
   their resident memory (VmRSS in /proc/PID/status), and the CPU they use
   idle over a few seconds.
3. Applies M Deployments (2 replicas each, namespace default) with one
   ClusterPropagationPolicy that duplicates them to every member
   (`karmadactl apply -f DIR`, timed, with the CPU the members' processes
   spent meanwhile), waits for the members' simulated controllers to settle,
   and reads the memory again (VmRSS and the peak, VmHWM).
4. Times `karmadactl sandbox down`; exits 1 when a step failed.

The CLI runs through the installed console script, as bench/push.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from push import BenchFailed, karmadactl_script, process_cpu, run  # bench/push.py: the helpers every bench shares

IDLE_SECONDS = 5.0
SETTLE_SECONDS = 5.0


def deployment(i: int) -> dict:
    name = f"web-{i:03d}"
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{
                                      "name": "web", "image": f"registry.example.com/{name}:1.0",
                                      "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}}}


def policy() -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "web-everywhere"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                            "namespace": "default"}],
                     "placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}}}


def write_objects(folder: Path, deployments: int) -> Path:
    objects = folder / "objects"
    objects.mkdir()
    (objects / "policy.yaml").write_text(yaml.safe_dump(policy(), sort_keys=False))
    (objects / "deployments.yaml").write_text(
        yaml.safe_dump_all([deployment(i) for i in range(deployments)], sort_keys=False))
    return objects


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def bench(home: Path, members: int, deployments: int, per_process: int) -> None:
    env = {**os.environ, "KARMADA_HOME": str(home)}
    env.pop("KARMADACTL_STORE", None)
    cli = karmadactl_script()
    up = [cli, "sandbox", "up", "--members", str(members), "--per-process", str(per_process)]
    up_seconds, _ = run([*up, "--no-join"], env, "sandbox up --no-join")
    join_seconds, _ = run(up, env, "sandbox up (join)")
    _, out = run([cli, "sandbox", "status", "-o", "json"], env, "sandbox status")
    status = json.loads(out)
    if len(status) != members or not all(s["running"] for s in status):
        raise BenchFailed(f"sandbox status: {sum(s['running'] for s in status)} of {members} running")
    pids = sorted({s["pid"] for s in status})
    print(f"sandbox up --members {members} --per-process {per_process} --no-join: "
          f"{up_seconds:.2f} s (start, until all answer); {len(pids)} process(es)")
    print(f"  sandbox up again (joins the {members} running members): {join_seconds:.2f} s")
    idle = {pid: memory(pid) for pid in pids}
    busy = {pid: process_cpu(pid) for pid in pids}
    time.sleep(IDLE_SECONDS)
    idle_cpu = sum(process_cpu(pid) - busy[pid] for pid in pids)
    print(f"  idle: VmRSS {mib(sum(m['VmRSS'] for m in idle.values()))} "
          f"({mib(sum(m['VmRSS'] for m in idle.values()) // members)} per member); "
          f"CPU {idle_cpu:.2f} s over {IDLE_SECONDS:g} s")

    objects = write_objects(home, deployments)
    busy = {pid: process_cpu(pid) for pid in pids}
    apply_seconds, _ = run([cli, "apply", "-f", str(objects)], env, "karmadactl apply")
    apply_cpu = sum(process_cpu(pid) - busy[pid] for pid in pids)
    time.sleep(SETTLE_SECONDS)
    loaded = {pid: memory(pid) for pid in pids}
    print(f"  apply {deployments} Deployments (2 replicas) Duplicated to all {members}: "
          f"{apply_seconds:.2f} s (members' CPU {apply_cpu:.2f} s)")
    print(f"  with them: VmRSS {mib(sum(m['VmRSS'] for m in loaded.values()))}, "
          f"peak VmHWM {mib(sum(m['VmHWM'] for m in loaded.values()))}")
    down_seconds, out = run([cli, "sandbox", "down"], env, "sandbox down")
    print(f"  sandbox down: {down_seconds:.2f} s ({len(out.splitlines())} stopped)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--deployments", type=int, default=10)
    parser.add_argument("--per-process", type=int, default=100)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="karmadactl-members-"))
    try:
        bench(home, args.members, args.deployments, args.per_process)
    except BenchFailed as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        env = {**os.environ, "KARMADA_HOME": str(home)}
        subprocess.run([karmadactl_script(), "sandbox", "down", "--keep-clusters"], env=env,
                       capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
