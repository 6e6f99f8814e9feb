"""`karmadactl logs`: containers' logs from the member clusters, as `kubectl logs` shows them.

Sources are (cluster, pod, container). Without -C, a workload (TYPE/NAME) is
looked for in the clusters its binding schedules it to, a pod name or a
selector in every joined cluster. Several sources are prefixed
`[cluster/pod/container]`; with -f they are followed at once, one thread each,
and lines are printed whole as they arrive. A member that cannot be read is
named on stderr and the others go on (exit 3).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import typer

from karmadactl.cli.env import Env
from karmadactl.errors import ExitCode

HELP = "Print the logs of a container in a member cluster (kubectl logs, across members)."

# TYPE of TYPE/NAME -> (apiVersion, plural, kind)
WORKLOADS = {
    "pod": ("v1", "pods", "Pod"),
    "deployment": ("apps/v1", "deployments", "Deployment"),
    "replicaset": ("apps/v1", "replicasets", "ReplicaSet"),
    "statefulset": ("apps/v1", "statefulsets", "StatefulSet"),
    "daemonset": ("apps/v1", "daemonsets", "DaemonSet"),
    "job": ("batch/v1", "jobs", "Job"),
}
ALIASES = {"po": "pod", "pods": "pod", "deploy": "deployment", "deployments": "deployment",
           "rs": "replicaset", "replicasets": "replicaset", "sts": "statefulset",
           "statefulsets": "statefulset", "ds": "daemonset", "daemonsets": "daemonset",
           "jobs": "job"}
DEFAULT_MAX_LOG_REQUESTS = 5          # kubectl's default


@dataclass(frozen=True)
class Source:
    cluster: str
    pod: str
    container: str

    @property
    def prefix(self) -> str:
        return f"[{self.cluster}/{self.pod}/{self.container}] "


# --- pure helpers -------------------------------------------------------------------------------

def parse_target(target: str | None) -> tuple[str, str] | None:
    """("pod"|"deployment"|..., NAME) from POD or TYPE/NAME; None when absent."""
    from karmadactl.errors import UsageError

    if not target:
        return None
    kind, slash, name = target.partition("/")
    if not slash:
        return "pod", target
    kind = kind.lower().split(".")[0]
    kind = ALIASES.get(kind, kind)
    if kind not in WORKLOADS or not name:
        raise UsageError(f"logs {target}: expected POD or TYPE/NAME with TYPE one of "
                         f"{', '.join(sorted(WORKLOADS))} (or their short names)")
    return kind, name


def tail_for(tail: int, selector: str | None) -> int | None:
    """tailLines to ask for: --tail, else all lines, or the last 10 with a selector (kubectl's)."""
    if tail >= 0:
        return tail
    return 10 if selector else None


def selector_of(workload: dict) -> str:
    """A workload's spec.selector as a label selector string."""
    from karmadactl.apis.labels import selector_string

    return selector_string((workload.get("spec") or {}).get("selector"))


def logging_order(pod: dict) -> tuple:
    """kubectl's preference for the one pod it shows: scheduled, running, ready, older."""
    status = pod.get("status") or {}
    phase_rank = {"Running": 0, "Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 3)
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in status.get("conditions") or [])
    return (not (pod.get("spec") or {}).get("nodeName"), phase_rank, not ready,
            pod["metadata"].get("creationTimestamp", ""), pod["metadata"]["name"])


def containers_of(pod: dict, container: str | None, all_containers: bool) -> list[str]:
    """The containers to read; raises like kubectl when one must be named."""
    from karmadactl.errors import InvalidInput

    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or []]
    inits = [c.get("name", "") for c in spec.get("initContainers") or []]
    name = pod["metadata"]["name"]
    if all_containers:
        return inits + names
    if container:
        if container not in names and container not in inits:
            raise InvalidInput(f"container {container} is not valid for pod {name}")
        return [container]
    if len(names) != 1:
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
        if inits:
            message += f" or one of the init containers: [{' '.join(inits)}]"
        raise InvalidInput(message)
    return names


# --- finding the sources -----------------------------------------------------------------------

