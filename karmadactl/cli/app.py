"""Command registration and the error boundary.

Each family of commands lives in its own module; this one only wires them
together, reads the global options and turns errors into exit codes.
"""

from __future__ import annotations

import functools
import logging

import typer
from typer._click import Command

from karmadactl.cli.env import Env
from karmadactl.errors import ExitCode, KarmadaError

HELP = "Karmada's multi-cluster propagation, without a control plane."


# Which module registers each command; a command line names one, and only that
# module is loaded (typer builds converters for every registered parameter).
COMMANDS = {"version": "misc", "init": "misc", "join": "clusters", "unjoin": "clusters",
            "cordon": "clusters", "uncordon": "clusters", "taint": "clusters", "get": "get",
            "label": "edit", "annotate": "edit", "patch": "edit", "edit": "edit",
            "sandbox": "sandbox", "apply": "resources", "delete": "resources", "plan": "resources",
            "propagate": "resources", "sync": "resources", "override": "resources", "promote": "resources",
            "describe": "inspect", "events": "inspect", "watch": "watch", "exec": "exec", "attach": "exec",
            "top": "top",
            "rebalance": "extras", "export": "extras", "interpret": "interpret", "logs": "logs",
            "api-resources": "explain", "explain": "explain",
            "token": "pull", "register": "pull", "unregister": "pull", "agent": "pull"}
GLOBAL_OPTIONS_WITH_VALUE = {"--store"}


def _modules_for(argv: list[str]) -> list[str]:
    """The command modules a command line needs: one, or all for help and completion."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return [COMMANDS[arg]] if arg in COMMANDS else sorted(set(COMMANDS.values()))
    return sorted(set(COMMANDS.values()))


@functools.cache
def _command(modules: tuple[str, ...]) -> Command:
    """The click command for these modules, built once per process: a user's process runs one command
    line, the tests run thousands in one process, and typer's build reads every signature again."""
    from typer.main import get_command

    return get_command(_app(modules))


def _app(modules: tuple[str, ...]) -> typer.Typer:
    import importlib

    app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False, rich_markup_mode=None,
                      context_settings={"help_option_names": ["-h", "--help"]})

    @app.callback()
    def _global(ctx: typer.Context,
                store: str | None = typer.Option(
                    None, "--store", envvar="KARMADACTL_STORE", show_envvar=True,
                    help="SQLAlchemy URL of the store [default: sqlite:///$KARMADA_HOME/karmada.db]"),
                verbose: int = typer.Option(0, "-v", "--verbose", count=True,
                                            help="Logs on stderr (repeat for more)."),
                no_color: bool = typer.Option(False, "--no-color", help="Plain output.")) -> None:
        env: Env = ctx.obj if isinstance(ctx.obj, Env) else Env()
        env.store_url, env.verbose, env.no_color = store, verbose, no_color
        ctx.obj = env
        if verbose:  # logs on this run's stderr, removed when the command ends (run may be called again)
            root, handler = logging.getLogger(), logging.StreamHandler(env.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            level = root.level
            root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
            root.addHandler(handler)

            def restore() -> None:
                root.removeHandler(handler)
                root.setLevel(level)

            ctx.call_on_close(restore)

    for name in modules:
        importlib.import_module(f"karmadactl.cli.{name}").register(app)
    return app


def run(argv: list[str], env: Env | None = None) -> int:
    """Run one command line; map every outcome onto cli.md's exit codes."""
    from typer._click import exceptions as click_exc

    env = env or Env()
    try:
        command = _command(tuple(_modules_for(argv)))
        result = command.main(args=list(argv), prog_name="karmadactl", standalone_mode=False, obj=env)
        return int(result) if isinstance(result, int) else ExitCode.OK
    except KarmadaError as e:
        env.err(f"error: {e}")
        return int(e.exit_code)
    except click_exc.ClickException as e:
        e.show(file=env.stderr)
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        env.err("Aborted.")
        return ExitCode.ERROR
    except KeyboardInterrupt:
        env.err("Interrupted.")
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as e:  # a bug: say so briefly; the traceback only with -v
        if env.verbose:
            import traceback

            traceback.print_exception(type(e), e, e.__traceback__, file=env.stderr)
        env.err(f"error: internal error ({type(e).__name__}); run with -v for details")
        return ExitCode.ERROR
