"""One way in to the resource interpreter: user customizations first, then the built-in one.

Karmada asks, per operation, (1) ResourceInterpreterCustomization Lua scripts,
(2) webhooks (not supported here), (3) bundled third-party customizations (not
bundled here), (4) the native interpreter; the first that implements the
operation for the object's apiVersion/kind answers. The functions below mirror
native's API (replicas.py, native.py) with a `customizations` argument: a list
of parsed Customization objects. Without a matching script nothing Lua is
imported. Script failures raise lua.InterpreterError.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from karmadactl.interpreter.customization import Customization, scripts_for

Customizations = Sequence[Customization]
_REQUIREMENT_FIELDS = ("nodeClaim", "resourceRequest", "namespace", "priorityClassName")
_REFERENCE_FIELDS = ("apiVersion", "kind", "namespace", "name", "labelSelector")


def _lua():
    from karmadactl.interpreter import lua

    return lua


def _fail(operation: str, message: str):
    lua = _lua()
    return lua.InterpreterError(f"{operation}: {message}")


def _lua_type(value) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    names: dict[type, str] = {str: "string", dict: "table", list: "table"}
    return names.get(type(value), "number")


def _object_result(value, operation: str, function: str) -> dict:
    """A table decoded into an object (Karmada: RawExtension, ReplicaRequirements)."""
    if not isinstance(value, (dict, list)):
        raise _fail(operation, f"{function} must return a table, got {_lua_type(value)}")
    if isinstance(value, list):
        raise _fail(operation, f"{function} must return an object, got a list")
    return value


def _kube_object(value, operation: str, function: str) -> dict:
    """A table decoded into an Unstructured object, which needs a kind (apimachinery's
    unstructuredJSONScheme.Decode: "Object 'Kind' is missing")."""
    obj = _object_result(value, operation, function)
    if not isinstance(obj.get("kind"), str) or not obj["kind"]:
        raise _fail(operation, f"{function}: Object 'Kind' is missing in the returned table")
    return obj


def _run(script: str, operation: str, function: str, *args, results: int = 1, empty=dict,
         references: tuple = ()) -> list:
    lua = _lua()
    try:
        return lua.run(script, function, *args, results=results, empty=empty, references=references)
    except lua.InterpreterError as e:
        raise lua.InterpreterError(f"{operation}: {e.message}") from None


def _status_items(items: list[dict] | None) -> list[dict] | None:
    """AggregatedStatusItems as Karmada hands them to Lua: JSON of the Go struct, so only its
    fields, and `applied` only when true, `status`, `appliedMessage`, `health` only when set
    (pkg/apis/work/v1alpha2/binding_types.go, omitempty)."""
    if items is None:
        return None
    out = []
    for item in items:
        entry = {"clusterName": item.get("clusterName") or ""}
        if item.get("status") is not None:
            entry["status"] = item["status"]
        if item.get("applied") is True:
            entry["applied"] = True
        for key in ("appliedMessage", "health"):
            if item.get(key):
                entry[key] = item[key]
        out.append(entry)
    return out


# -- the Lua operations, with Karmada's result checks (luavm/lua.go) -----------------------

def lua_get_replicas(script: str, obj: dict) -> tuple[int, dict | None]:
    replica, requires = _run(script, "InterpretReplica", "GetReplicas", obj, results=2)
    if not isinstance(replica, (int, float)) or isinstance(replica, bool):
        raise _fail("InterpretReplica", f"GetReplicas: replica must be a number, got {_lua_type(replica)}")
    if requires is None:
        return int(replica), None
    requires = _object_result(requires, "InterpretReplica", "GetReplicas")
    return int(replica), {k: requires[k] for k in _REQUIREMENT_FIELDS if k in requires}


def lua_get_components(script: str, obj: dict) -> list[dict]:
    (components,) = _run(script, "InterpretComponent", "GetComponents", obj, empty=list)
    if components is None:
        return []
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise _fail("InterpretComponent", "GetComponents must return a list of components")
    return components


def lua_revise_replica(script: str, obj: dict, replicas: int) -> dict:
    (revised,) = _run(script, "ReviseReplica", "ReviseReplica", obj, int(replicas), references=(obj,))
    return _kube_object(revised, "ReviseReplica", "ReviseReplica")


def lua_retain(script: str, desired: dict, observed: dict) -> dict:
    (retained,) = _run(script, "Retain", "Retain", desired, observed, references=(desired, observed))
    return _kube_object(retained, "Retain", "Retain")


def lua_reflect_status(script: str, observed: dict) -> dict:
    (status,) = _run(script, "InterpretStatus", "ReflectStatus", observed)
    return _object_result(status, "InterpretStatus", "ReflectStatus")


def lua_aggregate_status(script: str, obj: dict, items: list[dict] | None) -> dict:
    (aggregated,) = _run(script, "AggregateStatus", "AggregateStatus", obj, _status_items(items))
    return _kube_object(aggregated, "AggregateStatus", "AggregateStatus")


def lua_interpret_health(script: str, observed: dict) -> bool:
    (healthy,) = _run(script, "InterpretHealth", "InterpretHealth", observed)
    if not isinstance(healthy, bool):
        raise _fail("InterpretHealth", f"InterpretHealth must return a boolean, got {_lua_type(healthy)}")
    return healthy


def lua_get_dependencies(scripts: Sequence[str], obj: dict) -> list[dict]:
    """The union of every script's references, sorted as Karmada sorts them."""
    unique: dict[str, dict] = {}
    for script in scripts:
        (refs,) = _run(script, "InterpretDependency", "GetDependencies", obj, empty=list)
        if not isinstance(refs, list):
            raise _fail("InterpretDependency", "GetDependencies must return a list of references, "
                                               f"got {_lua_type(refs) if refs is None else 'an object'}")
        for ref in refs:
            if not isinstance(ref, dict) or not ref.get("apiVersion") or not ref.get("kind"):
                raise _fail("InterpretDependency", f"dependency {ref!r}: apiVersion and kind are required")
            if not ref.get("name") and not ref.get("labelSelector"):
                raise _fail("InterpretDependency", f"dependency {ref!r}: name or labelSelector is required")
            clean = {k: ref[k] for k in _REFERENCE_FIELDS if ref.get(k) not in (None, "")}
            unique[repr(sorted(clean.items()))] = clean
    return sorted(unique.values(), key=lambda r: (r["apiVersion"], r["kind"], r.get("namespace", ""),
                                                  r.get("name", "")))


