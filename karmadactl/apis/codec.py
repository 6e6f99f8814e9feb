"""One camelCase codec for the typed Karmada objects, driven by their dataclass type hints; pure.

`decode(cls, data, path)` builds a dataclass from Kubernetes-style YAML (camelCase keys),
checking every value against the field's type hint: str, int, float, bool, list[X],
tuple[X, ...], dict[str, X], X | None, Literal[...], nested dataclasses, and `Any`,
`dict` or `list` kept as the plain value (user manifests stay plain data). `encode(obj)`
gives the mapping back, in field order, leaving out what is None.

A field's options come from `api_field(...)`: its YAML key when it is not the camelCase
of its name (a dotted key reaches into a wrapper object: "weightPreference.dynamicWeight"),
`omitempty` (left out when empty, as Go's json tag), `required`, `choices` (the values an
enum-like string may take), `zero_default` (an empty value takes the default, as Karmada's
defaulting does), `inline` (a nested object whose fields sit in the same mapping),
`decode`/`encode` hooks for a field of its own shape, and `skip` for a field that is not
in the mapping at all (the caller passes its value to `decode`).
A class may define `after_decode(self, path)` for the defaults or checks that span its fields,
`strict = False` (a ClassVar) to ignore unknown keys instead of refusing them, and
`encode_order` (a ClassVar of field names) when its keys are written in another order than
its fields are declared.

Every problem is one FieldError naming the field path:
"spec.placement.clusterAffinity.exclude[1]: must be a string, got integer".
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, NamedTuple, TypeVar, Union

from karmadactl.apis.schema import type_name
from karmadactl.errors import InvalidInput

T = TypeVar("T")

_PHRASES: dict[Any, str] = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
                            dict: "an object", list: "an array", tuple: "an array"}


class FieldError(InvalidInput):
    """One problem with one field; the message is "<path>: <problem>".

    `expected` says what the field takes ("a string", "an object", "one of A, B"), for
    callers that word their messages differently; "" when the problem is not about a type.
    """

    def __init__(self, path: str, problem: str, expected: str = ""):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem
        self.expected = expected


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def api_field(default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING,
              key: str | None = None, omitempty: bool = False, required: bool = False,
              choices: tuple[str, ...] | None = None, zero_default: bool = False, inline: bool = False,
              skip: bool = False,
              decode: Callable[[Any, str], Any] | None = None,
              encode: Callable[[Any], Any] | None = None) -> Any:
    """A dataclass field with codec options (see the module's docstring)."""
    options = {"key": key, "omitempty": omitempty, "required": required, "choices": choices,
               "zero_default": zero_default, "inline": inline, "skip": skip, "decode": decode, "encode": encode}
    return dataclasses.field(default=default, default_factory=default_factory, metadata={"codec": options})


class _Field(NamedTuple):
    name: str
    key: str                         # the YAML key
    keys: tuple[str, ...]            # the same, split at dots
    hint: Any
    default: Callable[[], Any] | None    # None: no default
    omitempty: bool
    required: bool
    choices: tuple[str, ...] | None
    zero_default: bool
    inline: bool
    skip: bool
    decode: Callable[[Any, str], Any] | None
    encode: Callable[[Any], Any] | None
    convert: Callable[[Any, str], Any] | None     # the decode hook, or the converter of the type hint


class _Plan(NamedTuple):
    fields: tuple[_Field, ...]
    written: tuple[_Field, ...]      # the fields in the order encode writes them
    known: dict[str, Any]            # key -> None, or the keys known inside a wrapper object
    strict: bool
    after_decode: Callable[[Any, str], None] | None


def _default_of(f: dataclasses.Field) -> Callable[[], Any] | None:
    if f.default is not dataclasses.MISSING:
        value = f.default
        return lambda: value
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory
    return None


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """The fields of a class, their keys and resolved type hints: worked out once per class."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _make_plan(cls)
    return plan


def _make_plan(cls: Any) -> _Plan:
    hints = typing.get_type_hints(cls)
    fields = []
    known: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        options = f.metadata.get("codec") or {}
        key = options.get("key") or camel(f.name)
        keys = tuple(key.split("."))
        skip, inline, hook = bool(options.get("skip")), bool(options.get("inline")), options.get("decode")
        convert = None if skip or inline else hook or _converter(hints[f.name])
        field = _Field(f.name, key, keys, hints[f.name], _default_of(f), bool(options.get("omitempty")),
                       bool(options.get("required")), options.get("choices"), bool(options.get("zero_default")),
                       inline, skip, hook, options.get("encode"), convert)
        fields.append(field)
        if field.inline:
            _merge(known, _plan(field.hint).known)
        elif not field.skip:
            _merge(known, _nest(keys))
    order = getattr(cls, "encode_order", None)
    written = tuple(fields) if order is None else tuple(next(f for f in fields if f.name == n) for n in order)
    return _Plan(tuple(fields), written, known, getattr(cls, "strict", True), getattr(cls, "after_decode", None))


def _nest(keys: tuple[str, ...]) -> dict[str, Any]:
    return {keys[0]: _nest(keys[1:]) if len(keys) > 1 else None}


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for k, sub in more.items():
        if isinstance(into.get(k), dict) and isinstance(sub, dict):
            _merge(into[k], sub)
        else:
            into[k] = sub


def keys_of(cls: type) -> tuple[str, ...]:
    """The top-level keys `decode(cls, ...)` reads."""
    return tuple(_plan(cls).known)


# ---------------------------------------------------------------- decode

def decode(cls: type[T], data: Any, path: str = "", **given: Any) -> T:
    """A `cls` from its camelCase mapping; FieldError names the first wrong field.

    `given` holds the values of the `skip` fields (those without one take their default).
    """
    return _decode_object(cls, data, path, inline=False, given=given)


def _decode_object(cls: type[T], data: Any, path: str, inline: bool, given: dict[str, Any] | None = None) -> T:
    plan = _plan(cls)
    mapping = _mapping(data, path)
    if plan.strict and not inline:
        _refuse_unknown(mapping, plan.known, path)
    values = {}
    for f in plan.fields:
        if f.skip:
            if given and f.name in given:
                values[f.name] = given[f.name]
            elif f.default is not None:
                values[f.name] = f.default()
        elif f.inline:
            values[f.name] = _decode_object(f.hint, mapping, path, inline=True)
        else:
            raw = mapping.get(f.key) if len(f.keys) == 1 else _lookup(mapping, f.keys, path, plan)
            if raw is None and f.default is not None and not f.required:
                continue        # absent: the dataclass's own default
            values[f.name] = _decode_field(f, raw, f"{path}.{f.key}" if path else f.key)
    obj = cls(**values)
    if plan.after_decode is not None:
        plan.after_decode(obj, path)
    return obj


def _mapping(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise FieldError(path, f"must be an object, got {type_name(value)}", "an object")
    return value


def _refuse_unknown(mapping: dict, known: dict[str, Any], path: str) -> None:
    for k in mapping:
        if k not in known:
            raise FieldError("", f'unknown field "{join(path, str(k))}"')


def _lookup(mapping: dict, keys: tuple[str, ...], path: str, plan: _Plan) -> Any:
    """The value under a (dotted) key; each wrapper on the way must be an object of known keys."""
    value: Any = mapping
    known: Any = plan.known
    for depth, k in enumerate(keys):
        if depth:
            where = join(path, ".".join(keys[:depth]))
            value = _mapping(value, where)
            if plan.strict:
                _refuse_unknown(value, known, where)
        value = value.get(k)
        known = known[k]
        if value is None:
            return None
    return value


def _expected(f: _Field) -> str:
    if typing.get_origin(f.hint) is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(f.hint))
    if f.choices is not None:
        return "one of " + ", ".join(f.choices)
    if f.required and f.hint is str:
        return "a non-empty string"
    return _PHRASES.get(typing.get_origin(f.hint) or f.hint, "")


def _decode_field(f: _Field, raw: Any, path: str) -> Any:
    if raw is None:
        if f.required or f.default is None:
            raise FieldError(path, "required", _expected(f))
        return f.default()
    try:
        value = typing.cast(Callable, f.convert)(raw, path)
    except FieldError as e:
        if e.path == path and (f.required or f.choices is not None):
            raise FieldError(path, e.problem, _expected(f)) from None
        raise
    if f.required and value == "":
        raise FieldError(path, "required", _expected(f))
    if f.choices is not None and value not in f.choices:
        raise FieldError(path, _unsupported(value, f.choices), _expected(f))
    if f.zero_default and f.default is not None and not value:
        return f.default()
    return value


def _unsupported(value: Any, allowed: tuple) -> str:
    shown = ", ".join(f'"{a}"' for a in allowed if a)
    return f'unsupported value "{value}" (supported: {shown})'


def _wrong(value: Any, path: str, expected: str) -> FieldError:
    return FieldError(path, f"must be {expected}, got {type_name(value)}", expected)


# A converter checks one value against one type hint and converts it (nested dataclasses built,
# containers copied); one is built per type hint, the first time a class is planned.
Converter = Callable[[Any, str], Any]
_CONVERTERS: dict[Any, Converter] = {}


def _converter(hint: Any) -> Converter:
    convert = _CONVERTERS.get(hint)
    if convert is None:
        convert = _CONVERTERS[hint] = _make_converter(hint)
    return convert


def _plain_copy(value: Any, path: str) -> Any:
    return copy.deepcopy(value)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _wrong(value, path, "a string")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong(value, path, "a boolean")
    return value


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(value, path, "an integer")
    return value


def _float(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong(value, path, "a number")
    return value


_SCALARS: dict[Any, Converter] = {str: _str, bool: _bool, int: _int, float: _float, Any: _plain_copy,
                                  object: _plain_copy}


def _make_converter(hint: Any) -> Converter:
    if hint in _SCALARS:
        return _SCALARS[hint]
    if dataclasses.is_dataclass(hint):
        cls = typing.cast(type, hint)
        return lambda value, path: _decode_object(cls, value, path, inline=False)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) != 1:
            raise TypeError(f"codec: unsupported union {hint}")
        inner = _converter(others[0])
        return lambda value, path: None if value is None else inner(value, path)
    if origin is Literal:
        return _literal(args)
    if hint is dict or origin is dict:
        return _mapping_of(_converter(args[1]) if args else None)
    if hint is list or origin in (list, tuple):
        return _list_of(_converter(args[0]) if args else None, origin is tuple)
    raise TypeError(f"codec: unsupported type {hint}")


def _literal(allowed: tuple) -> Converter:
    expected = "one of " + ", ".join(str(a) for a in allowed)
    strings = all(isinstance(a, str) for a in allowed)

    def convert(value: Any, path: str) -> Any:
        if isinstance(value, bool) or value not in allowed:
            if strings and not isinstance(value, str):
                raise FieldError(path, f"must be a string, got {type_name(value)}", expected)
            raise FieldError(path, _unsupported(value, allowed), expected)
        return value
    return convert


def _mapping_of(item: Converter | None) -> Converter:
    def convert(value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise _wrong(value, path, "an object")
        if item is None:
            return copy.deepcopy(value)
        return {str(k): item(v, join(path, str(k))) for k, v in value.items()}
    return convert


def _list_of(item: Converter | None, as_tuple: bool) -> Converter:
    def convert(value: Any, path: str) -> list | tuple:
        if not isinstance(value, list):
            raise _wrong(value, path, "an array")
        if item is None:
            return copy.deepcopy(value)
        items = [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if as_tuple else items
    return convert


# ---------------------------------------------------------------- encode

def encode(obj: Any) -> dict:
    """The camelCase mapping of a dataclass: None left out, and empty values of omitempty fields."""
    out: dict = {}
    for f in _plan(type(obj)).written:
        if f.skip:
            continue
        value = getattr(obj, f.name)
        if value is None and f.encode is None:
            continue
        if f.inline:
            out.update(encode(value))
            continue
        raw = f.encode(value) if f.encode is not None else plain(value)
        if raw is None or (f.omitempty and _empty(raw)):
            continue
        if len(f.keys) == 1:
            out[f.keys[0]] = raw
            continue
        target = out
        for k in f.keys[:-1]:
            target = target.setdefault(k, {})
        target[f.keys[-1]] = raw
    return out


def _empty(raw: Any) -> bool:
    return raw == "" or raw == 0 or raw is False or raw == [] or raw == {}


def plain(value: Any) -> Any:
    """A value as YAML holds it: dataclasses encoded, containers copied."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
