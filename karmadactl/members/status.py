"""The Cluster status Karmada's cluster-status-controller computes.

Pure functions (quantities, node and resource summaries, conditions) plus
`collect_status`, which reads one member through a MemberClient. Quantities
are exact (fractions) and printed in Kubernetes' canonical form.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING

from karmadactl.apis.quantity import (
    BINARY_SI,
    DECIMAL_SI,
    format_quantity,
    parse_quantity,
    pod_requests,
    quantity_format,
)
from karmadactl.errors import InvalidInput, Unreachable

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.members.client import MemberClient

READY = "Ready"
COMPLETE_API_ENABLEMENTS = "CompleteAPIEnablements"
# health (from MemberClient.health) -> (status, reason, Karmada's message)
_READY_CONDITIONS = {
    "Ready": ("True", "ClusterReady", "cluster is healthy and ready to accept workloads"),
    "NotReady": ("False", "ClusterNotReady",
                 "cluster is reachable but health endpoint responded without ok"),
    "Unreachable": ("False", "ClusterNotReachable", "cluster is not reachable"),
    "CollectionFailed": ("False", "StatusCollectionFailed", "failed to collect cluster status"),
}


# -- summaries ------------------------------------------------------------------------------

def node_ready(node: dict) -> bool:
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def node_summary(nodes: Iterable[dict]) -> dict:
    """{"totalNum", "readyNum"}: nodes, and nodes whose Ready condition is True."""
    nodes = list(nodes)
    return {"totalNum": len(nodes), "readyNum": sum(1 for n in nodes if node_ready(n))}


def _request_format(name: str) -> str:
    """The format Karmada gives summed requests: bytes in BinarySI, the rest DecimalSI."""
    binary = name in ("memory", "ephemeral-storage", "storage") or name.startswith("hugepages-")
    return BINARY_SI if binary else DECIMAL_SI


def _requests_of(pods: Iterable[dict]) -> dict[str, str]:
    total: dict[str, Fraction] = {}
    count = 0
    for pod in pods:
        for name, value in pod_requests(pod.get("spec") or {}).items():
            total[name] = total.get(name, Fraction(0)) + value
        count += 1
    total["pods"] = total.get("pods", Fraction(0)) + count
    return {name: format_quantity(value, _request_format(name))
            for name, value in sorted(total.items()) if value > 0}


def resource_summary(nodes: Iterable[dict], pods: Iterable[dict]) -> dict:
    """{"allocatable", "allocated", "allocating"} as Karmada's Cluster.status.resourceSummary.

    allocatable: the sum of the nodes' status.allocatable (each resource keeps the
    format of its first quantity, as kube's Quantity.Add does); allocated: the
    effective requests of pods bound to a node and not Succeeded/Failed, plus a
    "pods" count; allocating: the same for pods not bound to a node yet.
    """
    allocatable: dict[str, Fraction] = {}
    formats: dict[str, str] = {}
    for node in nodes:
        for name, quantity in ((node.get("status") or {}).get("allocatable") or {}).items():
            value, fmt = parse_quantity(quantity), quantity_format(quantity)
            formats.setdefault(name, fmt)
            allocatable[name] = allocatable.get(name, Fraction(0)) + value
    pods = list(pods)
    bound = [p for p in pods if (p.get("spec") or {}).get("nodeName")
             and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    pending = [p for p in pods if not (p.get("spec") or {}).get("nodeName")]
    return {
        "allocatable": {name: format_quantity(value, formats[name])
                        for name, value in sorted(allocatable.items())},
        "allocated": _requests_of(bound),
        "allocating": _requests_of(pending),
    }


# -- conditions -----------------------------------------------------------------------------

def set_condition(conditions: list[dict] | None, condition: dict, now: str) -> list[dict]:
    """Conditions with `condition` set; lastTransitionTime kept when the status is unchanged."""
    result = [copy.deepcopy(c) for c in conditions or []]
    new = dict(condition)
    for i, old in enumerate(result):
        if old.get("type") == new["type"]:
            same = old.get("status") == new["status"] and old.get("lastTransitionTime")
            new["lastTransitionTime"] = old["lastTransitionTime"] if same else now
            result[i] = new
            return result
    new["lastTransitionTime"] = now
    result.append(new)
    return result


def ready_condition(health: str, message: str = "") -> dict:
    """Karmada's Ready condition for a health answer ("Ready", "NotReady", "Unreachable", ...)."""
    if health not in _READY_CONDITIONS:
        raise ValueError(f"unknown health {health!r}")
    status, reason, text = _READY_CONDITIONS[health]
    if message and health != "Ready":
        text = f"{text}: {message}"
    return {"type": READY, "status": status, "reason": reason, "message": text}


