"""Market stability reserve: the intake into and release from the reserve, from the total number
of allowances in circulation (TNAC).

Source: Decision (EU) 2015/1814 (MSR Decision) Art. 1, as amended by Decision (EU) 2023/852:
- TNAC = supply - (verified emissions and cancelled allowances + allowances in the reserve);
- intake: 24 % of the TNAC when it exceeds 833 million; from 2024, when the TNAC is between
  833 million and 1,096 million, the intake is the TNAC minus 833 million;
- release: 100 million (or all the reserve holds, if less) when the TNAC is below 400 million;
- the intake is taken out of the auction volumes over 12 months (1 September - 31 August).
Checked against the Commission's publications: 15 May 2019, TNAC 1,654,909,824, intake
397,178,358 (24 %, rounded to the nearest allowance); 15 May 2023, TNAC 1,134,794,738, intake
272,350,737; 2026, TNAC 1,023,494,202, intake 190,494,202 (TNAC - 833 M).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from carbonbridge.domain.errors import Problem, ValidationFailed


@dataclass(frozen=True, slots=True)
class MsrPolicy:
    upper_threshold: int = 833_000_000
    intake_rate: Decimal = Decimal("0.24")
    band_from_year: int | None = 2024  # from this year: TNAC - upper threshold inside the band
    band_top: int = 1_096_000_000
    lower_threshold: int = 400_000_000
    release: int = 100_000_000
    months: int = 12

    def validate(self) -> None:
        problems = []
        if not Decimal(0) <= self.intake_rate <= 1:
            problems.append(Problem("must be between 0 and 1", field="intake_rate"))
        if self.lower_threshold > self.upper_threshold:
            problems.append(Problem("must not exceed upper_threshold", field="lower_threshold"))
        if self.band_top < self.upper_threshold:
            problems.append(Problem("must not be below upper_threshold", field="band_top"))
        if self.months <= 0 or self.release < 0:
            problems.append(Problem("must be positive", field="months"))
        if problems:
            raise ValidationFailed(problems)


@dataclass(frozen=True, slots=True)
class MsrFigures:
    year: int  # the year the TNAC is published (it describes the year before)
    tnac: int
    intake: int
    release: int
    rule: str
    monthly: tuple[int, ...]  # the intake (or release) per month of the 12-month period


def tnac(supply: int, demand: int, reserve: int) -> int:
    """Total number of allowances in circulation."""
    return supply - (demand + reserve)


def figures(year: int, tnac_value: int, policy: MsrPolicy, reserve_held: int | None = None) -> MsrFigures:
    """Intake or release for the TNAC published in `year`. The release is capped by what the reserve
    holds when that is known."""
    policy.validate()
    intake, release, rule = 0, 0, "no intake or release"
    in_band = policy.band_from_year is not None and year >= policy.band_from_year
    if tnac_value > policy.upper_threshold:
        if in_band and tnac_value <= policy.band_top:
            intake, rule = tnac_value - policy.upper_threshold, "TNAC minus the upper threshold (band)"
        else:
            exact = Decimal(tnac_value) * policy.intake_rate
            intake = int(exact.to_integral_value(rounding=ROUND_HALF_UP))
            rule = f"{policy.intake_rate * 100:f} % of the TNAC"
    elif tnac_value < policy.lower_threshold:
        release = policy.release if reserve_held is None else min(policy.release, reserve_held)
        rule = "release below the lower threshold"
    amount = intake or release
    share, extra = divmod(amount, policy.months)
    monthly = tuple(share + (1 if m < extra else 0) for m in range(policy.months))
    return MsrFigures(year, tnac_value, intake, release, rule, monthly)


@dataclass(frozen=True, slots=True)
class ScenarioYear:
    year: int
    cap: int
    auctioned: int
    emissions: int
    tnac: int
    intake: int
    release: int
    reserve: int


def scenario(
    start_year: int,
    caps: Sequence[int],
    free_allocation: Sequence[int],
    emissions: Sequence[int],
    policy: MsrPolicy,
    *,
    opening_tnac: int = 0,
    opening_reserve: int = 0,
) -> list[ScenarioYear]:
    """Run the policy over several years: each year's auction volume (cap - free allocation) loses
    the intake decided on the previous year's TNAC and gains its release; the TNAC grows by what
    was put into circulation less emissions. The intake of a year is applied in full in the next
    year (the 12-month period is not split across calendar years here)."""
    if not (len(caps) == len(free_allocation) == len(emissions)):
        raise ValidationFailed([Problem("caps, free allocation and emissions need one value per year", field="years")])
    out: list[ScenarioYear] = []
    circulating, reserve = opening_tnac, opening_reserve
    pending_intake, pending_release = 0, 0
    for i, (cap, free, emitted) in enumerate(zip(caps, free_allocation, emissions, strict=True)):
        year = start_year + i
        auctioned = max(0, cap - free - pending_intake) + pending_release
        reserve += pending_intake - pending_release
        circulating = circulating + free + auctioned - emitted
        found = figures(year + 1, circulating, policy, reserve)
        out.append(ScenarioYear(year, cap, auctioned, emitted, circulating, found.intake, found.release, reserve))
        pending_intake = min(found.intake, max(0, caps[i + 1] - free_allocation[i + 1])) if i + 1 < len(caps) else 0
        pending_release = found.release
    return out


@dataclass(frozen=True, slots=True)
class CalendarChange:
    """An intake taken out of (or a release added to) scheduled auctions."""

    changes: tuple[tuple[str, int], ...]  # (auction id, volume change): negative intake, positive release
    applied: int  # allowances taken out of the calendar (intake) or added to it (release)
    not_applied: int  # what could not be placed in whole lots inside the period (stays where it is)


def apply_to_calendar(
    monthly: Sequence[int], auctions: Sequence[tuple[str, int, int]], lot_size: int, *, release: bool
) -> CalendarChange:
    """Spread the monthly parts of an intake (or release) over the scheduled auctions of the period.

    `auctions` are (id, month index inside the period, volume) in calendar order. Each month's part,
    plus what earlier months could not place, is split in whole lots (auction volumes are whole
    lots, Regulation (EU) 2023/2830) evenly over that month's auctions, the extra lots to the
    earliest; an intake never takes an auction below zero. What is left after the last month (less
    than a lot, or more when the auctions ran out of volume) is not applied: the reserve gains only
    what was taken (Decision (EU) 2015/1814 Art. 1(5): the intake comes out of the volumes to be
    auctioned over 12 months)."""
    if lot_size <= 0:
        raise ValidationFailed([Problem("must be positive", field="lot_size")])
    by_month: dict[int, list[tuple[str, int]]] = {}
    for auction_id, month, volume in auctions:
        if 0 <= month < len(monthly):
            by_month.setdefault(month, []).append((auction_id, volume))
    changes: list[tuple[str, int]] = []
    carry = 0
    for month, part in enumerate(monthly):
        target = part + carry
        found = by_month.get(month, [])
        if not found:
            carry = target
            continue
        share, extra = divmod(target // lot_size, len(found))
        placed = 0
        for k, (auction_id, volume) in enumerate(found):
            wanted = (share + (1 if k < extra else 0)) * lot_size
            moved = wanted if release else min(wanted, volume - volume % lot_size)
            if moved:
                changes.append((auction_id, moved if release else -moved))
            placed += moved
        carry = target - placed
    applied = sum(abs(d) for _, d in changes)
    assert applied + carry == sum(monthly), "every allowance of the intake is either applied or not"
    return CalendarChange(tuple(changes), applied, carry)
