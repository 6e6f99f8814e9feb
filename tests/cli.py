"""Running karmadactl from tests: in the test's own process by default, a real process on request.

`run_in_process` calls the CLI's own `run(argv, env)` with a test `Env`: stdout and
stderr are captured, stdin is a pipe holding `input` (or a terminal when the test
says so), and the extra environment variables are set for the duration of the
call. It answers with the same object as `subprocess.run`, so a test does not
care which runner it got. About fifteen times faster than a process per call.

What a process gave for free and a shared process does not, handled here:
- os.environ, sys.stdout and sys.stderr are process-wide: in-process runs are
  serialised under a lock, and the previous values are restored after each;
- click writes its own help and usage text to sys.stdout/sys.stderr: both are
  pointed at the captured streams during the call;
- a SystemExit raised anywhere becomes the exit code, as it would in a process.
Logging handlers (-v) and signal handlers (watch) are the product's to undo, and
it does (cli/app.py, cli/watch.py); tests/integration/test_in_process.py checks it.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping

_LOCK = threading.RLock()


class Pipe(io.StringIO):
    """Captured output as a pipe shows it: not a terminal."""

    def isatty(self) -> bool:
        return False


class Terminal(io.StringIO):
    """Captured output that says it is a terminal (colour, tables for humans)."""

    def isatty(self) -> bool:
        return True


def _stdin(input: str | bytes | None, tty: bool) -> io.TextIOBase:
    """stdin as a process sees it: bytes behind a text layer (invalid UTF-8 stays invalid)."""
    data = input.encode() if isinstance(input, str) else (input or b"")

    class Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return tty

    return Stdin(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")


@contextlib.contextmanager
def environment(extra: Mapping[str, str | None] | None) -> Iterator[None]:
    """os.environ with `extra` applied (None unsets a variable), restored afterwards."""
    with _LOCK:
        saved = {key: os.environ.get(key) for key in (extra or {})}
        try:
            for key, value in (extra or {}).items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def run_in_process(*args: str, env: Mapping[str, str | None] | None = None, input: str | bytes | None = None,
                   tty: bool = False, stdin_tty: bool = False,
                   timeout: float | None = None) -> subprocess.CompletedProcess:
    """One command line through the CLI's own `run`, as `subprocess.run(..., text=True)` would report it.

    `tty=True` makes stdout and stderr terminals; `stdin_tty=True` makes stdin one.
    `timeout` is accepted for the same signature; pytest-timeout bounds a stuck call.
    """
    from karmadactl.cli.app import run
    from karmadactl.cli.env import Env

    kind = Terminal if tty else Pipe
    out, err = kind(), kind()
    argv = [str(a) for a in args]
    with _LOCK, environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv, Env(stdout=out, stderr=err, stdin=_stdin(input, stdin_tty)))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return subprocess.CompletedProcess([sys.executable, "-m", "karmadactl", *argv], code,
                                       out.getvalue(), err.getvalue())


def run_process(*args: str, env: Mapping[str, str] | None = None, input: str | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess:
    """Run karmadactl as a user does: a separate process, output captured (not a terminal)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "karmadactl", *map(str, args)], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


def run_cli(*args: str, env: Mapping[str, str] | None = None, input: str | None = None,
            timeout: float = 60, subprocess: bool = False, tty: bool = False) -> subprocess.CompletedProcess:
    """The CLI for a test: in-process unless `subprocess=True` (or KARMADACTL_TEST_PROCESS=1 for all)."""
    if subprocess or os.environ.get("KARMADACTL_TEST_PROCESS") == "1":
        if tty:
            raise ValueError("a captured process cannot have a terminal; use the in-process runner")
        return run_process(*args, env=env, input=input, timeout=timeout)
    return run_in_process(*args, env=env, input=input, timeout=timeout, tty=tty)
