"""The matching core of the order book, compiled with numba when it is installed (the optional
`fast` extra) and run as the same plain Python otherwise. `book.OrderBook` is a facade over it:
every order the product matches goes through `_apply` below.

Semantics (those of a continuous double auction with price-time priority): limit orders rest what
they cannot fill; market orders fill up to an optional protection price and cancel the rest; IOC
is a limit order whose rest is cancelled; FOK fills its whole quantity at once within its limit or
does nothing (the quantity it can reach counts neither orders beyond the limit nor, with self-trade
prevention on, its owner's own orders); cancel; amend (a smaller size at the same price keeps the
order's place, a new price or a larger size is a cancel and a new limit order that may trade at
once); restore (an order rested before joins the back of its level without matching). Self-trade
prevention is a mode of the book: none, cancel the resting order of the same owner (and go on), or
cancel the rest of the incoming order. Owner -1 is "no owner" and never self-trades.

Everything is an integer: order ids are slots 0..capacity-1, owners 0.. (or -1), prices are ticks.
Levels live in a dense window of ticks [base, base + width); the arrays grow by doubling (order
slots, the price window, the output buffers) when an operation needs it: the compiled code stops
before such an operation with the reason in meta[STOP], the Python side grows and resumes.

State:
- orders[slot] = (quantity, price - base, side, next, prev, live, owner): each level is a doubly
  linked FIFO list through its orders;
- levels[side, field, price - base] with fields head, tail, total quantity;
- meta: best bid and best ask (offsets; -1 and width mean none), the number of non-empty levels per
  side, base, STP mode, fills and STP cancellations written, live orders, stop reason.
Outputs: fills[n] = (operation, taker, maker, price in ticks, quantity, maker's owner, 1 if the
fill emptied the maker); stp[n] = (operation, resting slot cancelled, its quantity);
results[operation] = (rested, cancelled, status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

# operation kinds; an operation is a row (kind, side, slot, price in ticks, quantity, owner)
LIMIT, MARKET, IOC, FOK, CANCEL, AMEND, RESTORE = 0, 1, 2, 3, 4, 5, 6
KIND, OP_SIDE, SLOT, OP_PRICE, OP_QTY, OWNER_OF = 0, 1, 2, 3, 4, 5
BUY, SELL = 0, 1
NO_PRICE = 0  # a market order without protection; every other price is >= 1 tick
# self-trade prevention modes
STP_NONE, STP_CANCEL_RESTING, STP_CANCEL_INCOMING = 0, 1, 2
# order fields
QTY, PRICE, SIDE, NEXT, PREV, LIVE, OWNER = 0, 1, 2, 3, 4, 5, 6
ORDER_FIELDS = 7
FILL_FIELDS = 7  # operation, taker, maker, price, quantity, maker's owner, maker emptied
# level fields
HEAD, TAIL, LQTY = 0, 1, 2
# meta fields: BEST + side, NLEV + side
BEST, NLEV, BASE, STP, NFILLS, NSTPS, NLIVE, STOP = 0, 2, 4, 5, 6, 7, 8, 9
META_FIELDS = 10
# stop reasons (0: done)
NEED_SLOTS, NEED_TICKS, NEED_ROOM = 1, 2, 3
# result fields and statuses
RESTED, CANCELLED, STATUS = 0, 1, 2
OK, NOT_FOUND, CONFLICT, CROSSED = 0, 1, 2, 3

FAR = 1 << 62  # beyond every price offset: "no limit"
MAX_WIDTH = 1 << 21  # the widest price window (ticks between the lowest and highest resting price)


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _rescan(levels: Array, meta: Array, side: int, start: int) -> None:
    """A side's best level emptied: find the next non-empty one from `start` outwards."""
    width = levels.shape[2]
    if meta[NLEV + side] == 0:
        meta[BEST + side] = -1 if side == BUY else width
        return
    p = start
    if side == BUY:
        while p >= 0 and levels[BUY, LQTY, p] == 0:
            p -= 1
    else:
        while p < width and levels[SELL, LQTY, p] == 0:
            p += 1
    meta[BEST + side] = p


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _unlink(orders: Array, levels: Array, meta: Array, slot: int) -> None:
    side, price = orders[slot, SIDE], orders[slot, PRICE]
    prev, nxt = orders[slot, PREV], orders[slot, NEXT]
    if prev >= 0:
        orders[prev, NEXT] = nxt
    else:
        levels[side, HEAD, price] = nxt
    if nxt >= 0:
        orders[nxt, PREV] = prev
    else:
        levels[side, TAIL, price] = prev
    orders[slot, LIVE] = 0
    meta[NLIVE] -= 1
    left = levels[side, LQTY, price] - orders[slot, QTY]
    levels[side, LQTY, price] = left
    if left == 0:
        meta[NLEV + side] -= 1
        if meta[BEST + side] == price:
            _rescan(levels, meta, side, price)


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _rest(orders: Array, levels: Array, meta: Array, slot: int, side: int, price: int, qty: int, owner: int) -> None:
    orders[slot, QTY], orders[slot, PRICE], orders[slot, SIDE] = qty, price, side
    orders[slot, NEXT], orders[slot, LIVE], orders[slot, OWNER] = -1, 1, owner
    tail = levels[side, TAIL, price]
    orders[slot, PREV] = tail
    if tail >= 0:
        orders[tail, NEXT] = slot
    else:
        levels[side, HEAD, price] = slot
    levels[side, TAIL, price] = slot
    if levels[side, LQTY, price] == 0:
        meta[NLEV + side] += 1
    levels[side, LQTY, price] += qty
    meta[NLIVE] += 1
    if side == BUY and price > meta[BEST + BUY]:
        meta[BEST + BUY] = price
    if side == SELL and price < meta[BEST + SELL]:
        meta[BEST + SELL] = price


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _reaches(orders: Array, levels: Array, meta: Array, side: int, limit: int, owner: int, need: int) -> bool:
    """Whether the opposite side offers `need` within `limit` (an offset), not counting the owner's
    own orders when self-trade prevention is on: the fill-or-kill check."""
    other = 1 - side
    width = levels.shape[2]
    mine = meta[STP] != STP_NONE and owner >= 0
    left = meta[NLEV + other]
    total = 0
    p = meta[BEST + other]
    while left > 0 and 0 <= p < width and (p <= limit if side == BUY else p >= limit):
        if levels[other, LQTY, p] > 0:
            left -= 1
            if mine:
                o = levels[other, HEAD, p]
                while o >= 0:
                    if orders[o, OWNER] != owner:
                        total += orders[o, QTY]
                    o = orders[o, NEXT]
            else:
                total += levels[other, LQTY, p]
            if total >= need:
                return True
        p = p + 1 if side == BUY else p - 1
    return False


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _match(
    orders: Array,
    levels: Array,
    meta: Array,
    fills: Array,
    stp: Array,
    op: int,
    taker: int,
    side: int,
    limit: int,
    qty: int,
    owner: int,
) -> tuple[int, bool]:
    """Trade `qty` against the opposite side up to `limit` (an offset); returns what is left and
    whether self-trade prevention stopped the order."""
    other = 1 - side
    width = levels.shape[2]
    base = meta[BASE]
    mode = meta[STP] if owner >= 0 else STP_NONE
    while qty > 0:
        price = meta[BEST + other]
        if side == BUY and (price >= width or price > limit):
            break
        if side == SELL and (price < 0 or price < limit):
            break
        maker = levels[other, HEAD, price]
        if mode != STP_NONE and orders[maker, OWNER] == owner:
            if mode == STP_CANCEL_INCOMING:
                return qty, True
            n = meta[NSTPS]
            stp[n, 0], stp[n, 1], stp[n, 2] = op, maker, orders[maker, QTY]
            meta[NSTPS] = n + 1
            _unlink(orders, levels, meta, maker)
            continue
        traded = min(qty, orders[maker, QTY])
        n = meta[NFILLS]
        emptied = traded == orders[maker, QTY]
        fills[n, 0], fills[n, 1], fills[n, 2], fills[n, 3] = op, taker, maker, price + base
        fills[n, 4], fills[n, 5], fills[n, 6] = traded, orders[maker, OWNER], emptied
        meta[NFILLS] = n + 1
        qty -= traded
        if emptied:
            _unlink(orders, levels, meta, maker)
        else:
            orders[maker, QTY] -= traded
            levels[other, LQTY, price] -= traded
    return qty, False


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _submit(
    orders: Array,
    levels: Array,
    meta: Array,
    fills: Array,
    stp: Array,
    results: Array,
    op: int,
    kind: int,
    side: int,
    slot: int,
    price: int,
    qty: int,
    owner: int,
) -> None:
    """An incoming order at `price` ticks (a market order: its protection, or NO_PRICE)."""
    unlimited = kind == MARKET and price == NO_PRICE
    limit = (FAR if side == BUY else -FAR) if unlimited else price - meta[BASE]
    if kind == FOK and not _reaches(orders, levels, meta, side, limit, owner, qty):
        results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, qty, OK
        return
    left, stopped = _match(orders, levels, meta, fills, stp, op, slot, side, limit, qty, owner)
    if left > 0 and kind == LIMIT and not stopped:
        _rest(orders, levels, meta, slot, side, limit, left, owner)
        results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = left, 0, OK
    else:
        results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, left, OK


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _need(orders: Array, levels: Array, meta: Array, fills: Array, stp: Array, kind: int, slot: int, price: int) -> int:
    """What the arrays lack for this operation (0: nothing)."""
    if kind == CANCEL:
        return 0
    live = slot < orders.shape[0] and orders[slot, LIVE] == 1
    if kind == AMEND and not live:
        return 0
    if kind != AMEND and slot >= orders.shape[0]:
        return NEED_SLOTS
    if kind == LIMIT or kind == AMEND or kind == RESTORE:  # noqa: SIM109 - plain comparisons compile in numba
        offset = price - meta[BASE]
        if offset < 0 or offset >= levels.shape[2]:
            return NEED_TICKS
    room = meta[NLIVE] + 1
    if meta[NFILLS] + room > fills.shape[0] or meta[NSTPS] + room > stp.shape[0]:
        return NEED_ROOM
    return 0


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _apply(
    orders: Array,
    levels: Array,
    meta: Array,
    fills: Array,
    stp: Array,
    results: Array,
    op: int,
    kind: int,
    side: int,
    slot: int,
    price: int,
    qty: int,
    owner: int,
) -> None:
    """One operation; its outcome goes to results[op] and its fills and STP cancellations to the
    output buffers, tagged with `op`."""
    live = slot < orders.shape[0] and orders[slot, LIVE] == 1
    if kind == CANCEL:
        if live:
            left = orders[slot, QTY]
            _unlink(orders, levels, meta, slot)
            results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, left, OK
        else:
            results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, 0, NOT_FOUND
    elif kind == AMEND:
        if not live:
            results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, 0, NOT_FOUND
        elif price - meta[BASE] == orders[slot, PRICE] and qty <= orders[slot, QTY]:
            levels[orders[slot, SIDE], LQTY, orders[slot, PRICE]] -= orders[slot, QTY] - qty
            orders[slot, QTY] = qty
            results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = qty, 0, OK
        else:  # a cancel and a new limit order of the same side and owner: it loses its place
            side, owner = orders[slot, SIDE], orders[slot, OWNER]
            _unlink(orders, levels, meta, slot)
            _submit(orders, levels, meta, fills, stp, results, op, LIMIT, side, slot, price, qty, owner)
    elif live:
        results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, 0, CONFLICT
    elif kind == RESTORE:
        offset = price - meta[BASE]
        if (side == BUY and offset >= meta[BEST + SELL]) or (side == SELL and offset <= meta[BEST + BUY]):
            results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = 0, 0, CROSSED
        else:
            _rest(orders, levels, meta, slot, side, offset, qty, owner)
            results[op, RESTED], results[op, CANCELLED], results[op, STATUS] = qty, 0, OK
    else:
        _submit(orders, levels, meta, fills, stp, results, op, kind, side, slot, price, qty, owner)


