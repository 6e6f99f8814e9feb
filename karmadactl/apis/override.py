"""OverridePolicy / ClusterOverridePolicy (policy.karmada.io/v1alpha1) as typed objects; pure.

`OverridePolicy.from_dict` reads Karmada's YAML unchanged, including the deprecated
top-level `spec.targetCluster` / `spec.overriders` form (turned into one rule, as
Karmada's override manager does), rejects unknown or mistyped fields, and applies the
checks of Karmada's validating webhook plus the documented value rules of the API.
Every problem is one InvalidInput naming the field path:
"<source>: OverridePolicy default/x: spec.overrideRules[0].overriders.plaintext[1].value: required for add".
`to_dict` always writes the current `overrideRules` form, so `from_dict(p.to_dict()) == p`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from karmadactl.apis.policy import (  # the shared strict readers of policy objects
    _DNS_LABEL,
    _DNS_SUBDOMAIN,
    _LABEL_VALUE,
    API_VERSION,
    DEFAULT_NAMESPACE,
    ClusterAffinity,
    FieldError,
    NamedPolicy,
    ResourceSelector,
    _label_selector_problems,
    _list,
    _object,
    _opt_object,
    _str,
    _str_list,
    _type_name,
    _unsupported,
    _valid_label_key,
)
from karmadactl.errors import InvalidInput

OP_KIND = "OverridePolicy"
COP_KIND = "ClusterOverridePolicy"
KINDS = (OP_KIND, COP_KIND)

ADD, REMOVE, REPLACE = "add", "remove", "replace"
PATCH_OPERATORS = (ADD, REMOVE, REPLACE)
IMAGE_OPERATORS = (ADD, REMOVE, REPLACE)
COMMAND_ARGS_OPERATORS = (ADD, REMOVE)
LABEL_ANNOTATION_OPERATORS = (ADD, REMOVE, REPLACE)
IMAGE_COMPONENTS = ("Registry", "Repository", "Tag")

NAME_MAX = 253
ANNOTATIONS_MAX_BYTES = 256 * 1024

# YAML key of each Overriders list, in the order Karmada's API (and its JSON) lists them.
OVERRIDER_KEYS = {
    "plaintext": "plaintext",
    "image": "imageOverrider",
    "command": "commandOverrider",
    "args": "argsOverrider",
    "labels": "labelsOverrider",
    "annotations": "annotationsOverrider",
    "field": "fieldOverrider",
}


class _Absent:
    """The value of a JSON `value` field that was not given (Karmada treats `null` the same)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False

    def __deepcopy__(self, memo: dict) -> _Absent:
        return self


ABSENT: Any = _Absent()


# ---------------------------------------------------------------- small readers

def _pointer_problem(value: str, path: str) -> None:
    if not value.startswith("/"):
        raise FieldError(path, f'must be a JSON pointer starting with "/", got "{value}"')


def _required_field(d: dict, key: str, path: str) -> str:
    value = _str(d, key, path)
    if not value:
        raise FieldError(f"{path}.{key}", "required")
    return value


def _operator(d: dict, path: str, allowed: tuple[str, ...]) -> str:
    operator = _required_field(d, "operator", path)
    if operator not in allowed:
        raise FieldError(f"{path}.operator", _unsupported(operator, allowed))
    return operator


def _json_value(d: dict, operator: str, path: str) -> Any:
    """The JSON `value` of a patch operation: required for add/replace, not allowed for remove."""
    value = d.get("value")
    if value is None:
        if operator in (ADD, REPLACE):
            raise FieldError(f"{path}.value", f"required for {operator}")
        return ABSENT
    if operator == REMOVE:
        raise FieldError(f"{path}.value", "must not be set for remove")
    return copy.deepcopy(value)


def _value_out(value: Any, null_absent: bool) -> dict:
    if value is ABSENT:
        return {"value": None} if null_absent else {}
    return {"value": copy.deepcopy(value)}


# ---------------------------------------------------------------- overriders

