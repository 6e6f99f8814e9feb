"""Server-side apply with field ownership and the managedFields bookkeeping of ordinary
writes, as pure functions over plain manifests (JSON, merge and strategic merge patches live
in karmadactl/apis/patches.py). The sandbox member cluster's HTTP server calls these; nothing
here does I/O.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from karmadactl.apis.patches import (  # noqa: F401  (the sandbox's PATCH uses the product's patches)
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from karmadactl.sandbox.fieldpaths import (
    KEY_DEFAULTS,
    FieldSetError,
    Flat,
    Path,
    Schema,
    applied_set,
    canonical,
    compare,
    flatten,
    from_fields_v1,
    item_key,
    parse_key_element,
    path_string,
    schema_for,
    to_fields_v1,
)

__all__ = ["PatchError", "ApplyConflict", "apply_json_patch", "apply_merge_patch",
           "apply_strategic_merge_patch", "server_side_apply", "record_update"]


class ApplyConflict(Exception):
    """An apply would change fields other managers own (409 Conflict)."""

    def __init__(self, conflicts: list[tuple[str, str]], message: str,
                 causes: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.conflicts = conflicts          # (manager, ".spec.replicas")
        self.message = message
        self.causes = causes or []          # kube StatusCause bodies

    def __str__(self) -> str:
        return self.message


# ---- managedFields bookkeeping --------------------------------------------------------------

_STRIPPED_ROOTS: set[Path] = {("f:apiVersion",), ("f:kind",), ("f:metadata",)}
_STRIPPED_META: set[Path] = {
    ("f:metadata", "f:" + name) for name in (
        "name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
        "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
        "generateName")}
_SERVER_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")


def _tracked(path: Path, subresource: str) -> bool:
    """Whether a path can be owned by a write to the main resource or to `subresource`."""
    if not path or path in _STRIPPED_ROOTS or path[:2] in _STRIPPED_META:
        return False
    under_status = path[0] == "f:status"
    return under_status if subresource == "status" else not under_status


class _Entry:
    """One managedFields entry, decoded."""

    def __init__(self, raw: dict):
        self.raw = {k: v for k, v in raw.items() if k != "fieldsV1"}
        self.fields: set[Path] = from_fields_v1(raw.get("fieldsV1"))
        self.changed = False

    @property
    def identity(self) -> tuple[str, str, str, str]:
        op = str(self.raw.get("operation", ""))
        version = "" if op == "Apply" else str(self.raw.get("apiVersion", ""))
        return (str(self.raw.get("manager", "")), op, version, str(self.raw.get("subresource", "")))

    def label(self) -> str:
        """How kube names a manager in a conflict message."""
        text = json.dumps(str(self.raw.get("manager", "")))
        if self.raw.get("subresource"):
            text += f" with subresource {json.dumps(str(self.raw['subresource']))}"
        if self.raw.get("operation") == "Update":
            text += f" using {self.raw.get('apiVersion', '')}"
        return text

    def encode(self) -> dict:
        out = {"manager": self.raw.get("manager", ""), "operation": self.raw.get("operation", "")}
        for key in ("apiVersion", "time"):
            if key in self.raw:
                out[key] = self.raw[key]
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = to_fields_v1(self.fields)
        if self.raw.get("subresource"):
            out["subresource"] = self.raw["subresource"]
        return out


def _decode_entries(managed: Any) -> list[_Entry]:
    if not isinstance(managed, list):
        return []
    return [_Entry(e) for e in managed if isinstance(e, dict) and e.get("manager") is not None
            and e.get("operation")]


def _encode_entries(entries: list[_Entry], keep: _Entry | None = None) -> list[dict]:
    """Drop empty entries (but `keep`), sort as kube does, encode."""
    alive = [e for e in entries if e.fields or e is keep]
    alive.sort(key=lambda e: (str(e.raw.get("operation", "")), str(e.raw.get("time") or ""),
                              str(e.raw.get("manager", "")), str(e.raw.get("apiVersion", "")),
                              str(e.raw.get("subresource", ""))))
    return [e.encode() for e in alive]


def _set_managed_fields(obj: dict, encoded: list[dict]) -> dict:
    meta = obj.setdefault("metadata", {})
    if encoded:
        meta["managedFields"] = encoded
    else:
        meta.pop("managedFields", None)
    return obj


def _without_managed_fields(obj: dict) -> dict:
    out = dict(obj)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = {k: v for k, v in out["metadata"].items() if k != "managedFields"}
    return out


def _owned_flat(obj: dict | None, schema: Schema, strict: bool = False) -> Flat:
    return flatten(_without_managed_fields(obj or {}), schema, strict)


def record_update(old: dict | None, new: dict, manager: str, now: str,
                  subresource: str = "") -> dict:
    """A create/PUT/patch by `manager`: it owns what it changed or added; other
    managers lose those fields. Returns `new` (a copy) with managedFields."""
    result = copy.deepcopy(new)
    meta = result.setdefault("metadata", {})
    sent = meta.get("managedFields")
    if isinstance(sent, list) and sent:
        # the client sent managedFields: honoured; a list of empty entries resets them
        entries = _decode_entries(sent)
    else:
        entries = _decode_entries(((old or {}).get("metadata") or {}).get("managedFields"))
    schema = schema_for(new)
    added, modified, removed = compare(_owned_flat(old, schema), _owned_flat(result, schema))
    gained = {p for p in added | modified if _tracked(p, subresource)}
    lost = {p for p in removed if _tracked(p, subresource)}
    if not gained and not lost:
        return _set_managed_fields(result, _encode_entries(entries))
    version = str(new.get("apiVersion", ""))
    mine = next((e for e in entries
                 if e.identity == (manager, "Update", version, subresource)), None)
    if mine is None:
        raw = {"manager": manager, "operation": "Update", "apiVersion": version}
        if subresource:
            raw["subresource"] = subresource
        mine = _Entry(raw)
        entries.append(mine)
    for entry in entries:
        if entry is not mine:
            entry.fields -= gained | lost
    mine.fields = (mine.fields | gained) - lost
    mine.raw["time"] = now
    return _set_managed_fields(result, _encode_entries(entries))


# ---- server-side apply ----------------------------------------------------------------------

def server_side_apply(live: dict | None, applied: dict, manager: str, force: bool, now: str,
                      subresource: str = "") -> dict:
    """Kubernetes server-side apply of `applied` by `manager` onto `live` (None:
    create). Raises ApplyConflict when fields owned by other managers would change
    and not `force`; PatchError for an invalid configuration."""
    if not isinstance(applied, dict):
        raise PatchError("the applied configuration is not an object")
    schema = schema_for(applied)
    config = _apply_config(applied, subresource)
    try:
        config_flat = flatten(config, schema, strict=True)
    except FieldSetError as exc:
        raise PatchError(str(exc)) from None
    owned = {p for p in applied_set(config_flat) if _tracked(p, subresource)}
    version = str(applied.get("apiVersion", ""))

    if live is None:
        merged = config
        entries: list[_Entry] = []
        live_clean: dict = {}
    else:
        entries = _decode_entries((live.get("metadata") or {}).get("managedFields"))
        live_clean = _without_managed_fields(copy.deepcopy(live))
        merged = _merge_value(copy.deepcopy(live_clean), config, schema)
        for name in _SERVER_META:
            if name != "managedFields" and name in (live.get("metadata") or {}):
                merged["metadata"][name] = copy.deepcopy(live["metadata"][name])
    mine = next((e for e in entries if e.identity == (manager, "Apply", "", subresource)), None)
    others = [e for e in entries if e is not mine]

    if live is not None:
        added, modified, _ = compare(flatten(live_clean, schema), flatten(merged, schema))
        changed = {p for p in added | modified if _tracked(p, subresource)}
        _check_conflicts(others, changed, force)
        previous = mine.fields if mine is not None else set()
        owned_now = owned.union(*(e.fields for e in others))
        _prune(merged, previous - owned_now, owned_now)

    if mine is None:
        raw = {"manager": manager, "operation": "Apply", "apiVersion": version, "time": now}
        if subresource:
            raw["subresource"] = subresource
        mine = _Entry(raw)
        entries.append(mine)
    elif mine.fields != owned or _without_managed_fields(merged) != live_clean:
        mine.raw["time"] = now
    mine.raw["apiVersion"] = version
    mine.fields = owned
    merged["metadata"].pop("managedFields", None)
    return _set_managed_fields(merged, _encode_entries(entries, keep=mine))


def _apply_config(applied: dict, subresource: str) -> dict:
    """The part of an applied configuration that is merged: no server-set metadata,
    no status for the main resource (only status for the status subresource), no nulls."""
    config = _drop_nulls(copy.deepcopy(applied))
    meta = config.get("metadata")
    if not isinstance(meta, dict):
        meta = config["metadata"] = {}
    for name in _SERVER_META:
        meta.pop(name, None)
    if subresource == "status":
        keep = ("apiVersion", "kind", "metadata", "status")
        config = {k: v for k, v in config.items() if k in keep}
        config["metadata"] = {k: v for k, v in meta.items() if k in ("name", "namespace")}
    else:
        config.pop("status", None)
    return config


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _merge_value(current: Any, value: Any, schema: Schema) -> Any:
    """structured-merge-diff's merge of an applied value into a live one."""
    if isinstance(value, dict) and isinstance(current, dict) and schema.kind != "atomic":
        for key, sub in value.items():
            current[key] = _merge_value(current.get(key), sub, schema.child(key))
        return current
    if isinstance(value, list) and isinstance(current, list):
        if schema.kind == "set":
            return current + [copy.deepcopy(v) for v in value if v not in current]
        if schema.kind == "assoc":
            return _merge_assoc(current, value, schema)
    return copy.deepcopy(value)


