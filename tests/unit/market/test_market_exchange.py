"""The exchange's reservations: cash held for buys and units held for sells always equal what the
open orders and unsettled trades need; nobody sells units or spends cash they do not have; bands,
block size and sessions refuse orders before anything is held."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.market.exchange import Exchange
from carbonbridge.domain.market.rules import ExchangeRules

RULES = ExchangeRules("CN", "CNY", "Asia/Shanghai", fee_bp=7, block_minimum=1_000)
OPEN = dt.datetime(2026, 3, 3, 10, 0)  # a Tuesday, in the morning session
PEOPLE = ["p1", "p2", "p3"]


def _exchange() -> Exchange:
    return Exchange("CN-AL-2025", RULES, 6000, {p: 2_000_000 for p in PEOPLE}, {p: 300 for p in PEOPLE})


class Reservations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.x = _exchange()
        self.n = 0
        self.start_cash = sum(self.x.cash_available.values())

    @rule(
        who=st.sampled_from(PEOPLE),
        side=st.sampled_from(Side),
        kind=st.sampled_from(OrderType),
        price=st.integers(5300, 6700),
        quantity=st.integers(1, 200),
    )
    def place(self, who: str, side: Side, kind: OrderType, price: int, quantity: int) -> None:
        self.n += 1
        before = (dict(self.x.held_cash), dict(self.x.held_units))
        try:
            self.x.place(f"o{self.n}", who, side, kind, quantity, None if kind is OrderType.MARKET else price, OPEN)
        except RuleViolation as exc:
            assert exc.code in {"M04_OUTSIDE_BAND", "C11_INSUFFICIENT_FUNDS", "M10_INSUFFICIENT_UNITS"}
            assert (self.x.held_cash, self.x.held_units) == before  # nothing held for a refused order

    @precondition(lambda self: self.x.orders)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from(sorted(self.x.orders.values(), key=lambda o: o.order_id)))
        self.x.cancel(order.order_id, order.participant)

    @precondition(lambda self: self.x.orders)
    @rule(data=st.data())
    def reduce(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from(sorted(self.x.orders.values(), key=lambda o: o.order_id)))
        self.x.reduce(order.order_id, order.participant, data.draw(st.integers(1, order.remaining)))

    @rule()
    def settle(self) -> None:
        self.x.settled(list(self.x.trades))

    @rule()
    def close(self) -> None:
        self.x.close_session()
        assert not self.x.orders and not self.x.book.resting()

    @invariant()
    def holds_equal_the_needs_of_open_orders_and_unsettled_trades(self) -> None:
        cash, units = self.x.needs()
        assert {k: v for k, v in self.x.held_cash.items() if v} == {k: v for k, v in cash.items() if v}
        assert {k: v for k, v in self.x.held_units.items() if v} == {k: v for k, v in units.items() if v}
        for p in PEOPLE:
            assert self.x.free_cash(p) >= 0 and self.x.free_units(p) >= 0
        assert sum(self.x.units_available.values()) == 900  # units only change hands
        assert sorted(o.id for o in self.x.book.resting()) == sorted(self.x.orders)


TestReservations = Reservations.TestCase
TestReservations.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_refuses_orders_outside_the_band_of_ten_percent_around_the_previous_close() -> None:
    x = _exchange()
    assert RULES.band(6000) == (5400, 6600)
    with pytest.raises(RuleViolation, match="M04"):
        x.place("a", "p1", Side.BUY, OrderType.LIMIT, 10, 6601, OPEN)
    x.place("b", "p1", Side.BUY, OrderType.LIMIT, 10, 6600, OPEN)  # at the band limit: admitted


def test_refuses_naked_selling_block_sizes_and_orders_outside_the_sessions() -> None:
    x = _exchange()
    with pytest.raises(RuleViolation, match="M10"):
        x.place("a", "p1", Side.SELL, OrderType.LIMIT, 301, 6000, OPEN)
    with pytest.raises(RuleViolation, match="M05"):
        x.place("b", "p1", Side.BUY, OrderType.LIMIT, 1_000, 6000, OPEN)
    with pytest.raises(RuleViolation, match="M07"):
        x.place("c", "p1", Side.BUY, OrderType.LIMIT, 1, 6000, dt.datetime(2026, 3, 3, 12, 0))  # lunch break
    with pytest.raises(RuleViolation, match="M07"):
        x.place("d", "p1", Side.BUY, OrderType.LIMIT, 1, 6000, dt.datetime(2026, 3, 7, 10, 0))  # Saturday


def test_block_trades_only_in_the_afternoon_within_thirty_percent() -> None:
    afternoon = dt.datetime(2026, 3, 3, 14, 0)
    RULES.check_block(1_000, 7800, 6000, afternoon)
    with pytest.raises(RuleViolation, match="M04"):
        RULES.check_block(1_000, 7801, 6000, afternoon)
    with pytest.raises(RuleViolation, match="M07"):
        RULES.check_block(1_000, 6000, 6000, OPEN)
