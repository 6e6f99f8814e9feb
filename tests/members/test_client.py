"""MemberClient against real local HTTP(S) servers: discovery, health, CRUD, errors, auth."""

from __future__ import annotations

import copy
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from karmadactl.errors import InvalidInput, Unreachable
from karmadactl.members.client import CredentialsRejected, MemberAPIError, ObjectConflict, ObjectInvalid, ServerError
from karmadactl.members.kubeconfig import Kubeconfig, load_kubeconfig
from karmadactl.members.status import collect_status

TOKEN = "member-token-0123456789abcdef"
NOW, LATER = "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"

CORE = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    {"name": "pods", "kind": "Pod", "namespaced": True},
    {"name": "pods/status", "kind": "Pod", "namespaced": True},
    {"name": "pods/log", "kind": "Pod", "namespaced": True},
    {"name": "nodes", "kind": "Node", "namespaced": False},
    {"name": "configmaps", "kind": "ConfigMap", "namespaced": True},
    {"name": "namespaces", "kind": "Namespace", "namespaced": False},
]}
GROUPS = {"kind": "APIGroupList", "groups": [
    {"name": "autoscaling", "versions": [{"groupVersion": "autoscaling/v2", "version": "v2"},
                                         {"groupVersion": "autoscaling/v1", "version": "v1"}],
     "preferredVersion": {"groupVersion": "autoscaling/v2", "version": "v2"}},
    {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
     "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
]}
RESOURCES = {
    "apps/v1": [{"name": "statefulsets", "kind": "StatefulSet"},
                {"name": "deployments", "kind": "Deployment"},
                {"name": "deployments/scale", "kind": "Scale"}],
    "autoscaling/v2": [{"name": "horizontalpodautoscalers", "kind": "HorizontalPodAutoscaler"}],
    "autoscaling/v1": [{"name": "horizontalpodautoscalers", "kind": "HorizontalPodAutoscaler"},
                       {"name": "horizontalpodautoscalers/status",
                        "kind": "HorizontalPodAutoscaler"}],
}


def status_body(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": reason, "code": code}


class FakeAPIServer:
    """A small kube-apiserver stand-in: discovery, health, and objects in memory."""

    def __init__(self, token: str | None = TOKEN, tls: ssl.SSLContext | None = None):
        self.token = token
        self.objects: dict[tuple, dict] = {}
        self.requests: list[dict] = []
        self.scripted: dict[str, list[tuple[int, dict, object]]] = {}
        self.readyz: int = 200
        self.broken: set[str] = set()     # group versions answering 503
        self.version = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def _handle(self):
                fake.handle(self)

            do_GET = do_PATCH = do_DELETE = do_POST = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, path: str, *answers: tuple[int, dict, object]):
        self.scripted.setdefault(path, []).extend(answers)

    def kubeconfig(self, token: str | None = TOKEN, name: str = "member1") -> dict:
        user = {"token": token} if token else {}
        return {"apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": self.url}}],
                "users": [{"name": name, "user": user}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name}

    # -- request handling ------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler):
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        self.requests.append({"method": h.command, "path": parts.path, "query": query,
                              "content_type": h.headers.get("Content-Type"), "body": raw,
                              "authorization": h.headers.get("Authorization")})
        if self.token and h.headers.get("Authorization") != f"Bearer {self.token}":
            return self.send(h, 401, status_body(401, "Unauthorized", "Unauthorized"))
        if self.scripted.get(parts.path):
            code, headers, body = self.scripted[parts.path].pop(0)
            return self.send(h, code, body, headers)
        code, body = self.route(h.command, parts.path, query, raw)
        self.send(h, code, body)

    def send(self, h, code: int, body, headers: dict | None = None):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        h.send_response(code)
        h.send_header("Content-Type", "application/json" if not isinstance(body, (bytes, str))
                      else "text/plain")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def route(self, method: str, path: str, query: dict, raw: bytes):
        if path == "/version":
            return 200, {"major": "1", "minor": "30", "gitVersion": "v1.30.2"}
        if path in ("/readyz", "/healthz"):
            if path == "/readyz" and self.readyz != 200:
                body = "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed"
                return self.readyz, body if self.readyz != 404 else "404 page not found"
            return 200, "ok"
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/api/v1":
            return 200, CORE
        if path == "/apis":
            return 200, GROUPS
        segments = path.strip("/").split("/")
        if segments[0] == "apis" and len(segments) == 3:
            gv = "/".join(segments[1:])
            if gv in self.broken:
                return 503, status_body(503, "ServiceUnavailable", "the server is unavailable")
            if gv in RESOURCES:
                return 200, {"kind": "APIResourceList", "groupVersion": gv,
                             "resources": RESOURCES[gv]}
        return self.objects_route(method, segments, query, raw)

    def objects_route(self, method, segments, query, raw):
        if segments[0] == "api":
            api_version, rest = "v1", segments[2:]
        else:
            api_version, rest = "/".join(segments[1:3]), segments[3:]
        namespace = None
        if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
        key = (api_version, plural, namespace, name)
        if name is None and method == "GET":
            items = [copy.deepcopy(o) for (av, pl, ns, _), o in sorted(self.objects.items(),
                                                                       key=lambda kv: str(kv[0]))
                     if av == api_version and pl == plural and (namespace is None or ns == namespace)]
            if "labelSelector" in query:
                k, _, v = query["labelSelector"].partition("=")
                items = [o for o in items if o["metadata"].get("labels", {}).get(k) == v]
            start = int(query.get("continue") or 0)
            limit = int(query.get("limit") or 10**9)
            page = items[start:start + limit]
            for o in page:   # lists carry no kind/apiVersion per item
                o.pop("kind", None)
                o.pop("apiVersion", None)
            more = start + limit < len(items)
            kinds = {r["name"]: r["kind"] for r in CORE["resources"] + RESOURCES.get(api_version, [])}
            return 200, {"kind": kinds[plural] + "List", "apiVersion": api_version,
                         "metadata": {"continue": str(start + limit) if more else ""},
                         "items": page}
        if method == "GET":
            obj = self.objects.get(key)
            return (200, obj) if obj else (404, status_body(404, "NotFound",
                                                            f'{plural} "{name}" not found'))
        if method == "PATCH":
            obj = json.loads(raw)
            if "managedFields" in obj.get("metadata", {}):
                return 400, status_body(400, "BadRequest", "metadata.managedFields must be nil")
            existing = self.objects.get(key)
            manager = query.get("fieldManager")
            if existing and existing["metadata"]["managedFields"][0]["manager"] != manager \
                    and query.get("force") != "true":
                return 409, status_body(409, "Conflict", "Apply failed with 1 conflict: "
                                        f'conflict with "{existing["metadata"]["managedFields"][0]["manager"]}"')
            self.version += 1
            obj["metadata"]["resourceVersion"] = str(self.version)
            obj["metadata"]["managedFields"] = [{"manager": manager, "operation": "Apply"}]
            self.objects[key] = obj
            return (200 if existing else 201), obj
        if method == "DELETE":
            if self.objects.pop(key, None) is None:
                return 404, status_body(404, "NotFound", f'{plural} "{name}" not found')
            return 200, {"kind": "Status", "status": "Success"}
        return 405, status_body(405, "MethodNotAllowed", "no")


