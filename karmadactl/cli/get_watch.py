"""get -w / --watch-only: after the listing, a line (or an object with -o json|yaml|jsonpath) per change.

The store is read again every POLL_SECONDS and each row compared by its resourceVersion; the members
are followed through their watch API (members/watch.py). A new or changed object prints its row, a
deleted one its last row. It runs until interrupted (Ctrl-C, SIGINT), which ends it with exit 0 as
kubectl does.
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
        elif new is None and old is not None:
            out.append((old[1], old[2]))
    return out


def _print_change(env, section, row, out, printing, state) -> None:
    import dataclasses

    from karmadactl.cli.output import to_json, to_yaml
    from karmadactl.cli.printers import Section, print_sections

    cluster, obj = row
    if out.format == "json":
        env.stdout.write(to_json({"cluster": cluster, "object": obj} if printing.scoped else obj) + "\n")
    elif out.format == "yaml":
        env.stdout.write("---\n" + to_yaml({"cluster": cluster, "object": obj} if printing.scoped else obj))
    elif out.format == "jsonpath":
        env.stdout.write(out.template.render(obj))
    else:
        # the header once (for --watch-only, before the first change), then bare rows
        headed = dataclasses.replace(printing, no_headers=printing.no_headers or state["headed"])
        print_sections(env, [Section(section.resource, [row], section.table)], out, headed, single=False)
        state["headed"] = True
    env.stdout.flush()


def follow(env, requests, query, sections, out, printing, *, listed: bool) -> int:
    """Print the changes after `sections` until interrupted; `listed`: the table was printed."""
    state = {"headed": listed}
    try:
        env.stdout.flush()
        if query.scope == "karmada":
            _poll_store(env, requests, query, sections, out, printing, state)
        else:
            _watch_members(env, requests, query, sections, out, printing, state)
    except KeyboardInterrupt:
        return ExitCode.OK
    return ExitCode.OK


def _poll_store(env, requests, query, sections, out, printing, state) -> None:
    from karmadactl.cli.get import read_sections

    seen = _versions(sections)
    while True:
        time.sleep(POLL_SECONDS)
        with env.store() as store:
            fresh, _, _, _ = read_sections(store, requests, query)
        now = _versions(fresh)
        for section, row in changes(seen, now):
            _print_change(env, section, row, out, printing, state)
        seen = now


def _store_rows(env, requests, query, by_resource) -> dict:
    """The store's rows of a --scope all watch, keyed as _versions keys them, with the scoped sections."""
    import dataclasses

    from karmadactl.cli.get import KARMADA_ROW, read_sections

    with env.store() as store:
        fresh, _, _, _ = read_sections(store, requests, dataclasses.replace(query, scope="karmada", clusters=None,
                                                                            ignore_not_found=True))
    rows = {}
    for s in fresh:
        for _, obj in s.rows:
            meta = obj.get("metadata") or {}
            rows[(s.resource, KARMADA_ROW, meta.get("namespace", ""), meta.get("name", ""))] = (
                str(meta.get("resourceVersion", "")), by_resource[s.resource], (KARMADA_ROW, obj))
    return rows


def _watch_members(env, requests, query, sections, out, printing, state) -> None:
    """Each member's watch API, one stream per member and kind, printed as events arrive; with
    --scope all the store's rows are read again every POLL_SECONDS."""
    import queue
    import threading

    from karmadactl.cli.get import KARMADA_ROW
    from karmadactl.commands.members import chosen_clusters
    from karmadactl.controllers.clusters import client_for
    from karmadactl.errors import KarmadaError
    from karmadactl.members.watch import watch

    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    seen = _versions(sections)
    by_resource = {s.resource: s for s in sections}

    def run(section, cluster, client) -> None:
        plural = cluster.resource_for(section.info.api_version, section.info.kind) or section.info.plural
        try:
            watch(client, section.info.api_version, plural, namespace=section.namespace,
                  label_selector=query.selector, stop=stop,
                  deliver=lambda type_, obj: events.put((section, cluster.name, type_, obj)))
        except KarmadaError as e:
            events.put((section, cluster.name, "FAILED", str(e)))

    with env.store() as store:
        targets = chosen_clusters(store, query.clusters)
        for section in sections:
            for cluster in targets:
                try:
                    client = client_for(store, cluster)
                except KarmadaError as e:
                    env.err(f"error: {e}")
                    continue
                threading.Thread(target=run, args=(section, cluster, client), daemon=True).start()
    polled = time.monotonic()
    try:
        while True:
            try:
                section, cluster, type_, obj = events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                pass
            else:
                if type_ == "FAILED":
                    env.err(f"error: {obj.splitlines()[0] if obj else 'the watch ended'}")
                    continue
                meta = obj.get("metadata") or {}
                if section.names and meta.get("name") not in section.names:
                    continue
                key = (section.resource, cluster, meta.get("namespace", ""), meta.get("name", ""))
                version = str(meta.get("resourceVersion", ""))
                if type_ == "DELETED":
                    seen.pop(key, None)
                elif key in seen and seen[key][0] == version:
                    continue            # the ADDED event of an object already listed
                else:
                    seen[key] = (version, section, (cluster, obj))
                _print_change(env, section, (cluster, obj), out, printing, state)
            if query.scope == "all" and time.monotonic() - polled >= POLL_SECONDS:
                polled = time.monotonic()
                before = {k: v for k, v in seen.items() if k[1] == KARMADA_ROW}
                now = _store_rows(env, requests, query, by_resource)
                for changed_section, row in changes(before, now):
                    _print_change(env, changed_section, row, out, printing, state)
                seen = {**{k: v for k, v in seen.items() if k[1] != KARMADA_ROW}, **now}
    finally:
        stop.set()
