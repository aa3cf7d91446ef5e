"""Market data: daily open, high, low, close (the VWAP of the day's trades) and volume."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from carbonbridge.domain.market.rules import vwap


@dataclass(frozen=True, slots=True)
class TradePrint:
    day: dt.date
    seq: int
    price: int
    quantity: int
    block: bool = False


@dataclass(frozen=True, slots=True)
class DailyBar:
    day: dt.date
    open: int
    high: int
    low: int
    last: int
    close: int  # VWAP of the day's listing trades (SEEE rule); of all trades if there were only blocks
    volume: int
    turnover: int
    trades: int


def daily_bars(prints: Sequence[TradePrint]) -> list[DailyBar]:
    by_day: dict[dt.date, list[TradePrint]] = {}
    for p in sorted(prints, key=lambda p: (p.day, p.seq)):
        by_day.setdefault(p.day, []).append(p)
    bars = []
    for day, items in sorted(by_day.items()):
        listing = [(p.price, p.quantity) for p in items if not p.block] or [(p.price, p.quantity) for p in items]
        close = vwap(listing)
        assert close is not None
        prices = [p.price for p in items]
        bars.append(
            DailyBar(
                day,
                items[0].price,
                max(prices),
                min(prices),
                items[-1].price,
                close,
                sum(p.quantity for p in items),
                sum(p.price * p.quantity for p in items),
                len(items),
            )
        )
    return bars
