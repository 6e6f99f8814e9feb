"""meta.k8s.io/v1 Table answers, which `kubectl get` asks for (Accept: ...;as=Table).

Pure: objects in, a Table out. A few kinds get the columns kubectl users know;
every other kind gets Name and Age, like a custom resource without printer columns.
"""

from __future__ import annotations

from collections.abc import Callable

from karmadactl.apis.meta import age

Column = tuple[str, str, Callable[[dict], object]]       # (name, type, cell of an object)


def _name(obj: dict) -> str:
    return obj["metadata"]["name"]


def _age(obj: dict) -> str:
    return age(obj["metadata"].get("creationTimestamp"))


def _status(obj: dict) -> dict:
    return obj.get("status") or {}


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _node_status(obj: dict) -> str:
    ready = next((c for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"), {})
    text = "Ready" if ready.get("status") == "True" else "NotReady"
    return text + (",SchedulingDisabled" if _spec(obj).get("unschedulable") else "")


def _node_roles(obj: dict) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = [k[len(prefix):] for k in obj["metadata"].get("labels") or {} if k.startswith(prefix)]
    return ",".join(sorted(roles)) or "<none>"


def _ports(obj: dict) -> str:
    ports = _spec(obj).get("ports") or []
    return ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"


def _more(items: list[str], count: int, empty: str, limit: int = 3) -> str:
    """At most three items, then ` + N more...`, as kubectl prints lists in a column."""
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or empty


def _slice_ports(obj: dict) -> str:
    ports = obj.get("ports") or []
    return _more([str(p.get("port") if p.get("port") is not None else p.get("name") or "*")
                  for p in ports], len(ports), "<unset>")


def _slice_endpoints(obj: dict) -> str:
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return _more(addresses, len(addresses), "<unset>")


def _endpoints(obj: dict) -> str:
    subsets = obj.get("subsets") or []
    if not subsets:
        return "<none>"
    pairs = []
    for subset in subsets:
        ips = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            pairs.extend(ips)
        for port in ports:
            pairs.extend(f"[{ip}]:{port.get('port')}" if ":" in ip else f"{ip}:{port.get('port')}"
                         for ip in ips)
    return _more(pairs, len(pairs), "")


def _quota(obj: dict, limits: bool) -> str:
    """kubectl's REQUEST or LIMIT of a ResourceQuota: `resource: used/hard` of its status, sorted."""
    hard, used = _status(obj).get("hard") or {}, _status(obj).get("used") or {}
    return ", ".join(f"{name}: {used.get(name, '0')}/{hard[name]}" for name in sorted(hard)
                     if name.startswith("limits.") == limits)


COLUMNS: dict[str, list[Column]] = {
    "Deployment": [
        ("Ready", "string", lambda o: f"{_status(o).get('readyReplicas', 0)}/"
                                      f"{_spec(o).get('replicas', 1)}"),
        ("Up-to-date", "integer", lambda o: _status(o).get("updatedReplicas", 0)),
        ("Available", "integer", lambda o: _status(o).get("availableReplicas", 0))],
    "StatefulSet": [
        ("Ready", "string", lambda o: f"{_status(o).get('readyReplicas', 0)}/"
                                      f"{_spec(o).get('replicas', 1)}")],
    "Node": [("Status", "string", _node_status), ("Roles", "string", _node_roles),
             ("Age", "string", _age), ("Version", "string", lambda o: (_status(o).get("nodeInfo") or {})
              .get("kubeletVersion", ""))],
    "Namespace": [("Status", "string", lambda o: _status(o).get("phase", ""))],
    "Pod": [("Status", "string", lambda o: _status(o).get("phase", ""))],
    "ConfigMap": [("Data", "integer", lambda o: len(o.get("data") or {})
                   + len(o.get("binaryData") or {}))],
    "Secret": [("Type", "string", lambda o: o.get("type", "Opaque")),
               ("Data", "integer", lambda o: len(o.get("data") or {}))],
    "Service": [("Type", "string", lambda o: _spec(o).get("type", "ClusterIP")),
                ("Cluster-IP", "string", lambda o: _spec(o).get("clusterIP", "<none>")),
                ("Port(s)", "string", _ports)],
    "EndpointSlice": [("AddressType", "string", lambda o: o.get("addressType", "")),
                      ("Ports", "string", _slice_ports), ("Endpoints", "string", _slice_endpoints)],
    "Endpoints": [("Endpoints", "string", _endpoints)],
    "ResourceQuota": [("Age", "string", _age), ("Request", "string", lambda o: _quota(o, False)),
                      ("Limit", "string", lambda o: _quota(o, True))],
}


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def to_table(kind: str, objects: list[dict], resource_version: str,
             include_object: str = "Metadata") -> dict:
    """The Table for objects of one kind (includeObject: None, Metadata or Object)."""
    columns: list[Column] = [("Name", "string", _name), *COLUMNS.get(kind, [])]
    if not any(name == "Age" for name, _, _ in columns):
        columns.append(("Age", "string", _age))
    definitions = [{"name": name, "type": type_, "format": "name" if name == "Name" else "",
                    "description": "", "priority": 0} for name, type_, _ in columns]
    rows = []
    for obj in objects:
        row: dict = {"cells": [cell(obj) for _, _, cell in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": definitions, "rows": rows}
