"""interpret: run a ResourceInterpreterCustomization's Lua rules on files, as Karmada's karmadactl does."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

import typer

from karmadactl.cli.env import Env

if TYPE_CHECKING:
    from karmadactl.interpreter.customization import Customization

# Output keys, as in Karmada's interpreter test data.
_ALIASES = {name.lower(): name for name in ("Retain", "InterpretReplica", "InterpretComponent", "ReviseReplica",
                                           "InterpretStatus", "AggregateStatus", "InterpretHealth",
                                           "InterpretDependency")}


def _parse(text: str, source: str) -> list[tuple[str, dict]]:
    """The objects of one YAML/JSON stream, `kind: List` flattened; only a kind is required."""
    import json

    import yaml

    from karmadactl.cli.files import yaml_loader
    from karmadactl.errors import InvalidInput

    try:
        if text.lstrip().startswith(("{", "[")):
            data = json.loads(text)
            documents = data if isinstance(data, list) else [data]
        else:
            documents = list(yaml.load_all(text, Loader=yaml_loader()))
    except (ValueError, yaml.YAMLError):
        raise InvalidInput(f"{source}: not valid YAML or JSON") from None
    documents = [d for d in documents if d is not None]
    found: list[tuple[str, dict]] = []
    for index, doc in enumerate(documents, start=1):
        where = source if len(documents) == 1 else f"{source} (document {index})"
        if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            found.extend((f"{where} items[{i}]", item) for i, item in enumerate(doc["items"]))
        else:
            found.append((where, doc))
    for where, obj in found:
        if not isinstance(obj, dict):
            raise InvalidInput(f"{where}: expected an object (a mapping), got {type(obj).__name__}")
        if not isinstance(obj.get("kind"), str) or not obj["kind"]:
            raise InvalidInput(f"{where}: kind: required")
    return found


def _read(paths: list[str], recursive: bool = False, stdin=None) -> list[tuple[str, dict]]:
    """Objects from files, directories or '-', read locally as Karmada's `karmadactl interpret`
    reads them: no server-side validation, so no name is needed and metadata is not checked
    (`apply` stays strict)."""
    import sys
    from pathlib import Path

    from karmadactl.cli.files import files_in
    from karmadactl.errors import InvalidInput

    found: list[tuple[str, dict]] = []
    for path in paths:
        if path == "-":
            found.extend(_parse((stdin or sys.stdin).read(), "<stdin>"))
            continue
        files = files_in(path, recursive) if Path(path).is_dir() else [Path(path)]
        for f in files:
            try:
                text = f.read_text()
            except (OSError, UnicodeDecodeError) as e:
                raise InvalidInput(f"{f}: cannot read: {getattr(e, 'strerror', None) or e}") from None
            found.extend(_parse(text, str(f)))
    return found


def _read_object(path: str | None, flag: str, stdin=None) -> dict | None:
    if path is None:
        return None
    from karmadactl.errors import InvalidInput

    objects = _read([path], stdin=stdin)
    if len(objects) != 1:
        raise InvalidInput(f"{flag} {path}: get {len(objects)} objects, expect one")
    return objects[0][1]


def _read_status_items(path: str | None) -> list | None:
    """AggregatedStatusItems: one per YAML document, or one YAML/JSON list; empty file = []."""
    if path is None:
        return None
    import yaml

    from karmadactl.cli.files import yaml_loader
    from karmadactl.errors import InvalidInput

    try:
        with open(path) as f:
            docs = [d for d in yaml.load_all(f.read(), Loader=yaml_loader()) if d is not None]
    except OSError as e:
        raise InvalidInput(f"--status-file {path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError:
        raise InvalidInput(f"--status-file {path}: not valid YAML or JSON") from None
    items = docs[0] if len(docs) == 1 and isinstance(docs[0], list) else docs
    if not all(isinstance(item, dict) for item in items):
        raise InvalidInput(f"--status-file {path}: expected AggregatedStatusItems (mappings)")
    return items


def _load_customizations(paths: list[str], recursive: bool = False, stdin: IO[str] | None = None
                         ) -> list[Customization]:
    """The ResourceInterpreterCustomizations in the files (other objects, e.g. CRDs, are skipped)."""
    from karmadactl.errors import InvalidInput
    from karmadactl.interpreter.customization import KIND, Customization

    found = [Customization.from_dict(obj, source) for source, obj in _read(paths, recursive, stdin)
             if obj.get("kind") == KIND]
    if not found:
        raise InvalidInput(f"-f {' '.join(paths)}: no {KIND} found")
    return sorted(found, key=lambda c: c.name)


def check(env: Env, customizations: list[Customization]) -> int:
    """Every rule loaded in the sandbox, its function found: PASS or FAIL per rule; 1 if any fails."""
    from karmadactl.commands.interpret import check as check_rules

    checked = check_rules(customizations)
    for result in checked:
        c = result.customization
        env.out(f"{c.name} (target {c.api_version}, Kind={c.kind}):")
        for operation, why in result.failures.items():
            env.out(f"  {operation}: PASS" if why is None else f"  {operation}: FAIL: {why}")
    return 1 if any(result.failed for result in checked) else 0


def interpret(ctx: typer.Context,
              filename: list[str] = typer.Option(..., "-f", "--filename",
                                                 help="ResourceInterpreterCustomization file(s)"),
              check_only: bool = typer.Option(False, "--check", help="Only check the rules load."),
              operation: str | None = typer.Option(
                  None, "--operation", help="Retain, InterpretReplica, InterpretComponent, ReviseReplica, "
                  "InterpretStatus, AggregateStatus, InterpretHealth or InterpretDependency"),
              desired_file: str | None = typer.Option(None, "--desired-file"),
              observed_file: str | None = typer.Option(None, "--observed-file"),
              status_file: str | None = typer.Option(None, "--status-file",
                                                     help="AggregatedStatusItems (AggregateStatus)"),
              desired_replica: int = typer.Option(0, "--desired-replica",
                                                  help="Replicas for ReviseReplica (0 by default, as Karmada)"),
              recursive: bool = typer.Option(False, "-R", "--recursive", help="Read the -f directories recursively"),
              output: str = typer.Option("yaml", "-o", "--output", help="yaml or json")) -> int:
    from karmadactl.commands.interpret import execute
    from karmadactl.errors import UsageError

    env: Env = ctx.obj
    if output not in ("yaml", "json"):
        raise UsageError(f"--output {output!r}: interpret prints yaml or json")
    customizations = _load_customizations(filename, recursive, env.stdin)
    if check_only:
        return check(env, customizations)
    if not operation:
        raise UsageError("--operation is required (or --check)")
    op = _ALIASES.get(operation.lower())
    if op is None:
        raise UsageError(f"--operation {operation!r}: one of {', '.join(_ALIASES.values())}")
    result = execute(customizations, op, _read_object(desired_file, "--desired-file", env.stdin),
                     _read_object(observed_file, "--observed-file", env.stdin), _read_status_items(status_file),
                     desired_replica)
    from karmadactl.cli.output import to_json, to_yaml

    env.stdout.write(to_json(result) + "\n" if output == "json" else to_yaml(result))
    return 0


def register(app: typer.Typer) -> None:
    app.command("interpret",
                help="Run a ResourceInterpreterCustomization's Lua rules on files (or --check them).")(interpret)
