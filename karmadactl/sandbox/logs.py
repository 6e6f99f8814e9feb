"""The pods/log subresource of the sandbox: containers that write a line every second.

Each container writes a deterministic nginx-like access line once a second
from the moment it started (`state.running.startedAt`); a container that
restarted also has the log of its previous instance (`lastState.terminated`),
which ends with the error it died of. `get_log` answers
GET /api/v1/namespaces/NS/pods/NAME/log as kube-apiserver does: text/plain,
the same validation and messages, `follow` as a chunked stream.

`lines`, `select` and `render` are pure; only `get_log` touches the request.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from aiohttp import web

from karmadactl.sandbox.exec import container_of
from karmadactl.sandbox.objects import bad_request, invalid

if TYPE_CHECKING:
    from karmadactl.sandbox.handlers import Target
    from karmadactl.sandbox.writes import Cluster

SECOND = 1_000_000_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Line(NamedTuple):
    at: int            # nanoseconds since the epoch
    text: str          # without the newline


class Options(NamedTuple):
    container: str
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail: int | None = None
    since: int | None = None         # nanoseconds since the epoch
    limit: int | None = None         # bytes


# --- pure ---------------------------------------------------------------------------------------

def parse_time(value: str) -> int:
    """RFC 3339 (with or without fraction) to nanoseconds since the epoch."""
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    fraction = 0
    if "." in text:
        head, _, rest = text.partition(".")
        digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits):]
        fraction = int((digits + "000000000")[:9]) if digits else 0
        text = head + zone
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"no time zone in {value!r}")
    return int(moment.timestamp()) * SECOND + fraction


def rfc3339_nano(at: int) -> str:
    """Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped."""
    seconds, nanos = divmod(at, SECOND)
    head = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{head}.{fraction}Z" if fraction else f"{head}Z"


def _offset(seed: str, index: int) -> int:
    """A stable sub-second offset for the index-th line (so timestamps look written)."""
    digest = hashlib.sha256(f"{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % SECOND


def access_line(pod: dict, container: str, index: int, at: int) -> str:
    moment = datetime.fromtimestamp(at // SECOND, UTC)
    stamp = f"{moment:%d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"
    client = (pod.get("status") or {}).get("hostIP") or "10.244.0.1"
    return (f'{client} - - [{stamp}] "GET /{container}?n={index} HTTP/1.1" 200 615 "-" '
            f'"sandbox-probe/1.0" {pod["metadata"]["name"]}')


def lines(pod: dict, container: str, *, previous: bool, until: int) -> list[Line]:
    """What the container (or its previous instance) wrote up to `until` (ns)."""
    status = next((s for s in (pod.get("status") or {}).get("containerStatuses") or []
                   if s.get("name") == container), None) or {}
    seed = f"{pod['metadata'].get('uid', pod['metadata']['name'])}/{container}"
    if previous:
        ended = (status.get("lastState") or {}).get("terminated") or {}
        start = parse_time(ended.get("startedAt") or "1970-01-01T00:00:00Z")
        out = [Line(start + _offset(seed + "/previous", i),
                    access_line(pod, container, i, start)) for i in range(2)]
        out.append(Line(start + SECOND - 1, f"[emerg] {container}: exited with code "
                        f"{ended.get('exitCode', 1)} (simulated crash)"))
        return out
    state = status.get("state") or {}
    running, terminated = state.get("running"), state.get("terminated")
    begun = (running or terminated or {}).get("startedAt")
    if not begun:
        return []
    start = parse_time(begun)
    last = until
    if terminated:                      # a finished container wrote for one second
        last = min(until, parse_time(terminated.get("finishedAt") or begun) + SECOND - 1)
    out = []
    index = 0
    while True:
        at = start + index * SECOND + _offset(seed, index)
        if at > last:
            return out
        out.append(Line(at, access_line(pod, container, index, at)))
        index += 1


def select(found: list[Line], options: Options) -> list[Line]:
    """sinceTime/sinceSeconds first, then tailLines (as the kubelet applies them)."""
    if options.since is not None:
        found = [line for line in found if line.at >= options.since]
    if options.tail is not None:
        found = found[-options.tail:] if options.tail else []
    return found


def render(line: Line, timestamps: bool) -> bytes:
    text = f"{rfc3339_nano(line.at)} {line.text}" if timestamps else line.text
    return (text + "\n").encode()


def next_line(pod: dict, container: str, after: int) -> Line:
    """The first line the container writes after `after` (ns)."""
    status = next((s for s in (pod.get("status") or {}).get("containerStatuses") or []
                   if s.get("name") == container), None) or {}
    start = parse_time(((status.get("state") or {}).get("running") or {}).get("startedAt")
                       or "1970-01-01T00:00:00Z")
    seed = f"{pod['metadata'].get('uid', pod['metadata']['name'])}/{container}"
    index = max(0, (after - start) // SECOND - 1)
    while True:
        at = start + index * SECOND + _offset(seed, index)
        if at > after:
            return Line(at, access_line(pod, container, index, at))
        index += 1


# --- request ------------------------------------------------------------------------------------

def _bool(query, name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


def _int(query, name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f'{name}: Invalid value: "{raw}": must be an integer') from None


def options_of(pod: dict, query, now_ns: int) -> Options:
    """Validate the query as kube does (container choice, PodLogOptions)."""
    container = container_of(pod, query.get("container", ""), ephemeral=False, host=False)
    tail, limit, since_seconds = _int(query, "tailLines"), _int(query, "limitBytes"), \
        _int(query, "sinceSeconds")
    since_time = query.get("sinceTime")
    causes = []
    if tail is not None and tail < 0:
        causes.append(("tailLines", "FieldValueInvalid",
                       f"Invalid value: {tail}: must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        causes.append(("limitBytes", "FieldValueInvalid",
                       f"Invalid value: {limit}: must be greater than 0"))
    if since_seconds is not None and since_time:
        causes.append(("", "FieldValueForbidden",
                       "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif since_seconds is not None and since_seconds < 1:
        causes.append(("sinceSeconds", "FieldValueInvalid",
                       f"Invalid value: {since_seconds}: must be greater than 0"))
    if causes:
        raise invalid("PodLogOptions", "", pod["metadata"]["name"], causes)
    since = None
    if since_seconds is not None:
        since = now_ns - since_seconds * SECOND
    elif since_time:
        try:
            since = parse_time(since_time)
        except ValueError:
            raise bad_request(f'sinceTime: Invalid value: "{since_time}": must be RFC 3339') \
                from None
    return Options(container, _bool(query, "follow"), _bool(query, "previous"),
                   _bool(query, "timestamps"), tail, since, limit)


def _restarts(pod: dict, container: str) -> int:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            return int(status.get("restartCount") or 0)
    return 0


async def get_log(cluster: Cluster, request: web.Request, t: Target) -> web.StreamResponse:
    pod = cluster.get(t.rt, t.namespace, t.name or "")
    now_ns = time.time_ns()
    options = options_of(pod, request.query, now_ns)
    name = pod["metadata"]["name"]
    if options.previous and _restarts(pod, options.container) == 0:
        raise bad_request(f'previous terminated container "{options.container}" in pod '
                          f'"{name}" not found')
    found = select(lines(pod, options.container, previous=options.previous, until=now_ns),
                   options)
    budget = options.limit
    chunks = []
    for line in found:
        data = render(line, options.timestamps)
        if budget is not None:
            data, budget = data[:budget], budget - len(data[:budget])
        chunks.append(data)
        if budget == 0:
            break
    running = ((next((s for s in pod["status"].get("containerStatuses") or []
                      if s.get("name") == options.container), {}) or {}).get("state") or {}
               ).get("running")
    if not options.follow or options.previous or not running or budget == 0:
        return web.Response(body=b"".join(chunks), content_type="text/plain")
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        if chunks:
            await response.write(b"".join(chunks))
        after = found[-1].at if found else now_ns
        while budget != 0:
            line = next_line(pod, options.container, after)
            await asyncio.sleep(max(0.0, (line.at - time.time_ns()) / SECOND))
            if cluster.store.get(t.rt.group_resource, t.namespace, name) is None:
                break                               # the pod went away: the stream ends
            data = render(line, options.timestamps)
            if budget is not None:
                data = data[:budget]
                budget -= len(data)
            await response.write(data)
            after = line.at
    except (ConnectionResetError, ConnectionError):
        pass
    return response

