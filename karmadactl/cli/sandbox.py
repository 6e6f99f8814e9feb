"""sandbox: local member clusters on loopback for the quick start and the tests."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env


def _topology(index: int) -> tuple[str, str]:
    """Region and zone of sandbox member N, so spread constraints have something to spread over."""
    region = "region-1" if index <= 2 else "region-2"
    return region, f"{region}-zone-{index}"


def register(app: typer.Typer) -> None:
    sandbox = typer.Typer(help="Local sandbox member clusters: up, down, fail, recover, status.",
                          no_args_is_help=True)
    app.add_typer(sandbox, name="sandbox")

    @sandbox.command(help="Start N sandbox members, write their kubeconfigs and join them.")
    def up(ctx: typer.Context,
           members: int = typer.Option(3, "--members", min=1, max=20, help="How many members"),
           join: bool = typer.Option(True, "--join/--no-join", help="Join them to the store"),
           tls: bool = typer.Option(True, "--tls/--no-tls",
                                    help="Serve https with a self-signed CA in the kubeconfig (kubectl "
                                         "sends tokens only over https)")) -> None:
        from karmadactl.controllers import clusters
        from karmadactl.sandbox import manager

        env: Env = ctx.obj
        infos = manager.up(members, tls=tls)
        if not join:
            for info in infos:
                env.out(f"{info.name} running at {info.url} (kubeconfig {info.kubeconfig})")
            return
        with env.store() as store:
            for index, info in enumerate(infos, start=1):
                region, zone = _topology(index)
                properties = clusters.Properties(provider="sandbox", region=region, zones=[zone],
                                                 labels={"sandbox.karmadactl.io/member": "true"})
                result = clusters.join(store, info.name, kubeconfig=str(info.kubeconfig), context=None,
                                       properties=properties)
                env.out(f"{info.name} running at {info.url}; cluster/{info.name} {result.action}")

    @sandbox.command(help="Stop the sandbox members (and unjoin them).")
    def down(ctx: typer.Context,
             keep_clusters: bool = typer.Option(False, "--keep-clusters",
                                                help="Keep them registered in the store")) -> None:
        from karmadactl.controllers import clusters
        from karmadactl.errors import NotFound
        from karmadactl.sandbox import manager

        env: Env = ctx.obj
        stopped = manager.down()
        store = None if keep_clusters else env.store()
        try:
            for name in stopped:
                if store is not None:
                    try:
                        clusters.unjoin(store, name, keep_resources=True)
                    except NotFound:
                        pass
                env.out(f"{name} stopped")
        finally:
            if store is not None:
                store.close()

    @sandbox.command(help="Make a member refuse connections (its data is kept).")
    def fail(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME")) -> None:
        from karmadactl.sandbox import manager

        manager.fail(name)
        ctx.obj.out(f"{name} failed: it refuses connections until `karmadactl sandbox recover {name}`")

    @sandbox.command(help="Bring a failed member back with its data.")
    def recover(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME")) -> None:
        from karmadactl.sandbox import manager

        manager.recover(name)
        ctx.obj.out(f"{name} recovered")

    @sandbox.command(help="Show the sandbox members.")
    def status(ctx: typer.Context,
               output: str = typer.Option("table", "-o", "--output", help="table|json|yaml")) -> None:
        from dataclasses import asdict

        from karmadactl.cli.output import check_output, print_table, to_json, to_yaml
        from karmadactl.sandbox import manager

        env: Env = ctx.obj
        check_output(output, ("table", "json", "yaml"), "sandbox status")
        infos = manager.status()
        if output in ("json", "yaml"):
            data = [{k: str(v) if v is not None and not isinstance(v, (bool, int)) else v
                     for k, v in asdict(i).items()} for i in infos]
            env.stdout.write(to_json(data) + "\n" if output == "json" else to_yaml(data))
            return
        if not infos:
            env.err("No sandbox members")
            return
        print_table(env, ("NAME", "URL", "PID", "STATE", "KUBECONFIG"),
                    [[i.name, i.url, str(i.pid or ""),
                      "failed" if i.failed else ("running" if i.running else "stopped"), str(i.kubeconfig)]
                     for i in infos])
