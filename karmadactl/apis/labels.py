"""Kubernetes label selectors: the string form (`-l`) and metav1.LabelSelector; pure."""

from __future__ import annotations

import re
from typing import Callable

from karmadactl.errors import InvalidInput

Matcher = Callable[[dict], bool]
_REQUIREMENT = re.compile(
    r"^\s*(?P<not>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[A-Za-z0-9_.-]*))?\s*$")


def _split(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_selector(selector: str) -> Matcher:
    """`a=b,c!=d,e in (x,y),!f` into a function of a labels dict. InvalidInput when malformed."""
    requirements = []
    for part in _split(selector):
        m = _REQUIREMENT.match(part)
        if not m or (m["not"] and m["op"]):
            raise InvalidInput(f"label selector {selector!r}: cannot parse {part.strip()!r}")
        key, op, value = m["key"], (m["op"] or "").strip(), m["value"]
        if op in ("in", "notin"):
            if not (value.startswith("(") and value.endswith(")")):
                raise InvalidInput(f"label selector {selector!r}: {op} needs a (list)")
            values = {v.strip() for v in value[1:-1].split(",") if v.strip()}
            requirements.append(_set_requirement(key, op, values))
        elif op:
            requirements.append(_set_requirement(key, "in" if op in ("=", "==") else "notin", {value}))
        else:
            requirements.append(_set_requirement(key, "doesnotexist" if m["not"] else "exists", set()))
    return lambda labels: all(r(labels) for r in requirements)


def _set_requirement(key: str, op: str, values: set[str]) -> Matcher:
    if op == "in":
        return lambda labels: key in labels and labels[key] in values
    if op == "notin":
        return lambda labels: key not in labels or labels[key] not in values
    if op == "exists":
        return lambda labels: key in labels
    return lambda labels: key not in labels


def label_selector_matcher(selector: dict | None) -> Matcher:
    """metav1.LabelSelector {matchLabels, matchExpressions}; None or {} matches everything."""
    selector = selector or {}
    requirements = [_set_requirement(k, "in", {v}) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "doesnotexist"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise InvalidInput(f"matchExpressions operator {expr.get('operator')!r}: "
                               "must be In, NotIn, Exists or DoesNotExist")
        requirements.append(_set_requirement(expr["key"], op, set(expr.get("values") or [])))
    return lambda labels: all(r(labels) for r in requirements)
