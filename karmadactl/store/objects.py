"""Tx: reading and writing stored objects, secrets and events in one transaction.

Objects behave like they do in a Kubernetes API server: create fills in uid,
resourceVersion, creationTimestamp and generation; update is a
compare-and-swap on resourceVersion; an update that changes nothing writes
nothing (so a level-based reconcile pass that finds nothing to do leaves every
resourceVersion alone).
"""

from __future__ import annotations

import builtins
import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from karmadactl.errors import AlreadyExists, Conflict, InvalidInput, NotFound, StoreError
from karmadactl.store import schema
from karmadactl.store.keys import ObjectKey, describe, object_key

OBJ = schema.objects
S = schema.secrets
E = schema.events


def rfc3339(t: datetime) -> str:
    """Seconds resolution, UTC, "Z": how Kubernetes writes timestamps."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(t: datetime) -> str:
    """Fixed width with microseconds, so text order is time order in any database."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_event_time(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _encode(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"{what} cannot be stored: {e}") from None


def _decode(body: str, resource_version: int) -> dict:
    obj = json.loads(body)
    obj.setdefault("metadata", {})["resourceVersion"] = str(resource_version)
    return obj


def _content(obj: dict) -> dict:
    """What generation counts changes of: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _expected_version(obj: dict, what: str) -> int:
    rv = obj.get("metadata", {}).get("resourceVersion")
    if rv in (None, ""):
        raise InvalidInput(f"{what} has no metadata.resourceVersion; read it before updating it")
    try:
        return int(rv)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} has an invalid metadata.resourceVersion {rv!r}") from None


def _is_read(stored: dict | None, row: Any) -> bool:
    """True when `stored` is the object as the row holds it (its uid, at its resourceVersion)."""
    if stored is None:
        return False
    meta = stored["metadata"]
    return (meta.get("resourceVersion"), meta.get("uid")) == (str(row.resource_version), row.uid)


class ObjectVersion(NamedTuple):
    """One stored object's identity and version, without its body."""

    group_kind: str
    namespace: str
    name: str
    uid: str
    resource_version: int


def fingerprint(versions: Iterable[ObjectVersion]) -> str:
    """A digest of object versions: any create, update or delete (a re-created object too: a new uid)
    gives another one."""
    digest = hashlib.sha256()
    for v in versions:
        digest.update(f"{v.group_kind}\0{v.namespace}\0{v.name}\0{v.uid}\0{v.resource_version}\n".encode())
    return digest.hexdigest()


class StaleWrite(Conflict):
    """A compare-and-swap lost to another writer: re-reading and trying again will do
    (unlike a Conflict with a precondition the user gave)."""


def _conflict(what: str, actual: int | str, expected: int | str) -> Conflict:
    return StaleWrite(
        f"{what} was modified by someone else (resourceVersion {actual}, expected {expected}); "
        "re-read and try again"
    )


RETRY_ATTEMPTS = 10


def retrying(store, fn: Callable[[Tx], Any], attempts: int = RETRY_ATTEMPTS) -> Any:
    """Run fn in a write transaction; when it loses a race (a compare-and-swap or a create beaten by
    another writer, a busy or deadlocked database), run all of it again on a fresh read, after a
    short random pause so that the racers fall out of step. The last failure is raised."""
    import random
    import time

    from karmadactl.store.database import StoreBusy

    for attempt in range(attempts):
        try:
            with store.write() as tx:
                return fn(tx)
        except (StaleWrite, AlreadyExists, StoreBusy):
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    raise AssertionError("unreachable")  # pragma: no cover


