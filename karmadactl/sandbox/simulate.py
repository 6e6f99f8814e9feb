"""What a member cluster's controllers and kubelets would report, without running them.

The sandbox apiserver has no controllers. When a workload is created or
changed it asks `workload_status` for the `.status` a real cluster would show
shortly afterwards, and it seeds its Node list from `make_nodes`. Both are
pure: objects in, objects out. Field names, omitted zero values, condition
types, reasons and messages follow the real apps/v1, batch/v1 and v1 APIs.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

WORKLOAD_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"})

# The alphabet Kubernetes uses for generated name suffixes (no vowels, no 0/1/3).
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def workload_status(obj: dict, *, unhealthy: bool, node_count: int,
                    now: str | None = None, kubernetes_version: str = "v1.31.0") -> dict | None:
    """The .status a real cluster would give `obj` shortly after its latest change.

    `unhealthy` simulates pods that never become ready (ready/available stay 0,
    a Job never completes). `node_count` is the number of schedulable nodes
    (a DaemonSet runs one pod on each). Conditions keep their times from the
    object's current status when they did not change, so computing the status
    of an unchanged object again gives the same status. Returns None for kinds
    that have no simulated status.
    """
    kind = obj.get("kind")
    if kind not in WORKLOAD_KINDS:
        return None
    at = now or _now()
    previous = obj.get("status") or {}
    if kind == "Deployment":
        return _deployment(obj, previous, unhealthy, at)
    if kind == "ReplicaSet":
        return _replica_set(obj, unhealthy)
    if kind == "StatefulSet":
        return _stateful_set(obj, unhealthy)
    if kind == "DaemonSet":
        return _daemon_set(obj, unhealthy, node_count)
    return _job(obj, previous, unhealthy, at, _minor(kubernetes_version))


def make_nodes(member: str, count: int, cpu: str, memory: str, pods: str, *,
               kubernetes_version: str = "v1.31.0", ephemeral_storage: str = "100Gi",
               zones: Sequence[str] | None = None, region: str | None = None,
               now: str | None = None) -> list[dict]:
    """`count` Ready worker Nodes named `{member}-node-{i}`, as a kubelet registers them.

    capacity and allocatable are equal (like kind nodes). With `zones`, nodes
    are spread over them round-robin and labelled topology.kubernetes.io/zone;
    `region` sets topology.kubernetes.io/region.
    """
    at = now or _now()
    subnet = int(hashlib.sha256(member.encode()).hexdigest(), 16) % 250 + 1
    resources = {"cpu": cpu, "ephemeral-storage": ephemeral_storage,
                 "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": memory, "pods": pods}
    nodes = []
    for i in range(count):
        name = f"{member}-node-{i}"
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
        }
        if zones:
            labels["topology.kubernetes.io/zone"] = zones[i % len(zones)]
        if region:
            labels["topology.kubernetes.io/region"] = region
        nodes.append({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"karmadactl-sandbox/{name}")),
                "creationTimestamp": at,
                "labels": labels,
                "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            },
            "spec": {"podCIDR": f"10.244.{i}.0/24", "podCIDRs": [f"10.244.{i}.0/24"],
                     "providerID": f"sandbox://{name}"},
            "status": {
                "addresses": [{"type": "InternalIP", "address": f"172.18.{subnet}.{i + 2}"},
                              {"type": "Hostname", "address": name}],
                "allocatable": dict(resources),
                "capacity": dict(resources),
                "conditions": _node_conditions(at),
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"boot/{name}")),
                    "containerRuntimeVersion": "containerd://1.7.18",
                    "kernelVersion": "6.8.0-sandbox",
                    "kubeProxyVersion": kubernetes_version,
                    "kubeletVersion": kubernetes_version,
                    "machineID": hashlib.md5(name.encode()).hexdigest(),
                    "operatingSystem": "linux",
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"system/{name}")),
                },
            },
        })
    return nodes


# --- per kind -------------------------------------------------------------


def _deployment(obj: dict, previous: dict, unhealthy: bool, at: str) -> dict:
    spec = obj.get("spec") or {}
    replicas = _replicas(spec)
    ready = 0 if unhealthy else replicas
    status: dict[str, Any] = {"observedGeneration": _generation(obj)}
    _put_nonzero(status, replicas=replicas, updatedReplicas=replicas, readyReplicas=ready,
                 availableReplicas=ready, unavailableReplicas=replicas - ready)
    rs_name = f"{_name(obj)}-{_template_hash(spec.get('template'))}"
    if ready >= replicas - _max_unavailable(spec, replicas):
        available = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    else:
        available = ("False", "MinimumReplicasUnavailable",
                     "Deployment does not have minimum availability.")
    if spec.get("paused"):
        progressing = ("Unknown", "DeploymentPaused", "Deployment is paused")
    elif ready == replicas:
        progressing = ("True", "NewReplicaSetAvailable",
                       f'ReplicaSet "{rs_name}" has successfully progressed.')
    else:
        progressing = ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
    old = previous.get("conditions") or []
    status["conditions"] = [
        _condition("Available", *available, at, old, update_time=True),
        _condition("Progressing", *progressing, at, old, update_time=True),
    ]
    return status


def _replica_set(obj: dict, unhealthy: bool) -> dict:
    replicas = _replicas(obj.get("spec") or {})
    ready = 0 if unhealthy else replicas
    status: dict[str, Any] = {"replicas": replicas}
    _put_nonzero(status, fullyLabeledReplicas=replicas, readyReplicas=ready,
                 availableReplicas=ready)
    status["observedGeneration"] = _generation(obj)
    return status


def _stateful_set(obj: dict, unhealthy: bool) -> dict:
    spec = obj.get("spec") or {}
    replicas = _replicas(spec)
    ready = 0 if unhealthy else replicas
    revision = f"{_name(obj)}-{_template_hash(spec.get('template'))}"
    status: dict[str, Any] = {"observedGeneration": _generation(obj), "replicas": replicas}
    _put_nonzero(status, readyReplicas=ready, currentReplicas=replicas, updatedReplicas=replicas)
    status.update({"currentRevision": revision, "updateRevision": revision,
                   "collisionCount": 0, "availableReplicas": ready})
    return status


def _daemon_set(obj: dict, unhealthy: bool, node_count: int) -> dict:
    ready = 0 if unhealthy else node_count
    status: dict[str, Any] = {
        "currentNumberScheduled": node_count,
        "desiredNumberScheduled": node_count,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "observedGeneration": _generation(obj),
    }
    _put_nonzero(status, updatedNumberScheduled=node_count, numberAvailable=ready,
                 numberUnavailable=node_count - ready)
    return status


def _job(obj: dict, previous: dict, unhealthy: bool, at: str, minor: int) -> dict:
    spec = obj.get("spec") or {}
    parallelism = spec.get("parallelism")
    parallelism = 1 if parallelism is None else int(parallelism)
    completions = spec.get("completions")
    old = previous.get("conditions") or []
    if spec.get("suspend"):
        return {"conditions": [_condition("Suspended", "True", "JobSuspended", "Job suspended",
                                          at, old, probe_time=True)],
                "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
    status: dict[str, Any] = {
        "startTime": previous.get("startTime")
        or (obj.get("metadata") or {}).get("creationTimestamp") or at,
    }
    # A work-queue Job (no completions) is done once its pods succeed.
    wanted = parallelism if completions is None else int(completions)
    if unhealthy or parallelism == 0:
        _put_nonzero(status, active=min(parallelism, wanted))
        status.update({"ready": 0, "terminating": 0, "uncountedTerminatedPods": {}})
        return status
    status["completionTime"] = previous.get("completionTime") or at
    _put_nonzero(status, succeeded=wanted)
    if spec.get("completionMode") == "Indexed" and wanted:
        status["completedIndexes"] = "0" if wanted == 1 else f"0-{wanted - 1}"
    status.update({"ready": 0, "terminating": 0, "uncountedTerminatedPods": {}})
    if minor >= 31:
        reason, message = "CompletionsReached", "Reached expected number of succeeded pods"
        status["conditions"] = [
            _condition("SuccessCriteriaMet", "True", reason, message, at, old, probe_time=True),
            _condition("Complete", "True", reason, message, at, old, probe_time=True),
        ]
    else:
        status["conditions"] = [_condition("Complete", "True", "", "", at, old, probe_time=True)]
    return status


# --- helpers --------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _generation(obj: dict) -> int:
    return int((obj.get("metadata") or {}).get("generation") or 1)


def _replicas(spec: dict) -> int:
    replicas = spec.get("replicas")
    return 1 if replicas is None else int(replicas)


def _minor(version: str) -> int:
    """The minor number of a version like 'v1.31.0' (99 when unreadable: newest)."""
    try:
        return int(version.lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        return 99


def _put_nonzero(status: dict, **fields: int) -> None:
    """Set int fields, leaving out zeros as the API's omitempty does."""
    for key, value in fields.items():
        if value:
            status[key] = value


