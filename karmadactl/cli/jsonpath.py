"""kubectl's JSONPath templates (-o jsonpath=, custom-columns, --sort-by) over jsonpath-ng.

kubectl's dialect is a template: text with {actions}. An action is a path (`{.items[*].metadata.name}`,
`{..image}`, `{.items[?(@.status.phase=="Running")].metadata.name}`), a quoted literal (`{"\\n"}`), a
number or a boolean, or `{range PATH}...{end}`. This module parses the template and hands each path,
rewritten in jsonpath-ng's spelling, to jsonpath-ng's extended parser (filters, slices, unions, `..`).
Printing follows k8s.io/client-go/util/jsonpath: the values one action finds are joined by a space,
strings print bare, maps and lists as compact JSON (keys sorted, <>& escaped, as Go's json.Marshal).
jsonpath-ng is imported only when a template is used.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from karmadactl.errors import KarmadaError

_PLAIN_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*|\*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


class JSONPathError(KarmadaError):
    """A template kubectl would refuse or fail to execute; the message is kubectl's."""


# -- paths -----------------------------------------------------------------------------------


def _bracket_end(text: str, at: int) -> int:
    """The index just past the `]` closing the `[` at `at`, quotes and nested brackets respected."""
    depth, quote, i = 0, None, at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unterminated array")


def _field_end(text: str, at: int) -> tuple[str, int]:
    """A dotted field name starting at `at` (`\\.` escapes a dot) and the index after it."""
    name, i = [], at
    while i < len(text) and text[i] not in ".[":
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        name.append(text[i])
        i += 1
    return "".join(name), i


def _field(name: str) -> str:
    return name if _PLAIN_FIELD.fullmatch(name) else "[" + json.dumps(name) + "]"


def to_jsonpath_ng(path: str) -> str:
    """A kubectl path (`.a.b[0]`, `$.a`, `@.a`, `..a`, `.metadata.labels.app\\.kubernetes\\.io/name`)
    in jsonpath-ng's spelling, relative to the current value; '' for the current value itself."""
    text = path.strip()
    if text[:1] in ("$", "@"):
        text = text[1:]
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("..", i):
            name, i = _field_end(text, i + 2)
            out.append("$.." + _field(name) if not out else ".." + _field(name))
        elif text[i] == ".":
            name, i = _field_end(text, i + 1)
            if not name:
                raise ValueError(f"invalid field name in {path!r}")
            out.append(("." if out else "") + _field(name))
        elif text[i] == "[":
            end = _bracket_end(text, i)
            names = _quoted_union(text[i:end])
            bracket = ("[" + ",".join(json.dumps(n.replace("\\.", ".")) for n in names) + "]"
                       if names else text[i:end])
            out.append(("$" if not out else "") + bracket)
            i = end
        else:
            raise ValueError(f"unrecognized character in action: {text[i]!r}")
    return "".join(out)


@dataclass
class Path:
    source: str
    compiled: Any                    # a jsonpath-ng expression, None for the current value
    union: list[Path] = field(default_factory=list)   # kubectl's ['a.b', 'c'] (paths, not keys)
    rest: Path | None = None                          # what follows such a union

    def find(self, data) -> list:
        found = [data] if self.compiled is None else [match.value for match in self.compiled.find(data)]
        if not self.union:
            return found
        # as kubectl's evalUnion: each member over every value, one member after the other
        joined = [v for member in self.union for value in found for v in member.find(value)]
        return joined if self.rest is None else [v for value in joined for v in self.rest.find(value)]


_QUOTED = re.compile(r"""\s*'((?:[^'\\]|\\.)*)'\s*""")


def _quoted_union(bracket: str) -> list[str] | None:
    """The names of a `['a', 'b.c']` subscript (`\\.` unescaped), None for any other subscript."""
    names, inner = [], bracket[1:-1]
    for piece in inner.split(","):
        match = _QUOTED.fullmatch(piece)
        if match is None:
            return None
        names.append(match.group(1))
    return names


def _split_union(text: str) -> tuple[str, list[str], str] | None:
    """(before, names, after) of the first quoted subscript whose names are dotted paths."""
    i = 0
    while i < len(text):
        if text[i] == "[":
            end = _bracket_end(text, i)
            names = _quoted_union(text[i:end])
            if names and any(re.search(r"(?<!\\)\.", n) for n in names):
                return text[:i], names, text[end:]
            i = end
        else:
            i += 1
    return None