@dataclass
class PlaintextOverrider:
    path: str
    operator: str
    value: Any = ABSENT

    @classmethod
    def from_dict(cls, d: Any, path: str) -> PlaintextOverrider:
        d = _object(d, path, ("path", "operator", "value"))
        pointer = _required_field(d, "path", path)
        _pointer_problem(pointer, f"{path}.path")
        operator = _operator(d, path, PATCH_OPERATORS)
        return cls(pointer, operator, _json_value(d, operator, path))

    def to_dict(self, null_absent: bool = False) -> dict:
        return {"path": self.path, "operator": self.operator, **_value_out(self.value, null_absent)}


@dataclass
class ImageOverrider:
    component: str
    operator: str
    value: str = ""
    predicate_path: str = ""          # "" = no predicate: every container image of a workload

    @classmethod
    def from_dict(cls, d: Any, path: str) -> ImageOverrider:
        d = _object(d, path, ("predicate", "component", "operator", "value"))
        predicate_path = ""
        predicate = _opt_object(d, "predicate", path, ("path",))
        if predicate is not None:
            predicate_path = _required_field(predicate, "path", f"{path}.predicate")
            _pointer_problem(predicate_path, f"{path}.predicate.path")
        component = _required_field(d, "component", path)
        if component not in IMAGE_COMPONENTS:
            raise FieldError(f"{path}.component", _unsupported(component, IMAGE_COMPONENTS))
        operator = _operator(d, path, IMAGE_OPERATORS)
        value = _str(d, "value", path)
        if operator in (ADD, REPLACE) and not value:
            raise FieldError(f"{path}.value", f"required for {operator}")
        return cls(component, operator, value, predicate_path)

    def to_dict(self) -> dict:
        out: dict = {}
        if self.predicate_path:
            out["predicate"] = {"path": self.predicate_path}
        out["component"] = self.component
        out["operator"] = self.operator
        if self.value:
            out["value"] = self.value
        return out


@dataclass
class CommandArgsOverrider:
    container_name: str
    operator: str
    value: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Any, path: str) -> CommandArgsOverrider:
        d = _object(d, path, ("containerName", "operator", "value"))
        name = _required_field(d, "containerName", path)
        operator = _operator(d, path, COMMAND_ARGS_OPERATORS)
        return cls(name, operator, _str_list(d, "value", path))

    def to_dict(self) -> dict:
        out: dict = {"containerName": self.container_name, "operator": self.operator}
        if self.value:
            out["value"] = list(self.value)
        return out


@dataclass
class LabelAnnotationOverrider:
    operator: str
    value: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Any, path: str, labels: bool) -> LabelAnnotationOverrider:
        d = _object(d, path, ("operator", "value"))
        operator = _operator(d, path, LABEL_ANNOTATION_OPERATORS)
        if d.get("value") is None:
            raise FieldError(f"{path}.value", "required")
        raw = _object(d["value"], f"{path}.value", None)
        value: dict[str, str] = {}
        for key, item in raw.items():
            if not isinstance(item, str):
                raise FieldError(f"{path}.value.{key}", f"must be a string, got {_type_name(item)}")
            value[str(key)] = item
        _check_metadata_map(value, f"{path}.value", labels)
        return cls(operator, value)

    def to_dict(self) -> dict:
        out: dict = {"operator": self.operator}
        if self.value:
            out["value"] = dict(self.value)
        return out


def _check_metadata_map(value: dict[str, str], path: str, labels: bool) -> None:
    """Kubernetes' ValidateLabels / ValidateAnnotations, as Karmada's webhook runs them."""
    for key, item in value.items():
        if not _valid_label_key(key if labels else key.lower()):
            raise FieldError(path, f'invalid {"label" if labels else "annotation"} key "{key}": must be a '
                                   'qualified name (alphanumerics, "-", "_", ".", optionally prefixed by a '
                                   'DNS subdomain and "/")')
        if labels and not _LABEL_VALUE.match(item):
            raise FieldError(f"{path}.{key}", f'invalid label value "{item}": at most 63 characters, '
                                              'alphanumerics, "-", "_" or ".", starting and ending with an '
                                              'alphanumeric')
    if not labels and sum(len(k) + len(v) for k, v in value.items()) > ANNOTATIONS_MAX_BYTES:
        raise FieldError(path, f"annotations may not be larger than {ANNOTATIONS_MAX_BYTES} bytes")


