"""The Lua VM for ResourceInterpreterCustomization scripts: sandbox, time limit, conversions.

Karmada runs customizations in gopher-lua (`pkg/resourceinterpreter/customized/
declarative/luavm`); here they run in an embedded Lua 5.4 (lupa), imported only
when a customization is used. Each call gets a fresh, sandboxed interpreter:

- libraries: base, table, string, math and a safe `os` (time, date); no io,
  debug, package, coroutine, utf8; the base functions Karmada disables
  (load, loadfile, dofile, collectgarbage, getmetatable, setmetatable, raw*...)
  raise an error; `string.dump` and `string.rep` too; `print` does nothing;
  `require` only knows "kube";
- one second per call (Karmada's limit), enforced by an instruction-count hook
  installed before `debug` is taken away; pcall cannot swallow the time-out;
- a memory ceiling for the interpreter;
- Lua 5.1 manners where scripts notice them: `tostring` prints integral
  numbers without ".0", `unpack`, `table.getn`, `table.maxn`, `string.gfind`.

Objects cross as Karmada converts them (luavm/lua.go decodeValue, lua_convert.go
ConvertLuaResultInto): maps become tables, lists 1-based arrays (JSON nulls
vanish); on the way back a table with keys 1..n is a list, one with string keys
an object, integral numbers ints. An empty table is ambiguous in Lua: at the
root it is the caller's `empty` ({} for objects, [] for lists); nested, it is
kept as {} or [] where the same path (list indices ignored) held an empty
object or list in one of the `references`, and dropped otherwise.

`pairs` and `next` iterate as gopher-lua's LTable.Next does, so scripts that
build lists with `pairs` give Karmada's order on every run: the array part
(keys 1, 2, 3...) ascending, then the other keys in the order they were first
inserted (a key set to nil keeps its place if set again). Lua 5.4 does not
remember that order, so every table constructor in a script is rewritten
(`_track_source`, same lines, so error lines stay right) to report the order
of its keys, and tables record later insertions in a `__newindex` hook.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from karmadactl.errors import KarmadaError

TIMEOUT_SECONDS = 1.0
MAX_MEMORY = 64 << 20
HOOK_EVERY = 1000          # instructions between two clock checks
TIMED_OUT = "lua script timed out"
_DISABLED = ("collectgarbage", "dofile", "getmetatable", "load", "loadfile", "loadstring", "rawequal",
             "rawget", "rawset", "rawlen", "setmetatable", "module", "newproxy", "getfenv", "setfenv", "warn")


class InterpreterError(KarmadaError):
    """A customization script failed: syntax, runtime error, wrong result or time-out."""


class _KubeError(Exception):
    """A kube helper refused its arguments (raised through Lua)."""


# The sandbox, built in Lua while the full libraries are still reachable.
_BOOTSTRAP = r"""
local expired, kube_py, disabled, timed_out = ...
local sethook, load, error, pcall, xpcall = debug.sethook, load, error, pcall, xpcall
local select, tostring, type, rawget, rawset = select, tostring, type, rawget, rawset
local setmetatable, raw_next, math_type, math_floor = setmetatable, next, math.type, math.floor
local sort, format, tonumber = table.sort, string.format, tonumber

sethook(function() if expired() then error(timed_out, 0) end end, "", %d)

local function rethrow_timeout(ok, ...)
  if not ok and expired() then error(timed_out, 0) end
  return ok, ...
end
pcall = (function(p) return function(...) return rethrow_timeout(p(...)) end end)(pcall)
xpcall = (function(p) return function(...) return rethrow_timeout(p(...)) end end)(xpcall)
_G.pcall, _G.xpcall = pcall, xpcall

-- gopher-lua's table order (table.go LTable.Next): integer keys 1..2^26-2 live in the
-- array part and come first, ascending; every other key follows in first-insertion order.
local MAX_ARRAY = 67108863
local orders = setmetatable({}, {__mode = "k"})      -- table -> {n, [i] = key, at = {key -> i}}
local snapshots = setmetatable({}, {__mode = "k"})   -- table -> keys of the running traversal

local function in_array(k) return math_type(k) == "integer" and k >= 1 and k < MAX_ARRAY end

local function remember(order, k)
  if not order.at[k] then order.n = order.n + 1; order[order.n] = k; order.at[k] = order.n end
end

