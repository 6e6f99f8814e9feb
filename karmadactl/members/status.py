"""The Cluster status Karmada's cluster-status-controller computes.

Pure functions (quantities, node and resource summaries, conditions) plus
`collect_status`, which reads one member through a MemberClient. Quantities
are exact (fractions) and printed in Kubernetes' canonical form.
"""

from __future__ import annotations

import copy
import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Iterable

from karmadactl.errors import InvalidInput, Unreachable

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.members.client import MemberClient

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exp: suffix for suffix, exp in _DECIMAL.items()}
_QUANTITY = re.compile(r"^([+-]?)(\d+\.?\d*|\.\d+)((?:[eE][+-]?\d+)|[A-Za-z]*)$")

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


# -- quantities -----------------------------------------------------------------------------

def parse_quantity(text: str | int | float) -> Fraction:
    """A Kubernetes quantity ("500m", "1.5Gi", "2e3", "4") as an exact number."""
    value, _ = _parse(text)
    return value


def quantity_format(text: str | int | float) -> str:
    """BinarySI, DecimalSI or DecimalExponent: the format kube keeps for a quantity."""
    return _parse(text)[1]


def _parse(text: str | int | float) -> tuple[Fraction, str]:
    if isinstance(text, bool):
        raise InvalidInput(f"quantity {text!r}: not a number")
    if isinstance(text, (int, float)):
        return Fraction(str(text)), DECIMAL_SI
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise InvalidInput(f"quantity {text!r}: expected a number with an optional suffix "
                           f"(m, k, M, G, Ki, Mi, Gi ...)")
    sign, number, suffix = match.groups()
    value = Fraction(number)
    if suffix in _BINARY:
        value, fmt = value * 1024 ** _BINARY[suffix], BINARY_SI
    elif suffix in _DECIMAL:
        value, fmt = value * Fraction(10) ** _DECIMAL[suffix], DECIMAL_SI
    elif suffix[:1] in ("e", "E"):
        value, fmt = value * Fraction(10) ** int(suffix[1:]), DECIMAL_EXPONENT
    else:
        raise InvalidInput(f"quantity {text!r}: unknown suffix {suffix!r}")
    return (-value if sign == "-" else value), fmt


def format_quantity(value: Fraction | int, fmt: str = DECIMAL_SI) -> str:
    """Kubernetes' canonical form: "8", "1500m", "32Gi", "1536Mi", "2k".

    Precision below 1n is rounded up, as kube does. BinarySI values that are not
    whole or are smaller than 1024 are written in DecimalSI, as kube does.
    """
    value = Fraction(value)
    nanos = math.ceil(value * 10 ** 9)
    value = Fraction(nanos, 10 ** 9)
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if fmt == BINARY_SI and magnitude.denominator == 1 and magnitude >= 1024:
        number, power = magnitude.numerator, 0
        while power < 6 and number % 1024 == 0:
            number //= 1024
            power += 1
        suffix = next(s for s, p in _BINARY.items() if p == power) if power else ""
        return f"{sign}{number}{suffix}"
    # decimal: the largest exponent (a multiple of 3) that keeps the mantissa whole
    exponent = -9
    while exponent < 18 and (magnitude / Fraction(10) ** (exponent + 3)).denominator == 1:
        exponent += 3
    mantissa = magnitude / Fraction(10) ** exponent
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{mantissa.numerator}" + (f"e{exponent}" if exponent else "")
    return f"{sign}{mantissa.numerator}{_DECIMAL_SUFFIX[exponent]}"


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


def _add(total: dict[str, Fraction], resources: dict | None) -> None:
    for name, quantity in (resources or {}).items():
        total[name] = total.get(name, Fraction(0)) + parse_quantity(quantity)


def pod_requests(pod_spec: dict) -> dict[str, Fraction]:
    """The effective request of a pod, per resource, by Kubernetes' rule.

    max(sum of app containers + sum of sidecars (restartable init containers),
    each init container's request + the sidecars started before it), plus the
    pod overhead. Without sidecars this is max(sum of containers, max of init
    containers) + overhead, as Karmada computes it.
    """
    total: dict[str, Fraction] = {}
    for container in pod_spec.get("containers") or []:
        _add(total, (container.get("resources") or {}).get("requests"))
    sidecars: dict[str, Fraction] = {}
    init_max: dict[str, Fraction] = {}
    for container in pod_spec.get("initContainers") or []:
        requests = (container.get("resources") or {}).get("requests")
        if container.get("restartPolicy") == "Always":
            _add(sidecars, requests)
            continue
        during: dict[str, Fraction] = dict(sidecars)
        _add(during, requests)
        for name, value in during.items():
            init_max[name] = max(init_max.get(name, Fraction(0)), value)
    for name, value in sidecars.items():
        total[name] = total.get(name, Fraction(0)) + value
    for name, value in init_max.items():
        total[name] = max(total.get(name, Fraction(0)), value)
    _add(total, pod_spec.get("overhead"))
    return total


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
            value, fmt = _parse(quantity)
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

def collect_status(client: "MemberClient", previous: dict | None, now: str) -> dict:
    """A member's Cluster .status, as Karmada's cluster-status-controller writes it.

    Health first; only a Ready member is read further (version, APIs, nodes, pods).
    Otherwise only the Ready condition changes and the rest is kept from `previous`.
    A part that fails to read keeps its previous value. The 30 s thresholds
    Karmada applies before publishing a change belong to the caller.
    """
    from karmadactl.members.client import MemberAPIError

    status = copy.deepcopy(previous or {})
    try:
        health, message = client.health()
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
