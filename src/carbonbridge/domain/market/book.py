"""A continuous double auction for one instrument: price-time priority, limit, market (with a
price protection), IOC and FOK orders, cancel and amend, self-trade prevention, a tick size.

Prices are integer minor units, quantities integer units. `OrderBook` checks each command (tick,
quantity, duplicate or unknown ids) and hands it to the matching core, `fastbook.FastBook`
(compiled with numba when installed): order ids and owners become integer slots, prices become
ticks, and the core's fills become `Fill` records again. `plainbook.PlainOrderBook` is the same
book in plain Python, kept as the reference the core is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.market import fastbook as core
from carbonbridge.domain.market.money import MAX_MINOR

# The largest order the book takes. The core counts in 64-bit integers: a price level's total stays
# exact for up to 9 million orders of this size at one price (9.2e18 / 1e12).
MAX_QUANTITY = 10**12


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    LIMIT = "limit"  # rests what it cannot fill
    MARKET = "market"  # fills against anything up to its protection price, the rest is cancelled
    IOC = "ioc"  # immediate or cancel: a limit order whose rest is cancelled
    FOK = "fok"  # fill or kill: the whole quantity at once within the limit, or nothing


class StpMode(StrEnum):
    """Self-trade prevention: what happens when an order would trade with its own owner's order."""

    NONE = "none"
    CANCEL_RESTING = "cancel_resting"  # the resting order of the same owner is cancelled
    CANCEL_INCOMING = "cancel_incoming"  # the rest of the incoming order is cancelled


