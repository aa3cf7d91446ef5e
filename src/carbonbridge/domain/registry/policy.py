"""Security controls configurable per jurisdiction, and the working-day calendar they count in.

The controls follow the EU answer to the 2010-2011 registry thefts (Commission Delegated
Regulation (EU) 2019/1122): a second representative approves, transfers to accounts not on the
trusted account list wait for a delay window and can be cancelled until then, a trusted-list
addition takes effect only after some working days while a removal takes effect at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ApprovalRule(StrEnum):
    ALWAYS = "always"  # every transfer needs a second representative
    UNTRUSTED = "untrusted"  # only transfers to accounts off the trusted list
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    approval: ApprovalRule = ApprovalRule.ALWAYS
    trusted_activation_working_days: int = 4
    delay_working_days: int = 1
    delay_release_hour: int = 12
    transfer_limit_units: int | None = None
    max_consecutive_failures: int = 3
    weekend: frozenset[int] = frozenset({5, 6})  # Monday is 0
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    linked_origins: frozenset[str] = frozenset()  # units of these jurisdictions may be held (docs/link.md)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (bounded: a year of non-working days is an error)."""
        current = day
        for _ in range(count):
            for _ in range(366):
                current += dt.timedelta(days=1)
                if self.is_working_day(current):
                    break
            else:
                raise ValueError("no working day within a year: check the weekend and holidays")
        return current

    def trusted_effective_at(self, added_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
        """An addition to the trusted list takes effect N working days later, at the same local time."""
        local = added_at.astimezone(tz)
        day = self.add_working_days(local.date(), self.trusted_activation_working_days)
        return dt.datetime.combine(day, local.timetz()).astimezone(dt.UTC)

    def delay_until(self, approved_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
        """End of the delay window: by default noon (local) of the next working day."""
        local = approved_at.astimezone(tz)
        day = self.add_working_days(local.date(), self.delay_working_days)
        release = dt.datetime.combine(day, dt.time(self.delay_release_hour), tzinfo=tz)
        return release.astimezone(dt.UTC)