local tracked = {__newindex = function(t, k, v)
  if v ~= nil and not in_array(k) then remember(orders[t], k) end
  rawset(t, k, v)
end}

local function new_table()
  local t = {}
  orders[t] = {n = 0, at = {}}
  return setmetatable(t, tracked)
end

-- Constructors report their keys: {a = 1, [k] = 2} runs as
-- built(frame(), {[key("a")] = 1, [key(k)] = 2}).
local frames, depth = {}, 0
local function frame() depth = depth + 1; frames[depth] = {n = 0}; return depth end
local function key(k) local f = frames[depth]; f.n = f.n + 1; f[f.n] = k; return k end
local function built(level, t)
  local f, order = frames[level], {n = 0, at = {}}
  for i = depth, level, -1 do frames[i] = nil end
  depth = level - 1
  for i = 1, f.n do
    local k = f[i]
    if not in_array(k) and rawget(t, k) ~= nil then remember(order, k) end
  end
  orders[t] = order
  return setmetatable(t, tracked)
end

local function snapshot(t)
  local keys, n, others, order = {}, 0, {}, orders[t]
  for k in raw_next, t do
    if in_array(k) then n = n + 1; keys[n] = k
    elseif not (order and order.at[k]) then others[#others + 1] = k end
  end
  sort(keys)
  if order then
    for i = 1, order.n do
      local k = order[i]
      if rawget(t, k) ~= nil then n = n + 1; keys[n] = k end
    end
  end
  for i = 1, #others do n = n + 1; keys[n] = others[i] end
  local at = {}
  for i = 1, n do at[keys[i]] = i end
  local s = {n = n, keys = keys, at = at}
  snapshots[t] = s
  return s
end

local function ordered_next(t, k)
  if type(t) ~= "table" then
    error("bad argument #1 to 'next' (table expected, got " .. (t == nil and "nil" or type(t)) .. ")", 2)
  end
  local s, i = nil, 0
  if k == nil then
    s = snapshot(t)
  else
    s = snapshots[t]
    i = s and s.at[k]
    if not i then s = snapshot(t); i = s.at[k] end
    if not i then error("invalid key to 'next'", 2) end
  end
  for j = i + 1, s.n do
    local key = s.keys[j]
    local v = rawget(t, key)
    if v ~= nil then return key, v end
  end
  return nil
end

local function ordered_pairs(t)
  if type(t) ~= "table" then
    error("bad argument #1 to 'pairs' (table expected, got " .. (t == nil and "nil" or type(t)) .. ")", 2)
  end
  return ordered_next, t, nil
end

-- Lua 5.1 prints an integral number without ".0", as gopher-lua does.
local function number_string(v)
  if math_type(v) == "float" and v == math_floor(v) and v > -2^63 and v < 2^63 then
    return format("%%d", v)
  end
  if math_type(v) == "float" and v == v then
    for digits = 14, 17 do
      local s = format("%%." .. digits .. "g", v)
      if tonumber(s) == v then return s end
    end
  end
  return tostring(v)
end

local kube = {}
for name, fn in raw_next, kube_py do kube[name] = function(...) return fn(...) end end
local os_time, os_date = os.time, os.date

for _, name in ipairs({"io", "debug", "package", "coroutine", "utf8", "python", "os"}) do _G[name] = nil end
for _, name in ipairs(disabled) do
  _G[name] = function()
    error("call function " .. name .. " is not supported in karmada customized resourceinterpreter.", 2)
  end
end
_G.os = {time = os_time, date = os_date}
_G.print = function() end
_G.pairs, _G.next, _G.tostring = ordered_pairs, ordered_next, number_string
_G.unpack, table.getn, string.gfind = table.unpack, function(t) return #t end, string.gmatch
table.maxn = function(t)
  local max = 0
  for k in raw_next, t do if type(k) == "number" and k > max then max = k end end
  return max
end
string.dump = function() error("The Lua function string.dump is not supported by Karmada.", 2) end
string.rep = function() error("The Lua function string.rep is not supported by Karmada.", 2) end
_G.require = function(name)
  if name == "kube" then return kube end
  error("module '" .. tostring(name) .. "' not found: only \"kube\" can be required", 2)
end

local function exec(source)
  local chunk, message = load(source, "=customization", "t", _G)
  if not chunk then error(message, 0) end
  chunk(built, frame, key)
end
return exec, new_table
""" % HOOK_EVERY  # noqa: UP031 (Lua text full of braces)


def _lua_message(message: str) -> str:
    """The Lua message without lupa's traceback noise."""
    return message.split("\nstack traceback:")[0].strip()


# -- constructor rewriting ----------------------------------------------------------------

_KEYWORDS = frozenset("and break do else elseif end false for function goto if in local nil not or repeat "
                      "return then true until while".split())
_BLOCK_OPEN = frozenset(("function", "do", "if", "repeat"))
_BLOCK_CLOSE = frozenset(("end", "until"))
_LONG_BRACKET = re.compile(r"\[(=*)\[")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"0[xX](?:[0-9a-fA-F.]|[pP][+-]?)*|(?:[0-9.]|[eE][+-]?)+")
_SPACE = re.compile(r"\s+")
_SYMBOLS = ("...", "..", "==", "~=", "<=", ">=", "::", "<<", ">>", "//")
_PRELUDE = "local __built, __frame, __key = ...; "
_Token = tuple[str, str]          # (kind, text)


