"""A member's watch API: the events of one resource, streamed as kube-apiserver sends them.

GET .../RESOURCE?watch=true answers with one JSON event per line ({"type": ADDED|MODIFIED|DELETED|
BOOKMARK|ERROR, "object": ...}); started without a resourceVersion it first sends an ADDED event for
each existing object (k8s.io/apiserver/pkg/storage/cacher: "Get State and Start at Most Recent").
The server ends a watch after timeoutSeconds; it is started again from the last version seen.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

WATCH_SECONDS = 300


def _stream(client, path: str, query: dict) -> Iterator[dict]:
    """The events of one watch request until the server ends it."""
    from karmadactl.errors import KarmadaError

    api = client._client()
    method, url, headers, body, _ = api.param_serialize(
        "GET", path, query_params=list(query.items()), header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"])
    raw = api.call_api(method, url, headers, body, _request_timeout=(client.timeout, WATCH_SECONDS + 30))
    if raw.status != 200:
        raise KarmadaError(f"cluster {client.name}: watch {path}: HTTP {raw.status} {raw.reason or ''}".strip())
    response = raw.response
    try:
        buffer = b""
        for chunk in response.stream(4096, decode_content=True):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    yield json.loads(line)
    finally:
        response.release_conn()


def watch(client, api_version: str, plural: str, *, namespace: str | None, label_selector: str | None,
          deliver: Callable[[str, dict], None], stop: threading.Event) -> None:
    """Call deliver(TYPE, object) for each event of the resource until `stop` is set; raises what the
    member answers when it cannot be watched (Unreachable, an HTTP error)."""
    from karmadactl.errors import KarmadaError
    from karmadactl.members.client import resource_path

    path = resource_path(api_version, plural, namespace=namespace)
    version = ""
    while not stop.is_set():
        query = {"watch": "true", "timeoutSeconds": str(WATCH_SECONDS), "allowWatchBookmarks": "true"}
        if label_selector:
            query["labelSelector"] = label_selector
        if version:
            query["resourceVersion"] = version
        try:
            for event in _stream(client, path, query):
                if stop.is_set():
                    return
                kind, obj = event.get("type", ""), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:        # too old a version: list again from now
                        version = ""
                        break
                    raise KarmadaError(f"cluster {client.name}: watch {plural}: {obj.get('message', '')}")
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind != "BOOKMARK":
                    deliver(kind, obj)
        except KarmadaError:
            raise
        except Exception as e:     # the connection dropped: say so, as a member that does not answer
            from karmadactl.errors import Unreachable

            raise Unreachable(f"cluster {client.name}: watch {plural}: {type(e).__name__}: {e}") from None
