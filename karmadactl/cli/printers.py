"""kubectl's output and selection options for `get`: -o jsonpath/custom-columns (and their -file forms),
--show-labels, -L, --sort-by and --no-headers, as pure functions over objects and table cells."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from karmadactl.cli.output import FORMATS
from karmadactl.errors import InvalidInput, UsageError

if TYPE_CHECKING:
    from karmadactl.apis.kinds import Kind
    from karmadactl.cli.env import Env
    from karmadactl.cli.jsonpath import Path, Template

TEMPLATE_FORMATS = ("jsonpath", "jsonpath-file", "custom-columns", "custom-columns-file")
ALLOWED = sorted(set(FORMATS) - {"table"} | set(TEMPLATE_FORMATS))


@dataclass
class Output:
    """A parsed -o value: a plain format, or a template/columns one with what it prints."""
    format: str
    template: Template | None = None
    columns: list[tuple[str, Path]] = field(default_factory=list)   # (HEADER, path)

    @property
    def templated(self) -> bool:
        return self.format in ("jsonpath", "custom-columns")


def _read(path: str, what: str) -> str:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise InvalidInput(f"error reading {what} {path}, {e.strerror or e}") from None


def custom_columns(spec: str) -> list[tuple[str, Path]]:
    """HEADER:PATH[,HEADER:PATH...] compiled; kubectl's message for a column without a path."""
    from karmadactl.cli.jsonpath import JSONPathError, compile_path, relaxed

    columns = []
    for piece in spec.split(","):
        header, sep, path = piece.partition(":")
        if not sep or not header:
            raise UsageError(f"unexpected custom-columns spec: {piece}, expected <header>:<json-path-expr>")
        try:
            columns.append((header, compile_path(relaxed(path))))
        except ValueError as e:
            raise JSONPathError(f"error parsing jsonpath {path}, {e}") from None
    return columns


def custom_columns_file(text: str) -> list[tuple[str, Path]]:
    """The -file form: a line of headers, then a line of paths, separated by white space."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if len(lines) != 2:
        raise InvalidInput(f"unexpected number of lines in custom-columns file: {len(lines)} (expected 2)")
    headers, paths = lines
    if len(headers) != len(paths):
        raise InvalidInput(f"custom-columns file: {len(headers)} headers but {len(paths)} paths")
    return custom_columns(",".join(f"{h}:{p}" for h, p in zip(headers, paths)))


def parse_output(value: str) -> Output:
    """-o as kubectl reads it: table (the default), wide, json, yaml, name, jsonpath=TEMPLATE,
    jsonpath-file=FILE, custom-columns=SPEC, custom-columns-file=FILE."""
    name, sep, argument = value.partition("=")
    if not sep:
        if value in FORMATS:
            return Output(value)
        if value in TEMPLATE_FORMATS:
            raise UsageError(f"{value}: template format specified but no template given")
    if name not in TEMPLATE_FORMATS:
        if name in ("go-template", "go-template-file", "template", "templatefile"):
            raise UsageError(f"--output {name}: Go templates are not supported (use jsonpath or custom-columns)")
        raise UsageError(f'unable to match a printer suitable for the output format "{value}", '
                         f'allowed formats are: {",".join(ALLOWED)}')
    if not argument:
        raise UsageError(f"{name}: template format specified but no template given")
    from karmadactl.cli import jsonpath

    if name == "jsonpath":
        return Output("jsonpath", template=jsonpath.template(argument))
    if name == "jsonpath-file":
        return Output("jsonpath", template=jsonpath.template(_read(argument, "template")))
    if name == "custom-columns":
        return Output("custom-columns", columns=custom_columns(argument))
    return Output("custom-columns", columns=custom_columns_file(_read(argument, "template")))


# -- cells -----------------------------------------------------------------------------------


def go_value(value) -> str:
    """Go's %v of decoded JSON, as kubectl's custom-columns prints a map or a list."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


def column_cells(obj: dict, columns: list[tuple[str, Path]]) -> list[str]:
    """One custom-columns row: the values each path finds joined by commas, <none> when none."""
    cells = []
    for _, path in columns:
        values = path.find(obj)
        cells.append(",".join(go_value(v) for v in values) if values else "<none>")
    return cells


def label_headers(label_columns: list[str], show_labels: bool) -> tuple[str, ...]:
    """-L KEY adds a column named by the key's last segment upper-cased; --show-labels adds LABELS."""
    return tuple(k.rpartition("/")[2].upper() for k in label_columns) + (("LABELS",) if show_labels else ())


def label_cells(obj: dict, label_columns: list[str], show_labels: bool) -> list[str]:
    from karmadactl.cli.get import format_labels

    labels = (obj.get("metadata") or {}).get("labels") or {}
    return [str(labels.get(k, "")) for k in label_columns] + ([format_labels(labels)] if show_labels else [])


def split_label_columns(values: list[str] | None) -> list[str]:
    return [k.strip() for v in values or [] for k in v.split(",") if k.strip()]


# -- sorting ---------------------------------------------------------------------------------