def _long_end(source: str, start: int, level: str) -> int:
    end = source.find("]" + level + "]", start)
    return len(source) if end < 0 else end + len(level) + 2


def _match_end(pattern: re.Pattern[str], source: str, start: int) -> int:
    """Where `pattern`'s match at `start` ends (one character on if it does not match)."""
    match = pattern.match(source, start)
    return match.end() if match else start + 1


def _tokens(source: str) -> Iterator[_Token]:
    """(kind, text) pieces of a Lua source: space, comment, string, name, number or symbol.
    Their texts joined give the source back."""
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        long = _LONG_BRACKET.match(source, i) if c == "[" else None
        if c.isspace():
            end = _match_end(_SPACE, source, i)
            kind = "space"
        elif source.startswith("--", i):
            comment = _LONG_BRACKET.match(source, i + 2)
            end = _long_end(source, comment.end(), comment.group(1)) if comment else source.find("\n", i)
            end, kind = (n if end < 0 else end), "comment"
        elif c in "\"'":
            end = i + 1
            while end < n and source[end] not in (c, "\n"):
                end += 2 if source[end] == "\\" else 1
            end, kind = min(end + 1, n), "string"
        elif long:
            end, kind = _long_end(source, long.end(), long.group(1)), "string"
        elif c.isascii() and (c.isalpha() or c == "_"):
            end, kind = _match_end(_NAME, source, i), "name"
        elif c.isascii() and c.isdigit() or (c == "." and source[i + 1:i + 2].isdigit()):
            end, kind = _match_end(_NUMBER, source, i), "number"
        else:
            end, kind = i + len(next((s for s in _SYMBOLS if source.startswith(s, i)), c)), "symbol"
        yield kind, source[i:end]
        i = end


def _calls_with_table(previous: _Token | None) -> bool:
    """Whether `{` after this token is call syntax, as in f{...}."""
    if previous is None:
        return False
    kind, text = previous
    return kind == "string" or (kind == "name" and text not in _KEYWORDS) or text in (")", "]", "}")


class _Unbalanced(Exception):
    """Brackets or blocks that do not pair up: the source is left for Lua to refuse."""


@functools.lru_cache(maxsize=64)
def _track_source(source: str) -> str:
    """The script with every table constructor reporting its keys in the order they are
    written; the source unchanged if it does not parse as expected (Lua then reports why)."""
    if source.startswith("\x1b"):      # a binary chunk: load() refuses it
        return source
    tokens = list(_tokens(source))
    significant = [i for i, (kind, _) in enumerate(tokens) if kind not in ("space", "comment")]
    out = [text for _, text in tokens]
    stack: list[str] = []
    field_start, previous = False, None
    try:
        for position, index in enumerate(significant):
            token = tokens[index]
            if field_start:
                field_start = False
                following = tokens[significant[position + 1]] if position + 1 < len(significant) else None
                key = _field_key(token, following, stack)
                if key is not None:
                    out[index] = key
                    previous = token
                    continue
            replacement = _track_token(token, previous, stack)
            if replacement is not None:
                out[index] = replacement
            field_start = token[0] == "symbol" and token[1] in ("{", ",", ";") and _in_table(stack)
            previous = token
    except _Unbalanced:
        return source
    if stack:
        return source
    return _PRELUDE + "".join(out)


