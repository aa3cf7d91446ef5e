"""Second factor and lockout rules (RFC 6238 time steps, sign-in throttling), as pure functions.

A one-time code is accepted once: the step it matched must be later than the last step accepted
for the user, so a replayed code (or an older one) is refused even within its validity window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TOTP_PERIOD_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW_STEPS = 1  # the step before and after the current one (clock drift, RFC 6238 s. 6)


def time_step(moment: dt.datetime, period: int = TOTP_PERIOD_SECONDS) -> int:
    """RFC 6238 T = floor((unix time - T0) / X) with T0 = 0."""
    return int(moment.timestamp()) // period


def candidate_steps(moment: dt.datetime, window: int = TOTP_WINDOW_STEPS) -> list[int]:
    """Steps a code typed at `moment` may belong to, the current one first."""
    now = time_step(moment)
    return [now, *(s for d in range(1, window + 1) for s in (now - d, now + d))]


def accepts_step(matched: int, last_accepted: int | None) -> bool:
    """A code's step counts only once and only forwards (replay protection)."""
    return last_accepted is None or matched > last_accepted


def is_code_shaped(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_minutes: int = 15


def after_failure(failures: int, now: dt.datetime, policy: LockoutPolicy) -> tuple[int, dt.datetime | None]:
    """The new failure count and, once it reaches the limit, until when the user is locked out."""
    count = failures + 1
    if count >= policy.max_failures:
        return count, now + dt.timedelta(minutes=policy.lock_minutes)
    return count, None


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until