def sort_key_path(expression: str) -> Path:
    from karmadactl.cli.jsonpath import JSONPathError, compile_path, relaxed

    try:
        return compile_path(relaxed(expression))
    except ValueError as e:
        raise JSONPathError(f"error parsing jsonpath {{{relaxed(expression)}}}, {e}") from None


def sort_by(items: list, expression: str, obj=lambda item: item) -> list:
    """Items ordered by the first value the path finds in each object: numbers by value, anything
    else as text; objects without it first. kubectl's error when no object has the field."""
    from karmadactl.cli.jsonpath import JSONPathError, relaxed

    if not items:
        return items
    path = sort_key_path(expression)
    keyed = []
    for item in items:
        found = path.find(obj(item))
        keyed.append((found[0] if found else None, item))
    if all(value is None for value, _ in keyed):
        raise JSONPathError(f'couldn\'t find any field with path "{{{relaxed(expression)}}}" in the list of objects')

    def key(pair):
        value = pair[0]
        if value is None:
            return (0, 0, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (1, value, "")
        return (2, 0, value if isinstance(value, str) else str(value))
    return [item for _, item in sorted(keyed, key=key)]


# -- printing what get found -----------------------------------------------------------------


Row = tuple[str | None, dict]


@dataclass
class Section:
    """One kind's rows: (cluster, object), cluster None for the store's rows without a CLUSTER column,
    and how to turn them into headers and cells for the table formats."""
    resource: str
    rows: list[Row]
    table: Callable[[list[Row]], tuple[tuple[str, ...], list[list[str]]]] | None
    info: Kind | None = None          # the Kind read, its namespace (None: all) and the names asked
    namespace: str | None = None
    names: tuple[str, ...] = ()


@dataclass
class Printing:
    """get's table options: a CLUSTER column (--scope members|all), no header line, a LABELS column,
    a column per -L key, NAME as RESOURCE/NAME (several kinds asked for)."""
    scoped: bool
    no_headers: bool = False
    show_labels: bool = False
    label_columns: list[str] = field(default_factory=list)
    prefix_names: bool = False


def _aligned(env: Env, headers, cells, no_headers: bool) -> None:
    from karmadactl.cli.output import print_table

    if not no_headers:
        print_table(env, tuple(headers), cells)
        return
    if not cells:
        return
    widths = [max(len(str(x)) for x in col) for col in zip(*cells)]
    for line in cells:
        env.out("   ".join(str(v).ljust(w) for v, w in zip(line, widths)).rstrip())


def print_sections(env: Env, sections: list[Section], out: Output, printing: Printing, *, single: bool,
                   quiet: bool = False) -> None:
    """What `get` prints for the kinds it read, in the chosen -o format, as kubectl prints it:
    a table per kind (blank line between, NAME as RESOURCE/NAME when several kinds were asked for),
    or one List for json/yaml/jsonpath/custom-columns."""
    if out.format in ("json", "yaml", "name", "jsonpath"):
        _print_objects(env, sections, out, printing.scoped, single)
        return
    objects = [obj for s in sections for _, obj in s.rows]
    if not objects:
        if not quiet:
            env.err("No resources found")
        return
    if out.format == "custom-columns":
        _aligned(env, [h for h, _ in out.columns], [column_cells(o, out.columns) for o in objects],
                 printing.no_headers)
        return
    first = True
    for s in sections:
        if not s.rows or s.table is None:
            continue
        if not first:
            env.out("")
        first = False
        _print_table(env, s, printing)


def _print_objects(env: Env, sections: list[Section], out: Output, scoped: bool, single: bool) -> None:
    """-o json|yaml (one List, or the object asked for by name), name, jsonpath."""
    from karmadactl.cli.output import as_list, to_json, to_yaml, write_list

    rows = [row for s in sections for row in s.rows]
    objects = [obj for _, obj in rows]
    if out.format in ("json", "yaml"):
        if scoped:
            write_list(env.stdout, [{"cluster": c, "object": o} for c, o in rows], out.format)
        elif single and len(objects) == 1:
            env.stdout.write(to_json(objects[0]) + "\n" if out.format == "json" else to_yaml(objects[0]))
        else:
            write_list(env.stdout, objects, out.format)
    elif out.format == "name":
        for s in sections:
            for cluster, obj in s.rows:
                env.out(f"{str(cluster) + '/' if scoped else ''}{s.resource}/{obj['metadata']['name']}")
    elif out.template is not None:
        env.stdout.write(out.template.render(objects[0] if single and len(objects) == 1 else as_list(objects)))
        env.stdout.flush()


def _print_table(env: Env, s: Section, printing: Printing) -> None:
    assert s.table is not None
    headers, cells = s.table(s.rows)
    labels, show = printing.label_columns, printing.show_labels
    headers = tuple(headers) + label_headers(labels, show)
    cells = [list(c) + label_cells(obj, labels, show) for c, (_, obj) in zip(cells, s.rows)]
    if printing.prefix_names and "NAME" in headers:
        at = headers.index("NAME")
        for c in cells:
            c[at] = f"{s.resource}/{c[at]}"
    _aligned(env, headers, cells, printing.no_headers)