def _pods_in(client, target, namespace: str, selector: str | None, env: Env, cluster: str) -> list[dict]:
    if target is None:
        return client.list("v1", "pods", namespace=namespace, label_selector=selector)
    kind, name = target
    if kind == "pod":
        pod = client.get("v1", "pods", name, namespace)
        return [pod] if pod is not None else []
    api_version, plural, _ = WORKLOADS[kind]
    workload = client.get(api_version, plural, name, namespace)
    if workload is None:
        return []
    pods = client.list("v1", "pods", namespace=namespace, label_selector=selector_of(workload) or None)
    uid = workload["metadata"].get("uid")
    if kind != "deployment":                 # a Deployment's pods belong to its ReplicaSets
        pods = [p for p in pods if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])]
    pods.sort(key=logging_order)
    if len(pods) > 1:
        env.err(f"Found {len(pods)} pods in cluster {cluster}, using pod/{pods[0]['metadata']['name']}")
    return pods[:1]


@dataclass
class _Found:
    """The clusters looked in, a client for each that could be asked, the ones that failed, and the
    (cluster, pod, container) sources to read."""
    targets: list
    clients: dict = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def _find_sources(env: Env, parsed: tuple[str, str] | None, namespace: str, clusters: str | None,
                  selector: str | None, container: str | None, all_containers: bool) -> _Found:
    from karmadactl.commands.logs import log_clusters
    from karmadactl.controllers.clusters import client_for
    from karmadactl.errors import KarmadaError

    names = [c for c in (clusters or "").split(",") if c] or None
    workload = None if parsed is None or parsed[0] == "pod" else WORKLOADS[parsed[0]][2]
    with env.store() as store:
        found = _Found(log_clusters(store, workload, parsed[1] if parsed else None, namespace, names))
        for cluster in found.targets:
            try:
                client = client_for(store, cluster)
                found.clients[cluster.name] = client
                pods = _pods_in(client, parsed, namespace, selector, env, cluster.name)
            except KarmadaError as e:
                found.failures[cluster.name] = str(e)
                continue
            for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
                for name in containers_of(pod, container, all_containers):
                    found.sources.append(Source(cluster.name, pod["metadata"]["name"], name))
    return found


def _none_found(env: Env, parsed: tuple[str, str] | None, namespace: str, found: _Found) -> int:
    from karmadactl.errors import NotFound

    if found.failures:
        return ExitCode.ERROR
    if parsed is None:
        env.err(f"No resources found in {namespace} namespace.")
        return ExitCode.OK
    what = f"{parsed[0]}s" if parsed[0] == "pod" else f"{WORKLOADS[parsed[0]][1]}"
    raise NotFound(f'{what} "{parsed[1]}" not found in namespace "{namespace}" in '
                   + (", ".join(c.name for c in found.targets) if found.targets else "any member cluster"))


