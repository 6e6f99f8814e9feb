"""Start-up time of the CLI: median wall time over 20 runs of each command.

    python bench/startup.py [--runs 20]

Runs the installed console script (the file pip wrote, not a shell shim), with
$KARMADA_HOME in a temporary folder holding three joined sandbox members.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(argv: list[str], runs: int, env: dict) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from karmadactl.sandbox.member import Member

    script = Path(sys.executable).with_name("karmadactl")
    if not script.exists():
        script = Path(shutil.which("karmadactl") or "karmadactl")
    home = Path(tempfile.mkdtemp(prefix="karmadactl-bench-"))
    env = {**os.environ, "KARMADA_HOME": str(home)}
    env.pop("KARMADACTL_STORE", None)
    members = [Member(f"member{i}") for i in (1, 2, 3)]
    try:
        for m in members:
            m.start()
            path = home / f"{m.name}.kubeconfig"
            m.write_kubeconfig(path)
            subprocess.run([str(script), "join", m.name, "--kubeconfig", str(path)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        cases = [("python -c pass", [sys.executable, "-c", "pass"]),
                 ("karmadactl version", [str(script), "version"]),
                 ("karmadactl --help", [str(script), "--help"]),
                 ("karmadactl get clusters", [str(script), "get", "clusters"])]
        print(f"median wall time over {args.runs} runs ({os.cpu_count()} cores, python "
              f"{sys.version.split()[0]})")
        for label, argv in cases:
            print(f"  {label:<26} {median_seconds(argv, args.runs, env) * 1000:7.1f} ms")
    finally:
        for m in members:
            m.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
