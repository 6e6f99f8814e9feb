"""In-memory object storage of a sandbox member, with watch fan-out.

Objects are kept per group and plural (the version is only a view), keyed by
(namespace, name). Every write takes the next value of one global
resourceVersion counter and is recorded in a bounded history, from which
watches started at an older resourceVersion are replayed. All methods are
synchronous and are called from the server's event loop only, so each write
is atomic.
"""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

GroupResource = tuple[str, str]
Key = tuple[str, str]                     # (namespace or "", name)


class StatusError(Exception):
    """A failure the server reports as a kube `Status` body."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


def _details(group: str, plural: str, name: str) -> dict:
    details = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def _qualified(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{_qualified(group, plural)} "{name}" not found',
                       _details(group, plural, name))


def already_exists(group: str, plural: str, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{_qualified(group, plural)} "{name}" already exists',
                       _details(group, plural, name))


def conflict(group: str, plural: str, name: str) -> StatusError:
    return StatusError(409, "Conflict",
                       f'Operation cannot be fulfilled on {_qualified(group, plural)} "{name}": '
                       "the object has been modified; please apply your changes to the latest "
                       "version and try again", _details(group, plural, name))


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> StatusError:
    """422 Invalid; causes are (field, reason, message) as kube lists them."""
    qualified = f"{kind}.{group}" if group else kind
    text = ", ".join(f"{f}: {m}" for f, _, m in causes)
    message = f'{qualified} "{name}" is invalid: {text}'
    details = {"name": name, "kind": kind,
               "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes]}
    if group:
        details["group"] = group
    return StatusError(422, "Invalid", message, details)


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


@dataclass(frozen=True)
class Event:
    rv: int
    type: str                   # ADDED, MODIFIED, DELETED
    group_resource: GroupResource
    namespace: str
    obj: dict
    old: dict | None = None     # the object before a MODIFIED write


@dataclass(eq=False)
class Watcher:
    """One open watch: a queue of events for one resource (and namespace)."""

    group_resource: GroupResource
    namespace: str | None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)

    def wants(self, event: Event) -> bool:
        return (event.group_resource == self.group_resource
                and (self.namespace is None or event.namespace == self.namespace))


class ObjectStore:
    """All objects of one member. get and list return copies; peek and the events hand out the stored
    objects themselves, which are never changed in place (a put stores a copy of what it is given)."""

    def __init__(self, history: int = 10000):
        self.rv = 0
        self._objects: dict[GroupResource, dict[Key, dict]] = {}
        self._history: deque[Event] = deque(maxlen=history)
        self._dropped_before = 0        # rv of the newest event that fell out of history
        self._watchers: set[Watcher] = set()

    def next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def get(self, gr: GroupResource, namespace: str, name: str) -> dict | None:
        obj = self._objects.get(gr, {}).get((namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def exists(self, gr: GroupResource, namespace: str, name: str) -> bool:
        return (namespace, name) in self._objects.get(gr, {})

    def list(self, gr: GroupResource, namespace: str | None = None,
             match: Callable[[dict], bool] | None = None) -> list[dict]:
        return [copy.deepcopy(obj) for obj in self.peek(gr, namespace, match)]

    def peek(self, gr: GroupResource, namespace: str | None = None,
             match: Callable[[dict], bool] | None = None) -> list[dict]:
        """The stored objects themselves, sorted by (namespace, name), not copied: for reading only."""
        items = self._objects.get(gr, {})
        return [obj for (ns, _), obj in sorted(items.items())
                if (namespace is None or ns == namespace) and (match is None or match(obj))]

    def keys_in_namespace(self, namespace: str) -> Iterator[tuple[GroupResource, str]]:
        """(group_resource, name) of every object in one namespace."""
        for gr, items in list(self._objects.items()):
            for ns, name in list(items):
                if ns == namespace:
                    yield gr, name

    def put(self, gr: GroupResource, obj: dict) -> dict:
        """Store a full object (a new rv is set here) and emit ADDED or MODIFIED."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        items = self._objects.setdefault(gr, {})
        old = items.get(key)
        meta["resourceVersion"] = self.next_rv()
        stored = items[key] = copy.deepcopy(obj)     # never changed in place: events share it
        self._emit(Event(self.rv, "MODIFIED" if old else "ADDED", gr, key[0], stored, old))
        return obj

    def remove(self, gr: GroupResource, namespace: str, name: str) -> dict | None:
        """Delete one object (a new rv marks the deletion) and emit DELETED."""
        stored = self._objects.get(gr, {}).pop((namespace, name), None)
        if stored is None:
            return None
        obj = copy.deepcopy(stored)                  # the history's events still hold `stored`
        obj["metadata"]["resourceVersion"] = self.next_rv()
        self._emit(Event(self.rv, "DELETED", gr, namespace, copy.deepcopy(obj)))
        return obj

    def _emit(self, event: Event) -> None:
        if len(self._history) == self._history.maxlen:
            self._dropped_before = self._history[0].rv
        self._history.append(event)
        for watcher in list(self._watchers):
            if watcher.wants(event):
                watcher.queue.put_nowait(event)

    def watch(self, gr: GroupResource, namespace: str | None, since: int | None) -> Watcher:
        """Open a watch. since=None: synthetic ADDED for what exists now, then live events;
        since=N: every event after N, then live events. Too old an N raises 410 Expired."""
        watcher = Watcher(gr, namespace)
        if since is None:
            for obj in self.list(gr, namespace):
                meta = obj["metadata"]
                watcher.queue.put_nowait(Event(int(meta["resourceVersion"]), "ADDED", gr,
                                               meta.get("namespace", ""), obj))
        else:
            if since < self._dropped_before:
                raise gone(f"too old resource version: {since} ({self._dropped_before + 1})")
            for event in self._history:
                if event.rv > since and watcher.wants(event):
                    watcher.queue.put_nowait(event)
        self._watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)
