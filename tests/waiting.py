"""Waiting in tests for something that happens in another thread or process: polling with a deadline,
never a fixed sleep. `until` waits for a condition to come true; `stays` checks that one holds for a
whole window (a threshold that must pass without an effect), failing as soon as it does not."""

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


def stays(check, seconds: float, every: float = 0.1):
    """check() is truthy at every look for `seconds` (and once more at the end); AssertionError with the
    first falsy value otherwise. For what must not happen within a window, e.g. before a threshold."""
    deadline = time.monotonic() + seconds
    while True:
        last = check()
        if not last:
            raise AssertionError(f"condition broken after {seconds - (deadline - time.monotonic()):.1f}s "
                                 f"of {seconds}s (value: {last!r})")
        if time.monotonic() >= deadline:
            return last
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))
