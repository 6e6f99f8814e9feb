"""interpret: run a ResourceInterpreterCustomization's Lua rules on objects, or check they load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.interpreter.customization import Customization


@dataclass
class Checked:
    customization: Customization
    failures: dict[str, str | None] = field(default_factory=dict)    # operation -> why it fails, None: passes

    @property
    def failed(self) -> bool:
        return any(why is not None for why in self.failures.values())


def check(customizations: list[Customization]) -> list[Checked]:
    """Load every rule in the sandbox and check its function exists."""
    from karmadactl.interpreter import lua
    from karmadactl.interpreter.customization import OPERATIONS

    checked = []
    for c in customizations:
        result = Checked(c)
        for operation, script in c.scripts.items():
            try:
                lua.check(script, OPERATIONS[operation])
                result.failures[operation] = None
            except lua.InterpreterError as e:
                result.failures[operation] = e.message
        checked.append(result)
    return checked


def _object_for(operation: str, desired: dict | None, observed: dict | None) -> dict:
    """The object an operation reads: Karmada's pkg/util/interpreter/rule.go RuleArgs."""
    from karmadactl.errors import UsageError

    if operation == "Retain":
        for value, flag in ((desired, "--desired-file"), (observed, "--observed-file")):
            if value is None:
                raise UsageError(f"--operation Retain needs {flag}")
    elif desired is None and observed is None:
        raise UsageError(f"--operation {operation} needs --desired-file or --observed-file")
    elif desired is not None and observed is not None:
        raise UsageError(f"--operation {operation}: give --desired-file or --observed-file, not both")
    obj = desired if desired is not None else observed
    assert obj is not None
    return obj


def execute(customizations: list[Customization], operation: str, desired: dict | None, observed: dict | None,
            status_items: list | None, desired_replica: int = 0) -> dict:
    """Run one operation; the result keyed as Karmada's test data."""
    from karmadactl.errors import InvalidInput
    from karmadactl.interpreter import resolve
    from karmadactl.interpreter.customization import scripts_for

    obj = _object_for(operation, desired, observed)
    scripts = scripts_for(customizations, obj, operation)
    if not scripts:
        raise InvalidInput(f"no customization implements {operation} for "
                           f"{obj.get('apiVersion')}, Kind={obj.get('kind')}")
    script = scripts[0]
    if operation == "InterpretReplica":
        replica, requires = resolve.lua_get_replicas(script, obj)
        return {"replica": replica, "requires": requires}
    if operation == "ReviseReplica":
        return {"revised": resolve.lua_revise_replica(script, obj, desired_replica)}
    if operation == "Retain":
        return {"retained": resolve.lua_retain(script, obj, observed or {})}
    if operation == "InterpretStatus":
        return {"status": resolve.lua_reflect_status(script, obj)}
    if operation == "AggregateStatus":
        return {"aggregatedStatus": resolve.lua_aggregate_status(script, obj, status_items)}
    if operation == "InterpretHealth":
        return {"healthy": resolve.lua_interpret_health(script, obj)}
    if operation == "InterpretDependency":
        return {"dependencies": resolve.lua_get_dependencies(scripts, obj)}
    return {"components": resolve.lua_get_components(script, obj)}
