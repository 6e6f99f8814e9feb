"""Long-running sandbox members: `python -m karmadactl.sandbox.daemon --member member1=PORT ...`.

One process serves every member named by a --member NAME=PORT, all in one
asyncio loop: each member its own port, TLS certificate, token, kubeconfig and
objects, and its own control API on the unix socket DIR/NAME.sock, which
`karmadactl sandbox` (karmadactl.sandbox.manager) uses to fail, recover,
inject faults and stop it:

    GET  /status                 {"name", "port", "url", "pid", "failed", "requests"}:
                                 requests served so far, by HTTP method
    POST /fail                   stop listening, keep the data
    POST /recover                listen again on the same port
    POST /inject                 {"latency", "error_status", "error_count"}
    POST /unhealthy              {"kind", "namespace", "name", "unhealthy"}
    POST /load                   {"kind", "namespace", "name", "cpu", "memory", "totalCpu", "reset"}
    POST /metrics                {"enabled"}: serve metrics.k8s.io or not
    POST /shutdown               stop this member (its socket goes first); the
                                 process exits when its last member stops

SIGTERM stops every member. A member's token lives in DIR/NAME.token (0600) so
a restarted member keeps it; its kubeconfig is written to DIR/NAME.kubeconfig
(0600) and its lines (serving, stopped, cannot start) to DIR/NAME.log. If one
member cannot start, the others are stopped and the process exits with 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
import traceback
from pathlib import Path

from karmadactl.paths import private_dir, write_private

# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux).
MAX_SOCKET_PATH = 107
# Members that start together: each has its own wait for its port, which a hundred members
# building their objects at once on a busy machine could use up.
STARTING_AT_ONCE = 8


def socket_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.sock"


def token_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.token"


def kubeconfig_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.kubeconfig"


def log_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.log"


def load_or_create_token(path: Path) -> str:
    """The member's bearer token: kept in `path` (0600) across restarts."""
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_hex(24)
    write_private(path, token + "\n")
    return token