@_njit(cache=True)  # type: ignore[untyped-decorator]
def run(
    ops: Array,
    start: int,
    end: int,
    orders: Array,
    levels: Array,
    meta: Array,
    fills: Array,
    stp: Array,
    results: Array,
) -> int:
    """Apply ops[start:end] (results row i for operation i). Returns `end`, or the index of the first
    operation the arrays lack room for (the reason in meta[STOP]); nothing of it has been applied."""
    for i in range(start, end):
        kind, slot, price = ops[i, KIND], ops[i, SLOT], ops[i, OP_PRICE]
        reason = _need(orders, levels, meta, fills, stp, kind, slot, price)
        if reason != 0:
            meta[STOP] = reason
            return i
        _apply(
            orders,
            levels,
            meta,
            fills,
            stp,
            results,
            i,
            kind,
            ops[i, OP_SIDE],
            slot,
            price,
            ops[i, OP_QTY],
            ops[i, OWNER_OF],
        )
    meta[STOP] = 0
    return end


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _step(
    orders: Array,
    levels: Array,
    meta: Array,
    fills: Array,
    stp: Array,
    out: Array,
    kind: int,
    side: int,
    slot: int,
    price: int,
    qty: int,
    owner: int,
) -> tuple[int, int, int, int, int, int]:
    """One operation called from Python (what OrderBook does per command): (stop reason, rested,
    cancelled, status, fills written, STP cancellations written); nothing is applied when the
    reason is not 0. The fills and STP cancellations start at row 0 of their buffers."""
    meta[NFILLS], meta[NSTPS] = 0, 0
    reason = _need(orders, levels, meta, fills, stp, kind, slot, price)
    if reason != 0:
        return reason, 0, 0, 0, 0, 0
    _apply(orders, levels, meta, fills, stp, out, 0, kind, side, slot, price, qty, owner)
    return 0, out[0, RESTED], out[0, CANCELLED], out[0, STATUS], meta[NFILLS], meta[NSTPS]


