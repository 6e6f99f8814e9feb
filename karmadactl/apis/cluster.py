"""Karmada's Cluster (cluster.karmada.io/v1alpha1), as karmadactl stores it.

The object keeps Karmada's shape so `-o yaml` and `export` print what a Karmada
control plane would hold. Where the member's credentials come from is
recorded apart from the spec: a kubeconfig path and context in annotations,
or, with --embed-credentials, a secret in the store named by spec.secretRef
(as Karmada's secretRef names a Secret). Neither ever holds a credential.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from karmadactl.apis.codec import FieldError, api_field, decode, encode, join
from karmadactl.apis.names import dns1123_label
from karmadactl.apis.wellknown import ANNOTATION_CONTEXT, ANNOTATION_KUBECONFIG, NAMESPACE_KARMADA_CLUSTER
from karmadactl.apis.wellknown import CLUSTER_API_VERSION as API_VERSION
from karmadactl.errors import InvalidInput

KIND = "Cluster"
GROUP_KIND = "Cluster.cluster.karmada.io"

SECRET_NAMESPACE = NAMESPACE_KARMADA_CLUSTER

TAINT_NOT_READY = "cluster.karmada.io/not-ready"
TAINT_UNREACHABLE = "cluster.karmada.io/unreachable"
TAINT_UNSCHEDULABLE = "cluster.karmada.io/unschedulable"
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
SYNC_PUSH = "Push"
SYNC_PULL = "Pull"
NAME_MAX = 48          # pkg/apis/cluster/validation ValidateClusterName


def name_problem(name: Any) -> str:
    """ValidateClusterName: 1 to 48 characters, a DNS-1123 label; "" when the name is valid."""
    name = name if isinstance(name, str) else ""
    if len(name) > NAME_MAX:
        return f"must be no more than {NAME_MAX} characters"
    return dns1123_label(name)


@dataclass(frozen=True)
class Taint:
    strict: ClassVar = False
    encode_order: ClassVar = ("key", "value", "effect", "time_added")
    key: str = api_field(required=True)
    effect: str = api_field(required=True, choices=EFFECTS)
    value: str = api_field(default="", omitempty=True)
    time_added: str | None = api_field(default=None, omitempty=True)

    def to_dict(self) -> dict:
        return encode(self)

    def __str__(self) -> str:
        return f"{self.key}={self.value}:{self.effect}" if self.value else f"{self.key}:{self.effect}"


@dataclass(frozen=True)
class TaintChange:
    """One argument of `karmadactl taint`: add `key[=value]:Effect` or remove `key[:Effect]-`."""

    key: str
    effect: str = ""
    value: str = ""
    remove: bool = False

    @classmethod
    def parse(cls, spec: str) -> TaintChange:
        from karmadactl.apis.meta import check_label_key, check_label_value

        where = f"taint {spec!r}"
        remove = spec.endswith("-")
        body = spec[:-1] if remove else spec
        key_value, sep, effect = body.partition(":")
        if (sep or not remove) and not effect:
            raise InvalidInput(f"{where}: expected key[=value]:Effect with an effect "
                               f"(one of {', '.join(EFFECTS)}), or key[:Effect]- to remove")
        if effect and effect not in EFFECTS:
            raise InvalidInput(f"{where}: unknown effect {effect!r} (one of {', '.join(EFFECTS)})")
        key, _, value = key_value.partition("=")
        if remove and value:
            raise InvalidInput(f"{where}: a removal names only key[:Effect]-")
        check_label_key(key, where)
        check_label_value(value, where)
        return cls(key=key, effect=effect, value=value, remove=remove)


def apply_taint_changes(taints: list[Taint], changes: list[TaintChange], *,
                        overwrite: bool, now: str, cluster: str) -> list[Taint]:
    """kubectl's taint rules on one cluster's taints; pure."""
    result = list(taints)
    for change in changes:
        if change.remove:
            kept = [t for t in result if not (t.key == change.key and
                                              (not change.effect or t.effect == change.effect))]
            if len(kept) == len(result):
                raise InvalidInput(f"cluster {cluster}: taint {change.key!r} not found")
            result = kept
            continue
        existing = [t for t in result if t.key == change.key and t.effect == change.effect]
        if existing:
            if existing[0].value == change.value:
                continue
            if not overwrite:
                raise InvalidInput(f"cluster {cluster}: taint {change.key}:{change.effect} already "
                                   f"has value {existing[0].value!r}; pass --overwrite to change it")
            result = [t for t in result if t not in existing]
        result.append(Taint(change.key, change.effect, change.value, now))
    return result


@dataclass
class Cluster:
    name: str
    api_endpoint: str = ""
    provider: str = ""
    region: str = ""
    zones: list[str] = field(default_factory=list)
    taints: list[Taint] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    kubeconfig: str = ""            # path reference (not a secret)
    context: str = ""
    embedded: bool = False          # credentials held in the store's secrets table
    id: str = ""
    sync_mode: str = SYNC_PUSH      # Pull: an agent beside the member pushes its Works (karmadactl agent)
    status: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)   # uid, resourceVersion, creationTimestamp, ...

    @classmethod
    def from_dict(cls, d: dict, source: str = "") -> Cluster:
        """A Cluster from its object; a wrong shape is an InvalidInput naming `source` and the field.

        The object is copied, never shared; an object checked before (the same pickle: the same
        values of the same types) is not checked again."""
        pickled = _pickled(d)
        taints = _CHECKED.get(pickled) if pickled is not None else None
        if taints is None:
            taints = check_shape(d, source).spec.taints
            if pickled is not None:
                _remember_checked(pickled, taints)
        own = _unpickled(pickled, d)
        meta = own.get("metadata") or {}
        spec = own.get("spec") or {}
        annotations = meta.get("annotations") or {}
        return cls(
            name=meta.get("name", ""),
            api_endpoint=spec.get("apiEndpoint", ""),
            provider=spec.get("provider", ""),
            region=spec.get("region", ""),
            zones=list(spec.get("zones") or []),
            taints=list(taints),
            labels=dict(meta.get("labels") or {}),
            kubeconfig=annotations.get(ANNOTATION_KUBECONFIG, ""),
            context=annotations.get(ANNOTATION_CONTEXT, ""),
            embedded=bool(spec.get("secretRef")),
            id=spec.get("id", ""),
            sync_mode=spec.get("syncMode") or SYNC_PUSH,
            status=own.get("status") or {},
            metadata=meta,
        )

    def to_dict(self) -> dict:
        meta = _copied(self.metadata)
        meta["name"] = self.name
        if self.labels:
            meta["labels"] = dict(sorted(self.labels.items()))
        else:
            meta.pop("labels", None)
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                       if k not in (ANNOTATION_KUBECONFIG, ANNOTATION_CONTEXT)}
        if not self.embedded and self.kubeconfig:
            annotations[ANNOTATION_KUBECONFIG] = self.kubeconfig
        if not self.embedded and self.context:
            annotations[ANNOTATION_CONTEXT] = self.context
        if annotations:
            meta["annotations"] = dict(sorted(annotations.items()))
        else:
            meta.pop("annotations", None)
        spec: dict = {}
        if self.id:
            spec["id"] = self.id
        spec["syncMode"] = self.sync_mode
        spec["apiEndpoint"] = self.api_endpoint
        if self.embedded:
            spec["secretRef"] = {"namespace": SECRET_NAMESPACE, "name": self.name}
        if self.provider:
            spec["provider"] = self.provider
        if self.region:
            spec["region"] = self.region
        if self.zones:
            spec["zones"] = list(self.zones)
        if self.taints:
            spec["taints"] = [t.to_dict() for t in self.taints]
        out = {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}
        if self.status:
            out["status"] = _copied(self.status)
        return out

    def condition(self, type_: str) -> dict | None:
        for c in self.status.get("conditions") or []:
            if c.get("type") == type_:
                return c
        return None

    def resource_for(self, api_version: str, kind: str) -> str | None:
        """The plural resource name the member serves a kind under (from status.apiEnablements)."""
        for group_version in self.status.get("apiEnablements") or []:
            if group_version.get("groupVersion") == api_version:
                for resource in group_version.get("resources") or []:
                    if resource.get("kind") == kind and "/" not in resource.get("name", ""):
                        return resource["name"]
        return None

    @property
    def pull(self) -> bool:
        """Pull mode: only its agent talks to the member; the central side never contacts it."""
        return self.sync_mode == SYNC_PULL

    @property
    def ready(self) -> str:
        """'True', 'False' or 'Unknown', as the READY column shows it."""
        c = self.condition("Ready")
        return c.get("status", "Unknown") if c else "Unknown"


# -- shape ------------------------------------------------------------------------------------
# What the scheduler and the status readers rely on, checked once where a Cluster
# is read (a file of `plan --offline`, or the store), so later code can trust it.
# Other fields are not karmadactl's to check: unknown keys are ignored.

@dataclass
class _Metadata:
    strict: ClassVar = False
    name: str = api_field(required=True)
    labels: dict[str, str | None] = api_field(default_factory=dict)
    annotations: dict[str, str | None] = api_field(default_factory=dict)


def _taints(value: Any, path: str) -> list[Taint]:
    """A decode hook: spec.taints, where a null taint is an empty one (so its key is missing)."""
    if not isinstance(value, list):
        raise FieldError(path, "must be an array", "an array")
    return [decode(Taint, {} if taint is None else taint, f"{path}[{i}]") for i, taint in enumerate(value)]


@dataclass
class _Spec:
    strict: ClassVar = False
    api_endpoint: str | None = None
    provider: str | None = None
    region: str | None = None
    id: str | None = None
    sync_mode: str | None = None
    zones: list[str | None] = api_field(default_factory=list)
    secret_ref: dict | None = None
    taints: list[Taint] = api_field(default_factory=list, decode=_taints)


@dataclass
class _Condition:
    strict: ClassVar = False
    type: str | None = None
    status: str | None = None
    reason: str | None = None
    message: str | None = None
    last_transition_time: str | None = None


@dataclass
class _APIResource:
    strict: ClassVar = False
    name: str | None = None
    kind: str | None = None


@dataclass
class _APIEnablement:
    strict: ClassVar = False
    group_version: str | None = None
    resources: list[_APIResource | None] = api_field(default_factory=list)


def _quantities(value: Any, path: str) -> dict:
    """A decode hook: a map of resource quantities, each one Kubernetes would parse."""
    from karmadactl.apis.quantity import parse_quantity

    if not isinstance(value, dict):
        raise FieldError(path, "must be an object", "an object")
    for resource, quantity in value.items():
        try:
            parse_quantity(quantity)
        except InvalidInput as e:
            raise FieldError(join(path, str(resource)), str(e)) from None
    return value


@dataclass
class _ResourceSummary:
    strict: ClassVar = False
    allocatable: dict | None = api_field(default=None, decode=_quantities)
    allocated: dict | None = api_field(default=None, decode=_quantities)
    allocating: dict | None = api_field(default=None, decode=_quantities)


@dataclass
class _Status:
    strict: ClassVar = False
    kubernetes_version: str | None = None
    conditions: list[_Condition | None] = api_field(default_factory=list)
    api_enablements: list[_APIEnablement | None] = api_field(default_factory=list)
    node_summary: dict[str, int | None] = api_field(default_factory=dict)
    resource_summary: _ResourceSummary | None = None


@dataclass
class _ClusterObject:
    strict: ClassVar = False
    metadata: _Metadata
    spec: _Spec = api_field(default_factory=_Spec)
    status: _Status = api_field(default_factory=_Status)


_WORDS = {"an object": "a mapping", "an array": "a list"}      # how these messages name the types

_CHECKED: dict[bytes, list[Taint]] = {}     # a Cluster object's pickle -> its taints, its shape checked
_CHECKED_KEPT = 256
_checked_guard = threading.Lock()


def _remember_checked(pickled: bytes, taints: list[Taint]) -> None:
    with _checked_guard:
        _CHECKED[pickled] = taints
        while len(_CHECKED) > _CHECKED_KEPT:
            del _CHECKED[next(iter(_CHECKED))]


def _pickled(value: Any) -> bytes | None:
    """The value's pickle: the same bytes for the same values of the same types; None if it has none."""
    import pickle

    try:
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None


def _unpickled(pickled: bytes | None, value: Any) -> Any:
    """A deep copy of `value` from its pickle (several times quicker than copy.deepcopy)."""
    import pickle

    if pickled is not None:
        try:
            return pickle.loads(pickled)
        except Exception:
            pass
    return copy.deepcopy(value)


def _copied(value: Any) -> Any:
    return _unpickled(_pickled(value), value)


def check_shape(d: dict, source: str = "") -> _ClusterObject:
    """Types of the fields karmadactl reads from a Cluster object; raises InvalidInput naming the field."""
    meta = d.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    where = source or f"Cluster {name if isinstance(name, str) else '?'}"
    try:
        return decode(_ClusterObject, {**d, "metadata": {} if meta is None else meta})
    except FieldError as e:
        found = f"expected {_WORDS.get(e.expected, e.expected)}" if e.expected else e.problem
        raise InvalidInput(f"{where}: {e.path}: {found}") from None
