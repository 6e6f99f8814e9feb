"""Label and field selectors as kube-apiserver parses them.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`,
`!a`, `a>1`, `a<1`, joined by commas. Field selectors: `path=v`, `path==v`,
`path!=v` over metadata.name, metadata.namespace and a few per-kind fields.
Parsing errors raise `SelectorError` (the server answers 400 BadRequest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

Matcher = Callable[[dict], bool]


class SelectorError(ValueError):
    """The selector text cannot be parsed."""


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str                      # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return has and value in self.values
        if self.op in ("!=", "notin"):
            return not has or value not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        try:
            number, bound = int(value or ""), int(self.values[0])
        except ValueError:
            return False
        return number > bound if self.op == "gt" else number < bound


_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_SET = re.compile(r"^\s*(\S+?)\s+(in|notin)\s*\((.*)\)\s*$")
_CMP = re.compile(r"^\s*([^!=<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)\s*$")


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unable to parse requirement: unbalanced ')' in {text!r}")
        if ch == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth:
        raise SelectorError(f"unable to parse requirement: unclosed '(' in {text!r}")
    terms.append("".join(current))
    return terms


def _check_key(key: str) -> str:
    if not _KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r}")
    return key


def _check_value(value: str) -> str:
    if not _VALUE.match(value):
        raise SelectorError(f"unable to parse requirement: invalid label value {value!r}")
    return value


def _parse_term(term: str) -> Requirement:
    term = term.strip()
    m = _SET.match(term)
    if m:
        values = tuple(_check_value(v.strip()) for v in m.group(3).split(","))
        return Requirement(_check_key(m.group(1)), m.group(2), values)
    if term.startswith("!"):
        return Requirement(_check_key(term[1:].strip()), "!")
    m = _CMP.match(term)
    if m:
        op = {"==": "=", ">": "gt", "<": "lt"}.get(m.group(2), m.group(2))
        value = m.group(3)
        if op in ("gt", "lt") and not value.lstrip("-").isdigit():
            raise SelectorError(f"unable to parse requirement: {value!r} is not an integer")
        return Requirement(_check_key(m.group(1)), op, (_check_value(value),))
    if term and not any(c in term for c in "=!<>() "):
        return Requirement(_check_key(term), "exists")
    raise SelectorError(f"unable to parse requirement: {term!r}")


def parse_label_selector(text: str | None) -> list[Requirement]:
    """Parse a label selector string; empty or None selects everything."""
    if not text or not text.strip():
        return []
    return [_parse_term(t) for t in _split_terms(text)]


def labels_match(requirements: list[Requirement], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in requirements)


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
        for op, equal in (("!=", False), ("==", True), ("=", True)):
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
