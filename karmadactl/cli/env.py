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

    def __post_init__(self) -> None:
        self.stdout, self.stderr = SafeText.around(self.stdout), SafeText.around(self.stderr)

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


class SafeText:
    """A text stream that never fails on what it is given to write.

    Text from users can hold what the stream's encoding cannot say (lone
    surrogates from undecodable bytes, or characters beyond ASCII on a C
    locale): it is written with backslash escapes instead of raising.
    """

    def __init__(self, stream: IO[str]):
        self._stream = stream

    @classmethod
    def around(cls, stream: IO[str]) -> IO[str]:
        return stream if isinstance(stream, cls) else cls(stream)  # type: ignore[return-value]

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:
            encoding = getattr(self._stream, "encoding", None) or "utf-8"
            return self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