@dataclass
class PatchOp:
    """One operation of a fieldOverrider's json/yaml list, applied inside the field's document."""

    sub_path: str
    operator: str
    value: Any = ABSENT

    @classmethod
    def from_dict(cls, d: Any, path: str) -> PatchOp:
        d = _object(d, path, ("subPath", "operator", "value"))
        sub_path = _required_field(d, "subPath", path)
        _pointer_problem(sub_path, f"{path}.subPath")
        operator = _operator(d, path, PATCH_OPERATORS)
        return cls(sub_path, operator, _json_value(d, operator, path))

    def to_dict(self, null_absent: bool = False) -> dict:
        return {"subPath": self.sub_path, "operator": self.operator, **_value_out(self.value, null_absent)}


@dataclass
class FieldOverrider:
    field_path: str
    json: list[PatchOp] | None = None
    yaml: list[PatchOp] | None = None

    @classmethod
    def from_dict(cls, d: Any, path: str) -> FieldOverrider:
        d = _object(d, path, ("fieldPath", "json", "yaml"))
        field_path = _required_field(d, "fieldPath", path)
        _pointer_problem(field_path, f"{path}.fieldPath")
        json_ops = [PatchOp.from_dict(op, f"{path}.json[{i}]") for i, op in enumerate(_list(d, "json", path))]
        yaml_ops = [PatchOp.from_dict(op, f"{path}.yaml[{i}]") for i, op in enumerate(_list(d, "yaml", path))]
        if json_ops and yaml_ops:
            raise FieldError(path, "json and yaml are both set; only one is allowed")
        if not json_ops and not yaml_ops:
            raise FieldError(path, "one of json or yaml is required")
        return cls(field_path, json_ops or None, yaml_ops or None)

    @property
    def format(self) -> str:
        return "json" if self.json else "yaml"

    @property
    def operations(self) -> list[PatchOp]:
        return list(self.json or self.yaml or [])

    def to_dict(self, null_absent: bool = False) -> dict:
        return {"fieldPath": self.field_path, self.format: [op.to_dict(null_absent) for op in self.operations]}


@dataclass
class Overriders:
    plaintext: list[PlaintextOverrider] = field(default_factory=list)
    image: list[ImageOverrider] = field(default_factory=list)
    command: list[CommandArgsOverrider] = field(default_factory=list)
    args: list[CommandArgsOverrider] = field(default_factory=list)
    labels: list[LabelAnnotationOverrider] = field(default_factory=list)
    annotations: list[LabelAnnotationOverrider] = field(default_factory=list)
    field: list[FieldOverrider] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Any, path: str) -> Overriders:
        d = _object(d, path, tuple(OVERRIDER_KEYS.values()))

        def each(attr: str) -> list[tuple[Any, str]]:
            key = OVERRIDER_KEYS[attr]
            return [(item, f"{path}.{key}[{i}]") for i, item in enumerate(_list(d, key, path))]

        return cls(
            plaintext=[PlaintextOverrider.from_dict(x, p) for x, p in each("plaintext")],
            image=[ImageOverrider.from_dict(x, p) for x, p in each("image")],
            command=[CommandArgsOverrider.from_dict(x, p) for x, p in each("command")],
            args=[CommandArgsOverrider.from_dict(x, p) for x, p in each("args")],
            labels=[LabelAnnotationOverrider.from_dict(x, p, labels=True) for x, p in each("labels")],
            annotations=[LabelAnnotationOverrider.from_dict(x, p, labels=False) for x, p in each("annotations")],
            field=[FieldOverrider.from_dict(x, p) for x, p in each("field")],
        )

    def is_empty(self) -> bool:
        return not any(getattr(self, attr) for attr in OVERRIDER_KEYS)

    def to_dict(self, null_absent: bool = False) -> dict:
        """camelCase; empty lists left out. `null_absent` writes an absent JSON value as null, the
        way Karmada serializes it into the applied-overrides annotation."""
        out: dict = {}
        for attr, key in OVERRIDER_KEYS.items():
            items = getattr(self, attr)
            if not items:
                continue
            if attr in ("plaintext", "field"):
                out[key] = [item.to_dict(null_absent) for item in items]
            else:
                out[key] = [item.to_dict() for item in items]
        return out


