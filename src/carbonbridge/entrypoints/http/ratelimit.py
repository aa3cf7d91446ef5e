"""Rate limits per principal and per address with the `limits` library, in memory for the embedded
default or in Redis shared by every worker and host. Sliding window counter: O(1) per hit (the moving
window's memory storage keeps one timestamp per request and inserts at the front: O(n) per hit)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from carbonbridge.domain.auth.errors import RateLimited


class Limiter:
    def __init__(self, storage_uri: str, principal: str, address: str, signin: str) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))
        self._items: dict[str, RateLimitItem] = {
            "principal": parse(principal),
            "address": parse(address),
            "signin": parse(signin),
        }

    def hit(self, kind: str, who: str) -> None:
        """Count one request of `who` against the `kind` limit; RateLimited once it is exceeded."""
        item = self._items[kind]
        if not self._limiter.hit(item, kind, who):
            reset = self._limiter.get_window_stats(item, kind, who).reset_time
            raise RateLimited(f"rate limit {item} exceeded for this {kind}", max(1, math.ceil(reset - time.time())))
