"""get: read clusters, templates, policies and bindings from the store."""

from __future__ import annotations

from typing import List, Optional

import typer

from karmadactl.apis.meta import age
from karmadactl.cli.env import Env
from karmadactl.cli.output import Columns

CLUSTER_RESOURCE = "cluster.cluster.karmada.io"


def _condition(obj: dict, type_: str) -> str:
    for c in obj.get("status", {}).get("conditions") or []:
        if c.get("type") == type_:
            return c.get("status", "Unknown")
    return "Unknown" if type_ == "Ready" else ""


def _name_age(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], age(obj["metadata"].get("creationTimestamp"))]


def _cluster_row(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], obj.get("status", {}).get("kubernetesVersion", "") or "<unknown>",
            obj.get("spec", {}).get("syncMode", "Push"), _condition(obj, "Ready"),
            age(obj["metadata"].get("creationTimestamp"))]


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


CLUSTER_COLUMNS = Columns(("NAME", "VERSION", "MODE", "READY", "AGE"), _cluster_row)
CLUSTER_WIDE = Columns(CLUSTER_COLUMNS.headers + ("REGION", "ZONES", "PROVIDER", "API-ENDPOINT", "TAINTS",
                                                  "NODES", "CPU", "MEMORY"), _cluster_wide_row)
POLICY_COLUMNS = Columns(("NAME", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"), lambda o: [
    o["metadata"]["name"], o.get("spec", {}).get("conflictResolution", "Abort"),
    str(o.get("spec", {}).get("priority", 0)), age(o["metadata"].get("creationTimestamp"))])
BINDING_COLUMNS = Columns(("NAME", "SCHEDULED", "FULLYAPPLIED", "AGE"), lambda o: [
    o["metadata"]["name"], _condition(o, "Scheduled"), _condition(o, "FullyApplied"),
    age(o["metadata"].get("creationTimestamp"))])
BINDING_WIDE = Columns(BINDING_COLUMNS.headers + ("REPLICAS", "CLUSTERS"), lambda o: BINDING_COLUMNS.row(o) + [
    str(o.get("spec", {}).get("replicas", "-")), _clusters_of(o)])
GENERIC_COLUMNS = Columns(("NAME", "AGE"), _name_age)
COLUMNS = {"Cluster": (CLUSTER_COLUMNS, CLUSTER_WIDE),
           "PropagationPolicy": (POLICY_COLUMNS, None), "ClusterPropagationPolicy": (POLICY_COLUMNS, None),
           "ResourceBinding": (BINDING_COLUMNS, BINDING_WIDE),
           "ClusterResourceBinding": (BINDING_COLUMNS, BINDING_WIDE)}


def _with_namespace(columns: Columns) -> Columns:
    return Columns(("NAMESPACE",) + columns.headers,
                   lambda o: [o["metadata"].get("namespace", "")] + columns.row(o))


def register(app: typer.Typer) -> None:
    @app.command(help="Show objects from the store: get KIND [NAME...] [-n NS | -A] [-l SELECTOR] [-o FORMAT]")
    def get(ctx: typer.Context,
            kind: str = typer.Argument(..., metavar="KIND", help="clusters, pp, cpp, rb, crb, deploy, cm, ..."),
            names: List[str] = typer.Argument(None, metavar="NAME...", help="Names (all when omitted)"),
            namespace: str = typer.Option("default", "-n", "--namespace"),
            all_namespaces: bool = typer.Option(False, "-A", "--all-namespaces"),
            selector: Optional[str] = typer.Option(None, "-l", "--selector", help="Label selector"),
            output: str = typer.Option("table", "-o", "--output", help="table|wide|json|yaml|name")) -> None:
        from karmadactl.apis import kinds
        from karmadactl.cli.output import check_format, print_objects
        from karmadactl.controllers.templates import crds
        from karmadactl.errors import NotFound, UsageError

        env: Env = ctx.obj
        check_format(output)
        match = None
        if selector is not None:
            from karmadactl.apis.labels import parse_selector

            matches = parse_selector(selector)
            match = lambda obj: matches(obj.get("metadata", {}).get("labels") or {})  # noqa: E731
        with env.store() as store:
            with store.read() as tx:
                info = kinds.lookup(kind, kinds.crd_kinds(crds(tx)))
                if info is None:
                    raise UsageError(f'get: the server doesn\'t have a resource type "{kind}"')
                ns = None if (all_namespaces or not info.namespaced) else namespace
                found = tx.list(info.group_kind, namespace=ns, selector=match)
        if names:
            by_name = {o["metadata"]["name"]: o for o in found}
            missing = [n for n in names if n not in by_name]
            if missing:
                where = f' in namespace "{ns}"' if ns else ""
                plural = f"{info.plural}.{info.group}" if info.group else info.plural
                raise NotFound(f'{plural} "{missing[0]}" not found{where}')
            found = [by_name[n] for n in names]
        table, wide = COLUMNS.get(info.kind, (GENERIC_COLUMNS, None))
        if all_namespaces and info.namespaced:
            table, wide = _with_namespace(table), _with_namespace(wide) if wide else None
        print_objects(env, found, output, table=table, wide=wide, resource=info.resource,
                      single=bool(names) and len(names) == 1)
