"""get: read clusters, templates, policies, bindings and Works from the store, or live objects
from the member clusters (--scope members|all), printed as kubectl prints them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from karmadactl.apis.meta import age, parse_time
from karmadactl.apis.wellknown import MANAGED_LABEL
from karmadactl.cli.env import Env
from karmadactl.cli.output import Columns, failure_line
from karmadactl.commands.get import ALL_KINDS, KARMADA_ROW, SCOPES, KindRows, Query, Row
from karmadactl.errors import ExitCode

if TYPE_CHECKING:
    from karmadactl.cli.printers import Section

CLUSTER_RESOURCE = "cluster.cluster.karmada.io"

# -- cells -----------------------------------------------------------------------------------


def _condition(obj: dict, type_: str) -> str:
    for c in obj.get("status", {}).get("conditions") or []:
        if c.get("type") == type_:
            return c.get("status", "Unknown")
    return "Unknown" if type_ == "Ready" else ""


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _status(obj: dict) -> dict:
    return obj.get("status") or {}


def _n(value) -> str:
    """An integer cell: kubectl prints 0 for a missing count."""
    return str(int(value or 0))


def _created(obj: dict) -> str:
    return age(obj["metadata"].get("creationTimestamp"))


def _desired(obj: dict) -> int:
    """spec.replicas as the API server defaults it (1 when unset)."""
    replicas = _spec(obj).get("replicas")
    return 1 if replicas is None else int(replicas)


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: k=v,k2=v2 sorted by key, or <none>."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def format_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: requirements sorted by key, or <none>."""
    from karmadactl.apis.labels import selector_string

    return selector_string(selector) or "<none>"


def _containers(pod_spec: dict) -> list[str]:
    containers = pod_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def _template_spec(obj: dict) -> dict:
    return ((_spec(obj).get("template") or {}).get("spec")) or {}


