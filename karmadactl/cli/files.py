"""Reading manifests as kubectl does: files, directories (-R), stdin ('-'), YAML or JSON,
multi-document streams and `kind: List`.

Each object comes back with a source string naming its file and document, so
every later error can say where the problem is.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from karmadactl.errors import InvalidInput

EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass
class Manifest:
    source: str      # "deploy.yaml", "deploy.yaml (document 2)", "list.json (items[3])"
    obj: dict


def _loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _files(path: str, recursive: bool) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        found = p.rglob("*") if recursive else p.glob("*")
        return sorted(f for f in found if f.is_file() and f.suffix in EXTENSIONS)
    if not p.exists():
        raise InvalidInput(f"{path}: no such file or directory")
    return [p]


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
    if not documents:
        try:
            documents = [d for d in yaml.load_all(text, Loader=_loader())]
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
    """What every Kubernetes object needs: apiVersion, kind, metadata.name."""
    obj = m.obj
    if not isinstance(obj, dict):
        raise InvalidInput(f"{m.source}: expected a Kubernetes object (a mapping)")
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            raise InvalidInput(f"{m.source}: {key}: required")
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise InvalidInput(f"{m.source}: {obj['kind']}: metadata: required")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{m.source}: {obj['kind']}: metadata.name: required")
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is not None and (not isinstance(value, dict)
                                  or not all(isinstance(v, str) for v in value.values())):
            raise InvalidInput(f"{m.source}: {obj['kind']} {name}: metadata.{key}: expected a map of strings")


def load(paths: list[str], *, recursive: bool = False, stdin: IO[str] | None = None) -> list[Manifest]:
    """Every object named by -f arguments, in order."""
    if not paths:
        raise InvalidInput("-f: at least one file, directory or '-' is required")
    out: list[Manifest] = []
    for path in paths:
        if path == "-":
            out.extend(parse_stream((stdin or sys.stdin).read(), "<stdin>"))
            continue
        files = _files(path, recursive)
        if not files:
            raise InvalidInput(f"{path}: no .yaml, .yml or .json files in this directory")
        for f in files:
            try:
                text = f.read_text()
            except (OSError, UnicodeDecodeError) as e:
                raise InvalidInput(f"{f}: cannot read: {getattr(e, 'strerror', None) or e}") from None
            out.extend(parse_stream(text, str(f)))
    return out
