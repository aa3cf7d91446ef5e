"""The exchange's pre-trade layer around one instrument's book: sessions, price bands, listing size,
and reservation of cash for buys and units for sells before an order reaches the book (no naked
selling, no buying without money). Trades wait here, with their cash and units still held, until
settlement takes them.

Cash held for an open buy order is `remaining x (limit + per-unit fee rounded up)`: linear in the
quantity, so a fill at the limit or better always consumes no more than its part of the hold
(the per-trade fee, rounded half up, never exceeds the quantity times the rounded-up unit fee).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from carbonbridge.domain.errors import NotFound, RuleViolation
from carbonbridge.domain.market.book import Fill, OrderBook, OrderType, Side
from carbonbridge.domain.market.money import amount_minor, fee_minor
from carbonbridge.domain.market.rules import ExchangeRules
from carbonbridge.domain.market.settlement import Trade


def unit_fee_ceiling(price: int, fee_bp: int) -> int:
    return -(-price * fee_bp // 10_000)


def cash_need(price: int, quantity: int, fee_bp: int) -> int:
    return quantity * (price + unit_fee_ceiling(price, fee_bp))


def trade_cash(price: int, quantity: int, fee_bp: int) -> int:
    """What the buyer of one trade pays: notional plus its fee (as settlement.net computes it)."""
    notional = amount_minor(price, quantity)
    return notional + fee_minor(notional, fee_bp)


@dataclass
class OpenOrder:
    order_id: str
    participant: str
    side: Side
    hold_price: int  # the limit, or a market order's protection price
    remaining: int


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: str
    fills: tuple[Fill, ...]
    trades: tuple[Trade, ...]
    rested: int
    cancelled: int
    stp_cancelled: tuple[str, ...] = ()  # resting orders of the same owner that self-trade prevention took out


@dataclass
class Exchange:
    instrument: str
    rules: ExchangeRules
    previous_close: int | None
    cash_available: dict[str, int]  # free cash per participant when the session opened
    units_available: dict[str, int]  # free units of the instrument per participant
    book: OrderBook = field(init=False)
    orders: dict[str, OpenOrder] = field(default_factory=dict)
    held_cash: dict[str, int] = field(default_factory=dict)
    held_units: dict[str, int] = field(default_factory=dict)
    due_cash: dict[str, int] = field(default_factory=dict)  # held for trades not yet settled
    due_units: dict[str, int] = field(default_factory=dict)
    trades: list[Trade] = field(default_factory=list)
    trade_seq: int = 0

    def __post_init__(self) -> None:
        self.book = OrderBook(tick=self.rules.tick, stp=self.rules.stp)

    def _add(self, book: dict[str, int], who: str, amount: int) -> None:
        book[who] = book.get(who, 0) + amount
        assert book[who] >= 0, f"negative hold for {who}"

    def free_cash(self, participant: str) -> int:
        return self.cash_available.get(participant, 0) - self.held_cash.get(participant, 0)

    def free_units(self, participant: str) -> int:
        return self.units_available.get(participant, 0) - self.held_units.get(participant, 0)

    def place(
        self,
        order_id: str,
        participant: str,
        side: Side,
        order_type: OrderType,
        quantity: int,
        price: int | None,
        local: dt.datetime,
    ) -> Placed:
        """Check, reserve, match. Raises RuleViolation (nothing reserved) when refused."""
        if not self.rules.is_open(local):
            raise RuleViolation("M07_MARKET_CLOSED", f"{self.instrument} is not trading at {local:%Y-%m-%d %H:%M}")
        self.rules.check_listing_size(quantity)
        if order_type is OrderType.MARKET:
            if self.previous_close is None:
                raise RuleViolation(
                    "M08_NO_REFERENCE_PRICE", "a market order needs a previous close for its protection"
                )
            low, high = self.rules.band(self.previous_close)
            hold_price = high if side is Side.BUY else low
            book_price: int | None = hold_price  # price protection: never beyond the band
        else:
            if price is None:
                raise RuleViolation("M02_INVALID_PRICE", f"a {order_type.value} order needs a price")
            self.rules.check_order_price(price, self.previous_close)
            hold_price = book_price = price
        if side is Side.BUY:
            need = cash_need(hold_price, quantity, self.rules.fee_bp)
            if need > self.free_cash(participant):
                raise RuleViolation(
                    "C11_INSUFFICIENT_FUNDS", f"{participant} needs {need}, has {self.free_cash(participant)}"
                )
            self._add(self.held_cash, participant, need)
        else:
            if quantity > self.free_units(participant):
                raise RuleViolation(
                    "M10_INSUFFICIENT_UNITS",
                    f"{participant} has {self.free_units(participant)} units free, sells {quantity}",
                )
            self._add(self.held_units, participant, quantity)
        self.orders[order_id] = OpenOrder(order_id, participant, side, hold_price, quantity)
        outcome = self.book.submit(order_id, side, order_type, quantity, book_price, owner=participant)
        for resting_id, left in outcome.stp_cancelled:
            self._release(resting_id, left)
        trades = [self._trade(f) for f in outcome.fills]
        if outcome.cancelled:
            self._release(order_id, outcome.cancelled)
        elif outcome.rested == 0:
            self.orders.pop(order_id, None)
        stp = tuple(resting_id for resting_id, _ in outcome.stp_cancelled)
        return Placed(order_id, outcome.fills, tuple(trades), outcome.rested, outcome.cancelled, stp)

    def restore(self, order: OpenOrder) -> None:
        """An open order of an earlier command back in the book with its hold (a book rebuilt from
        the stored orders): the hold is counted as already taken from the participant's free cash
        or units, so `cash_available`/`units_available` must include it."""
        self.book.restore(order.order_id, order.side, order.hold_price, order.remaining, order.participant)
        self.orders[order.order_id] = order
        if order.side is Side.BUY:
            need = cash_need(order.hold_price, order.remaining, self.rules.fee_bp)
            self._add(self.held_cash, order.participant, need)
        else:
            self._add(self.held_units, order.participant, order.remaining)

    def forget_trades(self) -> None:
        """Trades written elsewhere (a database) leave this exchange with their holds: what stays held
        is the open orders' needs only, as in an exchange rebuilt from its open orders."""
        for p, amount in self.due_cash.items():
            self._add(self.held_cash, p, -amount)
        for p, amount in self.due_units.items():
            self._add(self.held_units, p, -amount)
        self.due_cash.clear()
        self.due_units.clear()
        self.trades.clear()

    def block_trade(self, buyer: str, seller: str, quantity: int, price: int, local: dt.datetime) -> Trade:
        """A negotiated block trade: the block size, band and session checked, the buyer's cash and
        the seller's units held until settlement like any other trade."""
        self.rules.check_block(quantity, price, self.previous_close, local)
        if buyer == seller:
            raise RuleViolation("M11_SELF_TRADE", "a block trade needs two parties")
        paid = trade_cash(price, quantity, self.rules.fee_bp)
        if paid > self.free_cash(buyer):
            raise RuleViolation("C11_INSUFFICIENT_FUNDS", f"{buyer} needs {paid}, has {self.free_cash(buyer)}")
        if quantity > self.free_units(seller):
            raise RuleViolation("M10_INSUFFICIENT_UNITS", f"{seller} has {self.free_units(seller)} units free")
        for book, who, amount in (
            (self.held_cash, buyer, paid),
            (self.due_cash, buyer, paid),
            (self.held_units, seller, quantity),
            (self.due_units, seller, quantity),
        ):
            self._add(book, who, amount)
        self.trade_seq += 1
        trade = Trade(f"{self.instrument}-T{self.trade_seq}", self.instrument, buyer, seller, price, quantity)
        self.trades.append(trade)
        return trade

    def cancel(self, order_id: str, participant: str) -> int:
        found = self.orders.get(order_id)
        if found is None or found.participant != participant:
            raise NotFound(f"no open order {order_id} of {participant}")
        left = self.book.cancel(order_id)
        self._release(order_id, left)
        return left

    def reduce(self, order_id: str, participant: str, quantity: int) -> None:
        """Amend to a smaller size: keeps priority, releases the difference."""
        found = self.orders.get(order_id)
        if found is None or found.participant != participant:
            raise NotFound(f"no open order {order_id} of {participant}")
        if not 0 < quantity <= found.remaining:
            raise RuleViolation("M01_INVALID_QUANTITY", "an amendment here only reduces the size")
        self.book.amend(order_id, quantity)
        self._free(found, found.remaining - quantity)
        found.remaining = quantity

    def close_session(self) -> int:
        """Day orders expire at the end of the session: every open order is cancelled."""
        expired = 0
        for order_id in list(self.orders):
            self.cancel(order_id, self.orders[order_id].participant)
            expired += 1
        return expired

    def settled(self, trades: list[Trade]) -> None:
        """Settlement took these trades: their held cash and units are no longer due here, and the
        participants' available cash and units change by what moved."""
        fee = self.rules.fee_bp
        for t in trades:
            paid = trade_cash(t.price, t.quantity, fee)
            self._add(self.due_cash, t.buyer, -paid)
            self._add(self.held_cash, t.buyer, -paid)
            self._add(self.due_units, t.seller, -t.quantity)
            self._add(self.held_units, t.seller, -t.quantity)
            self.cash_available[t.buyer] = self.cash_available.get(t.buyer, 0) - paid
            notional = amount_minor(t.price, t.quantity)
            received = notional - fee_minor(notional, fee)
            self.cash_available[t.seller] = self.cash_available.get(t.seller, 0) + received
            self.units_available[t.seller] = self.units_available.get(t.seller, 0) - t.quantity
            self.units_available[t.buyer] = self.units_available.get(t.buyer, 0) + t.quantity
        taken = {t.trade_id for t in trades}
        self.trades = [t for t in self.trades if t.trade_id not in taken]

    def _trade(self, fill: Fill) -> Trade:
        taker = self.orders[fill.taker_order_id]
        maker = self.orders[fill.maker_order_id]
        buy, sell = (taker, maker) if taker.side is Side.BUY else (maker, taker)
        self.trade_seq += 1
        trade = Trade(
            f"{self.instrument}-T{self.trade_seq}",
            self.instrument,
            buy.participant,
            sell.participant,
            fill.price,
            fill.quantity,
        )
        paid = trade_cash(fill.price, fill.quantity, self.rules.fee_bp)
        reserved = cash_need(buy.hold_price, fill.quantity, self.rules.fee_bp)
        assert paid <= reserved, "a fill never costs more than its hold"
        self._add(self.held_cash, buy.participant, paid - reserved)
        self._add(self.due_cash, buy.participant, paid)
        self._add(self.due_units, sell.participant, fill.quantity)
        for o in (buy, sell):
            o.remaining -= fill.quantity
            if o.remaining == 0 and o is maker:
                del self.orders[o.order_id]
        self.trades.append(trade)
        return trade

    def _free(self, order: OpenOrder, quantity: int) -> None:
        if order.side is Side.BUY:
            self._add(self.held_cash, order.participant, -cash_need(order.hold_price, quantity, self.rules.fee_bp))
        else:
            self._add(self.held_units, order.participant, -quantity)

    def _release(self, order_id: str, quantity: int) -> None:
        order = self.orders.pop(order_id)
        assert quantity == order.remaining, f"order {order_id}: releasing {quantity}, {order.remaining} open"
        self._free(order, quantity)

    def needs(self) -> tuple[dict[str, int], dict[str, int]]:
        """What the open orders and unsettled trades need held, recomputed from scratch (for checks)."""
        cash: dict[str, int] = dict(self.due_cash)
        units: dict[str, int] = dict(self.due_units)
        for o in self.orders.values():
            if o.side is Side.BUY:
                cash[o.participant] = cash.get(o.participant, 0) + cash_need(
                    o.hold_price, o.remaining, self.rules.fee_bp
                )
            else:
                units[o.participant] = units.get(o.participant, 0) + o.remaining
        return cash, units
