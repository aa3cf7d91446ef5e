"""Second-factor steps (RFC 6238) and lockout, as pure rules."""

from __future__ import annotations

import datetime as dt

from carbonbridge.domain.auth.factors import (
    LockoutPolicy,
    accepts_step,
    after_failure,
    candidate_steps,
    is_code_shaped,
    is_locked,
    time_step,
)

T = dt.datetime(2026, 3, 31, 12, 0, 7, tzinfo=dt.UTC)


def test_a_time_step_is_thirty_seconds_since_the_epoch() -> None:
    assert time_step(dt.datetime(1970, 1, 1, 0, 0, 59, tzinfo=dt.UTC)) == 1
    assert candidate_steps(T) == [time_step(T), time_step(T) - 1, time_step(T) + 1]


def test_a_step_is_accepted_once_and_only_forwards() -> None:
    assert accepts_step(10, None)
    assert accepts_step(11, 10)
    assert not accepts_step(10, 10)
    assert not accepts_step(9, 10)


def test_codes_are_six_ascii_digits() -> None:
    assert is_code_shaped("012345")
    assert not is_code_shaped("12345") and not is_code_shaped("١٢٣٤٥٦") and not is_code_shaped("12345a")


def test_the_fifth_failure_locks_for_the_configured_minutes() -> None:
    policy = LockoutPolicy(max_failures=5, lock_minutes=15)
    assert after_failure(3, T, policy) == (4, None)
    count, until = after_failure(4, T, policy)
    assert count == 5 and until == T + dt.timedelta(minutes=15)
    assert is_locked(until, T + dt.timedelta(minutes=14)) and not is_locked(until, T + dt.timedelta(minutes=15))
