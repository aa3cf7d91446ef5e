"""The exchange as a long-running service sees it: one open trading day per instrument in this
process, opened on first use (an exchange's matching is one sequencer, so the market pages are
served by one worker). Opening after a restart expires the orders left open (`recover`) first."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.market.exchange import Placed
from carbonbridge.services.market.exchange import TradingDay, recover
from carbonbridge.services.market.settlement import jurisdiction_of
from carbonbridge.services.registry_transactions import Sessions


class Desk:
    """The trading days of this process, by instrument; each command runs under one lock."""

    def __init__(self, sessions: Sessions, clock: Callable[[], dt.datetime]) -> None:
        self.sessions, self.clock = sessions, clock
        self._days: dict[str, TradingDay] = {}
        self._lock = threading.Lock()

    def _day(self, instrument: str) -> TradingDay:
        now = self.clock()
        today = now.astimezone(ZoneInfo(load_market_config(jurisdiction_of(instrument)).timezone)).date()
        found = self._days.get(instrument)
        if found is not None and found.day == today:
            return found
        try:
            opened = TradingDay(self.sessions, instrument, today)
        except RuleViolation as exc:
            if exc.code != "M12_OPEN_ORDERS_LEFT":
                raise
            recover(self.sessions, instrument, now=now)  # a restart: yesterday's or a crashed day's orders expire
            opened = TradingDay(self.sessions, instrument, today)
        self._days[instrument] = opened
        return opened

    def place(
        self,
        order_id: str,
        participant: str,
        instrument: str,
        side: Side,
        kind: OrderType,
        quantity: int,
        price: int | None,
    ) -> Placed:
        with self._lock:
            return self._day(instrument).place(order_id, participant, side, kind, quantity, price, self.clock())

    def cancel(self, order_id: str, participant: str, instrument: str) -> int:
        with self._lock:
            return self._day(instrument).cancel(order_id, participant, self.clock())

    def depth(self, instrument: str, levels: int = 5) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Bids and offers: the best `levels` prices with their quantities."""
        with self._lock:
            book = self._day(instrument).x.book
            return book.depth(Side.BUY, levels), book.depth(Side.SELL, levels)

    def band(self, instrument: str) -> tuple[int | None, int | None]:
        with self._lock:
            x = self._day(instrument).x
            return x.rules.band(x.previous_close) if x.previous_close is not None else (None, None)
