"""The rules every write to a sandbox member follows, as kube-apiserver applies them.

`Cluster` owns the object store and the resource registry. Its methods take
decoded objects and return the stored result (or raise `StatusError`); they
never await, so each write is applied atomically. Server-owned fields
(uid, resourceVersion, creationTimestamp, generation, managedFields) are set
here, status subresources are kept apart from main-resource writes, and
CustomResourceDefinitions update the registry.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from karmadactl.sandbox import patch as patching
from karmadactl.sandbox.objects import (
    ObjectStore,
    StatusError,
    already_exists,
    bad_request,
    conflict,
    invalid,
    not_found,
)
from karmadactl.sandbox.resources import CRD_GROUP_RESOURCE, NAMESPACES, Registry, ResourceType

PROTECTED_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_LABEL_NAMED = {("", "namespaces"), ("", "services")}   # names must be DNS-1123 labels
# Registries whose genericregistry.Store sets ReturnDeletedObject (kube's
# pkg/registry/**/storage/storage.go) answer a DELETE with the deleted object; namespaces and
# CRDs answer with it from their own REST Delete (marked for deletion); every other registry,
# custom resources included, answers with a Success Status naming it (Store.finalizeDelete).
RETURNS_DELETED_OBJECT = frozenset({
    ("", "pods"), ("", "services"), ("", "serviceaccounts"), ("", "persistentvolumes"),
    ("", "persistentvolumeclaims"), ("", "resourcequotas"), ("storage.k8s.io", "storageclasses"),
    NAMESPACES, CRD_GROUP_RESOURCE})
CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"

WriteHook = Callable[[ResourceType, dict, str], None]     # (type, stored object, subresource)


def now(after: int = 0) -> str:
    """The time (`after` seconds from now) as kube serializes it."""
    return (datetime.now(UTC) + timedelta(seconds=after)).strftime("%Y-%m-%dT%H:%M:%SZ")


def view(rt: ResourceType, obj: dict) -> dict:
    """The object as served at rt's version: kind and apiVersion always set."""
    obj["apiVersion"] = rt.group_version
    obj["kind"] = rt.kind
    return obj


def _spec_part(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _without_managed_fields(obj: dict) -> dict:
    out = dict(obj)
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items()
                       if k not in ("managedFields", "resourceVersion")}
    return out


