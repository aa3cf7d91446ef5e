"""Exchange rules per jurisdiction: tick, price bands around the previous close for listing and
block trades, block size, trading sessions, holidays, fees, self-trade prevention.

Source of the CN defaults: Shanghai Environment and Energy Exchange, trading rules of the national
carbon emission allowance market (2021): listing agreement trades (挂牌协议交易) of less than
100,000 t within +/-10 % of the previous closing price; block agreement trades (大宗协议交易) from
100,000 t within +/-30 %; sessions 9:30-11:30 and 13:00-15:00, block trades 13:00-15:00; the
closing price is the volume-weighted average price of the day's listing trades. The BY values are
this project's proposal (no Belarusian exchange rules exist yet): see data/market/BY.toml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from carbonbridge.domain.errors import Problem, RuleViolation, ValidationFailed
from carbonbridge.domain.market.book import StpMode


@dataclass(frozen=True, slots=True)
class TradingSession:
    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class ExchangeRules:
    jurisdiction: str
    currency: str
    timezone: str
    tick: int = 1  # minor units
    listing_band: Decimal = Decimal("0.10")
    block_band: Decimal = Decimal("0.30")
    block_minimum: int = 100_000
    sessions: tuple[TradingSession, ...] = (
        TradingSession(dt.time(9, 30), dt.time(11, 30)),
        TradingSession(dt.time(13, 0), dt.time(15, 0)),
    )
    block_sessions: tuple[TradingSession, ...] = (TradingSession(dt.time(13, 0), dt.time(15, 0)),)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({5, 6})
    fee_bp: int = 0  # per side, basis points of the notional
    stp: StpMode = StpMode.CANCEL_RESTING
    sources: tuple[str, ...] = ()

    def is_trading_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def is_open(self, local: dt.datetime, *, block: bool = False) -> bool:
        """`local` is a time in the jurisdiction's time zone."""
        sessions = self.block_sessions if block else self.sessions
        return self.is_trading_day(local.date()) and any(s.contains(local.time()) for s in sessions)

    def band(self, previous_close: int, *, block: bool = False) -> tuple[int, int]:
        """Lowest and highest admissible price (minor units, on the tick) around the previous close."""
        width = self.block_band if block else self.listing_band
        low = Decimal(previous_close) * (1 - width) / self.tick
        high = Decimal(previous_close) * (1 + width) / self.tick
        return (
            max(self.tick, int(low.to_integral_value(rounding=ROUND_CEILING)) * self.tick),
            int(high.to_integral_value(rounding=ROUND_FLOOR)) * self.tick,
        )

    def check_order_price(self, price: int, previous_close: int | None) -> None:
        if price % self.tick:
            raise RuleViolation("M03_OFF_TICK", f"price {price} is not a multiple of the tick {self.tick}")
        if previous_close is not None:
            low, high = self.band(previous_close)
            if not low <= price <= high:
                raise RuleViolation("M04_OUTSIDE_BAND", f"price {price} outside the band {low}-{high}")

    def check_listing_size(self, quantity: int) -> None:
        if quantity >= self.block_minimum:
            raise RuleViolation(
                "M05_BLOCK_SIZE",
                f"{quantity} t is a block trade size (from {self.block_minimum} t): trade it as a block",
            )

    def check_block(self, quantity: int, price: int, previous_close: int | None, local: dt.datetime) -> None:
        """A block trade: at least the block size, inside the wider band, in the block session."""
        if quantity < self.block_minimum:
            raise RuleViolation("M06_BLOCK_TOO_SMALL", f"a block trade is at least {self.block_minimum} t")
        if not self.is_open(local, block=True):
            raise RuleViolation("M07_MARKET_CLOSED", f"block trades only in the block session, not at {local}")
        if price % self.tick:
            raise RuleViolation("M03_OFF_TICK", f"price {price} is not a multiple of the tick {self.tick}")
        if previous_close is not None:
            low, high = self.band(previous_close, block=True)
            if not low <= price <= high:
                raise RuleViolation("M04_OUTSIDE_BAND", f"block price {price} outside the band {low}-{high}")