def human_duration(seconds: int) -> str:
    """apimachinery's duration.HumanDuration (the Job DURATION column): 45s, 5m30s, 3h10m, 2d4h."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


# -- rows per kind ---------------------------------------------------------------------------


def _name_age(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], _created(obj)]


def _cluster_row(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], obj.get("status", {}).get("kubernetesVersion", "") or "<unknown>",
            obj.get("spec", {}).get("syncMode", "Push"), _condition(obj, "Ready"), _created(obj)]


def _cluster_wide_row(obj: dict) -> list[str]:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    taints = [f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}"
              for t in spec.get("taints") or []]
    nodes = status.get("nodeSummary") or {}
    allocatable = (status.get("resourceSummary") or {}).get("allocatable") or {}
    return _cluster_row(obj) + [
        spec.get("region") or "<none>", ",".join(spec.get("zones") or []) or "<none>",
        spec.get("provider") or "<none>", spec.get("apiEndpoint", ""), ",".join(taints) or "<none>",
        f"{nodes.get('readyNum', 0)}/{nodes.get('totalNum', 0)}" if nodes else "<none>",
        allocatable.get("cpu", "<none>"), allocatable.get("memory", "<none>")]


def _clusters_of(obj: dict) -> str:
    targets = obj.get("spec", {}).get("clusters") or []
    return ",".join(f"{t['name']}:{t['replicas']}" if t.get("replicas") is not None else t["name"]
                    for t in targets) or "<none>"


def _deployment_row(obj: dict) -> list[str]:
    s = _status(obj)
    return [obj["metadata"]["name"], f"{int(s.get('readyReplicas') or 0)}/{_desired(obj)}",
            _n(s.get("updatedReplicas")), _n(s.get("availableReplicas")), _created(obj)]


def _statefulset_row(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], f"{int(_status(obj).get('readyReplicas') or 0)}/{_desired(obj)}",
            _created(obj)]


def _daemonset_row(obj: dict) -> list[str]:
    s = _status(obj)
    return [obj["metadata"]["name"], _n(s.get("desiredNumberScheduled")), _n(s.get("currentNumberScheduled")),
            _n(s.get("numberReady")), _n(s.get("updatedNumberScheduled")), _n(s.get("numberAvailable")),
            format_labels(_template_spec(obj).get("nodeSelector")), _created(obj)]


def _replicaset_row(obj: dict) -> list[str]:
    s = _status(obj)
    return [obj["metadata"]["name"], str(_desired(obj)), _n(s.get("replicas")), _n(s.get("readyReplicas")),
            _created(obj)]


def _job_status(obj: dict) -> str:
    types = {c.get("type") for c in _status(obj).get("conditions") or [] if c.get("status") == "True"}
    if "Complete" in types:
        return "Complete"
    if "Failed" in types:
        return "Failed"
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for reason in ("Suspended", "FailureTarget"):
        if reason in types:
            return reason
    return "Running"


def _job_completions(obj: dict) -> str:
    spec, succeeded = _spec(obj), int(_status(obj).get("succeeded") or 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = int(spec.get("parallelism") or 0)
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(obj: dict, now: datetime | None = None) -> str:
    s = _status(obj)
    if not s.get("startTime"):
        return ""
    start = parse_time(s["startTime"])
    end = parse_time(s["completionTime"]) if s.get("completionTime") else (now or datetime.now(UTC))
    return human_duration(int((end - start).total_seconds()))


def _job_row(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], _job_status(obj), _job_completions(obj), _job_duration(obj), _created(obj)]


def _service_external_ip(obj: dict) -> str:
    spec = _spec(obj)
    kind = spec.get("type") or "ClusterIP"
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        ingress = ((_status(obj).get("loadBalancer") or {}).get("ingress")) or []
        lb = sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")})
        return ",".join([*lb, *external]) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def _service_ports(obj: dict) -> str:
    pieces = []
    for p in _spec(obj).get("ports") or []:
        protocol = p.get("protocol") or "TCP"
        node_port = f":{p['nodePort']}" if p.get("nodePort") else ""
        pieces.append(f"{p.get('port')}{node_port}/{protocol}")
    return ",".join(pieces) or "<none>"


def _service_row(obj: dict) -> list[str]:
    spec = _spec(obj)
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [obj["metadata"]["name"], spec.get("type") or "ClusterIP", ips[0] if ips else "<none>",
            _service_external_ip(obj), _service_ports(obj), _created(obj)]


def _configmap_row(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], str(len(obj.get("data") or {}) + len(obj.get("binaryData") or {})),
            _created(obj)]


def _secret_row(obj: dict) -> list[str]:
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return [obj["metadata"]["name"], obj.get("type") or "Opaque", str(len(keys)), _created(obj)]


def _namespace_row(obj: dict) -> list[str]:
    phase = _status(obj).get("phase") or ("Terminating" if obj["metadata"].get("deletionTimestamp") else "Active")
    return [obj["metadata"]["name"], phase, _created(obj)]


def _pod_status(obj: dict) -> str:
    s = _status(obj)
    reason = s.get("reason") or s.get("phase") or "Pending"
    for c in s.get("containerStatuses") or []:
        state = c.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            t = state["terminated"] or {}
            reason = t.get("reason") or (f"Signal:{t['signal']}" if t.get("signal")
                                          else f"ExitCode:{t.get('exitCode', 0)}")
    if obj["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod_row(obj: dict) -> list[str]:
    s = _status(obj)
    statuses = s.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    total = len(_spec(obj).get("containers") or [])
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    return [obj["metadata"]["name"], f"{ready}/{total}", _pod_status(obj), str(restarts), _created(obj)]


def _work_row(obj: dict) -> list[str]:
    manifests = (_spec(obj).get("workload") or {}).get("manifests") or []
    return [obj["metadata"]["name"], ",".join(m.get("kind", "") for m in manifests) or "<none>",
            _condition(obj, "Applied"), _created(obj)]


_JSON_PATH_STEP = re.compile(r"""\.([^.\[]+)|\[(\d+)\]|\[\*\]|\[\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)\]""")


def _json_path(obj: dict, path: str):
    """The first value a printer column's JSONPath finds, or None. The forms CRDs use are understood:
    `.spec.scaleTargetRef.kind`, `.spec.ports[0].port`, `.status.conditions[?(@.type=="Ready")].status`,
    `.items[*].name`; anything else finds nothing."""
    path = path.strip().removeprefix("{").removesuffix("}")
    steps, at = [], 0
    while at < len(path):
        match = _JSON_PATH_STEP.match(path, at)
        if match is None:
            return None
        steps.append(match)
        at = match.end()
    values = [obj]
    for step in steps:
        key, index, field, wanted = step.groups()
        found = []
        for value in values:
            if key is not None and isinstance(value, dict) and key in value:
                found.append(value[key])
            elif index is not None and isinstance(value, list) and int(index) < len(value):
                found.append(value[int(index)])
            elif key is None and index is None and isinstance(value, list):
                found.extend(item for item in value if field is None or (
                    isinstance(item, dict) and str(_json_path(item, "." + field)) == wanted))
        values = found
    return values[0] if values else None


def _printer_cell(value, type_: str) -> str:
    """One additionalPrinterColumns cell as the API server renders it: a missing value is <none>,
    a map or list compact JSON, a date an age."""
    import json

    if value is None or value in ({}, []):
        return "<none>"
    if type_ == "date":
        return age(value)
    if type_ == "integer":
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else "<none>"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def printer_columns(*columns: tuple[str, str, str]) -> Columns:
    """NAME, then a CRD's printer columns: (HEADER, JSONPath, type)."""
    return Columns(("NAME",) + tuple(h for h, _, _ in columns), lambda o: [o["metadata"]["name"]] + [
        _printer_cell(_json_path(o, path), type_) for _, path, type_ in columns])


