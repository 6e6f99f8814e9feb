"""Reading manifests as kubectl does: files, directories (-R), stdin ('-'), YAML or JSON,
multi-document streams and `kind: List`.

Each object comes back with a source string naming its file and document, so
every later error can say where the problem is.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import IO

from karmadactl.apis.manifest import Manifest
from karmadactl.errors import InvalidInput

EXTENSIONS = (".yaml", ".yml", ".json")


# Input limits: what no manifest needs and what would let one input exhaust the
# machine. The object-size rules of Kubernetes (1 MiB of ConfigMap data, 1.5 MiB
# per object) are checked later, per object; these bound the reading itself.
MAX_INPUT_BYTES = 32 * 1024 * 1024     # one file, or stdin
MAX_DEPTH = 100                        # nested mappings and sequences in one document
MAX_ALIAS_NODES = 100_000              # nodes that YAML aliases may add to a stream by repetition


def yaml_loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def files_in(path: str, recursive: bool) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        found = p.rglob("*") if recursive else p.glob("*")
        return sorted(f for f in found if f.is_file() and f.suffix in EXTENSIONS)
    if not p.exists():
        raise InvalidInput(f"{path}: no such file or directory")
    mode = p.stat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise InvalidInput(f"{path}: not a regular file (give a file, a directory or '-' for stdin)")
    return [p]


def _too_big(name: str) -> InvalidInput:
    size = (f"{MAX_INPUT_BYTES // 1048576} MiB" if MAX_INPUT_BYTES % 1048576 == 0
            else f"{MAX_INPUT_BYTES} bytes")
    return InvalidInput(f"{name}: larger than {size}; split it into several files")


def read_bytes(stream: IO[bytes], name: str) -> bytes:
    """At most MAX_INPUT_BYTES of a stream (a file, a pipe, stdin); more is an error, not a hang."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise _too_big(name)
    return data


