"""Kubernetes label selectors, as kube-apiserver and kubectl parse them; pure.

The string form (`-l`): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`,
`a`, `!a`, `a>1`, `a<1`, joined by commas. The object form: metav1.LabelSelector
{matchLabels, matchExpressions}. Used by the CLI and the sandbox members alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from karmadactl.errors import InvalidInput

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
    terms: list[str] = []
    current: list[str] = []
    depth = 0
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


def parse_selector(selector: str) -> Matcher:
    """A `-l` selector as a function of a labels dict; InvalidInput naming the selector when malformed."""
    try:
        requirements = parse_label_selector(selector)
    except SelectorError as e:
        raise InvalidInput(f"label selector {selector!r}: {e}") from None
    return lambda labels: labels_match(requirements, labels)


def label_selector_matcher(selector: dict | None) -> Matcher:
    """metav1.LabelSelector {matchLabels, matchExpressions}; None or {} matches everything."""
    selector = selector or {}
    requirements = [Requirement(k, "=", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise InvalidInput(f"matchExpressions operator {expr.get('operator')!r}: "
                               "must be In, NotIn, Exists or DoesNotExist")
        requirements.append(Requirement(expr["key"], op, tuple(expr.get("values") or ())))
    return lambda labels: labels_match(requirements, labels)


def selector_string(selector: dict | None) -> str:
    """A metav1.LabelSelector as Kubernetes writes it (labels.Selector.String): requirements sorted by key,
    values sorted; "" when it selects everything. Used as a labelSelector query and, or "<none>", in tables."""
    terms = [(k, f"{k}={v}") for k, v in ((selector or {}).get("matchLabels") or {}).items()]
    for expr in (selector or {}).get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(str(v) for v in expr.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op, f"{key} {op} ({values})")
        terms.append((key, text))
    return ",".join(text for _, text in sorted(terms, key=lambda t: t[0]))
