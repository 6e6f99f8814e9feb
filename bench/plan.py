"""Scheduling throughput of `karmadactl plan --offline -o json`.

    python bench/plan.py [--sizes 1000x10,10000x100]

For each N x M: N Deployments (3-6 replicas, 100m-400m cpu and 128Mi-512Mi per
replica) claimed by one PropagationPolicy that divides by available replicas
(dynamic weight), and M Clusters with capacity in status.resourceSummary, in one
YAML file. Prints bindings scheduled per second (N / wall time of the whole
command: parsing, scheduling, rendering Works, printing JSON), the CPU time and
peak RSS of the karmadactl process, and the load average (on a busy machine
compare CPU times).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def documents(n: int, m: int):
    yield {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
           "metadata": {"name": "all-deployments", "namespace": "default"},
           "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                    "placement": {"replicaScheduling": {
                        "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                        "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}}}
    for j in range(m):
        yield {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
               "metadata": {"name": f"member{j:03d}", "labels": {"region": f"r{j % 5}"}},
               "spec": {"syncMode": "Push", "apiEndpoint": f"https://member{j:03d}:6443",
                        "region": f"r{j % 5}"},
               "status": {"resourceSummary": {
                   "allocatable": {"cpu": f"{200 + (j % 7) * 50}", "memory": f"{800 + (j % 5) * 100}Gi",
                                   "pods": "5000"},
                   "allocated": {"cpu": f"{(j % 3) * 10}", "memory": "10Gi", "pods": "100"}}}}
    for i in range(n):
        yield {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": f"app-{i:05d}", "namespace": "default", "uid": f"uid-{i:05d}"},
               "spec": {"replicas": 3 + i % 4, "selector": {"matchLabels": {"app": f"app-{i:05d}"}},
                        "template": {"metadata": {"labels": {"app": f"app-{i:05d}"}},
                                     "spec": {"containers": [{
                                         "name": "app", "image": "nginx:1.27",
                                         "resources": {"requests": {"cpu": f"{100 * (1 + i % 4)}m",
                                                                    "memory": f"{128 * (1 + i % 4)}Mi"}}}]}}}}


def run(n: int, m: int, folder: Path) -> tuple[float, float, float]:
    path = folder / f"plan-{n}x{m}.yaml"
    with path.open("w") as f:
        yaml.dump_all(documents(n, m), f, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    env = {**os.environ, "KARMADA_HOME": str(folder / "home")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "karmadactl", "plan", "--offline", "-f", str(path), "-o", "json"],
                   env=env, stdout=subprocess.DEVNULL, check=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, after.ru_maxrss / 1024


def phases(n: int, m: int, folder: Path) -> dict[str, float]:
    """The same plan in this process, timed by stage: read files, schedule, render JSON (the cycle
    collector paused, as the command pauses it)."""
    import gc
    import io

    from karmadactl.cli import files
    from karmadactl.cli.output import write_list
    from karmadactl.commands.resources import offline_snapshot
    from karmadactl.controllers import reconcile

    path = folder / f"plan-{n}x{m}.yaml"
    times = {}
    gc.disable()
    start = time.perf_counter()
    snapshot = offline_snapshot(files.load([str(path)]))
    times["read"] = time.perf_counter() - start
    start = time.perf_counter()
    plans = reconcile.plan(snapshot, "")
    times["schedule"] = time.perf_counter() - start
    start = time.perf_counter()
    write_list(io.StringIO(), [reconcile.stored_form(p.binding) for p in plans if p.binding]
               + [w.to_dict() for p in plans for w in p.works], "json")
    times["render"] = time.perf_counter() - start
    gc.enable()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000x10,10000x100")
    args = parser.parse_args()
    print(f"karmadactl plan --offline -o json ({os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            n, m = (int(x) for x in size.split("x"))
            seconds, cpu, peak = run(n, m, Path(tmp))
            print(f"  {n:>6} deployments x {m:>3} clusters: {seconds:6.2f} s, "
                  f"{n / seconds:8.0f} bindings/s, CPU {cpu:6.2f} s, peak RSS {peak:7.1f} MiB")
            stages = phases(n, m, Path(tmp))
            print("      stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
                  + f"; scheduling alone {n / stages['schedule']:.0f} bindings/s")


if __name__ == "__main__":
    main()
