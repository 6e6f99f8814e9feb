"""Rendering objects as kubectl does: table, wide, json, yaml, name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from karmadactl.cli.env import Env
from karmadactl.errors import UsageError

FORMATS = ("table", "wide", "json", "yaml", "name")


def check_format(output: str) -> str:
    if output not in FORMATS:
        raise UsageError(f"--output {output!r}: unknown format (one of {', '.join(FORMATS)})")
    return output


@dataclass(frozen=True)
class Columns:
    headers: tuple[str, ...]
    row: Callable[[dict], list[str]]


def to_yaml(data) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def to_json(data) -> str:
    return json.dumps(data, indent=4, ensure_ascii=False)


def as_list(objects: list[dict]) -> dict:
    return {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}


def print_objects(env: Env, objects: list[dict], output: str, *, table: Columns,
                  wide: Columns | None = None, resource: str, single: bool = False) -> None:
    """Print objects in the chosen format; `single` prints one object rather than a List."""
    check_format(output)
    if output in ("json", "yaml"):
        data = objects[0] if single and len(objects) == 1 else as_list(objects)
        env.stdout.write(to_json(data) + "\n" if output == "json" else to_yaml(data))
        return
    if output == "name":
        for obj in objects:
            env.out(f"{resource}/{obj['metadata']['name']}")
        return
    if not objects:
        env.err("No resources found")
        return
    columns = wide if output == "wide" and wide else table
    print_table(env, columns.headers, [columns.row(o) for o in objects])


def print_table(env: Env, headers: tuple[str, ...] | list[str], rows: list[list[str]]) -> None:
    """A rich table on a terminal; kubectl's plain aligned columns in a pipe."""
    if env.stdout_tty:
        from rich.table import Table
        from rich import box

        table = Table(box=box.SIMPLE_HEAD if env.color else None, show_edge=False,
                      header_style="bold" if env.color else None, pad_edge=False)
        for h in headers:
            table.add_column(h, no_wrap=True)
        for r in rows:
            table.add_row(*r)
        env.console().print(table)
        return
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for line in [list(headers), *rows]:
        env.out("   ".join(str(v).ljust(w) for v, w in zip(line, widths)).rstrip())
