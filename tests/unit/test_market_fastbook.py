"""The compiled matching core gives the same fills, fill for fill, as the order book for random
streams of limit orders, market orders and cancels; and refuses arrays it could not run safely."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.domain.market.book import OrderBook, OrderType, Side
from carbonbridge.domain.market.fastbook import ADD_BUY, ADD_SELL, CANCEL, MARKET_BUY, MARKET_SELL, FastBook

OPS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(90, 110), st.integers(1, 30), st.integers(0, 10**6)), max_size=120
)


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_compiled_core_fills_like_the_order_book(raw: list[tuple[int, int, int, int]]) -> None:
    rows, added = [], []
    for n, (kind, tick, qty, pick) in enumerate(raw):
        if kind == CANCEL:
            if not added:
                continue
            rows.append((CANCEL, added[pick % len(added)], 0, 0))
        else:
            rows.append((kind, n, tick, qty))
            if kind in (ADD_BUY, ADD_SELL):
                added.append(n)
    ops = np.array(rows, dtype=np.int64).reshape(-1, 4)
    fast = FastBook(capacity=max(len(raw), 1), ticks=200)
    fast.load(ops)
    fast.run(0, len(ops))
    book, expected = OrderBook(), []
    for kind, oid, tick, qty in rows:
        if kind == CANCEL:
            if book.order(str(oid)) is not None:
                book.cancel(str(oid))
            continue
        side = Side.BUY if kind in (ADD_BUY, MARKET_BUY) else Side.SELL
        if kind in (MARKET_BUY, MARKET_SELL):
            out = book.submit(str(oid), side, OrderType.MARKET, qty, None)
        else:
            out = book.submit(str(oid), side, OrderType.LIMIT, qty, tick)
        expected += [(int(f.taker_order_id), int(f.maker_order_id), f.price, f.quantity) for f in out.fills]
    assert [tuple(r) for r in fast.fill_rows().tolist()] == expected


def test_refuses_ids_beyond_the_capacity_and_reused_ids() -> None:
    fast = FastBook(capacity=4, ticks=10)
    with pytest.raises(ValueError):
        fast.load(np.array([[ADD_BUY, 4, 5, 1]], dtype=np.int64))
    with pytest.raises(ValueError):
        fast.load(np.array([[ADD_BUY, 1, 5, 1], [ADD_SELL, 1, 5, 1]], dtype=np.int64))
    with pytest.raises(ValueError):
        fast.load(np.array([[ADD_BUY, 1, 10, 1]], dtype=np.int64))
