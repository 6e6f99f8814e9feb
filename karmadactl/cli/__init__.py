"""The karmadactl command line: the only code that prints, prompts or exits."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (never raises for user errors)."""
    from karmadactl.cli.app import run

    return run(sys.argv[1:] if argv is None else argv)