# -- resolution: customization first, then built-in -------------------------------------

def interpret_replicas(obj: dict, customizations: Customizations = ()) -> tuple[int, dict | None]:
    scripts = scripts_for(customizations, obj, "InterpretReplica")
    if scripts:
        return lua_get_replicas(scripts[0], obj)
    from karmadactl.interpreter.replicas import interpret_replicas as native

    return native(obj)


def revise_replicas(obj: dict, replicas: int, customizations: Customizations = ()) -> dict:
    scripts = scripts_for(customizations, obj, "ReviseReplica")
    if scripts:
        return lua_revise_replica(scripts[0], obj, replicas)
    from karmadactl.interpreter.replicas import revise_replicas as native

    return native(obj, replicas)


def retain(desired: dict, observed: dict, customizations: Customizations = ()) -> dict:
    """Generic retention (member metadata) always; then the kind's Retain, Lua or built-in."""
    scripts = scripts_for(customizations, desired, "Retain")
    if scripts:
        from karmadactl.interpreter.retain import retain_metadata

        return lua_retain(scripts[0], retain_metadata(desired, observed), copy.deepcopy(observed))
    from karmadactl.interpreter.native import retain as native

    return native(desired, observed)


def reflect_status(obj: dict, customizations: Customizations = ()) -> dict | None:
    scripts = scripts_for(customizations, obj, "InterpretStatus")
    if scripts:
        return lua_reflect_status(scripts[0], obj) if obj.get("status") is not None else None
    from karmadactl.interpreter.native import reflect_status as native

    return native(obj)


def aggregate_status(template: dict, items: list[dict], customizations: Customizations = (), *,
                     now: str | None = None) -> dict | None:
    """The template's new .status; a Lua AggregateStatus returns the whole object, its
    .status is taken ({} when it has none)."""
    scripts = scripts_for(customizations, template, "AggregateStatus")
    if scripts:
        aggregated = lua_aggregate_status(scripts[0], template, items)
        status = aggregated.get("status")
        return status if isinstance(status, dict) else {}
    from karmadactl.interpreter.native import aggregate_status as native

    return native(template, items, now=now)


def has_aggregate_status(template: dict, customizations: Customizations = ()) -> bool:
    from karmadactl.interpreter.native import has_aggregate_status as native

    return bool(scripts_for(customizations, template, "AggregateStatus")) or native(template)


def interpret_health(obj: dict, customizations: Customizations = ()) -> str:
    """"Healthy" or "Unhealthy", as native.interpret_health."""
    from karmadactl.interpreter.native import HEALTHY, UNHEALTHY
    from karmadactl.interpreter.native import interpret_health as native

    scripts = scripts_for(customizations, obj, "InterpretHealth")
    if scripts:
        return HEALTHY if lua_interpret_health(scripts[0], obj) else UNHEALTHY
    return native(obj)


def get_dependencies(obj: dict, customizations: Customizations = ()) -> list[dict]:
    scripts = scripts_for(customizations, obj, "InterpretDependency")
    if scripts:
        return lua_get_dependencies(scripts, obj)
    from karmadactl.interpreter.native import get_dependencies as native

    return native(obj)
