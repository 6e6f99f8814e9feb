"""Members' objects through the store's lens: kubectl's columns for nodes and events, and
`describe -s members` (one block per cluster, with that member's events)."""

from __future__ import annotations

from datetime import UTC, datetime

from karmadactl.apis import meta
from karmadactl.cli.output import Columns


def since(timestamp, now: datetime | None = None) -> str:
    """apimachinery's HumanDuration since a Time or MicroTime (`45s`, `5m30s`, `3h10m`), as kubectl prints
    events' ages; <unknown> when unset or unreadable."""
    from karmadactl.cli.get import human_duration

    if not isinstance(timestamp, str) or not timestamp:
        return "<unknown>"
    try:
        when = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    if when.tzinfo is None:
        return "<unknown>"
    return human_duration(int(((now or datetime.now(UTC)) - when).total_seconds()))


# -- kubectl's default columns for nodes and events ------------------------------------------


def _node_status(obj: dict) -> str:
    conditions = (obj.get("status") or {}).get("conditions") or []
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    text = "Unknown" if ready is None else ("Ready" if ready.get("status") == "True" else "NotReady")
    return text + (",SchedulingDisabled" if (obj.get("spec") or {}).get("unschedulable") else "")


def _node_roles(obj: dict) -> str:
    labels = obj["metadata"].get("labels") or {}
    roles = {k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return ",".join(sorted(r for r in roles if r)) or "<none>"


def _node_row(obj: dict) -> list[str]:
    info = (obj.get("status") or {}).get("nodeInfo") or {}
    return [obj["metadata"]["name"], _node_status(obj), _node_roles(obj),
            meta.age(obj["metadata"].get("creationTimestamp")), info.get("kubeletVersion", "")]


def _node_address(obj: dict, type_: str) -> str:
    found = [a.get("address", "") for a in (obj.get("status") or {}).get("addresses") or []
             if a.get("type") == type_]
    return found[0] if found else "<none>"


def _node_wide(obj: dict) -> list[str]:
    info = (obj.get("status") or {}).get("nodeInfo") or {}
    return [_node_address(obj, "InternalIP"), _node_address(obj, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _series(event: dict) -> dict:
    series = event.get("series")
    return series if isinstance(series, dict) else {}


def event_last_seen(event: dict) -> str:
    """kubectl get events' LAST SEEN (printEvent): a series' lastObservedTime, else lastTimestamp, else
    the first time (firstTimestamp, else eventTime)."""
    series = _series(event)
    return since(series.get("lastObservedTime") or event.get("lastTimestamp") or event.get("firstTimestamp")
                 or event.get("eventTime"))


def event_object(event: dict) -> str:
    """kubectl's OBJECT: kind/name in lower-case kind, the kind alone when no name is set."""
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def _event_row(event: dict) -> list[str]:
    return [event_last_seen(event), event.get("type", ""), event.get("reason", ""), event_object(event),
            (event.get("message") or "").strip()]


NODE = Columns(("NAME", "STATUS", "ROLES", "AGE", "VERSION"), _node_row)
NODE_WIDE = Columns(NODE.headers + ("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
                                    "CONTAINER-RUNTIME"), lambda o: _node_row(o) + _node_wide(o))
EVENT = Columns(("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"), _event_row)


# -- describe -s members ---------------------------------------------------------------------


def event_source(event: dict) -> str:
    """kubectl describe's From: source.component, else reportingController."""
    return (event.get("source") or {}).get("component") or event.get("reportingController") or ""


def event_interval(event: dict, now: datetime) -> str:
    """kubectl describe's Age of an event: since its first time (eventTime, else firstTimestamp), or
    `3m (x4 over 10m)` for a series or a repeated event."""
    first = since(event.get("eventTime") or event.get("firstTimestamp"), now)
    series = event.get("series") if isinstance(event.get("series"), dict) else None
    if series:
        return f"{since(series.get('lastObservedTime'), now)} (x{int(series.get('count') or 0)} over {first})"
    if int(event.get("count") or 0) > 1:
        return f"{since(event.get('lastTimestamp'), now)} (x{int(event['count'])} over {first})"
    return first


def event_order(event: dict) -> str:
    """kubectl's SortableEvents: by a series' lastObservedTime, else lastTimestamp, else eventTime."""
    series = _series(event)
    when = series.get("lastObservedTime") or event.get("lastTimestamp") or event.get("eventTime") or ""
    return str(when).replace("Z", "").ljust(26, "0")


def describe_member_object(cluster: str, obj: dict, events: list[dict], now: datetime) -> str:
    """One cluster's block: the object as kubectl's generic describer prints it, then its events."""
    from karmadactl.cli.inspect import field_lines, key_values, nested_lines, table_lines

    meta = obj.get("metadata") or {}
    pairs = [("Cluster", cluster), ("Name", meta.get("name", ""))]
    if meta.get("namespace"):
        pairs.append(("Namespace", meta["namespace"]))
    pairs += [("Labels", key_values(meta.get("labels"))), ("Annotations", key_values(meta.get("annotations"))),
              ("API Version", obj.get("apiVersion", "")), ("Kind", obj.get("kind", ""))]
    lines = field_lines(pairs)
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    lines += nested_lines(rest)
    ordered = sorted(events, key=event_order)
    if ordered:
        rows = [[e.get("type", ""), e.get("reason", ""), event_interval(e, now), event_source(e),
                 (e.get("message") or "").strip()] for e in ordered]
        lines += ["Events:", *table_lines(["Type", "Reason", "Age", "From", "Message"], rows)]
    else:
        lines.append("Events:  <none>")
    return "\n".join(lines) + "\n"
