"""describe and events: what karmadactl knows about one object, and what it did and saw.

The text is built by pure functions (describe_text, event_rows) from stored objects; the commands
only read the store, refresh status from the members and print.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer

from karmadactl.apis import kinds
from karmadactl.cli.env import Env

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


# -- pure helpers ------------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    from karmadactl.apis.meta import parse_duration as parse

    return parse(text, "--since")


ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}


def _title(key: str) -> str:
    """kubectl describe's field names: availableReplicas -> Available Replicas, apiVersion -> API Version;
    keys with other characters than letters and '-' (label keys, say) stay as they are."""
    if any(not (ch.isalpha() or ch == "-") for ch in key):
        return key
    words = [w[:1].upper() + w[1:] for w in _CAMEL.sub(" ", key).split(" ")]
    return " ".join(w.upper() if w.upper() in ACRONYMS else w for w in words)


def _scalar(value) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def nested_lines(value, indent: int = 0) -> list[str]:
    """A dict/list as kubectl describe prints unstructured fields: Title Case keys, nested indent,
    the values of one mapping aligned."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        scalars = [_title(k) for k, v in value.items() if not (isinstance(v, (dict, list)) and v)]
        width = max((len(k) for k in scalars), default=0) + 3
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_title(key)}:")
                lines.extend(nested_lines(item, indent + 2))
            else:
                text = "<none>" if item in ({}, []) else _scalar(item)
                lines.append(f"{pad}{(_title(key) + ':').ljust(width)}{text}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                inner = nested_lines(item, indent + 2) or [f"{pad}  <none>"]
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def field_lines(pairs: list[tuple[str, str]], indent: int = 0) -> list[str]:
    """`Label:  value` lines with the values aligned, as kubectl's tabwriter does."""
    width = max((len(k) for k, _ in pairs), default=0) + 2
    out = []
    for key, value in pairs:
        first, *rest = (value or "").split("\n")
        out.append(f"{' ' * indent}{(key + ':').ljust(width + 1)}{first}".rstrip())
        out.extend(f"{' ' * (indent + width + 1)}{line}" for line in rest)
    return out


def table_lines(headers: list[str], rows: list[list[str]], indent: int = 2) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    return [(" " * indent + "  ".join(str(v).ljust(w) for v, w in zip(line, widths))).rstrip()
            for line in [headers, ["-" * len(h) for h in headers], *rows]]


def key_values(mapping: dict | None) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted((mapping or {}).items())) or "<none>"


def _condition(obj: dict | None, type_: str) -> dict | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def _condition_text(c: dict | None) -> str:
    if c is None:
        return "<unknown>"
    detail = ", ".join(x for x in (c.get("reason"), c.get("message")) if x)
    return f"{c.get('status', 'Unknown')}{' (' + detail + ')' if detail else ''}"


def _age(t: datetime | str, now: datetime) -> str:
    from karmadactl.apis.meta import age

    return age(t if isinstance(t, str) else t.strftime("%Y-%m-%dT%H:%M:%SZ"), at=now)


def events_section(events: list[dict], now: datetime) -> list[str]:
    if not events:
        return ["Events:  <none>"]
    rows = [[e["type"], e["reason"], _age(e["time"], now), "karmadactl", e["message"]] for e in events]
    return ["Events:", *table_lines(["Type", "Reason", "Age", "From", "Message"], rows)]


def policy_of(binding: dict | None, template: dict) -> str:
    """The claiming policy, from the binding's claim annotations (else the template's)."""
    from karmadactl.controllers.detector import claimed_policy

    claim = (binding and claimed_policy(binding)) or claimed_policy(template)
    if claim is None:
        return "<none> (no policy claims this template)"
    kind, namespace, name = claim
    return f"{kind} {namespace + '/' if namespace else ''}{name}"


def _binding_ref(binding: dict | None) -> str:
    if binding is None:
        return "<none>"
    md = binding["metadata"]
    return f"{binding['kind']} {md.get('namespace') + '/' if md.get('namespace') else ''}{md['name']}"


