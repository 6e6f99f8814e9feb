"""Karmada's Work, ResourceBinding and ClusterResourceBinding as typed objects; pure.

Field names are Karmada's (pkg/apis/work/v1alpha1/work_types.go,
pkg/apis/work/v1alpha2/binding_types.go); the user's manifests inside them, and the parts
that karmadactl passes along without reading (placement, failover, replica requirements,
conditions), stay plain data. `load_work(d)` / `load_binding(d)` read a stored mapping,
`to_dict()` writes it back: keys in the order the stored mapping had them, with the fields
this module does not model kept as they were, so a round trip changes nothing.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from karmadactl.apis.codec import FieldError, api_field, camel, decode, encode
from karmadactl.apis.wellknown import (
    BINDING_API_VERSION,
    WORK_API_VERSION,
    cluster_of_execution_namespace,
)


def _object(raw: Any, path: str) -> dict:
    if not isinstance(raw, dict):
        raise FieldError(path, "must be an object", "an object")
    return raw


def _array(raw: Any, path: str) -> list:
    if not isinstance(raw, list):
        raise FieldError(path, "must be an array", "an array")
    return raw


def _same(value: Any) -> Any:
    return value


def _source() -> Any:
    """The mapping an object was read from (for the order of its keys and the fields not modelled)."""
    return field(default=None, compare=False, repr=False, metadata={"codec": {"skip": True}})


def plain_object() -> Any:
    """A field holding a mapping kept as it is (not copied: the stored object is a private copy)."""
    return api_field(default=None, decode=_object, encode=_same)


def plain_array() -> Any:
    return api_field(default=None, decode=_array, encode=_same)


def _string_map(raw: Any, path: str) -> dict[str, str]:
    for key, value in _object(raw, path).items():
        if not isinstance(value, str):
            raise FieldError(f"{path}.{key}", "must be a string", "a string")
    return dict(raw)


def string_map() -> Any:
    """Labels or annotations: checked and copied when read, written as they are (no copy per write)."""
    return api_field(default=None, decode=_string_map, encode=_same)


@dataclass
class ObjectMeta:
    strict: ClassVar[bool] = False

    name: str = ""
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    creation_timestamp: str | None = None
    generation: int | None = None
    deletion_timestamp: str | None = None
    labels: dict[str, str] | None = string_map()
    annotations: dict[str, str] | None = string_map()
    owner_references: list[dict] | None = plain_array()
    finalizers: list[str] | None = None

    def label(self, key: str) -> str | None:
        return (self.labels or {}).get(key)

    def annotation(self, key: str) -> str | None:
        return (self.annotations or {}).get(key)


# ---------------------------------------------------------------- Work (work.karmada.io/v1alpha1)

@dataclass
class Workload:
    strict: ClassVar[bool] = False

    manifests: list[dict] = api_field(default_factory=list, decode=_array, encode=_same)
    digest: tuple[dict, str] | None = field(default=None, compare=False, repr=False,   # not stored
                                            metadata={"codec": {"skip": True}})

    def digest_of(self, manifest: dict, digest: Callable[[dict], str]) -> str:
        """digest(manifest), kept while the manifest is the same object (the copies of a Work share
        their workload)."""
        kept = self.digest
        if kept is None or kept[0] is not manifest:
            kept = self.digest = (manifest, digest(manifest))
        return kept[1]

    def take_digest(self, same: Workload) -> None:
        """Keep the digest worked out for `same`, a workload with equal manifests."""
        if self.digest is None and same.digest is not None and same.digest[0] is same.manifests[0]:
            self.digest = (self.manifests[0], same.digest[1])


@dataclass
class WorkSpec:
    strict: ClassVar[bool] = False

    workload: Workload = field(default_factory=Workload)
    preserve_resources_on_deletion: bool | None = None
    suspend_dispatching: bool | None = None


@dataclass
class ResourceIdentifier:
    strict: ClassVar[bool] = False

    ordinal: int = 0
    group: str = ""
    version: str = ""
    kind: str = ""
    resource: str = ""
    namespace: str | None = None
    name: str = ""


@dataclass
class ManifestStatus:
    strict: ClassVar[bool] = False

    identifier: ResourceIdentifier = field(default_factory=ResourceIdentifier)
    health: str | None = None
    status: dict | None = plain_object()


@dataclass
class WorkStatus:
    strict: ClassVar[bool] = False

    conditions: list[dict] | None = plain_array()
    manifest_statuses: list[ManifestStatus] | None = None

    def condition(self, type_: str) -> dict | None:
        return next((c for c in self.conditions or [] if c.get("type") == type_), None)


@dataclass
class Work:
    """One manifest for one member cluster, in namespace karmada-es-<cluster>."""

    strict: ClassVar[bool] = False

    api_version: str = WORK_API_VERSION
    kind: str = "Work"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: WorkSpec = field(default_factory=WorkSpec)
    status: WorkStatus | None = None
    raw: dict | None = _source()

    @property
    def manifest(self) -> dict:
        return self.spec.workload.manifests[0]

    @property
    def cluster(self) -> str:
        return cluster_of_execution_namespace(self.metadata.namespace or "")

    @property
    def deleting(self) -> bool:
        return bool(self.metadata.deletion_timestamp)

    def to_dict(self, like: dict | None = None) -> dict:
        """The stored mapping; keys in the order of `like` (default: the mapping it was read from)."""
        return _to_dict(self, self.raw if like is None else like)


def load_work(data: dict, path: str = "") -> Work:
    return decode(Work, data, path, raw=data)


# ---------------------------------------------------------------- ResourceBinding (work.karmada.io/v1alpha2)

@dataclass
class ObjectReference:
    strict: ClassVar[bool] = False

    api_version: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    resource_version: str | None = None


@dataclass
class TargetCluster:
    strict: ClassVar[bool] = False

    name: str = ""
    replicas: int | None = None


def _target_clusters(raw: Any, path: str) -> list[TargetCluster]:
    """spec.clusters read without the codec's per-field walk: a binding may target hundreds of clusters."""
    targets = []
    for i, item in enumerate(_array(raw, path)):
        where = f"{path}[{i}]"
        name, replicas = _object(item, where).get("name", ""), item.get("replicas")
        if not isinstance(name, str):
            raise FieldError(f"{where}.name", "must be a string", "a string")
        if replicas is not None and (isinstance(replicas, bool) or not isinstance(replicas, int)):
            raise FieldError(f"{where}.replicas", "must be an integer", "an integer")
        targets.append(TargetCluster(name, replicas))
    return targets


