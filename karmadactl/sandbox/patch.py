"""Patch semantics of kube-apiserver, as pure functions over plain manifests.

JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch for
built-in kinds, server-side apply with field ownership, and the managedFields
bookkeeping of ordinary writes. The sandbox member cluster's HTTP server calls
these; nothing here does I/O.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from karmadactl.sandbox.fieldpaths import (
    KEY_DEFAULTS, FieldSetError, Flat, Path, Schema, applied_set, canonical, compare, flatten,
    from_fields_v1, item_key, parse_key_element, path_string, schema_for, to_fields_v1,
)

__all__ = ["PatchError", "ApplyConflict", "apply_json_patch", "apply_merge_patch",
           "apply_strategic_merge_patch", "server_side_apply", "record_update"]


class PatchError(Exception):
    """The patch or applied configuration cannot be applied (422 or 400)."""


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


# ---- JSON patch and JSON merge patch --------------------------------------------------------

def apply_json_patch(obj: dict, ops: list) -> dict:
    """RFC 6902 patch; returns a new object."""
    import jsonpatch
    import jsonpointer

    if not isinstance(ops, list):
        raise PatchError("json patch must be a list of operations")
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid json patch operation: {json.dumps(op)[:200]}")
    try:
        result = jsonpatch.JsonPatch(ops).apply(obj, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(str(exc)) from None
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise PatchError(f"invalid json patch: {exc}") from None
    if not isinstance(result, dict):
        raise PatchError("the patched document is not an object")
    return result


def apply_merge_patch(obj: dict, patch: dict) -> dict:
    """RFC 7386 merge patch: maps merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        raise PatchError("a merge patch must be a JSON object")
    return _merge_patch(copy.deepcopy(obj), patch)


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = target if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


# ---- strategic merge patch ------------------------------------------------------------------

_DELETE_PRIMITIVES = "$deleteFromPrimitiveList/"
_ELEMENT_ORDER = "$setElementOrder/"


def apply_strategic_merge_patch(obj: dict, patch: dict) -> dict:
    """Kubernetes strategic merge patch; lists of built-in kinds merge by their
    patchMergeKey, other lists are replaced."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    result = _smp_map(copy.deepcopy(obj), patch, schema_for(obj))
    if result is None:
        raise PatchError("a strategic merge patch cannot delete the whole object")
    return result


def _smp_map(orig: dict, patch: dict, schema: Schema) -> dict | None:
    """Merge `patch` into `orig` (mutated); None means the map is deleted."""
    patch = dict(patch)
    directive = patch.pop("$patch", None)
    if directive == "replace":
        return _smp_map({}, patch, schema)
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError(f"unknown patch type: {directive} in map")
    retain = patch.pop("$retainKeys", None)
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError("$retainKeys must be a list of field names")
        for key in patch:
            if not key.startswith("$") and patch[key] is not None and key not in retain:
                raise PatchError(f"the key {key!r} in the patch is not present in $retainKeys")
        for key in list(orig):
            if key not in retain:
                del orig[key]
    orders: dict[str, Any] = {}
    for key in list(patch):
        if key.startswith(_DELETE_PRIMITIVES):
            name, values = key[len(_DELETE_PRIMITIVES):], patch.pop(key)
            if not isinstance(values, list):
                raise PatchError(f"{key} must be a list")
            if isinstance(orig.get(name), list):
                orig[name] = [v for v in orig[name] if v not in values]
        elif key.startswith(_ELEMENT_ORDER):
            orders[key[len(_ELEMENT_ORDER):]] = patch.pop(key)
    for key, value in patch.items():
        sub = schema.child(key)
        if value is None:
            orig.pop(key, None)
        elif isinstance(value, dict):
            current = orig.get(key)
            merged = _smp_map(current if isinstance(current, dict) else {}, value, sub)
            if merged is None:
                orig.pop(key, None)
            else:
                orig[key] = merged
        elif isinstance(value, list):
            current = orig.get(key)
            orig[key] = _smp_list(current if isinstance(current, list) else [], value, sub)
        else:
            orig[key] = value
    for name, order in orders.items():
        if not isinstance(order, list):
            raise PatchError(f"{_ELEMENT_ORDER}{name} must be a list")
        if isinstance(orig.get(name), list):
            orig[name] = _reorder(orig[name], order, schema.child(name))
    return orig


def _smp_list(orig: list, patch: list, schema: Schema) -> list:
    if schema.kind == "set":
        out = list(orig)
        for value in patch:
            if value not in out:
                out.append(copy.deepcopy(value))
        return out
    if schema.kind != "assoc":
        return copy.deepcopy(patch)
    key = schema.merge_key or ""
    replace, deletes, items = False, [], []
    for element in patch:
        if isinstance(element, dict) and "$patch" in element:
            directive = element["$patch"]
            if directive == "replace":
                replace = True
            elif directive == "delete":
                if key not in element:
                    raise PatchError(f"delete directive without merge key {key!r}")
                deletes.append(canonical(element[key]))
            elif directive == "merge":
                items.append({k: v for k, v in element.items() if k != "$patch"})
            else:
                raise PatchError(f"unknown patch type: {directive} in list")
        else:
            items.append(element)
    item_schema = schema.element()
    if replace:
        return [m for m in (_smp_item({}, it, key, item_schema) for it in items) if m is not None]
    out = [copy.deepcopy(x) for x in orig
           if not (isinstance(x, dict) and key in x and canonical(x[key]) in deletes)]
    for item in items:
        match = _find_by_key(out, key, item)
        if match is None:
            merged = _smp_item({}, item, key, item_schema)
            if merged is not None:
                out.append(merged)
        else:
            merged = _smp_item(out[match], item, key, item_schema)
            if merged is None:
                del out[match]
            else:
                out[match] = merged
    return out


def _smp_item(orig: dict, item: Any, key: str, schema: Schema) -> dict | None:
    if not isinstance(item, dict):
        raise PatchError(f"list items merged by {key!r} must be objects, got {canonical(item)[:100]}")
    if key not in item:
        raise PatchError(f"map: {canonical(item)[:200]} does not contain declared merge key: {key}")
    return _smp_map(orig, item, schema)


def _find_by_key(items: list, key: str, item: Any) -> int | None:
    if not isinstance(item, dict) or key not in item:
        return None
    wanted = canonical(item[key])
    for index, existing in enumerate(items):
        if isinstance(existing, dict) and key in existing and canonical(existing[key]) == wanted:
            return index
    return None


def _reorder(items: list, order: list, schema: Schema) -> list:
    """$setElementOrder: the listed items take the given order; items the patch did
    not list keep their positions."""
    if schema.kind == "assoc":
        key = schema.merge_key or ""
        def ident(x: Any) -> str | None:
            return canonical(x[key]) if isinstance(x, dict) and key in x else None
    elif schema.kind == "set":
        def ident(x: Any) -> str | None:
            return canonical(x)
    else:
        return items
    rank = {}
    for position, entry in enumerate(order):
        ident_value = ident(entry)
        if ident_value is not None:
            rank.setdefault(ident_value, position)
    listed = sorted((x for x in items if ident(x) in rank), key=lambda x: rank[ident(x)])
    queue = iter(listed)
    return [next(queue) if ident(x) in rank else x for x in items]


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
