"""A per-caller token bucket, in process: enough for one server; each replica limits on its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_MAX_KEYS = 100_000


class TokenBucket:
    """`rate` requests per second on average, bursts up to `burst`, tracked per key."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token for `key`: 0.0 when allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            if len(self._state) > _MAX_KEYS:
                # Forgetting idle callers only ever errs towards letting a request through.
                self._state = {k: v for k, v in self._state.items() if now - v[1] < 60}
            return (1.0 - tokens) / self.rate
