"""EndpointSlices and Endpoints for the sandbox's Services, as kube-controller-manager writes them.

A real cluster's endpointslice controller gives every Service that has a
selector (and is not ExternalName) EndpointSlices named `<service>-<5 chars>`:
one endpoint per matching pod that has an IP, grouped by the ports the
Service's ports resolve to on that pod, at most 100 endpoints per slice, and
one empty placeholder slice while nothing matches. The endpoints controller
writes the legacy v1 Endpoints object of the Service's name. Slices are owned
by their Service, so the garbage collector removes them with it; the endpoints
controller deletes the Endpoints itself.

The objects come from pure functions (`endpoint_for`, `endpoint_ports`,
`plan_slices`, `endpoints_subsets`); `EndpointsController` only lists,
compares and writes. It runs shortly after pods, Services or Nodes change, in
the member's event loop.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from karmadactl.sandbox.pods import owned_by

if TYPE_CHECKING:
    from karmadactl.sandbox.resources import ResourceType
    from karmadactl.sandbox.writes import Cluster

PODS = ("", "pods")
SERVICES = ("", "services")
NODES = ("", "nodes")
ENDPOINTS = ("", "endpoints")
SLICES = ("discovery.k8s.io", "endpointslices")
MAX_ENDPOINTS_PER_SLICE = 100               # kube-controller-manager --max-endpoints-per-slice
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ZONE_LABEL = "topology.kubernetes.io/zone"
_RESERVED_LABELS = frozenset({SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL})
MANAGER = "kube-controller-manager"


# --- pure: what the controllers want -----------------------------------------------------------

def has_endpoints(service: dict) -> bool:
    """The controllers act on Services with a selector that are not ExternalName (an empty
    selector is stored as none)."""
    spec = service.get("spec") or {}
    return spec.get("type") != "ExternalName" and bool(spec.get("selector"))


def selects(service: dict, pod: dict) -> bool:
    selector = (service.get("spec") or {}).get("selector") or {}
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in selector.items())


def pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def in_endpoints(pod: dict) -> bool:
    """Not terminal (Succeeded/Failed) and has an IP; terminating pods stay, marked so."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    return bool(status.get("podIP") or status.get("podIPs"))


def _ipv4_addresses(pod: dict) -> list[str]:
    status = pod.get("status") or {}
    ips = [p.get("ip", "") for p in status.get("podIPs") or []] or [status.get("podIP", "")]
    return [ip for ip in ips if ip and ":" not in ip]


def _hostname(pod: dict, service: dict) -> str:
    """A pod's hostname is published when its subdomain names the Service."""
    spec = pod.get("spec") or {}
    same_namespace = pod["metadata"].get("namespace") == service["metadata"].get("namespace")
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"] \
            and same_namespace:
        return spec["hostname"]
    return ""


def _target_ref(pod: dict) -> dict:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"],
            "uid": meta.get("uid", "")}


def endpoint_for(pod: dict, node: dict | None, service: dict) -> dict:
    """One EndpointSlice endpoint for `pod`: ready only when serving and not terminating
    (always, with publishNotReadyAddresses)."""
    serving = pod_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    endpoint: dict = {"addresses": _ipv4_addresses(pod),
                      "conditions": {"ready": publish or (serving and not terminating),
                                     "serving": serving, "terminating": terminating}}
    hostname = _hostname(pod, service)
    if hostname:
        endpoint["hostname"] = hostname
    endpoint["targetRef"] = _target_ref(pod)
    node_name = (pod.get("spec") or {}).get("nodeName")
    if node_name:
        endpoint["nodeName"] = node_name
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(ZONE_LABEL)
    if zone:
        endpoint["zone"] = zone
    return endpoint


