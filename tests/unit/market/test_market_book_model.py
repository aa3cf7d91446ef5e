"""The product's order book (book.OrderBook over the compiled core, fastbook) against the plain
Python book it replaced (plainbook.PlainOrderBook), operation by operation, over random sequences
of every kind of command: limit, market with and without a protection price, IOC, FOK, cancel,
amend (reduce, same size, increase, new price), restore, duplicate and unknown ids, several owners
and no owner, under every self-trade prevention mode and two tick sizes. After each step: the same
outcome (fills in order, rested, cancelled, STP cancellations) or the same error, the same resting
orders in priority order, best prices and depth, and a book that is not crossed. Prices range
widely enough to move and grow the core's price window."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.market.book import OrderBook, OrderType, Side, StpMode
from carbonbridge.domain.market.fastbook import MAX_WIDTH
from carbonbridge.domain.market.plainbook import PlainOrderBook

OWNERS = st.sampled_from(["a", "b", "c", None])
# mostly a narrow band around 100 ticks (deep levels, many crossings), sometimes far away (the window
# of the core moves and doubles)
TICKS = st.one_of(st.integers(95, 105), st.integers(95, 105), st.integers(1, 2_000))


def _same(got: object, expected: object) -> None:
    assert got == expected, f"compiled {got!r} != plain {expected!r}"


def _both(call_compiled, call_plain):  # type: ignore[no-untyped-def]
    """Run a command on both books: the same result, or the same kind of error with the same code."""
    try:
        expected = call_plain()
    except (RuleViolation, Conflict, NotFound, ValueError) as exc:
        with pytest.raises(type(exc)) as raised:
            call_compiled()
        if isinstance(exc, RuleViolation):
            assert isinstance(raised.value, RuleViolation) and raised.value.code == exc.code
        return None
    got = call_compiled()
    _same(got, expected)
    return got


class CompiledAgainstPlain(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.book = OrderBook()
        self.plain = PlainOrderBook()
        self.ids: list[str] = []

    @initialize(stp=st.sampled_from(StpMode), tick=st.sampled_from([1, 5]))
    def open_books(self, stp: StpMode, tick: int) -> None:
        self.book = OrderBook(tick=tick, stp=stp)
        self.plain = PlainOrderBook(tick=tick, stp=stp)

    def _new_id(self) -> str:
        self.n += 1
        self.ids.append(f"o{self.n}")
        return f"o{self.n}"

    @rule(
        side=st.sampled_from(Side),
        kind=st.sampled_from(OrderType),
        ticks=TICKS,
        protected=st.booleans(),
        quantity=st.integers(1, 40),
        owner=OWNERS,
        off_tick=st.integers(0, 20),
    )
    def submit(
        self, side: Side, kind: OrderType, ticks: int, protected: bool, quantity: int, owner: str | None, off_tick: int
    ) -> None:
        price: int | None = ticks * self.book.tick + (1 if off_tick == 0 and self.book.tick > 1 else 0)
        if kind is OrderType.MARKET and not protected:
            price = None
        order_id = self._new_id()
        got = _both(
            lambda: self.book.submit(order_id, side, kind, quantity, price, owner),
            lambda: self.plain.submit(order_id, side, kind, quantity, price, owner),
        )
        if got is not None:
            assert sum(f.quantity for f in got.fills) + got.rested + got.cancelled == quantity

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), kind=st.sampled_from(OrderType), owner=OWNERS)
    def reuse_an_id(self, data: st.DataObject, kind: OrderType, owner: str | None) -> None:
        """An id in the book is a conflict; one that left the book may be used again."""
        order_id = data.draw(st.sampled_from(self.ids))
        _both(
            lambda: self.book.submit(order_id, Side.BUY, kind, 3, 100 * self.book.tick, owner),
            lambda: self.plain.submit(order_id, Side.BUY, kind, 3, 100 * self.plain.tick, owner),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(self.ids))
        _both(lambda: self.book.cancel(order_id), lambda: self.plain.cancel(order_id))

    @precondition(lambda self: self.ids)
    @rule(
        data=st.data(),
        change=st.sampled_from(["reduce", "same", "increase", "price", "price_and_size", "nothing"]),
        ticks=TICKS,
    )
    def amend(self, data: st.DataObject, change: str, ticks: int) -> None:
        resting = self.plain.resting()
        order_id = data.draw(st.sampled_from([o.id for o in resting] + self.ids[-1:]))
        current = self.plain.order(order_id)
        quantity: int | None = None
        price: int | None = None
        left = current.remaining if current is not None else 5
        if change == "reduce":
            quantity = data.draw(st.integers(1, left))
        elif change == "same":
            quantity = left
        elif change == "increase":
            quantity = left + data.draw(st.integers(1, 20))
        elif change in ("price", "price_and_size"):
            price = ticks * self.book.tick
            if change == "price_and_size":
                quantity = data.draw(st.integers(1, 40))
        _both(
            lambda: self.book.amend(order_id, quantity, price),
            lambda: self.plain.amend(order_id, quantity, price),
        )

    @rule(side=st.sampled_from(Side), ticks=TICKS, quantity=st.integers(1, 40), owner=OWNERS)
    def restore(self, side: Side, ticks: int, quantity: int, owner: str | None) -> None:
        order_id = self._new_id()
        price = ticks * self.book.tick
        _both(
            lambda: self.book.restore(order_id, side, price, quantity, owner),
            lambda: self.plain.restore(order_id, side, price, quantity, owner),
        )

    @invariant()
    def same_book_and_not_crossed(self) -> None:
        _same(self.book.resting(), self.plain.resting())
        _same(len(self.book), len(self.plain))
        for side in Side:
            _same(self.book.best(side), self.plain.best(side))
            _same(self.book.depth(side, 3), self.plain.depth(side, 3))
        bid, ask = self.book.best(Side.BUY), self.book.best(Side.SELL)
        assert bid is None or ask is None or bid < ask
        for o in self.plain.resting()[:3]:
            _same(self.book.order(o.id), o)


TestCompiledAgainstPlain = CompiledAgainstPlain.TestCase
TestCompiledAgainstPlain.settings = settings(
    max_examples=250, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_an_amendment_off_the_tick_is_refused_and_leaves_the_order_in_place() -> None:
    """The one intended difference from the plain book, which cancelled the order first and then
    refused the new price (the order was gone although the command failed)."""
    book = OrderBook(tick=5)
    book.submit("s1", Side.SELL, OrderType.LIMIT, 10, 100)
    book.submit("s2", Side.SELL, OrderType.LIMIT, 10, 100)
    with pytest.raises(RuleViolation, match="M03"):
        book.amend("s1", price=101)
    with pytest.raises(RuleViolation, match="M01"):
        book.amend("s1", quantity=0)
    assert [(o.id, o.remaining) for o in book.resting()] == [("s1", 10), ("s2", 10)]


def test_the_price_window_grows_moves_and_refuses_a_span_beyond_its_limit() -> None:
    book = OrderBook()
    book.submit("low", Side.BUY, OrderType.LIMIT, 1, 10)
    book.submit("high", Side.SELL, OrderType.LIMIT, 1, 10 + 100_000)  # the window doubles around both
    assert book.best(Side.BUY) == 10 and book.best(Side.SELL) == 100_010
    with pytest.raises(RuleViolation, match="M13"):
        book.submit("far", Side.SELL, OrderType.LIMIT, 1, 10 + MAX_WIDTH)
    assert [o.id for o in book.resting()] == ["low", "high"] and book.order("far") is None
    book.cancel("low")
    book.cancel("high")
    book.submit("far", Side.SELL, OrderType.LIMIT, 1, 10**15)  # an empty book just moves its window
    out = book.submit("buy", Side.BUY, OrderType.MARKET, 2, None)
    assert [(f.maker_order_id, f.price) for f in out.fills] == [("far", 10**15)] and out.cancelled == 1
