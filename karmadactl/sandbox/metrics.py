"""metrics.k8s.io/v1beta1 for a sandbox member, as metrics-server answers it.

Usage is computed on each request from the pods the member stores, so it
follows the workloads as they scale. A pod is measured only while its phase
is Running (as metrics-server does); its usage is the simulated load of the
workload that selects it (`Loads`, set per workload, meant *per pod*) spread
over its containers, or its share of the workload's total CPU in the member (`--total-cpu`:
more pods, less each, as a real service under a steady load), else a small idle usage that
depends only on the pod's name. A node's usage is the sum over the Running pods bound to it
(spec.nodeName) plus a fixed base for the system daemons.

The computing part is pure (objects in, objects out); `serve` is the HTTP
entry point apiserver.py calls for /apis/metrics.k8s.io/...
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from karmadactl.sandbox.writes import now as _now  # the sandbox's one clock format

GROUP = "metrics.k8s.io"
VERSION = "v1beta1"
GROUP_VERSION = f"{GROUP}/{VERSION}"
PREFIX = f"/apis/{GROUP}"
WINDOW = "15s"                                  # metrics-server's default resolution
NODE_BASE_CPU_NANO = 75_000_000                 # 75m: kubelet, runtime, system daemons
NODE_BASE_MEMORY = 600 * 1024 * 1024            # 600Mi
IDLE_CPU_NANO = (1_000_000, 5_000_000)          # an idle container: 1m..5m, not round
IDLE_MEMORY = (2 * 1024 * 1024, 12 * 1024 * 1024)  # 2Mi..12Mi


@dataclass(frozen=True)
class Load:
    """The usage of each pod of a workload (None: keep the idle value for that resource)."""

    cpu_nano: int | None = None
    memory: int | None = None       # bytes
    total_cpu_nano: int | None = None   # the workload's CPU in this member, shared by its running pods


# (namespace, Kind, name) -> Load
Loads = dict[tuple[str, str, str], Load]


# -- formats -------------------------------------------------------------------------------

def cpu_quantity(nano: int) -> str:
    """Nanocores as metrics-server prints them: "0", "250m" when exact, else "1234567n"."""
    if nano == 0:
        return "0"
    return f"{nano // 1_000_000}m" if nano % 1_000_000 == 0 else f"{nano}n"


def memory_quantity(size: int) -> str:
    """Bytes in Ki (the unit cAdvisor's figures come out in)."""
    return f"{size // 1024}Ki"


def _spread(total: int, parts: int) -> list[int]:
    """`total` over `parts` as evenly as integers allow (the remainder to the first)."""
    share, rest = divmod(total, parts)
    return [share + (rest if i == 0 else 0) for i in range(parts)]


def _idle(seed: str, low_high: tuple[int, int]) -> int:
    low, high = low_high
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16)
    return low + digest % (high - low)


# -- usage ----------------------------------------------------------------------------------

def load_of(pod: dict, workloads: list[tuple[dict, Load]],
            selects: Callable[[dict, dict], bool], shares: dict[int, int] | None = None) -> Load:
    """The load of the workloads (same namespace) whose selector picks the pod; a total CPU is divided
    by the workload's running pods (`shares`: index in `workloads` -> how many)."""
    namespace = pod["metadata"].get("namespace", "")
    found = Load()
    for i, (workload, load) in enumerate(workloads):
        if workload["metadata"].get("namespace", "") == namespace and selects(workload, pod):
            cpu = load.cpu_nano if load.cpu_nano is not None else found.cpu_nano
            if load.total_cpu_nano is not None:
                cpu = load.total_cpu_nano // max(1, (shares or {}).get(i, 1))
            memory = load.memory if load.memory is not None else found.memory
            found = Load(cpu, memory)
    return found


def container_usage(pod: dict, load: Load) -> list[dict]:
    """[{name, usage: {cpu, memory}}] for each container of a Running pod."""
    meta = pod["metadata"]
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if not names:
        return []
    key = f"{meta.get('namespace', '')}/{meta['name']}"
    cpus = _spread(load.cpu_nano, len(names)) if load.cpu_nano is not None else \
        [_idle(f"cpu/{key}/{n}", IDLE_CPU_NANO) for n in names]
    memories = _spread(load.memory, len(names)) if load.memory is not None else \
        [_idle(f"memory/{key}/{n}", IDLE_MEMORY) for n in names]
    return [{"name": n, "usage": {"cpu": cpu_quantity(c), "memory": memory_quantity(m)}}
            for n, c, m in zip(names, cpus, memories)]