def _wide(base: Columns, extra: tuple[str, ...], cells) -> Columns:
    return Columns(base.headers + extra, lambda o: base.row(o) + cells(o))


CLUSTER_COLUMNS = Columns(("NAME", "VERSION", "MODE", "READY", "AGE"), _cluster_row)
CLUSTER_WIDE = Columns(CLUSTER_COLUMNS.headers + ("REGION", "ZONES", "PROVIDER", "API-ENDPOINT", "TAINTS",
                                                  "NODES", "CPU", "MEMORY"), _cluster_wide_row)
POLICY_COLUMNS = Columns(("NAME", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"), lambda o: [
    o["metadata"]["name"], o.get("spec", {}).get("conflictResolution", "Abort"),
    str(o.get("spec", {}).get("priority", 0)), _created(o)])
def _scheduled_cell(binding: dict) -> str:
    """The Scheduled condition's status; a binding left to another scheduler says whose it is."""
    from karmadactl.controllers.detector import other_scheduler

    status = _condition(binding, "Scheduled")
    elsewhere = other_scheduler((binding.get("spec") or {}).get("schedulerName"))
    return f"Pending({elsewhere})" if not status and elsewhere else status


BINDING_COLUMNS = Columns(("NAME", "SCHEDULED", "FULLYAPPLIED", "AGE"), lambda o: [
    o["metadata"]["name"], _scheduled_cell(o), _condition(o, "FullyApplied"), _created(o)])
BINDING_WIDE = _wide(BINDING_COLUMNS, ("REPLICAS", "CLUSTERS"),
                     lambda o: [str(o.get("spec", {}).get("replicas", "-")), _clusters_of(o)])
GENERIC_COLUMNS = Columns(("NAME", "AGE"), _name_age)

DEPLOYMENT = Columns(("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"), _deployment_row)
STATEFULSET = Columns(("NAME", "READY", "AGE"), _statefulset_row)
DAEMONSET = Columns(("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"),
                    _daemonset_row)
REPLICASET = Columns(("NAME", "DESIRED", "CURRENT", "READY", "AGE"), _replicaset_row)
JOB = Columns(("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"), _job_row)
SERVICE = Columns(("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"), _service_row)
WORKLOAD_WIDE = ("CONTAINERS", "IMAGES", "SELECTOR")


def _workload_wide(o: dict) -> list[str]:
    return _containers(_template_spec(o)) + [format_selector(_spec(o).get("selector"))]


