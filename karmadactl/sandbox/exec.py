"""The exec subresource of sandbox pods, over the websocket channel protocols of kube.

There is no container: a small fixed set of commands (echo, env, hostname, cat,
date, sleep, exit N, true, false, stty size, sh -c "..." and an interactive sh)
is run by the sandbox itself, enough to prove the protocol with stdin included.

Framing, as kube-apiserver (v5) and the kubelet (v4, v1 and base64) frame it:
every message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error,
4 resize); in the base64 protocols the channel is an ASCII digit and the data
is base64. The error channel carries a metav1.Status (v4, v5) or only a failure
message (v1). v5 adds the close signal: [255, channel] half-closes a channel.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shlex
import time
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from karmadactl.sandbox.objects import bad_request

V5, V4, V4_BASE64 = "v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io"
V1, V1_BASE64 = "channel.k8s.io", "base64.channel.k8s.io"
PROTOCOLS = (V5, V4, V4_BASE64, V1, V1_BASE64)
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
NOT_EXECUTABLE = 126
NOT_FOUND = 127


# options and the pod ------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    command: tuple[str, ...]
    container: str
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


def options_of(request: web.Request, pod: dict, *, attach: bool = False) -> Options:
    """The request's PodExecOptions, checked as kube-apiserver and the kubelet check them."""
    tty = _flag(request, "tty")
    stdin, stdout, stderr = (_flag(request, k) for k in ("stdin", "stdout", "stderr"))
    stderr = stderr and not tty        # the kubelet drops stderr under a tty: the terminal merges it
    if not (stdin or stdout or stderr):
        raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
    command = tuple(request.query.getall("command", []))
    if not command and not attach:
        raise bad_request("you must specify at least 1 command")
    return Options(command, container_of(pod, request.query.get("container", "")),
                   stdin, stdout, stderr, tty)


