"""top pod|node: CPU and memory of the members' pods and nodes, from their metrics.k8s.io API.

Columns, units and order are Karmada's karmadactl top (pkg/karmadactl/top/metrics_printer.go,
metrics_sorter.go), which are kubectl's with a CLUSTER column after NAME.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from karmadactl.cli.env import Env

T = TypeVar("T")
SORT_KEYS = ("cpu", "memory")
MEBI = 1024 * 1024
UNKNOWN = "<unknown>"


# -- pure: quantities and rows ---------------------------------------------------------------

def milli_cores(quantity: str | None) -> int:
    """kubectl's Quantity.MilliValue(): thousandths of a core, rounded up."""
    from karmadactl.apis.quantity import parse_quantity

    return math.ceil(parse_quantity(quantity or "0") * 1000)


def byte_count(quantity: str | None) -> int:
    """kubectl's Quantity.Value(): bytes, rounded up."""
    from karmadactl.apis.quantity import parse_quantity

    return math.ceil(parse_quantity(quantity or "0"))


def _cpu(milli: int) -> str:
    return f"{milli}m"


def _memory(size: int) -> str:
    return f"{size // MEBI}Mi"


def _pod_usage(pm: dict) -> tuple[int, int]:
    containers = pm.get("containers") or []
    return (sum(milli_cores((c.get("usage") or {}).get("cpu")) for c in containers),
            sum(byte_count((c.get("usage") or {}).get("memory")) for c in containers))


def _by(sort_by: str | None, usage: tuple[int, int]) -> int:
    return -usage[0] if sort_by == "cpu" else -usage[1]


def pod_table(found: list[tuple[str, dict]], *, containers: bool, with_namespace: bool,
              sort_by: str | None, total: bool) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for (cluster, PodMetrics) pairs, as Karmada's top pod prints them."""
    headers = (["NAMESPACE"] if with_namespace else []) + (["POD"] if containers else []) + \
        ["NAME", "CLUSTER", "CPU(cores)", "MEMORY(bytes)"]
    ordered = sorted(found, key=lambda r: (r[0], r[1]["metadata"].get("namespace", "")
                                           if with_namespace else "", r[1]["metadata"]["name"]))
    if sort_by:
        ordered.sort(key=lambda r: _by(sort_by, _pod_usage(r[1])))
    rows: list[list[str]] = []
    for cluster, pm in ordered:
        meta = pm["metadata"]
        lead = [meta.get("namespace", "")] if with_namespace else []
        if containers:
            items = [(c.get("name", ""), milli_cores((c.get("usage") or {}).get("cpu")),
                      byte_count((c.get("usage") or {}).get("memory")))
                     for c in pm.get("containers") or []]
            items.sort(key=lambda c: c[0])
            if sort_by:
                items.sort(key=lambda c: _by(sort_by, (c[1], c[2])))
            rows += [lead + [meta["name"], n, cluster, _cpu(c), _memory(m)] for n, c, m in items]
        else:
            cpu, memory = _pod_usage(pm)
            rows.append(lead + [meta["name"], cluster, _cpu(cpu), _memory(memory)])
    if total:
        cpu = sum(_pod_usage(pm)[0] for _, pm in found)
        memory = sum(_pod_usage(pm)[1] for _, pm in found)
        blank = [""] * (len(headers) - 2)
        rows += [blank + ["________", "________"], blank + [_cpu(cpu), _memory(memory)]]
    return headers, rows


def _percent(used: int, available: int) -> str:
    return f"{int(used / available * 100) if available else 0}%"


def node_table(found: list[tuple[str, dict]], allocatable: dict[str, dict[str, dict]], *,
               sort_by: str | None) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for (cluster, NodeMetrics) pairs; nodes without metrics show <unknown>.
    CPU% and MEMORY% are of the node's allocatable."""
    headers = ["NAME", "CLUSTER", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]
    measured = []
    for cluster, nm in found:
        usage = nm.get("usage") or {}
        measured.append((cluster, nm["metadata"]["name"], milli_cores(usage.get("cpu")),
                         byte_count(usage.get("memory"))))
    measured.sort(key=lambda r: (r[0], r[1]))
    if sort_by:
        measured.sort(key=lambda r: -r[2] if sort_by == "cpu" else -r[3])
    rows = []
    seen = set()
    for cluster, name, cpu, memory in measured:
        seen.add((cluster, name))
        alloc = allocatable.get(cluster, {}).get(name)
        cpu_pct = _percent(cpu, milli_cores(alloc.get("cpu"))) if alloc and "cpu" in alloc else ""
        mem_pct = _percent(memory, byte_count(alloc.get("memory"))) \
            if alloc and "memory" in alloc else ""
        rows.append([name, cluster, _cpu(cpu), cpu_pct, _memory(memory), mem_pct])
    for cluster in sorted(allocatable):
        for name in sorted(allocatable[cluster]):
            if (cluster, name) not in seen:
                rows.append([name, cluster] + [UNKNOWN] * 4)
    return headers, rows


# -- reading the members ---------------------------------------------------------------------

def _fan_out(store, clusters, read: Callable[[Any], T]) -> tuple[dict[str, T], dict[str, str]]:
    """read(client) for each cluster in parallel: (cluster -> result, cluster -> failure)."""
    from karmadactl.commands.members import MEMBERS_AT_ONCE
    from karmadactl.members.fanout import Fleet

    with Fleet(store) as fleet:
        read_back = fleet.each(clusters, lambda cluster, client: read(client), at_once=MEMBERS_AT_ONCE)
    return read_back.values, read_back.errors