COLUMNS: dict[str, tuple[Columns, Columns | None]] = {
    "Cluster": (CLUSTER_COLUMNS, CLUSTER_WIDE),
    "PropagationPolicy": (POLICY_COLUMNS, None), "ClusterPropagationPolicy": (POLICY_COLUMNS, None),
    "ResourceBinding": (BINDING_COLUMNS, BINDING_WIDE), "ClusterResourceBinding": (BINDING_COLUMNS, BINDING_WIDE),
    "Work": (Columns(("NAME", "WORKLOAD-KIND", "APPLIED", "AGE"), _work_row), None),
    "Deployment": (DEPLOYMENT, _wide(DEPLOYMENT, WORKLOAD_WIDE, _workload_wide)),
    "StatefulSet": (STATEFULSET, _wide(STATEFULSET, ("CONTAINERS", "IMAGES"),
                                       lambda o: _containers(_template_spec(o)))),
    "DaemonSet": (DAEMONSET, _wide(DAEMONSET, WORKLOAD_WIDE, _workload_wide)),
    "ReplicaSet": (REPLICASET, _wide(REPLICASET, WORKLOAD_WIDE, _workload_wide)),
    "Job": (JOB, _wide(JOB, WORKLOAD_WIDE, _workload_wide)),
    "Service": (SERVICE, _wide(SERVICE, ("SELECTOR",), lambda o: [format_labels(_spec(o).get("selector"))])),
    "ConfigMap": (Columns(("NAME", "DATA", "AGE"), _configmap_row), None),
    "Secret": (Columns(("NAME", "TYPE", "DATA", "AGE"), _secret_row), None),
    "Namespace": (Columns(("NAME", "STATUS", "AGE"), _namespace_row), None),
    "Pod": (Columns(("NAME", "READY", "STATUS", "RESTARTS", "AGE"), _pod_row), None),
    # the +kubebuilder:printcolumn markers of Karmada's pkg/apis/*/v1alpha1/*_types.go and the mcs-api
    # CRDs it ships; the kinds without any print NAME and AGE
    "FederatedHPA": (printer_columns(
        ("REFERENCE-KIND", ".spec.scaleTargetRef.kind", "string"),
        ("REFERENCE-NAME", ".spec.scaleTargetRef.name", "string"),
        ("MINPODS", ".spec.minReplicas", "integer"), ("MAXPODS", ".spec.maxReplicas", "integer"),
        ("REPLICAS", ".status.currentReplicas", "integer"), ("AGE", ".metadata.creationTimestamp", "date")), None),
    "CronFederatedHPA": (printer_columns(
        ("REFERENCE-KIND", ".spec.scaleTargetRef.kind", "string"),
        ("REFERENCE-NAME", ".spec.scaleTargetRef.name", "string"),
        ("AGE", ".metadata.creationTimestamp", "date")), None),
    "FederatedResourceQuota": (printer_columns(
        ("OVERALL", ".status.overall", "string"), ("OVERALL_USED", ".status.overallUsed", "string")), None),
    "ServiceImport": (printer_columns(
        ("TYPE", ".spec.type", "string"), ("IP", ".spec.ips", "string"),
        ("AGE", ".metadata.creationTimestamp", "date")), None),
}


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def crd_columns(crds: list[dict], group: str, kind: str, version: str) -> tuple[Columns, Columns | None] | None:
    """What kubectl prints for a CRD's kind: NAME and the additionalPrinterColumns of that version (headers
    upper-cased; priority above 0 only with -o wide), or NAME and AGE when it declares none. None when no
    CRD defines the kind."""
    for crd in crds:
        spec = _mapping(crd.get("spec"))
        names = _mapping(spec.get("names"))
        if spec.get("group") != group or names.get("kind") != kind:
            continue
        versions = [v for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("name") == version]
        declared = [(str(c["name"]).upper(), str(c["jsonPath"]), str(c.get("type") or "string"),
                     c.get("priority") or 0)
                    for c in (versions[0].get("additionalPrinterColumns") or [] if versions else [])
                    if isinstance(c, dict) and c.get("name") and c.get("jsonPath")]
        if not declared:
            return GENERIC_COLUMNS, None
        table = printer_columns(*[(h, p, t) for h, p, t, priority in declared if not priority])
        wide = printer_columns(*[(h, p, t) for h, p, t, _ in declared])
        return table, wide if len(wide.headers) > len(table.headers) else None
    return None


