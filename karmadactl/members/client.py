"""One client per member cluster, over the official kubernetes Python client.

The kubernetes package handles authentication (tokens, client certificates,
exec credential plugins); this module only sends raw requests through its
ApiClient and decodes JSON itself, so any kind works without typed models.
`kubernetes` is imported lazily: it costs a noticeable fraction of a second.

Errors: no answer -> karmadactl.errors.Unreachable; an HTTP error ->
MemberAPIError (or a subclass). Messages never carry a token, password or key.
"""

from __future__ import annotations

import builtins
import json
import logging
import re
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from karmadactl.apis.wellknown import FIELD_MANAGER
from karmadactl.errors import InvalidInput, KarmadaError, Unreachable
from karmadactl.members.pacing import DEFAULT_BURST, DEFAULT_QPS, TokenBucket

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.members.kubeconfig import Kubeconfig

MESSAGE_LIMIT = 300
ATTEMPTS = 3
BACKOFF = 0.25          # seconds; doubled after each failed attempt
MAX_RETRY_AFTER = 10.0  # never sleep longer than this on a Retry-After
PAGE_SIZE = 500
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"


# -- errors ----------------------------------------------------------------------------------

class MemberAPIError(KarmadaError):
    """The member answered a request with an HTTP error."""

    def __init__(self, cluster: str, status: int, reason: str, message: str, what: str = ""):
        self.cluster, self.status, self.reason, self.detail = cluster, status, reason, message
        head = f"cluster {cluster}: {what + ': ' if what else ''}{status} {reason}"
        super().__init__(f"{head}: {message}" if message else head)


class CredentialsRejected(MemberAPIError):
    """401 or 403: the member does not accept the credentials (or forbids the action)."""

    def __init__(self, cluster: str, status: int, reason: str, message: str, what: str = ""):
        super().__init__(cluster, status, reason, message, what)
        where = f"{what}: " if what else ""
        self.message = (f"cluster {cluster}: {where}credentials rejected ({status} {reason})"
                        + (f": {message}" if message else ""))
        self.args = (self.message,)


class ObjectNotFound(MemberAPIError):
    """404."""


class ObjectConflict(MemberAPIError):
    """409: a conflict (with another field manager on apply, or a stale resourceVersion)."""


class ObjectInvalid(MemberAPIError):
    """400 or 422: the member rejected the object."""


class ServerError(MemberAPIError):
    """5xx or 429 after the retries ran out."""


def _error_class(status: int) -> type[MemberAPIError]:
    if status in (401, 403):
        return CredentialsRejected
    if status == 404:
        return ObjectNotFound
    if status == 409:
        return ObjectConflict
    if status in (400, 422):
        return ObjectInvalid
    if status == 429 or status >= 500:
        return ServerError
    return MemberAPIError


def status_message(body: bytes, limit: int = MESSAGE_LIMIT) -> tuple[str, str]:
    """(reason, message) from a kube Status body, or the first line of a plain body."""
    text = body.decode("utf-8", "replace") if body else ""
    reason, message = "", ""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        reason = str(doc.get("reason") or "")
        message = str(doc.get("message") or "")
    else:
        message = text.strip().splitlines()[0] if text.strip() else ""
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return reason, message


# -- paths -----------------------------------------------------------------------------------

def resource_path(api_version: str, plural: str, name: str | None = None,
                  namespace: str | None = None) -> str:
    """/api/v1/namespaces/ns/pods/name or /apis/apps/v1/deployments, quoted."""
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if "/" not in api_version and api_version != "v1":
        raise InvalidInput(f"apiVersion {api_version!r}: expected v1 or group/version")
    path = base
    if namespace:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{quote(plural, safe='')}"
    if name is not None:
        path += f"/{quote(name, safe='')}"
    return path


# -- the client ------------------------------------------------------------------------------

class _Response:
    def __init__(self, status: int, reason: str, headers: Any, data: bytes):
        self.status, self.reason, self.headers, self.data = status, reason, headers, data

    def json(self) -> Any:
        return json.loads(self.data.decode("utf-8")) if self.data else None