def find_port(pod: dict, service_port: dict) -> int | None:
    """The targetPort: a number as it is, a name looked up in the containers' ports (and
    restartable init containers') with the same protocol; None when no container has it."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for container in containers:
        for port in container.get("ports") or []:
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return int(port["containerPort"])
    return None


def endpoint_ports(service: dict, pod: dict) -> list[dict]:
    """The slice ports for `pod`: each Service port whose targetPort resolves on it."""
    ports = []
    for service_port in (service.get("spec") or {}).get("ports") or []:
        number = find_port(pod, service_port)
        if number is None:
            continue
        port = {"name": service_port.get("name", ""), "protocol": service_port.get("protocol", "TCP"),
                "port": number}
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        ports.append(port)
    return ports


def slice_labels(service: dict) -> dict[str, str]:
    """The Service's own labels, the headless mark, the service-name and managed-by labels."""
    labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items()
              if k not in _RESERVED_LABELS}
    cluster_ip = (service.get("spec") or {}).get("clusterIP", "")
    if cluster_ip in ("", "None"):
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = service["metadata"]["name"]
    labels[MANAGED_BY_LABEL] = CONTROLLER_NAME
    return labels


def service_owner(service: dict) -> dict:
    meta = service["metadata"]
    return {"apiVersion": "v1", "kind": "Service", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def new_slice(service: dict, ports: list[dict], endpoints: list[dict]) -> dict:
    """A slice to create (generateName `<service>-`); empty lists are stored as null, as a
    real apiserver returns them."""
    meta = service["metadata"]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"generateName": f"{meta['name']}-", "namespace": meta.get("namespace", ""),
                         "labels": slice_labels(service), "ownerReferences": [service_owner(service)]},
            "addressType": "IPv4", "endpoints": endpoints or None, "ports": ports or None}


def _port_key(ports: list[dict] | None) -> str:
    return json.dumps(sorted(json.dumps(p, sort_keys=True) for p in ports or []))


def _endpoint_key(endpoint: dict) -> str:
    """What identifies an endpoint across syncs (its conditions, node and zone may change)."""
    return json.dumps([endpoint.get("addresses"), endpoint.get("hostname", ""),
                       endpoint.get("targetRef")], sort_keys=True)


def desired_endpoints(service: dict, pods: list[dict], nodes: dict[str, dict]
                      ) -> dict[str, tuple[list[dict], dict[str, dict]]]:
    """port key -> (ports, endpoints by key) for the pods the Service selects, in pod order.
    A pod whose node is gone is left out (unless publishNotReadyAddresses)."""
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    out: dict[str, tuple[list[dict], dict[str, dict]]] = {}
    for pod in pods:
        if not in_endpoints(pod):
            continue
        node = nodes.get((pod.get("spec") or {}).get("nodeName", ""))
        if node is None and not publish:
            continue
        ports = endpoint_ports(service, pod)
        _, endpoints = out.setdefault(_port_key(ports), (ports, {}))
        endpoint = endpoint_for(pod, node, service)
        if endpoint["addresses"]:
            endpoints[_endpoint_key(endpoint)] = endpoint
    return out


@dataclass
class SlicePlan:
    """What one sync writes: new slices, changed existing slices, names to delete."""

    create: list[dict] = field(default_factory=list)
    update: list[dict] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)


def _fill(slice_: dict, wanted: dict[str, dict], limit: int) -> None:
    endpoints = list(slice_.get("endpoints") or [])
    while wanted and len(endpoints) < limit:
        endpoints.append(wanted.pop(next(iter(wanted))))
    slice_["endpoints"] = endpoints or None


def _slice_to_fill(slices: list[dict], count: int, limit: int) -> dict | None:
    """The unchanged slice that comes closest to full when `count` endpoints are added."""
    best, closest = None, limit
    for candidate in slices:
        gap = limit - (count + len(candidate.get("endpoints") or []))
        if 0 <= gap < closest:
            best, closest = candidate, gap
    return best


