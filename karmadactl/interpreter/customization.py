"""ResourceInterpreterCustomization (config.karmada.io/v1alpha1), typed; pure.

spec.target {apiVersion, kind} names the kind it interprets; spec.customizations
holds one rule per operation, each with a `luaScript`. Several customizations may
target one kind: as Karmada's configmanager does, they are taken in name order and
the first non-empty script of each rule wins, except dependencyInterpretation,
whose scripts all run and whose results are merged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from karmadactl.errors import InvalidInput

API_VERSION = "config.karmada.io/v1alpha1"
KIND = "ResourceInterpreterCustomization"
GROUP_KIND = "ResourceInterpreterCustomization.config.karmada.io"

# spec.customizations rule -> (operation, Lua function)
RULES = {
    "retention": ("Retain", "Retain"),
    "replicaResource": ("InterpretReplica", "GetReplicas"),
    "componentResource": ("InterpretComponent", "GetComponents"),
    "replicaRevision": ("ReviseReplica", "ReviseReplica"),
    "statusReflection": ("InterpretStatus", "ReflectStatus"),
    "statusAggregation": ("AggregateStatus", "AggregateStatus"),
    "healthInterpretation": ("InterpretHealth", "InterpretHealth"),
    "dependencyInterpretation": ("InterpretDependency", "GetDependencies"),
}
OPERATIONS = {operation: function for operation, function in RULES.values()}


@dataclass(frozen=True)
class Customization:
    name: str
    api_version: str
    kind: str
    scripts: dict[str, str] = field(default_factory=dict)   # operation -> luaScript

    @classmethod
    def from_dict(cls, obj: dict, source: str = "") -> Customization:
        where = source or "ResourceInterpreterCustomization"
        if not isinstance(obj, dict) or obj.get("kind") != KIND:
            raise InvalidInput(f"{where}: expected kind {KIND}")
        if obj.get("apiVersion") != API_VERSION:
            raise InvalidInput(f"{where}: apiVersion: expected {API_VERSION}")
        name = (obj.get("metadata") or {}).get("name")
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"{where}: metadata.name: required")
        where = f"{where}: {KIND} {name}"
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            raise InvalidInput(f"{where}: spec: required")
        target = spec.get("target") or {}
        if not isinstance(target, dict):
            raise InvalidInput(f"{where}: spec.target: expected a mapping")
        for key in ("apiVersion", "kind"):
            if not isinstance(target.get(key), str) or not target.get(key):
                raise InvalidInput(f"{where}: spec.target.{key}: required")
        rules = spec.get("customizations") or {}
        if not isinstance(rules, dict):
            raise InvalidInput(f"{where}: spec.customizations: expected a mapping")
        scripts: dict[str, str] = {}
        for rule, body in rules.items():
            if rule not in RULES:
                raise InvalidInput(f"{where}: spec.customizations.{rule}: unknown rule "
                                   f"(one of {', '.join(RULES)})")
            script = (body or {}).get("luaScript") if isinstance(body, dict) else None
            if not isinstance(script, str) or not script.strip():
                raise InvalidInput(f"{where}: spec.customizations.{rule}.luaScript: required")
            scripts[RULES[rule][0]] = script
        return cls(name, target["apiVersion"], target["kind"], scripts)

    def targets(self, obj: dict) -> bool:
        return obj.get("apiVersion") == self.api_version and obj.get("kind") == self.kind


def parse_all(objs: Iterable[dict]) -> list[Customization]:
    """Typed customizations, sorted by name (the order Karmada merges them in)."""
    return sorted((Customization.from_dict(o) for o in objs), key=lambda c: c.name)


def scripts_for(customizations: Iterable[Customization], obj: dict, operation: str) -> list[str]:
    """The scripts that implement `operation` for this object's apiVersion/kind: at most one,
    except InterpretDependency (all of them). [] means: use the built-in interpreter."""
    found = [c.scripts[operation] for c in sorted(customizations, key=lambda c: c.name)
             if c.targets(obj) and c.scripts.get(operation)]
    return found if operation == "InterpretDependency" else found[:1]
