"""Hourly validity from minute data and plausibility screens, on one stack's series (the reference rules).

Validity: EU MRR 2018/2066 Art. 44(2) - an hour is valid when at least the configured share of
its 60 minute values is valid; its value is then the mean of the valid minutes. An hour whose
minutes are all 'stopped' is a stopped hour. Anything else is an invalid hour (flag ``I``,
CarbonBridge's own code for "too few valid minutes"; the HJ 212-2017 flags are kept as sent).
The engines (DuckDB, Spark, the Parquet writer) implement the same rules; tests pin them here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from carbonbridge.domain.cems.rules import RuleSet

MINUTES_PER_HOUR = 60
INSUFFICIENT = "I"


@dataclass(frozen=True, slots=True)
class HourValue:
    value: float | None
    flag: str
    valid_minutes: int


def is_valid(value: float | None, flag: str, rules: RuleSet) -> bool:
    """A measured value counts when its flag is a valid one and it is a finite non-negative number."""
    return flag in rules.valid_flags and value is not None and math.isfinite(value) and value >= 0


def hour_from_minutes(minutes: Sequence[tuple[float | None, str]], rules: RuleSet) -> HourValue:
    """One parameter's hour from its minute values (value, HJ 212 flag); at most 60 minutes."""
    if len(minutes) > MINUTES_PER_HOUR:
        raise ValueError(f"{len(minutes)} minute values in one hour")
    valid = [v for v, f in minutes if is_valid(v, f, rules) and v is not None]
    if len(valid) >= rules.minimum_valid_share * MINUTES_PER_HOUR:
        return HourValue(math.fsum(valid) / len(valid), "N", len(valid))
    if minutes and all(f in rules.stopped_flags for _, f in minutes):
        return HourValue(None, next(iter(sorted(rules.stopped_flags))), 0)
    return HourValue(None, INSUFFICIENT, len(valid))


@dataclass(frozen=True, slots=True)
class Findings:
    """Plausibility findings of one parameter's hourly series (counts of hours)."""

    negative: int
    stuck: int
    jumps: int


def plausibility(series: Sequence[tuple[float | None, str]], rules: RuleSet) -> Findings:
    """Negative values, stuck values (the same valid value ``stuck_hours`` hours running: each hour
    that completes such a run counts) and jumps (a valid value differing from the previous hour's
    valid value by more than ``jump_ratio`` times that value), over consecutive hours."""
    negative = sum(1 for v, _ in series if v is not None and v < 0)
    stuck = jumps = 0
    run = 0
    previous: float | None = None
    for value, flag in series:
        current = value if is_valid(value, flag, rules) else None
        if current is not None and previous is not None:
            run = run + 1 if current == previous else 1
            if abs(current - previous) > rules.jump_ratio * abs(previous):
                jumps += 1
        else:
            run = 1 if current is not None else 0
        if run >= rules.stuck_hours:
            stuck += 1
        previous = current
    return Findings(negative, stuck, jumps)
