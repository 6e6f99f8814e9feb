"""get -w / --watch-only: after the listing, a line (or an object with -o json|yaml|jsonpath) per change.

The store and the members are read again every POLL_SECONDS and each row compared by its
resourceVersion: a new or changed object prints its row, a deleted one prints its last row. It runs
until interrupted (Ctrl-C, SIGINT), which ends it with exit 0 as kubectl does.
"""

from __future__ import annotations

import time

from karmadactl.errors import ExitCode

POLL_SECONDS = 1.0


def _versions(sections) -> dict[tuple, tuple]:
    """(resource, cluster, namespace, name) -> (resourceVersion, section, row) of what was read."""
    seen = {}
    for s in sections:
        for cluster, obj in s.rows:
            meta = obj.get("metadata") or {}
            key = (s.resource, cluster, meta.get("namespace", ""), meta.get("name", ""))
            seen[key] = (str(meta.get("resourceVersion", "")), s, (cluster, obj))
    return seen


def changes(before: dict, after: dict) -> list:
    """The (section, row) pairs to print going from one reading to the next: added or changed
    objects in their new state, deleted ones in their last, in a stable order."""
    out = []
    for key in sorted(set(before) | set(after), key=lambda k: tuple(str(x) for x in k)):
        old, new = before.get(key), after.get(key)
        if new is not None and (old is None or old[0] != new[0]):
            out.append((new[1], new[2]))
        elif new is None:
            out.append((old[1], old[2]))
    return out


def _print_change(env, section, row, out, printing, state) -> None:
    from karmadactl.cli.output import to_json, to_yaml
    from karmadactl.cli.printers import Section, print_sections

    cluster, obj = row
    if out.format == "json":
        env.stdout.write(to_json({"cluster": cluster, "object": obj} if printing["scoped"] else obj) + "\n")
    elif out.format == "yaml":
        env.stdout.write("---\n" + to_yaml({"cluster": cluster, "object": obj} if printing["scoped"] else obj))
    elif out.format == "jsonpath":
        env.stdout.write(out.template.render(obj))
    else:
        # the header once (for --watch-only, before the first change), then bare rows
        print_sections(env, [Section(section.resource, [row], section.table)], out, single=False,
                       **{**printing, "no_headers": printing["no_headers"] or state["headed"]})
        state["headed"] = True
    env.stdout.flush()


def follow(env, requests, query, sections, out, printing: dict, *, listed: bool) -> int:
    """Print the changes after `sections` until interrupted; `listed`: the table was printed."""
    from karmadactl.cli.get import read_sections

    state = {"headed": listed}
    seen = _versions(sections)
    try:
        env.stdout.flush()
        while True:
            time.sleep(POLL_SECONDS)
            with env.store() as store:
                fresh, _, _, _ = read_sections(store, requests, query)
            now = _versions(fresh)
            for section, row in changes(seen, now):
                _print_change(env, section, row, out, printing, state)
            seen = now
    except KeyboardInterrupt:
        return ExitCode.OK