@dataclass
class OverrideRule:
    target_cluster: ClusterAffinity | None = None     # None: every cluster
    overriders: Overriders = field(default_factory=Overriders)

    @classmethod
    def from_dict(cls, d: Any, path: str) -> OverrideRule:
        d = _object(d, path, ("targetCluster", "overriders"))
        if d.get("overriders") is None:
            raise FieldError(f"{path}.overriders", "required")
        return cls(_target_cluster(d.get("targetCluster"), f"{path}.targetCluster"),
                   Overriders.from_dict(d["overriders"], f"{path}.overriders"))

    def applies_to(self, cluster: Any) -> bool:
        return self.target_cluster is None or self.target_cluster.matches(cluster)

    def to_dict(self) -> dict:
        out: dict = {}
        if self.target_cluster is not None:
            out["targetCluster"] = self.target_cluster.to_dict()
        out["overriders"] = self.overriders.to_dict()
        return out


def _target_cluster(value: Any, path: str) -> ClusterAffinity | None:
    if value is None:
        return None
    affinity = ClusterAffinity.from_dict(value, path)
    problems = affinity.problems(path)
    if problems:
        raise FieldError(*problems[0])
    return affinity


# ---------------------------------------------------------------- the policy

_SPEC_FIELDS = ("resourceSelectors", "overrideRules", "targetCluster", "overriders")


