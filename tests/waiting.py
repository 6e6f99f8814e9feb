"""Waiting in tests for something that happens in another thread or process."""

from __future__ import annotations

import time


def until(check, timeout: float = 20.0, every: float = 0.1):
    """check()'s first truthy value within timeout seconds; AssertionError (with the last value) otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