@pytest.fixture
def server():
    srv = FakeAPIServer()
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    c = Kubeconfig.from_dict(server.kubeconfig()).client(timeout=5)
    yield c
    c.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_member(timeout: float = 2) -> tuple:
    port = free_port()
    kc = Kubeconfig.from_dict({
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": "member1", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "member1"})
    return kc.client(timeout=timeout), port


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


# -- discovery and health --------------------------------------------------------------------

def test_version_and_health(client, server):
    assert client.version()["gitVersion"] == "v1.30.2"
    assert client.health() == ("Ready", "/readyz answered ok")
    assert server.requests[-1]["authorization"] == f"Bearer {TOKEN}"
    assert client.name == "member1" and client.server == server.url


def test_health_falls_back_to_healthz_when_readyz_is_missing(client, server):
    server.readyz = 404
    assert client.health() == ("Ready", "/healthz answered ok")
    assert [r["path"] for r in server.requests] == ["/readyz", "/healthz"]


def test_health_not_ready_names_failed_checks(client, server):
    server.readyz = 500
    health, message = client.health()
    assert health == "NotReady"
    assert message == "/readyz answered status 500: [-]etcd failed: reason withheld"


def test_health_with_rejected_credentials_is_not_ready(server):
    c = Kubeconfig.from_dict(server.kubeconfig(token="wrong-token-123")).client(timeout=5)
    health, message = c.health()
    assert health == "NotReady"
    assert "status 401 (credentials rejected)" in message
    assert "wrong-token-123" not in message


def test_health_unreachable_when_nothing_listens():
    c, port = closed_member()
    assert c.health() == ("Unreachable",
                          f"cannot connect to http://127.0.0.1:{port}: Connection refused")


def test_health_unreachable_on_timeout():
    with socket.socket() as listener:   # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        port = listener.getsockname()[1]
        kc = Kubeconfig.from_dict({
            "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
            "users": [{"name": "u", "user": {}}],
            "contexts": [{"name": "slow", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "slow"})
        health, message = kc.client(timeout=0.3).health()
    assert health == "Unreachable"
    assert message == f"cannot connect to http://127.0.0.1:{port}: timed out after 0.3s"


def test_unreachable_error_after_retries():
    c, port = closed_member()
    with pytest.raises(Unreachable) as info:
        c.version()
    assert str(info.value) == (f"cluster member1: cannot connect to http://127.0.0.1:{port}: "
                               "Connection refused")
    assert TOKEN not in full_text(info.value)


def test_unknown_host_is_unreachable():
    kc = Kubeconfig.from_dict({
        "clusters": [{"name": "c", "cluster": {"server": "http://no-such-host.invalid:6443"}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "m", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "m"})
    health, message = kc.client(timeout=2).health()
    assert health == "Unreachable"
    assert message.startswith("cannot connect to http://no-such-host.invalid:6443: cannot resolve")


def test_api_enablements_shape_and_order(client):
    assert client.api_enablements() == [
        {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"},
                                                  {"name": "statefulsets", "kind": "StatefulSet"}]},
        {"groupVersion": "autoscaling/v1", "resources": [
            {"name": "horizontalpodautoscalers", "kind": "HorizontalPodAutoscaler"}]},
        {"groupVersion": "autoscaling/v2", "resources": [
            {"name": "horizontalpodautoscalers", "kind": "HorizontalPodAutoscaler"}]},
        {"groupVersion": "v1", "resources": [
            {"name": "configmaps", "kind": "ConfigMap"}, {"name": "namespaces", "kind": "Namespace"},
            {"name": "nodes", "kind": "Node"}, {"name": "pods", "kind": "Pod"}]},
    ]


def test_discover_reports_group_versions_it_could_not_read(client, server):
    server.broken.add("autoscaling/v1")
    enablements, failed = client.discover()
    assert failed == ["autoscaling/v1"]
    assert [e["groupVersion"] for e in enablements] == ["apps/v1", "autoscaling/v2", "v1"]


# -- objects ---------------------------------------------------------------------------------

def deployment(name: str, namespace: str = "default", **labels: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"replicas": 2}}


def test_apply_is_server_side_apply(client, server):
    result = client.apply(deployment("web"), "deployments")
    assert result["metadata"]["resourceVersion"] == "1"
    request = server.requests[-1]
    assert request["method"] == "PATCH"
    assert request["path"] == "/apis/apps/v1/namespaces/default/deployments/web"
    assert request["content_type"] == "application/apply-patch+yaml"
    assert request["query"] == {"fieldManager": "karmadactl", "force": "false"}
    assert json.loads(request["body"]) == deployment("web")


def test_apply_strips_managed_fields_and_forces_when_asked(client, server):
    obj = deployment("web")
    client.apply(obj, "deployments", field_manager="someone-else")
    stored = client.get("apps/v1", "deployments", "web", "default")
    assert stored["metadata"]["managedFields"] == [{"manager": "someone-else", "operation": "Apply"}]
    with pytest.raises(ObjectConflict) as info:
        client.apply(stored, "deployments")
    assert str(info.value).startswith("cluster member1: apply deployments default/web: 409 Conflict: "
                                      'Apply failed with 1 conflict: conflict with "someone-else"')
    client.apply(stored, "deployments", force=True)
    assert server.requests[-1]["query"]["force"] == "true"
    assert client.get("apps/v1", "deployments", "web", "default")["metadata"]["managedFields"][0][
        "manager"] == "karmadactl"
    assert "managedFields" in stored["metadata"]   # the caller's object is not changed


def test_get_list_and_delete(client):
    for i in range(7):
        client.apply(deployment(f"web-{i}", "prod" if i % 2 else "dev", tier="web" if i < 4 else "db"),
                     "deployments")
    client.apply({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "cfg", "namespace": "dev"}}, "configmaps")
    assert client.get("apps/v1", "deployments", "web-1", "prod")["spec"] == {"replicas": 2}
    assert client.get("apps/v1", "deployments", "web-1", "dev") is None
    everything = client.list("apps/v1", "deployments")
    assert sorted(o["metadata"]["name"] for o in everything) == [f"web-{i}" for i in range(7)]
    assert all(o["kind"] == "Deployment" and o["apiVersion"] == "apps/v1" for o in everything)
    assert [o["metadata"]["name"] for o in client.list("apps/v1", "deployments", "prod")] == \
        ["web-1", "web-3", "web-5"]
    assert sorted(o["metadata"]["name"] for o in
                  client.list("apps/v1", "deployments", label_selector="tier=db")) == \
        ["web-4", "web-5", "web-6"]
    assert [o["kind"] for o in client.list("v1", "configmaps", "dev")] == ["ConfigMap"]
    assert client.delete("apps/v1", "deployments", "web-1", "prod") is True
    assert client.delete("apps/v1", "deployments", "web-1", "prod") is False
    assert client.get("apps/v1", "deployments", "web-1", "prod") is None


def test_list_follows_pages(client, server, monkeypatch):
    import karmadactl.members.client as member_client

    monkeypatch.setattr(member_client, "PAGE_SIZE", 3)
    for i in range(8):
        client.apply(deployment(f"d{i}"), "deployments")
    names = [o["metadata"]["name"] for o in client.list("apps/v1", "deployments")]
    assert sorted(names) == [f"d{i}" for i in range(8)]
    lists = [r for r in server.requests if r["method"] == "GET"]
    assert [r["query"].get("continue") for r in lists] == [None, "3", "6"]


# -- errors and retries ----------------------------------------------------------------------

def test_wrong_token_is_credentials_rejected_without_the_token(server):
    c = Kubeconfig.from_dict(server.kubeconfig(token="wrong-token-456789")).client(timeout=5)
    with pytest.raises(CredentialsRejected) as info:
        c.list("v1", "pods")
    assert str(info.value) == ("cluster member1: list pods: credentials rejected "
                               "(401 Unauthorized): Unauthorized")
    assert info.value.status == 401
    assert "wrong-token-456789" not in full_text(info.value)
    assert len(server.requests) == 1   # 401 is not retried


def test_forbidden_is_credentials_rejected(client, server):
    server.script("/apis/apps/v1/namespaces/default/deployments/web", (403, {}, status_body(
        403, "Forbidden", 'deployments.apps "web" is forbidden: User "bob" cannot patch')))
    with pytest.raises(CredentialsRejected, match=r"credentials rejected \(403 Forbidden\): "
                       r'deployments.apps "web" is forbidden'):
        client.apply(deployment("web"), "deployments")


def test_invalid_object_message_is_truncated(client, server):
    server.script("/apis/apps/v1/namespaces/default/deployments/web",
                  (422, {}, status_body(422, "Invalid", "spec.replicas: Invalid value " + "x" * 1000)))
    with pytest.raises(ObjectInvalid) as info:
        client.apply(deployment("web"), "deployments")
    assert info.value.status == 422 and info.value.reason == "Invalid"
    assert len(info.value.detail) == 300 and info.value.detail.endswith("...")
    assert str(info.value).startswith("cluster member1: apply deployments default/web: 422 Invalid: "
                                      "spec.replicas: Invalid value xxx")


def test_a_token_echoed_by_the_server_is_redacted(client, server):
    server.script("/version", (400, {}, status_body(400, "BadRequest",
                                                    f"bad header Authorization: Bearer {TOKEN}")))
    with pytest.raises(MemberAPIError) as info:
        client.version()
    assert TOKEN not in full_text(info.value)
    assert "Bearer <redacted>" in str(info.value)


def test_retries_429_honouring_retry_after(client, server):
    server.script("/version", (429, {"Retry-After": "0"}, status_body(429, "TooManyRequests", "slow")))
    assert client.version()["gitVersion"] == "v1.30.2"
    assert [r["path"] for r in server.requests] == ["/version", "/version"]


def test_retries_5xx_then_gives_up(client, server):
    busy = (503, {}, status_body(503, "ServiceUnavailable", "busy"))
    server.script("/version", busy, busy)
    assert client.version()["gitVersion"] == "v1.30.2"
    server.script("/version", busy, busy, busy, busy)
    with pytest.raises(ServerError, match="503 ServiceUnavailable: busy"):
        client.version()
    assert len([r for r in server.requests if r["path"] == "/version"]) == 6


def test_non_json_error_body(client, server):
    server.script("/version", (502, {}, "<html>Bad Gateway</html>\nmore"),
                  (502, {}, "x"), (502, {}, "<html>Bad Gateway</html>"))
    with pytest.raises(ServerError) as info:
        client.version()
    assert str(info.value) == "cluster member1: GET /version: 502 Bad Gateway: <html>Bad Gateway</html>"


# -- authentication through kubeconfig files -------------------------------------------------

def exec_plugin_user(doc, plugin, source, command, env):
    """Write `source` as an executable Python credential plugin and make `doc`'s user run it."""
    plugin.write_text(f"#!{sys.executable}\n" + source)
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                        "command": command,
                                        "env": [{"name": name, "value": value} for name, value in env.items()]}}
    return doc


def test_exec_credential_plugin(tmp_path):
    server = FakeAPIServer(token="from-the-plugin-42")
    try:
        plugin = tmp_path / "bin" / "cred"
        plugin.parent.mkdir()
        doc = exec_plugin_user(
            server.kubeconfig(token=None), plugin,
            "import json, os\n"
            "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
            "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential',\n"
            "                  'status': {'token': 'from-the-plugin-' + os.environ['SUFFIX']}}))\n",
            command="./bin/cred", env={"SUFFIX": "42"})
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(doc))
        kc = load_kubeconfig(str(path))
        c = kc.client(timeout=5)
        assert c.version()["gitVersion"] == "v1.30.2"
        assert server.requests[-1]["authorization"] == "Bearer from-the-plugin-42"
        # the plugin's token never shows in an error either
        server.script("/version", (400, {}, status_body(400, "BadRequest", "echo from-the-plugin-42")))
        with pytest.raises(MemberAPIError) as info:
            c.version()
        assert "from-the-plugin-42" not in full_text(info.value)
        c.close()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (openssl)."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args: str):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=test-ca",
        "-days", "2")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, cn in (("server", "127.0.0.1"), ("client", "admin")):
        run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        extra = ["-extfile", "san.ext"] if name == "server" else []
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", *extra)
    return d


