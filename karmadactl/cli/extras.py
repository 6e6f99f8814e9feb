"""rebalance and export."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env


def register(app: typer.Typer) -> None:
    @app.command(help="Reschedule workloads from scratch, as Karmada's WorkloadRebalancer: rebalance "
                      "KIND/NAME... | --all")
    def rebalance(ctx: typer.Context,
                  targets: list[str] = typer.Argument(None, metavar="KIND/NAME...",
                                                      help="Templates to reschedule"),
                  namespace: str | None = typer.Option(None, "-n", "--namespace",
                                                          help="Namespace of KIND/NAME [default: default]"),
                  all_: bool = typer.Option(False, "--all", help="Every Divided workload")) -> int:
        from karmadactl.apis.meta import now
        from karmadactl.cli.resources import _template_ref, report_pass, run_with_progress
        from karmadactl.controllers.rebalance import trigger
        from karmadactl.errors import UsageError

        env: Env = ctx.obj
        if bool(targets) == all_:
            raise UsageError("rebalance: give KIND/NAME... or --all")
        if all_ and namespace is not None:
            raise UsageError("rebalance: --all takes every namespace; -n goes with KIND/NAME")
        with env.store() as store:
            refs = None
            if targets:
                refs = []
                for target in targets:
                    info, name, ns = _template_ref(store, target, namespace or "default", must_exist=True)
                    refs.append((info.kind, ns, name))
            for line in trigger(store, refs, now()):
                env.out(line)
            plans, report = run_with_progress(env, store)
        return report_pass(env, plans, report)

    @app.command(help="Print the store as Karmada objects (Clusters without credentials, policies, templates), "
                      "for a move to a Karmada control plane.")
    def export(ctx: typer.Context,
               output: str = typer.Option("yaml", "-o", "--output", help="yaml|json")) -> None:
        from karmadactl.cli.output import write_list
        from karmadactl.controllers.rebalance import exportable
        from karmadactl.errors import UsageError

        env: Env = ctx.obj
        if output not in ("yaml", "json"):
            raise UsageError(f"--output {output!r}: export prints yaml or json")
        with env.store() as store:
            with store.read() as tx:
                objects = exportable(tx)
        write_list(env.stdout, objects, output)