def _binding_lines(binding: dict | None) -> list[str]:
    """The binding's schedule, indented under the Binding: line."""
    if binding is None:
        return []
    spec = binding.get("spec") or {}
    targets = spec.get("clusters") or []
    clusters = ", ".join(f"{t['name']}:{t['replicas']}" if t.get("replicas") is not None else t["name"]
                         for t in targets) or "<none>"
    scheduled = _condition_text(_condition(binding, "Scheduled"))
    from karmadactl.controllers.detector import left_to_scheduler_message, other_scheduler

    elsewhere = other_scheduler(spec.get("schedulerName"))
    if _condition(binding, "Scheduled") is None and elsewhere:
        scheduled = f"Pending ({left_to_scheduler_message(elsewhere)})"
    return field_lines([
        ("Scheduled", scheduled),
        ("Fully Applied", _condition_text(_condition(binding, "FullyApplied"))),
        ("Replicas", str(spec["replicas"]) if "replicas" in spec else "<none>"),
        ("Clusters", clusters)], indent=2)


def _work_lines(works: list[dict], binding: dict | None = None, unanswered: dict[str, str] | None = None
                ) -> list[str]:
    """One row per Work. A Work whose member did not answer now shows Applied and Health Unknown with
    what was last known; a Work not Applied is never Healthy (Karmada's aggregated status item says
    Unknown then, pkg/util/helper/workstatus.go); a Work on a cluster the binding left is named as
    left over (deleted once its member answers)."""
    from karmadactl.apis.karmada import load_binding, load_work
    from karmadactl.interpreter.status import existing_clusters

    if not works:
        return ["Works:  <none>"]
    existing = existing_clusters(load_binding(binding)) if binding is not None else None
    rows = []
    for typed, work in sorted(((load_work(w), w) for w in works), key=lambda pair: pair[0].cluster):
        cluster = typed.cluster
        condition = _condition(work, "Applied") or _condition(work, "Dispatching") or {}
        statuses = (work.get("status") or {}).get("manifestStatuses") or [{}]
        replicas = (typed.manifest.get("spec") or {}).get("replicas")
        suspended = condition.get("type") == "Dispatching"
        applied = "Suspended" if suspended else condition.get("status", "Unknown")
        health = (statuses[0].get("health") or "Unknown") if applied == "True" else "Unknown"
        notes = [condition.get("message", "")] if condition.get("message") else []
        if cluster in (unanswered or {}):
            notes = [f"stale: {cluster} does not answer (last known: Applied={applied}, {health})"]
            applied = health = "Unknown"
        if existing is not None and cluster not in existing:
            notes.insert(0, f"left over: {cluster} left the binding")
        rows.append([cluster, work["metadata"]["name"], "-" if replicas is None else str(replicas),
                     applied, health, "; ".join(notes)])
    return ["Works:", *table_lines(["Cluster", "Work", "Replicas", "Applied", "Health", "Message"], rows)]


def describe_text(obj: dict, *, binding: dict | None, works: list[dict], events: list[dict], template: bool,
                  now: datetime, unanswered: dict[str, str] | None = None, exported_from: list[str] | None = None,
                  endpoints: list | None = None) -> str:
    """kubectl-describe-like text: the object, then (for templates) policy, binding, Works, status, events."""
    md = obj["metadata"]
    created = md.get("creationTimestamp") or ""
    head = [("Name", md["name"])]
    if md.get("namespace"):
        head.append(("Namespace", md["namespace"]))
    head += [("Kind", obj.get("kind", "")), ("API Version", obj.get("apiVersion", "")),
             ("Labels", key_values(md.get("labels"))), ("Annotations", key_values(md.get("annotations"))),
             ("Created", f"{created} ({_age(created, now)} ago)" if created else "<unknown>")]
    if template:
        head.append(("Policy", policy_of(binding, obj)))
        head.append(("Binding", _binding_ref(binding)))
    lines = field_lines(head)
    if template:
        lines += _binding_lines(binding)
        lines += _work_lines(works, binding, unanswered)
    else:       # spec, or what a kind has instead (a webhook configuration's webhooks, say)
        for key, value in obj.items():
            if key not in ("apiVersion", "kind", "metadata", "status") and value not in (None, {}, []):
                lines += [f"{_title(key)}:", *nested_lines(value, 2)]
    if exported_from is not None or endpoints:
        lines += _endpoint_lines(exported_from, endpoints or [])
    status = obj.get("status")
    lines += ["Status:", *nested_lines(status, 2)] if status else ["Status:  <none>"]
    lines += events_section(events, now)
    return "\n".join(lines) + "\n"


