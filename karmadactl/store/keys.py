"""How stored objects are keyed. Pure: no SQLAlchemy, cheap to import.

Objects are keyed like the Kubernetes API keys resources, by group and kind
(never by version, so a v1beta1 and a v1 manifest of one kind are one row),
then by namespace ("" for cluster-scoped objects) and name.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from karmadactl.errors import InvalidInput


class ObjectKey(NamedTuple):
    """What the store keys an object by; namespace "" for cluster-scoped objects."""

    gk: str
    namespace: str
    name: str


def group_kind(api_version: str, kind: str) -> str:
    """"Kind" for the core group, "Kind.group" otherwise.

    >>> group_kind("apps/v1", "Deployment")
    'Deployment.apps'
    >>> group_kind("v1", "Pod")
    'Pod'
    """
    if not kind:
        raise InvalidInput("object has no kind")
    if not api_version:
        raise InvalidInput(f"{kind} has no apiVersion")
    group, sep, version = api_version.rpartition("/")
    if sep and (not group or not version):
        raise InvalidInput(f"{kind} has a malformed apiVersion {api_version!r}")
    return f"{kind}.{group}" if group else kind


def kind_of(gk: str) -> str:
    """The kind part of a group-kind: "Deployment.apps" -> "Deployment"."""
    return gk.partition(".")[0]


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """The key of a manifest, validating what is needed."""
    if not isinstance(obj, dict):
        raise InvalidInput("an object must be a mapping")
    gk = group_kind(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise InvalidInput(f"{obj['kind']} has no metadata.name")
    return ObjectKey(gk, str(meta.get("namespace") or ""), str(meta["name"]))


def describe(key: ObjectKey) -> str:
    """How messages name an object: 'Deployment "default/web"'."""
    return f'{kind_of(key.gk)} "{key.namespace + "/" if key.namespace else ""}{key.name}"'
