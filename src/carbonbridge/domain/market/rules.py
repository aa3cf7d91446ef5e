"""Exchange rules per jurisdiction: tick, price bands around the previous close for listing and
block trades, block size, trading sessions, holidays, fees, self-trade prevention.

Source of the CN defaults: Shanghai Environment and Energy Exchange, trading rules of the national
carbon emission allowance market (2021): listing agreement trades (挂牌协议交易) of less than
100,000 t within +/-10 % of the previous closing price; block agreement trades (大宗协议交易) from
100,000 t within +/-30 %; sessions 9:30-11:30 and 13:00-15:00, block trades 13:00-15:00; the
closing price is the volume-weighted average price of the day's listing trades. The BY values are
this project's proposal (no Belarusian exchange rules exist yet): see data/market/BY.toml, read by
adapters/market_config.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from carbonbridge.domain.errors import RuleViolation
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
