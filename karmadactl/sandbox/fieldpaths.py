"""Field paths and field sets as kube-apiserver records them in managedFields.

A path is a tuple of path elements, each spelled as in a FieldsV1 document:
``f:spec`` (a field), ``k:{"name":"nginx"}`` (an item of an associative list,
by its key fields), ``v:"example.com/x"`` (an item of a set list), ``i:0`` (an
index). A field set is a Python set of such paths.

The schema knowledge that strategic merge patch and server-side apply need
for built-in kinds lives in karmadactl/apis/kubeschema.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from karmadactl.apis.kubeschema import (  # noqa: F401  (the schemas live with the product)
    ATOMIC,
    AUTO,
    CONDITIONS,
    KEY_DEFAULTS,
    KIND_SCHEMAS,
    SET,
    FieldSetError,
    Schema,
    assoc,
    canonical,
    schema_for,
    struct,
)

Path = tuple[str, ...]


# ---- path elements --------------------------------------------------------------------------

def item_key(item: Any, schema: Schema) -> dict[str, Any]:
    """Key fields of one associative-list item (defaults filled in)."""
    if not isinstance(item, Mapping):
        raise FieldSetError("associative list item is not an object")
    key: dict[str, Any] = {}
    for name in schema.map_keys:
        if name in item and item[name] is not None:
            key[name] = item[name]
        elif name in KEY_DEFAULTS:
            key[name] = KEY_DEFAULTS[name]
        else:
            raise FieldSetError(f'associative list with keys has an element that omits key field '
                                f'"{name}" (and doesn\'t have default value)')
    return key


def key_element(key: Mapping[str, Any]) -> str:
    return "k:" + canonical(dict(key))


def parse_key_element(element: str) -> dict[str, Any]:
    return json.loads(element[2:])


def path_string(path: Path) -> str:
    """Kube's display form: .spec.template.spec.containers[name="nginx"].image"""
    out = []
    for element in path:
        kind, body = element[:1], element[2:]
        if kind == "f":
            out.append("." + body)
        elif kind == "k":
            pairs = json.loads(body)
            out.append("[" + ",".join(f"{k}={canonical(v)}" for k, v in sorted(pairs.items())) + "]")
        elif kind == "v":
            out.append("[=" + body + "]")
        else:
            out.append("[" + body + "]")
    return "".join(out)


# ---- objects -> flat views ------------------------------------------------------------------

@dataclass
class Flat:
    """Every node of an object by path: leaves carry their canonical value, inner
    nodes carry None. `zero` holds the paths whose schema is a Go value field."""

    entries: dict[Path, str | None] = field(default_factory=dict)
    zero: set[Path] = field(default_factory=set)


def flatten(obj: Mapping[str, Any], schema: Schema, strict: bool = False) -> Flat:
    """Walk `obj` by `schema`. strict: a bad associative list raises FieldSetError
    (an applied configuration); otherwise it is treated as atomic (stored objects)."""
    flat = Flat()
    _walk_map(obj, schema, (), flat, strict)
    return flat


def _walk_map(obj: Mapping[str, Any], schema: Schema, path: Path, flat: Flat, strict: bool) -> None:
    for name, value in obj.items():
        _walk(value, schema.child(name), path + ("f:" + name,), flat, strict)


def _walk(value: Any, schema: Schema, path: Path, flat: Flat, strict: bool) -> None:
    if schema.zero:
        flat.zero.add(path)
    if isinstance(value, dict) and value and schema.kind != "atomic":
        flat.entries[path] = None
        _walk_map(value, schema, path, flat, strict)
        return
    if isinstance(value, list) and value and schema.kind in ("assoc", "set"):
        elements = _list_elements(value, schema, path, strict)
        if elements is not None:
            flat.entries[path] = None
            for element, item in elements:
                if schema.kind == "set":
                    flat.entries[path + (element,)] = canonical(item)
                else:
                    _walk(item, schema.element(), path + (element,), flat, strict)
            return
    flat.entries[path] = canonical(value)


def _list_elements(items: list, schema: Schema, path: Path,
                   strict: bool) -> list[tuple[str, Any]] | None:
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            if schema.kind == "set":
                if isinstance(item, (dict, list)):
                    raise FieldSetError("set list item is not a scalar")
                element = "v:" + canonical(item)
            else:
                element = key_element(item_key(item, schema))
            if element in seen:
                raise FieldSetError(f"duplicate entries for key {path_string((element,))}")
        except FieldSetError as exc:
            if strict:
                raise FieldSetError(f"{path_string(path)}: element {index}: {exc}") from None
            return None
        seen.add(element)
        out.append((element, item))
    return out


def applied_set(flat: Flat) -> set[Path]:
    """The fields an applier owns: leaves plus the items of associative and set lists."""
    return {p for p, v in flat.entries.items() if v is not None or p[-1][:2] in ("k:", "v:")}


def _parent_present(path: Path, other: Flat, zero: set[Path]) -> bool:
    parent = path[:-1]
    while True:
        if not parent or parent in other.entries:
            return True
        if parent not in zero:
            return False
        parent = parent[:-1]


def compare(old: Flat, new: Flat) -> tuple[set[Path], set[Path], set[Path]]:
    """(added, modified, removed) paths from old to new, as structured-merge-diff
    reports them. A Go value field is never added or removed while its parent
    exists (the typed object always has it)."""
    zero = old.zero | new.zero
    added = {p for p in new.entries.keys() - old.entries.keys()
             if not (p in zero and _parent_present(p, old, zero))}
    removed = {p for p in old.entries.keys() - new.entries.keys()
               if not (p in zero and _parent_present(p, new, zero))}
    modified = set()
    for p in new.entries.keys() & old.entries.keys():
        before, after = old.entries[p], new.entries[p]
        if after is not None and before != after:
            modified.add(p)
        elif after is None and before not in (None, "null"):
            modified.add(p)
    return added, modified, removed


# ---- FieldsV1 <-> field sets ----------------------------------------------------------------

_ELEMENT_ORDER = {"f": 0, "v": 1, "i": 2, "k": 3}


def _element_sort_key(element: str) -> tuple[int, str]:
    return (_ELEMENT_ORDER.get(element[:1], 9), element)


def to_fields_v1(paths: Iterable[Path]) -> dict:
    """A FieldsV1 tree: a member with children carries ".": {}, a member leaf is {}."""
    root: dict = {}
    for path in paths:
        node = root
        for element in path:
            node = node.setdefault(element, {})
        node["."] = {}
    return _normalize(root)


def _normalize(node: dict) -> dict:
    children = sorted((k for k in node if k != "."), key=_element_sort_key)
    if not children:
        return {}
    out: dict = {".": {}} if "." in node else {}
    for key in children:
        out[key] = _normalize(node[key])
    return out


def from_fields_v1(tree: Any) -> set[Path]:
    """The set of paths a FieldsV1 tree holds (malformed parts are skipped)."""
    out: set[Path] = set()
    if isinstance(tree, dict):
        _collect(tree, (), out)
    return out


def _collect(node: dict, prefix: Path, out: set[Path]) -> None:
    for key, child in node.items():
        if key == "." or not isinstance(key, str) or len(key) < 2 or key[1] != ":":
            continue
        path = prefix + (key,)
        if not isinstance(child, dict):
            continue
        if not child or "." in child:
            out.add(path)
        _collect(child, path, out)
