"""The errors karmadactl raises and the exit codes they map to.

Every module raises these; only cli/ turns them into one line on stderr and an
exit code. Messages never carry credentials.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1      # bad input, not found, conflict, nothing applied
    USAGE = 2      # wrong command-line usage
    PARTIAL = 3    # some member clusters were updated and some failed


class KarmadaError(Exception):
    """Base class: a failure the user can act on, shown as one line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(KarmadaError):
    """A file, flag or field is wrong. The message names which."""


class UsageError(KarmadaError):
    exit_code = ExitCode.USAGE


class NotFound(KarmadaError):
    pass


class AlreadyExists(KarmadaError):
    pass


class Conflict(KarmadaError):
    """A compare-and-swap lost: the object changed since it was read."""


class Unreachable(KarmadaError):
    """A member cluster did not answer, or answered with an error."""


class StoreError(KarmadaError):
    pass


class PartialFailure(KarmadaError):
    exit_code = ExitCode.PARTIAL
