"""Pods for the sandbox's workloads, as a cluster's controllers, scheduler and kubelets make them.

`PodController.reconcile` brings one workload's children in line with it:
a Deployment gets a ReplicaSet named `{name}-{pod-template-hash}` (older
ReplicaSets are scaled to 0), a ReplicaSet, StatefulSet, DaemonSet or Job
gets its Pods, spread over the member's nodes, with an IP from each node's
`spec.podCIDR`. Pods are Running and Ready (not ready, with one restart,
when the workload is marked unhealthy; Succeeded for a complete Job).
`collect` deletes what an object owned when it goes away, as the garbage
collector does. Events for both go to the member's events API.

The pod objects themselves come from pure functions (`pod_for`,
`pod_status`); the controller only compares and writes.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import itertools
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from karmadactl.sandbox.simulate import _template_hash, pod_name_suffix

if TYPE_CHECKING:
    from karmadactl.sandbox.resources import ResourceType
    from karmadactl.sandbox.writes import Cluster

PODS = ("", "pods")
REPLICASETS = ("apps", "replicasets")
MANAGER = "kube-controller-manager"
POD_KINDS = frozenset({"ReplicaSet", "StatefulSet", "DaemonSet", "Job"})


# --- pure: what the pods look like -------------------------------------------------------------

def owner_reference(obj: dict) -> dict:
    meta = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


def owned_by(obj: dict, uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def replica_set_for(deployment: dict) -> dict:
    """The ReplicaSet a Deployment's current template runs in."""
    spec = deployment.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    digest = _template_hash(spec.get("template"))
    meta = deployment["metadata"]
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels["pod-template-hash"] = digest
    template.setdefault("metadata", {})["labels"] = dict(labels)
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = digest
    replicas = spec.get("replicas")
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{meta['name']}-{digest}", "namespace": meta.get("namespace", ""),
                         "labels": labels,
                         "annotations": {"deployment.kubernetes.io/desired-replicas":
                                         str(1 if replicas is None else replicas),
                                         "deployment.kubernetes.io/revision": "1"},
                         "ownerReferences": [owner_reference(deployment)]},
            "spec": {"replicas": 1 if replicas is None else int(replicas), "selector": selector,
                     "template": template}}


def pod_names(owner: dict, count: int, taken: set[str]) -> list[str]:
    """`count` names for new pods of `owner` that are not in `taken` (deterministic)."""
    meta = owner["metadata"]
    kind = owner.get("kind")
    if kind == "StatefulSet":
        return [n for n in (f"{meta['name']}-{i}" for i in range(count + len(taken)))
                if n not in taken][:count]
    names: list[str] = []
    i = 0
    while len(names) < count:
        name = f"{meta['name']}-{pod_name_suffix(meta.get('uid', ''), i)}"
        if name not in taken and name not in names:
            names.append(name)
        i += 1
    return names


def pod_for(owner: dict, name: str, node: dict, ip: str, *, at: str, unhealthy: bool,
            index: int = 0) -> dict:
    """A Pod of `owner` named `name` on `node`, as its kubelet reports it."""
    meta = owner["metadata"]
    spec = owner.get("spec") or {}
    template = spec.get("template") or {}
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    kind = owner.get("kind")
    revision = f"{meta['name']}-{_template_hash(template)}"
    if kind == "StatefulSet":
        labels.update({"controller-revision-hash": revision,
                       "statefulset.kubernetes.io/pod-name": name,
                       "apps.kubernetes.io/pod-index": str(index)})
    elif kind == "DaemonSet":
        labels.update({"controller-revision-hash": _template_hash(template),
                       "pod-template-generation": str(meta.get("generation", 1))})
    elif kind == "Job":
        labels.update({"batch.kubernetes.io/controller-uid": meta["uid"],
                       "batch.kubernetes.io/job-name": meta["name"],
                       "controller-uid": meta["uid"], "job-name": meta["name"]})
    pod_spec = copy.deepcopy(template.get("spec") or {})
    pod_spec.setdefault("containers", [])
    for container in pod_spec["containers"]:
        container.setdefault("imagePullPolicy", "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
    pod_spec.setdefault("restartPolicy", "Never" if kind == "Job" else "Always")
    pod_spec.setdefault("dnsPolicy", "ClusterFirst")
    pod_spec.setdefault("schedulerName", "default-scheduler")
    pod_spec.setdefault("serviceAccountName", "default")
    pod_spec.setdefault("terminationGracePeriodSeconds", 30)
    pod_spec["nodeName"] = node["metadata"]["name"]
    pod_meta: dict = {"name": name, "namespace": meta.get("namespace", ""), "labels": labels,
                      "ownerReferences": [owner_reference(owner)]}
    if kind != "StatefulSet":
        pod_meta["generateName"] = f"{meta['name']}-"
    annotations = (template.get("metadata") or {}).get("annotations")
    if annotations:
        pod_meta["annotations"] = dict(annotations)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}
    host_ip = _internal_ip(node)
    pod["status"] = pod_status(pod, at=at, started=at, host_ip=host_ip, pod_ip=ip,
                               unhealthy=unhealthy, complete=kind == "Job" and not unhealthy)
    return pod


