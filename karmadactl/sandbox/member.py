"""A sandbox member cluster: an `ApiServer` listening on 127.0.0.1, with fault controls.

Run it in its own thread and loop (`start`/`stop`, for tests and scripts) or
inside the caller's loop (`await serve()`, for the daemon). `fail` stops
listening and drops open connections while keeping the data; `recover` listens
again on the same port. Both work from any thread, including the loop's own.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from karmadactl.paths import write_private


class Member:
    """One fake member cluster (see module docstring)."""

    def __init__(self, name: str, *, port: int = 0, token: str | None = None, nodes: int = 3,
                 node_cpu: str = "8", node_memory: str = "32Gi", node_pods: str = "110",
                 kubernetes_version: str = "v1.31.0", settle_delay: float = 0.05,
                 tls: bool = False, metrics: bool = True):
        self.name = name
        self.tls = tls
        self._metrics = metrics                         # serve metrics.k8s.io
        self._cert_pem = b""                            # self-signed certificate when tls
        self._ssl = None
        self.port = port
        self.token = token or secrets.token_hex(24)
        self.kubernetes_version = kubernetes_version
        self._node_args = (nodes, node_cpu, node_memory, node_pods)
        self._settle_delay = settle_delay
        self._api = None                                # ApiServer, built on first start
        self._runner = None                             # aiohttp AppRunner
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def listening(self) -> bool:
        """Whether the port is bound and accepting (False while failed)."""
        return self._server is not None

    @property
    def api(self):
        """The ApiServer (objects, faults); build it lazily so importing stays cheap."""
        if self._api is None:
            from karmadactl.sandbox.apiserver import ApiServer
            from karmadactl.sandbox.simulate import make_nodes

            count, cpu, memory, pods = self._node_args
            nodes = make_nodes(self.name, count, cpu, memory, pods,
                               kubernetes_version=self.kubernetes_version)
            self._api = ApiServer(self.name, self.token, kubernetes_version=self.kubernetes_version,
                                  nodes=nodes, settle_delay=self._settle_delay)
            self._api.metrics_enabled = self._metrics
        return self._api

    # kubeconfig ----------------------------------------------------------------------------

    def kubeconfig(self) -> dict:
        """A kubeconfig for this member. With tls it carries the server's certificate as
        certificate-authority-data (kubectl sends tokens only over TLS)."""
        cluster: dict = {"server": self.url}
        if self.tls:
            cluster["certificate-authority-data"] = base64.b64encode(self._tls_context()[1]).decode()
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": self.name, "cluster": cluster}],
            "users": [{"name": self.name, "user": {"token": self.token}}],
            "contexts": [{"name": self.name, "context": {"cluster": self.name, "user": self.name}}],
            "current-context": self.name,
        }

    def write_kubeconfig(self, path: str | Path) -> None:
        write_private(Path(path), yaml.safe_dump(self.kubeconfig(), sort_keys=False))

    # serving in the caller's loop ----------------------------------------------------------

    async def serve(self) -> None:
        """Serve until cancelled (or until stop())."""
        self._stopped = asyncio.Event()
        await self._open()
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            await self._close()

    async def _open(self) -> None:
        from aiohttp import web

        self._loop = asyncio.get_running_loop()
        self._runner = web.AppRunner(self.api.app(), access_log=None, handle_signals=False,
                                     handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._listen(self._bind())

    def _bind(self) -> socket.socket:
        """Bind and listen synchronously, so the port is taken when this returns."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self.api.address = f"127.0.0.1:{self.port}"
        return sock

    async def _listen(self, sock: socket.socket) -> None:
        ssl_context = self._tls_context()[0] if self.tls else None
        self._server = await self._loop.create_server(self._runner.server, sock=sock,
                                                      ssl=ssl_context)

    def _tls_context(self) -> tuple[ssl.SSLContext, bytes]:
        """The server's SSL context and certificate (PEM), made once per member."""
        if self._ssl is None:
            cert_pem, key_pem = self_signed_certificate(self.name)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            with tempfile.TemporaryDirectory() as tmp:
                cert_file, key_file = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
                cert_file.write_bytes(cert_pem)
                key_file.touch(mode=0o600)
                key_file.write_bytes(key_pem)
                context.load_cert_chain(cert_file, key_file)
            self._ssl, self._cert_pem = context, cert_pem
        return self._ssl, self._cert_pem

    def _drop(self) -> None:
        """Stop listening and cut every open connection (sync, on the loop)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._runner is not None and self._runner.server is not None:
            for conn in list(self._runner.server.connections):
                if conn.transport is not None:
                    conn.transport.abort()
                conn.force_close()

    async def _close(self) -> None:
        self._drop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # serving in a thread of its own --------------------------------------------------------

    def start(self) -> None:
        """Serve from a background thread; returns once the port is listening."""
        if self._thread is not None:
            raise RuntimeError(f"member {self.name} is already started")
        errors: list[BaseException] = []
        self._ready.clear()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.serve())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                errors.append(exc)
            finally:
                self._ready.set()
                loop.close()

        self._thread = threading.Thread(target=run, name=f"sandbox-{self.name}", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if errors:
            self._thread.join(5)
            self._thread = None
            raise errors[0]

    def stop(self) -> None:
        """Stop serving (from any thread); the data is dropped with the member."""
        loop = self._loop
        if loop is None or self._stopped is None:
            return
        if loop.is_closed():
            return
        loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None and threading.current_thread() is not self._thread:
            self._thread.join(30)
            self._thread = None

    # faults --------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run fn on the member's loop and return its result (from any thread)."""
        if self._loop is None or self._in_loop():
            return fn()
        return asyncio.run_coroutine_threadsafe(_as_coroutine(fn), self._loop).result(30)

    def fail(self) -> None:
        """Stop listening and drop open connections (clients get connection refused)."""
        self._call(self._drop)

    def recover(self) -> asyncio.Task | None:
        """Listen again on the same port, with the same data. From another thread this
        returns once serving; from the member's own loop the port is bound on return and
        the returned task finishes opening."""
        loop = self._loop
        if loop is None or self._in_loop():
            return self._reopen()
        asyncio.run_coroutine_threadsafe(self.arecover(), loop).result(30)
        return None

    def _reopen(self) -> asyncio.Task | None:
        if self._server is not None or self._runner is None:
            return None
        return asyncio.get_running_loop().create_task(self._listen(self._bind()))

    async def afail(self) -> None:
        self._drop()

    async def arecover(self) -> None:
        task = self._reopen()
        if task is not None:
            await task

    def _in_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def inject(self, *, latency: float = 0.0, error_status: int | None = None,
               error_count: int = 0) -> None:
        """Delay every request by `latency` s; answer the next error_count with error_status."""
        from karmadactl.sandbox.apiserver import Faults

        faults = Faults(float(latency), error_status, int(error_count) if error_status else 0)
        self._call(lambda: setattr(self.api, "faults", faults))

    def set_unhealthy(self, kind: str, namespace: str, name: str, unhealthy: bool = True) -> None:
        """Simulate a workload whose pods never become ready (or make it healthy again)."""
        self._call(lambda: self.api.set_unhealthy(kind, namespace, name, unhealthy))

    def set_metrics(self, enabled: bool) -> None:
        """Serve metrics.k8s.io or not (when not: 404 for the group, absent from /apis)."""
        self._metrics = enabled
        self._call(lambda: setattr(self.api, "metrics_enabled", enabled))

    def set_load(self, kind: str, namespace: str, name: str, *, cpu: str | None = None,
                 memory: str | None = None, reset: bool = False, total_cpu: str | None = None) -> dict:
        """Each pod of a workload uses `cpu`/`memory` (quantities) in metrics.k8s.io, or its share of
        `total_cpu`; `reset` returns it to idle. LookupError when the member has no such workload."""
        from karmadactl.sandbox import metrics

        load = None if reset else metrics.parse_load(cpu, memory, total_cpu)
        return self._call(lambda: metrics.set_load(self.api, kind, namespace, name, load))


def self_signed_certificate(name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate (and its key) for 127.0.0.1 and localhost, both PEM."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sandbox-{name}")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


async def _as_coroutine(fn: Callable[[], Any]) -> Any:
    return fn()