def columns_for(kind: str, *, namespaced_rows: bool, crd: tuple[Columns, Columns | None] | None = None
                ) -> tuple[Columns, Columns | None]:
    """The table and wide columns kubectl prints for a kind (a CRD's own when given); NAMESPACE first with -A."""
    if crd is None and kind in ("Node", "Event"):      # kubectl's columns for members' kinds, read lazily
        from karmadactl.cli import members_view

        crd = (members_view.NODE, members_view.NODE_WIDE) if kind == "Node" else (members_view.EVENT, None)
    table, wide = crd or COLUMNS.get(kind, (GENERIC_COLUMNS, None))
    if namespaced_rows:
        table, wide = _with_namespace(table), _with_namespace(wide) if wide else None
    return table, wide


def _with_namespace(columns: Columns) -> Columns:
    return Columns(("NAMESPACE",) + columns.headers,
                   lambda o: [o["metadata"].get("namespace", "")] + columns.row(o))


# -- rows from members -----------------------------------------------------------------------


def adoption(obj: dict) -> str:
    """Karmada's ADOPTION column: Y when the member object is managed (karmada.io/managed=true)."""
    return "Y" if ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_LABEL) == "true" else "N"


def scoped_table(columns: Columns, rows: list[Row], *, with_adoption: bool
                 ) -> tuple[tuple[str, ...], list[list[str]]]:
    """Headers and cells with CLUSTER right after NAME and ADOPTION last, as Karmada's karmadactl prints."""
    at = columns.headers.index("NAME") + 1 if "NAME" in columns.headers else 0   # events have no NAME
    headers = columns.headers[:at] + ("CLUSTER",) + columns.headers[at:] + (("ADOPTION",) if with_adoption else ())
    cells = []
    for cluster, obj in rows:
        row = columns.row(obj)
        row = row[:at] + [str(cluster)] + row[at:]
        if with_adoption:
            row.append("-" if cluster == KARMADA_ROW else adoption(obj))
        cells.append(row)
    return headers, cells


def failed_members(env: Env, failures: dict[str, str]) -> None:
    for cluster in sorted(failures):
        env.err(f"error: {failure_line(failures[cluster], cluster)}")


# -- the command -----------------------------------------------------------------------------

SCOPE_HELP = ("karmada: the store (templates, policies, bindings, Works); members: the live objects in "
              "the member clusters; all: both, the store's rows first")
HELP = """Show objects: get KIND [NAME...] [-n NS | -A] [-l SELECTOR] [-o FORMAT] [-s SCOPE] [-C a,b]

With --scope members|all the table gets a CLUSTER column after NAME ("Karmada" for the store's rows)
and an ADOPTION column at the end (Y when karmadactl manages the member object, N when it does
not, - for the store's rows; for pods only with -o wide). With -o json|yaml those scopes print a
List whose items are {cluster: NAME, object: OBJECT}, the object exactly as the member returned
it, sorted by cluster; -o name prints CLUSTER/RESOURCE/NAME. A member that cannot be read is named
on stderr and its rows are missing: exit 3 when others answered (or, with --scope all, the store did), 1
when none did.

kubectl's options: several kinds (svc,cm), TYPE/NAME arguments, `all`; -o jsonpath=TEMPLATE,
jsonpath-file=FILE, custom-columns=HEADER:PATH,..., custom-columns-file=FILE (the template sees the
objects themselves, also with --scope members); -L KEY, --show-labels, --sort-by PATH, --no-headers,
--ignore-not-found; -w/--watch and --watch-only print each change until Ctrl-C."""


