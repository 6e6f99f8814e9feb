"""Karmada's Cluster (cluster.karmada.io/v1alpha1), as karmadactl stores it.

The object keeps Karmada's shape so `-o yaml` and `export` print what a Karmada
control plane would hold. Where the member's credentials come from is
recorded apart from the spec: a kubeconfig path and context in annotations,
or, with --embed-credentials, a secret in the store named by spec.secretRef
(as Karmada's secretRef names a Secret). Neither ever holds a credential.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Taint:
    key: str
    effect: str
    value: str = ""
    time_added: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Taint:
        return cls(key=d["key"], effect=d.get("effect", ""), value=d.get("value", "") or "",
                   time_added=d.get("timeAdded"))

    def to_dict(self) -> dict:
        d = {"key": self.key}
        if self.value:
            d["value"] = self.value
        d["effect"] = self.effect
        if self.time_added:
            d["timeAdded"] = self.time_added
        return d

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
    status: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)   # uid, resourceVersion, creationTimestamp, ...

    @classmethod
    def from_dict(cls, d: dict, source: str = "") -> Cluster:
        """A Cluster from its object; a wrong shape is an InvalidInput naming `source` and the field."""
        check_shape(d, source)
        meta = copy.deepcopy(d.get("metadata") or {})
        spec = d.get("spec") or {}
        annotations = meta.get("annotations") or {}
        return cls(
            name=meta.get("name", ""),
            api_endpoint=spec.get("apiEndpoint", ""),
            provider=spec.get("provider", ""),
            region=spec.get("region", ""),
            zones=list(spec.get("zones") or []),
            taints=[Taint.from_dict(t) for t in spec.get("taints") or []],
            labels=dict(meta.get("labels") or {}),
            kubeconfig=annotations.get(ANNOTATION_KUBECONFIG, ""),
            context=annotations.get(ANNOTATION_CONTEXT, ""),
            embedded=bool(spec.get("secretRef")),
            id=spec.get("id", ""),
            status=copy.deepcopy(d.get("status") or {}),
            metadata=meta,
        )

    def to_dict(self) -> dict:
        meta = copy.deepcopy(self.metadata)
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
        spec["syncMode"] = "Push"
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
            out["status"] = copy.deepcopy(self.status)
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
    def ready(self) -> str:
        """'True', 'False' or 'Unknown', as the READY column shows it."""
        c = self.condition("Ready")
        return c.get("status", "Unknown") if c else "Unknown"


# -- shape ------------------------------------------------------------------------------------
# What the scheduler and the status readers rely on, checked once where a Cluster
# is read (a file of `plan --offline`, or the store), so later code can trust it.

_STRINGS = "a string"


def check_shape(d: dict, source: str = "") -> None:
    """Types of the fields karmadactl reads from a Cluster object; raises InvalidInput naming the field."""
    from karmadactl.apis.quantity import parse_quantity

    meta = d.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    where = source or f"Cluster {name if isinstance(name, str) else '?'}"

    def fail(path: str, expected: str) -> None:
        raise InvalidInput(f"{where}: {path}: expected {expected}")

    def mapping(value, path: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            fail(path, "a mapping")
        return value

    def sequence(value, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            fail(path, "a list")
        return value

    def text(value, path: str) -> None:
        if value is not None and not isinstance(value, str):
            fail(path, _STRINGS)

    meta = mapping(meta, "metadata")
    if not isinstance(meta.get("name"), str) or not meta.get("name"):
        fail("metadata.name", "a non-empty string")
    for key in ("labels", "annotations"):
        for k, v in mapping(meta.get(key), f"metadata.{key}").items():
            text(v, f"metadata.{key}.{k}")
    spec = mapping(d.get("spec"), "spec")
    for key in ("apiEndpoint", "provider", "region", "id", "syncMode"):
        text(spec.get(key), f"spec.{key}")
    for i, zone in enumerate(sequence(spec.get("zones"), "spec.zones")):
        text(zone, f"spec.zones[{i}]")
    mapping(spec.get("secretRef"), "spec.secretRef")
    for i, taint in enumerate(sequence(spec.get("taints"), "spec.taints")):
        path = f"spec.taints[{i}]"
        taint = mapping(taint, path)
        if not isinstance(taint.get("key"), str) or not taint.get("key"):
            fail(f"{path}.key", "a non-empty string")
        if taint.get("effect") not in EFFECTS:
            fail(f"{path}.effect", f"one of {', '.join(EFFECTS)}")
        text(taint.get("value"), f"{path}.value")
        text(taint.get("timeAdded"), f"{path}.timeAdded")
    status = mapping(d.get("status"), "status")
    text(status.get("kubernetesVersion"), "status.kubernetesVersion")
    for i, condition in enumerate(sequence(status.get("conditions"), "status.conditions")):
        condition = mapping(condition, f"status.conditions[{i}]")
        for key in ("type", "status", "reason", "message", "lastTransitionTime"):
            text(condition.get(key), f"status.conditions[{i}].{key}")
    for i, group in enumerate(sequence(status.get("apiEnablements"), "status.apiEnablements")):
        group = mapping(group, f"status.apiEnablements[{i}]")
        text(group.get("groupVersion"), f"status.apiEnablements[{i}].groupVersion")
        for j, resource in enumerate(sequence(group.get("resources"), f"status.apiEnablements[{i}].resources")):
            resource = mapping(resource, f"status.apiEnablements[{i}].resources[{j}]")
            for key in ("name", "kind"):
                text(resource.get(key), f"status.apiEnablements[{i}].resources[{j}].{key}")
    for key, value in mapping(status.get("nodeSummary"), "status.nodeSummary").items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            fail(f"status.nodeSummary.{key}", "an integer")
    summary = mapping(status.get("resourceSummary"), "status.resourceSummary")
    for part in ("allocatable", "allocated", "allocating"):
        for resource, quantity in mapping(summary.get(part), f"status.resourceSummary.{part}").items():
            try:
                parse_quantity(quantity)
            except InvalidInput as e:
                raise InvalidInput(f"{where}: status.resourceSummary.{part}.{resource}: {e}") from None