def test_client_certificates_from_relative_paths_and_embedded(pki, tmp_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.crt", pki / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(pki / "ca.crt")
    server = FakeAPIServer(token=None, tls=context)
    try:
        certs = tmp_path / "certs"
        certs.mkdir()
        for name in ("ca.crt", "client.crt", "client.key"):
            (certs / name).write_bytes((pki / name).read_bytes())
        doc = server.kubeconfig(token=None)
        doc["clusters"][0]["cluster"]["certificate-authority"] = "certs/ca.crt"
        doc["users"][0]["user"] = {"client-certificate": "certs/client.crt",
                                   "client-key": "certs/client.key"}
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(doc))
        kc = load_kubeconfig(str(path))
        c = kc.client(timeout=5)
        assert c.health() == ("Ready", "/readyz answered ok")
        c.close()

        embedded = kc.embedded()
        for name in ("ca.crt", "client.crt", "client.key"):
            (certs / name).unlink()
        c = Kubeconfig.from_dict(embedded).client(timeout=5)
        assert c.version()["gitVersion"] == "v1.30.2"
        c.close()

        # without the client certificate the server refuses the TLS handshake
        del embedded["users"][0]["user"]["client-certificate-data"]
        del embedded["users"][0]["user"]["client-key-data"]
        health, message = Kubeconfig.from_dict(embedded).client(timeout=5).health()
        assert health == "Unreachable" and message.startswith(f"cannot connect to {server.url}:")
        assert "client-key" not in message
    finally:
        server.stop()