def _print(env: Env, headers: list[str], rows: list[list[str]], no_headers: bool) -> None:
    from karmadactl.cli.output import print_table

    if not no_headers:
        print_table(env, headers, rows)
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        env.out("   ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def _check(name: str | None, selector: str | None, sort_by: str | None) -> None:
    from karmadactl.errors import UsageError

    if sort_by is not None and sort_by not in SORT_KEYS:
        raise UsageError("--sort-by accepts only cpu or memory")
    if name and selector:
        raise UsageError("only one of NAME or selector can be provided")
    if selector:
        from karmadactl.apis.labels import parse_selector

        parse_selector(selector)


def _finish(env: Env, failures: dict[str, str], answered: int) -> int:
    from karmadactl.cli.output import failure_line
    from karmadactl.errors import ExitCode

    for cluster in sorted(failures):
        env.err(f"error: {failure_line(failures[cluster], cluster)}")
    if not failures:
        return ExitCode.OK
    return ExitCode.PARTIAL if answered else ExitCode.ERROR


# -- the commands ----------------------------------------------------------------------------

POD_HELP = """Display CPU and memory of pods in the member clusters (their metrics.k8s.io API).

A member without a metrics API, or one that cannot be reached, is named on stderr and the others
print: exit 3 (1 when no member answered)."""
NODE_HELP = """Display CPU and memory of the members' nodes (their metrics.k8s.io API); CPU% and
MEMORY% are of each node's allocatable. A member without a metrics API, or one that cannot be
reached, is named on stderr and the others print: exit 3 (1 when no member answered)."""
CLUSTERS_HELP = "Members to read, a,b (default: all joined)"
SORT_HELP = "cpu or memory: the largest first"


def pod(ctx: typer.Context,
        name: str | None = typer.Argument(None, metavar="[NAME]"),
        clusters: str | None = typer.Option(None, "-C", "--clusters", help=CLUSTERS_HELP),
        namespace: str = typer.Option("default", "-n", "--namespace"),
        all_namespaces: bool = typer.Option(False, "-A", "--all-namespaces"),
        selector: str | None = typer.Option(None, "-l", "--selector", help="Label selector"),
        containers: bool = typer.Option(False, "--containers",
                                        help="One row per container"),
        sort_by: str | None = typer.Option(None, "--sort-by", help=SORT_HELP),
        total: bool = typer.Option(False, "--sum", help="Print the sum of the usage"),
        no_headers: bool = typer.Option(False, "--no-headers")) -> int:
    from karmadactl.commands.members import chosen_clusters
    from karmadactl.errors import NotFound
    from karmadactl.members.metrics import pod_metrics

    env: Env = ctx.obj
    _check(name, selector, sort_by)
    ns = None if all_namespaces else namespace
    with env.store() as store:
        targets = chosen_clusters(store, clusters)
        results, failures = _fan_out(
            store, targets, lambda client: pod_metrics(client, ns, name, selector))
    found = [(cluster, pm) for cluster, items in results.items() for pm in items]
    if not found:
        code = _finish(env, failures, len(results))
        if failures:
            return code
        if name:
            raise NotFound(f'podmetrics "{name}" not found in namespace "{namespace}" '
                           "in any member cluster")
        env.err("No resources found" if all_namespaces else
                f"No resources found in {namespace} namespace.")
        return code
    headers, rows = pod_table(found, containers=containers, with_namespace=all_namespaces,
                              sort_by=sort_by, total=total)
    _print(env, headers, rows, no_headers)
    return _finish(env, failures, len(results))


def node(ctx: typer.Context,
         name: str | None = typer.Argument(None, metavar="[NAME]"),
         clusters: str | None = typer.Option(None, "-C", "--clusters", help=CLUSTERS_HELP),
         selector: str | None = typer.Option(None, "-l", "--selector", help="Label selector"),
         sort_by: str | None = typer.Option(None, "--sort-by", help=SORT_HELP),
         no_headers: bool = typer.Option(False, "--no-headers")) -> int:
    from karmadactl.commands.members import chosen_clusters
    from karmadactl.errors import NotFound
    from karmadactl.members.metrics import node_metrics

    env: Env = ctx.obj
    _check(name, selector, sort_by)
    with env.store() as store:
        targets = chosen_clusters(store, clusters)
        results, failures = _fan_out(
            store, targets, lambda client: node_metrics(client, name, selector))
    found = [(cluster, nm) for cluster, (items, _) in results.items() for nm in items]
    allocatable = {cluster: alloc for cluster, (_, alloc) in results.items()}
    if not found and not any(allocatable.values()):
        code = _finish(env, failures, len(results))
        if failures:
            return code
        if name:
            raise NotFound(f'nodemetrics "{name}" not found in any member cluster')
        env.err("No resources found")
        return code
    headers, rows = node_table(found, allocatable, sort_by=sort_by)
    _print(env, headers, rows, no_headers)
    return _finish(env, failures, len(results))


def register(app: typer.Typer) -> None:
    top = typer.Typer(help="Display CPU and memory of the members' pods or nodes.",
                      no_args_is_help=True)
    app.add_typer(top, name="top")
    top.command("pod", help=POD_HELP)(pod)
    for alias in ("pods", "po"):
        top.command(alias, help=POD_HELP, hidden=True)(pod)
    top.command("node", help=NODE_HELP)(node)
    for alias in ("nodes", "no"):
        top.command(alias, help=NODE_HELP, hidden=True)(node)
