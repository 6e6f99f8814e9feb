"""exec: run a command in a member cluster's pod, as `kubectl exec` does (Karmada's `exec -C`)."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env

HELP = """Execute a command in a container of a member cluster's pod.

POD, or TYPE/NAME (deploy/nginx: the first pod of that workload in that cluster).
With -i stdin is passed to the command; with -t it runs in a terminal (raw mode
and window size follow the local one). The command's exit code is karmadactl's."""


ATTACH_HELP = """Attach to the main process of a container in a member cluster's pod.

Its output is printed as it comes (the sandbox's containers write a line a
second); with -i what you type goes to it. Ends when the container does
(Ctrl-C leaves)."""


def _terminal(env: Env):
    """The local terminal's size and SIGWINCH, for -t on a real terminal."""
    import os
    import signal

    from karmadactl.members.exec import Terminal

    def size():
        try:
            columns, rows = os.get_terminal_size(env.stdout.fileno())
            return columns, rows
        except (OSError, ValueError, AttributeError):
            return None

    def on_resize(callback):
        if not hasattr(signal, "SIGWINCH"):
            return lambda: None
        try:
            previous = signal.signal(signal.SIGWINCH, lambda *_: callback())
        except ValueError:           # not the main thread
            return lambda: None
        return lambda: signal.signal(signal.SIGWINCH, previous)

    return Terminal(size=size, on_resize=on_resize)


class _Raw:
    """The local terminal in raw mode for the session, restored afterwards."""

    def __init__(self, stream):
        self.stream, self.saved = stream, None

    def __enter__(self):
        try:
            import termios
            import tty

            fd = self.stream.fileno()
            self.saved = (fd, termios.tcgetattr(fd))
            tty.setraw(fd)
        except (ImportError, OSError, ValueError, AttributeError):
            self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved:
            import termios

            termios.tcsetattr(self.saved[0], termios.TCSADRAIN, self.saved[1])


def _binary(stream):
    """The byte stream under a text stream (or a writer of bytes onto it)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer

    class Text:
        def write(self, data: bytes) -> None:
            stream.write(data.decode("utf-8", "replace"))

        def flush(self) -> None:
            stream.flush()

    return Text()


def _stdin_bytes(env: Env):
    """stdin as bytes: the file descriptor when there is one (no buffering on a terminal)."""
    import os

    try:
        fd = env.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        return _binary(env.stdin)

    class Fd:
        def read(self, n: int) -> bytes:
            return os.read(fd, n)

    return Fd()


def exec_(ctx: typer.Context,
          target: str = typer.Argument(..., metavar="POD|TYPE/NAME"),
          command: list[str] | None = typer.Argument(None, metavar="-- COMMAND [ARGS]..."),
          cluster: str | None = typer.Option(None, "-C", "--cluster",
                                             help="The member cluster (required)"),
          namespace: str = typer.Option("default", "-n", "--namespace"),
          container: str | None = typer.Option(None, "-c", "--container",
                                               help="Container name (default: the first)"),
          stdin: bool = typer.Option(False, "-i", "--stdin", help="Pass stdin to the container"),
          tty: bool = typer.Option(False, "-t", "--tty", help="Stdin is a TTY"),
          quiet: bool = typer.Option(False, "-q", "--quiet",
                                     help="Only print output from the remote session")) -> int:
    return _session(ctx.obj, cluster, target, namespace, container, list(command or []),
                    stdin=stdin, tty=tty, quiet=quiet, attach=False)


def attach(ctx: typer.Context,
           target: str = typer.Argument(..., metavar="POD|TYPE/NAME"),
           cluster: str | None = typer.Option(None, "-C", "--cluster",
                                              help="The member cluster (required)"),
           namespace: str = typer.Option("default", "-n", "--namespace"),
           container: str | None = typer.Option(None, "-c", "--container",
                                                help="Container name (default: the first)"),
           stdin: bool = typer.Option(False, "-i", "--stdin",
                                      help="Pass stdin to the container"),
           tty: bool = typer.Option(False, "-t", "--tty", help="Stdin is a TTY"),
           quiet: bool = typer.Option(False, "-q", "--quiet",
                                      help="Only print output from the remote session")) -> int:
    return _session(ctx.obj, cluster, target, namespace, container, None, stdin=stdin,
                    tty=tty, quiet=quiet, attach=True)


def register(app: typer.Typer) -> None:
    app.command("exec", help=HELP)(exec_)
    app.command("attach", help=ATTACH_HELP)(attach)


def _session(env: Env, cluster: str | None, target: str, namespace: str, container: str | None,
             command: list[str] | None, *, stdin: bool, tty: bool, quiet: bool,
             attach: bool) -> int:
    """exec (a command) or attach (command None) in a member's pod; the remote exit code."""
    from karmadactl.controllers import clusters
    from karmadactl.controllers.clusters import client_for
    from karmadactl.errors import UsageError
    from karmadactl.members import exec as remote

    verb = "attach" if attach else "exec"
    if not cluster:
        raise UsageError(f"{verb}: must specify a cluster (-C CLUSTER)")
    if not attach and not command:
        raise UsageError("exec: a command is required: exec -C CLUSTER POD -- COMMAND [ARGS...]")
    if tty and not (stdin and env.stdin_tty):
        if not quiet:
            env.err("Unable to use a TTY - input is not a terminal or the right kind of file"
                    if stdin else "Unable to use a TTY - no stdin (-i) was asked for")
        tty = False
    with env.store() as store:
        member = clusters.get(store, cluster)
        client = client_for(store, member)
    try:
        pod = remote.find_pod(client, target, namespace)
        remote.check_running(pod, "attach to" if attach else "exec into")
        name, notice = remote.pick_container(pod, container)
        if notice and not quiet:
            env.err(notice)
        if attach and stdin and not quiet:
            env.err("If you don't see a command prompt, try pressing enter.")
        with _Raw(env.stdin) if tty else _NoRaw():
            return remote.execute(client, pod, name, command,
                                  stdin=_stdin_bytes(env) if stdin else None,
                                  stdout=_binary(env.stdout), stderr=_binary(env.stderr),
                                  tty=tty, terminal=_terminal(env) if tty else None)
    finally:
        client.close()


class _NoRaw:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None