@dataclass
class OverridePolicy(NamedPolicy):
    """An OverridePolicy or, when kind says so, a ClusterOverridePolicy (namespace "")."""

    CLUSTER_KIND = COP_KIND
    kind: str
    name: str
    namespace: str
    resource_selectors: list[ResourceSelector] = field(default_factory=list)   # empty: all resources
    rules: list[OverrideRule] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    def match_priority(self, obj: dict) -> int:
        """Karmada's implicit priority of this policy for `obj`: 0 no match, 1 matches all (no selectors,
        or apiVersion/kind only), 2 by labelSelector, 3 by name. An OverridePolicy only ever matches
        objects of its own namespace."""
        if not self.is_cluster_scoped:
            namespace = (obj.get("metadata") or {}).get("namespace") or ""
            if namespace != self.namespace:
                return 0
        if not self.resource_selectors:
            return 1
        return max(s.match_priority(obj) for s in self.resource_selectors)

    def matches(self, obj: dict) -> bool:
        return self.match_priority(obj) > 0

    @classmethod
    def from_dict(cls, obj: Any, source: str = "") -> OverridePolicy:
        """Parse and validate one (Cluster)OverridePolicy; InvalidInput names the field."""
        lead = f"{source}: " if source else ""
        if not isinstance(obj, dict):
            raise InvalidInput(f"{lead}an override policy must be an object, got {_type_name(obj)}")
        kind = obj.get("kind")
        label = kind if kind in KINDS else "override policy"
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name") if isinstance(meta.get("name"), str) else ""
        namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
        namespace = "" if kind == COP_KIND else (namespace or DEFAULT_NAMESPACE)
        who = f"{label} {namespace}/{name}" if namespace and name else f"{label} {name}".rstrip()
        try:
            return cls._parse(obj, kind, namespace)
        except FieldError as e:
            raise InvalidInput(f"{lead}{who}: {e}") from None

    @classmethod
    def _parse(cls, obj: dict, kind: Any, namespace: str) -> OverridePolicy:
        _object(obj, "", ("apiVersion", "kind", "metadata", "spec"))
        if obj.get("apiVersion") != API_VERSION:
            raise FieldError("apiVersion", f'must be "{API_VERSION}", got {obj.get("apiVersion")!r}')
        if kind not in KINDS:
            raise FieldError("kind", _unsupported(str(kind), KINDS))
        meta = copy.deepcopy(_object(obj.get("metadata") or {}, "metadata", None))
        name = meta.get("name")
        if name is None or name == "":
            raise FieldError("metadata.name", "required")
        if not isinstance(name, str):
            raise FieldError("metadata.name", f"must be a string, got {_type_name(name)}")
        if len(name) > NAME_MAX or not _DNS_SUBDOMAIN.match(name):
            raise FieldError("metadata.name", f'invalid name "{name}": must be lower case alphanumerics, '
                                              '"-" or ".", starting and ending with an alphanumeric')
        if kind == OP_KIND:
            if meta.get("namespace") is not None and not isinstance(meta["namespace"], str):
                raise FieldError("metadata.namespace", f"must be a string, got {_type_name(meta['namespace'])}")
            if not _DNS_LABEL.match(namespace):
                raise FieldError("metadata.namespace", f'invalid namespace "{namespace}"')
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if obj.get("spec") is None:
            raise FieldError("spec", "required")
        spec = _object(obj["spec"], "spec", _SPEC_FIELDS)
        selectors = _parse_selectors(spec, kind, namespace)
        rules = _parse_rules(spec)
        return cls(kind=kind, name=name, namespace=namespace if kind == OP_KIND else "",
                   resource_selectors=selectors, rules=rules, metadata=meta)

    def to_dict(self) -> dict:
        meta = copy.deepcopy(self.metadata)
        meta["name"] = self.name
        if self.is_cluster_scoped:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = self.namespace
        spec: dict = {}
        if self.resource_selectors:
            spec["resourceSelectors"] = [s.to_dict() for s in self.resource_selectors]
        spec["overrideRules"] = [rule.to_dict() for rule in self.rules]
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": meta, "spec": spec}


def _parse_selectors(spec: dict, kind: str, namespace: str) -> list[ResourceSelector]:
    selectors = []
    for i, raw in enumerate(_list(spec, "resourceSelectors", "spec")):
        path = f"spec.resourceSelectors[{i}]"
        selector = ResourceSelector.from_dict(raw, path)
        problems = _label_selector_problems(selector.label_selector, f"{path}.labelSelector")
        if problems:
            raise FieldError(*problems[0])
        if kind == OP_KIND:
            selector.namespace = selector.namespace or namespace          # webhook default
            if selector.namespace != namespace:
                raise FieldError(f"{path}.namespace", f'an OverridePolicy can only select objects in its own '
                                                      f'namespace "{namespace}", not "{selector.namespace}"')
        selectors.append(selector)
    return selectors


def _parse_rules(spec: dict) -> list[OverrideRule]:
    """spec.overrideRules, or the deprecated spec.targetCluster + spec.overriders as one rule."""
    legacy_target = spec.get("targetCluster")
    legacy_overriders = Overriders()
    if spec.get("overriders") is not None:
        legacy_overriders = Overriders.from_dict(spec["overriders"], "spec.overriders")
    if spec.get("overrideRules") is not None:
        if legacy_target is not None:
            raise FieldError("spec.targetCluster", "overrideRules and targetCluster can't co-exist")
        if not legacy_overriders.is_empty():
            raise FieldError("spec.overriders", "overrideRules and overriders can't co-exist")
        rules = [OverrideRule.from_dict(raw, f"spec.overrideRules[{i}]")
                 for i, raw in enumerate(_list(spec, "overrideRules", "spec"))]
        if rules:
            return rules
    # Karmada's override manager turns an empty overrideRules into one rule of the old fields.
    return [OverrideRule(_target_cluster(legacy_target, "spec.targetCluster"), legacy_overriders)]
