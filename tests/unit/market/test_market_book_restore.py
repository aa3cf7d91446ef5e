"""A book rebuilt from stored open orders: `restore` rests without matching and refuses a crossing
order; an exchange restored from the open orders of another equals it (orders, priority, holds);
`forget_trades` leaves held only what the open orders need."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.market.book import OrderBook, OrderType, Side
from carbonbridge.domain.market.exchange import Exchange, OpenOrder
from carbonbridge.domain.market.rules import ExchangeRules

RULES = ExchangeRules("CN", "CNY", "Asia/Shanghai", fee_bp=7, block_minimum=1_000)
OPEN = dt.datetime(2026, 3, 3, 10, 0)  # a Tuesday, in the morning session


def test_restore_rests_in_the_order_given_and_refuses_a_crossing_or_repeated_order() -> None:
    book = OrderBook()
    book.restore("b1", Side.BUY, 100, 5, "p1")
    book.restore("b2", Side.BUY, 100, 7, "p2")
    book.restore("s1", Side.SELL, 101, 3, "p3")
    assert [(o.id, o.remaining) for o in book.resting()] == [("b1", 5), ("b2", 7), ("s1", 3)]
    with pytest.raises(ValueError, match="cross"):
        book.restore("s2", Side.SELL, 100, 1, "p3")
    with pytest.raises(Conflict):
        book.restore("b1", Side.BUY, 99, 1, "p1")
    outcome = book.submit("s3", Side.SELL, OrderType.LIMIT, 6, 100, "p3")
    assert [(f.maker_order_id, f.quantity) for f in outcome.fills] == [("b1", 5), ("b2", 1)]


def test_an_exchange_restored_from_the_open_orders_equals_the_one_that_took_them() -> None:
    live = Exchange("CN-AL-2025", RULES, 6000, {"p1": 10**9, "p2": 10**9}, {"p1": 500, "p2": 500})
    live.place("a", "p1", Side.BUY, OrderType.LIMIT, 40, 5990, OPEN)
    live.place("b", "p2", Side.SELL, OrderType.LIMIT, 30, 6010, OPEN)
    live.place("c", "p2", Side.BUY, OrderType.LIMIT, 20, 5990, OPEN)
    placed = live.place("d", "p1", Side.SELL, OrderType.LIMIT, 25, 5990, OPEN)
    assert placed.stp_cancelled == ("a",) and placed.rested == 5  # p1's own bid out, c filled, 5 rest
    live.forget_trades()
    assert {k: v for k, v in live.held_cash.items() if v} == live.needs()[0]
    rebuilt = Exchange("CN-AL-2025", RULES, 6000, {}, {})
    for o in live.book.resting():
        rebuilt.restore(OpenOrder(o.id, str(o.owner), o.side, o.price, o.remaining))
    assert rebuilt.book.resting() == live.book.resting()
    assert {k: v for k, v in rebuilt.held_cash.items() if v} == {k: v for k, v in live.held_cash.items() if v}
    assert {k: v for k, v in rebuilt.held_units.items() if v} == {k: v for k, v in live.held_units.items() if v}