def _template_hash(template: Any) -> str:
    """A stable 10-character suffix like the pod-template-hash / controller revision."""
    digest = hashlib.sha256(json.dumps(template or {}, sort_keys=True).encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(10):
        number, index = divmod(number, len(_SAFE_ALPHABET))
        chars.append(_SAFE_ALPHABET[index])
    return "".join(chars)


def pod_name_suffix(seed: str, index: int) -> str:
    """A stable 5-character suffix for the `index`-th pod name generated from `seed`."""
    number = int.from_bytes(hashlib.sha256(f"{seed}/{index}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(5):
        number, position = divmod(number, len(_SAFE_ALPHABET))
        chars.append(_SAFE_ALPHABET[position])
    return "".join(chars)


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """An int-or-percent field (maxSurge/maxUnavailable) against `total`."""
    if isinstance(value, str) and value.endswith("%"):
        part = total * int(value[:-1])
        return -(-part // 100) if round_up else part // 100
    return int(value)


def _max_unavailable(spec: dict, replicas: int) -> int:
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    rolling = strategy.get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return min(unavailable, replicas)


def _condition(kind: str, status: str, reason: str, message: str, at: str, old: list[dict],
               *, update_time: bool = False, probe_time: bool = False) -> dict:
    """A condition that keeps its times when nothing about it changed.

    lastTransitionTime moves only when the status flips; lastUpdateTime and
    lastProbeTime move when the status, reason or message change.
    """
    before = next((c for c in old if c.get("type") == kind), None) or {}
    flipped = before.get("status") != status
    same = not flipped and before.get("reason", "") == reason and \
        before.get("message", "") == message
    cond: dict[str, Any] = {"type": kind, "status": status}
    if probe_time:
        cond["lastProbeTime"] = before.get("lastProbeTime", at) if same else at
    if update_time:
        cond["lastUpdateTime"] = before.get("lastUpdateTime", at) if same else at
    cond["lastTransitionTime"] = at if flipped else before.get("lastTransitionTime", at)
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _node_conditions(at: str) -> list[dict]:
    rows = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    return [{"type": t, "status": s, "lastHeartbeatTime": at, "lastTransitionTime": at,
             "reason": r, "message": m} for t, s, r, m in rows]
