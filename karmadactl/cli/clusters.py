"""join, unjoin, cordon, uncordon, taint (label and annotate of clusters: cli/edit.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from karmadactl.cli.env import Env

if TYPE_CHECKING:
    from karmadactl.apis.cluster import Cluster
    from karmadactl.commands.clusters import Unjoined
    from karmadactl.controllers.clusters import Properties


def join(ctx: typer.Context,
         name: str = typer.Argument(..., help="Cluster name in karmadactl", metavar="NAME"),
         kubeconfig: str | None = typer.Option(
             None, "--kubeconfig", "--cluster-kubeconfig",
             help="Member kubeconfig [default: the one it was joined with; for a new cluster "
                  "$KUBECONFIG, then ~/.kube/config]"),
         context: str | None = typer.Option(None, "--context", "--cluster-context",
                                            help="Context in the kubeconfig "
                                                 "[default: the one it was joined with, else the current one]"),
         provider: str | None = typer.Option(None, "--provider", help="Cloud provider ('' clears it) [default: kept]"),
         region: str | None = typer.Option(None, "--region", help="Region ('' clears it) [default: kept]"),
         zone: list[str] = typer.Option([], "--zone", "--zones",
                                        help="Zone (repeatable, a,b too); given, it replaces the zones "
                                             "('' clears them) [default: kept]"),
         label: list[str] = typer.Option([], "-l", "--label",
                                         help="key=value to set, key- to remove (repeatable); other "
                                              "labels are kept"),
         embed_credentials: bool | None = typer.Option(
             None, "--embed-credentials/--no-embed-credentials",
             help="Copy the credentials into the store, or keep only the kubeconfig path [default: kept; "
                  "a new cluster: path only]"),
         dry_run: bool = typer.Option(False, "--dry-run", help="Check and show, store nothing"),
         output: str = typer.Option("", "-o", "--output", help="Print the Cluster: yaml|json|name")) -> None:
    from karmadactl.cli.output import check_output
    from karmadactl.controllers import clusters

    env: Env = ctx.obj
    if output:
        check_output(output, ("yaml", "json", "name"), "join")
    properties = cluster_properties(provider, region, zone, label, embed=embed_credentials)
    with env.store() as store:
        result = clusters.join(store, name, kubeconfig=kubeconfig, context=context,
                               properties=properties, dry_run=dry_run)
    if output:
        _print_one(env, result.cluster, output)
    else:
        suffix = " (dry run)" if dry_run else ""
        env.out(f"cluster/{name} {result.action}{suffix}")


def cluster_properties(provider: str | None, region: str | None, zone: list[str], label: list[str],
                       embed: bool | None = None) -> Properties:
    """The --provider, --region, --zone and --label flags of join and register, as cluster Properties."""
    from karmadactl.controllers import clusters

    labels, remove = clusters.parse_label_changes(label, "--label")
    zones = None if not zone else [z for value in zone for z in value.split(",") if z]
    return clusters.Properties(provider=provider, region=region, zones=zones, labels=labels,
                               remove_labels=remove, embed=embed)


def unjoin(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME"),
           keep_resources: bool = typer.Option(False, "--keep-resources",
                                               help="Leave the member's objects in place"),
           force: bool = typer.Option(False, "--force", help="Forget an unreachable cluster anyway")) -> int:
    from karmadactl.cli.resources import pushing, report_pass
    from karmadactl.commands import clusters

    env: Env = ctx.obj
    with env.store() as store:    # its workloads are scheduled elsewhere by the pass that follows
        result = clusters.unjoin(store, name, keep_resources=keep_resources, force=force, pushing=pushing(env),
                                 before_pass=lambda unjoined: _say_unjoined(env, unjoined))
    return report_pass(env, result.plans, result.report)


def _say_unjoined(env: Env, result: Unjoined) -> None:
    for obj in result.deleted:
        env.out(f"{obj} deleted")
    for obj in result.left_behind:
        env.err(f"left behind in {result.name}: {obj}")
    env.out(f"cluster/{result.name} unjoined")


def cordon(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME"),
           dry_run: bool = typer.Option(False, "--dry-run")) -> None:
    _cordon(ctx.obj, name, True, dry_run)


def uncordon(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME"),
             dry_run: bool = typer.Option(False, "--dry-run")) -> None:
    _cordon(ctx.obj, name, False, dry_run)


def taint(ctx: typer.Context,
          resource: str = typer.Argument(..., help="clusters", metavar="RESOURCE"),
          name: str = typer.Argument(..., help="Cluster name", metavar="NAME"),
          taints: list[str] = typer.Argument(..., help="key[=value]:Effect to add, key[:Effect]- to remove",
                                             metavar="TAINT..."),
          overwrite: bool = typer.Option(False, "--overwrite", help="Change the value of an existing taint"),
          dry_run: bool = typer.Option(False, "--dry-run")) -> None:
    from karmadactl.apis.cluster import TaintChange
    from karmadactl.controllers import clusters

    env: Env = ctx.obj
    _only_clusters("taint", resource)
    changes = [TaintChange.parse(t) for t in taints]
    with env.store() as store:
        _, verb = clusters.taint(store, name, changes, overwrite=overwrite, dry_run=dry_run)
    env.out(f"cluster/{name} {verb}{' (dry run)' if dry_run else ''}")


def register(app: typer.Typer) -> None:
    app.command("join", help="Register a member cluster (Push mode) from its kubeconfig. Joining it again "
                             "keeps provider, region, zones, labels and taints unless a flag names them.")(join)
    app.command("unjoin", help="Remove a member cluster and what karmadactl put in it.")(unjoin)
    app.command("cordon", help="Mark a cluster unschedulable (taint "
                               "cluster.karmada.io/unschedulable:NoSchedule).")(cordon)
    app.command("uncordon", help="Mark a cluster schedulable again.")(uncordon)
    app.command("taint", help="Add or remove cluster taints: taint clusters NAME key[=value]:Effect | "
                              "key[:Effect]-")(taint)


def _only_clusters(command: str, resource: str) -> None:
    from karmadactl.errors import UsageError

    if resource not in ("cluster", "clusters", "cluster.cluster.karmada.io"):
        raise UsageError(f"{command}: only clusters can be changed here, not {resource!r}")


def _cordon(env: Env, name: str, on: bool, dry_run: bool) -> None:
    from karmadactl.controllers import clusters

    with env.store() as store:
        _, changed = clusters.cordon(store, name, on=on, dry_run=dry_run)
    verb = "cordoned" if on else "uncordoned"
    env.out(f"cluster/{name} {verb if changed else 'already ' + verb}{' (dry run)' if dry_run else ''}")


def _print_one(env: Env, cluster: Cluster, output: str) -> None:
    from karmadactl.cli.get import CLUSTER_COLUMNS, CLUSTER_RESOURCE, CLUSTER_WIDE
    from karmadactl.cli.output import print_objects

    print_objects(env, [cluster.to_dict()], output, table=CLUSTER_COLUMNS, wide=CLUSTER_WIDE,
                  resource=CLUSTER_RESOURCE, single=True)