def container_of(pod: dict, wanted: str, *, ephemeral: bool = True, host: bool = True) -> str:
    """The container the request names, or the only one (kube's pod strategy streamLocation).

    `ephemeral` also accepts ephemeralContainers by name; `host` requires spec.nodeName."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or []]
    inits = [c.get("name", "") for c in spec.get("initContainers") or []]
    if not wanted:
        if len(names) == 1:
            wanted = names[0]
        elif not names:
            raise bad_request(f"a container name must be specified for pod {name}")
        else:
            message = (f"a container name must be specified for pod {name}, choose one of: "
                       f"[{' '.join(names)}]")
            if inits:
                message += f" or one of the init containers: [{' '.join(inits)}]"
            raise bad_request(message)
    elif wanted not in names + inits + ([c.get("name") for c in
                                         spec.get("ephemeralContainers") or []] if ephemeral else []):
        raise bad_request(f"container {wanted} is not valid for pod {name}")
    if host and not spec.get("nodeName"):
        raise bad_request(f"pod {name} does not have a host assigned")
    return wanted


# the session: one websocket, its channels ---------------------------------------------------

@dataclass
class Session:
    ws: web.WebSocketResponse
    protocol: str
    options: Options
    pod: dict
    stdin: asyncio.Queue = field(default_factory=asyncio.Queue)   # bytes, b"" at the end
    size: tuple[int, int] = (24, 80)                               # rows, columns
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    out_to_err: bool = False                                       # sh's >&2

    @property
    def base64(self) -> bool:
        return "base64" in self.protocol

    async def send(self, channel: int, data: bytes) -> None:
        if self.ws.closed:
            return
        try:
            if self.base64:
                await self.ws.send_str(chr(ord("0") + channel) + base64.b64encode(data).decode())
            else:
                await self.ws.send_bytes(bytes([channel]) + data)
        except (ConnectionError, RuntimeError):
            self.gone.set()

    async def out(self, text: str) -> None:
        if self.out_to_err:
            await self.send(STDERR, text.encode()) if self.options.stderr else None
            return
        if self.options.stdout:
            data = text.encode()
            await self.send(STDOUT, data.replace(b"\n", b"\r\n") if self.options.tty else data)

    async def err(self, text: str) -> None:
        if self.options.stderr:
            await self.send(STDERR, text.encode())
        elif self.options.tty:
            await self.out(text)              # a terminal shows both on one stream

    async def receive(self) -> None:
        """Read frames until the client goes: stdin, resize and v5 close signals."""
        resize = b""
        decoder = json.JSONDecoder()
        try:
            async for message in self.ws:
                if message.type == WSMsgType.BINARY:
                    data = message.data
                elif message.type == WSMsgType.TEXT and self.base64 and message.data:
                    data = bytes([ord(message.data[0]) - ord("0")]) + base64.b64decode(
                        message.data[1:])
                elif message.type == WSMsgType.TEXT:
                    data = message.data.encode("utf-8", "surrogateescape")
                else:
                    continue
                if not data:
                    continue
                channel, payload = data[0], data[1:]
                if channel == CLOSE and self.protocol == V5:
                    if payload[:1] == bytes([STDIN]):
                        self.stdin.put_nowait(b"")
                elif channel == STDIN and self.options.stdin and payload:
                    self.stdin.put_nowait(payload)
                elif channel == RESIZE:
                    resize += payload
                    resize = self._resize(decoder, resize)
        finally:
            self.stdin.put_nowait(b"")
            self.gone.set()

    def _resize(self, decoder: json.JSONDecoder, buffered: bytes) -> bytes:
        text = buffered.decode("utf-8", "replace").lstrip()
        while text:
            try:
                size, end = decoder.raw_decode(text)
            except ValueError:
                return text.encode()
            if isinstance(size, dict):
                self.size = (int(size.get("Height") or 0), int(size.get("Width") or 0))
            text = text[end:].lstrip()
        return b""

    async def status(self, code: int, message: str = "") -> None:
        """The final word on the error channel, in the negotiated protocol's format."""
        command = " ".join(self.options.command)
        if code == 0:
            status = {"metadata": {}, "status": "Success"}
        elif code < 0:
            status = {"metadata": {}, "status": "Failure", "message": message,
                      "reason": "InternalError", "details": {"causes": [{"message": message}]},
                      "code": 500}
        else:
            message = (f"command terminated with non-zero exit code: command '{command}' "
                       f"exited with {code}")
            status = {"metadata": {}, "status": "Failure", "message": message,
                      "reason": "NonZeroExitCode",
                      "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        if self.protocol in (V5, V4, V4_BASE64):
            await self.send(ERROR, json.dumps(status).encode())
        elif code != 0:
            await self.send(ERROR, status["message"].encode())


# the commands -------------------------------------------------------------------------------

class LineReader:
    """Lines from stdin; under a tty, the terminal's echo and line editing, as a pty does."""

    def __init__(self, session: Session):
        self.session = session
        self.buffer = b""
        self.eof = False

    async def readline(self) -> str | None:
        tty = self.session.options.tty
        line = b""
        while True:
            if self.buffer:
                byte, self.buffer = self.buffer[:1], self.buffer[1:]
                if tty and byte in (b"\r", b"\n"):
                    await self.session.send(STDOUT, b"\r\n")
                    return line.decode("utf-8", "replace")
                if not tty and byte == b"\n":
                    return line.decode("utf-8", "replace")
                if tty and byte == b"\x04" and not line:
                    return None
                if tty and byte in (b"\x7f", b"\x08"):
                    if line:
                        line = line[:-1]
                        await self.session.send(STDOUT, b"\b \b")
                    continue
                if tty and byte == b"\x03":
                    await self.session.send(STDOUT, b"^C\r\n")
                    line = b""
                    return ""
                line += byte
                if tty:
                    await self.session.send(STDOUT, byte)
                continue
            if self.eof:
                return line.decode("utf-8", "replace") if line else None
            chunk = await self.session.stdin.get()
            if not chunk:
                self.eof = True
            self.buffer += chunk


def _date() -> str:
    return time.strftime("%a %b %e %H:%M:%S UTC %Y", time.gmtime())


def _environment(session: Session) -> list[str]:
    pod, name = session.pod, session.options.container
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOSTNAME": pod["metadata"]["name"]}
    if session.options.tty:
        env["TERM"] = "xterm"
    for container in (pod.get("spec") or {}).get("containers") or []:
        if container.get("name") == name:
            for var in container.get("env") or []:
                if "value" in var:
                    env[var["name"]] = str(var["value"])
    env.update({"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
                "HOME": "/root"})
    return [f"{k}={v}" for k, v in env.items()]


async def run(session: Session, argv: list[str], *, shell: bool = False,
              reader: LineReader | None = None) -> int:
    """Run one command; its exit code. `shell`: as sh runs it (unknown -> 127)."""
    if not argv:
        return 0
    name, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    if name == "echo":
        newline = not (args[:1] == ["-n"])
        await session.out(" ".join(args[0 if newline else 1:]) + ("\n" if newline else ""))
        return 0
    if name in ("true", ":"):
        return 0
    if name == "false":
        return 1
    if name == "hostname":
        await session.out(session.pod["metadata"]["name"] + "\n")
        return 0
    if name in ("env", "printenv"):
        await session.out("".join(line + "\n" for line in _environment(session)))
        return 0
    if name == "date":
        await session.out(_date() + "\n")
        return 0
    if name == "stty" and args == ["size"]:
        rows, columns = session.size
        await session.out(f"{rows} {columns}\n")
        return 0
    if name == "exit":
        try:
            return int(args[0]) % 256 if args else 0
        except ValueError:
            await session.err(f"sh: exit: Illegal number: {args[0]}\n")
            return 2
    if name == "sleep":
        try:
            seconds = float(args[0].rstrip("s")) if args else -1.0
            if seconds < 0:
                raise ValueError
        except ValueError:
            await session.err(f"sleep: invalid time interval '{args[0] if args else ''}'\n")
            return 1
        await asyncio.sleep(seconds)
        return 0
    if name == "cat":
        if args and args != ["-"]:
            await session.err(f"cat: {args[0]}: No such file or directory\n")
            return 1
        return await _cat(session, reader)
    if name in ("sh", "bash", "ash"):
        return await _shell(session, name, args)
    if shell:
        await session.err(f"sh: 1: {argv[0]}: not found\n")
        return NOT_FOUND
    await session.err(f'OCI runtime exec failed: exec failed: unable to start container process: '
                      f'exec: "{argv[0]}": executable file not found in $PATH: unknown\n')
    return NOT_EXECUTABLE


async def _cat(session: Session, reader: LineReader | None) -> int:
    if reader is not None or session.options.tty:
        reader = reader or LineReader(session)
        while (line := await reader.readline()) is not None:
            await session.out(line + "\n")
        return 0
    while chunk := await session.stdin.get():
        await session.send(STDOUT, chunk)
    return 0


async def _script(session: Session, script: str, reader: LineReader | None) -> int:
    """A line of sh: commands joined by ; && ||, each one of ours."""
    try:
        lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError as exc:
        await session.err(f"sh: 1: Syntax error: {exc}\n")
        return 2
    code, command, op = 0, [], ";"
    for word in words + [";"]:
        if word not in (";", "&&", "||"):
            command.append(word)
            continue
        if command and (op == ";" or (op == "&&") == (code == 0)):
            redirect = _redirect_to_stderr(command)
            if command[0] == "exit":
                return await run(session, command, shell=True)
            session.out_to_err = redirect
            try:
                code = await run(session, command, shell=True, reader=reader)
            finally:
                session.out_to_err = False
        command, op = [], word
    return code


def _redirect_to_stderr(command: list[str]) -> bool:
    """Drop a `>&2` (or `1>&2`) from the words; True when there was one."""
    for i in range(len(command) - 2):
        if command[i] in (">", "1>") and command[i + 1] == "&" and command[i + 2] == "2":
            del command[i:i + 3]
            return True
    return False


async def _shell(session: Session, name: str, args: list[str]) -> int:
    if args[:1] == ["-c"]:
        return await _script(session, args[1] if len(args) > 1 else "", None)
    reader, code = LineReader(session), 0
    while True:
        if session.options.tty:
            await session.out("# ")
        line = await reader.readline()
        if line is None:
            return code
        if line.strip().split()[:1] == ["exit"]:
            return await _script(session, line, reader)
        code = await _script(session, line, reader)


async def main_process(session: Session, cluster, t) -> int:
    """What attach joins: the container's own output (a line a second, as its log shows it),
    and, with stdin, what is typed echoed back. Ends when the pod goes away."""
    from karmadactl.sandbox import logs

    pod, container = session.pod, session.options.container

    async def echo() -> None:
        while chunk := await session.stdin.get():
            await session.send(STDOUT, chunk)

    typing = asyncio.ensure_future(echo()) if session.options.stdin else None
    try:
        after = time.time_ns()
        while True:
            line = logs.next_line(pod, container, after)
            await asyncio.sleep(max(0.0, (line.at - time.time_ns()) / 1e9))
            if cluster.store.get(t.rt.group_resource, t.namespace, t.name) is None:
                return 0
            await session.out(logs.render(line, False).decode())
            after = line.at
    finally:
        if typing is not None:
            typing.cancel()


# serving ------------------------------------------------------------------------------------

async def serve(cluster, request: web.Request, t) -> web.StreamResponse:
    """GET or POST .../pods/NAME/exec (or attach) with an Upgrade to a websocket."""
    pod = cluster.get(t.rt, t.namespace, t.name)
    options = options_of(request, pod, attach=t.sub == "attach")
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise bad_request("Upgrade request required")
    asked = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
             if p.strip()]
    if asked and not set(asked) & set(PROTOCOLS):
        raise bad_request(f"requested protocol(s) are not supported: {asked}; supports "
                          f"{list(PROTOCOLS)}")
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, max_msg_size=0)
    await ws.prepare(request)
    session = Session(ws, ws.ws_protocol or V1, options, pod)
    # an empty message on the lowest writable channel tells the client it is connected
    first = STDOUT if options.stdout else STDERR if options.stderr else ERROR
    await session.send(first, b"")
    receiver = asyncio.ensure_future(session.receive())
    if t.sub == "exec":
        command = asyncio.ensure_future(run(session, list(options.command)))
    else:
        command = asyncio.ensure_future(main_process(session, cluster, t))
    gone = asyncio.ensure_future(session.gone.wait())
    try:
        await asyncio.wait({command, gone}, return_when=asyncio.FIRST_COMPLETED)
        if command.done():
            try:
                code = command.result()
                await session.status(code)
            except Exception as exc:  # noqa: BLE001 - a bug in a command still ends the session
                await session.status(-1, f"error executing command in container: {exc}")
            # Stop reading first: close() then waits for the client's close reply, reading and
            # dropping what it still sends. Closing under a pending read drops the connection at
            # once, and input still unread makes the kernel reset it, losing the output in flight
            # (kube-apiserver waits for the client too: apiserver/pkg/util/proxy/websocket.go).
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
            await ws.close()
    finally:
        for task in (command, gone, receiver):
            task.cancel()
    return ws