def pod_status(pod: dict, *, at: str, started: str, host_ip: str, pod_ip: str, unhealthy: bool,
               complete: bool = False) -> dict:
    """The status a kubelet reports: Running and Ready; not ready with one restart when
    unhealthy; Succeeded with terminated containers when complete."""
    spec = pod.get("spec") or {}
    ready = not unhealthy and not complete
    statuses = []
    for c in spec.get("containers") or []:
        cid = hashlib.sha256(f"{pod['metadata']['name']}/{c['name']}/{started}".encode()).hexdigest()
        status: dict = {"name": c["name"], "image": c.get("image", ""),
                        "imageID": f"docker.io/library/{c.get('image', '')}@sha256:"
                                   + hashlib.sha256(str(c.get('image')).encode()).hexdigest(),
                        "containerID": f"containerd://{cid}", "ready": ready,
                        "restartCount": 1 if unhealthy else 0, "started": not complete,
                        "lastState": {}}
        if complete:
            status["state"] = {"terminated": {"exitCode": 0, "reason": "Completed",
                                              "startedAt": started, "finishedAt": started,
                                              "containerID": f"containerd://{cid}"}}
        else:
            status["state"] = {"running": {"startedAt": started}}
        if unhealthy:
            status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                                  "startedAt": started, "finishedAt": started,
                                                  "containerID": f"containerd://{cid[::-1]}"}}
        statuses.append(status)
    truth = "True" if ready else "False"
    conditions = [("PodReadyToStartContainers", "False" if complete else "True"),
                  ("Initialized", "True"), ("Ready", truth), ("ContainersReady", truth),
                  ("PodScheduled", "True")]
    out: dict = {"phase": "Succeeded" if complete else "Running",
                 "conditions": [{"type": t, "status": s, "lastProbeTime": None,
                                 "lastTransitionTime": started} for t, s in conditions],
                 "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
                 "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
                 "startTime": started, "containerStatuses": statuses,
                 "qosClass": qos_class(spec)}
    for cond in out["conditions"]:
        if cond["status"] == "False" and cond["type"] in ("Ready", "ContainersReady"):
            names = [c["name"] for c in spec.get("containers") or []]
            cond["reason"] = "PodCompleted" if complete else "ContainersNotReady"
            if not complete:
                cond["message"] = f"containers with unready status: [{' '.join(names)}]"
    return out


def qos_class(spec: dict) -> str:
    containers = spec.get("containers") or []
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get(k) and
        (r.get("requests") or {}).get(k, (r.get("limits") or {}).get(k)) == (r.get("limits") or {}).get(k)
        for r in resources for k in ("cpu", "memory"))
    return "Guaranteed" if guaranteed else "Burstable"


def pod_cidr(node: dict, index: int) -> str:
    """The node's spec.podCIDR, or one made up from its position when it has none."""
    return (node.get("spec") or {}).get("podCIDR") or f"10.244.{index}.0/24"


def free_ip(cidr: str, used: set[str]) -> str:
    network = ipaddress.ip_network(cidr, strict=False)
    for host in itertools.islice(network.hosts(), 1, None):     # .1 is the node's bridge
        if str(host) not in used:
            return str(host)
    return str(network.network_address)


