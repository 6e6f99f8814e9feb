"""MultiClusterService (networking.karmada.io/v1alpha1) as Karmada's webhook checks it at the door
(pkg/webhook/multiclusterservice/validating.go validateMCS); pure.

Not checked here: that `types` never change on update ("MultiClusterService types are immutable"),
which needs the stored object. The webhook's mutating half (the permanent-id label) is left to the
controller (controllers/multiclusterservice.py), which derives a stable one when it is missing.
"""

from __future__ import annotations

from typing import Any

from karmadactl.apis.cluster import name_problem as cluster_name_problem
from karmadactl.apis.names import dns1035_label, dns1123_label
from karmadactl.apis.schema import Problem

EXPOSURE_TYPES = ("CrossCluster", "LoadBalancer")


def _items(value: Any) -> list:
    return value if isinstance(value, list) else []


def problems(obj: dict) -> list[Problem]:
    out: list[Problem] = []
    why = dns1035_label(str((obj.get("metadata") or {}).get("name") or ""))
    if why:
        out.append(Problem("metadata.name", why))
    spec: dict = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    names: set[str] = set()
    for i, port in enumerate(_items(spec.get("ports"))):
        port = port if isinstance(port, dict) else {}
        name = port.get("name") or ""
        if name:
            why = dns1123_label(str(name))
            if why:
                out.append(Problem(f"spec.ports[{i}].name", why))
            if name in names:
                out.append(Problem(f"spec.ports[{i}].name", f'Duplicate value: "{name}"'))
            names.add(name)
        number = port.get("port")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
            out.append(Problem(f"spec.ports[{i}].port", f"Invalid value: {number!r}: must be between 1 and 65535, "
                                                        "inclusive"))
    types = _items(spec.get("types"))
    for i, type_ in enumerate(types):
        if type_ not in EXPOSURE_TYPES:
            out.append(Problem(f"spec.types[{i}]", f"Invalid value: {type_!r}: ExposureType Error"))
    if len({str(t) for t in types}) > 1:
        out.append(Problem("spec.types", "MultiClusterService types should not contain more than one type"))
    for side in ("providerClusters", "consumerClusters"):
        for i, cluster in enumerate(_items(spec.get(side))):
            name = cluster.get("name") if isinstance(cluster, dict) else None
            why = cluster_name_problem(name)
            if why:
                out.append(Problem(f"spec.range.{side}[{i}]", why))
    return out
