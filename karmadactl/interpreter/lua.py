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
- a memory ceiling for the interpreter.

Objects cross as Karmada converts them: maps become tables, lists 1-based
arrays; on the way back a table with keys 1..n is a list, one with string keys
an object (keys sorted, as Go writes maps), and an empty table nested in a result is dropped (gopher-json writes
it as `[]`, which Karmada then deletes); an empty result is `{}` for objects and
`[]` for lists. Integral numbers come back as ints.
"""

from __future__ import annotations

import time
from typing import Any, Callable

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
local select, tostring, type = select, tostring, type
local table_pack, table_unpack = table.pack, table.unpack

sethook(function() if expired() then error(timed_out, 0) end end, "", %d)

local function rethrow_timeout(ok, ...)
  if not ok and expired() then error(timed_out, 0) end
  return ok, ...
end
pcall = (function(p) return function(...) return rethrow_timeout(p(...)) end end)(pcall)
xpcall = (function(p) return function(...) return rethrow_timeout(p(...)) end end)(xpcall)
_G.pcall, _G.xpcall = pcall, xpcall

local kube = {}
for name, fn in pairs(kube_py) do kube[name] = function(...) return fn(...) end end
local os_time, os_date = os.time, os.date

for _, name in ipairs({"io", "debug", "package", "coroutine", "utf8", "python", "os"}) do _G[name] = nil end
for _, name in ipairs(disabled) do
  _G[name] = function()
    error("call function " .. name .. " is not supported in karmada customized resourceinterpreter.", 2)
  end
end
_G.os = {time = os_time, date = os_date}
_G.print = function() end
string.dump = function() error("The Lua function string.dump is not supported by Karmada.", 2) end
string.rep = function() error("The Lua function string.rep is not supported by Karmada.", 2) end
_G.require = function(name)
  if name == "kube" then return kube end
  error("module '" .. tostring(name) .. "' not found: only \"kube\" can be required", 2)
end

return function(source)
  local chunk, message = load(source, "=customization", "t", _G)
  if not chunk then error(message, 0) end
  chunk()
end
""" % HOOK_EVERY


def _lua_message(message: str) -> str:
    """The Lua message without lupa's traceback noise."""
    return message.split("\nstack traceback:")[0].strip()


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
        self.exec = loader(self._expired, kube_funcs, self.lua.table_from(list(_DISABLED)), TIMED_OUT)
        self._call(lambda: self.exec(script))

    def _expired(self) -> bool:
        return time.monotonic() > self.deadline

    def _guard(self, fn: Callable) -> Callable:
        """A kube helper as Lua sees it: Lua values in, Lua values out, errors as Lua errors."""
        def call(*args):
            try:
                return to_lua(self.lua, fn(*[from_lua(a) for a in args]))
            except KarmadaError as e:
                raise _KubeError(e.message) from None
        return call

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

    def call(self, function: str, args: tuple, results: int) -> list:
        fn = self.lua.globals()[function]
        if fn is None:
            raise InterpreterError(f"not found function {function}")
        if self.lua.eval("type")(fn) != "function":
            raise InterpreterError(f"{function} is not a function: {self.lua.eval('type')(fn)}")
        lua_args = [to_lua(self.lua, a) for a in args]
        out = self._call(lambda: fn(*lua_args))
        values = list(out) if isinstance(out, tuple) else [out]
        values = (values + [None] * results)[:results]
        return [from_lua(v) for v in values]


def _no_attributes(obj, name, is_setting):
    raise AttributeError("access to Python objects is not allowed")


def run(script: str, function: str, *args, results: int = 1, timeout: float = TIMEOUT_SECONDS) -> list:
    """Load `script` in a fresh sandbox and call `function(*args)`; `results` return values,
    converted to Python (missing ones are None). Raises InterpreterError with the Lua message."""
    return _Session(script, timeout).call(function, args, results)


def check(script: str, function: str) -> None:
    """Raise InterpreterError unless the script loads and defines `function`."""
    session = _Session(script, TIMEOUT_SECONDS)
    kind = session.lua.eval("type")(session.lua.globals()[function])
    if kind != "function":
        raise InterpreterError(f"not found function {function}" if kind == "nil"
                               else f"{function} is not a function: {kind}")


# -- conversions --------------------------------------------------------------------------

def to_lua(lua, value):
    """A Python value (YAML/JSON data) as a Lua value: dicts and lists become tables."""
    if isinstance(value, (dict, list, tuple)):
        return lua.table_from(value, recursive=True)
    return value


class _Empty:
    """Marks an empty table while converting; dropped when nested."""


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
        raise InterpreterError(f"cannot convert a Lua {kind} to JSON")
    items = list(value.items())
    if not items:
        return EMPTY
    if all(isinstance(k, int) and not isinstance(k, bool) for k, _ in items):
        keys = sorted(k for k, _ in items)
        if keys != list(range(1, len(keys) + 1)):
            raise InterpreterError("cannot encode sparse array")
        converted = (_convert(value[k]) for k in keys)
        return [v for v in converted if v is not EMPTY]
    if all(isinstance(k, str) for k, _ in items):
        converted = ((k, _convert(v)) for k, v in sorted(items))
        return {k: v for k, v in converted if v is not EMPTY}
    raise InterpreterError("cannot encode mixed or invalid key types")


def from_lua(value, empty: Any = None):
    """A Lua value as Python data by Karmada's rules; an empty table at the root becomes
    `empty` (None by default; pass {} for objects, [] for lists)."""
    converted = _convert(value)
    if converted is EMPTY:
        return empty() if callable(empty) else empty
    return converted


def _kube_functions() -> dict[str, Callable]:
    from karmadactl.interpreter import kube

    return {"resourceAdd": kube.resource_add, "accuratePodRequirements": kube.accurate_pod_requirements,
            "getPodDependencies": kube.get_pod_dependencies, "getResourceQuantity": kube.get_resource_quantity}
