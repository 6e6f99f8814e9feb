"""Reading containers' logs from a member: the pods/log subresource, whole or followed.

`pod_log_lines` yields the lines of one container's log as they arrive (with
`follow`, until the member ends the stream or `stop` is set). Errors are the
MemberClient's: Unreachable when there is no answer, MemberAPIError (with the
member's own message, e.g. "previous terminated container ... not found")
for an HTTP error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

from karmadactl.members.client import _describe_network_error, _Response

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.members.client import MemberClient


def log_query(*, container: str, follow: bool = False, previous: bool = False,
              timestamps: bool = False, tail: int | None = None, since_seconds: int | None = None,
              since_time: str | None = None, limit_bytes: int | None = None) -> dict[str, str]:
    """PodLogOptions as query parameters (only those set, as kubectl sends them)."""
    query = {"container": container}
    for key, on in (("follow", follow), ("previous", previous), ("timestamps", timestamps)):
        if on:
            query[key] = "true"
    for key, value in (("tailLines", tail), ("sinceSeconds", since_seconds),
                       ("sinceTime", since_time), ("limitBytes", limit_bytes)):
        if value is not None:
            query[key] = str(value)
    return query


def pod_log_lines(client: MemberClient, namespace: str, pod: str, query: dict[str, str],
                  stop: threading.Event | None = None) -> Iterator[bytes]:
    """The log's lines (each ending in b"\\n" except perhaps the last), as they arrive."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    path = (f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log")
    follow = query.get("follow") == "true"
    api = client._client()
    client._bucket.take()
    client.requests["GET"] += 1
    timeout = (client.timeout, None) if follow else client.timeout
    try:
        method, url, headers, body, _ = api.param_serialize(
            "GET", path, query_params=list(query.items()), header_params={"Accept": "*/*"},
            auth_settings=["BearerToken"])
        raw = api.call_api(method, url, headers, body, _request_timeout=timeout)
    except ApiException as e:
        raise client._unreachable(str(e.reason or "")) from None
    except urllib3.exceptions.HTTPError as e:
        raise client._unreachable(_describe_network_error(e, client.timeout)) from None
    except OSError as e:
        raise client._unreachable(e.strerror or type(e).__name__) from None
    if raw.status >= 300:
        response = _Response(raw.status, raw.reason or "", raw.headers, raw.read() or b"")
        raise client._api_error(response, f"logs of pod {namespace}/{pod}")
    stream = raw.response
    pending = b""
    try:
        for chunk in stream.stream(65536, decode_content=True):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line + b"\n"
            if stop is not None and stop.is_set():
                return
        if pending:
            yield pending
    except (urllib3.exceptions.HTTPError, OSError) as e:
        if stop is not None and stop.is_set():
            return
        raise client._unreachable(_describe_network_error(e, client.timeout)) from None
    finally:
        stream.release_conn()
