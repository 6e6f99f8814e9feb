"""Long-running sandbox members for `karmadactl sandbox up|down|fail|recover|status`.

The members started by one `up` are served by detached
`python -m karmadactl.sandbox.daemon` processes, up to `per_process` members
each (one asyncio loop; every member its own port, TLS certificate, token,
kubeconfig and objects). Everything about a member lives in the state
directory ($KARMADA_HOME/sandbox):

    NAME.json        {"name", "port", "pid"}: the port is kept so that `up`
                     after `down` gives the member the same address; the pid
                     is its process's, shared with the members it hosts
    NAME.token       its bearer token (0600), kept across restarts
    NAME.kubeconfig  a kubeconfig for it (0600), written by the daemon
    NAME.sock        its control socket while it serves (the daemon removes it
                     when the member stops)
    NAME.log         its lines from the daemon; the log of a process's first
                     member also takes the process's stdout and stderr

A member runs while its process lives and its control socket is there: a
crashed process shows all its members stopped.

This module imports only the standard library and pyyaml (the CLI imports it).
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from karmadactl import paths
from karmadactl.errors import KarmadaError, NotFound

if TYPE_CHECKING:
    import ssl

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
MEMBERS_PER_PROCESS = 100
READY_SECONDS_PER_MEMBER = 0.2  # more time to start for each member a process hosts
DAEMON_MODULE = "karmadactl.sandbox.daemon"

# Daemons started by this process: holding them avoids Popen's "still running" warning.
_CHILDREN: list[subprocess.Popen] = []


@dataclass
class MemberInfo:
    """What `karmadactl sandbox status` shows about one member."""

    name: str
    port: int
    url: str
    pid: int | None
    kubeconfig: Path
    log: Path
    running: bool
    failed: bool


# --- public API -------------------------------------------------------------


def up(count: int = 3, *, state_dir: Path | None = None, names: list[str] | None = None,
       nodes: int = 3, tls: bool = False, timeout: float = READY_TIMEOUT,
       per_process: int = MEMBERS_PER_PROCESS) -> list[MemberInfo]:
    """Start member1..memberN (or `names`) and wait until each answers /readyz.

    Members already running are left as they are; the others are started
    `per_process` to a process (1: a process each). A member keeps the port it
    had before; new members get free ports chosen before any is started.
    `nodes` is the number of Nodes each new member reports; with `tls` new
    members serve https with a self-signed certificate (in their kubeconfig).
    `timeout` is for one process; a process of many members gets more.
    """
    state = _state_dir(state_dir)
    wanted = names or [f"member{i}" for i in range(1, count + 1)]
    for name in wanted:
        _check_name(name)
    records = {name: _read_record(state, name) for name in wanted}
    to_start = [n for n in wanted if not _running(records[n], state)]
    new_ports = iter(_free_ports(sum(1 for n in to_start if not records[n].get("port"))))
    for name in to_start:
        records[name]["port"] = records[name].get("port") or next(new_ports)
    started: dict[str, subprocess.Popen] = {}
    size = max(1, per_process)
    for first in range(0, len(to_start), size):
        group = to_start[first:first + size]
        proc = _spawn(state, [(name, records[name]["port"]) for name in group], nodes, tls)
        _CHILDREN.append(proc)
        for name in group:
            started[name] = proc
            records[name] = {"name": name, "port": records[name]["port"], "pid": proc.pid}
            _write_record(state, records[name])
    _wait_ready(state, started, timeout + READY_SECONDS_PER_MEMBER * min(size, len(to_start)))
    return [_info(state, records[name]) for name in wanted]


def down(state_dir: Path | None = None, names: list[str] | None = None) -> list[str]:
    """Stop the running members (all, or `names`); return the names stopped.

    A process whose every member goes is stopped as a whole (SIGTERM, then
    SIGKILL); a member that shares its process with members that stay is
    stopped through its control socket, and the others keep serving.
    """
    state = _state_dir(state_dir)
    targets = names or _known(state)
    records = {name: _record(state, name) for name in targets}
    stopping = [name for name, record in records.items() if _running(record, state)]
    hosted = _members_by_process(state)
    whole = {records[name]["pid"] for name in stopping
             if set(hosted.get(records[name]["pid"], ())) <= set(stopping)}
    alone = [name for name in stopping if records[name]["pid"] not in whole]
    for pid in whole:
        _signal(pid, signal.SIGTERM)
    stuck = _shutdown_members(state, alone)
    for pid in whole:
        _wait_exit(pid)
    for name in stopping:
        if records[name]["pid"] in whole:
            socket_file(state, name).unlink(missing_ok=True)
    for name, record in records.items():
        if record.get("pid") is not None and name not in stuck:
            _write_record(state, {**record, "pid": None})
    if stuck:
        raise KarmadaError(f"sandbox member {stuck[0]} did not stop within {STOP_TIMEOUT:g}s; "
                           f"see {log_file(state, stuck[0])}")
    return stopping


def fail(name: str, state_dir: Path | None = None) -> MemberInfo:
    """Make a member stop listening (connections are refused); its objects are kept."""
    state = _state_dir(state_dir)
    _control(state, name, "POST", "/fail")
    return _info(state, _record(state, name), ask=True)


def recover(name: str, state_dir: Path | None = None) -> MemberInfo:
    """Make a failed member listen again on the same port, with the same objects."""
    state = _state_dir(state_dir)
    _control(state, name, "POST", "/recover")
    return _info(state, _record(state, name), ask=True)


def inject(name: str, *, latency: float | None = None, error_status: int | None = None,
           error_count: int | None = None, state_dir: Path | None = None) -> dict:
    """Slow down (latency seconds) or fail (error_status for error_count requests) a member.

    Each call replaces the member's faults; with no arguments it clears them.
    """
    body = {k: v for k, v in (("latency", latency), ("error_status", error_status),
                              ("error_count", error_count)) if v is not None}
    return _control(_state_dir(state_dir), name, "POST", "/inject", body)


def set_unhealthy(name: str, kind: str, namespace: str, name_: str, unhealthy: bool = True,
                  state_dir: Path | None = None) -> dict:
    """Make a workload in a member report pods that never become ready (or undo it)."""
    body = {"kind": kind, "namespace": namespace, "name": name_, "unhealthy": unhealthy}
    return _control(_state_dir(state_dir), name, "POST", "/unhealthy", body)


def set_load(name: str, kind: str, namespace: str, workload: str, *, cpu: str | None = None,
             memory: str | None = None, reset: bool = False,
             state_dir: Path | None = None, total_cpu: str | None = None) -> dict:
    """Set the simulated per-pod load of a workload in a member ({"kind", "resource", "pods"}).

    NotFound when the member has no such workload."""
    body = {"kind": kind, "namespace": namespace, "name": workload, "cpu": cpu, "memory": memory,
            "reset": reset}
    if total_cpu is not None:
        body["totalCpu"] = total_cpu
    try:
        return _control(_state_dir(state_dir), name, "POST", "/load", body)
    except _Missing as exc:
        raise NotFound(str(exc)) from None


def set_metrics(name: str, enabled: bool, state_dir: Path | None = None) -> dict:
    """Serve metrics.k8s.io in a member, or not (the group then answers 404)."""
    return _control(_state_dir(state_dir), name, "POST", "/metrics", {"enabled": enabled})


def requests(name: str, state_dir: Path | None = None) -> dict[str, int]:
    """The requests a running member has served since it started, by HTTP method."""
    answer = _control(_state_dir(state_dir), name, "GET", "/status")
    return {method: int(n) for method, n in (answer.get("requests") or {}).items()}


def status(state_dir: Path | None = None) -> list[MemberInfo]:
    """Every member known in the state directory, running or not."""
    state = _state_dir(state_dir)
    return [_info(state, _read_record(state, name), ask=True) for name in _known(state)]


# --- files ------------------------------------------------------------------


def record_file(state: Path, name: str) -> Path:
    return state / f"{name}.json"


def kubeconfig_file(state: Path, name: str) -> Path:
    return state / f"{name}.kubeconfig"


def socket_file(state: Path, name: str) -> Path:
    return state / f"{name}.sock"


def log_file(state: Path, name: str) -> Path:
    return state / f"{name}.log"


def _state_dir(state_dir: Path | None) -> Path:
    return paths.private_dir(Path(state_dir) if state_dir else paths.sandbox_dir())


def _check_name(name: str) -> None:
    ok = name and len(name) <= 63 and name.replace("-", "").isalnum() and name == name.lower()
    if not ok or name.startswith("-") or name.endswith("-"):
        raise KarmadaError(f"invalid sandbox member name {name!r}: use lowercase letters, "
                           "digits and '-'")


def _known(state: Path) -> list[str]:
    return sorted(p.stem for p in state.glob("*.json"))


def _read_record(state: Path, name: str) -> dict:
    path = record_file(state, name)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return {"name": name, "port": None, "pid": None}
    except (OSError, ValueError) as exc:
        raise KarmadaError(f"cannot read {path}: {exc}") from None
    return {"name": name, "port": record.get("port"), "pid": record.get("pid")}


def _record(state: Path, name: str) -> dict:
    """The record of a member that must exist."""
    if not record_file(state, name).exists():
        known = ", ".join(_known(state)) or "none; run `karmadactl sandbox up`"
        raise NotFound(f"no sandbox member {name!r} (known: {known})")
    return _read_record(state, name)


def _write_record(state: Path, record: dict) -> None:
    paths.write_private(record_file(state, record["name"]), json.dumps(record) + "\n")


def _server_url(state: Path, name: str) -> str | None:
    """The server address in the member's kubeconfig (None until the daemon wrote it)."""
    import yaml

    try:
        config = yaml.load(kubeconfig_file(state, name).read_text(),
                           Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return config["clusters"][0]["cluster"]["server"]
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError):
        return None


