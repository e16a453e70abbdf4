"""Per-account (or per-client) token buckets, in memory."""

from __future__ import annotations

import threading
import time

from partledger.api.services.errors import RateLimited


class RateLimiter:
    """``rate`` requests per second sustained, ``burst`` at once, per key."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, cost: float = 1.0) -> None:
        """Take ``cost`` tokens from ``key``'s bucket or raise ``RateLimited``."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < cost:
                self._buckets[key] = (tokens, now)
                retry = (cost - tokens) / self.rate
                raise RateLimited(
                    f"rate limit of {self.rate:g}/s exceeded", retry_after=max(1, round(retry))
                )
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._buckets.clear()  # crude bound on memory; limits restart from full
            self._buckets[key] = (tokens - cost, now)