def _in_table(stack: list[str]) -> bool:
    return bool(stack) and stack[-1].startswith("{")


def _field_key(token: _Token, following: _Token | None, stack: list[str]) -> str | None:
    """At the start of a table field: the reporting spelling of its key (`name =` or `[...] =`);
    None for a field without a key."""
    kind, text = token
    if kind == "name" and text not in _KEYWORDS and following == ("symbol", "="):
        return f'[__key("{text}")]'
    if token == ("symbol", "["):
        stack.append("key")
        return "[__key("
    return None


def _track_token(token: _Token, previous: _Token | None, stack: list[str]) -> str | None:
    """Follow one token on the `stack` of open brackets and blocks; the text that replaces it
    (table constructors and keys report themselves), None to keep it as it is."""
    kind, text = token
    if kind == "symbol" and text == "{":
        call = _calls_with_table(previous)
        stack.append("{call" if call else "{")
        return ("(" if call else "") + "__built(__frame(), {"
    if kind == "symbol" and text == "}":
        if not _in_table(stack):
            raise _Unbalanced
        return "})" + (")" if stack.pop() == "{call" else "")
    if kind == "symbol" and text in ("(", "["):
        stack.append(text)
    elif kind == "symbol" and text in (")", "]"):
        if not stack or stack[-1] not in ("(", "[", "key") or (stack[-1] == "(") != (text == ")"):
            raise _Unbalanced
        if stack.pop() == "key":
            return ")]"
    elif kind == "name" and text in _BLOCK_OPEN:
        stack.append("block")
    elif kind == "name" and text in _BLOCK_CLOSE and (not stack or stack.pop() != "block"):
        raise _Unbalanced
    return None


class _Session:
    """One sandboxed interpreter with one script loaded."""

    def __init__(self, script: str, timeout: float):
        from lupa import lua54

        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.lua = lua54.LuaRuntime(unpack_returned_tuples=True, register_eval=False,
                                    register_builtins=False, max_memory=MAX_MEMORY,
                                    attribute_filter=_no_attributes)
        kube_funcs = self.lua.table_from({name: self._guard(fn) for name, fn in _kube_functions().items()})
        loader = self.lua.eval("function(...) " + _BOOTSTRAP + " end")
        self.exec, self.new_table = loader(self._expired, kube_funcs, self.lua.table_from(list(_DISABLED)),
                                           TIMED_OUT)
        self._call(lambda: self.exec(_track_source(script)))

    def _expired(self) -> bool:
        return time.monotonic() > self.deadline

    def _guard(self, fn: Callable) -> Callable:
        """A kube helper as Lua sees it: Lua values in, Lua values out, errors as Lua errors."""
        def call(*args):
            try:
                return self.to_lua(fn(*[from_lua(a) for a in args]))
            except KarmadaError as e:
                raise _KubeError(e.message) from None
        return call

    def to_lua(self, value):
        """A Python value (YAML/JSON data) as Lua sees it, as Karmada's decodeValue builds it: dicts and
        lists become tables that remember their key order; None (JSON null) vanishes, and later list
        elements move up."""
        if isinstance(value, dict):
            table = self.new_table()
            for k, v in value.items():
                if v is not None:
                    table[k] = self.to_lua(v)
            return table
        if isinstance(value, (list, tuple)):
            table = self.new_table()
            for index, v in enumerate((v for v in value if v is not None), start=1):
                table[index] = self.to_lua(v)
            return table
        return value

    def _call(self, thunk: Callable[[], Any]):
        from lupa.lua54 import LuaError

        self.deadline = time.monotonic() + self.timeout
        try:
            return thunk()
        except MemoryError:
            raise InterpreterError("lua script exceeded its memory limit") from None
        except LuaError as e:
            message = _lua_message(str(e))
            if TIMED_OUT in message:
                raise InterpreterError(f"{TIMED_OUT} (limit {self.timeout:g}s per call)") from None
            raise InterpreterError(message) from None
        except _KubeError as e:
            raise InterpreterError(f"kube: {e}") from None

    def type_of(self, value) -> str:
        return self.lua.globals().type(value)

    def call(self, function: str, args: tuple, results: int) -> list:
        fn = self.lua.globals()[function]
        if fn is None:
            raise InterpreterError(f"not found function {function}")
        if self.type_of(fn) != "function":
            raise InterpreterError(f"{function} is not a function: {self.type_of(fn)}")
        lua_args = [self.to_lua(a) for a in args]
        out = self._call(lambda: fn(*lua_args))
        values = list(out) if isinstance(out, tuple) else [out]
        return (values + [None] * results)[:results]


