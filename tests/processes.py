"""Running one test function in several processes at once.

The processes are forked from a server that has already imported the product's heavy modules
(multiprocessing's forkserver, started once per test process): a process costs a fork, not a
fresh interpreter importing SQLAlchemy, YAML and the CLI again. Each still starts from a clean
interpreter state (no threads, no open stores, no sandbox members of the test process) and runs
with the test's environment as it is when the processes start, as a spawned one would.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from multiprocessing import forkserver

# What the processes' commands (apply, sync, delete, get, watch) import: the kubernetes client and the
# commands' modules are about half a second of CPU per process (a third of a second the client alone, on a
# quiet machine) when each imports them itself.
PRELOAD = ["pytest", "yaml", "sqlalchemy", "sqlalchemy.dialects.sqlite", "psycopg", "sqlalchemy.dialects.postgresql",
           "kubernetes.client", "kubernetes.config.kube_config", "karmadactl.cli.app", "karmadactl.cli.env",
           "karmadactl.cli.resources", "karmadactl.cli.get", "karmadactl.cli.watch", "karmadactl.store",
           "karmadactl.commands.resources", "karmadactl.controllers.reconcile", "karmadactl.controllers.execution",
           "karmadactl.controllers.status", "karmadactl.controllers.watch", "karmadactl.members.client"]


_configured: list[bool] = []


def _context() -> multiprocessing.context.ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    if not _configured:
        ctx.set_forkserver_preload(PRELOAD)
        atexit.register(_stop_server)
        _configured.append(True)
    return ctx


def _stop_server() -> None:
    """Stop the server and wait for it, so that its processes' CPU is counted with this process's."""
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def _with_environment(environ: dict[str, str], target, *args) -> None:  # noqa: ANN001
    os.environ.clear()
    os.environ.update(environ)
    target(*args)


def run_in_processes(target, args, count: int, timeout: float) -> list[tuple]:
    """Start count processes, each running target(*args(i), barrier, results), where the barrier
    lets them start together and each puts one (i, ok, detail) on results. Every process must report
    ok and exit 0; the reports, in the order they arrived."""
    ctx = _context()
    barrier = ctx.Barrier(count)
    results = ctx.Queue()
    environ = dict(os.environ)
    procs = [ctx.Process(target=_with_environment, args=(environ, target, *args(i), barrier, results))
             for i in range(count)]
    for p in procs:
        p.start()
    try:
        reports = [results.get(timeout=timeout) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    failures = [detail for _, ok, detail in reports if not ok]
    assert failures == [], "\n".join(failures)
    assert [p.exitcode for p in procs] == [0] * count
    return reports


def _cli(argv: list[str], index: int, barrier, results) -> None:  # noqa: ANN001
    """One command line through the CLI's own entry point, as `python -m karmadactl` runs it."""
    import io
    import traceback

    try:
        from karmadactl.cli.app import run
        from karmadactl.cli.env import Env

        out, err = io.StringIO(), io.StringIO()
        barrier.wait(timeout=60)
        code = run(argv, Env(stdout=out, stderr=err, stdin=io.StringIO()))
        results.put((index, True, (code, out.getvalue(), err.getvalue())))
    except BaseException:
        results.put((index, False, traceback.format_exc()))


def run_cli_in_processes(command_lines: list[list[str]], timeout: float = 120) -> list[tuple[int, str, str]]:
    """Each command line run at once by a process of its own: (exit code, stdout, stderr) of each, in the
    order of the command lines."""
    reports = run_in_processes(_cli, lambda i: ([str(a) for a in command_lines[i]], i), len(command_lines),
                               timeout=timeout)
    return [outcome for _, _, outcome in sorted(reports, key=lambda report: report[0])]