def validate_metadata(rt: ResourceType, obj: dict) -> None:
    """422 Invalid for a missing or malformed name and malformed labels."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    causes: list[tuple[str, str, str]] = []
    if not name:
        causes.append(("metadata.name", "FieldValueRequired",
                       "Required value: name or generateName is required"))
    elif rt.group_resource in _LABEL_NAMED:
        if len(name) > 63 or not _DNS1123_LABEL.match(name):
            causes.append(("metadata.name", "FieldValueInvalid",
                           f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of '
                           "lower case alphanumeric characters or '-', and must start and end "
                           "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
                           "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"))
    elif len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        causes.append(("metadata.name", "FieldValueInvalid",
                       f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of '
                       "lower case alphanumeric characters, '-' or '.', and must start and end "
                       "with an alphanumeric character (e.g. 'example.com', regex used for "
                       "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
                       "[a-z0-9])?)*')"))
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        causes.append(("metadata.labels", "FieldValueInvalid", "Invalid value: must be a map"))
        labels = {}
    for key, value in labels.items():
        if not _LABEL_KEY.match(str(key)) or len(str(key).split("/")[-1]) > 63:
            causes.append(("metadata.labels", "FieldValueInvalid",
                           f'Invalid value: "{key}": name part must consist of alphanumeric '
                           "characters, '-', '_' or '.'"))
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            causes.append(("metadata.labels", "FieldValueInvalid",
                           f'Invalid value: "{value}": a valid label must be an empty string or '
                           "consist of alphanumeric characters, '-', '_' or '.', and must start "
                           "and end with an alphanumeric character"))
    for part in ("spec", "status"):
        if part in obj and obj[part] is not None and not isinstance(obj[part], dict):
            causes.append((part, "FieldValueInvalid", "Invalid value: must be an object"))
    if rt.group_resource == CRD_GROUP_RESOURCE and isinstance(obj.get("spec") or {}, dict):
        causes.extend(_crd_causes(name, obj.get("spec") or {}))
    if causes:
        raise invalid(rt.kind, rt.group, name, causes)


def _crd_causes(name: str, spec: dict) -> list[tuple[str, str, str]]:
    """What makes a CustomResourceDefinition unacceptable (the checks clients trip over)."""
    causes = []
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    for field, value in (("spec.group", spec.get("group")),
                         ("spec.names.plural", names.get("plural")),
                         ("spec.names.kind", names.get("kind"))):
        if not value or not isinstance(value, str):
            causes.append((field, "FieldValueRequired", "Required value"))
    if name and name != f"{names.get('plural', '')}.{spec.get('group', '')}":
        causes.append(("metadata.name", "FieldValueInvalid",
                       f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))
    if spec.get("scope", "Namespaced") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", "FieldValueNotSupported",
                       f'Unsupported value: "{spec.get("scope")}": supported values: '
                       '"Cluster", "Namespaced"'))
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions or \
            not all(isinstance(v, dict) and v.get("name") for v in versions):
        causes.append(("spec.versions", "FieldValueInvalid",
                       "Invalid value: must be a non-empty list of named versions"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(("spec.versions", "FieldValueInvalid",
                       "Invalid value: must have exactly one version marked as storage version"))
    return causes


def _crd_status(crd: dict) -> dict:
    """What the apiextensions controllers report for an accepted CRD."""
    spec = crd.get("spec") or {}
    old = crd.get("status") or {}
    times = {c.get("type"): c.get("lastTransitionTime") for c in old.get("conditions") or []}
    stored = list(old.get("storedVersions") or [])
    for v in spec.get("versions") or []:
        if v.get("storage") and v.get("name") not in stored:
            stored.append(v["name"])
    return {"acceptedNames": copy.deepcopy(spec.get("names") or {}),
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found",
                 "lastTransitionTime": times.get("NamesAccepted") or now()},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted",
                 "lastTransitionTime": times.get("Established") or now()}],
            "storedVersions": stored}


def _defaults_on_create(rt: ResourceType, obj: dict) -> None:
    gr = rt.group_resource
    if rt.status and not rt.crd:
        obj["status"] = {}                      # built-in types always serialize a status
    if gr == NAMESPACES:
        obj["status"] = {"phase": "Active"}
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = \
            obj["metadata"]["name"]
    elif gr == ("", "pods"):
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    elif gr == ("", "services"):
        obj["status"] = {"loadBalancer": {}}
    elif gr == CRD_GROUP_RESOURCE:
        obj["status"] = _crd_status(obj)


def _normalize_secret(obj: dict) -> None:
    """stringData is write-only: kube folds it into data (base64) and drops it."""
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    obj.setdefault("type", "Opaque")


def _keep_allocations(new: dict, old: dict) -> None:
    """A Service written without its clusterIP or nodePorts keeps the allocated ones."""
    spec, old_spec = new.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    for field in ("clusterIP", "clusterIPs"):
        if not spec.get(field) and old_spec.get(field):
            spec[field] = copy.deepcopy(old_spec[field])
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p for p in old_spec.get("ports") or []}
    for port in spec.get("ports") or []:
        previous = old_ports.get((port.get("port"), port.get("protocol", "TCP"))) or {}
        if isinstance(port, dict) and not port.get("nodePort") and previous.get("nodePort"):
            port["nodePort"] = previous["nodePort"]


def pod_grace_period(pod: dict, requested: int | None) -> int:
    """The grace period of a pod's deletion, as kube's pod strategy picks it
    (CheckGracefulDelete): the requested one, else spec.terminationGracePeriodSeconds;
    0 for a pod not yet on a node or already finished; 1 for a negative one."""
    spec = pod.get("spec") or {}
    period = requested if requested is not None else spec.get("terminationGracePeriodSeconds")
    if not isinstance(period, int) or not spec.get("nodeName") or \
            (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
        period = 0
    return 1 if period < 0 else period


def mark_deleting(rt: ResourceType, obj: dict, grace_period: int | None = None) -> dict:
    """A copy of obj as kube writes it when its deletion begins (rest.BeforeDelete for pods,
    markAsDeleting for the rest): deletionTimestamp and deletionGracePeriodSeconds set,
    generation bumped. An object already being deleted is returned as it is."""
    marked = copy.deepcopy(obj)
    meta = marked["metadata"]
    if meta.get("deletionTimestamp"):
        return marked
    grace = pod_grace_period(marked, grace_period) if rt.group_resource == ("", "pods") else 0
    meta["deletionTimestamp"] = now(grace)
    meta["deletionGracePeriodSeconds"] = grace
    if isinstance(meta.get("generation"), int) and meta["generation"] > 0:
        meta["generation"] += 1
    return marked


def _crd_terminating(crd: dict) -> None:
    """What the CRD registry's Delete writes first: the cleanup finalizer and a Terminating
    condition (apiextensions-apiserver registry/customresourcedefinition/etcd.go)."""
    meta = crd["metadata"]
    meta.setdefault("deletionTimestamp", now())
    finalizers = meta.setdefault("finalizers", [])
    if CRD_CLEANUP_FINALIZER not in finalizers:
        finalizers.append(CRD_CLEANUP_FINALIZER)
    status = crd["status"] if isinstance(crd.get("status"), dict) else {}
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "Terminating"]
    status["conditions"].append({
        "type": "Terminating", "status": "True", "reason": "InstanceDeletionPending",
        "message": "CustomResourceDefinition marked for deletion; CustomResource deletion will "
                   "begin soon", "lastTransitionTime": now()})
    crd["status"] = status


def deletion_answer(rt: ResourceType, deleted: dict, grace_period: int | None = None) -> dict:
    """kube-apiserver's answer to the DELETE that removed `deleted`: the object for the
    registries in RETURNS_DELETED_OBJECT (a pod marked with its grace period, a namespace
    Terminating, a CRD with its cleanup finalizer), else a Success Status naming it."""
    gr, meta = rt.group_resource, deleted["metadata"]
    if gr not in RETURNS_DELETED_OBJECT:
        details = {"name": meta["name"], "kind": rt.plural, "uid": meta.get("uid")}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": details}
    answer = view(rt, copy.deepcopy(deleted))
    if gr == ("", "pods"):
        answer = mark_deleting(rt, answer, grace_period)
    elif gr == NAMESPACES:
        answer["metadata"].setdefault("deletionTimestamp", now())
        answer["status"] = {"phase": "Terminating"}
    elif gr == CRD_GROUP_RESOURCE:
        _crd_terminating(answer)
    return answer


class Cluster:
    """The objects of one member and the rules every write follows."""

    def __init__(self) -> None:
        self.store = ObjectStore()
        self.registry = Registry()
        self.on_write: list[WriteHook] = []
        self.on_remove: list[Callable[[ResourceType, dict], None]] = []    # (type, removed)
        self._next_ip = 10                       # 10.96.0.10 onwards for Service clusterIPs
        self._next_node_port = 30000

    def _allocate(self, rt: ResourceType, obj: dict) -> None:
        """Fill what the control plane assigns: a Service's clusterIP and nodePorts."""
        if rt.group_resource != ("", "services") or not isinstance(obj.get("spec"), dict):
            return
        spec = obj["spec"]
        spec.setdefault("type", "ClusterIP")
        if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
            spec["clusterIP"] = f"10.96.{self._next_ip // 256}.{self._next_ip % 256}"
            self._next_ip += 1
        if spec.get("clusterIP") and spec["clusterIP"] != "None":
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if spec["type"] in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                port["nodePort"] = self._next_node_port
                self._next_node_port += 1

    # reads ---------------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict:
        obj = self.store.get(rt.group_resource, namespace, name)
        if obj is None:
            raise not_found(rt.group, rt.plural, name)
        return view(rt, obj)

    def require_namespace(self, namespace: str) -> None:
        if not self.store.exists(NAMESPACES, "", namespace):
            raise not_found("", "namespaces", namespace)

    # create --------------------------------------------------------------------------------

    def create(self, rt: ResourceType, namespace: str, obj: dict, *, manager: str,
               dry_run: bool = False, keep_status: bool = False, managed: bool = True) -> dict:
        """POST: a new object. keep_status is for seeding objects whose status we own."""
        if not isinstance(obj, dict):
            raise bad_request("the body is not a JSON object")
        meta = obj.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if meta is None:
            meta = obj["metadata"] = {}
        self._check_namespace(rt, namespace, meta)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
        validate_metadata(rt, obj)
        name = meta["name"]
        if rt.namespaced:
            self.require_namespace(namespace)
        if self.store.exists(rt.group_resource, namespace, name):
            raise already_exists(rt.group, rt.plural, name)
        view(rt, obj)
        for server_field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                             "selfLink"):
            meta.pop(server_field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        meta["generation"] = 1
        if rt.status and not keep_status:
            obj.pop("status", None)
        if not keep_status:
            _defaults_on_create(rt, obj)
        self._normalize(rt, obj, None)
        if managed:
            meta.pop("managedFields", None)
            obj = patching.record_update(None, obj, manager, now())
        if dry_run:
            return obj
        self.store.put(rt.group_resource, obj)
        self._written(rt, obj)
        return obj

    def _check_namespace(self, rt: ResourceType, namespace: str, meta: dict) -> None:
        if rt.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and body_ns != namespace:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)

    # update --------------------------------------------------------------------------------

    def update(self, rt: ResourceType, old: dict, new: dict, *, manager: str, sub: str = "",
               dry_run: bool = False, managed: bool = True) -> dict:
        """PUT/PATCH: replace `old` by `new` under the rules of the main resource or of
        its status subresource. `managed=False` when managedFields are already computed."""
        if not isinstance(new, dict):
            raise bad_request("the body is not a JSON object")
        old_meta = old["metadata"]
        meta = new.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if meta is None:
            meta = new["metadata"] = {}
        name, namespace = old_meta["name"], old_meta.get("namespace", "")
        if meta.get("name") not in (None, name):
            raise bad_request(f"the name of the object ({meta.get('name')}) does not match the "
                              f"name on the URL ({name})")
        meta["name"] = name
        self._check_namespace(rt, namespace, meta)
        if meta.get("resourceVersion") not in (None, "", old_meta["resourceVersion"]):
            raise conflict(rt.group, rt.plural, name)
        if meta.get("uid") not in (None, "", old_meta.get("uid")):
            raise conflict(rt.group, rt.plural, name)

        if sub == "status":
            result = copy.deepcopy(old)
            if "status" in new:
                result["status"] = copy.deepcopy(new["status"])
            else:
                result.pop("status", None)
            if not managed:
                result["metadata"]["managedFields"] = meta.get("managedFields", [])
        else:
            validate_metadata(rt, new)
            result = copy.deepcopy(new)
            if rt.status:
                if "status" in old:
                    result["status"] = copy.deepcopy(old["status"])
                else:
                    result.pop("status", None)
            rmeta = result["metadata"]
            for server_field in ("uid", "creationTimestamp", "deletionTimestamp",
                                 "deletionGracePeriodSeconds"):
                if server_field in old_meta:
                    rmeta[server_field] = old_meta[server_field]
                else:
                    rmeta.pop(server_field, None)
            self._normalize(rt, result, old)
            generation = old_meta.get("generation", 1)
            if _spec_part(result) != _spec_part(old):
                generation += 1
            rmeta["generation"] = generation
        view(rt, result)
        result["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        if rt.group_resource == CRD_GROUP_RESOURCE and sub != "status":
            result["status"] = _crd_status(result)
        if managed:
            old_view = view(rt, copy.deepcopy(old))
            result = patching.record_update(old_view, result, manager, now(), sub)
        if _without_managed_fields(result) == _without_managed_fields(view(rt, copy.deepcopy(old))):
            return view(rt, copy.deepcopy(old))           # a no-op write changes nothing
        if dry_run:
            return result
        if result["metadata"].get("deletionTimestamp") and not result["metadata"].get("finalizers"):
            return self._remove(rt, namespace, name)
        self.store.put(rt.group_resource, result)
        self._written(rt, result, sub)
        return result

    def _normalize(self, rt: ResourceType, obj: dict, old: dict | None) -> None:
        """Per-kind server behaviour on every main-resource write."""
        if rt.group_resource == ("", "secrets"):
            _normalize_secret(obj)
        elif rt.group_resource == ("", "services"):
            if old is not None:
                _keep_allocations(obj, old)
            self._allocate(rt, obj)

    # apply ---------------------------------------------------------------------------------

    def apply(self, rt: ResourceType, namespace: str, name: str, applied: dict, *, manager: str,
              force: bool, sub: str = "", dry_run: bool = False) -> tuple[dict, bool]:
        """Server-side apply; returns (object, created)."""
        if not isinstance(applied, dict):
            raise bad_request("the applied configuration is not an object")
        if not applied.get("apiVersion") or not applied.get("kind"):
            raise bad_request("apiVersion and kind must be set in an applied configuration")
        if applied["apiVersion"] != rt.group_version or applied["kind"] != rt.kind:
            raise bad_request(f"the applied configuration is a {applied['kind']} "
                              f"({applied['apiVersion']}), not a {rt.kind} ({rt.group_version})")
        meta = applied.setdefault("metadata", {})
        if meta.get("name") not in (None, name):
            raise bad_request(f"the name of the object ({meta.get('name')}) does not match the "
                              f"name on the URL ({name})")
        meta["name"] = name
        live = self.store.get(rt.group_resource, namespace, name)
        if live is None and sub:
            raise not_found(rt.group, rt.plural, name)
        if live is not None:
            view(rt, live)
        try:
            result = patching.server_side_apply(live, applied, manager, force, now(),
                                                subresource=sub)
        except patching.ApplyConflict as exc:
            causes = exc.causes or [{"reason": "FieldManagerConflict", "field": path,
                                     "message": f'conflict with "{who}"'}
                                    for who, path in exc.conflicts]
            raise StatusError(409, "Conflict", str(exc),
                              {"name": name, "group": rt.group, "kind": rt.plural,
                               "causes": causes}) from None
        except patching.PatchError as exc:
            raise invalid(rt.kind, rt.group, name, [("", "FieldValueInvalid", str(exc))]) from None
        if live is None:
            return self.create(rt, namespace, result, manager=manager, dry_run=dry_run,
                               managed=False), True
        return self.update(rt, live, result, manager=manager, sub=sub, dry_run=dry_run,
                           managed=False), False

    # delete --------------------------------------------------------------------------------

    def delete(self, rt: ResourceType, namespace: str, name: str, *, dry_run: bool = False,
               preconditions: dict | None = None, grace_period: int | None = None) -> dict:
        """DELETE: returns what kube returns: the object marked for deletion while finalizers
        hold it, else `deletion_answer` (the deleted object or a Success Status)."""
        obj = self.get(rt, namespace, name)
        meta = obj["metadata"]
        pre = preconditions or {}
        if pre.get("uid") not in (None, meta.get("uid")) or \
                pre.get("resourceVersion") not in (None, meta.get("resourceVersion")):
            raise conflict(rt.group, rt.plural, name)
        if rt.group_resource == NAMESPACES and name in PROTECTED_NAMESPACES:
            raise StatusError(403, "Forbidden", f'namespaces "{name}" is forbidden: this '
                              "namespace may not be deleted",
                              {"name": name, "kind": "namespaces"})
        if meta.get("finalizers") and rt.group_resource != NAMESPACES:
            if meta.get("deletionTimestamp"):
                return obj
            marked = mark_deleting(rt, obj, grace_period)
            if not dry_run:
                self.store.put(rt.group_resource, marked)
            return marked
        deleted = obj if dry_run else self._remove(rt, namespace, name)
        return deletion_answer(rt, deleted, grace_period)

    def _remove(self, rt: ResourceType, namespace: str, name: str) -> dict:
        if rt.group_resource == NAMESPACES:
            for gr, child in list(self.store.keys_in_namespace(name)):
                self.store.remove(gr, name, child)
        removed = self.store.remove(rt.group_resource, namespace, name)
        if removed is None:
            raise not_found(rt.group, rt.plural, name)
        view(rt, removed)
        if rt.group_resource == NAMESPACES:
            removed["metadata"]["deletionTimestamp"] = now()
            removed["status"] = {"phase": "Terminating"}
        if rt.group_resource == CRD_GROUP_RESOURCE:
            spec = removed.get("spec") or {}
            gr = (spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
            for obj in self.store.list(gr):
                meta = obj["metadata"]
                self.store.remove(gr, meta.get("namespace", ""), meta["name"])
            self.refresh_crds()
        for hook in self.on_remove:
            hook(rt, removed)
        return removed

    # hooks ---------------------------------------------------------------------------------

    def refresh_crds(self) -> None:
        self.registry.set_crds(self.store.list(CRD_GROUP_RESOURCE))

    def _written(self, rt: ResourceType, obj: dict, sub: str = "") -> None:
        if rt.group_resource == CRD_GROUP_RESOURCE:
            self.refresh_crds()
        for hook in self.on_write:
            hook(rt, obj, sub)

    # seeding -------------------------------------------------------------------------------

    def seed(self, nodes: list[dict]) -> None:
        """The namespaces every cluster starts with, and the given Node objects."""
        ns_type = self.registry.lookup("", "v1", "namespaces")
        node_type = self.registry.lookup("", "v1", "nodes")
        for name in INITIAL_NAMESPACES:
            self.create(ns_type, "", {"metadata": {"name": name}}, manager="kube-apiserver")
        for node in nodes:
            node = copy.deepcopy(node)
            self.create(node_type, "", node, manager="kubelet", keep_status=True)
