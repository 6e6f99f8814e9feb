"""Reading one object of a member with the events the member recorded about it (kubectl describe's reads)."""

from __future__ import annotations

from karmadactl.members.client import resource_path


def object_with_events(client, api_version: str, plural: str, name: str, namespace: str | None,
                       kind: str) -> tuple[dict | None, list[dict]]:
    """(the object or None, its events) — events found as kubectl describe finds them, with an
    involvedObject field selector on the member's core events API."""
    obj = client.get(api_version, plural, name, namespace)
    if obj is None:
        return None, []
    selector = [f"involvedObject.name={name}", f"involvedObject.kind={kind}"]
    if namespace:
        selector.append(f"involvedObject.namespace={namespace}")
    uid = (obj.get("metadata") or {}).get("uid")
    if uid:
        selector.append(f"involvedObject.uid={uid}")
    path = resource_path("v1", "events", namespace=namespace or None)
    doc = client.get_json(path, {"fieldSelector": ",".join(selector)},
                          what=f"list events of {plural} {name}")
    return obj, list(doc.get("items") or [])
