"""Running one test function in several spawned processes at once."""

from __future__ import annotations

import multiprocessing


def run_in_processes(target, args, count: int, timeout: float) -> list[tuple]:
    """Start count spawned processes, each running target(*args(i), barrier, results), where the barrier
    lets them start together and each puts one (i, ok, detail) on results. Every process must report
    ok and exit 0; the reports, in the order they arrived."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count)
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args(i), barrier, results)) for i in range(count)]
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
