"""A small kube-apiserver look-alike for sandbox member clusters (aiohttp).

`ApiServer` holds one member's objects (`writes.Cluster`), answers discovery,
checks the bearer token, applies injected faults, and plays the part of the
workload controllers by writing a simulated `.status` shortly after each
workload change. Resource paths are parsed here and served by handlers.py.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from karmadactl.sandbox import handlers, metrics, patch, simulate
from karmadactl.sandbox.handlers import Target, respond
from karmadactl.sandbox.objects import StatusError, bad_request, status_body
from karmadactl.sandbox.resources import CRD_GROUP_RESOURCE, NODES, ResourceType
from karmadactl.sandbox.tokens import TOKEN_PATH, ServiceAccountTokens
from karmadactl.sandbox.writes import Cluster, now, view

log = logging.getLogger(__name__)
PUBLIC_PATHS = frozenset({"/version", "/healthz", "/readyz", "/livez"})
HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/livez"})
FAULT_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                 409: "Conflict", 410: "Expired", 429: "TooManyRequests",
                 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
SIMULATION_MANAGER = "kube-controller-manager"


@dataclass
class Faults:
    """Injected misbehaviour: a delay for every request, errors for the next few."""

    latency: float = 0.0
    error_status: int | None = None
    error_count: int = 0

    def take_error(self) -> int | None:
        if self.error_status and self.error_count > 0:
            self.error_count -= 1
            return self.error_status
        return None


def fault_response(code: int) -> web.Response:
    reason = FAULT_REASONS.get(code, "InternalError")
    if code == 429:
        body = status_body(429, reason, "Too many requests, please try again later.",
                           {"retryAfterSeconds": 1})
        return web.json_response(body, status=429, headers={"Retry-After": "1"})
    message = {500: "Internal error occurred: injected fault",
               503: "the server is currently unable to handle the request"}.get(
                   code, f"injected fault ({code})")
    return web.json_response(status_body(code, reason, message, {}), status=code)


def version_info(kubernetes_version: str) -> dict:
    """The /version document (all nine fields kube returns)."""
    parts = kubernetes_version.lstrip("v").split(".")
    return {"major": parts[0], "minor": parts[1] if len(parts) > 1 else "0",
            "gitVersion": kubernetes_version,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean", "buildDate": "2024-08-13T07:28:49Z",
            "goVersion": "go1.22.5", "compiler": "gc", "platform": "linux/amd64"}


class ApiServer:
    """One member's API: objects, discovery, auth, faults and simulated controllers."""

    def __init__(self, name: str, token: str, *, kubernetes_version: str = "v1.31.0",
                 nodes: list[dict] | None = None, settle_delay: float = 0.05):
        self.name = name
        self.token = token
        self.kubernetes_version = kubernetes_version
        self.settle_delay = settle_delay
        self.faults = Faults()
        self.requests: dict[str, int] = {}            # requests served, by HTTP method
        self.unhealthy: set[tuple[str, str, str]] = set()     # (kind, namespace, name)
        self.address = "127.0.0.1:0"
        self.cluster = Cluster()
        self.cluster.seed(nodes or [])
        self.cluster.on_write.append(self._schedule_settle)
        from karmadactl.sandbox.pods import PodController
        self.pods = PodController(self.cluster, lambda *key: key in self.unhealthy, now)
        self.cluster.on_remove.append(lambda rt, removed: self.pods.collect(removed))
        from karmadactl.sandbox.quota import QuotaController
        self.quotas = QuotaController(self.cluster)
        self.cluster.on_write.append(self.quotas.written)
        self.cluster.on_remove.append(self.quotas.removed)
        from karmadactl.sandbox.endpoints import EndpointsController
        self.endpoints = EndpointsController(self.cluster, now, settle_delay)
        self.cluster.on_write.append(self.endpoints.written)
        self.cluster.on_remove.append(self.endpoints.removed)
        self.metrics_enabled = True                 # serve metrics.k8s.io (see metrics.py)
        self.loads: dict = {}                       # simulated load per workload (metrics.py)
        self.service_account_tokens = ServiceAccountTokens(
            lambda namespace, name: self.cluster.store.get(("", "serviceaccounts"), namespace, name))

    # application ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_middleware, self._auth_middleware,
                                           self._errors_middleware],
                              client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler):
        self.requests[request.method] = self.requests.get(request.method, 0) + 1
        if self.faults.latency > 0:
            await asyncio.sleep(self.faults.latency)
        code = self.faults.take_error()
        if code is not None:
            return fault_response(code)
        return await handler(request)

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler):
        path = request.path.rstrip("/") or "/"
        if path in PUBLIC_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not (
                hmac.compare_digest(presented.strip().encode(), self.token.encode())
                or self.service_account_tokens.accepts(presented.strip(), datetime.now(UTC))):
            return web.json_response(status_body(401, "Unauthorized", "Unauthorized"), status=401)
        return await handler(request)

    @web.middleware
    async def _errors_middleware(self, request: web.Request, handler):
        try:
            return await handler(request)
        except StatusError as exc:
            return web.json_response(exc.body(), status=exc.code, headers=exc.headers)
        except patch.PatchError as exc:
            return web.json_response(status_body(422, "Invalid", str(exc), {}), status=422)
        except (web.HTTPException, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug here must still answer like kube
            log.exception("sandbox apiserver: %s %s failed", request.method, request.path)
            return web.json_response(status_body(500, "InternalError",
                                                 f"Internal error occurred: {type(exc).__name__}",
                                                 {}), status=500)

    # routing -------------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if path in HEALTH_PATHS:
            return web.Response(text="ok", content_type="text/plain")
        if path == "/version":
            return respond(version_info(self.kubernetes_version))
        if path == metrics.PREFIX or path.startswith(metrics.PREFIX + "/"):
            return await metrics.serve(self, request, path)
        if request.method == "GET":
            discovery = self.discovery(path)
            if discovery is not None:
                return respond(discovery)
        token_request = TOKEN_PATH.match(path)
        if token_request is not None and request.method == "POST":
            body = await handlers.read_body(request)
            if not isinstance(body, dict):
                raise bad_request("the request body must be a TokenRequest")
            namespace, name = token_request.groups()
            answer = self.service_account_tokens.request(namespace, name, body, datetime.now(UTC))
            return respond(answer, status=201)
        target = self.resolve(path)
        if target is None:
            raise StatusError(404, "NotFound", "the server could not find the requested resource",
                              {})
        return await handlers.handle(self.cluster, request, target)

    def discovery(self, path: str) -> dict | None:
        registry = self.cluster.registry
        parts = path.strip("/").split("/")
        if parts == ["api"]:
            return registry.api_versions(self.address)
        if parts[:2] == ["openapi", "v3"]:
            rest = "/".join(parts[2:])
            if not rest:
                return registry.openapi_root()
            from karmadactl.sandbox import openapi  # the schemas load on the first request

            return openapi.group_version_document(registry, rest,
                                                  self.cluster.store.list(CRD_GROUP_RESOURCE))
        if parts == ["apis"]:
            groups = registry.api_group_list()
            if self.metrics_enabled:
                groups["groups"].append(metrics.api_group())
            return groups
        if len(parts) == 2 and parts[0] == "api":
            return registry.api_resource_list("", parts[1])
        if len(parts) == 2 and parts[0] == "apis":
            return registry.api_group(parts[1])
        if len(parts) == 3 and parts[0] == "apis":
            return registry.api_resource_list(parts[1], parts[2])
        return None

    def resolve(self, path: str) -> Target | None:
        """Parse /api/v1/... or /apis/G/V/... into a Target (None: no such resource)."""
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 3:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        lookup = self.cluster.registry.lookup
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = lookup(group, version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        rt = lookup(group, version, rest[0])
        if rt is None or len(rest) > 3 or (namespace and not rt.namespaced):
            return None
        name = rest[1] if len(rest) >= 2 else None
        sub = rest[2] if len(rest) == 3 else ""
        if (sub == "status" and not rt.status) or (sub == "scale" and not rt.scale) or \
                sub not in ("", "status", "scale", *handlers.connect_subresources(rt)):
            return None
        return Target(rt, namespace, name, sub)

    # simulated controllers -----------------------------------------------------------------

    def _schedule_settle(self, rt: ResourceType, obj: dict, sub: str) -> None:
        if rt.crd or rt.kind not in simulate.WORKLOAD_KINDS or sub == "status":
            return
        meta = obj["metadata"]
        key = (rt, meta.get("namespace", ""), meta["name"], meta["resourceVersion"])
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(self.settle_delay, self._settle, *key)

    def _settle(self, rt: ResourceType, namespace: str, name: str, rv: str) -> None:
        """Write the simulated status, unless the object changed or went away meanwhile."""
        obj = self.cluster.store.get(rt.group_resource, namespace, name)
        if obj is None or obj["metadata"]["resourceVersion"] != rv:
            return
        status = simulate.workload_status(
            obj, unhealthy=self.pods.unhealthy(view(rt, obj)),
            node_count=len(self.cluster.store.peek(NODES)), now=now(),
            kubernetes_version=self.kubernetes_version)
        if status is not None and status != obj.get("status"):
            obj = self.cluster.update(rt, obj, dict(obj, status=status),
                                      manager=SIMULATION_MANAGER, sub="status")
        self.pods.reconcile(view(rt, obj))            # pods (and ReplicaSets) follow

    def set_unhealthy(self, kind: str, namespace: str, name: str, unhealthy: bool = True) -> None:
        """Mark a workload's pods (not) ready and re-run its simulation now."""
        key = (kind, namespace, name)
        if unhealthy:
            self.unhealthy.add(key)
        else:
            self.unhealthy.discard(key)
        rt = self.cluster.registry.by_kind(kind)
        if rt is None:
            return
        obj = self.cluster.store.get(rt.group_resource, namespace if rt.namespaced else "", name)
        if obj is not None:
            self._settle(rt, namespace if rt.namespaced else "", name,
                         obj["metadata"]["resourceVersion"])