def _merge_assoc(current: list, value: list, schema: Schema) -> list:
    def ident(item: Any) -> str | None:
        try:
            return canonical(item_key(item, schema))
        except FieldSetError:
            return None

    index = {}
    for position, item in enumerate(current):
        key = ident(item)
        if key is None:
            return copy.deepcopy(value)       # live list is not keyed: replace it
        index.setdefault(key, position)
    out = list(current)
    for item in value:
        position = index.get(ident(item))
        if position is None:
            out.append(copy.deepcopy(item))
        else:
            out[position] = _merge_value(out[position], item, schema.element())
    return out


def _check_conflicts(others: list[_Entry], changed: set[Path], force: bool) -> None:
    found: list[tuple[_Entry, Path]] = []
    for entry in others:
        for path in sorted(entry.fields & changed):
            found.append((entry, path))
    if not found:
        return
    if force:
        for entry, path in found:
            entry.fields.discard(path)
        return
    found.sort(key=lambda c: (c[0].identity, c[1]))
    conflicts = [(str(e.raw.get("manager", "")), path_string(p)) for e, p in found]
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {e.label()}",
               "field": path_string(p)} for e, p in found]
    if len(found) == 1:
        entry, path = found[0]
        message = f"Apply failed with 1 conflict: conflict with {entry.label()}: {path_string(path)}"
    else:
        lines: list[str] = []
        last = None
        for entry, path in found:
            if entry.identity != last:
                lines.append(f"conflicts with {entry.label()}:")
                last = entry.identity
            lines.append(f"- {path_string(path)}")
        message = f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
    raise ApplyConflict(conflicts, message, causes)


