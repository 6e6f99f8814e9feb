"""Client-side pacing for one member: a token bucket, as client-go's QPS and burst.

The Python client sends as fast as it is called; many workers pushing to one
API server would flood it. Each MemberClient takes a token before every request.
"""

from __future__ import annotations

import threading
import time

# client-go's defaults (5 QPS, burst 10) date from before API Priority and Fairness; kubectl now leaves
# pacing to the server. karmadactl keeps a client-side ceiling that a single API server takes easily.
DEFAULT_QPS = 200.0
DEFAULT_BURST = 400


class TokenBucket:
    def __init__(self, qps: float = DEFAULT_QPS, burst: int = DEFAULT_BURST):
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Wait for a token; returns the seconds waited."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.qps)
            self._stamp = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.qps
        if wait:
            time.sleep(wait)
        return wait