def _info(state: Path, record: dict, ask: bool = False) -> MemberInfo:
    name = record["name"]
    running = _running(record, state)
    failed = False
    if running and ask:
        try:
            failed = bool(_control(state, name, "GET", "/status", timeout=2.0).get("failed"))
        except KarmadaError:
            failed = False
    port = record.get("port") or 0
    return MemberInfo(name=name, port=port,
                      url=_server_url(state, name) or f"https://127.0.0.1:{port}",
                      pid=record.get("pid") if running else None,
                      kubeconfig=kubeconfig_file(state, name), log=log_file(state, name),
                      running=running, failed=failed)


# --- processes --------------------------------------------------------------


def _free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (held open until all are chosen)."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def _spawn(state: Path, members: list[tuple[str, int]], nodes: int,
           tls: bool) -> subprocess.Popen:
    """One daemon process serving `members` ((name, port) pairs); its output goes to the
    first member's log."""
    env = dict(os.environ)
    source_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH")) if p)
    logs = [os.open(log_file(state, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            for name, _ in members]
    for name, _ in members:
        socket_file(state, name).unlink(missing_ok=True)   # left by a process that crashed
    args = [arg for name, port in members for arg in ("--member", f"{name}={port}")]
    try:
        return subprocess.Popen(
            [sys.executable, "-m", DAEMON_MODULE, *args,
             "--state-dir", str(state), "--nodes", str(nodes)] + (["--tls"] if tls else []),
            stdin=subprocess.DEVNULL, stdout=logs[0], stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True, env=env, cwd=str(state))
    finally:
        for fd in logs:
            os.close(fd)


def _wait_ready(state: Path, started: dict[str, subprocess.Popen], timeout: float) -> None:
    """Wait until every started member has its control socket and answers /readyz."""
    deadline = time.monotonic() + timeout
    pending = dict(started)
    while pending:
        for name, proc in list(pending.items()):
            if proc.poll() is not None:
                raise _start_error(state, [n for n, p in started.items() if p is proc], proc)
            if not socket_file(state, name).exists():
                continue
            url = _server_url(state, name)
            if url and _answers_readyz(url):
                del pending[name]
        if not pending:
            return
        if time.monotonic() > deadline:
            name = sorted(pending)[0]
            raise KarmadaError(f"sandbox member {name} did not become ready within "
                               f"{timeout:g}s; see {log_file(state, name)}")
        time.sleep(0.05)


def _start_error(state: Path, group: list[str], proc: subprocess.Popen) -> KarmadaError:
    """The error for a process that exited while starting: the member that could not start
    (its log says so), else the process's first member and the process's log."""
    for member in group:
        line = _last_line(log_file(state, member))
        if line.startswith(f"sandbox member {member} cannot start"):
            return KarmadaError(f"{line}; see {log_file(state, member)}")
    name = group[0]
    last = _last_line(log_file(state, name))
    return KarmadaError(f"sandbox member {name} exited with code {proc.returncode}"
                        f"{': ' + last if last else ''}; see {log_file(state, name)}")


def _last_line(path: Path) -> str:
    """The last non-empty line of a log (the error of a daemon that died), shortened."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:200] if lines else ""


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    """For a sandbox member on 127.0.0.1 with a self-signed certificate: no verification
    (and no system CA store to load, which costs tens of ms per context)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _answers_readyz(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/readyz", timeout=1.0,
                                    context=_unverified_context()) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return False


def _alive(pid: int | None) -> bool:
    """Whether `pid` is a live (not zombie) sandbox daemon process."""
    if not pid:
        return False
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False  # gone, or the pid now belongs to another user's process
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no procfs: trust the signal check
    try:
        zombie = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        ours = DAEMON_MODULE.encode() in (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        zombie, ours = True, False
    if zombie:
        _reap(pid)
    return ours and not zombie


def _reap(pid: int) -> bool:
    """Collect `pid` if it is an exited child of this process; True if it was."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return bool(done)


def _running(record: dict, state: Path) -> bool:
    """Whether the member's process lives and still serves it (its control socket is there)."""
    return _alive(record.get("pid")) and socket_file(state, record["name"]).exists()


def _members_by_process(state: Path) -> dict[int, list[str]]:
    """pid -> the running members that process serves, from every record."""
    hosted: dict[int, list[str]] = {}
    for name in _known(state):
        record = _read_record(state, name)
        if _running(record, state):
            hosted.setdefault(record["pid"], []).append(name)
    return hosted


def _shutdown_members(state: Path, names: list[str]) -> list[str]:
    """Stop members one by one through their control sockets; return those that did not stop."""
    for name in names:
        try:
            _control(state, name, "POST", "/shutdown", timeout=2.0)
        except KarmadaError:
            pass
    deadline = time.monotonic() + STOP_TIMEOUT
    waiting = list(names)
    while waiting and time.monotonic() < deadline:
        waiting = [name for name in waiting if socket_file(state, name).exists()]
        if waiting:
            time.sleep(0.05)
    return waiting


def _wait_exit(pid: int) -> None:
    """Wait for a stopping process to exit; SIGKILL it when it takes too long."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        _signal(pid, signal.SIGKILL)
        while _alive(pid) and time.monotonic() < deadline + STOP_TIMEOUT:
            time.sleep(0.05)


def _signal(pid: int | None, sig: int) -> None:
    if pid:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


# --- control socket ---------------------------------------------------------


class _Missing(KarmadaError):
    """The daemon has no such object (404 from its control API)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _control(state: Path, name: str, method: str, path: str, body: dict | None = None,
             timeout: float = 10.0) -> dict:
    """Call a running daemon's control API; one clear error when it cannot."""
    record = _record(state, name)
    if not _running(record, state):
        raise KarmadaError(f"sandbox member {name} is not running; start it with "
                           "`karmadactl sandbox up`")
    conn = _UnixConnection(socket_file(state, name), timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        raise KarmadaError(f"sandbox member {name} does not answer on its control socket "
                           f"({exc.__class__.__name__}); see {log_file(state, name)}") from None
    finally:
        conn.close()
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {"error": text[:200]}
    if resp.status == 404 and path == "/load":
        raise _Missing(f"sandbox member {name}: {answer.get('error') or resp.reason}")
    if resp.status >= 400:
        raise KarmadaError(f"sandbox member {name}: {answer.get('error') or resp.reason}")
    return answer
