"""HTTP handlers for resource paths: decode the request, call `Cluster`, encode the answer.

One handler per (verb, subresource), chosen from the `ROUTES` table by
`handle`. Discovery, auth and faults live in apiserver.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml
from aiohttp import web

from karmadactl.sandbox import patch as patching
from karmadactl.sandbox import tables
from karmadactl.sandbox.objects import Event, StatusError, bad_request, invalid
from karmadactl.sandbox.resources import ResourceType
from karmadactl.sandbox.selectors import SelectorError, selector_of
from karmadactl.sandbox.writes import view

if TYPE_CHECKING:
    from karmadactl.sandbox.writes import Cluster

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml's parser when built with it


@dataclass(frozen=True)
class Target:
    """What a resource path names."""

    rt: ResourceType
    namespace: str                # "" for cluster-scoped types and all-namespace lists
    name: str | None
    sub: str                      # "", "status" or "scale"


Handler = Callable[["Cluster", web.Request, Target], Awaitable[web.StreamResponse]]


def respond(obj: dict, status: int = 200) -> web.Response:
    return web.json_response(obj, status=status, dumps=json.dumps)


# request decoding ---------------------------------------------------------------------------

async def read_body(request: web.Request, *, yaml_ok: bool = False) -> object:
    raw = await request.read()
    if not raw.strip():
        raise bad_request("the request body is empty")
    try:
        if yaml_ok or request.content_type in ("application/yaml", "application/x-yaml"):
            return yaml.load(raw, Loader=SAFE_LOADER)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise bad_request(f"the request body could not be decoded: {first}") from None


def dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for value in values:
        if value != "All":
            raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def field_manager(request: web.Request) -> str:
    """The fieldManager param, or the User-Agent's product name as kube defaults it."""
    explicit = request.query.get("fieldManager")
    if explicit:
        return explicit
    agent = request.headers.get("User-Agent", "")
    return agent.split("/")[0].strip() or "unknown"


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


def _matcher(request: web.Request, rt: ResourceType):
    try:
        return selector_of(request.query.get("labelSelector"), request.query.get("fieldSelector"),
                           rt.group_resource)
    except SelectorError as exc:
        raise bad_request(str(exc)) from None


# read ---------------------------------------------------------------------------------------

def _table_or(request: web.Request, t: Target, objects: list[dict], fallback: dict) -> dict:
    """A Table when the client asks for one (kubectl get), else the plain answer."""
    if t.sub or not tables.wants_table(request.headers.get("Accept", "")):
        return fallback
    rv = fallback.get("metadata", {}).get("resourceVersion", "")
    return tables.to_table(t.rt.kind, objects, rv, request.query.get("includeObject", "Metadata"))


