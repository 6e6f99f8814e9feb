"""The `kube` library that customization scripts get from `require("kube")`; pure.

Karmada's luavm/kube.go: resourceAdd(q1, q2, ...) sums quantities (nil counts as
zero) into a canonical quantity string; accuratePodRequirements(podTemplate) is
the ReplicaRequirements of one replica (nil when it claims nothing);
getPodDependencies(podTemplate, namespace) the ConfigMaps, Secrets, PVCs and
ServiceAccount the pod uses (namespace nil means "default");
getResourceQuantity(q) a quantity as an (approximate) number.
"""

from __future__ import annotations

from fractions import Fraction

from karmadactl.apis.quantity import DECIMAL_SI, format_quantity, parse_quantity, quantity_format
from karmadactl.errors import InvalidInput


def _quantity(value, position: int) -> tuple[Fraction, str | None]:
    if value is None:
        return Fraction(0), None
    if not isinstance(value, str):
        raise InvalidInput(f"bad argument #{position} (string expected, got {type(value).__name__})")
    return parse_quantity(value), quantity_format(value)


def resource_add(*quantities) -> str:
    """The sum of the quantities; it keeps the format of the first one added to zero."""
    total, fmt = Fraction(0), None
    for position, value in enumerate(quantities, start=1):
        amount, its_format = _quantity(value, position)
        if total == 0 and its_format:
            fmt = its_format
        total += amount
    return format_quantity(total, fmt or DECIMAL_SI)


def _pod_spec(template) -> dict:
    if not isinstance(template, dict):
        return {}
    spec = template.get("spec")
    return spec if isinstance(spec, dict) else {}


def accurate_pod_requirements(template) -> dict | None:
    """nodeClaim and resourceRequest of one replica of this pod template."""
    from karmadactl.interpreter.replicas import replica_requirements

    return replica_requirements(_pod_spec(template))


def get_pod_dependencies(template, namespace=None) -> list[dict]:
    """[{apiVersion, kind, namespace, name}] the pod template refers to."""
    from karmadactl.interpreter.dependencies import pod_dependencies

    if namespace is not None and not isinstance(namespace, (str, int, float)):
        raise InvalidInput("bad argument #2 (string expected)")
    return pod_dependencies(_pod_spec(template), "default" if namespace is None else str(namespace))


def get_resource_quantity(value) -> float:
    """A quantity as a number, e.g. "1500m" -> 1.5."""
    amount, _ = _quantity(value, 1)
    if amount < 0:
        raise InvalidInput(f"int approximation unexpectedly returned a negative value: {value!r}")
    number = float(amount)
    return int(number) if number.is_integer() else number
