"""The order book against a plain reference book: identical fills for any stream of orders, never
a crossed book at rest; plus price-time priority, order types and amendments by hand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import MAX_QUANTITY, OrderBook, OrderType, Side, StpMode
from carbonbridge.domain.market.money import MAX_MINOR
from carbonbridge.domain.market.reference import ReferenceBook


def _fills(outcome):
    return [(f.taker_order_id, f.maker_order_id, f.price, f.quantity) for f in outcome]


class BookAgainstReference(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        stp = StpMode.CANCEL_RESTING
        self.book = OrderBook(tick=5, stp=stp)
        self.reference = ReferenceBook(stp=stp)
        self.n = 0

    @rule(
        side=st.sampled_from(Side),
        kind=st.sampled_from(OrderType),
        ticks=st.integers(18, 22),
        quantity=st.integers(1, 40),
        owner=st.sampled_from(["a", "b", "c"]),
    )
    def submit(self, side: Side, kind: OrderType, ticks: int, quantity: int, owner: str) -> None:
        self.n += 1
        order_id = f"o{self.n}"
        price = None if kind is OrderType.MARKET else ticks * 5
        got = self.book.submit(order_id, side, kind, quantity, price, owner)
        expected = self.reference.submit(order_id, side, kind, quantity, price, owner)
        assert _fills(got.fills) == _fills(expected)
        assert sum(f.quantity for f in got.fills) + got.rested + got.cancelled == quantity

    @precondition(lambda self: self.reference.entries)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(self.reference.entries))
        assert self.book.cancel(entry.id) == self.reference.cancel(entry.id)

    @precondition(lambda self: self.reference.entries)
    @rule(data=st.data())
    def reduce(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(self.reference.entries))
        quantity = data.draw(st.integers(1, entry.remaining))
        self.book.amend(entry.id, quantity)
        self.reference.amend(entry.id, quantity)

    @invariant()
    def same_resting_orders_and_not_crossed(self) -> None:
        got = sorted((o.id, o.price, o.remaining) for o in self.book.resting())
        assert got == sorted((e.id, e.price, e.remaining) for e in self.reference.entries)
        bid, ask = self.book.best(Side.BUY), self.book.best(Side.SELL)
        assert bid is None or ask is None or bid < ask


TestBookAgainstReference = BookAgainstReference.TestCase
TestBookAgainstReference.settings = settings(
    max_examples=150, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_price_then_time_priority_and_the_taker_trades_at_the_makers_price() -> None:
    book = OrderBook()
    book.submit("s1", Side.SELL, OrderType.LIMIT, 10, 101)
    book.submit("s2", Side.SELL, OrderType.LIMIT, 10, 100)
    book.submit("s3", Side.SELL, OrderType.LIMIT, 10, 100)
    out = book.submit("b", Side.BUY, OrderType.LIMIT, 25, 101)
    assert _fills(out.fills) == [("b", "s2", 100, 10), ("b", "s3", 100, 10), ("b", "s1", 101, 5)]
    assert book.order("s1").remaining == 5


def test_a_size_reduction_keeps_priority_and_an_increase_loses_it() -> None:
    book = OrderBook()
    book.submit("s1", Side.SELL, OrderType.LIMIT, 10, 100)
    book.submit("s2", Side.SELL, OrderType.LIMIT, 10, 100)
    book.amend("s1", 4)
    assert _fills(book.submit("b1", Side.BUY, OrderType.IOC, 5, 100).fills) == [
        ("b1", "s1", 100, 4),
        ("b1", "s2", 100, 1),
    ]
    book.submit("s3", Side.SELL, OrderType.LIMIT, 10, 100)
    book.amend("s2", 20)  # larger: goes behind s3
    assert _fills(book.submit("b2", Side.BUY, OrderType.IOC, 11, 100).fills) == [
        ("b2", "s3", 100, 10),
        ("b2", "s2", 100, 1),
    ]


def test_fill_or_kill_trades_all_or_nothing_and_ioc_never_rests() -> None:
    book = OrderBook()
    book.submit("s1", Side.SELL, OrderType.LIMIT, 10, 100)
    killed = book.submit("f", Side.BUY, OrderType.FOK, 11, 100)
    assert killed.fills == () and killed.cancelled == 11
    ioc = book.submit("i", Side.BUY, OrderType.IOC, 11, 100)
    assert ioc.cancelled == 1 and book.order("i") is None and book.best(Side.SELL) is None


def test_market_order_stops_at_its_protection_price() -> None:
    book = OrderBook()
    book.submit("s1", Side.SELL, OrderType.LIMIT, 5, 100)
    book.submit("s2", Side.SELL, OrderType.LIMIT, 5, 120)
    out = book.submit("m", Side.BUY, OrderType.MARKET, 10, 110)
    assert _fills(out.fills) == [("m", "s1", 100, 5)] and out.cancelled == 5


def test_self_trade_prevention_cancels_the_resting_order_of_the_same_owner() -> None:
    book = OrderBook(stp=StpMode.CANCEL_RESTING)
    book.submit("own", Side.SELL, OrderType.LIMIT, 5, 100, owner="x")
    book.submit("other", Side.SELL, OrderType.LIMIT, 5, 100, owner="y")
    out = book.submit("b", Side.BUY, OrderType.LIMIT, 5, 100, owner="x")
    assert _fills(out.fills) == [("b", "other", 100, 5)] and out.stp_cancelled == (("own", 5),)


def test_rejects_prices_off_the_tick_and_non_positive_quantities() -> None:
    book = OrderBook(tick=5)
    with pytest.raises(RuleViolation, match="M03"):
        book.submit("a", Side.BUY, OrderType.LIMIT, 1, 101)
    with pytest.raises(RuleViolation, match="M01"):
        book.submit("a", Side.BUY, OrderType.LIMIT, 0, 100)


@pytest.mark.parametrize(
    ("quantity", "price", "code"),
    [
        (MAX_QUANTITY + 1, 100, "M01"),
        (2**63, 100, "M01"),
        (-(2**70), 100, "M01"),
        (5, MAX_MINOR, "M02"),
        (5, 10**20, "M02"),
        (5, -(2**64), "M03"),
    ],
)
def test_values_beyond_the_cores_64_bit_integers_are_refused_and_leave_the_book_as_it_was(
    quantity: int, price: int, code: str
) -> None:
    """The matching core counts in 64-bit integers: what it cannot hold is a refusal, not an
    overflow deep in compiled code, and a later order still gets the slot and the price window."""
    book = OrderBook()
    book.submit("s", Side.SELL, OrderType.LIMIT, 5, 100)
    with pytest.raises(RuleViolation, match=code):
        book.submit("b", Side.BUY, OrderType.LIMIT, quantity, price)
    with pytest.raises(RuleViolation, match=code):
        book.amend("s", quantity, price)
    with pytest.raises(ValueError):
        book.restore("r", Side.BUY, price, quantity)
    assert [(o.id, o.price, o.remaining) for o in book.resting()] == [("s", 100, 5)]
    out = book.submit("b", Side.BUY, OrderType.LIMIT, MAX_QUANTITY, 100)
    assert out.fills[0].quantity == 5 and out.rested == MAX_QUANTITY - 5