def _internal_ip(node: dict) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return address.get("address", "")
    return ""


def wanted_count(owner: dict, node_count: int) -> int:
    spec = owner.get("spec") or {}
    kind = owner.get("kind")
    if kind == "DaemonSet":
        return node_count
    if kind == "Job":
        if spec.get("suspend"):
            return 0
        parallelism = spec.get("parallelism")
        parallelism = 1 if parallelism is None else int(parallelism)
        completions = spec.get("completions")
        return parallelism if completions is None else int(completions)
    replicas = spec.get("replicas")
    return 1 if replicas is None else int(replicas)


def event(involved: dict, reason: str, message: str, component: str, at: str, *,
          warning: bool = False, field_path: str = "", host: str = "") -> dict:
    """A core/v1 Event about `involved`, as the component that saw it records it."""
    meta = involved["metadata"]
    ref = {"kind": involved.get("kind"), "namespace": meta.get("namespace", ""),
           "name": meta["name"], "uid": meta.get("uid", ""),
           "apiVersion": involved.get("apiVersion"),
           "resourceVersion": meta.get("resourceVersion", "")}
    if field_path:
        ref["fieldPath"] = field_path
    source = {"component": component}
    if host:
        source["host"] = host
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}",
                         "namespace": meta.get("namespace", "")},
            "involvedObject": ref, "reason": reason, "message": message, "source": source,
            "firstTimestamp": at, "lastTimestamp": at, "count": 1,
            "type": "Warning" if warning else "Normal", "eventTime": None,
            "reportingComponent": component, "reportingInstance": host or ""}


def pod_started_events(pod: dict, at: str, unhealthy: bool) -> list[dict]:
    node = pod["spec"]["nodeName"]
    meta = pod["metadata"]
    out = [event(pod, "Scheduled", f"Successfully assigned {meta['namespace']}/{meta['name']} "
                 f"to {node}", "default-scheduler", at)]
    for c in pod["spec"].get("containers") or []:
        where = f"spec.containers{{{c['name']}}}"
        out += [event(pod, "Pulled", f'Container image "{c.get("image", "")}" already present '
                      "on machine", "kubelet", at, field_path=where, host=node),
                event(pod, "Created", f"Created container {c['name']}", "kubelet", at,
                      field_path=where, host=node),
                event(pod, "Started", f"Started container {c['name']}", "kubelet", at,
                      field_path=where, host=node)]
        if unhealthy:
            out.append(event(pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with "
                             "statuscode: 503", "kubelet", at, warning=True, field_path=where,
                             host=node))
    return out


# --- the controller ----------------------------------------------------------------------------

