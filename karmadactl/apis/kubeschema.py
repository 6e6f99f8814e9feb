"""What kube-apiserver knows about the fields of built-in kinds, for patches.

Which lists merge per item and by which keys (strategic merge patch's
patchMergeKey, server-side apply's listMapKeys), which maps and structs are
atomic, and which structs are Go value structs (present, empty, in a freshly
decoded object). Pure data and lookups: the product (patch, edit) and the
sandbox members use the same tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Key fields that have a default in kube's OpenAPI, used when an item omits them.
KEY_DEFAULTS: dict[str, Any] = {"protocol": "TCP"}


class FieldSetError(ValueError):
    """An object that cannot be turned into a field set (bad associative list)."""


@dataclass(frozen=True, eq=False)
class Schema:
    """What kube knows about one field.

    kind: "struct" (granular map with known fields), "auto" (nothing known:
    granular map, atomic list), "atomic" (owned and replaced as a whole),
    "assoc" (list merged per item by key fields), "set" (list of scalars merged
    as a set).
    """

    kind: str = "auto"
    fields: Mapping[str, Schema] = field(default_factory=dict)
    merge_key: str | None = None          # strategic merge patch: patchMergeKey
    map_keys: tuple[str, ...] = ()        # server-side apply: listMapKey(s)
    item: Schema | None = None
    zero: bool = False                    # Go value field: present in the zero object

    def child(self, name: str) -> Schema:
        return self.fields.get(name, AUTO)

    def element(self) -> Schema:
        return self.item or AUTO


AUTO = Schema()
ATOMIC = Schema("atomic")
SET = Schema("set")


def struct(zero: bool = False, **fields: Schema) -> Schema:
    return Schema("struct", fields, zero=zero)


def assoc(merge_key: str, *map_keys: str, item: Schema | None = None, zero: bool = False) -> Schema:
    return Schema("assoc", merge_key=merge_key, map_keys=map_keys or (merge_key,), item=item,
                  zero=zero)


# ---- schemas of built-in kinds (from the tags in k8s.io/api) ------------------------------

def _object_meta(zero: bool = True) -> Schema:
    return struct(zero=zero, ownerReferences=assoc("uid"), finalizers=SET,
                  managedFields=ATOMIC)


CONDITIONS = assoc("type")
_CONTAINER = struct(
    ports=assoc("containerPort", "containerPort", "protocol"),
    env=assoc("name"),
    volumeMounts=assoc("mountPath"),
    volumeDevices=assoc("devicePath"),
    resources=struct(zero=True, claims=assoc("name")),
)


def _pod_spec(zero: bool = True) -> Schema:
    return struct(
        zero=zero,
        containers=assoc("name", item=_CONTAINER, zero=True),
        initContainers=assoc("name", item=_CONTAINER),
        ephemeralContainers=assoc("name", item=_CONTAINER),
        volumes=assoc("name"),
        imagePullSecrets=assoc("name"),
        hostAliases=assoc("ip"),
        topologySpreadConstraints=assoc("topologyKey", "topologyKey", "whenUnsatisfiable"),
        schedulingGates=assoc("name"),
        resourceClaims=assoc("name"),
        nodeSelector=ATOMIC,
    )


_POD_TEMPLATE = struct(zero=True, metadata=_object_meta(), spec=_pod_spec())
_STATUS_WITH_CONDITIONS = struct(zero=True, conditions=CONDITIONS)
_JOB_SPEC = struct(zero=True, selector=ATOMIC, template=_POD_TEMPLATE)


def _kind(**fields: Schema) -> Schema:
    return Schema("struct", {"metadata": _object_meta(), **fields})


_WORKLOAD_SPEC = dict(selector=ATOMIC, template=_POD_TEMPLATE)

KIND_SCHEMAS: dict[tuple[str, str], Schema] = {
    ("", "Pod"): _kind(spec=_pod_spec(), status=struct(
        zero=True, conditions=CONDITIONS, podIPs=assoc("ip"), hostIPs=assoc("ip"))),
    ("", "PodTemplate"): _kind(template=_POD_TEMPLATE),
    ("", "ReplicationController"): _kind(
        spec=struct(zero=True, template=struct(metadata=_object_meta(), spec=_pod_spec())),
        status=_STATUS_WITH_CONDITIONS),
    ("", "Service"): _kind(
        spec=struct(zero=True, ports=assoc("port", "port", "protocol"), selector=ATOMIC),
        status=struct(zero=True, conditions=CONDITIONS)),
    ("", "ServiceAccount"): _kind(secrets=assoc("name"), imagePullSecrets=assoc("name")),
    ("", "Namespace"): _kind(spec=struct(zero=True, finalizers=SET),
                             status=_STATUS_WITH_CONDITIONS),
    ("", "Node"): _kind(spec=struct(zero=True),
                        status=struct(zero=True, conditions=CONDITIONS, addresses=assoc("type"))),
    ("", "PersistentVolumeClaim"): _kind(spec=struct(zero=True), status=_STATUS_WITH_CONDITIONS),
    ("", "ConfigMap"): _kind(),
    ("", "Secret"): _kind(),
    ("apps", "Deployment"): _kind(
        spec=struct(zero=True, strategy=struct(zero=True), **_WORKLOAD_SPEC),
        status=_STATUS_WITH_CONDITIONS),
    ("apps", "ReplicaSet"): _kind(spec=struct(zero=True, **_WORKLOAD_SPEC),
                                  status=_STATUS_WITH_CONDITIONS),
    ("apps", "StatefulSet"): _kind(
        spec=struct(zero=True, updateStrategy=struct(zero=True), **_WORKLOAD_SPEC),
        status=_STATUS_WITH_CONDITIONS),
    ("apps", "DaemonSet"): _kind(
        spec=struct(zero=True, updateStrategy=struct(zero=True), **_WORKLOAD_SPEC),
        status=_STATUS_WITH_CONDITIONS),
    ("batch", "Job"): _kind(spec=_JOB_SPEC, status=_STATUS_WITH_CONDITIONS),
    ("batch", "CronJob"): _kind(spec=struct(zero=True, jobTemplate=struct(
        zero=True, metadata=_object_meta(), spec=_JOB_SPEC))),
}
_ANY_KIND = _kind()


def schema_for(obj: Mapping[str, Any] | None) -> Schema:
    """The schema of a manifest by apiVersion and kind; unknown kinds know only metadata."""
    if not isinstance(obj, Mapping):
        return _ANY_KIND
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return KIND_SCHEMAS.get((group, str(obj.get("kind") or "")), _ANY_KIND)


def canonical(value: Any) -> str:
    """Compact JSON with sorted keys, the spelling used inside k: and v: elements."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