def compile_path(path: str) -> Path:
    """One path, parsed now so that a bad one is refused before anything is read."""
    from jsonpath_ng.ext import parse

    text = path.strip()
    split = _split_union(text)
    if split is not None:
        before, names, after = split
        head = compile_path(before) if before.strip() not in ("", "$", "@") else Path(before, None)
        return Path(path, head.compiled, union=[compile_path("." + n) for n in names],
                    rest=compile_path(after) if after.strip() else None)
    spelled = to_jsonpath_ng(text)
    if not spelled:
        return Path(path, None)
    try:
        return Path(path, parse(spelled))
    except Exception as e:              # jsonpath-ng raises several kinds for bad syntax
        raise ValueError(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


# -- templates -------------------------------------------------------------------------------


@dataclass
class Node:
    kind: str                         # text | path | range
    text: str = ""
    path: Path | None = None
    body: list[Node] = field(default_factory=list)


def _actions(template: str) -> list[tuple[str, str]]:
    """The template split into ("text", s) and ("action", s) pieces."""
    pieces, i, start = [], 0, 0
    while i < len(template):
        if template[i] != "{":
            i += 1
            continue
        if i > start:
            pieces.append(("text", template[start:i]))
        j, quote, depth = i + 1, None, 0
        while j < len(template):
            ch = template[j]
            if quote:
                if ch == "\\":
                    j += 1
                elif ch == quote:
                    quote = None
            elif ch == '"':
                quote = ch
            elif ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
            elif ch == "}" and depth <= 0:
                break
            j += 1
        if j >= len(template):
            raise ValueError("unterminated array" if depth > 0 else "unclosed action")
        pieces.append(("action", template[i + 1:j]))
        i = start = j + 1
    if start < len(template):
        pieces.append(("text", template[start:]))
    return pieces


def _literal(action: str) -> str | None:
    """The text of a quoted literal, a number or a boolean action; None for anything else."""
    if len(action) >= 2 and action[0] == '"' and action[-1] == '"':
        try:
            return json.loads(action, strict=False)
        except json.JSONDecodeError:
            raise ValueError(f"invalid string literal {action}") from None
    if action in ("true", "false") or _NUMBER.fullmatch(action):
        return action
    return None


def parse_template(template: str) -> list[Node]:
    """kubectl's template as a tree; ValueError with kubectl's wording for what it refuses."""
    root: list[Node] = []
    stack = [root]
    for kind, piece in _actions(template):
        if kind == "text":
            stack[-1].append(Node("text", piece))
            continue
        action = piece.strip()
        if action == "end":
            if len(stack) == 1:
                raise ValueError("not in range, nothing to end")
            stack.pop()
        elif action.startswith("range ") or action == "range":
            node = Node("range", path=compile_path(action[len("range"):]))
            stack[-1].append(node)
            stack.append(node.body)
        elif (text := _literal(action)) is not None:
            stack[-1].append(Node("text", text))
        else:
            stack[-1].append(Node("path", path=compile_path(action)))
    return root


def go_json(value) -> str:
    """Go's json.Marshal of decoded JSON: compact, map keys sorted, <, >, & escaped."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def text_of(value) -> str:
    """One value as kubectl's jsonpath printer writes it."""
    if isinstance(value, (dict, list)):
        return go_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _render(nodes: list[Node], data, out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text" or node.path is None:
            out.append(node.text)
        elif node.kind == "path":
            out.append(" ".join(text_of(v) for v in node.path.find(data)))
        else:
            for item in node.path.find(data):
                _render(node.body, item, out)


@dataclass
class Template:
    source: str
    nodes: list[Node]

    def render(self, data) -> str:
        out: list[str] = []
        _render(self.nodes, data, out)
        return "".join(out)


def template(source: str) -> Template:
    """A parsed -o jsonpath template, or JSONPathError("error parsing jsonpath TEMPLATE, WHY")."""
    try:
        return Template(source, parse_template(source))
    except ValueError as e:
        raise JSONPathError(f"error parsing jsonpath {source}, {e}") from None


def relaxed(expression: str) -> str:
    """kubectl's RelaxedJSONPathExpression: `.a.b`, `a.b` and `{.a.b}` all mean `{.a.b}`."""
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text and text[0] not in ".$@[":
        text = "." + text
    return text
