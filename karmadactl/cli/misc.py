"""version, init, completion."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env

SHELLS = ("bash", "zsh", "fish")


def version(ctx: typer.Context, output: str = typer.Option("", "-o", "--output", help="json or yaml")) -> None:
    import platform

    from karmadactl import __version__

    env: Env = ctx.obj
    info = {"gitVersion": f"v{__version__}", "pythonVersion": platform.python_version(),
            "platform": f"{platform.system().lower()}/{platform.machine()}"}
    if output in ("json", "yaml"):
        from karmadactl.cli.output import to_json, to_yaml

        env.stdout.write(to_json(info) + "\n" if output == "json" else to_yaml(info))
    elif output:
        from karmadactl.errors import UsageError

        raise UsageError(f"--output {output!r}: version prints json or yaml")
    else:
        env.out(f"karmadactl version: {info['gitVersion']} (python {info['pythonVersion']}, "
                f"{info['platform']})")


def init(ctx: typer.Context) -> None:
    env: Env = ctx.obj
    with env.store() as store:
        store.check_writable()
        env.out(f"store ready: {store.url_for_display}")


def completion(ctx: typer.Context, shell: str = typer.Argument(..., help="bash, zsh or fish", metavar="SHELL")) -> None:
    from karmadactl.cli.completion import script
    from karmadactl.errors import UsageError

    if shell not in SHELLS:
        raise UsageError(f"completion: unknown shell {shell!r} (one of {', '.join(SHELLS)})")
    ctx.obj.stdout.write(script(ctx.find_root().command, shell))


def register(app: typer.Typer) -> None:
    app.command("version", help="Print the karmadactl version.")(version)
    app.command("init", help="Create the store (if needed) and print where it is.")(init)
    app.command("completion", help="Print a shell completion script (bash, zsh or fish).")(completion)
