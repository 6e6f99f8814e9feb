"""/openapi/v3 documents of a sandbox member, with the schemas `kubectl explain` reads.

kube-apiserver serves one OpenAPI v3 document per group/version: `paths` whose
operations carry `x-kubernetes-group-version-kind`, and `components.schemas` where
each top-level kind is marked with the same extension. The built-in schemas come
from the JSON schemas the `kubernetes-validate` package ships (JSON Schema with
`$ref`s into `_definitions.json`), converted here to OpenAPI v3 as kube-openapi
writes it: refs into `#/components/schemas/`, a property that refers to another
type as `allOf: [{$ref}]` beside its own description, one `type` string (the
package's `[T, "null"]` unions dropped), int-or-string as `type: string,
format: int-or-string`. A CRD's kinds get their `openAPIV3Schema`.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

REF_PREFIX = "#/$defs/"
COMPONENTS = "#/components/schemas/"
API_VERSION_TEXT = ("APIVersion defines the versioned schema of this representation of an object. Servers "
                    "should convert recognized schemas to the latest internal value, and may reject "
                    "unrecognized values.")
KIND_TEXT = ("Kind is a string value representing the REST resource this object represents. Servers may "
             "infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.")


def _schema_folder() -> Path | None:
    """The newest non-strict schema folder of kubernetes-validate (fields stay open, as kube's)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"
    folders = [p for p in base.glob("v*-local") if p.is_dir()]

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.name.split("-")[0]))
    return max(folders, key=version) if folders else None


@functools.cache
def definitions() -> dict[str, dict]:
    """Every definition of the package, converted to OpenAPI v3 ({} without the package)."""
    folder = _schema_folder()
    if folder is None:
        return {}
    with (folder / "_definitions.json").open() as f:
        raw = json.load(f).get("$defs") or {}
    return {name: convert(schema) for name, schema in raw.items()}


def convert(schema: Any) -> Any:
    """One JSON schema (kubernetes-validate's dialect) as an OpenAPI v3 schema; pure."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = COMPONENTS + value.removeprefix(REF_PREFIX)
        elif key == "type":
            kinds = _types(value)
            if kinds:
                out[key] = kinds[0]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _property(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = convert(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [convert(v) for v in value]
        elif key == "enum" and isinstance(value, list):
            out[key] = [v for v in value if v is not None]
        else:
            out[key] = value
    return out


def _types(value: Any) -> list[str]:
    listed = value if isinstance(value, list) else [value]
    return [t for t in listed if isinstance(t, str) and t != "null"]


def _property(schema: Any) -> Any:
    """A property that refers to another type: allOf [$ref] with its own description, as kube writes it."""
    converted = convert(schema)
    if isinstance(converted, dict) and "$ref" in converted and len(converted) > 1:
        ref = converted.pop("$ref")
        converted = {**converted, "allOf": [{"$ref": ref}]}
    return converted


def _references(schema: Any, found: set[str]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENTS):
            found.add(ref[len(COMPONENTS):])
        for value in schema.values():
            _references(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _references(value, found)


def closure(names: list[str], defs: dict[str, dict]) -> dict[str, dict]:
    """The named definitions and every definition they refer to, transitively; pure."""
    out: dict[str, dict] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in out or name not in defs:
            continue
        out[name] = defs[name]
        found: set[str] = set()
        _references(defs[name], found)
        todo.extend(sorted(found - out.keys()))
    return out


def _gvks(schema: dict) -> list[dict]:
    listed = schema.get("x-kubernetes-group-version-kind")
    return listed if isinstance(listed, list) else []


@functools.cache
def builtin_schemas(group: str, version: str, kinds: frozenset[str]) -> dict[str, dict]:
    """components.schemas for the built-in kinds of one group/version."""
    defs = definitions()
    tops = [name for name, schema in defs.items()
            if any(g.get("group", "") == group and g.get("version") == version and g.get("kind") in kinds
                   for g in _gvks(schema))]
    return dict(sorted(closure(tops, defs).items()))


def crd_schema(crd: dict, version: str) -> tuple[str, dict] | None:
    """(component name, schema) of one served version of a CRD, as kube-apiserver publishes it."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    group, kind = spec.get("group"), names.get("kind")
    for v in spec.get("versions") or []:
        if not isinstance(v, dict) or v.get("name") != version:
            continue
        declared = ((v.get("schema") or {}).get("openAPIV3Schema") if isinstance(v.get("schema"), dict)
                    else None) or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        schema = json.loads(json.dumps(declared))
        props = schema.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string", "description": API_VERSION_TEXT})
        props.setdefault("kind", {"type": "string", "description": KIND_TEXT})
        props["metadata"] = {"allOf": [{"$ref": COMPONENTS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}],
                             "description": "Standard object's metadata."}
        schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
        reversed_group = ".".join(reversed(str(group).split(".")))
        return f"{reversed_group}.{version}.{kind}", schema
    return None


def group_version_document(registry, gv_path: str, crds: list[dict]) -> dict | None:
    """The document of one group/version path (`api/v1`, `apis/apps/v1`), or None when not served."""
    document = registry.openapi_group_version(gv_path)
    if document is None:
        return None
    served = [r for r in registry.all()
              if (f"apis/{r.group}/{r.version}" if r.group else f"api/{r.version}") == gv_path]
    builtin = frozenset(r.kind for r in served if not r.crd)
    schemas: dict[str, dict] = {}
    if builtin:
        schemas.update(builtin_schemas(served[0].group, served[0].version, builtin))
    for r in served:
        if not r.crd:
            continue
        for crd in crds:
            spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
            if spec.get("group") == r.group and (spec.get("names") or {}).get("plural") == r.plural:
                found = crd_schema(crd, r.version)
                if found:
                    schemas[found[0]] = found[1]
    if any(r.crd for r in served):
        schemas.update(closure(["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"], definitions()))
    document["components"] = {"schemas": dict(sorted(schemas.items()))}
    return document