# ---- removing fields an applier dropped -----------------------------------------------------

def _prune(obj: dict, candidates: set[Path], owned_now: set[Path]) -> None:
    """Remove fields the applier owned before and no longer applies, unless someone
    still owns them or something below them; then drop maps and lists this left empty."""
    kept_prefixes = {p[:i] for p in owned_now for i in range(1, len(p))}
    for path in sorted(candidates, key=len, reverse=True):
        if path in kept_prefixes or not path:
            continue
        if _is_key_of_kept_item(path):
            continue
        if _remove(obj, path):
            _drop_emptied(obj, path[:-1], owned_now)


def _is_key_of_kept_item(path: Path) -> bool:
    if len(path) < 2 or not path[-2].startswith("k:") or not path[-1].startswith("f:"):
        return False
    return path[-1][2:] in parse_key_element(path[-2])


def _locate(obj: Any, element: str) -> tuple[Any, Any] | None:
    """(container, index-or-key) of one path element inside obj, or None."""
    kind, body = element[:1], element[2:]
    if kind == "f" and isinstance(obj, dict) and body in obj:
        return obj, body
    if isinstance(obj, list):
        if kind == "k":
            key = json.loads(body)
            for index, item in enumerate(obj):
                if isinstance(item, dict) and all(
                        item.get(k, KEY_DEFAULTS.get(k)) == v for k, v in key.items()):
                    return obj, index
        elif kind == "v":
            for index, item in enumerate(obj):
                if canonical(item) == body:
                    return obj, index
        elif kind == "i" and body.isdigit() and int(body) < len(obj):
            return obj, int(body)
    return None


def _get(obj: Any, path: Path) -> Any:
    node = obj
    for element in path:
        found = _locate(node, element)
        if found is None:
            return None
        node = found[0][found[1]]
    return node


def _remove(obj: dict, path: Path) -> bool:
    parent = _get(obj, path[:-1]) if len(path) > 1 else obj
    found = _locate(parent, path[-1]) if parent is not None else None
    if found is None:
        return False
    container, where = found
    del container[where]
    return True


def _drop_emptied(obj: dict, path: Path, owned_now: set[Path]) -> None:
    while len(path) >= 1 and path != ("f:metadata",) and path not in owned_now:
        value = _get(obj, path)
        if value not in ({}, []):
            return
        _remove(obj, path)
        path = path[:-1]