class Hosted:
    """One member served by the daemon, with the control API that drives it."""

    def __init__(self, member, state_dir: Path):
        self.member = member
        self.state_dir = state_dir
        self.failed = False
        self.crashed = False
        self.stopping = asyncio.Event()
        self.serving: asyncio.Task | None = None
        self.control = None                             # the control socket's AppRunner

    @property
    def name(self) -> str:
        return self.member.name

    def say(self, line: str) -> None:
        """Append a line to the member's own log."""
        fd = os.open(log_path(self.state_dir, self.name), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     0o600)
        with os.fdopen(fd, "a") as log:
            log.write(line.rstrip("\n") + "\n")

    # --- control API ------------------------------------------------------

    def app(self):
        from aiohttp import web

        routes = web.RouteTableDef()

        @routes.get("/status")
        async def get_status(request):
            return web.json_response(self.status())

        @routes.post("/fail")
        async def post_fail(request):
            if not self.failed:
                await self.member.afail()
                self.failed = True
            return web.json_response(self.status())

        @routes.post("/recover")
        async def post_recover(request):
            if self.failed:
                await self.member.arecover()
                self.failed = False
            return web.json_response(self.status())

        @routes.post("/inject")
        async def post_inject(request):
            body = await _json_body(request)
            allowed = {"latency", "error_status", "error_count"}
            unknown = set(body) - allowed
            if unknown:
                return _bad_request(f"unknown fields: {', '.join(sorted(unknown))}")
            self.member.inject(**body)
            return web.json_response(self.status())

        @routes.post("/unhealthy")
        async def post_unhealthy(request):
            body = await _json_body(request)
            if missing := _missing(body, "kind", "name"):
                return missing
            self.member.set_unhealthy(body["kind"], body.get("namespace") or "", body["name"],
                                      unhealthy=bool(body.get("unhealthy", True)))
            return web.json_response(self.status())

        @routes.post("/load")
        async def post_load(request):
            body = await _json_body(request)
            if missing := _missing(body, "kind", "name"):
                return missing
            try:
                done = self.member.set_load(body["kind"], body.get("namespace") or "default",
                                            body["name"], cpu=body.get("cpu"),
                                            memory=body.get("memory"),
                                            reset=bool(body.get("reset")),
                                            total_cpu=body.get("totalCpu"))
            except LookupError as exc:
                return web.json_response({"error": str(exc.args[0])}, status=404)
            return web.json_response(done)

        @routes.post("/metrics")
        async def post_metrics(request):
            body = await _json_body(request)
            self.member.set_metrics(bool(body.get("enabled", True)))
            return web.json_response(self.status())

        @routes.post("/shutdown")
        async def post_shutdown(request):
            self.stopping.set()
            return web.json_response({"stopping": True})

        @web.middleware
        async def json_errors(request, handler):
            try:
                return await handler(request)
            except web.HTTPException:
                raise
            except (ValueError, TypeError) as exc:  # a bad body or a bad field value
                return _bad_request(str(exc))

        app = web.Application(middlewares=[json_errors])
        app.add_routes(routes)
        return app

    def status(self) -> dict:
        return {"name": self.member.name, "port": self.member.port, "url": self.member.url,
                "pid": os.getpid(), "failed": self.failed, "requests": dict(self.member.api.requests)}

    # --- lifetime ---------------------------------------------------------

    async def start(self) -> None:
        """Listen, write the kubeconfig, then open the control socket (the manager's sign
        that the member is up). Raises OSError when the member cannot listen."""
        from aiohttp import web

        self.serving = asyncio.create_task(self.member.serve())
        if not await _listening(self.member, self.serving):
            if self.serving.done() and self.serving.exception():
                raise self.serving.exception()
            raise OSError(f"did not start listening on port {self.member.port}")
        self.member.write_kubeconfig(kubeconfig_path(self.state_dir, self.name))
        sock = socket_path(self.state_dir, self.name)
        sock.unlink(missing_ok=True)
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False,
                               shutdown_timeout=1.0)
        await runner.setup()
        self.control = runner
        await web.UnixSite(runner, str(sock)).start()
        os.chmod(sock, 0o600)
        self.say(f"sandbox member {self.name} serving {self.member.url}")

    async def run(self) -> None:
        """Serve until /shutdown or the process stops (or the member's server fails)."""
        stop = asyncio.create_task(self.stopping.wait())
        try:
            await asyncio.wait({self.serving, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            await self.stop()

    async def stop(self) -> None:
        """Stop serving, remove the control socket (stopped, for the manager), close the rest."""
        started = self.control is not None
        serving = self.serving
        if serving is not None:
            serving.cancel()
            try:
                await serving
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # noqa: BLE001 - the member's server failed: its log says why
                if started:
                    self.crashed = True
                    self.say("".join(traceback.format_exception(exc)))
        if not started:
            return
        socket_path(self.state_dir, self.name).unlink(missing_ok=True)
        self.say(f"sandbox member {self.name} stopped")
        await self.control.cleanup()
        self.control = None


class Daemon:
    """Every member of one process, in one asyncio loop."""

    def __init__(self, members: list, state_dir: Path):
        self.hosted = [Hosted(member, state_dir) for member in members]

    def stop_all(self) -> None:
        for hosted in self.hosted:
            hosted.stopping.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop_all)
        starting = asyncio.Semaphore(STARTING_AT_ONCE)

        async def start(hosted: Hosted) -> None:
            async with starting:
                await hosted.start()

        results = await asyncio.gather(*(start(h) for h in self.hosted), return_exceptions=True)
        failures = [(h, r) for h, r in zip(self.hosted, results, strict=True)
                    if isinstance(r, BaseException)]
        if failures:
            await asyncio.gather(*(h.stop() for h in self.hosted))
            for hosted, exc in failures:
                hosted.say(f"sandbox member {hosted.name} cannot start: {exc}")
            return 1
        await asyncio.gather(*(h.run() for h in self.hosted))
        return 1 if any(h.crashed for h in self.hosted) else 0


async def _listening(member, serving: asyncio.Task, timeout: float = 10.0) -> bool:
    """Wait until the member accepts TCP connections on 127.0.0.1 (or its serve() ended)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and not serving.done():
        if not member.listening:  # still binding
            await asyncio.sleep(0.02)
            continue
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", member.port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return True
    return False


async def _json_body(request) -> dict:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _missing(body: dict, *keys: str):
    """A 400 naming the keys `body` lacks (or has empty), or None when it has them all."""
    missing = [k for k in keys if not body.get(k)]
    return _bad_request(f"missing fields: {', '.join(missing)}") if missing else None


def _bad_request(message: str):
    from aiohttp import web

    return web.json_response({"error": message}, status=400)


def member_arg(text: str) -> tuple[str, int]:
    """NAME=PORT, as --member takes it."""
    name, sep, port = text.partition("=")
    if not name or not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT, got {text!r}")
    return name, int(port)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m karmadactl.sandbox.daemon",
                                     description="Run sandbox member clusters in one process.")
    parser.add_argument("--member", type=member_arg, action="append", required=True,
                        metavar="NAME=PORT", help="a member to serve (repeat for more)")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--node-cpu", default="8")
    parser.add_argument("--node-memory", default="32Gi")
    parser.add_argument("--node-pods", default="110")
    parser.add_argument("--kubernetes-version", default="v1.31.0")
    parser.add_argument("--tls", action="store_true",
                        help="serve https with a self-signed certificate")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state_dir = private_dir(args.state_dir.resolve())
    for name, _ in args.member:
        sock = socket_path(state_dir, name)
        if len(str(sock).encode()) > MAX_SOCKET_PATH:
            print(f"control socket path too long for a unix socket: {sock}", file=sys.stderr)
            return 2
    from karmadactl.sandbox.member import Member

    members = [Member(name, port=port, token=load_or_create_token(token_path(state_dir, name)),
                      nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory,
                      node_pods=args.node_pods, kubernetes_version=args.kubernetes_version,
                      tls=args.tls)
               for name, port in args.member]
    return asyncio.run(Daemon(members, state_dir).run())


if __name__ == "__main__":
    sys.exit(main())