def kind_requests(kind: str, names: list[str]) -> list[tuple[str, list[str]]]:
    """The kinds and names a command line asks for, in its order: `svc,cm [NAME...]` (the names in
    each kind), `deploy/nginx svc/web` (TYPE/NAME pairs), `all` (kubectl's "all" category)."""
    from karmadactl.errors import UsageError

    if "/" in kind:
        asked: dict[str, list[str]] = {}
        for arg in [kind, *names]:
            type_, sep, name = arg.partition("/")
            if not sep or not type_ or not name:
                raise UsageError(f"there is no need to specify a resource type as a separate argument when "
                                 f"passing arguments in resource/name form (e.g. 'karmadactl get "
                                 f"resource/<resource_name>' instead of 'karmadactl get resource "
                                 f"resource/<resource_name>'): {arg!r}")
            asked.setdefault(type_, []).append(name)
        return list(asked.items())
    if any("/" in n for n in names):
        raise UsageError("there is no need to specify a resource type as a separate argument when passing "
                         "arguments in resource/name form")
    kinds = [k for k in kind.split(",") if k]
    if not kinds:
        raise UsageError(f"get: no kind in {kind!r}")
    expanded: list[str] = []
    for k in kinds:
        expanded.extend(ALL_KINDS if k == "all" else (k,))
    return [(k, list(names)) for k in expanded]


def get(ctx: typer.Context,
        kind: str = typer.Argument(..., metavar="KIND",
                                   help="clusters, pp, cpp, rb, crb, works, deploy, cm, fhpa, mcs, all; "
                                        "several: svc,cm; or TYPE/NAME ..."),
        names: list[str] = typer.Argument(None, metavar="NAME...", help="Names (all when omitted)"),
        namespace: str = typer.Option("default", "-n", "--namespace"),
        all_namespaces: bool = typer.Option(False, "-A", "--all-namespaces"),
        selector: str | None = typer.Option(None, "-l", "--selector", help="Label selector"),
        output: str = typer.Option("table", "-o", "--output",
                                   help="table|wide|json|yaml|name|jsonpath=TEMPLATE|jsonpath-file=FILE|"
                                        "custom-columns=SPEC|custom-columns-file=FILE"),
        scope: str = typer.Option("karmada", "-s", "--scope", "--operation-scope", help=SCOPE_HELP),
        clusters: str | None = typer.Option(None, "-C", "--clusters",
                                            help="Members to read, a,b (default: all joined)"),
        watch: bool = typer.Option(False, "-w", "--watch", help="After listing, print each change"),
        watch_only: bool = typer.Option(False, "--watch-only", help="Print only the changes"),
        show_labels: bool = typer.Option(False, "--show-labels", help="A LABELS column"),
        label_columns: list[str] = typer.Option(None, "-L", "--label-columns",
                                                help="A column per label key (KEY[,KEY])"),
        sort_by: str | None = typer.Option(None, "--sort-by", help="Order by a JSONPath (.metadata.name)"),
        no_headers: bool = typer.Option(False, "--no-headers", help="Tables without their header line"),
        ignore_not_found: bool = typer.Option(False, "--ignore-not-found",
                                              help="A named object that does not exist is no error")) -> int:
    from karmadactl.cli.printers import Printing, parse_output, print_sections, sort_key_path, split_label_columns
    from karmadactl.errors import UsageError

    env: Env = ctx.obj
    out = parse_output(output)
    if sort_by:
        sort_key_path(sort_by)
    if scope not in SCOPES:
        raise UsageError(f"--scope {scope!r}: one of {', '.join(SCOPES)}")
    if scope == "karmada" and clusters:
        raise UsageError("--clusters needs --scope members or all")
    requests = kind_requests(kind, list(names or []))
    query = Query(scope=scope, namespace=namespace, all_namespaces=all_namespaces, selector=selector,
                  match=_matcher(selector), clusters=clusters, ignore_not_found=ignore_not_found, sort_by=sort_by,
                  output=out.format, every_kind=kind.split(",").count("all") > 0)
    printing = Printing(scoped=scope != "karmada", no_headers=no_headers, show_labels=show_labels,
                        label_columns=split_label_columns(label_columns),
                        prefix_names=len(requests) > 1 or "/" in kind)
    with env.store() as store:
        sections, failures, answered, single = read_sections(store, requests, query)
    failed_members(env, failures)
    if not watch_only:
        print_sections(env, sections, out, printing, single=single and not (watch or watch_only),
                       quiet=ignore_not_found and bool(names))
    if watch or watch_only:
        from karmadactl.cli.get_watch import follow

        return follow(env, requests, query, sections, out, printing, listed=not watch_only)
    if not failures:
        return ExitCode.OK
    return ExitCode.PARTIAL if answered or scope == "all" else ExitCode.ERROR


