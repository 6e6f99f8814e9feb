"""Run a command in a member's pod: the exec subresource over the official client's websocket.

`find_pod` turns POD or TYPE/NAME into a pod (a workload's first pod by its
selector); `execute` streams stdin/stdout/stderr and terminal sizes and returns
the remote command's exit code, read from the error channel's Status.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from karmadactl.errors import InvalidInput, KarmadaError, NotFound, Unreachable
from karmadactl.members.client import resource_path

# TYPE -> (apiVersion, plural), the short names kubectl accepts
WORKLOADS = {("pod", "pods", "po"): ("v1", "pods"),
             ("deployment", "deployments", "deploy"): ("apps/v1", "deployments"),
             ("replicaset", "replicasets", "rs"): ("apps/v1", "replicasets"),
             ("statefulset", "statefulsets", "sts"): ("apps/v1", "statefulsets"),
             ("daemonset", "daemonsets", "ds"): ("apps/v1", "daemonsets"),
             ("job", "jobs"): ("batch/v1", "jobs")}


def _workload(kind: str) -> tuple[str, str]:
    for names, found in WORKLOADS.items():
        if kind.lower().split(".")[0] in names:
            return found
    accepted = ", ".join(names[0] for names in WORKLOADS)
    raise InvalidInput(f"{kind}: cannot exec into this type (one of {accepted})")


def find_pod(client, target: str, namespace: str) -> dict:
    """The pod that POD or TYPE/NAME names in this member (a workload's first running pod)."""
    kind, _, name = target.rpartition("/")
    api_version, plural = _workload(kind) if kind else ("v1", "pods")
    if not name:
        raise InvalidInput(f"{target}: expected POD or TYPE/NAME")
    if plural == "pods":
        pod = client.get("v1", "pods", name, namespace)
        if pod is None:
            raise NotFound(f'cluster {client.name}: pods "{name}" not found in namespace {namespace}')
        return pod
    workload = client.get(api_version, plural, name, namespace)
    if workload is None:
        raise NotFound(f'cluster {client.name}: {plural} "{name}" not found in namespace {namespace}')
    from karmadactl.apis.labels import selector_string

    selector = selector_string((workload.get("spec") or {}).get("selector"))
    if not selector:
        raise InvalidInput(f"cluster {client.name}: {plural}/{name} has no selector")
    pods = client.list("v1", "pods", namespace=namespace, label_selector=selector)
    if not pods:
        raise NotFound(f"cluster {client.name}: {plural}/{name} has no pods (selector {selector})")
    pods.sort(key=lambda p: ((p.get("status") or {}).get("phase") != "Running",
                             p["metadata"]["name"]))
    return pods[0]


def pick_container(pod: dict, wanted: str | None) -> tuple[str, str | None]:
    """(container, a notice for stderr): the default one as kubectl picks it when none is named."""
    containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if wanted:
        return wanted, None
    default = ((pod["metadata"].get("annotations") or {})
               .get("kubectl.kubernetes.io/default-container"))
    if isinstance(default, str) and default in containers:
        return default, None
    if not containers:
        raise InvalidInput(f"pod {pod['metadata']['name']} has no containers")
    notice = None
    if len(containers) > 1:
        notice = (f'Defaulted container "{containers[0]}" out of: {", ".join(containers)}')
    return containers[0], notice


def check_running(pod: dict, verb: str = "exec into") -> None:
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise KarmadaError(f"cannot {verb} a container in a completed pod; current phase is "
                           f"{phase}")


@dataclass
class Terminal:
    """What the session needs of the local terminal: its size, and a hook for its changes."""

    size: Callable[[], tuple[int, int] | None]                   # (columns, rows)
    on_resize: Callable[[Callable[[], None]], Callable[[], None]]  # -> undo


def execute(client, pod: dict, container: str, command: list[str] | None, *,
            stdin: IO[bytes] | None, stdout: IO[bytes], stderr: IO[bytes], tty: bool,
            terminal: Terminal | None = None) -> int:
    """Run `command` in the pod's container (None: attach to its main process); the remote
    exit code."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream.ws_client import websocket_call
    from websocket import WebSocketException

    meta = pod["metadata"]
    api = client._client()
    configuration = api.configuration
    headers = {}
    token = (configuration.auth_settings().get("BearerToken") or {}).get("value")
    if token:
        headers["authorization"] = token
    query: list[tuple[str, str | list[str]]] = [
        ("container", container), ("stdin", str(stdin is not None).lower()),
        ("stdout", "true"), ("stderr", str(not tty).lower()), ("tty", str(tty).lower())]
    if command is not None:
        query.insert(0, ("command", list(command)))
    path = resource_path("v1", "pods", meta["name"], meta["namespace"])
    url = f"{configuration.host}{path}/{'attach' if command is None else 'exec'}"
    try:   # ws_client directly: the typed CoreV1Api costs more than a second to import
        ws = websocket_call(configuration, "GET", url, query_params=query, headers=headers,
                            _preload_content=False, binary=True)
    except ApiException as e:
        raise _failure(client, str(e.reason or e)) from None
    undo = lambda: None  # noqa: E731
    try:
        if tty and terminal is not None:
            def resize() -> None:
                size = terminal.size()
                if size and ws.is_open():
                    ws.write_channel(4, json.dumps({"Width": size[0], "Height": size[1]}).encode())
            resize()
            undo = terminal.on_resize(resize)
        if stdin is not None:
            threading.Thread(target=_pump, args=(stdin, ws), daemon=True).start()
        error = b""
        while ws.is_open():
            try:
                ws.update(timeout=0.2)
            except (OSError, WebSocketException) as e:
                error += _drain(ws, stdout, stderr)
                if not error:                             # no final status: the session broke
                    raise _failure(client, getattr(e, "strerror", None) or str(e)
                                   or type(e).__name__) from None
                break                                     # the server ended it first: done
            finally:
                error += _drain(ws, stdout, stderr)
        error += _drain(ws, stdout, stderr)
    finally:
        undo()
        ws.close()
    return exit_code(error, client.name)


def _drain(ws, stdout: IO[bytes], stderr: IO[bytes]) -> bytes:
    """Write what arrived on stdout and stderr; what arrived on the error channel."""
    for channel, sink in ((1, stdout), (2, stderr)):
        data = _take(ws, channel)
        if data:
            sink.write(data)
            sink.flush()
    return _take(ws, 3)


def _take(ws, channel: int) -> bytes:
    """What a channel holds (reading it may poll the socket, which may be gone by now)."""
    from websocket import WebSocketException

    try:
        return ws.read_channel(channel) or b""
    except (OSError, WebSocketException):
        return b""


def exit_code(error: bytes, cluster: str) -> int:
    """The exit code a Status on the error channel reports (v4/v5); text is a v1 failure."""
    text = error.decode("utf-8", "replace").strip()
    if not text:
        return 0
    try:
        status = json.loads(text)
    except ValueError:
        raise KarmadaError(f"cluster {cluster}: {text.splitlines()[0]}") from None
    if status.get("status") == "Success":
        return 0
    if status.get("reason") == "NonZeroExitCode":
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode":
                return int(cause.get("message") or 1)
    raise KarmadaError(f"cluster {cluster}: {status.get('message') or 'exec failed'}")


def _pump(source: IO[bytes], ws) -> None:
    """stdin -> channel 0; at its end the v5 close signal (the command sees EOF)."""
    try:
        while True:
            read = getattr(source, "read1", source.read)
            data = read(65536)
            if not data:
                break
            ws.write_channel(0, data)
        ws.close_channel(0)
    except (OSError, ValueError, AttributeError):
        return
    except Exception:  # noqa: BLE001 - the socket closed under us: the session is over
        return


def _failure(client, reason: str) -> KarmadaError:
    """A handshake refusal (HTTP status + kube Status) or no connection, on one line."""
    reason = client._redact(reason)
    found = re.search(r"Handshake status (\d{3})", reason)
    if found:
        message = re.search(r'"message":\s*"((?:[^"\\]|\\.)*)"', reason)
        text = message.group(1) if message else found.group(0)
        return KarmadaError(f"cluster {client.name}: exec: {found.group(1)}: {text}")
    first = reason.strip().splitlines()[0] if reason.strip() else "no answer"
    return Unreachable(f"cluster {client.name}: cannot connect to {client.server}: {first}")
