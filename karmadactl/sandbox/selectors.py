"""Selectors as kube-apiserver parses them: label selectors come from
karmadactl.apis.labels; field selectors (`path=v`, `path==v`, `path!=v` over
metadata.name, metadata.namespace and a few per-kind fields) live here.
Parsing errors raise `SelectorError` (the server answers 400 BadRequest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from karmadactl.apis.labels import SelectorError, labels_match, parse_label_selector

Matcher = Callable[[dict], bool]


# field selectors ------------------------------------------------------------------------

COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
EXTRA_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("", "pods"): frozenset({"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                             "spec.serviceAccountName", "status.phase", "status.podIP",
                             "status.nominatedNodeName"}),
    ("", "events"): frozenset({"involvedObject.kind", "involvedObject.namespace",
                               "involvedObject.name", "involvedObject.uid",
                               "involvedObject.apiVersion", "involvedObject.resourceVersion",
                               "involvedObject.fieldPath", "reason", "reportingComponent",
                               "source", "type"}),
    ("", "secrets"): frozenset({"type"}),
    ("", "namespaces"): frozenset({"status.phase"}),
    ("", "nodes"): frozenset({"spec.unschedulable"}),
    ("", "replicationcontrollers"): frozenset({"status.replicas"}),
    ("apps", "replicasets"): frozenset({"status.replicas"}),
    ("batch", "jobs"): frozenset({"status.successful"}),
}


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    value: str
    equal: bool

    def matches(self, obj: dict) -> bool:
        current: object = obj
        for part in self.path.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        if isinstance(current, bool):
            current = "true" if current else "false"
        text = "" if current is None else str(current)
        return (text == self.value) == self.equal


def parse_field_selector(text: str | None, group_resource: tuple[str, str]) -> list[FieldRequirement]:
    """Parse a field selector for one resource; unknown fields raise SelectorError."""
    if not text or not text.strip():
        return []
    allowed = COMMON_FIELDS | EXTRA_FIELDS.get(group_resource, frozenset())
    out = []
    for term in text.split(","):
        term = term.strip()
        for op, equal in (("!=", False), ("==", True), ("=", True)):  # noqa: B007 (used after break)
            if op in term:
                path, _, value = term.partition(op)
                break
        else:
            raise SelectorError(f"invalid selector: {term!r}; can't understand {term!r}")
        path = path.strip()
        if path not in allowed:
            raise SelectorError(f'field label not supported: {path}')
        out.append(FieldRequirement(path, value.strip(), equal))
    return out


def fields_match(requirements: list[FieldRequirement], obj: dict) -> bool:
    return all(r.matches(obj) for r in requirements)


def selector_of(label_selector: str | None, field_selector: str | None,
                group_resource: tuple[str, str]) -> Matcher:
    """One predicate over whole objects for both selectors (raises SelectorError)."""
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector, group_resource)

    def match(obj: dict) -> bool:
        meta = obj.get("metadata") or {}
        return labels_match(labels, meta.get("labels")) and fields_match(fields, obj)

    return match
