"""One long-running sandbox member: `python -m karmadactl.sandbox.daemon --name member1 ...`.

Runs a Member (a local fake kube-apiserver) in the foreground and a small
control API on the unix socket DIR/NAME.sock, which `karmadactl sandbox`
(karmadactl.sandbox.manager) uses to fail, recover, inject faults and stop it:

    GET  /status                 {"name", "port", "url", "pid", "failed"}
    POST /fail                   stop listening, keep the data
    POST /recover                listen again on the same port
    POST /inject                 {"latency", "error_status", "error_count"}
    POST /unhealthy              {"kind", "namespace", "name", "unhealthy"}
    POST /load                   {"kind", "namespace", "name", "cpu", "memory", "totalCpu", "reset"}
    POST /metrics                {"enabled"}: serve metrics.k8s.io or not
    POST /shutdown               stop the daemon (as SIGTERM does)

The member's token lives in DIR/NAME.token (0600) so a restarted daemon keeps
it; its kubeconfig is written to DIR/NAME.kubeconfig (0600).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path

from karmadactl.paths import private_dir, write_private

# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux).
MAX_SOCKET_PATH = 107


def socket_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.sock"


def token_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.token"


def kubeconfig_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.kubeconfig"


def load_or_create_token(path: Path) -> str:
    """The member's bearer token: kept in `path` (0600) across restarts."""
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_hex(24)
    write_private(path, token + "\n")
    return token


class Daemon:
    """A Member plus the control API that drives it, in one asyncio loop."""

    def __init__(self, member, state_dir: Path):
        self.member = member
        self.state_dir = state_dir
        self.failed = False
        self.stopping = asyncio.Event()

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
                "pid": os.getpid(), "failed": self.failed}

    # --- lifetime ---------------------------------------------------------

    async def run(self) -> int:
        from aiohttp import web

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)

        serving = asyncio.create_task(self.member.serve())
        if not await _listening(self.member, serving):
            if serving.done() and serving.exception():
                raise serving.exception()
            print(f"member did not start listening on port {self.member.port}", file=sys.stderr)
            serving.cancel()
            return 1
        name = self.member.name
        self.member.write_kubeconfig(kubeconfig_path(self.state_dir, name))

        sock = socket_path(self.state_dir, name)
        sock.unlink(missing_ok=True)
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        await web.UnixSite(runner, str(sock)).start()
        os.chmod(sock, 0o600)
        print(f"sandbox member {name} serving {self.member.url}", flush=True)

        stop = asyncio.create_task(self.stopping.wait())
        try:
            await asyncio.wait({serving, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await runner.cleanup()
            sock.unlink(missing_ok=True)
            serving.cancel()
            stop.cancel()
            try:
                await serving
            except asyncio.CancelledError:
                pass
        if serving.done() and not serving.cancelled() and serving.exception():
            raise serving.exception()
        print(f"sandbox member {name} stopped", flush=True)
        return 0


async def _listening(member, serving: asyncio.Task, timeout: float = 10.0) -> bool:
    """Wait until the member accepts TCP connections on 127.0.0.1 (or its serve() ended)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and not serving.done():
        if not member.port:  # still binding an ephemeral port
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m karmadactl.sandbox.daemon",
                                     description="Run one sandbox member cluster.")
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
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
    sock = socket_path(state_dir, args.name)
    if len(str(sock).encode()) > MAX_SOCKET_PATH:
        print(f"control socket path too long for a unix socket: {sock}", file=sys.stderr)
        return 2
    from karmadactl.sandbox.member import Member

    member = Member(args.name, port=args.port,
                    token=load_or_create_token(token_path(state_dir, args.name)),
                    nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory,
                    node_pods=args.node_pods, kubernetes_version=args.kubernetes_version,
                    tls=args.tls)
    return asyncio.run(Daemon(member, state_dir).run())


if __name__ == "__main__":
    sys.exit(main())
