"""rebalance and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from karmadactl.cli.env import Env

if TYPE_CHECKING:
    from karmadactl.commands.extras import Rebalanced


def rebalance(ctx: typer.Context,
              targets: list[str] = typer.Argument(None, metavar="KIND/NAME...", help="Templates to reschedule"),
              namespace: str | None = typer.Option(None, "-n", "--namespace",
                                                   help="Namespace of KIND/NAME [default: default]"),
              all_: bool = typer.Option(False, "--all", help="Every Divided workload")) -> int:
    from karmadactl.cli.resources import pushing, report_pass
    from karmadactl.commands import extras
    from karmadactl.errors import UsageError

    env: Env = ctx.obj
    if bool(targets) == all_:
        raise UsageError("rebalance: give KIND/NAME... or --all")
    if all_ and namespace is not None:
        raise UsageError("rebalance: --all takes every namespace; -n goes with KIND/NAME")
    with env.store() as store:
        result = extras.rebalance(store, targets or None, namespace, pushing=pushing(env),
                                  before_pass=lambda rebalanced: _say_rebalanced(env, rebalanced))
    return report_pass(env, result.plans, result.report)


def _say_rebalanced(env: Env, result: Rebalanced) -> None:
    for line in result.lines:
        env.out(line)


def export(ctx: typer.Context, output: str = typer.Option("yaml", "-o", "--output", help="yaml|json")) -> None:
    from karmadactl.cli.output import write_list
    from karmadactl.commands import extras
    from karmadactl.errors import UsageError

    env: Env = ctx.obj
    if output not in ("yaml", "json"):
        raise UsageError(f"--output {output!r}: export prints yaml or json")
    with env.store() as store:
        objects = extras.export(store)
    write_list(env.stdout, objects, output)


def register(app: typer.Typer) -> None:
    app.command("rebalance", help="Reschedule workloads from scratch, as Karmada's WorkloadRebalancer: rebalance "
                                  "KIND/NAME... | --all")(rebalance)
    app.command("export", help="Print the store as Karmada objects (Clusters without credentials, policies, "
                               "templates), for a move to a Karmada control plane.")(export)