def test_untrusted_server_certificate_is_a_tls_error(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.crt", pki / "server.key")
    server = FakeAPIServer(token=None, tls=context)
    try:
        health, message = Kubeconfig.from_dict(server.kubeconfig(token=None)).client(2).health()
        assert health == "Unreachable"
        assert message == (f"cannot connect to {server.url}: TLS error: certificate verify failed: "
                           "unable to get local issuer certificate")
    finally:
        server.stop()


def test_broken_exec_config_is_invalid_input(server):
    doc = server.kubeconfig(token=None)
    doc["users"][0]["user"] = {"exec": {"command": "x"}}   # no apiVersion
    with pytest.raises(InvalidInput) as info:
        Kubeconfig.from_dict(doc).client().version()
    assert str(info.value) == ("kubeconfig kubeconfig: user member1: exec: malformed request. "
                               "missing key 'apiVersion'")


def test_failing_exec_plugin_is_invalid_input(server, tmp_path):
    doc = server.kubeconfig(token=None)
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                        "command": sys.executable,
                                        "args": ["-c", "import sys; sys.exit('login expired')"]}}
    with pytest.raises(InvalidInput) as info:
        Kubeconfig.from_dict(doc, source="kc").client().version()
    assert str(info.value) == "kubeconfig kc: user member1: exec: process returned 1. login expired"
    assert server.requests == []   # nothing sent without credentials


