"""Rate limits per principal and per address: a sliding window counter (the count of the current
fixed window plus the previous window's count weighted by how much of it still overlaps the
sliding window; O(1) per hit). In this process's memory for the embedded default, where it is a few
dictionary operations under a lock; in Redis, shared by every worker and host, with the `limits`
library's implementation of the same strategy."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from carbonbridge.domain.auth.errors import RateLimited

MAX_TRACKED = 100_000
"""Bound on the keys the in-memory counters keep; beyond it, keys idle for two windows are dropped."""


class _MemoryWindows:
    """Sliding window counters of one limit in memory (thread-safe: hits come from the event loop
    and from the thread pool). The same approximation as `limits`' SlidingWindowCounter."""

    def __init__(self, item: RateLimitItem, clock: Callable[[], float]) -> None:
        self.amount, self.window = item.amount, float(item.get_expiry())
        self._clock = clock
        self._counts: dict[str, tuple[int, int, int]] = {}  # key -> (window index, current, previous)
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit; None if allowed, else the seconds until one more would be."""
        now = self._clock()
        index, into = divmod(now, self.window)
        window = int(index)
        with self._lock:
            found = self._counts.get(key)
            if found is None or found[0] < window - 1:
                current, previous = 0, 0
            elif found[0] == window - 1:
                current, previous = 0, found[1]
            else:
                current, previous = found[1], found[2]
            if current + 1 + previous * (1.0 - into / self.window) > self.amount:
                self._counts[key] = (window, current, previous)
                return self._wait(current, previous, into)
            if len(self._counts) >= MAX_TRACKED and key not in self._counts:
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= window - 1}
            self._counts[key] = (window, current + 1, previous)
            return None

    def _wait(self, current: int, previous: int, into: float) -> float:
        """Seconds until the weighted count leaves room for one more hit: the previous window's
        weight falls linearly to zero; the current window's count frees only when it ends."""
        if current + 1 > self.amount or previous == 0:
            return self.window - into
        return self.window * (previous - (self.amount - current - 1)) / previous - into


class Limiter:
    def __init__(
        self, storage_uri: str, principal: str, address: str, signin: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._items: dict[str, RateLimitItem] = {
            "principal": parse(principal),
            "address": parse(address),
            "signin": parse(signin),
        }
        self._memory: dict[str, _MemoryWindows] | None = None
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        if storage_uri.startswith("memory://"):
            self._memory = {kind: _MemoryWindows(item, clock) for kind, item in self._items.items()}
        else:
            self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))

    def hit(self, kind: str, who: str) -> None:
        """Count one request of `who` against the `kind` limit; RateLimited once it is exceeded."""
        item = self._items[kind]
        if self._memory is not None:
            wait = self._memory[kind].hit(who)
            if wait is not None:
                raise RateLimited(f"rate limit {item} exceeded for this {kind}", max(1, math.ceil(wait)))
            return
        assert self._limiter is not None
        if not self._limiter.hit(item, kind, who):
            reset = self._limiter.get_window_stats(item, kind, who).reset_time
            raise RateLimited(f"rate limit {item} exceeded for this {kind}", max(1, math.ceil(reset - time.time())))