class Tx:
    """One database transaction. Get one from Store.read() or Store.write()."""

    def __init__(self, conn: Connection, *, writable: bool):
        self._conn = conn
        self.writable = writable
        # SQLite writers hold the whole database from BEGIN IMMEDIATE; elsewhere
        # a writer locks each row it reads (SELECT ... FOR UPDATE), so a
        # read-modify-write inside one write transaction cannot be overtaken.
        self._lock_rows = writable and conn.dialect.name != "sqlite"

    def serialize(self, name: str) -> None:
        """Hold a named lock until this write transaction ends, so that the
        transactions taking the same name run one after another (a whole
        read-plan-write pass, e.g. reconcile). SQLite writers already hold
        the whole database from BEGIN IMMEDIATE; PostgreSQL takes an
        advisory lock."""
        self._need_write()
        if self._conn.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def _need_write(self) -> None:
        if not self.writable:
            raise StoreError("cannot write in a read-only store transaction")

    # -- objects ---------------------------------------------------------

    def _row(self, key: ObjectKey):  # noqa: ANN202
        q = select(OBJ.c.uid, OBJ.c.resource_version, OBJ.c.generation, OBJ.c.body).where(
            OBJ.c.group_kind == key.gk, OBJ.c.namespace == key.namespace, OBJ.c.name == key.name
        )
        if self._lock_rows:
            q = q.with_for_update()
        return self._conn.execute(q).first()

    def get(self, key: ObjectKey) -> dict | None:
        row = self._row(key)
        return None if row is None else _decode(row.body, row.resource_version)

    def _rows(self, keys: builtins.list[ObjectKey], *, bodies: bool = True, lock: bool | None = None
              ) -> dict[ObjectKey, Any]:
        """The rows of many keys (without `bodies`: name, uid, resourceVersion and generation only): one
        SELECT per group-kind and namespace (and 500 names). A writer locks the rows it reads with
        their bodies, or those read with `lock`."""
        columns = [OBJ.c.name, OBJ.c.uid, OBJ.c.resource_version, OBJ.c.generation]
        if bodies:
            columns.append(OBJ.c.body)
        locked = self._lock_rows and (bodies if lock is None else lock)
        by_place: dict[tuple[str, str], set[str]] = {}
        for key in keys:
            by_place.setdefault((key.gk, key.namespace), set()).add(key.name)
        found = {}
        for (gk, namespace), wanted in by_place.items():
            names = sorted(wanted)
            for start in range(0, len(names), 500):       # keep the IN list within SQL limits
                q = select(*columns).where(
                    OBJ.c.group_kind == gk, OBJ.c.namespace == namespace, OBJ.c.name.in_(names[start:start + 500]))
                if locked:
                    q = q.with_for_update()
                for row in self._conn.execute(q):
                    found[ObjectKey(gk, namespace, row.name)] = row
        return found

    def get_many(self, keys: builtins.list[ObjectKey]) -> dict[ObjectKey, dict]:
        """The stored objects of these keys (the missing ones left out), as get() reads each."""
        return {key: _decode(row.body, row.resource_version) for key, row in self._rows(keys).items()}

    def list(
        self,
        gk: str,
        namespace: str | None = None,
        selector: Callable[[dict], bool] | None = None,
        containing: builtins.list[str] | tuple[str, ...] = (),
    ) -> list[dict]:
        """Objects of one group-kind, sorted by (namespace, name).

        namespace None means every namespace; "" means cluster-scoped only.
        containing: only objects whose stored JSON holds one of these strings (say a label's key,
        quoted), a cheap first cut made by the database before `selector` looks at what is left.
        """
        q = select(OBJ.c.namespace, OBJ.c.name, OBJ.c.resource_version, OBJ.c.body).where(OBJ.c.group_kind == gk)
        if namespace is not None:
            q = q.where(OBJ.c.namespace == namespace)
        if containing:
            q = q.where(or_(*(OBJ.c.body.contains(part, autoescape=True) for part in containing)))
        rows = sorted(self._conn.execute(q).all(), key=lambda r: (r.namespace, r.name))
        out = [_decode(r.body, r.resource_version) for r in rows]
        return [o for o in out if selector(o)] if selector else out

    def versions(self, gk: str, namespace: str) -> dict[str, tuple[str, str]]:
        """name -> (uid, resourceVersion) of the objects of one group-kind in one namespace, bodies
        unread: whether objects read earlier are still current (the uid tells a re-created one)."""
        q = select(OBJ.c.name, OBJ.c.uid, OBJ.c.resource_version).where(
            OBJ.c.group_kind == gk, OBJ.c.namespace == namespace)
        return {r.name: (r.uid or "", str(r.resource_version)) for r in self._conn.execute(q)}

    def versions_of(self, keys: builtins.list[ObjectKey]) -> dict[ObjectKey, tuple[str, int]]:
        """(uid, resourceVersion) of the stored objects of these keys (the missing ones left out),
        bodies unread."""
        return {key: (row.uid or "", row.resource_version) for key, row in self._rows(keys, bodies=False).items()}

    def object_versions(self, group_kinds: Iterable[str] | None = None) -> builtins.list[ObjectVersion]:
        """(group_kind, namespace, name, uid, resource_version) of every stored object (of these
        group-kinds), bodies unread, sorted: what changed since an earlier look (fingerprint())."""
        q = select(OBJ.c.group_kind, OBJ.c.namespace, OBJ.c.name, OBJ.c.uid, OBJ.c.resource_version)
        if group_kinds is not None:
            q = q.where(OBJ.c.group_kind.in_(builtins.list(group_kinds)))
        return sorted(map(ObjectVersion._make, self._conn.execute(q).all()))

    def group_kinds(self) -> builtins.list[str]:
        """Every group-kind that has at least one stored object, sorted."""
        return sorted(r[0] for r in self._conn.execute(select(OBJ.c.group_kind).distinct()).all())

    def create(self, obj: dict) -> dict:
        """Store a new object; AlreadyExists if its key is taken."""
        return self.create_many([obj])[0]

    def create_many(self, objs: builtins.list[dict], copies: bool = True) -> builtins.list[dict]:
        """Store new objects with one existence check per group-kind and one INSERT; all or nothing.
        Returns them as stored: copies of their own, or with `copies=False` sharing nested values
        with the given objects (not to be changed)."""
        self._need_write()
        keys = [object_key(obj) for obj in objs]
        by_gk: dict[str, set[tuple[str, str]]] = {}
        for key in keys:
            by_gk.setdefault(key.gk, set()).add((key.namespace, key.name))
        for gk, wanted in by_gk.items():
            names = sorted({name for _, name in wanted})
            for start in range(0, len(names), 500):       # keep the IN list within SQL limits
                rows = self._conn.execute(select(OBJ.c.namespace, OBJ.c.name).where(
                    OBJ.c.group_kind == gk, OBJ.c.name.in_(names[start:start + 500]))).all()
                taken = [(r.namespace, r.name) for r in rows if (r.namespace, r.name) in wanted]
                if taken:
                    raise AlreadyExists(f"{describe(ObjectKey(gk, *taken[0]))} already exists")
        if len(set(keys)) != len(keys):
            twice = next(k for k in keys if keys.count(k) > 1)
            raise AlreadyExists(f"{describe(twice)} given twice")
        stamp = rfc3339(_now())
        new_rows: list[dict] = []
        bodies = []
        for obj, key in zip(objs, keys):
            uid = str(uuid.uuid4())
            meta = {**obj["metadata"], "uid": uid, "resourceVersion": "1", "creationTimestamp": stamp,
                    "generation": 1}
            bodies.append({**obj, "metadata": meta})
            new_rows.append({"group_kind": key.gk, "namespace": key.namespace, "name": key.name,
                             "uid": uid, "resource_version": 1, "generation": 1,
                             "body": _encode(bodies[-1], describe(key))})
        if new_rows:
            try:
                self._conn.execute(insert(OBJ), new_rows)
            except IntegrityError:  # created by a concurrent writer since our check
                raise AlreadyExists(f"{describe(keys[0])} or another of {len(new_rows)} objects "
                                    "already exists") from None
        if not copies:
            return bodies
        return [json.loads(row["body"]) for row in new_rows]      # the caller's own copies

    def update(self, obj: dict) -> dict:
        """Replace an object if nobody changed it since it was read.

        The caller's metadata.resourceVersion must match the stored one
        (Conflict otherwise). uid and creationTimestamp are kept from the
        stored copy; generation goes up when anything outside metadata and
        status changed. An update that changes nothing writes nothing.
        """
        result, written = self._update_all([obj])[0]
        return copy.deepcopy(result) if written else result

    def update_many(self, objs: builtins.list[dict], read: dict[ObjectKey, dict] | None = None
                    ) -> builtins.list[dict]:
        """update() of many objects: one read per group-kind and namespace, one statement for the
        writes. Each object keeps its own compare-and-swap: one read at another resourceVersion
        raises Conflict (and the caller's transaction writes nothing). Returns what update() would
        return for each; the objects written share nested values with the given ones.

        `read`: stored objects as the caller read them (and never changed): the body of one still
        at that uid and resourceVersion is neither read nor decoded again (and is what an unchanged
        update returns)."""
        return [result for result, _ in self._update_all(objs, read)]

    def _update_all(self, objs: builtins.list[dict], read: dict[ObjectKey, dict] | None = None
                    ) -> builtins.list[tuple[dict, bool]]:
        """(stored object, written?) for each object, as update() describes."""
        self._need_write()
        keys = [object_key(obj) for obj in objs]
        if len(set(keys)) != len(keys):
            twice = next(k for k in keys if keys.count(k) > 1)
            raise InvalidInput(f"{describe(twice)} given twice in one update")
        read = read or {}
        if len(keys) == 1:
            rows = {keys[0]: self._row(keys[0])}
        elif read:       # the bodies of the objects still as read are not read again
            rows = self._rows(keys, bodies=False, lock=True)
            rows.update(self._rows([k for k, row in rows.items() if not _is_read(read.get(k), row)]))
        else:
            rows = self._rows(keys)
        results: builtins.list[tuple[dict, bool]] = []
        changes: builtins.list[dict] = []
        for obj, key in zip(objs, keys):
            what = describe(key)
            expected = _expected_version(obj, what)
            row = rows.get(key)
            if row is None:
                raise NotFound(f"{what} not found")
            if row.resource_version != expected:
                raise _conflict(what, row.resource_version, expected)
            given_uid = obj["metadata"].get("uid")
            if given_uid and given_uid != row.uid:
                raise StaleWrite(f"{what} was deleted and created again since it was read; re-read and try again")
            stored = read.get(key)
            if stored is None or not _is_read(stored, row):
                stored = _decode(row.body, row.resource_version)
            body = {**obj, "metadata": dict(obj["metadata"])}
            meta = body["metadata"]
            meta["uid"] = row.uid
            if "creationTimestamp" in stored["metadata"]:
                meta["creationTimestamp"] = stored["metadata"]["creationTimestamp"]
            generation = row.generation + (_content(body) != _content(stored))
            meta["generation"] = generation
            meta["resourceVersion"] = str(row.resource_version)
            if body == stored:
                results.append((stored, False))
                continue
            meta["resourceVersion"] = str(row.resource_version + 1)
            changes.append({"k_gk": key.gk, "k_namespace": key.namespace, "k_name": key.name,
                            "k_version": expected, "new_version": row.resource_version + 1,
                            "new_generation": generation, "new_body": _encode(body, what)})
            results.append((body, True))
        if changes:
            self._write_changes(changes)
        return results

    def _write_changes(self, changes: builtins.list[dict]) -> None:
        """One UPDATE per changed row, sent as one statement; each only where the row is still at the
        resourceVersion that was read."""
        statement = update(OBJ).where(
            OBJ.c.group_kind == bindparam("k_gk"), OBJ.c.namespace == bindparam("k_namespace"),
            OBJ.c.name == bindparam("k_name"), OBJ.c.resource_version == bindparam("k_version"),
        ).values(resource_version=bindparam("new_version"), generation=bindparam("new_generation"),
                 body=bindparam("new_body"))
        result = self._conn.execute(statement, changes)
        if result.rowcount == len(changes):
            return
        for change in changes:      # changed between our read and our write: say which
            key = ObjectKey(change["k_gk"], change["k_namespace"], change["k_name"])
            now = self._row(key)
            if now is None:
                raise NotFound(f"{describe(key)} not found")
            if now.resource_version != change["new_version"]:
                raise _conflict(describe(key), now.resource_version, change["k_version"])
        raise StaleWrite(f"{len(changes) - result.rowcount} of {len(changes)} objects changed while written")

    def delete(self, key: ObjectKey, resource_version: str | None = None) -> dict:
        """Remove an object and return its last state.

        With resource_version, only if it still is at that version (Conflict).
        """
        self._need_write()
        what = describe(key)
        row = self._row(key)
        if row is None:
            raise NotFound(f"{what} not found")
        if resource_version is not None and str(row.resource_version) != str(resource_version):
            raise _conflict(what, row.resource_version, resource_version)
        result = self._conn.execute(
            delete(OBJ).where(
                OBJ.c.group_kind == key.gk,
                OBJ.c.namespace == key.namespace,
                OBJ.c.name == key.name,
                OBJ.c.resource_version == row.resource_version,
            )
        )
        if result.rowcount != 1:  # changed between our read and our write
            now = self._row(key)
            if now is None:
                raise NotFound(f"{what} not found")
            raise _conflict(what, now.resource_version, row.resource_version)
        return _decode(row.body, row.resource_version)

    # -- secrets ---------------------------------------------------------

    def put_secret(self, name: str, data: dict) -> None:
        """Store (or replace) credentials under a name, e.g. a cluster's."""
        self._need_write()
        text = _encode(data, f'secret "{name}"')
        stamp = rfc3339(_now())
        exists = self._conn.execute(select(S.c.name).where(S.c.name == name)).first()
        if exists:
            self._conn.execute(update(S).where(S.c.name == name).values(data=text, updated=stamp))
        else:
            self._conn.execute(insert(S).values(name=name, data=text, updated=stamp))

    def get_secret(self, name: str) -> dict | None:
        text = self._conn.execute(select(S.c.data).where(S.c.name == name)).scalar()
        return None if text is None else json.loads(text)

    def list_secrets(self, prefix: str) -> builtins.list[tuple[str, dict]]:
        """(name, data) of the secrets whose names start with `prefix`, by name."""
        rows = self._conn.execute(select(S.c.name, S.c.data).where(S.c.name.startswith(prefix, autoescape=True))
                                  .order_by(S.c.name))
        return [(row.name, json.loads(row.data)) for row in rows]

    def delete_secret(self, name: str) -> None:
        """Forget a secret; nothing happens if there is none."""
        self._need_write()
        self._conn.execute(delete(S).where(S.c.name == name))

    # -- events ----------------------------------------------------------

    def add_event(
        self,
        *,
        kind: str,
        name: str,
        namespace: str = "",
        type: str = "Normal",  # noqa: A002 - the Kubernetes field name
        reason: str,
        message: str,
    ) -> None:
        self.add_events([{"kind": kind, "namespace": namespace, "name": name, "type": type,
                          "reason": reason, "message": message}])

    def add_events(self, events: builtins.list[dict]) -> None:
        """Several events in one statement: dicts with kind, name, reason, message, [namespace, type]."""
        self._need_write()
        if not events:
            return
        stamp = event_time(_now())
        self._conn.execute(insert(E), [
            {"time": stamp, "kind": e["kind"], "namespace": e.get("namespace", ""), "name": e["name"],
             "type": e.get("type", "Normal"), "reason": e["reason"], "message": e["message"]}
            for e in events])

    def events(
        self, *, kind: str | None = None, name: str | None = None, since: datetime | None = None
    ) -> builtins.list[dict]:
        """Events oldest first; ``time`` is a timezone-aware UTC datetime."""
        q = select(E).order_by(E.c.time, E.c.id)
        if kind is not None:
            q = q.where(E.c.kind == kind)
        if name is not None:
            q = q.where(E.c.name == name)
        if since is not None:
            if since.tzinfo is None:
                raise ValueError("since must be timezone-aware")
            q = q.where(E.c.time >= event_time(since))
        return [
            {
                "time": parse_event_time(r.time),
                "kind": r.kind,
                "namespace": r.namespace,
                "name": r.name,
                "type": r.type,
                "reason": r.reason,
                "message": r.message,
            }
            for r in self._conn.execute(q)
        ]
