"""Checking objects against OpenAPI schemas, compiled once into plain functions; pure.

Two sources of schemas use this:
- the Kubernetes OpenAPI schemas of the built-in kinds, as the PyPI package
  `kubernetes-validate` ships them (JSON Schema 2020-12 with `$ref`s into one
  `_definitions.json`; the "-strict" flavour closes every object with
  `additionalProperties: false`), and
- the `openAPIV3Schema` of a CustomResourceDefinition: a structural schema, where
  an object with `properties` knows all its fields unless it says
  `x-kubernetes-preserve-unknown-fields: true` (kube-apiserver prunes the rest,
  and `kubectl apply --validate=strict` reports them as unknown fields).

A schema is compiled into a tree of closures (references resolved lazily and
shared, so recursive schemas work) instead of being interpreted for each object:
plan validates thousands of objects of the same few kinds. Only the keywords
these schemas use are understood (type, enum, format, properties,
additionalProperties, required, items, oneOf/anyOf/allOf, minimum/maximum,
length, pattern, item and property counts, the x-kubernetes-* markers); any
other keyword is ignored rather than guessed.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    unknown_field: bool = False


Check = Callable[[Any, str, list], None]      # (value, path, problems) -> None

INT32 = (-(2 ** 31), 2 ** 31 - 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)
_PY_TYPES = {"string": str, "object": dict, "array": list, "boolean": bool}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is(value: Any, json_type: str) -> bool:
    if json_type == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if json_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and (
            not isinstance(value, float) or math.isfinite(value))
    if json_type == "null":
        return value is None
    py = _PY_TYPES.get(json_type)
    return py is not None and isinstance(value, py) and not (py is not bool and isinstance(value, bool))


def join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _accept(value: Any, path: str, out: list) -> None:
    return None


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


class Compiler:
    """Compiles schema nodes into checks; `$ref`s resolve into `definitions` and are compiled once."""

    def __init__(self, definitions: dict | None = None, *, structural: bool = False):
        self.definitions = definitions or {}
        self.structural = structural          # CRD semantics: objects with properties are closed; null pruned
        self._refs: dict[str, Check] = {}

    def ref(self, target: str) -> Check:
        name = target.rpartition("/")[2]
        check = self._refs.get(name)
        if check is None:
            slot: list[Check] = []
            self._refs[name] = lambda v, p, out: slot[0](v, p, out)      # a recursive schema meets itself
            slot.append(self.compile(self.definitions.get(name)))
            check = self._refs[name] = slot[0]
        return check

    def compile(self, schema: Any, *, root: bool = False) -> Check:
        if not isinstance(schema, dict):
            return _accept
        checks: list[Check] = []
        ref = schema.get("$ref")
        if isinstance(ref, str):
            checks.append(self.ref(ref))
        types = self._types(schema)
        nullable = schema.get("nullable") is True or "null" in types or (self.structural and not root)
        for keyword in ("allOf", "anyOf", "oneOf"):
            if isinstance(schema.get(keyword), list):
                checks.append(self._alternatives(keyword, [self.compile(s) for s in schema[keyword]]))
        checks += self._scalar_checks(schema)
        checks += self._object_checks(schema, root)
        items = schema.get("items")
        if isinstance(items, dict):
            checks.append(self._items(self.compile(items)))
        checks += self._count_checks(schema)
        wanted = tuple(t for t in types if t != "null")
        simple = _PY_TYPES.get(wanted[0]) if len(wanted) == 1 and wanted[0] != "boolean" else None

        def check(value: Any, path: str, out: list) -> None:
            if value is None:
                if nullable or not types:
                    return
                out.append(Problem(path, f"must be of type {' or '.join(wanted)}, got null"))
                return
            if simple is not None:
                if not isinstance(value, simple):         # str, dict and list: no bool can pass
                    out.append(Problem(path, f"must be of type {wanted[0]}, got {type_name(value)}"))
                    return
            elif wanted and not any(_is(value, t) for t in wanted):
                out.append(Problem(path, f"must be of type {' or '.join(wanted)}, got {type_name(value)}"))
                return
            for c in checks:
                c(value, path, out)

        return check

    @staticmethod
    def _types(schema: dict) -> tuple[str, ...]:
        if schema.get("x-kubernetes-int-or-string") is True:
            return ("integer", "string")
        declared = schema.get("type")
        if isinstance(declared, str):
            return (declared,)
        if isinstance(declared, list):
            return tuple(t for t in declared if isinstance(t, str))
        return ()

    @staticmethod
    def _alternatives(keyword: str, options: list[Check]) -> Check:
        def check(value: Any, path: str, out: list) -> None:
            results: list[list[Problem]] = []
            for option in options:
                found: list = []
                option(value, path, found)
                if not found and keyword != "allOf":
                    return                           # one option fits: enough for anyOf and oneOf
                results.append(found)
            if keyword == "allOf":
                for found in results:
                    out.extend(found)
            elif results:
                fewest: list[Problem] = min(results, key=len)
                out.extend(fewest)
        return check

    def _scalar_checks(self, schema: dict) -> list[Check]:
        checks: list[Check] = []
        enum = schema.get("enum")
        if isinstance(enum, list):
            checks.append(self._enum(list(enum)))
        format_check = self._format(schema.get("format"))
        if format_check is not None:
            checks.append(format_check)
        for keyword in ("minimum", "maximum"):
            bound = schema.get(keyword)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool):
                exclusive = schema.get("exclusive" + keyword.capitalize()) is True
                checks.append(self._bound(keyword, bound, exclusive))
        for keyword in ("minLength", "maxLength"):
            limit = schema.get(keyword)
            if isinstance(limit, int) and not isinstance(limit, bool):
                checks.append(self._length(keyword, limit))
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            pattern_check = self._pattern(pattern)
            if pattern_check is not None:
                checks.append(pattern_check)
        return checks

    @staticmethod
    def _enum(allowed: list) -> Check:
        shown = ", ".join(_shown(a) for a in allowed[:12])

        def check_enum(value, path, out):
            if not any(value == a and isinstance(value, bool) == isinstance(a, bool) for a in allowed):
                out.append(Problem(path, f"unsupported value {_shown(value)}: supported values: {shown}"))
        return check_enum

    @staticmethod
    def _format(fmt: Any) -> Check | None:
        """The check of an integer range (int32, int64) or of base64 (byte); None for other formats."""
        if fmt in ("int32", "int64"):
            low, high = INT32 if fmt == "int32" else INT64

            def check_range(value, path, out):
                if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
                    out.append(Problem(path, f"must fit in {fmt} ({low} to {high}), got {value}"))
            return check_range
        if fmt == "byte":
            def check_base64(value, path, out):
                if isinstance(value, str):
                    try:
                        base64.b64decode(value, validate=True)
                    except (binascii.Error, ValueError):
                        out.append(Problem(path, "must be base64-encoded"))
            return check_base64
        return None

    @staticmethod
    def _pattern(pattern: str) -> Check | None:
        """The check of a regular expression; None when the schema's pattern does not compile."""
        try:
            regex = re.compile(pattern)
        except re.error:
            return None

        def check_pattern(value, path, out):
            if isinstance(value, str) and not regex.search(value):
                out.append(Problem(path, f"{_shown(value)} does not match the pattern {pattern}"))
        return check_pattern

    @staticmethod
    def _bound(keyword: str, bound: float, exclusive: bool) -> Check:
        def check(value, path, out):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return
            if keyword == "minimum" and (value < bound or exclusive and value == bound):
                out.append(Problem(path, f"must be greater than {'' if exclusive else 'or equal to '}{bound}"))
            if keyword == "maximum" and (value > bound or exclusive and value == bound):
                out.append(Problem(path, f"must be less than {'' if exclusive else 'or equal to '}{bound}"))
        return check

    @staticmethod
    def _length(keyword: str, limit: int) -> Check:
        def check(value, path, out):
            if isinstance(value, str) and (len(value) < limit if keyword == "minLength" else len(value) > limit):
                out.append(Problem(path, f"must have {'at least' if keyword == 'minLength' else 'at most'} "
                                         f"{limit} characters"))
        return check

    def _count_checks(self, schema: dict) -> list[Check]:
        checks: list[Check] = []
        for keyword, kind in (("minItems", list), ("maxItems", list), ("minProperties", dict),
                              ("maxProperties", dict)):
            limit = schema.get(keyword)
            if isinstance(limit, int) and not isinstance(limit, bool):
                def check(value, path, out, keyword=keyword, kind=kind, limit=limit):
                    if isinstance(value, kind) and (len(value) < limit if keyword.startswith("min")
                                                    else len(value) > limit):
                        what = "items" if kind is list else "fields"
                        out.append(Problem(path, f"must have {'at least' if keyword.startswith('min') else 'at most'}"
                                                 f" {limit} {what}"))
                checks.append(check)
        return checks

    @staticmethod
    def _items(item: Check) -> Check:
        def check(value, path, out):
            if isinstance(value, list):
                for i, v in enumerate(value):
                    item(v, f"{path}[{i}]", out)
        return check

    def _object_checks(self, schema: dict, root: bool) -> list[Check]:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else None
        additional = schema.get("additionalProperties")
        required = [r for r in schema.get("required") or () if isinstance(r, str)] \
            if isinstance(schema.get("required"), list) else []
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        embedded = schema.get("x-kubernetes-embedded-resource") is True
        if properties is None and additional is None and not required and not (self.structural and not preserve
                                                                              and schema.get("type") == "object"):
            return []
        known: dict[str, Check] = {}
        for key, sub in (properties or {}).items():
            known[key] = _accept if root and key == "metadata" and self.structural else self.compile(sub)
        if root or embedded:
            for key in ("apiVersion", "kind", "metadata"):
                known.setdefault(key, _accept)
        if isinstance(additional, dict):
            rest: Check | None = self.compile(additional)
            closed = False
        else:
            rest = None
            closed = additional is False or (self.structural and not preserve and additional is not True)

        def check(value, path, out):
            if not isinstance(value, dict):
                return
            for key, v in value.items():
                sub = known.get(key) or rest
                if sub is not None:
                    sub(v, f"{path}.{key}" if path else str(key), out)
                elif closed:
                    out.append(Problem(join(path, key), "unknown field", unknown_field=True))
            for key in required:
                if key not in value:
                    out.append(Problem(join(path, key), "required"))
        return [check]