def running(pod: dict) -> bool:
    return ((pod.get("status") or {}).get("phase")) == "Running"


def pod_metrics(pod: dict, load: Load, now: str) -> dict:
    meta = pod["metadata"]
    out_meta = {"name": meta["name"], "namespace": meta.get("namespace", ""),
                "creationTimestamp": now}
    if meta.get("labels"):
        out_meta["labels"] = dict(meta["labels"])
    return {"kind": "PodMetrics", "apiVersion": GROUP_VERSION, "metadata": out_meta,
            "timestamp": now, "window": WINDOW, "containers": container_usage(pod, load)}


def _parse_cpu_nano(text: str) -> int:
    if text.endswith("n"):
        return int(text[:-1])
    if text.endswith("m"):
        return int(text[:-1]) * 1_000_000
    return int(text) * 1_000_000_000


def node_metrics(node: dict, pods: list[dict], now: str) -> dict:
    """A node's usage: the base plus the PodMetrics of the pods bound to it."""
    meta = node["metadata"]
    cpu, memory = NODE_BASE_CPU_NANO, NODE_BASE_MEMORY
    for pm in pods:
        for container in pm["containers"]:
            cpu += _parse_cpu_nano(container["usage"]["cpu"])
            memory += int(container["usage"]["memory"][:-2]) * 1024
    out_meta = {"name": meta["name"], "creationTimestamp": now}
    if meta.get("labels"):
        out_meta["labels"] = dict(meta["labels"])
    return {"kind": "NodeMetrics", "apiVersion": GROUP_VERSION, "metadata": out_meta,
            "timestamp": now, "window": WINDOW,
            "usage": {"cpu": cpu_quantity(cpu), "memory": memory_quantity(memory)}}


def parse_load(cpu: str | None, memory: str | None, total_cpu: str | None = None) -> Load:
    """A Load from quantities ("400m", "1", "200Mi"); ValueError naming the bad one."""
    from karmadactl.apis.quantity import parse_quantity
    from karmadactl.errors import InvalidInput

    def amount(text: str | None, flag: str, scale: int) -> int | None:
        if text is None:
            return None
        try:
            value = parse_quantity(str(text)) * scale
        except InvalidInput as e:
            raise ValueError(f"{flag}: {e}") from None
        if value < 0:
            raise ValueError(f"{flag}: must not be negative, got {text}")
        return int(value)

    return Load(amount(cpu, "cpu", 1_000_000_000), amount(memory, "memory", 1),
                amount(total_cpu, "total-cpu", 1_000_000_000))


# -- discovery ------------------------------------------------------------------------------

def api_group() -> dict:
    gv = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {"name": GROUP, "versions": [gv], "preferredVersion": gv}


def api_resource_list() -> dict:
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GROUP_VERSION,
            "resources": [
                {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics",
                 "verbs": ["get", "list"]},
                {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics",
                 "verbs": ["get", "list"]}]}


# -- serving --------------------------------------------------------------------------------

def _selects(workload: dict, pod: dict) -> bool:
    from karmadactl.apis.labels import label_selector_matcher

    spec = workload.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not labels:
            return False
        selector = {"matchLabels": labels}
    try:
        return label_selector_matcher(selector)((pod.get("metadata") or {}).get("labels") or {})
    except Exception:  # noqa: BLE001 - a malformed selector selects nothing
        return False


def measured_pods(cluster, loads: Loads, namespace: str | None, match=None) -> list[dict]:
    """PodMetrics of the Running pods (one namespace or all), sorted by namespace and name."""
    workloads = []
    for (ns, kind, name), load in loads.items():
        rt = cluster.registry.by_kind(kind)
        obj = cluster.store.get(rt.group_resource, ns, name) if rt else None
        if obj is not None:
            workloads.append((obj, load))
    now = _now()
    shares = {}
    for i, (workload, load) in enumerate(workloads):
        if load.total_cpu_nano is not None:
            ns = workload["metadata"].get("namespace", "")
            shares[i] = sum(1 for p in cluster.store.list(("", "pods"), ns) if running(p) and _selects(workload, p))
    pods = cluster.store.list(("", "pods"), namespace, match)
    return [pod_metrics(p, load_of(p, workloads, _selects, shares), now) for p in pods if running(p)]


