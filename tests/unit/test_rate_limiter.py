"""The in-memory rate limiter: a sliding window counter per kind and key, with a Retry-After."""

from __future__ import annotations

import pytest

from carbonbridge.domain.auth.errors import RateLimited
from carbonbridge.entrypoints.http.ratelimit import Limiter


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_refuses_the_hit_over_the_limit_until_the_window_has_slid_past_enough_earlier_hits() -> None:
    clock = Clock(6_000.0 + 45.0)  # 45 s into a one-minute window
    limiter = Limiter("memory://", "3/minute", "100/minute", "10/minute", clock=clock)
    for _ in range(3):
        limiter.hit("principal", "alice")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("principal", "alice")
    assert refused.value.retry_after_seconds == 15  # the current window ends in 15 s
    limiter.hit("principal", "bob")  # per key
    limiter.hit("address", "alice")  # per kind
    clock.at += 15 + 10  # 10 s into the next window: the previous 3 hits still weigh 3 * 50/60 = 2.5
    with pytest.raises(RateLimited) as still:
        limiter.hit("principal", "alice")
    assert still.value.retry_after_seconds == 10  # 3 * (1 - t/60) + 1 <= 3 from t = 20 s
    clock.at += 10
    limiter.hit("principal", "alice")
    with pytest.raises(RateLimited):
        limiter.hit("principal", "alice")


def test_a_refused_hit_does_not_count_and_an_idle_key_starts_afresh() -> None:
    clock = Clock(0.0)
    limiter = Limiter("memory://", "2/second", "100/minute", "10/minute", clock=clock)
    limiter.hit("principal", "k")
    limiter.hit("principal", "k")
    for _ in range(5):
        with pytest.raises(RateLimited):
            limiter.hit("principal", "k")
    clock.at = 10.0
    limiter.hit("principal", "k")
    limiter.hit("principal", "k")