def register(app: typer.Typer) -> None:
    app.command("get", help=HELP)(get)


def _matcher(selector: str | None) -> Callable[[dict], bool] | None:
    if selector is None:
        return None
    from karmadactl.apis.labels import parse_selector

    matches = parse_selector(selector)
    return lambda obj: matches(obj.get("metadata", {}).get("labels") or {})


def read_sections(store, requests: list[tuple[str, list[str]]], query: Query
                  ) -> tuple[list[Section], dict[str, str], set[str], bool]:
    """Each requested kind's rows (commands.get) with the columns that print them, sorted as asked.

    Returns (sections, cluster -> why it could not be read, clusters that answered, whether one
    object was asked for by name)."""
    from karmadactl.cli.printers import Section, sort_by
    from karmadactl.commands.get import get_objects

    order = None
    if query.sort_by:
        expression = query.sort_by
        order = lambda rows: sort_by(rows, expression, obj=lambda row: row[1])  # noqa: E731
    result = get_objects(store, requests, query, order)
    sections = [Section(found.info.resource, found.rows, _shape(found, query, _exporting(store, found, query)),
                        found.info, found.namespace, found.names) for found in result.kinds]
    return sections, result.failures, result.answered, result.single


def _exporting(store, found: KindRows, query: Query) -> dict[tuple[str, str], list[str]] | None:
    """For the store's ServiceExports: the clusters each is exported from (karmadactl's CLUSTERS column)."""
    from karmadactl.commands.services import SERVICE_EXPORT_GK, exporting_clusters

    if found.info.group_kind != SERVICE_EXPORT_GK or query.scope != "karmada":
        return None
    return exporting_clusters(store)


def _with_clusters(columns: Columns, clusters: dict[tuple[str, str], list[str]]) -> Columns:
    """CLUSTERS before AGE: where each ServiceExport's service is exported from."""
    at = len(columns.headers) - 1 if columns.headers[-1:] == ("AGE",) else len(columns.headers)

    def row(obj: dict) -> list[str]:
        cells = columns.row(obj)
        key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        return cells[:at] + [",".join(clusters.get(key, [])) or "<none>"] + cells[at:]

    return Columns(columns.headers[:at] + ("CLUSTERS",) + columns.headers[at:], row)


def _shape(found: KindRows, query: Query, exporting: dict[tuple[str, str], list[str]] | None = None
           ) -> Callable[[list[Row]], tuple[tuple[str, ...], list[list[str]]]]:
    """How one kind's rows become headers and cells: its columns (a CRD's own when it declares them),
    with CLUSTER and ADOPTION for --scope members|all."""
    info = found.info
    crd = crd_columns([found.crd] if found.crd else [], info.group, info.kind, info.api_version.rpartition("/")[2])
    table, wide = columns_for(info.kind, namespaced_rows=query.all_namespaces and info.namespaced, crd=crd)
    columns = wide if query.output == "wide" and wide else table
    if exporting is not None:
        columns = _with_clusters(columns, exporting)
    if query.scope == "karmada":
        return lambda rows: (columns.headers, [columns.row(o) for _, o in rows])
    # Karmada's karmadactl shows ADOPTION for pods only in the wide view
    with_adoption = info.kind != "Pod" or query.output == "wide"
    return lambda rows: scoped_table(columns, rows, with_adoption=with_adoption)