class MemberClient:
    """Raw JSON access to one member cluster's API server."""

    def __init__(self, kubeconfig: Kubeconfig, timeout: float = 10.0, name: str | None = None,
                 qps: float = DEFAULT_QPS, burst: int = DEFAULT_BURST):
        self.kubeconfig = kubeconfig
        self.name = name or kubeconfig.context
        self.server = kubeconfig.server
        self.timeout = timeout
        self.requests: Counter[str] = Counter()   # HTTP method -> requests sent
        self._bucket = TokenBucket(qps, burst)
        self._api: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemberClient(name={self.name!r}, server={self.server!r})"

    # -- public API --------------------------------------------------------------------------

    def version(self) -> dict:
        """GET /version (gitVersion, major, minor, platform ...)."""
        return self.get_json("/version")

    def health(self) -> tuple[str, str]:
        """("Ready" | "NotReady" | "Unreachable", message), as Karmada probes health.

        GET /readyz, falling back to /healthz when /readyz answers 404. One attempt:
        thresholds over time belong to the caller.
        """
        try:
            response = self._send("GET", "/readyz")
            path = "/readyz"
            if response.status == 404:
                response, path = self._send("GET", "/healthz"), "/healthz"
        except Unreachable as e:
            return "Unreachable", getattr(e, "detail", e.message)
        if response.status == 200:
            return "Ready", f"{path} answered ok"
        _, message = status_message(response.data)
        failed = [line.strip() for line in response.data.decode("utf-8", "replace").splitlines()
                  if line.startswith("[-]")]
        if failed:   # a /readyz text report: name the failing checks
            message = ", ".join(failed)[:MESSAGE_LIMIT]
        extra = " (credentials rejected)" if response.status in (401, 403) else ""
        text = f"{path} answered status {response.status}{extra}"
        return "NotReady", self._redact(f"{text}: {message}" if message else text)

    def api_enablements(self) -> list[dict]:
        """[{groupVersion, resources: [{name, kind}]}], Karmada's Cluster.status shape."""
        return self.discover()[0]

    def discover(self) -> tuple[list[dict], list[str]]:
        """(api enablements, group versions that could not be read).

        Reads /api, /api/v1, /apis and /apis/G/V for every served version of every
        group; subresources are skipped; sorted by groupVersion then resource name.
        """
        group_versions = [f"{v}" for v in (self.get_json("/api").get("versions") or [])]
        for group in self.get_json("/apis").get("groups") or []:
            for version in group.get("versions") or []:
                gv = version.get("groupVersion")
                if gv and gv not in group_versions:
                    group_versions.append(gv)
        failed: list[str] = []
        enablements = []

        def fetch(gv: str) -> tuple[str, dict | None]:
            path = f"/api/{gv}" if "/" not in gv else f"/apis/{gv}"
            try:
                return gv, self.get_json(path)
            except (Unreachable, MemberAPIError):
                return gv, None

        from karmadactl.members.fanout import fan_out

        for gv, doc in fan_out(group_versions, fetch, at_once=8):
            if doc is None:
                failed.append(gv)
                continue
            resources = sorted(
                ({"name": r["name"], "kind": r.get("kind", "")}
                 for r in doc.get("resources") or [] if "/" not in r.get("name", "/")),
                key=lambda r: r["name"])
            enablements.append({"groupVersion": doc.get("groupVersion") or gv,
                                "resources": resources})
        enablements.sort(key=lambda e: e["groupVersion"])
        return enablements, sorted(failed)

    def get_json(self, path: str, query: dict | None = None, *, what: str = "") -> dict:
        """GET any API path (discovery, metrics, OpenAPI ...) as JSON ({} for an empty body);
        retried and raised on errors as every call."""
        return self._request("GET", path, query, what=what or f"GET {path}").json() or {}

    def list(self, api_version: str, plural: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict]:
        """All objects (every page), each with apiVersion and kind filled in."""
        path = resource_path(api_version, plural, namespace=namespace)
        items: list[dict] = []
        token = ""
        while True:
            query: dict[str, str] = {"limit": str(PAGE_SIZE)}
            if label_selector:
                query["labelSelector"] = label_selector
            if token:
                query["continue"] = token
            doc = self._request("GET", path, query, what=f"list {plural}").json() or {}
            kind = str(doc.get("kind") or "")
            item_kind = kind[:-4] if kind.endswith("List") else ""
            for item in doc.get("items") or []:
                item.setdefault("apiVersion", api_version)
                if item_kind:
                    item.setdefault("kind", item_kind)
                items.append(item)
            token = (doc.get("metadata") or {}).get("continue") or ""
            if not token:
                return items

    def get(self, api_version: str, plural: str, name: str, namespace: str | None = None
            ) -> dict | None:
        """The object, or None when it does not exist."""
        try:
            return self._request("GET", resource_path(api_version, plural, name, namespace),
                                 what=f"get {plural} {_ref(name, namespace)}").json()
        except ObjectNotFound:
            return None

    def apply(self, obj: dict, plural: str, *, field_manager: str = FIELD_MANAGER,
              force: bool = False) -> dict:
        """Server-side apply of `obj` (JSON is YAML); returns the object as stored."""
        meta = obj.get("metadata") or {}
        name, namespace = meta.get("name"), meta.get("namespace")
        if not obj.get("apiVersion") or not obj.get("kind") or not name:
            raise InvalidInput("apply: the object needs apiVersion, kind and metadata.name")
        body = dict(obj)
        if "managedFields" in meta:
            body["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        path = resource_path(obj["apiVersion"], plural, name, namespace)
        return self._request("PATCH", path, query, body=json.dumps(body),
                             content_type=APPLY_CONTENT_TYPE,
                             what=f"apply {plural} {_ref(name, namespace)}").json() or {}

    def merge_patch(self, api_version: str, plural: str, name: str, namespace: str | None,
                    patch: dict) -> dict:
        """A JSON merge patch (RFC 7386): null removes a key."""
        return self._request("PATCH", resource_path(api_version, plural, name, namespace),
                             body=patch, content_type="application/merge-patch+json",
                             what=f"patch {plural} {_ref(name, namespace)}").json() or {}

    def request_token(self, namespace: str, service_account: str, expiration_seconds: int) -> dict:
        """A token for a ServiceAccount (the TokenRequest API); the TokenRequest's status
        (token, expirationTimestamp)."""
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"expirationSeconds": expiration_seconds}}
        path = resource_path("v1", "serviceaccounts", service_account, namespace) + "/token"
        doc = self._request("POST", path, body=body, content_type="application/json",
                            what=f"request a token for serviceaccounts {_ref(service_account, namespace)}"
                            ).json() or {}
        return doc.get("status") or {}

    def delete(self, api_version: str, plural: str, name: str, namespace: str | None = None
               ) -> bool:
        """Delete (background propagation); False when it was already gone."""
        try:
            self._request("DELETE", resource_path(api_version, plural, name, namespace),
                          body={"kind": "DeleteOptions", "apiVersion": "v1",
                                "propagationPolicy": "Background"},
                          what=f"delete {plural} {_ref(name, namespace)}")
        except ObjectNotFound:
            return False
        return True

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    def __enter__(self) -> MemberClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, query: dict | None = None, *, body: Any = None,
                 content_type: str | None = None, what: str = "") -> _Response:
        """Send, retrying 429, 5xx and no answer (all our calls are idempotent); raise on errors."""
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            last = attempt == ATTEMPTS
            try:
                response = self._send(method, path, query, body, content_type)
            except Unreachable:
                if last:
                    raise
                time.sleep(delay)
                delay *= 2
                continue
            if 200 <= response.status < 300:
                return response
            if (response.status == 429 or response.status >= 500) and not last:
                time.sleep(self._retry_after(response) if response.status == 429 else delay)
                delay *= 2
                continue
            raise self._api_error(response, what or f"{method} {path}")
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _retry_after(response: _Response) -> float:
        try:
            value = float(response.headers.get("Retry-After", BACKOFF))
        except (TypeError, ValueError):
            value = BACKOFF
        return max(0.0, min(value, MAX_RETRY_AFTER))

    def _api_error(self, response: _Response, what: str) -> MemberAPIError:
        reason, message = status_message(response.data)
        reason = reason or response.reason or ""
        cls = _error_class(response.status)
        return cls(self.name, response.status, reason, self._redact(message), what)

    def _client(self) -> Any:
        with self._lock:
            return self._build()

    def _build(self) -> Any:
        if self._api is None:
            from kubernetes.client import Configuration
            from kubernetes.config.config_exception import ConfigException
            from kubernetes.config.kube_config import new_client_from_config_dict

            configuration = type.__call__(Configuration)  # a fresh one, not the global default
            configuration.retries = False                 # we retry ourselves
            problems = _Capture()
            root = logging.getLogger()
            root.addHandler(problems)   # kubernetes logs (not raises) exec plugin failures
            try:
                api = new_client_from_config_dict(
                    self.kubeconfig.minimal(), context=self.kubeconfig.context,
                    persist_config=False, client_configuration=configuration)
            except ConfigException as e:
                raise InvalidInput(f"kubeconfig {self.kubeconfig.source}: "
                                   f"{self._redact(str(e))}") from None
            finally:
                root.removeHandler(problems)
            if problems.messages and "exec" in (self.kubeconfig.user or {}):
                raise InvalidInput(f"kubeconfig {self.kubeconfig.source}: user "
                                   f"{self.kubeconfig.user_name or '?'}: "
                                   f"{self._redact(_first_line(problems.messages[0]))}")
            if not {"exec", "auth-provider"} & set(self.kubeconfig.user or {}):
                # only those credentials expire: for the others the loader's hook sets the same token,
                # host and proxy again before every request (a tenth of a push's client CPU)
                configuration.refresh_api_key_hook = None
            self._api = api
        return self._api

    def _send(self, method: str, path: str, query: dict | None = None, body: Any = None,
              content_type: str | None = None) -> _Response:
        """One HTTP exchange; raises Unreachable when there is no answer."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        api = self._client()
        self._bucket.take()
        self.requests[method] += 1
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        try:
            if hasattr(api, "param_serialize"):   # kubernetes >= 35 (new generator)
                m, url, hdrs, payload, _ = api.param_serialize(
                    method, path, query_params=list((query or {}).items()) or None,
                    header_params=headers, body=body, auth_settings=["BearerToken"])
                raw = api.call_api(m, url, hdrs, payload, _request_timeout=self.timeout)
                data = raw.read()
                return _Response(raw.status, raw.reason or "", raw.headers, data or b"")
            raw = api.call_api(                    # older generator: legacy signature
                path, method, query_params=list((query or {}).items()), header_params=headers,
                body=body, auth_settings=["BearerToken"], _preload_content=False,
                _request_timeout=self.timeout, _return_http_data_only=True)
            return _Response(raw.status, raw.reason or "", raw.headers, raw.data or b"")
        except ApiException as e:
            if e.status:   # legacy client raises on non-2xx; keep status and body only
                data = getattr(getattr(e, "http_resp", None), "data", None) or b""
                if isinstance(data, str):
                    data = data.encode()
                return _Response(e.status, e.reason or "", e.headers or {}, data)
            raise self._unreachable(_tls_reason(str(e.reason or ""))) from None
        except urllib3.exceptions.HTTPError as e:
            raise self._unreachable(_describe_network_error(e, self.timeout)) from None
        except OSError as e:
            raise self._unreachable(e.strerror or type(e).__name__) from None

    def _unreachable(self, reason: str) -> Unreachable:
        detail = f"cannot connect to {self.server}: {self._redact(reason)}"
        error = Unreachable(f"cluster {self.name}: {detail}")
        error.detail = detail  # type: ignore[attr-defined]
        return error

    def _secrets(self) -> builtins.list[str]:
        user = self.kubeconfig.user or {}
        found = [str(user.get(k)) for k in ("token", "password") if user.get(k)]
        if self._api is not None:
            for value in (self._api.configuration.api_key or {}).values():
                if value:
                    found.append(str(value).removeprefix("Bearer "))
        return [s for s in found if len(s) >= 6]

    def _redact(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "<redacted>")
        return text


class _Capture(logging.Handler):
    """Collects the error records the kubernetes config loader logs while it builds a client."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _ref(name: str, namespace: str | None) -> str:
    return f"{namespace}/{name}" if namespace else name


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and line.strip() != "SSLError"]
    return (lines[0] if lines else text).strip()[:MESSAGE_LIMIT]