def vwap(trades: list[tuple[int, int]]) -> int | None:
    """Volume-weighted average of (price, quantity) pairs, rounded half up to a minor unit."""
    volume = sum(q for _, q in trades)
    if volume == 0:
        return None
    turnover = sum(p * q for p, q in trades)
    return int((Decimal(turnover) / Decimal(volume)).to_integral_value(rounding=ROUND_HALF_UP))


def _time(text: object, file: str, name: str, problems: list[Problem]) -> dt.time | None:
    if isinstance(text, dt.time):
        return text
    try:
        return dt.time.fromisoformat(str(text))
    except ValueError:
        problems.append(Problem(f"not a time: {text!r}", file, field=name))
        return None


def _sessions(value: object, file: str, name: str, problems: list[Problem]) -> tuple[TradingSession, ...]:
    out = []
    if not isinstance(value, list):
        problems.append(Problem("must be a list of [start, end] pairs", file, field=name))
        return ()
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            problems.append(Problem("each session is [start, end]", file, field=name))
            continue
        start, end = (_time(p, file, name, problems) for p in pair)
        if start is not None and end is not None:
            if start >= end:
                problems.append(Problem(f"session {start}-{end} ends before it starts", file, field=name))
            out.append(TradingSession(start, end))
    return tuple(out)


def parse_exchange_rules(
    jurisdiction: str, currency: str, timezone: str, data: Mapping[str, object], file: str
) -> ExchangeRules:
    """The `[exchange]` table of data/market/<J>.toml; every problem reported at once."""
    problems: list[Problem] = []
    known = {
        "tick",
        "listing_band",
        "block_band",
        "block_minimum",
        "sessions",
        "block_sessions",
        "holidays",
        "fee_bp",
        "stp",
        "sources",
        "weekend",
    }
    problems += [Problem("unknown setting", file, field=k) for k in data if k not in known]
    values: dict[str, object] = {}
    for name in ("tick", "block_minimum", "fee_bp"):
        if name in data:
            v = data[name]
            if not isinstance(v, int) or isinstance(v, bool) or v < (0 if name == "fee_bp" else 1):
                problems.append(Problem("must be a positive integer", file, field=name))
            else:
                values[name] = v
    for name in ("listing_band", "block_band"):
        if name in data:
            try:
                band = Decimal(str(data[name]))
            except ArithmeticError:
                band = Decimal(-1)
            if not Decimal(0) < band < 1:
                problems.append(Problem("must be a share between 0 and 1, e.g. 0.10", file, field=name))
            values[name] = band
    for name in ("sessions", "block_sessions"):
        if name in data:
            values[name] = _sessions(data[name], file, name, problems)
    holidays = data.get("holidays", [])
    if not isinstance(holidays, list) or not all(isinstance(d, dt.date) for d in holidays):
        problems.append(Problem("must be a list of dates", file, field="holidays"))
    else:
        values["holidays"] = frozenset(holidays)
    weekend = data.get("weekend", [5, 6])  # weekdays without trading, Monday 0
    if not isinstance(weekend, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in weekend):
        problems.append(Problem("must be a list of weekdays 0-6 (Monday 0)", file, field="weekend"))
    else:
        values["weekend"] = frozenset(weekend)
    if "stp" in data:
        try:
            values["stp"] = StpMode(str(data["stp"]))
        except ValueError:
            problems.append(Problem("must be none, cancel_resting or cancel_incoming", file, field="stp"))
    sources = data.get("sources", [])
    values["sources"] = tuple(str(s) for s in sources) if isinstance(sources, list) else ()
    if problems:
        raise ValidationFailed(problems)
    return ExchangeRules(jurisdiction, currency, timezone, **values)  # type: ignore[arg-type]
