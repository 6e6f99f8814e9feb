"""A fleet of fake member clusters for controller tests: in memory, no process, no socket.

`FakeMember` answers the MemberClient calls the controllers make (health,
version, discover, get, list, apply, merge_patch, delete, get_json) from a
dict of objects. Apply merges like server-side apply as far as the
controllers need: a field manager's fields replace what it applied before,
fields of other writers stay, and an apply that changes nothing keeps the
resourceVersion. A member can be given a fault: "unreachable" (no answer),
"5xx" (every write refused with 500) or "conflict" (every apply refused
with 409).

`FakeFleet.factory` is what `members.fanout.Fleet(store, factory=...)` takes.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter

from karmadactl.errors import Unreachable
from karmadactl.members.client import ObjectConflict, ObjectNotFound, ServerError

CREATED = "2026-01-01T00:00:00Z"

# what the fake serves: groupVersion -> [(plural, kind, namespaced)]
RESOURCES: dict[str, list[tuple[str, str, bool]]] = {
    "v1": [("configmaps", "ConfigMap", True), ("namespaces", "Namespace", False), ("nodes", "Node", False),
           ("pods", "Pod", True), ("secrets", "Secret", True), ("services", "Service", True)],
    "apps/v1": [("deployments", "Deployment", True)],
}
FAULTS = ("unreachable", "5xx", "conflict")
Key = tuple[str, str, str, str]          # apiVersion, plural, namespace, name


def node(name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110") -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                       "capacity": {"cpu": cpu, "memory": memory, "pods": pods},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


class FakeMember:
    """One member cluster's API, in memory."""

    def __init__(self, name: str, *, version: str = "v1.31.0", nodes: int = 1):
        self.name = name
        self.git_version = version
        self.fault: str | None = None
        self.ready = True                        # False: /readyz answers 500
        self.objects: dict[Key, dict] = {}
        self.requests: Counter[str] = Counter()
        self.closed = 0
        self._revision = 0
        self._applied: dict[tuple[Key, str], dict] = {}     # (object, field manager) -> what it applied
        self._lock = threading.Lock()
        for i in range(nodes):
            self.put(node(f"{name}-node-{i}"))

    def __repr__(self) -> str:
        return f"FakeMember({self.name!r})"

    # -- test helpers -------------------------------------------------------------------------

    def put(self, obj: dict) -> dict:
        """Store an object as the member's own controllers would (no field manager)."""
        obj = copy.deepcopy(obj)
        key = self._key_of(obj)
        with self._lock:
            self._stamp(obj, self.objects.get(key))
            self.objects[key] = obj
        return copy.deepcopy(obj)

    def find(self, kind: str, name: str, namespace: str = "") -> dict | None:
        for (_, _, ns, obj_name), obj in self.objects.items():
            if obj.get("kind") == kind and obj_name == name and ns == namespace:
                return obj
        return None

    def set_status(self, kind: str, name: str, namespace: str, status: dict) -> None:
        obj = self.find(kind, name, namespace)
        assert obj is not None, f"{self.name}: no {kind} {namespace}/{name}"
        obj["status"] = copy.deepcopy(status)

    def names(self, kind: str) -> list[str]:
        return sorted(f"{ns + '/' if ns else ''}{name}" for (_, _, ns, name), obj in self.objects.items()
                      if obj.get("kind") == kind)

    # -- MemberClient ---------------------------------------------------------------------------

    def health(self) -> tuple[str, str]:
        self.requests["GET"] += 1
        if self.fault == "unreachable":
            return "Unreachable", f"cluster {self.name}: connection refused"
        if not self.ready:
            return "NotReady", "/readyz answered status 500: [-]etcd failed"
        return "Ready", "/readyz answered ok"

    def version(self) -> dict:
        self._answer("GET")
        return {"gitVersion": self.git_version}

    def discover(self) -> tuple[list[dict], list[str]]:
        self._answer("GET")
        return [{"groupVersion": gv, "resources": [{"name": plural, "kind": kind} for plural, kind, _ in rs]}
                for gv, rs in sorted(RESOURCES.items())], []

    def api_enablements(self) -> list[dict]:
        return self.discover()[0]

    def get_json(self, path: str, query: dict | None = None, *, what: str = "") -> dict:
        self._answer("GET")
        if path == "/version":
            return {"gitVersion": self.git_version}
        raise ObjectNotFound(self.name, 404, "NotFound", f"{path} not served", what or f"GET {path}")

    def get(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> dict | None:
        self._answer("GET")
        with self._lock:
            obj = self.objects.get((api_version, plural, namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, api_version: str, plural: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict]:
        self._answer("GET")
        wanted = dict(term.split("=", 1) for term in (label_selector or "").split(",") if term)
        with self._lock:
            return [copy.deepcopy(obj) for (av, pl, ns, _), obj in sorted(self.objects.items())
                    if av == api_version and pl == plural and (namespace is None or ns == namespace)
                    and all(((obj["metadata"].get("labels") or {}).get(k) == v) for k, v in wanted.items())]

    def apply(self, obj: dict, plural: str, *, field_manager: str = "karmadactl", force: bool = False) -> dict:
        self._answer("PATCH", write=True)
        if self.fault == "conflict":
            raise ObjectConflict(self.name, 409, "Conflict", "Apply failed with 1 conflict: conflict with "
                                 '"kubectl": .spec', f"apply {plural} {obj['metadata']['name']}")
        key = (obj["apiVersion"], plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        applied = _without_server_fields(obj)
        with self._lock:
            live = self.objects.get(key)
            merged = copy.deepcopy(live) if live is not None else {}
            before = self._applied.get((key, field_manager))
            if before is not None:
                _drop(merged, before, applied)
            _merge(merged, applied)
            self._applied[(key, field_manager)] = applied
            if live is None or _without_server_fields(merged) != _without_server_fields(live):
                self._stamp(merged, live)
                self.objects[key] = merged
            return copy.deepcopy(self.objects[key])

    def merge_patch(self, api_version: str, plural: str, name: str, namespace: str | None, patch: dict) -> dict:
        self._answer("PATCH", write=True)
        key = (api_version, plural, namespace or "", name)
        with self._lock:
            live = self.objects.get(key)
            if live is None:
                raise ObjectNotFound(self.name, 404, "NotFound", f'{plural} "{name}" not found')
            patched = _merge_patch(copy.deepcopy(live), patch)
            self._stamp(patched, live)
            self.objects[key] = patched
            return copy.deepcopy(patched)

    def delete(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> bool:
        self._answer("DELETE", write=True)
        key = (api_version, plural, namespace or "", name)
        with self._lock:
            for applied in [k for k in self._applied if k[0] == key]:
                del self._applied[applied]
            return self.objects.pop(key, None) is not None

    def close(self) -> None:
        self.closed += 1

    # -- plumbing -----------------------------------------------------------------------------

    def _answer(self, method: str, *, write: bool = False) -> None:
        self.requests[method] += 1
        if self.fault == "unreachable":
            raise Unreachable(f"cluster {self.name}: connection refused")
        if write and self.fault == "5xx":
            raise ServerError(self.name, 500, "InternalError", "etcdserver: request timed out")

    def _stamp(self, obj: dict, previous: dict | None) -> None:
        self._revision += 1
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(self._revision)
        meta["uid"] = (previous or {}).get("metadata", {}).get("uid") or f"{self.name}-uid-{self._revision}"
        meta["creationTimestamp"] = (previous or {}).get("metadata", {}).get("creationTimestamp") or CREATED
        meta["generation"] = (previous or {}).get("metadata", {}).get("generation", 0) + 1

    def _key_of(self, obj: dict) -> Key:
        gv, kind = obj["apiVersion"], obj["kind"]
        plural = next(p for p, k, _ in RESOURCES[gv] if k == kind)
        return gv, plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


class FakeFleet:
    """Fake members by name; `factory` makes (or rather finds) a member's client, counting the calls."""

    def __init__(self, *names: str):
        self.members = {name: FakeMember(name) for name in names}
        self.made: Counter[str] = Counter()

    def __getitem__(self, name: str) -> FakeMember:
        return self.members[name]

    def factory(self, cluster) -> FakeMember:
        self.made[cluster.name] += 1
        return self.members[cluster.name]


def _without_server_fields(obj: dict) -> dict:
    body = copy.deepcopy(obj)
    meta = body.get("metadata") or {}
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        meta.pop(key, None)
    return body


def _drop(live: dict, before: dict, now: dict) -> None:
    """Remove from `live` the fields a manager applied before and no longer applies."""
    for key, value in before.items():
        if key not in now:
            live.pop(key, None)
        elif isinstance(value, dict) and isinstance(now[key], dict) and isinstance(live.get(key), dict):
            _drop(live[key], value, now[key])


def _merge(live: dict, applied: dict) -> None:
    for key, value in applied.items():
        if isinstance(value, dict) and isinstance(live.get(key), dict):
            _merge(live[key], value)
        else:
            live[key] = copy.deepcopy(value)


def _merge_patch(target: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            target[key] = _merge_patch(target.get(key) if isinstance(target.get(key), dict) else {}, value)
        else:
            target[key] = copy.deepcopy(value)
    return target