def _target_clusters_out(targets: list[TargetCluster] | None) -> list[dict] | None:
    if targets is None:
        return None
    return [{"name": t.name} if t.replicas is None else {"name": t.name, "replicas": t.replicas} for t in targets]


def target_clusters() -> Any:
    return api_field(default=None, decode=_target_clusters, encode=_target_clusters_out)


@dataclass
class BindingSnapshot:
    strict: ClassVar[bool] = False

    namespace: str | None = None
    name: str | None = None
    clusters: list[TargetCluster] | None = target_clusters()


@dataclass
class ResourceBindingSpec:
    """In the order karmadactl writes a new binding (the detector's fields first, then the scheduler's)."""

    strict: ClassVar[bool] = False

    resource: ObjectReference = api_field(default_factory=ObjectReference, omitempty=True)
    replicas: int | None = None
    replica_requirements: dict | None = plain_object()
    placement: dict | None = plain_object()
    propagate_deps: bool | None = None
    conflict_resolution: str | None = None
    failover: dict | None = plain_object()
    suspension: dict | None = plain_object()
    preserve_resources_on_deletion: bool | None = None
    scheduler_name: str | None = None
    schedule_priority: dict | None = plain_object()
    clusters: list[TargetCluster] | None = target_clusters()
    graceful_eviction_tasks: list[dict] | None = plain_array()
    reschedule_triggered_at: str | None = None
    required_by: list[BindingSnapshot] | None = None

    def target_names(self) -> list[str]:
        return [c.name for c in self.clusters or []]


@dataclass
class ResourceBindingStatus:
    strict: ClassVar[bool] = False
    encode_order: ClassVar = ("scheduler_observing_affinity_name", "last_scheduled_time", "conditions",
                              "scheduler_observed_generation", "aggregated_status")   # as the pass adds them

    scheduler_observed_generation: int | None = None
    scheduler_observing_affinity_name: str | None = None
    last_scheduled_time: str | None = None
    conditions: list[dict] | None = plain_array()
    aggregated_status: list[dict] | None = plain_array()

    def condition(self, type_: str) -> dict | None:
        return next((c for c in self.conditions or [] if c.get("type") == type_), None)


@dataclass
class ResourceBinding:
    """A ResourceBinding, or a ClusterResourceBinding (kind says which: their fields are the same)."""

    strict: ClassVar[bool] = False

    api_version: str = BINDING_API_VERSION
    kind: str = "ResourceBinding"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ResourceBindingSpec = field(default_factory=ResourceBindingSpec)
    status: ResourceBindingStatus | None = None
    raw: dict | None = _source()

    @property
    def cluster_scoped(self) -> bool:
        return self.kind == "ClusterResourceBinding"

    def to_dict(self, like: dict | None = None) -> dict:
        """The stored mapping; keys in the order of `like` (default: the mapping it was read from)."""
        return _to_dict(self, self.raw if like is None else like)


def load_binding(data: dict, path: str = "") -> ResourceBinding:
    return decode(ResourceBinding, data, path, raw=data)


# ---------------------------------------------------------------- writing back in the stored order

_NESTED: dict[type, tuple[frozenset[str], dict[str, type]]] = {}


def _nested(cls: type) -> tuple[frozenset[str], dict[str, type]]:
    """The keys a class models, and the class of each key holding an object or a list of them."""
    found = _NESTED.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        keys, classes = set(), {}
        for f in dataclasses.fields(cls):
            if (f.metadata.get("codec") or {}).get("skip"):
                continue
            key = camel(f.name)
            keys.add(key)
            inner = _object_class(hints[f.name])
            if inner is not None:
                classes[key] = inner
        found = _NESTED[cls] = (frozenset(keys), classes)
    return found


def _object_class(hint: Any) -> type | None:
    while True:
        if dataclasses.is_dataclass(hint):
            return typing.cast(type, hint)
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            return None
        hint = args[0]


def _to_dict(obj: Any, like: dict | None) -> dict:
    encoded = encode(obj)
    return encoded if like is None else _ordered(type(obj), encoded, like)


def _ordered(cls: type, encoded: dict, like: dict) -> dict:
    """`encoded` with its keys in the order of `like`, new keys last, and the keys of `like` that
    `cls` does not model kept."""
    known, classes = _nested(cls)
    out = {}
    for key, old in like.items():
        if key in encoded:
            out[key] = _ordered_value(classes.get(key), encoded[key], old)
        elif key not in known:
            out[key] = old
    for key, value in encoded.items():
        if key not in out:
            out[key] = value
    return out


def _ordered_value(cls: type | None, value: Any, old: Any) -> Any:
    if cls is None:
        return value
    if isinstance(value, dict) and isinstance(old, dict):
        return _ordered(cls, value, old)
    if isinstance(value, list) and isinstance(old, list) and len(value) == len(old):
        return [_ordered(cls, v, o) if isinstance(v, dict) and isinstance(o, dict) else v
                for v, o in zip(value, old)]
    return value
