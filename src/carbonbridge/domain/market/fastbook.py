"""A compiled matching core over arrays (numba when installed, plain Python otherwise): the same
price-time priority as book.OrderBook for limit orders, market orders and cancels, on integer
order ids 0..capacity-1 and prices in ticks 0..ticks-1. It is the benchmark's fast path and is
tested fill-for-fill against OrderBook; STP, IOC, FOK and amendments stay in OrderBook.

State: orders[id] = (quantity, price, side, next, prev, live); levels[side, field, tick] with the
head, tail and quantity of each FIFO level (a doubly linked list through the orders); best[0] the
best bid tick (-1: none), best[1] the best ask tick (ticks: none). Fills go to fills[n] =
(taker, maker, tick, quantity), count[0] of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt


def _plain(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    return lambda f: f


_njit: Callable[..., Any]
try:
    from numba import njit as _compiled

    _njit, COMPILED = _compiled, True
except ImportError:  # pragma: no cover - numba is an optional speed-up
    _njit, COMPILED = _plain, False


Array = npt.NDArray[np.int64]
ADD_BUY, ADD_SELL, CANCEL, MARKET_BUY, MARKET_SELL = 0, 1, 2, 3, 4
QTY, PRICE, SIDE, NEXT, PREV, LIVE = 0, 1, 2, 3, 4, 5
HEAD, TAIL, LQTY = 0, 1, 2


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _unlink(orders: Array, levels: Array, best: Array, oid: int, ticks: int) -> None:
    side, price = orders[oid, SIDE], orders[oid, PRICE]
    prev, nxt = orders[oid, PREV], orders[oid, NEXT]
    if prev >= 0:
        orders[prev, NEXT] = nxt
    else:
        levels[side, HEAD, price] = nxt
    if nxt >= 0:
        orders[nxt, PREV] = prev
    else:
        levels[side, TAIL, price] = prev
    orders[oid, LIVE] = 0
    levels[side, LQTY, price] -= orders[oid, QTY]
    if levels[side, LQTY, price] == 0 and best[side] == price:
        if side == 0:
            p = price
            while p >= 0 and levels[0, LQTY, p] == 0:
                p -= 1
            best[0] = p
        else:
            p = price
            while p < ticks and levels[1, LQTY, p] == 0:
                p += 1
            best[1] = p


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _rest(orders: Array, levels: Array, best: Array, oid: int, side: int, price: int, qty: int) -> None:
    orders[oid, QTY], orders[oid, PRICE], orders[oid, SIDE] = qty, price, side
    orders[oid, NEXT], orders[oid, LIVE] = -1, 1
    tail = levels[side, TAIL, price]
    orders[oid, PREV] = tail
    if tail >= 0:
        orders[tail, NEXT] = oid
    else:
        levels[side, HEAD, price] = oid
    levels[side, TAIL, price] = oid
    levels[side, LQTY, price] += qty
    if side == 0 and price > best[0]:
        best[0] = price
    if side == 1 and price < best[1]:
        best[1] = price


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _match(
    orders: Array,
    levels: Array,
    best: Array,
    fills: Array,
    count: Array,
    taker: int,
    side: int,
    limit: int,
    qty: int,
    ticks: int,
) -> int:
    other = 1 - side
    while qty > 0:
        price = best[other]
        if side == 0 and (price >= ticks or price > limit):
            break
        if side == 1 and (price < 0 or price < limit):
            break
        maker = levels[other, HEAD, price]
        traded = min(qty, orders[maker, QTY])
        n = count[0]
        fills[n, 0], fills[n, 1], fills[n, 2], fills[n, 3] = taker, maker, price, traded
        count[0] = n + 1
        qty -= traded
        if traded == orders[maker, QTY]:
            _unlink(orders, levels, best, maker, ticks)
        else:
            orders[maker, QTY] -= traded
            levels[other, LQTY, price] -= traded
    return qty


@_njit(cache=True)  # type: ignore[untyped-decorator]
def run(
    ops: Array, start: int, end: int, orders: Array, levels: Array, best: Array, fills: Array, count: Array
) -> None:
    """Apply ops[start:end]: rows (kind, order id, tick, quantity)."""
    ticks = levels.shape[2]
    for i in range(start, end):
        kind, oid, price, qty = ops[i, 0], ops[i, 1], ops[i, 2], ops[i, 3]
        if kind == CANCEL:
            if orders[oid, LIVE] == 1:
                _unlink(orders, levels, best, oid, ticks)
        elif kind == ADD_BUY or kind == ADD_SELL:  # noqa: SIM109 - plain comparisons compile in numba
            side = 0 if kind == ADD_BUY else 1
            left = _match(orders, levels, best, fills, count, oid, side, price, qty, ticks)
            if left > 0:
                _rest(orders, levels, best, oid, side, price, left)
        else:
            side = 0 if kind == MARKET_BUY else 1
            _match(orders, levels, best, fills, count, oid, side, ticks - 1 if side == 0 else 0, qty, ticks)


class FastBook:
    """Arrays of one book. The compiled code does not check bounds, so `load` checks the whole
    operations array first: ids below the capacity, each id added once, ticks in range, positive
    quantities. Fills are bounded by 2 x capacity (a fill either empties a resting order, at most
    one per order id, or completes its taker, at most one per operation carrying an id)."""

    def __init__(self, capacity: int, ticks: int) -> None:
        self.capacity, self.ticks = capacity, ticks
        self.orders = np.zeros((capacity, 6), dtype=np.int64)
        self.levels = np.full((2, 3, ticks), -1, dtype=np.int64)
        self.levels[:, LQTY, :] = 0
        self.best = np.array([-1, ticks], dtype=np.int64)
        self.fills = np.zeros((2 * capacity, 4), dtype=np.int64)
        self.count = np.zeros(1, dtype=np.int64)
        self.ops: Array = np.zeros((0, 4), dtype=np.int64)

    def load(self, ops: Array) -> None:
        kinds, ids, ticks, qty = ops[:, 0], ops[:, 1], ops[:, 2], ops[:, 3]
        if ((kinds < 0) | (kinds > MARKET_SELL)).any() or ((ids < 0) | (ids >= self.capacity)).any():
            raise ValueError("operation kinds 0-4 and ids below the capacity")
        adds = (kinds == ADD_BUY) | (kinds == ADD_SELL)
        if ((ticks[adds] < 0) | (ticks[adds] >= self.ticks)).any() or (qty[kinds != CANCEL] <= 0).any():
            raise ValueError("ticks within the book and positive quantities")
        carrying = ids[kinds != CANCEL]
        if len(np.unique(carrying)) != len(carrying):
            raise ValueError("each order id is used by one order")
        self.ops = np.ascontiguousarray(ops, dtype=np.int64)

    def run(self, start: int, end: int) -> None:
        """Apply loaded operations start..end-1."""
        run(self.ops, start, end, self.orders, self.levels, self.best, self.fills, self.count)

    def fill_rows(self) -> Array:
        result: Array = self.fills[: int(self.count[0])]
        return result