@_njit(cache=True)  # type: ignore[untyped-decorator]
def _priority(orders: Array, levels: Array, meta: Array, out: Array) -> int:
    """Live slots in priority order, bids (best first) then asks; returns how many."""
    n = 0
    width = levels.shape[2]
    for side in range(2):
        p = meta[BEST + side]
        while 0 <= p < width:
            o = levels[side, HEAD, p]
            while o >= 0:
                out[n] = o
                n += 1
                o = orders[o, NEXT]
            p = p - 1 if side == BUY else p + 1
    return n


def _state(slots: int, width: int, room: int, mode: int) -> tuple[Array, Array, Array, Array, Array]:
    orders = np.zeros((slots, ORDER_FIELDS), dtype=np.int64)
    levels = np.full((2, 3, width), -1, dtype=np.int64)
    levels[:, LQTY, :] = 0
    meta = np.zeros(META_FIELDS, dtype=np.int64)
    meta[BEST + BUY], meta[BEST + SELL], meta[STP] = -1, width, mode
    return orders, levels, meta, np.zeros((room, FILL_FIELDS), dtype=np.int64), np.zeros((room, 3), dtype=np.int64)


class PriceRangeError(ValueError):
    """The resting prices would span more ticks than the window may hold (MAX_WIDTH)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """What a batch of operations did: fills (operation, taker, maker, price in ticks, quantity,
    maker's owner, maker emptied)
    in the order they happened, STP cancellations (operation, resting slot, quantity), and per
    operation (rested, cancelled, status)."""

    fills: Array
    stp_cancelled: Array
    results: Array


class FastBook:
    """The arrays of one book and the Python side of the core: growth, one operation at a time
    (`step`, what OrderBook calls), or a whole array of operations (`run`, the batch entry point)."""

    def __init__(self, stp: int = STP_NONE, *, slots: int = 64, width: int = 256) -> None:
        self.orders, self.levels, self.meta, self.fills, self.stp = _state(slots, width, slots + 1, stp)
        self.one: Array = np.zeros((1, 3), dtype=np.int64)

    @property
    def base(self) -> int:
        return int(self.meta[BASE])

    @property
    def width(self) -> int:
        return int(self.levels.shape[2])

    @property
    def live(self) -> int:
        return int(self.meta[NLIVE])

    def best(self, side: int) -> int | None:
        """Best price of a side in ticks, None when the side is empty."""
        offset = int(self.meta[BEST + side])
        return None if offset < 0 or offset >= self.width else offset + self.base

    def step(self, kind: int, side: int, slot: int, price: int, qty: int, owner: int) -> tuple[int, int, int, int, int]:
        """One operation; (rested, cancelled, status, fills, STP cancellations): its fills are
        self.fills[:fills] and its STP cancellations self.stp[:STP cancellations] until the next call."""
        while True:
            reason, rested, cancelled, status, fills, stp = _step(
                self.orders, self.levels, self.meta, self.fills, self.stp, self.one, kind, side, slot, price, qty, owner
            )
            if reason == 0:  # Python ints: without numba the plain code returns numpy scalars, which
                # the database drivers do not take as integers
                return int(rested), int(cancelled), int(status), int(fills), int(stp)
            self.grow(int(reason), slot, price)

    def run(self, ops: Array) -> Batch:
        """Apply an array of operations (rows kind, side, slot, price, quantity, owner) in order.
        The arrays are grown first for everything the batch can need, so the compiled loop runs
        through; ValueError for a row the core cannot take."""
        ops = np.ascontiguousarray(ops, dtype=np.int64)
        _check(ops)
        n = len(ops)
        results = np.zeros((n, 3), dtype=np.int64)
        self.meta[NFILLS] = self.meta[NSTPS] = 0
        self.reserve(ops)
        i = 0
        while i < n:
            i = run(ops, i, n, self.orders, self.levels, self.meta, self.fills, self.stp, results)
            if i < n:
                self.grow(int(self.meta[STOP]), int(ops[i, SLOT]), int(ops[i, OP_PRICE]))
        return Batch(self.fills[: int(self.meta[NFILLS])].copy(), self.stp[: int(self.meta[NSTPS])].copy(), results)

    def reserve(self, ops: Array) -> None:
        """Grow once for a batch: slots for every id it carries, the price window for every price at
        which it may rest. The output buffers double when the core stops for room (a bound on the
        fills of a whole batch, live + 2 x operations, would mostly be memory never written)."""
        if not len(ops):
            return
        self._slots(int(ops[:, SLOT].max()) + 1)
        rests = (ops[:, KIND] == LIMIT) | (ops[:, KIND] == AMEND) | (ops[:, KIND] == RESTORE)
        if rests.any():
            prices = ops[rests, OP_PRICE]
            self._window(int(prices.min()), int(prices.max()))

    def grow(self, reason: int, slot: int, price: int) -> None:
        """Make room for the operation the core stopped before (`reason`: meta[STOP])."""
        if reason == NEED_SLOTS:
            self._slots(slot + 1)
        elif reason == NEED_TICKS:
            self._window(price, price)
        elif reason == NEED_ROOM:
            self._room(int(self.meta[NFILLS]) + int(self.meta[NSTPS]) + self.live + 1)
        else:  # pragma: no cover - the core returns one of the three
            raise AssertionError(f"unknown stop reason {reason}")

    def _slots(self, needed: int) -> None:
        size = len(self.orders)
        if needed <= size:
            return
        while size < needed:
            size *= 2
        grown = np.zeros((size, ORDER_FIELDS), dtype=np.int64)
        grown[: len(self.orders)] = self.orders
        self.orders = grown

    def _room(self, needed: int) -> None:
        size = len(self.fills)
        if needed <= size:
            return
        while size < needed:
            size *= 2
        fills, stp = np.zeros((size, FILL_FIELDS), dtype=np.int64), np.zeros((size, 3), dtype=np.int64)
        fills[: len(self.fills)], stp[: len(self.stp)] = self.fills, self.stp
        self.fills, self.stp = fills, stp

    def _window(self, low: int, high: int) -> None:
        """Make ticks low..high fit the window: an empty book just moves it; otherwise it doubles
        until the resting levels and the new prices fit, the slack split around them."""
        base, width = self.base, self.width
        if low >= base and high < base + width:
            return
        if self.meta[NLEV + BUY] == 0 and self.meta[NLEV + SELL] == 0:
            while width < high - low + 1:
                width *= 2
            self._reset_window(low - (width - (high - low + 1)) // 2, width)
            return
        occupied = np.flatnonzero(self.levels[:, LQTY, :].any(axis=0))
        first, last = int(occupied[0]), int(occupied[-1])
        lo, hi = min(low, base + first), max(high, base + last)
        while width < hi - lo + 1:
            width *= 2
        if width > MAX_WIDTH:
            raise PriceRangeError(f"resting prices {lo} to {hi} ticks would span more than {MAX_WIDTH:,} ticks")
        new_base = lo - (width - (hi - lo + 1)) // 2
        shift = base - new_base
        levels = np.full((2, 3, width), -1, dtype=np.int64)
        levels[:, LQTY, :] = 0
        levels[:, :, first + shift : last + shift + 1] = self.levels[:, :, first : last + 1]
        live = self.orders[:, LIVE] == 1
        self.orders[live, PRICE] += shift
        best_bid, best_ask = int(self.meta[BEST + BUY]), int(self.meta[BEST + SELL])
        self.meta[BEST + BUY] = best_bid + shift if best_bid >= 0 else -1
        self.meta[BEST + SELL] = best_ask + shift if best_ask < self.width else width
        self.meta[BASE] = new_base
        self.levels = levels

    def _reset_window(self, base: int, width: int) -> None:
        if width > MAX_WIDTH:
            raise PriceRangeError(f"a price window of {width:,} ticks is wider than {MAX_WIDTH:,}")
        self.levels = np.full((2, 3, width), -1, dtype=np.int64)
        self.levels[:, LQTY, :] = 0
        self.meta[BASE], self.meta[BEST + BUY], self.meta[BEST + SELL] = base, -1, width

    def priority(self) -> Array:
        """Live slots in priority order: bids best first, then asks best first."""
        out = np.empty(self.live, dtype=np.int64)
        n = _priority(self.orders, self.levels, self.meta, out)
        result: Array = out[:n]
        return result


def _check(ops: Array) -> None:
    """The compiled code does not check bounds: refuse rows it could not run safely."""
    if ops.ndim != 2 or ops.shape[1] != 6:
        raise ValueError("operations are rows of (kind, side, slot, price, quantity, owner)")
    kinds, sides, slots = ops[:, KIND], ops[:, OP_SIDE], ops[:, SLOT]
    prices, qty, owners = ops[:, OP_PRICE], ops[:, OP_QTY], ops[:, OWNER_OF]
    if ((kinds < LIMIT) | (kinds > RESTORE)).any() or ((sides != BUY) & (sides != SELL)).any():
        raise ValueError(f"kinds {LIMIT}-{RESTORE} and sides {BUY}/{SELL}")
    if (slots < 0).any() or (owners < -1).any():
        raise ValueError("slots >= 0 and owners >= -1")
    orders = kinds != CANCEL
    if (qty[orders] <= 0).any():
        raise ValueError("positive quantities")
    priced = orders & (kinds != MARKET)
    if (prices[priced] <= 0).any() or (prices[kinds == MARKET] < 0).any():
        raise ValueError(f"prices >= 1 tick ({NO_PRICE}: a market order without protection)")
    if (np.abs(prices) >= FAR // 4).any():
        raise ValueError("prices below 2**60 ticks")