async def get_object(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    obj = cluster.get(t.rt, t.namespace, t.name)
    return respond(_table_or(request, t, [obj], obj))


async def list_objects(cluster: Cluster, request: web.Request, t: Target) -> web.StreamResponse:
    if _flag(request, "watch"):
        return await watch_objects(cluster, request, t)
    match = _matcher(request, t.rt)
    namespace = t.namespace if t.rt.namespaced and t.namespace else None
    # served as stored, never changed in place (a put stores a new object): no copy, only the version's names
    items = [{**o, "apiVersion": t.rt.group_version, "kind": t.rt.kind}
             for o in cluster.store.peek(t.rt.group_resource, namespace, match)]
    listed = {"kind": f"{t.rt.kind}List", "apiVersion": t.rt.group_version,
              "metadata": {"resourceVersion": str(cluster.store.rv)}, "items": items}
    return respond(_table_or(request, t, items, listed))


async def watch_objects(cluster: Cluster, request: web.Request, t: Target) -> web.StreamResponse:
    """A chunked stream of {"type", "object"} lines until timeoutSeconds or disconnect."""
    match = _matcher(request, t.rt)
    rv = request.query.get("resourceVersion", "")
    if rv not in ("", "0") and not rv.isdigit():
        raise bad_request(f'resourceVersion: Invalid value: "{rv}"')
    timeout = request.query.get("timeoutSeconds", "")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + float(timeout) if timeout.isdigit() else None
    namespace = t.namespace if t.rt.namespaced and t.namespace else None
    as_table = tables.wants_table(request.headers.get("Accept", ""))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    try:
        watcher = cluster.store.watch(t.rt.group_resource, namespace,
                                      None if rv in ("", "0") else int(rv))
    except StatusError as exc:              # a too-old resourceVersion: one ERROR event
        await response.prepare(request)
        await response.write(json.dumps({"type": "ERROR", "object": exc.body()}).encode() + b"\n")
        return response
    try:
        await response.prepare(request)
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                break
            try:
                event = await asyncio.wait_for(watcher.queue.get(), remaining)
            except TimeoutError:
                break
            event_type = selected_type(event, match)
            if event_type is None:
                continue
            obj = view(t.rt, copy.deepcopy(event.obj))
            if as_table:
                obj = tables.to_table(t.rt.kind, [obj], obj["metadata"]["resourceVersion"],
                                      request.query.get("includeObject", "Metadata"))
            line = json.dumps({"type": event_type, "object": obj}) + "\n"
            await response.write(line.encode())
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        cluster.store.unwatch(watcher)
    return response


def selected_type(event: Event, match) -> str | None:
    """The event type a selector-filtered watch reports: an object that starts matching is
    ADDED, one that stops matching is DELETED (as kube's watch cache does); None: skip."""
    now_matches = match(event.obj)
    if event.type != "MODIFIED" or event.old is None:
        return event.type if now_matches else None
    before = match(event.old)
    if now_matches:
        return "MODIFIED" if before else "ADDED"
    return "DELETED" if before else None


# write --------------------------------------------------------------------------------------

async def create_object(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    body = await read_body(request)
    if isinstance(body, dict):
        _check_kind(t.rt, body)
    obj = cluster.create(t.rt, t.namespace, body, manager=field_manager(request),
                         dry_run=dry_run(request))
    return respond(obj, 201)


def _check_kind(rt: ResourceType, body: dict) -> None:
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version and api_version != rt.group_version:
        raise bad_request(f"the API version in the data ({api_version}) does not match the "
                          f"expected API version ({rt.group_version})")
    if kind and kind != rt.kind:
        raise bad_request(f"the kind in the data ({kind}) does not match the expected kind "
                          f"({rt.kind})")


async def replace_object(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    body = await read_body(request)
    if isinstance(body, dict):
        _check_kind(t.rt, body)
    old = cluster.get(t.rt, t.namespace, t.name)
    obj = cluster.update(t.rt, old, body, manager=field_manager(request), sub=t.sub,
                         dry_run=dry_run(request))
    return respond(obj)


def apply_patch(content_type: str, rt: ResourceType, obj: dict, body: object) -> dict:
    """The object after a json, merge or strategic-merge patch (raises StatusError)."""
    name = (obj.get("metadata") or {}).get("name", "")
    try:
        if content_type == JSON_PATCH:
            if not isinstance(body, list):
                raise bad_request("a JSON patch must be a list of operations")
            return patching.apply_json_patch(obj, body)
        if not isinstance(body, dict):
            raise bad_request("a merge patch must be a JSON object")
        if content_type == MERGE_PATCH:
            return patching.apply_merge_patch(obj, body)
        return patching.apply_strategic_merge_patch(obj, body)
    except patching.PatchError as exc:
        raise invalid(rt.kind, rt.group, name, [("", "FieldValueInvalid", str(exc))]) from None


def _patch_type(request: web.Request, rt: ResourceType) -> str:
    content_type = request.content_type
    if content_type not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH):
        raise StatusError(415, "UnsupportedMediaType",
                          f'the body of the request was in an unknown format - accepted media '
                          f'types include: {JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}'
                          + ("" if rt.crd else f", {STRATEGIC_PATCH}"))
    if content_type == STRATEGIC_PATCH and rt.crd:
        raise StatusError(415, "UnsupportedMediaType",
                          "strategic merge patch is not supported for custom resources")
    return content_type


async def patch_object(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    content_type = _patch_type(request, t.rt)
    manager = field_manager(request)
    if content_type == APPLY_PATCH:
        if not request.query.get("fieldManager"):
            raise invalid("PatchOptions", "meta.k8s.io", "",
                          [("fieldManager", "FieldValueRequired",
                            "Required value: is required for apply patch")])
        body = await read_body(request, yaml_ok=True)
        obj, created = cluster.apply(t.rt, t.namespace, t.name, body, manager=manager,
                                     force=_flag(request, "force"), sub=t.sub,
                                     dry_run=dry_run(request))
        return respond(obj, 201 if created else 200)
    body = await read_body(request)
    old = cluster.get(t.rt, t.namespace, t.name)
    patched = apply_patch(content_type, t.rt, copy.deepcopy(old), body)
    obj = cluster.update(t.rt, old, patched, manager=manager, sub=t.sub, dry_run=dry_run(request))
    return respond(obj)


async def delete_object(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    options = {}
    if request.can_read_body:
        raw = await request.read()
        if raw.strip():
            try:
                options = json.loads(raw)
            except ValueError:
                raise bad_request("the DeleteOptions body could not be decoded") from None
    if not isinstance(options, dict):
        raise bad_request("DeleteOptions must be a JSON object")
    result = cluster.delete(t.rt, t.namespace, t.name,
                            dry_run=dry_run(request) or "All" in (options.get("dryRun") or []),
                            preconditions=options.get("preconditions"),
                            grace_period=_grace_period(request, options))
    return respond(result)


def _grace_period(request: web.Request, options: dict) -> int | None:
    """DeleteOptions.gracePeriodSeconds, from the body or else the query."""
    value = options.get("gracePeriodSeconds", request.query.get("gracePeriodSeconds"))
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"gracePeriodSeconds: invalid value {value!r}: must be an integer") \
            from None


async def delete_collection(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    match = _matcher(request, t.rt)
    namespace = t.namespace if t.rt.namespaced and t.namespace else None
    items = []
    for obj in cluster.store.list(t.rt.group_resource, namespace, match):
        meta = obj["metadata"]
        if t.rt.group_resource == ("", "namespaces") and meta["name"] in (
                "default", "kube-system", "kube-public"):
            continue
        cluster.delete(t.rt, meta.get("namespace", ""), meta["name"], dry_run=dry_run(request))
        items.append(view(t.rt, obj))
    return respond({"kind": f"{t.rt.kind}List", "apiVersion": t.rt.group_version,
                    "metadata": {"resourceVersion": str(cluster.store.rv)}, "items": items})


# scale subresource --------------------------------------------------------------------------

def _get_path(obj: dict, path: str):
    current: object = obj
    for part in path.strip(".").split("."):
        current = current.get(part) if isinstance(current, dict) else None
    return current


def _set_path(obj: dict, path: str, value: object) -> None:
    parts = path.strip(".").split(".")
    current = obj
    for part in parts[:-1]:
        current = current.setdefault(part, {})
    current[parts[-1]] = value


def scale_of(rt: ResourceType, obj: dict) -> dict:
    """The autoscaling/v1 Scale view of a scalable object."""
    spec_path, status_path, selector_path = rt.scale_paths
    meta = obj["metadata"]
    if selector_path:
        selector = _get_path(obj, selector_path) or ""
    else:
        labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    scale_meta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                       "creationTimestamp") if k in meta}
    status = {"replicas": _get_path(obj, status_path) or 0}
    if selector:
        status["selector"] = selector
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta,
            "spec": {"replicas": _get_path(obj, spec_path) or 0}, "status": status}


async def get_scale(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    return respond(scale_of(t.rt, cluster.get(t.rt, t.namespace, t.name)))


async def _write_scale(cluster: Cluster, request: web.Request, t: Target, old: dict,
                       scale: object) -> web.Response:
    if not isinstance(scale, dict):
        raise bad_request("a Scale must be a JSON object")
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise invalid("Scale", "autoscaling", t.name or "",
                      [("spec.replicas", "FieldValueInvalid",
                        f"Invalid value: {replicas!r}: must be greater than or equal to 0")])
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    new = copy.deepcopy(old)
    new["metadata"]["resourceVersion"] = rv or old["metadata"]["resourceVersion"]
    _set_path(new, t.rt.scale_paths[0], replicas)
    obj = cluster.update(t.rt, old, new, manager=field_manager(request),
                         dry_run=dry_run(request))
    return respond(scale_of(t.rt, obj))


async def replace_scale(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    body = await read_body(request)
    return await _write_scale(cluster, request, t, cluster.get(t.rt, t.namespace, t.name), body)


async def patch_scale(cluster: Cluster, request: web.Request, t: Target) -> web.Response:
    content_type = _patch_type(request, t.rt)
    if content_type == APPLY_PATCH:
        raise StatusError(415, "UnsupportedMediaType", "apply is not supported on the scale "
                          "subresource of the sandbox")
    body = await read_body(request)
    old = cluster.get(t.rt, t.namespace, t.name)
    scale = apply_patch(content_type, t.rt, scale_of(t.rt, old), body)
    return await _write_scale(cluster, request, t, old, scale)


# connect subresources (exec, attach: sandbox/exec.py) ----------------------------------------

CONNECT: dict[tuple[str, str], frozenset[str]] = {("", "pods"): frozenset({"exec", "attach",
                                                                              "log"})}


def connect_subresources(rt: ResourceType) -> frozenset[str]:
    return CONNECT.get(rt.group_resource, frozenset())


async def connect(cluster: Cluster, request: web.Request, t: Target) -> web.StreamResponse:
    from karmadactl.sandbox import exec as execution

    return await execution.serve(cluster, request, t)


async def _pod_log(cluster: Cluster, request: web.Request, t: Target) -> web.StreamResponse:
    from karmadactl.sandbox import logs

    return await logs.get_log(cluster, request, t)


# dispatch -----------------------------------------------------------------------------------

ROUTES: dict[tuple[str, bool, str], Handler] = {
    ("GET", False, ""): list_objects,
    ("POST", False, ""): create_object,
    ("DELETE", False, ""): delete_collection,
    ("GET", True, ""): get_object,
    ("PUT", True, ""): replace_object,
    ("PATCH", True, ""): patch_object,
    ("DELETE", True, ""): delete_object,
    ("GET", True, "status"): get_object,
    ("PUT", True, "status"): replace_object,
    ("PATCH", True, "status"): patch_object,
    ("GET", True, "scale"): get_scale,
    ("PUT", True, "scale"): replace_scale,
    ("PATCH", True, "scale"): patch_scale,
    ("GET", True, "exec"): connect,
    ("POST", True, "exec"): connect,
    ("GET", True, "attach"): connect,
    ("POST", True, "attach"): connect,
    ("GET", True, "log"): _pod_log,
}


async def handle(cluster: Cluster, request: web.Request, t: Target) -> web.StreamResponse:
    handler = ROUTES.get((request.method, t.name is not None, t.sub))
    if handler is None:
        raise method_not_allowed(request.method)
    if t.rt.namespaced and not t.namespace and (t.name is not None or request.method != "GET"):
        if t.name is None:
            raise method_not_allowed(request.method)
        raise StatusError(404, "NotFound", "the server could not find the requested resource",
                          {})
    return await handler(cluster, request, t)


def method_not_allowed(method: str) -> StatusError:
    return StatusError(405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource",
                       {})