@dataclass(frozen=True, slots=True)
class Fill:
    taker_order_id: str
    maker_order_id: str
    price: int
    quantity: int
    taker_side: Side
    taker_owner: str | None = None
    maker_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one submission did: its fills in order, what rests, what was cancelled, and resting
    orders of the same owner that self-trade prevention cancelled."""

    fills: tuple[Fill, ...]
    rested: int
    cancelled: int
    stp_cancelled: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class RestingOrder:
    id: str
    owner: str | None
    side: Side
    price: int
    remaining: int


_STP = {StpMode.NONE: core.STP_NONE, StpMode.CANCEL_RESTING: core.STP_CANCEL_RESTING}
_STP[StpMode.CANCEL_INCOMING] = core.STP_CANCEL_INCOMING
_SIDES = (Side.BUY, Side.SELL)
# members bound once: reading an enum member off its class costs a lookup per command on Python 3.11
_BUY, _LIMIT, _MARKET, _IOC = Side.BUY, OrderType.LIMIT, OrderType.MARKET, OrderType.IOC


class OrderBook:
    """One instrument's book. Not thread-safe: one sequencer feeds it."""

    def __init__(self, *, tick: int = 1, stp: StpMode = StpMode.NONE) -> None:
        if tick <= 0:
            raise ValueError("tick must be positive")
        self.tick = tick
        self._stp = stp
        self.core = core.FastBook(_STP[stp])
        self._slot_of: dict[str, int] = {}  # resting order id -> its slot in the core
        self._id_of: list[str] = []  # slot -> the id of the order that holds (or last held) it
        self._free: list[int] = []  # slots no live order holds
        self._owner_no: dict[str, int] = {}
        self._owners: list[str] = []

    @property
    def stp(self) -> StpMode:
        return self._stp

    # -- queries -------------------------------------------------------------------------------
    def best(self, side: Side) -> int | None:
        price = self.core.best(0 if side is Side.BUY else 1)
        return None if price is None else price * self.tick

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        """The best `levels` price levels of a side with their total quantity."""
        i = 0 if side is Side.BUY else 1
        quantities = self.core.levels[i, core.LQTY]
        offsets = quantities.nonzero()[0]
        chosen = offsets[::-1][:levels] if i == 0 else offsets[:levels]
        base = self.core.base
        return [((base + int(p)) * self.tick, int(quantities[p])) for p in chosen]

    def resting(self) -> list[RestingOrder]:
        """Every live resting order, in priority order per side (bids first)."""
        return [self._resting(int(slot)) for slot in self.core.priority()]

    def order(self, order_id: str) -> RestingOrder | None:
        slot = self._slot_of.get(order_id)
        return None if slot is None else self._resting(slot)

    def __len__(self) -> int:
        return len(self._slot_of)

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
        self._check_quantity(order_id, quantity)
        if order_type is not _MARKET and price is None:
            raise RuleViolation("M02_INVALID_PRICE", f"order {order_id}: a {order_type.value} order needs a price")
        if price is not None:
            self._check_price(order_id, price)
        if order_id in self._slot_of:
            raise Conflict(f"order {order_id} is already in the book")
        slot = self._free.pop() if self._free else self._new_slot()
        self._id_of[slot] = order_id
        ticks = core.NO_PRICE if price is None else price // self.tick
        if order_type is _LIMIT:
            kind = core.LIMIT
        elif order_type is _MARKET:
            kind = core.MARKET
        else:
            kind = core.IOC if order_type is _IOC else core.FOK
        try:
            result = self.core.step(kind, 0 if side is _BUY else 1, slot, ticks, quantity, self._owner(owner))
        except core.PriceRangeError as exc:  # the price window would outgrow its limit: nothing was done
            self._free.append(slot)
            raise RuleViolation("M13_PRICE_RANGE", str(exc)) from exc
        return self._outcome(order_id, slot, side, owner, result)

    def restore(self, order_id: str, side: Side, price: int, remaining: int, owner: str | None = None) -> None:
        """Put back an order that rested before (a book rebuilt from stored open orders, fed in
        priority order): it joins the back of its level without matching. A book at rest is never
        crossed, so an order that would cross the other side is a corrupt input: ValueError."""
        if not 0 < remaining <= MAX_QUANTITY or not 0 < price < MAX_MINOR or price % self.tick:
            raise ValueError(f"order {order_id}: cannot rest {remaining} at {price}")
        if order_id in self._slot_of:
            raise Conflict(f"order {order_id} is already in the book")
        other = self.best(Side.SELL if side is Side.BUY else Side.BUY)
        if other is not None and (price >= other if side is Side.BUY else price <= other):
            raise ValueError(f"order {order_id} at {price} would cross the book at {other}")
        slot = self._free.pop() if self._free else self._new_slot()
        self._id_of[slot] = order_id
        try:
            status = self._step(
                core.RESTORE, 0 if side is Side.BUY else 1, slot, price // self.tick, remaining, self._owner(owner)
            )[2]
        except RuleViolation as exc:
            self._free.append(slot)
            raise ValueError(f"order {order_id}: {exc}") from exc
        if status != core.OK:  # the checks above make this unreachable unless the core and facade disagree
            self._free.append(slot)
            raise ValueError(f"order {order_id}: the core refused to rest it (status {status})")
        self._slot_of[order_id] = slot

    def cancel(self, order_id: str) -> int:
        """Remove a resting order; returns the quantity it still had."""
        slot = self._slot_of.pop(order_id, None)
        if slot is None:
            raise NotFound(f"order {order_id} is not resting in the book")
        _, cancelled, _, _, _ = self.core.step(core.CANCEL, 0, slot, 0, 0, -1)
        self._free.append(slot)
        return cancelled

    def amend(self, order_id: str, quantity: int | None = None, price: int | None = None) -> Outcome:
        """A size reduction at the same price keeps the order's place in the queue; a new price or a
        larger size is a cancel and a new order (it loses priority and may trade at once). An invalid
        amendment is refused with the order left as it was."""
        slot = self._slot_of.get(order_id)
        if slot is None:
            raise NotFound(f"order {order_id} is not resting in the book")
        orders = self.core.orders
        new_qty = int(orders[slot, core.QTY]) if quantity is None else quantity
        self._check_quantity(order_id, new_qty)
        if price is not None:
            self._check_price(order_id, price)
        ticks = self.core.base + int(orders[slot, core.PRICE]) if price is None else price // self.tick
        side = _SIDES[int(orders[slot, core.SIDE])]
        owner_no = int(orders[slot, core.OWNER])
        result = self._step(core.AMEND, 0, slot, ticks, new_qty, -1)
        del self._slot_of[order_id]  # back below if it rests
        return self._outcome(order_id, slot, side, None if owner_no < 0 else self._owners[owner_no], result)

    # -- internals -----------------------------------------------------------------------------
    def _check_quantity(self, order_id: str, quantity: int) -> None:
        if not 0 < quantity <= MAX_QUANTITY:
            raise RuleViolation(
                "M01_INVALID_QUANTITY", f"order {order_id}: quantity must be from 1 to {MAX_QUANTITY:,}, got {quantity}"
            )

    def _check_price(self, order_id: str, price: int) -> None:
        if price >= MAX_MINOR:
            raise RuleViolation("M02_INVALID_PRICE", f"order {order_id}: price {price} is beyond {MAX_MINOR - 1:,}")
        if price <= 0 or price % self.tick:
            raise RuleViolation(
                "M03_OFF_TICK", f"order {order_id}: price {price} is not a positive multiple of {self.tick}"
            )

    def _step(
        self, kind: int, side: int, slot: int, ticks: int, quantity: int, owner: int
    ) -> tuple[int, int, int, int, int]:
        try:
            return self.core.step(kind, side, slot, ticks, quantity, owner)
        except core.PriceRangeError as exc:  # the price window would outgrow its limit: nothing was done
            raise RuleViolation("M13_PRICE_RANGE", str(exc)) from exc

    def _new_slot(self) -> int:
        self._id_of.append("")
        return len(self._id_of) - 1

    def _owner(self, owner: str | None) -> int:
        if owner is None:
            return -1
        number = self._owner_no.get(owner)
        if number is None:
            number = self._owner_no[owner] = len(self._owners)
            self._owners.append(owner)
        return number

    def _outcome(
        self, order_id: str, slot: int, side: Side, owner: str | None, result: tuple[int, int, int, int, int]
    ) -> Outcome:
        """The core's last step as an Outcome; slots of orders that left the book are freed."""
        rested, cancelled, _, filled, stopped = result
        fills: tuple[Fill, ...] = ()
        free, slot_of = self._free, self._slot_of
        if filled:
            tick, owners, id_of = self.tick, self._owners, self._id_of
            made = []
            for _op, _taker, maker, price, qty, maker_owner, emptied in self.core.fills[:filled].tolist():
                maker_id = id_of[maker]
                made.append(
                    Fill(
                        order_id,
                        maker_id,
                        price * tick,
                        qty,
                        side,
                        owner,
                        None if maker_owner < 0 else owners[maker_owner],
                    )
                )
                if emptied:
                    del slot_of[maker_id]
                    free.append(maker)
            fills = tuple(made)
        stp: tuple[tuple[str, int], ...] = ()
        if stopped:
            id_of = self._id_of
            stp = tuple((id_of[maker], qty) for _op, maker, qty in self.core.stp[:stopped].tolist())
            for maker_id, _qty in stp:
                free.append(slot_of.pop(maker_id))
        if rested:
            slot_of[order_id] = slot
        else:
            free.append(slot)
        return Outcome(fills, rested, cancelled, stp)

    def _resting(self, slot: int) -> RestingOrder:
        qty, price, side, _next, _prev, _live, owner = self.core.orders[slot].tolist()
        return RestingOrder(
            self._id_of[slot],
            None if owner < 0 else self._owners[owner],
            _SIDES[side],
            (self.core.base + price) * self.tick,
            qty,
        )