def _plan_port_group(service: dict, existing: list[dict], ports: list[dict],
                     wanted: dict[str, dict], limit: int, plan: SlicePlan) -> None:
    """reconcileByPortMapping: keep wanted endpoints where they are, fill changed slices,
    then the unchanged slice that fits best, then new slices."""
    labels = slice_labels(service)
    changed: list[dict] = []
    unchanged: list[dict] = []
    for current in existing:
        old = current.get("endpoints") or []
        kept = [wanted.pop(k) for k in (_endpoint_key(e) for e in old) if k in wanted]
        if kept != old:
            if kept:
                changed.append(dict(copy.deepcopy(current), endpoints=kept))
            else:
                plan.delete.append(current["metadata"]["name"])
        elif (current["metadata"].get("labels") or {}) != labels:
            changed.append(copy.deepcopy(current))
        else:
            unchanged.append(current)
    for current in sorted(changed, key=lambda s: -len(s.get("endpoints") or [])):
        _fill(current, wanted, limit)
    while wanted:
        target = None
        if len(wanted) < limit:
            target = _slice_to_fill(unchanged, len(wanted), limit)
        if target is None:
            target = new_slice(service, ports, [])
            plan.create.append(target)
        else:
            unchanged.remove(target)
            target = copy.deepcopy(target)
            changed.append(target)
        _fill(target, wanted, limit)
    for current in changed:
        current["metadata"]["labels"] = dict(labels)
    plan.update.extend(changed)


def _is_placeholder(slice_: dict, service: dict) -> bool:
    meta = slice_["metadata"]
    return (not slice_.get("endpoints") and not slice_.get("ports")
            and slice_.get("addressType") == "IPv4"
            and (meta.get("labels") or {}) == slice_labels(service))


def plan_slices(service: dict, pods: list[dict], nodes: dict[str, dict], existing: list[dict],
                limit: int = MAX_ENDPOINTS_PER_SLICE) -> SlicePlan:
    """What the endpointslice controller's Reconcile does for one Service, given the pods it
    selects and the slices labelled with its name (pure)."""
    plan = SlicePlan()
    uid = service["metadata"]["uid"]
    by_ports: dict[str, list[dict]] = {}
    for current in sorted(existing, key=lambda s: s["metadata"]["name"]):
        if owned_by(current, uid) and current.get("addressType") == "IPv4":
            by_ports.setdefault(_port_key(current.get("ports")), []).append(current)
        else:
            plan.delete.append(current["metadata"]["name"])
    wanted = desired_endpoints(service, pods, nodes)
    for key, (ports, endpoints) in wanted.items():
        _plan_port_group(service, by_ports.get(key, []), ports, endpoints, limit, plan)
    for key, slices in by_ports.items():
        if key not in wanted:
            plan.delete.extend(s["metadata"]["name"] for s in slices)
    if len(existing) == len(plan.delete) and not plan.create:
        by_name = {s["metadata"]["name"]: s for s in existing}
        if len(plan.delete) == 1 and _is_placeholder(by_name[plan.delete[0]], service):
            plan.delete = []
        else:
            plan.create.append(new_slice(service, [], []))
    _creates_become_updates(plan, {s["metadata"]["name"]: s for s in existing}, uid)
    return plan


def _creates_become_updates(plan: SlicePlan, existing: dict[str, dict], uid: str) -> None:
    """finalize: a slice to create takes the place of an owned slice that would be deleted."""
    for name in list(plan.delete):
        if not plan.create:
            break
        old = existing[name]
        if old.get("addressType") != "IPv4" or not owned_by(old, uid):
            continue
        created = plan.create.pop()
        replacement = copy.deepcopy(old)
        replacement["metadata"]["labels"] = created["metadata"]["labels"]
        replacement.update(endpoints=created["endpoints"], ports=created["ports"])
        plan.update.append(replacement)
        plan.delete.remove(name)


