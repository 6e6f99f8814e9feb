"""Kubernetes resource quantities and pod requests, exact; pure.

Quantities ("500m", "1.5Gi", "2e3") are parsed into Fractions and printed back
in Kubernetes' canonical form; a pod's effective request follows the kubelet's
rule (containers, init containers, sidecars, overhead).
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

from karmadactl.errors import InvalidInput

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exp: suffix for suffix, exp in _DECIMAL.items()}
_QUANTITY = re.compile(r"^([+-]?)(\d+\.?\d*|\.\d+)((?:[eE][+-]?\d+)|[A-Za-z]*)$")

# -- quantities -----------------------------------------------------------------------------

MAX_EXPONENT = 1000      # "1e999999999" would take forever to compute exactly; kube's own limit is lower


def parse_quantity(text: str | int | float) -> Fraction:
    """A Kubernetes quantity ("500m", "1.5Gi", "2e3", "4") as an exact number."""
    value, _ = _parse(_hashable(text))
    return value


def quantity_format(text: str | int | float) -> str:
    """BinarySI, DecimalSI or DecimalExponent: the format kube keeps for a quantity."""
    return _parse(_hashable(text))[1]


def _hashable(text):
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise InvalidInput(f"quantity {_short(text)}: expected a number or a string such as 500m or 1Gi")
    return text


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


@functools.lru_cache(maxsize=4096)
def _parse(text: str | int | float) -> tuple[Fraction, str]:
    if isinstance(text, float) and not math.isfinite(text):
        raise InvalidInput(f"quantity {text!r}: not a finite number")
    if isinstance(text, (int, float)):
        return Fraction(str(text)), DECIMAL_SI
    match = _QUANTITY.match(text.strip())
    if not match:
        raise InvalidInput(f"quantity {_short(text)}: expected a number with an optional suffix "
                           f"(m, k, M, G, Ki, Mi, Gi ...)")
    sign, number, suffix = match.groups()
    value = Fraction(number)
    if suffix in _BINARY:
        value, fmt = value * 1024 ** _BINARY[suffix], BINARY_SI
    elif suffix in _DECIMAL:
        value, fmt = value * Fraction(10) ** _DECIMAL[suffix], DECIMAL_SI
    elif suffix[:1] in ("e", "E") and suffix[1:].lstrip("+-").isdigit():
        if abs(int(suffix[1:])) > MAX_EXPONENT:
            raise InvalidInput(f"quantity {_short(text)}: exponent out of range")
        value, fmt = value * Fraction(10) ** int(suffix[1:]), DECIMAL_EXPONENT
    else:
        raise InvalidInput(f"quantity {_short(text)}: unknown suffix {suffix!r}")
    return (-value if sign == "-" else value), fmt


@functools.lru_cache(maxsize=4096)
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


# -- pod requests ---------------------------------------------------------------------------

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


