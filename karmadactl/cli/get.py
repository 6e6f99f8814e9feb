"""get: read objects from the store."""

from __future__ import annotations

from typing import List, Optional

import typer

from karmadactl.apis.meta import age
from karmadactl.cli.env import Env
from karmadactl.cli.output import Columns

CLUSTER_RESOURCE = "cluster.cluster.karmada.io"
CLUSTER_ALIASES = {"cluster", "clusters", "cluster.cluster.karmada.io", "clusters.cluster.karmada.io"}


def _ready(obj: dict) -> str:
    for c in obj.get("status", {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status", "Unknown")
    return "Unknown"


def _cluster_row(obj: dict) -> list[str]:
    return [obj["metadata"]["name"], obj.get("status", {}).get("kubernetesVersion", "") or "<unknown>",
            obj.get("spec", {}).get("syncMode", "Push"), _ready(obj),
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


CLUSTER_COLUMNS = Columns(("NAME", "VERSION", "MODE", "READY", "AGE"), _cluster_row)
CLUSTER_WIDE = Columns(CLUSTER_COLUMNS.headers + ("REGION", "ZONES", "PROVIDER", "API-ENDPOINT", "TAINTS",
                                                  "NODES", "CPU", "MEMORY"), _cluster_wide_row)


def register(app: typer.Typer) -> None:
    @app.command(help="Show objects from the store: get clusters [NAME...] [-l SELECTOR] [-o FORMAT]")
    def get(ctx: typer.Context,
            kind: str = typer.Argument(..., help="clusters", metavar="KIND"),
            names: List[str] = typer.Argument(None, help="Names (all when omitted)", metavar="NAME..."),
            selector: Optional[str] = typer.Option(None, "-l", "--selector", help="Label selector"),
            output: str = typer.Option("table", "-o", "--output", help="table|wide|json|yaml|name")) -> None:
        from karmadactl.cli.output import check_format, print_objects
        from karmadactl.errors import UsageError

        env: Env = ctx.obj
        check_format(output)
        if kind.lower() not in CLUSTER_ALIASES:
            raise UsageError(f'get: the server doesn\'t have a resource type "{kind}"')
        match = None
        if selector is not None:
            from karmadactl.apis.labels import parse_selector

            matches = parse_selector(selector)
            match = lambda obj: matches(obj.get("metadata", {}).get("labels") or {})  # noqa: E731
        from karmadactl.controllers import clusters

        store = env.store()
        try:
            found = clusters.list_clusters(store, names or None, match)
        finally:
            store.close()
        print_objects(env, [c.to_dict() for c in found], output, table=CLUSTER_COLUMNS,
                      wide=CLUSTER_WIDE, resource=CLUSTER_RESOURCE, single=bool(names) and len(names) == 1)