def read_stdin(stdin: IO[str]) -> str:
    """stdin as text: its bytes when it has them (decoded strictly), else what the text stream gives."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        return decode(read_bytes(buffer, "<stdin>"), "<stdin>")
    text = stdin.read(MAX_INPUT_BYTES + 1)
    if len(text) > MAX_INPUT_BYTES:
        raise _too_big("<stdin>")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:       # a stream decoded with surrogateescape: the bytes were not UTF-8
        raise InvalidInput(f"<stdin>: not UTF-8 text (invalid byte at character {e.start})") from None
    return text


def decode(data: bytes, name: str) -> str:
    """UTF-8 (a byte-order mark allowed), as Kubernetes reads manifests; anything else is a clear error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(f"{name}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def _check_events(text: str, name: str) -> None:
    """Nesting depth and alias expansion, counted on the parser's events before anything is built.

    Composing a node tree is recursive and aliases multiply what later code walks,
    so a few hundred bytes could exhaust the stack or the memory: refused here.
    """
    import yaml

    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    # without an anchor there is no alias to expand: only depth counts
    aliases = _AliasExpansion(name) if "&" in text else None
    depth = 0
    for event in yaml.parse(text, Loader=yaml_loader()):
        if isinstance(event, yaml.ScalarEvent):
            if aliases:
                aliases.scalar(event.anchor)
        elif isinstance(event, starts):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidInput(f"{name}{_line(event)}: nested deeper than {MAX_DEPTH} levels")
            if aliases:
                aliases.start(event.anchor)
        elif isinstance(event, ends):
            depth -= 1
            if aliases:
                aliases.end()
        elif aliases and isinstance(event, yaml.AliasEvent):
            aliases.alias(event)
        elif aliases and isinstance(event, yaml.DocumentEndEvent):
            aliases.size.clear()


class _AliasExpansion:
    """The nodes of a document with every alias expanded, counted event by event."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.added = 0          # nodes that aliases add by repeating what their anchor holds
        self.nodes = 0          # nodes of the document with every alias expanded
        self.open_anchors: list[tuple[str | None, int]] = []    # (anchor, nodes when it began) of open collections
        self.size: dict[str, int] = {}     # anchor -> its nodes, aliases expanded

    def scalar(self, anchor: str | None) -> None:
        self.nodes += 1
        if anchor is not None:
            self.size[anchor] = 1

    def start(self, anchor: str | None) -> None:
        if anchor is not None:
            self.size.pop(anchor, None)
        self.open_anchors.append((anchor, self.nodes))
        self.nodes += 1

    def end(self) -> None:
        anchor, began = self.open_anchors.pop()
        if anchor is not None:
            self.size[anchor] = self.nodes - began

    def alias(self, event) -> None:
        if event.anchor not in self.size and any(a == event.anchor for a, _ in self.open_anchors):
            raise InvalidInput(f"{self.name}{_line(event)}: alias *{event.anchor} refers to itself")
        self.nodes += self.size.get(event.anchor, 1)     # an undefined alias: the loader says so below
        self.added += self.size.get(event.anchor, 1) - 1
        if self.added > MAX_ALIAS_NODES:
            raise InvalidInput(f"{self.name}{_line(event)}: YAML aliases expand to more than "
                               f"{MAX_ALIAS_NODES} nodes")


def _line(event) -> str:
    return f" (line {event.start_mark.line + 1})" if event.start_mark else ""


def _check_tree(doc, name: str) -> None:
    """Nesting depth (JSON has no events to count), string keys, and text that is valid Unicode."""
    stack = [(doc, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{name}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise InvalidInput(f"{name}: {path + ': ' if path else ''}key {str(key)[:40]!r} is not a string")
                _check_text(key, name, path)
                if isinstance(value, (dict, list)):
                    stack.append((value, depth + 1, f"{path}.{key}" if path else key))
                elif isinstance(value, str):
                    _check_text(value, name, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    stack.append((value, depth + 1, f"{path}[{i}]"))
                elif isinstance(value, str):
                    _check_text(value, name, f"{path}[{i}]")


def _check_text(text: str, name: str, path: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(f"{name}: {path + ': ' if path else ''}not valid Unicode (a lone surrogate)") from None


def parse_stream(text: str, name: str) -> list[Manifest]:
    """All objects of one YAML/JSON stream; `kind: List` is flattened into its items."""
    import yaml

    documents: list = []
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
            documents = data if isinstance(data, list) else [data]
        except json.JSONDecodeError:
            documents = []  # maybe YAML flow style: fall through
        except RecursionError:
            raise InvalidInput(f"{name}: nested deeper than {MAX_DEPTH} levels") from None
    if not documents:
        try:
            _check_events(text, name)
            documents = [d for d in yaml.load_all(text, Loader=yaml_loader())]
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            problem = getattr(e, "problem", None) or "malformed"
            raise InvalidInput(f"{name}: not valid YAML{where}: {problem}") from None
    out: list[Manifest] = []
    real = [d for d in documents if d is not None]
    for index, doc in enumerate(real, start=1):
        source = name if len(real) == 1 else f"{name} (document {index})"
        if not isinstance(doc, dict):
            raise InvalidInput(f"{source}: expected a Kubernetes object (a mapping), got {type(doc).__name__}")
        _check_tree(doc, source)
        if doc.get("kind") == "List" or (str(doc.get("kind", "")).endswith("List") and "items" in doc):
            items = doc.get("items") or []
            if not isinstance(items, list):
                raise InvalidInput(f"{source}: items: expected a list")
            for i, item in enumerate(items):
                out.append(Manifest(f"{source} items[{i}]", item))
        else:
            out.append(Manifest(source, doc))
    for m in out:
        check_object(m)
    return out


def check_object(m: Manifest) -> None:
    """What every Kubernetes object needs: apiVersion, kind, metadata.name; all of an object's problems at once.

    The rest (name rules, labels, schemas) is validated by apis/validation.py before anything is stored."""
    obj = m.obj
    if not isinstance(obj, dict):
        raise InvalidInput(f"{m.source}: expected a Kubernetes object (a mapping)")
    problems = [f"{key}: required" if obj.get(key) in (None, "") else f"{key}: must be a string"
                for key in ("apiVersion", "kind") if not isinstance(obj.get(key), str) or not obj.get(key)]
    kind = obj["kind"] if isinstance(obj.get("kind"), str) and obj.get("kind") else "object"
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(metadata, dict):
        problems.append("metadata: required" if metadata is None else "metadata: must be a mapping")
    elif not isinstance(name, str) or not name:
        problems.append("metadata.name: required" if name in (None, "") else "metadata.name: must be a string")
    else:
        for key in ("labels", "annotations"):
            value = metadata.get(key)
            if value is not None and (not isinstance(value, dict)
                                      or not all(isinstance(v, str) for v in value.values())):
                problems.append(f"metadata.{key}: expected a map of strings")
    if problems:
        who = f"{kind} {name}" if isinstance(name, str) and name else kind
        raise InvalidInput("\n".join(f"{m.source}: {who}: {p}" for p in problems))


def load(paths: list[str], *, recursive: bool = False, stdin: IO[str] | None = None) -> list[Manifest]:
    """Every object named by -f arguments, in order."""
    if not paths:
        raise InvalidInput("-f: at least one file, directory or '-' is required")
    out: list[Manifest] = []
    for path in paths:
        if path == "-":
            out.extend(parse_stream(read_stdin(stdin or sys.stdin), "<stdin>"))
            continue
        try:
            files = files_in(path, recursive)
        except OSError as e:       # a name too long, a folder that cannot be listed
            raise InvalidInput(f"{path[:200]}: cannot read: {e.strerror or e}") from None
        if not files:
            raise InvalidInput(f"{path}: no .yaml, .yml or .json files in this directory")
        for f in files:
            try:
                with f.open("rb") as stream:
                    data = read_bytes(stream, str(f))
            except OSError as e:
                raise InvalidInput(f"{f}: cannot read: {e.strerror or e}") from None
            out.extend(parse_stream(decode(data, str(f)), str(f)))
    return out
