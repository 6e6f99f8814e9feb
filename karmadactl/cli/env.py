"""The terminal as an object: streams, colour, TTY, global options.

Commands receive it instead of touching sys.stdout, so tests can check TTY and
pipe behaviour without a terminal.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import IO


@dataclass
class Env:
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    store_url: str | None = None
    verbose: int = 0
    no_color: bool = False

    @property
    def stdout_tty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stderr_tty(self) -> bool:
        return _isatty(self.stderr)

    @property
    def stdin_tty(self) -> bool:
        return _isatty(self.stdin)

    @property
    def color(self) -> bool:
        return self.stdout_tty and not self.no_color and "NO_COLOR" not in os.environ

    def store(self):
        """Open the store (created on first use). Imported here: SQLAlchemy is heavy."""
        from karmadactl.store import Store

        store = Store.open(self.store_url)
        for warning in store.warnings:
            self.err(f"warning: {warning}")
        return store

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def console(self, stderr: bool = False):
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        return Console(file=stream, no_color=not self.color, highlight=False,
                       force_terminal=_isatty(stream) and not self.no_color)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