def _tls_reason(text: str) -> str:
    """ "TLS error: certificate verify failed: self-signed certificate" from ssl's wording."""
    line = _first_line(text)
    line = re.sub(r"\[SSL(: [A-Z_]+)?\] ?", "", line)
    line = re.sub(r" \(_ssl\.c:\d+\)", "", line)
    return f"TLS error: {line or 'handshake failed'}"


def _describe_network_error(error: BaseException, timeout: float) -> str:
    """A short cause ("Connection refused", "timed out after 10s") from urllib3's exception."""
    import socket

    import urllib3

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        nxt = getattr(current, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = current.__cause__ or current.__context__
        current = nxt
    for e in chain:
        if isinstance(e, socket.gaierror):
            return f"cannot resolve host ({e.strerror or 'name lookup failed'})"
    for e in chain:   # refused, reset, no route ... (urllib3's NewConnectionError wraps these)
        if isinstance(e, OSError) and not isinstance(e, TimeoutError) and e.strerror:
            return e.strerror
    for e in chain:
        if isinstance(e, urllib3.exceptions.SSLError):
            return _tls_reason(str(e))
    for e in chain:
        if isinstance(e, (urllib3.exceptions.TimeoutError, TimeoutError)):
            return f"timed out after {timeout:g}s"
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return "connection closed by the server"
    return type(error).__name__