def endpoints_subsets(service: dict, pods: list[dict]) -> list[dict]:
    """The v1 Endpoints subsets the endpoints controller writes: ready pods under addresses,
    the others under notReadyAddresses (terminating pods left out unless
    publishNotReadyAddresses), grouped by the ports they resolve, addresses sorted by IP."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    service_ports = spec.get("ports") or []
    groups: dict[str, dict] = {}
    for pod in pods:
        if not in_endpoints(pod) or (pod["metadata"].get("deletionTimestamp") and not publish):
            continue
        ips = _ipv4_addresses(pod)
        if not ips:
            continue
        address: dict = {"ip": ips[0]}
        hostname = _hostname(pod, service)
        if hostname:
            address["hostname"] = hostname
        address["nodeName"] = (pod.get("spec") or {}).get("nodeName", "")
        address["targetRef"] = _target_ref(pod)
        ports = []
        for service_port in service_ports:
            number = find_port(pod, service_port)
            if number is not None:
                ports.append(_legacy_port(service_port, number))
        if not ports and (service_ports or spec.get("clusterIP") != "None"):
            continue
        subset = groups.setdefault(_port_key(ports), {"ports": ports, "ready": [], "not": []})
        subset["ready" if publish or pod_ready(pod) else "not"].append(address)
    subsets = []
    for key in sorted(groups):
        group = groups[key]
        subset: dict = {}
        if group["ready"]:
            subset["addresses"] = sorted(group["ready"], key=_address_order)
        if group["not"]:
            subset["notReadyAddresses"] = sorted(group["not"], key=_address_order)
        if group["ports"]:
            subset["ports"] = group["ports"]
        subsets.append(subset)
    return subsets


def _legacy_port(service_port: dict, number: int) -> dict:
    port: dict = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port.update(port=number, protocol=service_port.get("protocol", "TCP"))
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _address_order(address: dict) -> tuple[str, str]:
    return address["ip"], address["targetRef"]["uid"]


def endpoints_labels(service: dict) -> dict[str, str]:
    labels = dict(service["metadata"].get("labels") or {})
    if (service.get("spec") or {}).get("clusterIP", "") in ("", "None"):
        labels[HEADLESS_LABEL] = ""
    else:
        labels.pop(HEADLESS_LABEL, None)
    return labels


# --- the controller ----------------------------------------------------------------------------

class EndpointsController:
    """Keeps the EndpointSlices and Endpoints of a sandbox member's Services current."""

    def __init__(self, cluster: Cluster, now: Callable[[], str], delay: float = 0.05):
        self.cluster = cluster
        self.now = now
        self.delay = delay
        self._dirty: set[str] = set()           # namespaces to sync
        self._pending = False
        self._syncing = False

    def _rt(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self.cluster.registry.lookup(group, version, plural)
        assert rt is not None
        return rt

    # triggers ---------------------------------------------------------------------------------

    def written(self, rt: ResourceType, obj: dict, sub: str) -> None:
        """A write hook: pods, Services and Nodes change endpoints; a slice or Endpoints
        written by someone else is put back."""
        if not self._syncing:
            self._touched(rt.group_resource, obj)

    def removed(self, rt: ResourceType, obj: dict) -> None:
        """A remove hook: a Service's slices go with it (owner references) and the endpoints
        controller deletes its Endpoints; a removed pod or slice means a sync."""
        if rt.group_resource == SERVICES:
            self.collect(obj)
        elif not self._syncing:
            self._touched(rt.group_resource, obj)

    def _touched(self, gr: tuple[str, str], obj: dict) -> None:
        if gr == NODES:
            self._dirty.update(ns["metadata"]["name"]
                               for ns in self.cluster.store.peek(("", "namespaces")))
        elif gr in (PODS, SERVICES, SLICES, ENDPOINTS):
            self._dirty.add(obj["metadata"].get("namespace", ""))
        else:
            return
        self._schedule()

    def _schedule(self) -> None:
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._pending = True
        loop.call_later(self.delay, self.flush)

    def flush(self) -> None:
        """Sync every Service of the namespaces that changed since the last flush."""
        self._pending = False
        namespaces, self._dirty = self._dirty, set()
        self._syncing = True
        try:
            for namespace in sorted(namespaces):
                services = [s for s in self.cluster.store.list(SERVICES, namespace)
                            if has_endpoints(s) and not s["metadata"].get("deletionTimestamp")]
                if not services:
                    continue
                pods = self.cluster.store.peek(PODS, namespace)                   # read only
                nodes = {n["metadata"]["name"]: n for n in self.cluster.store.peek(NODES)}
                for service in services:
                    self.sync(service, pods, nodes)
        finally:
            self._syncing = False

    # one Service --------------------------------------------------------------------------------

    def sync(self, service: dict, pods: list[dict], nodes: dict[str, dict]) -> None:
        """Bring one Service's slices and Endpoints in line with the namespace's `pods`."""
        selected = sorted((p for p in pods if selects(service, p)),
                          key=lambda p: p["metadata"]["name"])
        self._sync_slices(service, selected, nodes)
        self._sync_endpoints(service, selected)

    def _sync_slices(self, service: dict, pods: list[dict], nodes: dict[str, dict]) -> None:
        rt = self._rt("discovery.k8s.io", "v1", "endpointslices")
        namespace = service["metadata"].get("namespace", "")
        name = service["metadata"]["name"]
        existing = [s for s in self.cluster.store.list(SLICES, namespace)
                    if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
                    and s["metadata"]["labels"].get(MANAGED_BY_LABEL) == CONTROLLER_NAME]
        plan = plan_slices(service, pods, nodes, existing)
        at = self.now()
        for new in plan.create:
            new["metadata"]["annotations"] = {TRIGGER_TIME: at}
            self.cluster.create(rt, namespace, new, manager=MANAGER)
        for changed in plan.update:
            live = self.cluster.store.get(SLICES, namespace, changed["metadata"]["name"])
            if live is None:
                continue
            changed["metadata"].setdefault("annotations", {})[TRIGGER_TIME] = at
            changed["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            self.cluster.update(rt, live, changed, manager=MANAGER)
        for gone in plan.delete:
            if self.cluster.store.exists(SLICES, namespace, gone):
                self.cluster.delete(rt, namespace, gone)

    def _sync_endpoints(self, service: dict, pods: list[dict]) -> None:
        rt = self._rt("", "v1", "endpoints")
        meta = service["metadata"]
        namespace = meta.get("namespace", "")
        subsets = endpoints_subsets(service, pods)
        labels = endpoints_labels(service)
        live = self.cluster.store.get(ENDPOINTS, namespace, meta["name"])
        if live is not None and (live.get("subsets") or []) == subsets \
                and (live["metadata"].get("labels") or {}) == labels:
            return
        wanted: dict = copy.deepcopy(live) if live is not None else {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": meta["name"], "namespace": namespace}}
        wanted["metadata"]["labels"] = labels
        if not labels:
            del wanted["metadata"]["labels"]
        wanted["metadata"].setdefault("annotations", {})[TRIGGER_TIME] = self.now()
        if subsets:
            wanted["subsets"] = subsets
        else:
            wanted.pop("subsets", None)
        if live is None:
            self.cluster.create(rt, namespace, wanted, manager=MANAGER)
        else:
            self.cluster.update(rt, live, wanted, manager=MANAGER)

    def collect(self, service: dict) -> None:
        """Delete the removed Service's slices (owned) and its Endpoints (same name)."""
        meta = service.get("metadata") or {}
        namespace, uid = meta.get("namespace", ""), meta.get("uid")
        if not namespace or not uid:
            return
        syncing, self._syncing = self._syncing, True
        try:
            slice_type = self._rt("discovery.k8s.io", "v1", "endpointslices")
            for current in self.cluster.store.list(SLICES, namespace):
                if owned_by(current, uid):
                    self.cluster.delete(slice_type, namespace, current["metadata"]["name"])
            if self.cluster.store.exists(ENDPOINTS, namespace, meta.get("name", "")):
                self.cluster.delete(self._rt("", "v1", "endpoints"), namespace, meta["name"])
        finally:
            self._syncing = syncing