class PodController:
    """Writes the children of workloads into a sandbox member's `Cluster`."""

    def __init__(self, cluster: Cluster, is_unhealthy: Callable[[str, str, str], bool],
                 now: Callable[[], str]):
        self.cluster = cluster
        self.is_unhealthy = is_unhealthy
        self.now = now

    def _rt(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self.cluster.registry.lookup(group, version, plural)
        assert rt is not None
        return rt

    def unhealthy(self, obj: dict) -> bool:
        """Marked unhealthy itself, or its controlling owner is (a Deployment's ReplicaSet)."""
        meta = obj["metadata"]
        if self.is_unhealthy(obj.get("kind", ""), meta.get("namespace", ""), meta["name"]):
            return True
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller") and self.is_unhealthy(ref.get("kind", ""),
                                                           meta.get("namespace", ""), ref["name"]):
                return True
        return False

    def reconcile(self, obj: dict) -> None:
        kind = obj.get("kind")
        if kind == "Deployment":
            self._deployment(obj)
        elif kind in POD_KINDS:
            self._pods(obj)

    def record(self, events: list[dict]) -> None:
        rt = self._rt("", "v1", "events")
        for ev in events:
            namespace = ev["metadata"]["namespace"]
            if namespace and self.cluster.store.exists(("", "namespaces"), "", namespace):
                self.cluster.create(rt, namespace, ev, manager=MANAGER, keep_status=True)

    def _deployment(self, deployment: dict) -> None:
        rs_type = self._rt("apps", "v1", "replicasets")
        namespace = deployment["metadata"].get("namespace", "")
        wanted = replica_set_for(deployment)
        uid = deployment["metadata"]["uid"]
        at = self.now()
        events = []
        for stored in self.cluster.store.peek(REPLICASETS, namespace):
            if not owned_by(stored, uid) or stored["metadata"]["name"] == wanted["metadata"]["name"]:
                continue
            old = (stored.get("spec") or {}).get("replicas", 0)
            if old:
                rs = copy.deepcopy(stored)
                scaled = copy.deepcopy(rs)
                scaled["spec"]["replicas"] = 0
                self.cluster.update(rs_type, rs, scaled, manager=MANAGER)
                events.append(event(deployment, "ScalingReplicaSet",
                                    f"Scaled down replica set {rs['metadata']['name']} from "
                                    f"{old} to 0", "deployment-controller", at))
        live = self.cluster.store.get(REPLICASETS, namespace, wanted["metadata"]["name"])
        want = wanted["spec"]["replicas"]
        if live is None:
            self.cluster.create(rs_type, namespace, wanted, manager=MANAGER)
            before = 0
        else:
            before = (live.get("spec") or {}).get("replicas", 0)
            if before != want:
                new = copy.deepcopy(live)
                new["spec"]["replicas"] = want
                new["metadata"].setdefault("annotations", {})[
                    "deployment.kubernetes.io/desired-replicas"] = str(want)
                self.cluster.update(rs_type, live, new, manager=MANAGER)
            else:                                   # health may have changed: pods, then status
                self._pods(self.cluster.get(rs_type, namespace, wanted["metadata"]["name"]))
                self._refresh_status(rs_type, self.cluster.get(rs_type, namespace,
                                                               wanted["metadata"]["name"]))
        if before != want:
            verb = "up" if want > before else "down"
            events.append(event(deployment, "ScalingReplicaSet",
                                f"Scaled {verb} replica set {wanted['metadata']['name']} from "
                                f"{before} to {want}", "deployment-controller", at))
        self.record(events)

    def _refresh_status(self, rt: ResourceType, obj: dict) -> None:
        from karmadactl.sandbox.simulate import workload_status

        status = workload_status(obj, unhealthy=self.unhealthy(obj),
                                 node_count=len(self.cluster.store.peek(("", "nodes"))),
                                 now=self.now())
        if status is not None and status != obj.get("status"):
            self.cluster.update(rt, obj, dict(obj, status=status), manager=MANAGER, sub="status")

    def _pods(self, owner: dict) -> None:
        pod_type = self._rt("", "v1", "pods")
        meta = owner["metadata"]
        namespace = meta.get("namespace", "")
        nodes = sorted(self.cluster.store.peek(("", "nodes")), key=lambda n: n["metadata"]["name"])
        if not nodes:
            return
        all_pods = self.cluster.store.peek(PODS)                    # read only
        mine = sorted((p for p in all_pods                           # read only too
                       if p["metadata"].get("namespace") == namespace and owned_by(p, meta["uid"])),
                      key=_pod_order)
        unhealthy = self.unhealthy(owner)
        want = wanted_count(owner, len(nodes))
        at = self.now()
        component = {"ReplicaSet": "replicaset-controller", "StatefulSet": "statefulset-controller",
                     "DaemonSet": "daemonset-controller", "Job": "job-controller"}[owner["kind"]]
        events: list[dict] = []
        for pod in mine[want:]:                                     # scale down: newest first
            self.cluster.delete(pod_type, namespace, pod["metadata"]["name"])
            events.append(self._event_pod(owner, pod["metadata"]["name"], component, at, "Delete"))
        mine = mine[:want]
        for pod in mine:                                            # readiness follows health
            host_ip, pod_ip = pod["status"].get("hostIP", ""), pod["status"].get("podIP", "")
            status = pod_status(pod, at=at, started=pod["status"].get("startTime", at),
                                host_ip=host_ip, pod_ip=pod_ip, unhealthy=unhealthy,
                                complete=owner["kind"] == "Job" and not unhealthy)
            _keep_restarts(status, pod["status"])
            if _readiness(status) != _readiness(pod["status"]):
                live = self.cluster.get(pod_type, namespace, pod["metadata"]["name"])
                self.cluster.update(pod_type, live, dict(live, status=status), manager="kubelet",
                                    sub="status")
        missing = want - len(mine)
        if missing <= 0:
            self.record(events)
            return
        taken = {p["metadata"]["name"] for p in mine}
        used = {p.get("status", {}).get("podIP") for p in all_pods}
        per_node = {n["metadata"]["name"]: 0 for n in nodes}
        for p in all_pods:
            node_name = (p.get("spec") or {}).get("nodeName")
            if node_name in per_node:
                per_node[node_name] += 1
        on_nodes = {(p.get("spec") or {}).get("nodeName") for p in mine}
        for offset, name in enumerate(pod_names(owner, missing, taken)):
            if owner["kind"] == "DaemonSet":
                node = next(n for n in nodes if n["metadata"]["name"] not in on_nodes)
                on_nodes.add(node["metadata"]["name"])
            else:                                                   # the least busy node
                node = min(nodes, key=lambda n: (per_node[n["metadata"]["name"]],
                                                 n["metadata"]["name"]))
            index = nodes.index(node)
            ip = free_ip(pod_cidr(node, index), used)
            used.add(ip)
            per_node[node["metadata"]["name"]] += 1
            pod = pod_for(owner, name, node, ip, at=at, unhealthy=unhealthy,
                          index=len(mine) + offset)
            created = self.cluster.create(pod_type, namespace, pod, manager=MANAGER,
                                          keep_status=True)
            events.append(self._event_pod(owner, name, component, at, "Create"))
            events.extend(pod_started_events(created, at, unhealthy))
        if owner["kind"] == "Job" and not unhealthy:
            events.append(event(owner, "Completed", "Job completed", component, at))
        self.record(events)

    @staticmethod
    def _event_pod(owner: dict, pod: str, component: str, at: str, verb: str) -> dict:
        """SuccessfulCreate/SuccessfulDelete, as the StatefulSet or ReplicaSet controller words them."""
        if owner["kind"] == "StatefulSet":
            return event(owner, f"Successful{verb}", f"{verb.lower()} Pod {pod} in StatefulSet "
                         f"{owner['metadata']['name']} successful", component, at)
        return event(owner, f"Successful{verb}", f"{verb}d pod: {pod}", component, at)

    def collect(self, removed: dict) -> None:
        """Delete what `removed` owned (ReplicaSets, Pods), as the garbage collector does."""
        uid = (removed.get("metadata") or {}).get("uid")
        namespace = (removed.get("metadata") or {}).get("namespace", "")
        if not uid or not namespace:
            return
        for gr, version in ((REPLICASETS, "v1"), (PODS, "v1")):
            rt = self._rt(gr[0], version, gr[1])
            for child in self.cluster.store.peek(gr, namespace):      # read only
                if owned_by(child, uid) and self.cluster.store.exists(gr, namespace,
                                                                      child["metadata"]["name"]):
                    self.cluster.delete(rt, namespace, child["metadata"]["name"])


def _pod_order(pod: dict) -> tuple:
    """Oldest first (StatefulSets by ordinal), so scaling down removes the newest."""
    labels = pod["metadata"].get("labels") or {}
    index = labels.get("apps.kubernetes.io/pod-index")
    if index is not None and index.isdigit():
        return (0, int(index), "")
    return (1, int(pod["metadata"].get("resourceVersion") or 0), pod["metadata"]["name"])


def _keep_restarts(status: dict, old: dict) -> None:
    """A restart count never goes down: a container that restarted keeps its count and
    its previous instance's state when it becomes healthy again."""
    before = {c.get("name"): c for c in old.get("containerStatuses") or []}
    for container in status.get("containerStatuses") or []:
        previous = before.get(container.get("name")) or {}
        if (previous.get("restartCount") or 0) > container["restartCount"]:
            container["restartCount"] = previous["restartCount"]
            container["lastState"] = previous.get("lastState") or {}


def _readiness(status: dict) -> tuple:
    return (status.get("phase"),
            tuple((c.get("ready"), c.get("restartCount")) for c in status.get("containerStatuses") or []))