def _endpoint_lines(exported_from: list[str] | None, endpoints: list) -> list[str]:
    """A service's exporting clusters and the EndpointSlices collected from them (controllers/mcs.py)."""
    lines = [] if exported_from is None else [f"Exported From:  {', '.join(exported_from) or '<none>'}"]
    if not endpoints:
        return lines + ["Endpoints:  <none>"]
    rows = [["CLUSTER", "ENDPOINTSLICE", "ADDRESSES", "PORTS"]] + [
        [e.cluster, e.name, ",".join(e.addresses) or "<none>", ",".join(e.ports) or "<none>"] for e in endpoints]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return lines + ["Endpoints:"] + ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[3]
                                     for r in rows]


def event_object(event: dict) -> dict:
    """A stored event as a core/v1 Event, for -o json|yaml."""
    micro = event["time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    seconds = event["time"].strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {"kind": event["kind"], "name": event["name"]}
    if event["namespace"]:
        involved["namespace"] = event["namespace"]
    metadata = {"name": f"{event['name']}.{int(event['time'].timestamp() * 1e6):x}"}
    if event["namespace"]:
        metadata["namespace"] = event["namespace"]
    return {"apiVersion": "v1", "kind": "Event", "metadata": metadata, "involvedObject": involved,
            "type": event["type"], "reason": event["reason"], "message": event["message"],
            "source": {"component": "karmadactl"}, "firstTimestamp": seconds, "lastTimestamp": seconds,
            "eventTime": micro, "count": 1, "reportingComponent": "karmadactl"}


def event_rows(events: list[dict], now: datetime, *, with_namespace: bool, wide: bool
               ) -> tuple[list[str], list[list[str]]]:
    """kubectl events' table: [NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE [TIME with wide]."""
    headers = (["NAMESPACE"] if with_namespace else []) + ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    if wide:
        headers.append("TIME")
    rows = []
    for e in events:
        row = ([e["namespace"]] if with_namespace else []) + [
            _age(e["time"], now), e["type"], e["reason"], f"{e['kind']}/{e['name']}", e["message"].strip()]
        if wide:
            row.append(e["time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        rows.append(row)
    return headers, rows


# -- commands ----------------------------------------------------------------------------------


def _describe_members(env: Env, kind: str, name: str, namespace: str, clusters: str | None) -> int:
    """describe -s members: one block per member that has the object, with that member's events."""
    from karmadactl.cli.get import failed_members
    from karmadactl.cli.members_view import describe_member_object
    from karmadactl.commands.inspect import describe_in_members
    from karmadactl.errors import ExitCode

    with env.store() as store:
        described = describe_in_members(store, kind, name, namespace, clusters)
    failed_members(env, described.failures)
    now = datetime.now(UTC)
    env.stdout.write("\n".join(describe_member_object(c, obj, events, now) for c, obj, events in described.found))
    if not described.failures:
        return ExitCode.OK
    return ExitCode.PARTIAL if described.found or described.absent else ExitCode.ERROR


DESCRIBE_HELP = ("Show a template with its policy, binding, Works (applied, health), aggregated "
                 "status and recent events; other kinds with their spec and status. "
                 "Status is refreshed from the members first.")
EVENTS_HELP = """List what karmadactl did and saw (pushes, failures, taints, ...), oldest first.

events [KIND/NAME | KIND] [-n NS] [--since 1h] [-o table|wide|json|yaml]. --since takes 30s, 10m, 1h, 2d
(or 1h30m). -o json|yaml prints a List of core/v1 Events."""


def describe(ctx: typer.Context,
             kind: str = typer.Argument(..., metavar="KIND", help="deploy, svc, cm, clusters, pp, rb, ..."),
             name: str = typer.Argument(..., metavar="NAME"),
             namespace: str = typer.Option("default", "-n", "--namespace"),
             scope: str = typer.Option("karmada", "-s", "--scope", "--operation-scope",
                                       help="karmada: the store's object; members: each member's live "
                                            "object with that member's events"),
             clusters: str | None = typer.Option(None, "-C", "--clusters",
                                                 help="Members to read with -s members, a,b "
                                                      "(default: all joined)")) -> int:
    from karmadactl.commands import inspect
    from karmadactl.errors import ExitCode, UsageError

    env: Env = ctx.obj
    if scope not in ("karmada", "members"):
        raise UsageError(f"--scope {scope!r}: karmada or members")
    if clusters and scope != "members":
        raise UsageError("--clusters needs --scope members")
    if scope == "members":
        return _describe_members(env, kind, name, namespace, clusters)
    with env.store() as store:
        found = inspect.describe(store, kind, name, namespace)
    for cluster in sorted(found.unanswered):
        env.err(f"warning: status from {cluster} not refreshed: {found.unanswered[cluster].splitlines()[0]}")
    if kinds.not_acted_on(found.info):
        env.err(f"warning: {kinds.not_acted_on(found.info)}")
    env.stdout.write(describe_text(found.obj, binding=found.binding, works=found.works, events=found.events,
                                   template=found.template, now=datetime.now(UTC), unanswered=found.unanswered,
                                   exported_from=found.exported_from, endpoints=found.endpoints))
    return ExitCode.OK


def events(ctx: typer.Context,
           target: str | None = typer.Argument(None, metavar="[KIND/NAME]",
                                               help="Only this object's (or kind's) events"),
           namespace: str | None = typer.Option(None, "-n", "--namespace",
                                                help="Only events of objects in this namespace"),
           since: str | None = typer.Option(None, "--since", help="Only newer events: 30s, 10m, 1h, 2d"),
           output: str = typer.Option("table", "-o", "--output", help="table|wide|json|yaml")) -> int:
    from karmadactl.cli.output import print_table, write_list
    from karmadactl.commands.inspect import recorded_events
    from karmadactl.errors import ExitCode, UsageError

    env: Env = ctx.obj
    if output not in ("table", "wide", "json", "yaml"):
        raise UsageError(f"--output {output!r}: events prints table, wide, json or yaml")
    now = datetime.now(UTC)
    after = now - parse_duration(since) if since else None
    kind_name, _, obj_name = (target or "").partition("/")
    if target is not None and (not kind_name or (_ and not obj_name)):
        raise UsageError(f"events {target!r}: expected KIND/NAME or KIND")
    with env.store() as store:
        found = recorded_events(store, kind_name or None, obj_name or None, namespace, after)
    if output in ("json", "yaml"):
        write_list(env.stdout, [event_object(e) for e in found], output)
        return ExitCode.OK
    if not found:
        env.err("No events found" + (f' in namespace "{namespace}"' if namespace is not None else ""))
        return ExitCode.OK
    with_namespace = namespace is None and any(e["namespace"] for e in found)
    headers, rows = event_rows(found, now, with_namespace=with_namespace, wide=output == "wide")
    print_table(env, headers, rows)
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("describe", help=DESCRIBE_HELP)(describe)
    app.command("events", help=EVENTS_HELP)(events)
