"""Patches as kube-apiserver applies them, as pure functions over plain manifests.

JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch
for built-in kinds (lists merged by their patchMergeKey, see apis/kubeschema).
`karmadactl patch` and the sandbox members' PATCH both use these; nothing here
does I/O.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from karmadactl.apis.kubeschema import Schema, canonical, schema_for

__all__ = ["PatchError", "apply_json_patch", "apply_merge_patch", "apply_strategic_merge_patch"]

class PatchError(Exception):
    """The patch or applied configuration cannot be applied (422 or 400)."""


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
        _retain_keys(orig, patch, retain)
    orders = _take_list_directives(orig, patch)
    for key, value in patch.items():
        _smp_field(orig, key, value, schema.child(key))
    for name, order in orders.items():
        if not isinstance(order, list):
            raise PatchError(f"{_ELEMENT_ORDER}{name} must be a list")
        if isinstance(orig.get(name), list):
            orig[name] = _reorder(orig[name], order, schema.child(name))
    return orig


def _retain_keys(orig: dict, patch: dict, retain: Any) -> None:
    """$retainKeys: drop from `orig` every key the list does not name."""
    if not isinstance(retain, list):
        raise PatchError("$retainKeys must be a list of field names")
    for key in patch:
        if not key.startswith("$") and patch[key] is not None and key not in retain:
            raise PatchError(f"the key {key!r} in the patch is not present in $retainKeys")
    for key in list(orig):
        if key not in retain:
            del orig[key]


def _take_list_directives(orig: dict, patch: dict) -> dict[str, Any]:
    """Apply and remove the $deleteFromPrimitiveList keys of `patch`; remove and return its
    $setElementOrder keys (list name -> order), applied once the lists are merged."""
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
    return orders


def _smp_field(orig: dict, key: str, value: Any, schema: Schema) -> None:
    """Merge one field of a patch into `orig`: null deletes, maps and lists merge, the rest replaces."""
    if value is None:
        orig.pop(key, None)
    elif isinstance(value, dict):
        current = orig.get(key)
        merged = _smp_map(current if isinstance(current, dict) else {}, value, schema)
        if merged is None:
            orig.pop(key, None)
        else:
            orig[key] = merged
    elif isinstance(value, list):
        current = orig.get(key)
        orig[key] = _smp_list(current if isinstance(current, list) else [], value, schema)
    else:
        orig[key] = value


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
    replace, deletes, items = _list_directives(patch, key)
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


def _list_directives(patch: list, key: str) -> tuple[bool, list[str], list]:
    """A patch of a list merged by `key`, read: whether it replaces the list, the keys it
    deletes, and the items it merges."""
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
    return replace, deletes, items


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
    rank: dict = {}
    for position, entry in enumerate(order):
        ident_value = ident(entry)
        if ident_value is not None:
            rank.setdefault(ident_value, position)
    listed = sorted((x for x in items if ident(x) in rank), key=lambda x: rank[ident(x)])
    queue = iter(listed)
    return [next(queue) if ident(x) in rank else x for x in items]
