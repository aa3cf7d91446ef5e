"""The order book in plain Python: the implementation the product used before the compiled core
(book.OrderBook over fastbook), kept as the reference the core is tested against operation by
operation (tests/unit/market/test_market_book_model.py) and as a baseline of the benchmark. Same public
API and results as book.OrderBook.

Prices are integer minor units, quantities integer units. Each price level is a FIFO queue;
the best level of each side is found through a heap of level prices (a price is pushed when its
level is created and popped lazily once the level is gone). A cancelled order is marked dead
and skipped when it reaches the head of its queue, so a cancel is O(1).
"""

from __future__ import annotations

import heapq
from collections import deque

from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.market.book import Fill, OrderType, Outcome, RestingOrder, Side, StpMode


class _Order:
    __slots__ = ("id", "live", "owner", "price", "remaining", "side")

    def __init__(self, order_id: str, owner: str | None, side: Side, price: int, remaining: int) -> None:
        self.id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.remaining = remaining
        self.live = True


class PlainOrderBook:
    """One instrument's book in plain Python. Not thread-safe: one sequencer feeds it."""

    def __init__(self, *, tick: int = 1, stp: StpMode = StpMode.NONE) -> None:
        if tick <= 0:
            raise ValueError("tick must be positive")
        self.tick = tick
        self.stp = stp
        self._levels: tuple[dict[int, deque[_Order]], dict[int, deque[_Order]]] = ({}, {})
        self._level_qty: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self._heaps: tuple[list[int], list[int]] = ([], [])  # bids store -price, asks price
        self._orders: dict[str, _Order] = {}

    # -- queries -------------------------------------------------------------------------------
    def best(self, side: Side) -> int | None:
        i = 0 if side is Side.BUY else 1
        heap, levels = self._heaps[i], self._levels[i]
        while heap:
            price = -heap[0] if i == 0 else heap[0]
            if price in levels:
                return price
            heapq.heappop(heap)
        return None

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        """The best `levels` price levels of a side with their total quantity."""
        i = 0 if side is Side.BUY else 1
        prices = sorted(self._level_qty[i], reverse=(i == 0))[:levels]
        return [(p, self._level_qty[i][p]) for p in prices]

    def resting(self) -> list[RestingOrder]:
        """Every live resting order, in priority order per side (bids first)."""
        out: list[RestingOrder] = []
        for i in (0, 1):
            for price in sorted(self._levels[i], reverse=(i == 0)):
                out += [
                    RestingOrder(o.id, o.owner, o.side, o.price, o.remaining) for o in self._levels[i][price] if o.live
                ]
        return out

    def order(self, order_id: str) -> RestingOrder | None:
        o = self._orders.get(order_id)
        return RestingOrder(o.id, o.owner, o.side, o.price, o.remaining) if o is not None else None

    def __len__(self) -> int:
        return len(self._orders)

    # -- commands ------------------------------------------------------------------------------
    def submit(
        self,
        order_id: str,
        side: Side,
        order_type: OrderType,
        quantity: int,
        price: int | None = None,
        owner: str | None = None,
    ) -> Outcome:
        """Match an incoming order. `price` is the limit (for a market order: its protection price,
        None for none). Raises RuleViolation for an invalid order, Conflict for a live duplicate id."""
        if quantity <= 0:
            raise RuleViolation("M01_INVALID_QUANTITY", f"order {order_id}: quantity must be positive")
        if order_type is not OrderType.MARKET and price is None:
            raise RuleViolation("M02_INVALID_PRICE", f"order {order_id}: a {order_type.value} order needs a price")
        if price is not None and (price <= 0 or price % self.tick):
            raise RuleViolation(
                "M03_OFF_TICK", f"order {order_id}: price {price} is not a positive multiple of {self.tick}"
            )
        if order_id in self._orders:
            raise Conflict(f"order {order_id} is already in the book")
        buy = side is Side.BUY
        if order_type is OrderType.FOK and self._fillable(side, price, owner) < quantity:
            return Outcome((), 0, quantity)
        fills, remaining, stopped, stp_cancelled = self._match(order_id, side, price, quantity, owner)
        if remaining and order_type is OrderType.LIMIT and not stopped:
            assert price is not None
            self._rest(_Order(order_id, owner, Side.BUY if buy else Side.SELL, price, remaining))
            return Outcome(tuple(fills), remaining, 0, tuple(stp_cancelled))
        return Outcome(tuple(fills), 0, remaining, tuple(stp_cancelled))

    def restore(self, order_id: str, side: Side, price: int, remaining: int, owner: str | None = None) -> None:
        """Put back an order that rested before (a book rebuilt from stored open orders, fed in
        priority order): it joins the back of its level without matching. A book at rest is never
        crossed, so an order that would cross the other side is a corrupt input: ValueError."""
        if remaining <= 0 or price <= 0 or price % self.tick:
            raise ValueError(f"order {order_id}: cannot rest {remaining} at {price}")
        if order_id in self._orders:
            raise Conflict(f"order {order_id} is already in the book")
        other = self.best(Side.SELL if side is Side.BUY else Side.BUY)
        if other is not None and (price >= other if side is Side.BUY else price <= other):
            raise ValueError(f"order {order_id} at {price} would cross the book at {other}")
        self._rest(_Order(order_id, owner, side, price, remaining))

    def cancel(self, order_id: str) -> int:
        """Remove a resting order; returns the quantity it still had."""
        o = self._orders.pop(order_id, None)
        if o is None:
            raise NotFound(f"order {order_id} is not resting in the book")
        self._kill(o)
        return o.remaining

    def amend(self, order_id: str, quantity: int | None = None, price: int | None = None) -> Outcome:
        """A size reduction at the same price keeps the order's place in the queue; a new price or a
        larger size is a cancel and a new order (it loses priority and may trade at once)."""
        o = self._orders.get(order_id)
        if o is None:
            raise NotFound(f"order {order_id} is not resting in the book")
        new_qty = o.remaining if quantity is None else quantity
        new_price = o.price if price is None else price
        if new_qty <= 0:
            raise RuleViolation("M01_INVALID_QUANTITY", f"order {order_id}: quantity must be positive")
        if new_price == o.price and new_qty <= o.remaining:
            i = 0 if o.side is Side.BUY else 1
            self._level_qty[i][o.price] -= o.remaining - new_qty
            o.remaining = new_qty
            return Outcome((), new_qty, 0)
        self.cancel(order_id)
        return self.submit(order_id, o.side, OrderType.LIMIT, new_qty, new_price, o.owner)

    # -- internals -----------------------------------------------------------------------------
    def _rest(self, o: _Order) -> None:
        i = 0 if o.side is Side.BUY else 1
        levels = self._levels[i]
        queue = levels.get(o.price)
        if queue is None:
            queue = levels[o.price] = deque()
            self._level_qty[i][o.price] = 0
            heapq.heappush(self._heaps[i], -o.price if i == 0 else o.price)
        queue.append(o)
        self._level_qty[i][o.price] += o.remaining
        self._orders[o.id] = o

    def _kill(self, o: _Order) -> None:
        i = 0 if o.side is Side.BUY else 1
        o.live = False
        left = self._level_qty[i][o.price] - o.remaining
        if left:
            self._level_qty[i][o.price] = left
        else:  # the level holds only dead orders now: drop it (its heap entry goes lazily)
            del self._level_qty[i][o.price]
            del self._levels[i][o.price]

    def _fillable(self, side: Side, limit: int | None, owner: str | None) -> int:
        """Quantity the opposite side offers within `limit`, not counting the owner's own orders
        when self-trade prevention is on."""
        i = 1 if side is Side.BUY else 0
        total = 0
        for price, queue in self._levels[i].items():
            if limit is not None and (price > limit if side is Side.BUY else price < limit):
                continue
            if self.stp is StpMode.NONE or owner is None:
                total += self._level_qty[i][price]
            else:
                total += sum(o.remaining for o in queue if o.live and o.owner != owner)
        return total

    def _match(
        self, order_id: str, side: Side, limit: int | None, quantity: int, owner: str | None
    ) -> tuple[list[Fill], int, bool, list[tuple[str, int]]]:
        i = 1 if side is Side.BUY else 0
        levels, qty = self._levels[i], self._level_qty[i]
        fills: list[Fill] = []
        stp_cancelled: list[tuple[str, int]] = []
        remaining = quantity
        while remaining:
            best = self.best(Side.SELL if i == 1 else Side.BUY)
            if best is None or (limit is not None and (best > limit if i == 1 else best < limit)):
                break
            queue = levels[best]
            while remaining and queue:
                maker = queue[0]
                if not maker.live:
                    queue.popleft()
                    continue
                if owner is not None and maker.owner == owner and self.stp is not StpMode.NONE:
                    if self.stp is StpMode.CANCEL_INCOMING:
                        return fills, remaining, True, stp_cancelled
                    stp_cancelled.append((maker.id, maker.remaining))
                    del self._orders[maker.id]
                    queue.popleft()
                    self._kill(maker)
                    if best not in levels:
                        break
                    continue
                traded = min(remaining, maker.remaining)
                fills.append(Fill(order_id, maker.id, best, traded, side, owner, maker.owner))
                remaining -= traded
                maker.remaining -= traded
                if maker.remaining == 0:
                    queue.popleft()
                    maker.live = False
                    del self._orders[maker.id]
                left = qty[best] - traded
                if left:
                    qty[best] = left
                else:
                    del qty[best]
                    del levels[best]
                    break
        return fills, remaining, False, stp_cancelled
