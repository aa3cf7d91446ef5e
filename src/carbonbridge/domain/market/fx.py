"""Money across the border: the official BYN/CNY rate as dated data, the business day it is fixed
on, and conversion between the currencies in whole minor units.

Sources:
- National Bank of the Republic of Belarus (NBRB), official exchange rates: each rate is quoted
  for a scale (`Cur_Scale`) of foreign units - CNY per 10 - so `Cur_OfficialRate` is BYN per
  10 CNY; its API (api.nbrb.by/exrates/rates) answers objects with `Cur_Abbreviation`,
  `Cur_Scale`, `Cur_OfficialRate` and `Date`. The rate of a date is the one in force that day.
- Western Climate Initiative joint auctions of California and Quebec (the joint Auction Notices
  and "Auction Examples" documents of the California Cap-and-Trade Program and the Quebec
  Cap-and-Trade System): one auction currency; bids in the other currency are converted at the
  Auction Exchange Rate, the Bank of Canada rate of the business day before the auction, to whole
  cents.
  The rounding directions below are this project's choice within that rule (check them against
  the current Auction Notice): a bid converts DOWN (it never counts for more than the bidder
  offered); a price to pay converts HALF UP (nearest minor unit); since a converted bid of at
  least the clearing price means the bidder's own price is at least the clearing price converted
  back, no winner pays more per unit than it bid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed

NBRB = "National Bank of the Republic of Belarus, official rate (NBRB API shape)"
MAX_LOOKBACK_DAYS = 366


class Rounding(StrEnum):
    DOWN = "down"  # bids: never more than offered
    HALF_UP = "half_up"  # prices to pay: nearest minor unit, halves up


_MODES = {Rounding.DOWN: ROUND_FLOOR, Rounding.HALF_UP: ROUND_HALF_UP}


@dataclass(frozen=True, slots=True)
class OfficialRate:
    """`rate` units of `base` (BYN) buy `scale` units of `currency` (CNY) on `on`."""

    on: dt.date
    currency: str
    base: str
    scale: int
    rate: Decimal
    source: str

    @property
    def per_unit(self) -> Decimal:
        """BYN per one CNY (exact: a Decimal division by the scale)."""
        return self.rate / self.scale


def convert_minor(amount_minor: int, source: str, target: str, rate: OfficialRate, rounding: Rounding) -> int:
    """`amount_minor` of `source` in whole minor units of `target`. Both currencies have 100 minor
    units, so minor converts to minor at the same ratio as major to major:
    base = foreign x rate / scale; foreign = base x scale / rate."""
    if source == target:
        return amount_minor
    if (source, target) == (rate.currency, rate.base):
        exact = Decimal(amount_minor) * rate.rate / Decimal(rate.scale)
    elif (source, target) == (rate.base, rate.currency):
        exact = Decimal(amount_minor) * Decimal(rate.scale) / rate.rate
    else:
        raise ValidationFailed([Problem(f"the rate {rate.currency}/{rate.base} cannot convert {source} to {target}")])
    return int(exact.to_integral_value(rounding=_MODES[rounding]))


@dataclass(frozen=True, slots=True)
class Calendar:
    """Business days of one jurisdiction: not a weekend day, not a listed public holiday."""

    jurisdiction: str
    holidays: frozenset[dt.date]
    weekend: frozenset[int] = frozenset({5, 6})
    source: str = ""

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays


def orthodox_easter(year: int) -> dt.date:
    """Orthodox Easter Sunday as a Gregorian date: Meeus's Julian Easter algorithm, then the
    Julian-Gregorian difference (13 days from 1900 to 2099). 2025: 20 April; 2026: 12 April."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    return dt.date(year, month, day + 1) + dt.timedelta(days=year // 100 - year // 400 - 2)


def radunitsa(year: int) -> dt.date:
    """Radunitsa, a public holiday in Belarus: the 9th day after Orthodox Easter (a Tuesday)."""
    return orthodox_easter(year) + dt.timedelta(days=9)


MOVABLE_HOLIDAYS = {"radunitsa": radunitsa}
"""Holidays computed per year, named in a calendar's `movable` list (data/link/money-BY-CN.toml)."""


def fixing_date(auction_date: dt.date, calendars: Iterable[Calendar]) -> dt.date:
    """The business day before the auction: the latest earlier day that is a business day in every
    jurisdiction of the auction (both must be open to fix and publish the rate)."""
    wanted = tuple(calendars)
    day = auction_date
    for _ in range(MAX_LOOKBACK_DAYS):
        day -= dt.timedelta(days=1)
        if all(c.is_business_day(day) for c in wanted):
            return day
    raise ValidationFailed([Problem(f"no business day within a year before {auction_date}", field="calendar")])


def rate_on(rates: Sequence[OfficialRate], day: dt.date, currency: str) -> OfficialRate:
    """The official rate of `currency` dated `day`; none is NotFound (no fallback to an older rate:
    the auction notice names the day)."""
    for r in rates:
        if r.on == day and r.currency == currency:
            return r
    raise NotFound(f"no official {currency} rate dated {day.isoformat()}: import the NBRB rates first")


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10]) if len(value) in (10, 19) else None
    except ValueError:
        return None


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() and found > 0 else None


def parse_nbrb(
    records: object, file: str, *, currency: str = "CNY", base: str = "BYN", source: str = NBRB
) -> list[OfficialRate]:
    """Rates of `currency` from a list of NBRB rate objects (other currencies are skipped); every
    problem is collected with its record number and field. Two different rates for one date are
    an error; an exact repeat is kept once."""
    if not isinstance(records, list):
        raise ValidationFailed([Problem("expected a JSON list of NBRB rate objects", file)])
    problems: list[Problem] = []
    found: dict[dt.date, OfficialRate] = {}
    for n, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            problems.append(Problem("not an object", file, line=n))
            continue
        if record.get("Cur_Abbreviation") != currency:
            continue
        rate = _parse_record(record, file, n, currency, base, source, problems)
        if rate is None:
            continue
        before = found.get(rate.on)
        if before is not None and before.rate / before.scale != rate.rate / rate.scale:
            problems.append(Problem(f"a second, different rate for {rate.on}", file, line=n, field="Cur_OfficialRate"))
        found.setdefault(rate.on, rate)
    if problems:
        raise ValidationFailed(problems)
    return sorted(found.values(), key=lambda r: r.on)


def _parse_record(
    record: Mapping[str, Any], file: str, n: int, currency: str, base: str, source: str, problems: list[Problem]
) -> OfficialRate | None:
    on = _date(record.get("Date"))
    scale = record.get("Cur_Scale")
    value = _decimal(record.get("Cur_OfficialRate"))
    bad = len(problems)
    if on is None:
        problems.append(Problem("not a date (YYYY-MM-DD or YYYY-MM-DDT00:00:00)", file, line=n, field="Date"))
    if isinstance(scale, bool) or not isinstance(scale, int) or scale <= 0:
        problems.append(Problem("must be a positive whole number of units", file, line=n, field="Cur_Scale"))
    if value is None:
        problems.append(Problem("must be a positive number", file, line=n, field="Cur_OfficialRate"))
    if len(problems) > bad or on is None or value is None or not isinstance(scale, int):
        return None
    return OfficialRate(on, currency, base, scale, value, source)