async def serve(server, request, path: str):
    """GET /apis/metrics.k8s.io[/v1beta1[/...]] for an ApiServer (404 when disabled)."""
    from karmadactl.sandbox.handlers import respond
    from karmadactl.sandbox.objects import StatusError, bad_request, not_found
    from karmadactl.sandbox.selectors import SelectorError, selector_of

    missing = StatusError(404, "NotFound", "the server could not find the requested resource", {})
    if not server.metrics_enabled:
        raise missing
    parts = path.strip("/").split("/")[2:]          # after apis/metrics.k8s.io
    if request.method != "GET":
        raise StatusError(405, "MethodNotAllowed",
                          "the server does not allow this method on the requested resource", {})
    if not parts:
        return respond({"kind": "APIGroup", "apiVersion": "v1", **api_group()})
    if parts[0] != VERSION:
        raise missing
    rest = parts[1:]
    if not rest:
        return respond(api_resource_list())
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] == "pods":
        namespace, rest = rest[1], rest[2:]
    if rest[0] not in ("pods", "nodes") or len(rest) > 2 or (namespace and rest[0] != "pods"):
        raise missing
    resource, name = rest[0], (rest[1] if len(rest) == 2 else None)
    if name is not None and resource == "pods" and namespace is None:
        raise missing
    cluster = server.cluster
    try:
        match = selector_of(request.query.get("labelSelector"), request.query.get("fieldSelector"),
                            ("", resource))
    except SelectorError as exc:
        raise bad_request(str(exc)) from None
    if resource == "pods":
        if name is not None:
            pod = cluster.store.get(("", "pods"), namespace, name)
            if pod is None:
                raise not_found("", "pods", name)
            found = measured_pods(cluster, server.loads, namespace,
                                  lambda o: o["metadata"]["name"] == name)
            if not found:
                raise not_found(GROUP, "podmetrics", f"{namespace}/{name}")
            return respond(found[0])
        items = measured_pods(cluster, server.loads, namespace, match)
        return respond({"kind": "PodMetricsList", "apiVersion": GROUP_VERSION,
                        "metadata": {}, "items": items})
    all_pods = measured_pods(cluster, server.loads, None)
    pods_by_node: dict[str, list[dict]] = {}
    bound = {(p["metadata"].get("namespace", ""), p["metadata"]["name"]):
             (p.get("spec") or {}).get("nodeName") for p in cluster.store.list(("", "pods"))}
    for pm in all_pods:
        node_name = bound.get((pm["metadata"]["namespace"], pm["metadata"]["name"]))
        if node_name:
            pods_by_node.setdefault(node_name, []).append(pm)
    now = _now()
    if name is not None:
        node = cluster.store.get(("", "nodes"), "", name)
        if node is None:
            raise not_found("", "nodes", name)
        return respond(node_metrics(node, pods_by_node.get(name, []), now))
    items = [node_metrics(n, pods_by_node.get(n["metadata"]["name"], []), now)
             for n in cluster.store.list(("", "nodes"), None, match)]
    return respond({"kind": "NodeMetricsList", "apiVersion": GROUP_VERSION,
                    "metadata": {}, "items": items})


# -- control --------------------------------------------------------------------------------

def resolve_kind(registry, text: str):
    """A workload's ResourceType from `deploy`, `deployment`, `deployments`, `Deployment` ..."""
    wanted = text.lower()
    for rt in registry.all():
        names = {rt.plural, rt.kind.lower(), rt.singular, *rt.short_names,
                 f"{rt.plural}.{rt.group}" if rt.group else rt.plural}
        if wanted in names:
            return rt
    return None


def set_load(server, kind: str, namespace: str, name: str, load: Load | None) -> dict:
    """Set (None: clear) the per-pod load of one workload; {"kind", "pods"} or LookupError."""
    rt = resolve_kind(server.cluster.registry, kind)
    if rt is None or rt.kind == "Pod" or not rt.namespaced:
        raise LookupError(f'the server doesn\'t have a workload type "{kind}"')
    obj = server.cluster.store.get(rt.group_resource, namespace, name)
    if obj is None:
        raise LookupError(f'{rt.qualified} "{name}" not found in namespace "{namespace}"')
    key = (namespace, rt.kind, name)
    if load is None:
        server.loads.pop(key, None)
    else:
        old = server.loads.get(key, Load())
        server.loads[key] = Load(load.cpu_nano if load.cpu_nano is not None else old.cpu_nano,
                                 load.memory if load.memory is not None else old.memory,
                                 load.total_cpu_nano if load.total_cpu_nano is not None else old.total_cpu_nano)
    pods = [p for p in server.cluster.store.list(("", "pods"), namespace)
            if running(p) and _selects(obj, p)]
    return {"kind": rt.kind, "resource": rt.qualified, "pods": len(pods)}
