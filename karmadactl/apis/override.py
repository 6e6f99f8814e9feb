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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from karmadactl.apis import names
from karmadactl.apis.codec import FieldError, api_field, decode, encode
from karmadactl.apis.policy import (  # the shared checks of policy objects
    API_VERSION,
    DEFAULT_NAMESPACE,
    ClusterAffinity,
    NamedPolicy,
    ResourceSelector,
    _label_selector_problems,
    _list,
    _object,
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


# ---------------------------------------------------------------- field checks

def _pointer(value: Any, path: str) -> str:
    """A decode hook: a JSON pointer (an empty one is left to `required`)."""
    if not isinstance(value, str):
        raise FieldError(path, f"must be a string, got {_type_name(value)}")
    if value and not value.startswith("/"):
        raise FieldError(path, f'must be a JSON pointer starting with "/", got "{value}"')
    return value


def _check_json_value(operator: str, value: Any, path: str) -> None:
    """The JSON `value` of a patch operation: required for add/replace, not allowed for remove."""
    if value is ABSENT and operator in (ADD, REPLACE):
        raise FieldError(f"{path}.value", f"required for {operator}")
    if value is not ABSENT and operator == REMOVE:
        raise FieldError(f"{path}.value", "must not be set for remove")


def _json_value_out(value: Any) -> Any:
    return None if value is ABSENT else copy.deepcopy(value)


# ---------------------------------------------------------------- overriders

@dataclass
class PlaintextOverrider:
    path: str = api_field(required=True, decode=_pointer)
    operator: str = api_field(required=True, choices=PATCH_OPERATORS)
    value: Any = api_field(default=ABSENT, encode=_json_value_out)

    def after_decode(self, path: str) -> None:
        _check_json_value(self.operator, self.value, path)


@dataclass
class _Predicate:
    path: str = api_field(required=True, decode=_pointer)


@dataclass
class ImageOverrider:
    encode_order: ClassVar = ("predicate_path", "component", "operator", "value")
    component: str = api_field(required=True, choices=IMAGE_COMPONENTS)
    operator: str = api_field(required=True, choices=IMAGE_OPERATORS)
    value: str = api_field(default="", omitempty=True)
    predicate_path: str = api_field(    # "" = no predicate: every container image of a workload
        default="", key="predicate", decode=lambda value, path: decode(_Predicate, value, path).path,
        encode=lambda pointer: {"path": pointer} if pointer else None)

    def after_decode(self, path: str) -> None:
        if self.operator in (ADD, REPLACE) and not self.value:
            raise FieldError(f"{path}.value", f"required for {self.operator}")


@dataclass
class CommandArgsOverrider:
    container_name: str = api_field(required=True)
    operator: str = api_field(required=True, choices=COMMAND_ARGS_OPERATORS)
    value: list[str] = api_field(default_factory=list, omitempty=True)


@dataclass
class LabelAnnotationOverrider:
    operator: str = api_field(required=True, choices=LABEL_ANNOTATION_OPERATORS)
    value: dict[str, str] = api_field(default_factory=dict, required=True, omitempty=True)


def _metadata_overriders(labels: bool) -> Callable[[Any, str], list[LabelAnnotationOverrider]]:
    """A decode hook: labelsOverrider or annotationsOverrider, each map checked as Kubernetes checks it."""
    def hook(value: Any, path: str) -> list[LabelAnnotationOverrider]:
        if not isinstance(value, list):
            raise FieldError(path, f"must be an array, got {_type_name(value)}")
        items = []
        for i, raw in enumerate(value):
            item = decode(LabelAnnotationOverrider, raw, f"{path}[{i}]")
            _check_metadata_map(item.value, f"{path}[{i}].value", labels)
            items.append(item)
        return items
    return hook


def _check_metadata_map(value: dict[str, str], path: str, labels: bool) -> None:
    """Kubernetes' ValidateLabels / ValidateAnnotations, as Karmada's webhook runs them."""
    for key, item in value.items():
        if not _valid_label_key(key if labels else key.lower()):
            raise FieldError(path, f'invalid {"label" if labels else "annotation"} key "{key}": must be a '
                                   'qualified name (alphanumerics, "-", "_", ".", optionally prefixed by a '
                                   'DNS subdomain and "/")')
        if labels and names.label_value(item):
            raise FieldError(f"{path}.{key}", f'invalid label value "{item}": at most 63 characters, '
                                              'alphanumerics, "-", "_" or ".", starting and ending with an '
                                              'alphanumeric')
    if not labels and sum(len(k) + len(v) for k, v in value.items()) > ANNOTATIONS_MAX_BYTES:
        raise FieldError(path, f"annotations may not be larger than {ANNOTATIONS_MAX_BYTES} bytes")


@dataclass
class PatchOp:
    """One operation of a fieldOverrider's json/yaml list, applied inside the field's document."""

    sub_path: str = api_field(required=True, decode=_pointer)
    operator: str = api_field(required=True, choices=PATCH_OPERATORS)
    value: Any = api_field(default=ABSENT, encode=_json_value_out)

    def after_decode(self, path: str) -> None:
        _check_json_value(self.operator, self.value, path)


@dataclass
class FieldOverrider:
    field_path: str = api_field(required=True, decode=_pointer)
    json: list[PatchOp] | None = None
    yaml: list[PatchOp] | None = None

    def after_decode(self, path: str) -> None:
        if self.json and self.yaml:
            raise FieldError(path, "json and yaml are both set; only one is allowed")
        if not self.json and not self.yaml:
            raise FieldError(path, "one of json or yaml is required")
        self.json, self.yaml = self.json or None, self.yaml or None

    @property
    def format(self) -> str:
        return "json" if self.json else "yaml"

    @property
    def operations(self) -> list[PatchOp]:
        return list(self.json or self.yaml or [])


@dataclass
class Overriders:
    plaintext: list[PlaintextOverrider] = api_field(default_factory=list, omitempty=True)
    image: list[ImageOverrider] = api_field(default_factory=list, omitempty=True, key="imageOverrider")
    command: list[CommandArgsOverrider] = api_field(default_factory=list, omitempty=True, key="commandOverrider")
    args: list[CommandArgsOverrider] = api_field(default_factory=list, omitempty=True, key="argsOverrider")
    labels: list[LabelAnnotationOverrider] = api_field(default_factory=list, omitempty=True, key="labelsOverrider",
                                                       decode=_metadata_overriders(labels=True))
    annotations: list[LabelAnnotationOverrider] = api_field(default_factory=list, omitempty=True,
                                                            key="annotationsOverrider",
                                                            decode=_metadata_overriders(labels=False))
    field: list[FieldOverrider] = api_field(default_factory=list, omitempty=True, key="fieldOverrider")

    def is_empty(self) -> bool:
        return not any(getattr(self, attr) for attr in OVERRIDER_KEYS)

    def to_dict(self, null_absent: bool = False) -> dict:
        """camelCase; empty lists left out. `null_absent` writes an absent JSON value as null, the
        way Karmada serializes it into the applied-overrides annotation."""
        out = encode(self)
        if null_absent:
            for item in out.get("plaintext", []):
                item.setdefault("value", None)
            for item in out.get("fieldOverrider", []):
                for op in item.get("json") or item.get("yaml") or []:
                    op.setdefault("value", None)
        return out


def _target_cluster(value: Any, path: str) -> ClusterAffinity | None:
    """A decode hook: a rule's targetCluster, checked as a placement's cluster affinity is."""
    if value is None:
        return None
    affinity = ClusterAffinity.from_dict(value, path)
    problems = affinity.problems(path)
    if problems:
        raise FieldError(*problems[0])
    return affinity


@dataclass
class OverrideRule:
    target_cluster: ClusterAffinity | None = api_field(default=None, decode=_target_cluster)  # None: every cluster
    overriders: Overriders = api_field(default_factory=Overriders, required=True)

    def applies_to(self, cluster: Any) -> bool:
        return self.target_cluster is None or self.target_cluster.matches(cluster)


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
        if names.dns1123_subdomain(name):
            raise FieldError("metadata.name", f'invalid name "{name}": must be lower case alphanumerics, '
                                              '"-" or ".", starting and ending with an alphanumeric')
        if kind == OP_KIND:
            if meta.get("namespace") is not None and not isinstance(meta["namespace"], str):
                raise FieldError("metadata.namespace", f"must be a string, got {_type_name(meta['namespace'])}")
            if names.dns1123_label(namespace):
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
            spec["resourceSelectors"] = [encode(s) for s in self.resource_selectors]
        spec["overrideRules"] = [encode(rule) for rule in self.rules]
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": meta, "spec": spec}


def _parse_selectors(spec: dict, kind: str, namespace: str) -> list[ResourceSelector]:
    selectors = []
    for i, raw in enumerate(_list(spec, "resourceSelectors", "spec")):
        path = f"spec.resourceSelectors[{i}]"
        selector = decode(ResourceSelector, raw, path)
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
        legacy_overriders = decode(Overriders, spec["overriders"], "spec.overriders")
    if spec.get("overrideRules") is not None:
        if legacy_target is not None:
            raise FieldError("spec.targetCluster", "overrideRules and targetCluster can't co-exist")
        if not legacy_overriders.is_empty():
            raise FieldError("spec.overriders", "overrideRules and overriders can't co-exist")
        rules = [decode(OverrideRule, raw, f"spec.overrideRules[{i}]")
                 for i, raw in enumerate(_list(spec, "overrideRules", "spec"))]
        if rules:
            return rules
    # Karmada's override manager turns an empty overrideRules into one rule of the old fields.
    return [OverrideRule(target_cluster=_target_cluster(legacy_target, "spec.targetCluster"),
                         overriders=legacy_overriders)]