def conditions(health: str, message: str, now: str, previous: list[dict] | None = None
               ) -> list[dict]:
    """`previous` conditions with Ready set from a health answer (others kept as they are)."""
    return set_condition(previous, ready_condition(health, message), now)


def api_enablements_condition(enablements: list[dict], failed: list[str]) -> dict:
    """Karmada's CompleteAPIEnablements condition."""
    if not enablements:
        return {"type": COMPLETE_API_ENABLEMENTS, "status": "False", "reason": "Empty",
                "message": "collected empty APIEnablements from the cluster"}
    if failed:
        return {"type": COMPLETE_API_ENABLEMENTS, "status": "False", "reason": "Partial",
                "message": f"might collect partial APIEnablements({len(enablements)}) from the "
                           f"cluster (not read: {', '.join(failed)})"}
    return {"type": COMPLETE_API_ENABLEMENTS, "status": "True", "reason": "Complete",
            "message": "collected complete APIEnablements from the cluster"}


# -- collection (I/O) -----------------------------------------------------------------------

def collect_status(client: MemberClient, previous: dict | None, now: str,
                   probed: tuple[str, str] | None = None) -> dict:
    """A member's Cluster .status, as Karmada's cluster-status-controller writes it.

    Health first (`probed`: the caller's own answer of client.health() just now, not
    asked again); only a Ready member is read further (version, APIs, nodes, pods).
    Otherwise only the Ready condition changes and the rest is kept from `previous`.
    A part that fails to read keeps its previous value. The 30 s thresholds
    Karmada applies before publishing a change belong to the caller.
    """
    from karmadactl.members.client import MemberAPIError

    status = copy.deepcopy(previous or {})
    try:
        health, message = probed or client.health()
    except InvalidInput as e:   # the client could not be built (bad kubeconfig, plugin)
        health, message = "CollectionFailed", e.message
    if health != "Ready":
        status["conditions"] = conditions(health, message, now, status.get("conditions"))
        return status

    failures = (Unreachable, MemberAPIError)
    try:
        status["kubernetesVersion"] = client.version().get("gitVersion", "")
    except failures:
        pass
    try:
        enablements, failed = client.discover()
    except failures:
        enablements, failed = [], ["/api", "/apis"]
    status["apiEnablements"] = enablements   # as Karmada: replaced even when empty
    cond = set_condition(status.get("conditions"),
                         api_enablements_condition(enablements, failed), now)
    try:
        nodes = client.list("v1", "nodes")
        pods = client.list("v1", "pods")
    except failures:
        pass
    else:
        status["nodeSummary"] = node_summary(nodes)
        status["resourceSummary"] = resource_summary(nodes, pods)
    status["conditions"] = conditions(health, message, now, cond)
    return _ordered(status)


def _ordered(status: dict) -> dict:
    order = ["kubernetesVersion", "apiEnablements", "conditions", "nodeSummary",
             "resourceSummary"]
    result = {k: status[k] for k in order if k in status}
    result.update({k: v for k, v in status.items() if k not in result})
    return result