# -- collect_status --------------------------------------------------------------------------

def seed_nodes_and_pods(server: FakeAPIServer):
    for i, ready in enumerate(["True", "True", "False"]):
        server.objects[("v1", "nodes", None, f"n{i}")] = {
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"},
            "status": {"conditions": [{"type": "Ready", "status": ready}],
                       "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}
    pods = [("a", "n0", "Running", "500m"), ("b", "n1", "Succeeded", "2"),
            ("c", None, "Pending", "250m")]
    for name, node, phase, cpu in pods:
        spec = {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu,
                                                                        "memory": "128Mi"}}}]}
        if node:
            spec["nodeName"] = node
        server.objects[("v1", "pods", "default", name)] = {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": spec, "status": {"phase": phase}}


def test_collect_status_of_a_ready_member(client, server):
    seed_nodes_and_pods(server)
    status = collect_status(client, None, NOW)
    assert status["kubernetesVersion"] == "v1.30.2"
    assert [e["groupVersion"] for e in status["apiEnablements"]] == [
        "apps/v1", "autoscaling/v1", "autoscaling/v2", "v1"]
    assert status["nodeSummary"] == {"totalNum": 3, "readyNum": 2}
    assert status["resourceSummary"] == {
        "allocatable": {"cpu": "12", "memory": "24Gi", "pods": "330"},
        "allocated": {"cpu": "500m", "memory": "128Mi", "pods": "1"},
        "allocating": {"cpu": "250m", "memory": "128Mi", "pods": "1"},
    }
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["Ready"] == {"type": "Ready", "status": "True", "reason": "ClusterReady",
                              "message": "cluster is healthy and ready to accept workloads",
                              "lastTransitionTime": NOW}
    assert conds["CompleteAPIEnablements"]["reason"] == "Complete"

    again = collect_status(client, status, LATER)
    assert again == status   # nothing changed: same status, transition times kept


def test_collect_status_takes_the_callers_probe_and_does_not_probe_again(client, server):
    seed_nodes_and_pods(server)
    probed = client.health()
    server.requests.clear()
    status = collect_status(client, None, NOW, probed=probed)
    assert [r["path"] for r in server.requests if r["path"] in ("/readyz", "/healthz")] == []
    assert status == collect_status(client, None, NOW)
    server.requests.clear()
    down = collect_status(client, status, LATER, probed=("NotReady", "/readyz answered status 500"))
    assert server.requests == []                # not Ready: nothing else is read
    ready = next(c for c in down["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ClusterNotReady")


def test_collect_status_partial_apis(client, server):
    server.broken.add("apps/v1")
    status = collect_status(client, None, NOW)
    cond = next(c for c in status["conditions"] if c["type"] == "CompleteAPIEnablements")
    assert (cond["status"], cond["reason"]) == ("False", "Partial")
    assert "apps/v1" in cond["message"]


def test_collect_status_of_an_unreachable_member_keeps_the_rest(client, server):
    seed_nodes_and_pods(server)
    before = collect_status(client, None, NOW)
    server.stop()
    after = collect_status(client, before, LATER)
    ready = next(c for c in after["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["lastTransitionTime"]) == (
        "False", "ClusterNotReachable", LATER)
    assert ready["message"].startswith("cluster is not reachable: cannot connect to http://127.0.0.1:")
    for key in ("kubernetesVersion", "apiEnablements", "nodeSummary", "resourceSummary"):
        assert after[key] == before[key]
    assert next(c for c in after["conditions"] if c["type"] == "CompleteAPIEnablements") == \
        next(c for c in before["conditions"] if c["type"] == "CompleteAPIEnablements")


def test_collect_status_of_an_unhealthy_member(client, server):
    server.readyz = 500
    status = collect_status(client, None, NOW)
    assert set(status) == {"conditions"}
    assert status["conditions"][0]["reason"] == "ClusterNotReady"


def test_kubernetes_is_not_imported_by_loading_kubeconfigs(tmp_path):
    code = ("import sys; import karmadactl.members.kubeconfig, karmadactl.members.client, "
            "karmadactl.members.status; print('kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ})
    assert out.stdout.strip() == "False", out.stderr


# -- against a sandbox member (karmadactl.sandbox.member) ------------------------------------

@pytest.fixture
def sandbox_member():
    from karmadactl.sandbox.member import Member

    member = Member("member1", nodes=3)
    member.start()
    yield member
    member.stop()


def test_sandbox_member_status_objects_and_failure(sandbox_member):
    c = Kubeconfig.from_dict(sandbox_member.kubeconfig()).client(timeout=5)
    assert c.health()[0] == "Ready"
    status = collect_status(c, None, NOW)
    assert status["kubernetesVersion"] == "v1.31.0"
    assert status["nodeSummary"] == {"totalNum": 3, "readyNum": 3}
    assert status["resourceSummary"]["allocatable"]["cpu"] == "24"
    assert status["resourceSummary"]["allocatable"]["memory"] == "96Gi"
    gvs = [e["groupVersion"] for e in status["apiEnablements"]]
    assert "apps/v1" in gvs and "v1" in gvs and gvs == sorted(gvs)

    applied = c.apply(deployment("web"), "deployments")
    assert applied["metadata"]["name"] == "web"
    assert c.get("apps/v1", "deployments", "web", "default")["spec"]["replicas"] == 2
    assert [o["metadata"]["name"] for o in c.list("apps/v1", "deployments", "default")] == ["web"]
    assert c.delete("apps/v1", "deployments", "web", "default") is True
    assert c.get("apps/v1", "deployments", "web", "default") is None

    sandbox_member.fail()
    assert c.health() == ("Unreachable", f"cannot connect to {sandbox_member.url}: Connection refused")
    down = collect_status(c, status, LATER)
    assert next(x for x in down["conditions"] if x["type"] == "Ready")["reason"] == \
        "ClusterNotReachable"
    assert down["nodeSummary"] == status["nodeSummary"]
    sandbox_member.recover()
    assert c.health()[0] == "Ready"
    c.close()


def test_sandbox_member_over_tls_with_retried_errors():
    from karmadactl.sandbox.member import Member

    member = Member("secure", nodes=1, tls=True)
    member.start()
    try:
        c = Kubeconfig.from_dict(member.kubeconfig()).client(timeout=5)
        member.inject(error_status=503, error_count=1)
        assert c.version()["gitVersion"] == "v1.31.0"
        wrong = member.kubeconfig()
        wrong["users"][0]["user"]["token"] = "not-the-token-1234"
        with pytest.raises(CredentialsRejected):
            Kubeconfig.from_dict(wrong).client(timeout=5).list("v1", "pods")
        c.close()
    finally:
        member.stop()


def test_only_credentials_that_expire_are_refreshed_before_a_request(server, tmp_path):
    static = Kubeconfig.from_dict(server.kubeconfig()).client(timeout=5)
    static.version()
    assert static._api.configuration.refresh_api_key_hook is None      # the same token every time
    static.close()
    server.token = None
    plugin = tmp_path / "cred"          # a new token on each call, each expired at once
    doc = exec_plugin_user(
        server.kubeconfig(token=None), plugin,
        "import json, os, pathlib\n"
        "calls = pathlib.Path(os.environ['CALLS'])\n"
        "calls.write_text(calls.read_text() + 'x') if calls.exists() else calls.write_text('x')\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1',\n"
        "                  'kind': 'ExecCredential', 'status': {'token': f't{len(calls.read_text())}',\n"
        "                  'expirationTimestamp': '2000-01-01T00:00:00Z'}}))\n",
        command=str(plugin), env={"CALLS": str(tmp_path / "calls")})
    expiring = Kubeconfig.from_dict(doc).client(timeout=5)
    expiring.version()
    expiring.version()
    expiring.close()
    first, second = (r["authorization"] for r in server.requests[-2:])
    assert first.startswith("Bearer t") and second.startswith("Bearer t") and first != second