def _no_attributes(obj, name, is_setting):
    raise AttributeError("access to Python objects is not allowed")


def run(script: str, function: str, *args, results: int = 1, timeout: float = TIMEOUT_SECONDS,
        empty: Callable[[], Any] = dict, references: tuple = ()) -> list:
    """Load `script` in a fresh sandbox and call `function(*args)`; `results` return values,
    converted to Python (missing ones are None; an empty table is `empty()`; nested empty tables
    follow `references`, see from_lua). Raises InterpreterError with the Lua message."""
    values = _Session(script, timeout).call(function, args, results)
    return [from_lua(v, empty=empty, references=references) for v in values]


def check(script: str, function: str) -> None:
    """Raise InterpreterError unless the script loads and defines `function`."""
    session = _Session(script, TIMEOUT_SECONDS)
    kind = session.type_of(session.lua.globals()[function])
    if kind != "function":
        raise InterpreterError(f"not found function {function}" if kind == "nil"
                               else f"{function} is not a function: {kind}")


# -- Lua -> Python ------------------------------------------------------------------------

class _Empty:
    """An empty table while converting: {} or [] or nothing, decided by the references."""


EMPTY = _Empty()


def _number(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return int(value)
    return value


def _convert(value):
    from lupa.lua54 import lua_type

    kind = lua_type(value)
    if kind is None:
        return _number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if kind != "table":
        raise InterpreterError(f"cannot encode {kind} to JSON")
    items = list(value.items())
    if not items:
        return EMPTY
    if all(isinstance(k, int) and not isinstance(k, bool) for k, _ in items):
        keys = sorted(k for k, _ in items)
        if keys != list(range(1, len(keys) + 1)):
            raise InterpreterError("cannot encode sparse array")
        return [_convert(value[k]) for k in keys]
    if all(isinstance(k, str) for k, _ in items):
        return {k: _convert(v) for k, v in sorted(items)}
    raise InterpreterError("cannot encode mixed or invalid key types")


def _empty_paths(value, path: tuple, lists: set, objects: set) -> None:
    """Paths (keys only, list indices left out) that hold [] or {} in a reference object."""
    children = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, child in children:
        here = path if key is None else path + (key,)
        if child == []:
            lists.add(here)
        elif child == {}:
            objects.add(here)
        elif isinstance(child, (dict, list)):
            _empty_paths(child, here, lists, objects)


def _settle(value, path: tuple, lists: set, objects: set):
    """Karmada's convertEmptySliceToEmptyStructPartly on converted data: a nested empty table is
    {} where a reference had an empty object at its path, [] where it had an empty list, else gone."""
    def settled(child, here):
        if child is not EMPTY:
            return _settle(child, here, lists, objects)
        if here in objects:
            return {}
        return [] if here in lists else EMPTY

    if isinstance(value, dict):
        pairs = ((k, settled(v, path + (k,))) for k, v in value.items())
        return {k: v for k, v in pairs if v is not EMPTY}
    if isinstance(value, list):
        return [v for v in (settled(v, path) for v in value) if v is not EMPTY]
    return value


def from_lua(value, empty: Any = None, references: tuple = ()):
    """A Lua value as Python data by Karmada's rules. An empty table at the root becomes
    `empty` (called if callable: dict for objects, list for lists); a nested one is kept as
    {} or [] where one of the `references` (the objects the script was given, for
    ReviseReplica and Retain) held an empty object or list at the same path, and dropped
    otherwise (lua_convert.go convertEmptySliceToEmptyStructPartly)."""
    converted = _convert(value)
    if converted is EMPTY:
        return empty() if callable(empty) else empty
    lists: set = set()
    objects: set = set()
    for reference in references:
        if isinstance(reference, (dict, list)):
            _empty_paths(reference, (), lists, objects)
    return _settle(converted, (), lists, objects)


def _kube_functions() -> dict[str, Callable]:
    from karmadactl.interpreter import kube

    return {"resourceAdd": kube.resource_add, "accuratePodRequirements": kube.accurate_pod_requirements,
            "getPodDependencies": kube.get_pod_dependencies, "getResourceQuantity": kube.get_resource_quantity}
