"""What the long-running commands (watch, agent) share: a timed line on stderr, a stop on SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from karmadactl.cli.env import Env


def say(env: Env, line: str) -> None:
    """A line of the loop on stderr, with the time of day."""
    env.err(f"{datetime.now(UTC).strftime('%H:%M:%S')} {line}")


@contextlib.contextmanager
def stop_on_signals(env: Env) -> Iterator[threading.Event]:
    """An event that SIGINT or SIGTERM sets while the block runs (handlers only on the main thread).

    The previous handlers are back when the block ends, and stderr is flushed.
    """
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        env.stderr.flush()