def _since_seconds(target: str | None, selector: str | None, since: str | None, since_time: str | None,
                   container: str | None, all_containers: bool, max_log_requests: int) -> int | None:
    """The options checked as kubectl checks them; --since in seconds."""
    from karmadactl.apis.meta import parse_duration
    from karmadactl.errors import UsageError

    if bool(target) == bool(selector):
        raise UsageError("logs: name a POD or TYPE/NAME, or give a selector with -l (not both)")
    if since and since_time:
        raise UsageError("logs: at most one of `sinceTime` or `sinceSeconds` may be specified")
    if all_containers and container:
        raise UsageError(f"logs: --all-containers=true should not be specified with container name {container}")
    if max_log_requests < 1:
        raise UsageError("--max-log-requests: must be at least 1")
    since_seconds = None
    if since:
        since_seconds = max(1, int(parse_duration(since, "--since").total_seconds()))
    if since_time:
        from datetime import datetime

        try:
            datetime.fromisoformat(since_time.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UsageError(f"--since-time {since_time!r}: expected an RFC 3339 time") from None
    return since_seconds


# --- the command -------------------------------------------------------------------------------

def logs(ctx: typer.Context,
         target: str | None = typer.Argument(None, metavar="POD|TYPE/NAME"),
         clusters: str | None = typer.Option(None, "-C", "--cluster", "--clusters",
                                             help="Members to read, a,b (default: where it runs)"),
         container: str | None = typer.Option(None, "-c", "--container"),
         namespace: str = typer.Option("default", "-n", "--namespace"),
         follow: bool = typer.Option(False, "-f", "--follow", help="Stream new lines"),
         tail: int = typer.Option(-1, "--tail", help="Lines of recent log to show (-1: all; "
                                  "10 with a selector)"),
         since: str | None = typer.Option(None, "--since", help="Only lines newer than 5s, 2m, 3h"),
         since_time: str | None = typer.Option(None, "--since-time", help="Only lines after this "
                                               "RFC 3339 time"),
         previous: bool = typer.Option(False, "-p", "--previous",
                                       help="The previous instance of the container"),
         timestamps: bool = typer.Option(False, "--timestamps", help="Prefix RFC 3339 timestamps"),
         all_containers: bool = typer.Option(False, "--all-containers"),
         selector: str | None = typer.Option(None, "-l", "--selector", help="Label selector"),
         prefix: bool = typer.Option(False, "--prefix", help="Prefix lines with [cluster/pod/container] "
                                     "(always with several sources)"),
         limit_bytes: int | None = typer.Option(None, "--limit-bytes"),
         max_log_requests: int = typer.Option(DEFAULT_MAX_LOG_REQUESTS, "--max-log-requests",
                                              help="How many logs to follow at once with -l")) -> int:
    from karmadactl.cli.output import failure_line
    from karmadactl.errors import UsageError
    from karmadactl.members.logs import log_query

    env: Env = ctx.obj
    since_seconds = _since_seconds(target, selector, since, since_time, container, all_containers,
                                   max_log_requests)
    parsed = parse_target(target)
    if tail < -1:
        raise UsageError("--tail: -1 (all) or a number of lines")
    tail_lines = tail_for(tail, selector)

    found = _find_sources(env, parsed, namespace, clusters, selector, container, all_containers)
    for cluster in sorted(found.failures):
        env.err(f"error: {failure_line(found.failures[cluster], cluster)}")
    sources = found.sources
    if not sources:
        found.close()
        return _none_found(env, parsed, namespace, found)
    if follow and len(sources) > max_log_requests:
        raise UsageError(f"you are attempting to follow {len(sources)} log streams, but maximum "
                         f"allowed concurrency is {max_log_requests}, use --max-log-requests to "
                         "increase the limit")
    query = functools.partial(log_query, follow=follow, previous=previous, timestamps=timestamps, tail=tail_lines,
                              since_seconds=since_seconds, since_time=since_time, limit_bytes=limit_bytes)
    show_prefix = prefix or len(sources) > 1 or len(found.targets) > 1   # the same shape when one fails
    printer = _Printer(env, show_prefix)
    try:
        if follow:
            _follow(found.clients, sources, namespace, query, printer)
        else:
            for source in sources:
                _read(found.clients[source.cluster], source, namespace, query(container=source.container),
                      printer, None)
    finally:
        found.close()
    for cluster, why in printer.failures:
        env.err(f"error: {failure_line(why, cluster)}")
    if not found.failures and not printer.failures:
        return ExitCode.OK
    answered = len(sources) > len(printer.failures)
    return ExitCode.PARTIAL if answered else ExitCode.ERROR


def register(app: typer.Typer) -> None:
    app.command("logs", help=HELP)(logs)


class _Printer:
    """Writes whole lines (prefixed when asked) from any thread; remembers failures."""

    def __init__(self, env: Env, prefix: bool):
        self.env, self.prefix = env, prefix
        self.lock = threading.Lock()
        self.failures: list[tuple[str, str]] = []

    def line(self, source: Source, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        with self.lock:
            self.env.stdout.write((source.prefix if self.prefix else "") + text)
            self.env.stdout.flush()

    def fail(self, source: Source, why: str) -> None:
        with self.lock:
            self.failures.append((source.cluster, why))


def _read(client, source: Source, namespace: str, query: dict, printer: _Printer,
          stop: threading.Event | None) -> None:
    from karmadactl.errors import KarmadaError
    from karmadactl.members.logs import pod_log_lines

    try:
        for raw in pod_log_lines(client, namespace, source.pod, query, stop):
            printer.line(source, raw)
    except KarmadaError as e:
        printer.fail(source, str(e))


def _follow(clients, sources: list[Source], namespace: str, query: Callable[..., dict[str, str]],
            printer: _Printer) -> None:
    """One thread per source; Ctrl-C stops them all and returns."""
    stop = threading.Event()
    threads = [threading.Thread(target=_read, daemon=True, name=f"logs-{s.cluster}-{s.pod}-{s.container}",
                                args=(clients[s.cluster], s, namespace, query(container=s.container),
                                      printer, stop))
               for s in sources]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        stop.set()
