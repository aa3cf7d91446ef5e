"""Order entry over the database, correct with several server workers: place, amend, cancel.

Every command is ONE database transaction that (1) takes the instrument's lock (PostgreSQL: a
transaction-scoped advisory lock on the instrument; SQLite: `BEGIN IMMEDIATE` already serializes
writers), (2) rebuilds the instrument's book from its open orders' rows (`remaining`,
`hold_price`, `priority`) into the pure `domain.market.exchange.Exchange`, (3) locks and reads the
acting participant's free cash (buy) or free units (sell), (4) runs the command on the exchange,
and (5) writes the order rows, the trades, the cash and unit hold changes and an audit record. No
worker keeps a book between commands, so two workers can never match against different books:
the second waits for the first's commit and then sees its resting order.

Idempotency: a placement's client key is stored on the order (unique); a repeat with the same
request returns the order as it stands now (a refused one raises the same refusal again), another
request under the key is `IdempotencyConflict`. An amendment's key is its audit record's key.
Cancelling an order that is no longer open returns it unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import MarketConfig
from carbonbridge.domain.errors import IdempotencyConflict, NotFound, RuleViolation
from carbonbridge.domain.market.book import MAX_QUANTITY, OrderType, Side
from carbonbridge.domain.market.exchange import Exchange, OpenOrder, Placed
from carbonbridge.services.market import cash
from carbonbridge.services.market.book_store import Book, books_of, keep, next_priority, open_book, write_effects
from carbonbridge.services.market.order_reads import (
    ORDER_COLUMNS,
    OrderView,
    instrument_jurisdiction,
    order_row,
    order_trades,
    order_view,
)
from carbonbridge.services.market.participants import participant


@dataclass(frozen=True, slots=True)
class OrderRequest:
    instrument: str
    participant: str
    side: Side
    type: OrderType
    quantity: int
    price: int | None  # minor units; None for a market order

    def body(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "participant": self.participant,
            "side": self.side.value,
            "type": self.type.value,
            "quantity": self.quantity,
            "price": self.price,
        }


def _take_free(session: Session, x: Exchange, who: str, side: Side, currency: str) -> None:
    """Lock and read the acting participant's free cash (a buy) or free units (a sell)."""
    if side is Side.BUY:
        account = cash.participant_account(who, currency)
        balance, held, _ = cash.lock_accounts(session, [account])[account]
        x.cash_available[who] = x.held_cash.get(who, 0) + balance - held
        return
    lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
    free = session.execute(
        text(
            "SELECT h.quantity - h.reserved - h.market_held FROM registry_holdings h JOIN market_participants p "
            f"ON p.registry_account = h.account_id WHERE p.id = :p AND h.unit_type = :u{lock}"
        ),
        {"p": who, "u": x.instrument},
    ).scalar()
    x.units_available[who] = x.held_units.get(who, 0) + int(free or 0)


def _local(at: dt.datetime, config: MarketConfig) -> dt.datetime:
    return at.astimezone(ZoneInfo(config.timezone)).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class _Refused:
    code: str
    message: str


def place(sessions: Sessions, request: OrderRequest, key: str, *, now: dt.datetime, actor: str) -> OrderView:
    """Place an order under client key `key`: reserve, match, rest; one transaction. A refusal by
    the exchange's rules is recorded (state refused, its code) and raised as RuleViolation."""
    if not 0 < request.quantity <= MAX_QUANTITY:
        raise RuleViolation("M01_INVALID_QUANTITY", "an order's quantity is a positive whole number")
    body = cash.canonical(request.body())
    books, used = books_of(sessions), list[Book]()

    def work(session: Session) -> OrderView | _Refused:
        used.clear()  # only the book of the attempt that commits is kept
        found = session.execute(
            text(f"SELECT {ORDER_COLUMNS}, request FROM market_orders WHERE client_key = :k"), {"k": key}
        ).first()
        if found is not None:
            return _repeat(session, key, found, body)
        who = participant(session, request.participant)
        code = instrument_jurisdiction(session, request.instrument)
        if who is None or who.jurisdiction != code:
            raise NotFound(f"no participant {request.participant!r} in the market of {request.instrument}")
        book = open_book(session, books, request.instrument, code, now)
        order_id = cash.key_id("order", key)
        _take_free(session, book.x, request.participant, request.side, book.config.currency)
        band = book.x.rules.band(book.x.previous_close) if book.x.previous_close is not None else (None, None)
        try:
            placed = book.x.place(
                order_id,
                request.participant,
                request.side,
                request.type,
                request.quantity,
                request.price,
                _local(now, book.config),
            )
        except RuleViolation as exc:  # refused before anything was reserved: the book is unchanged
            _insert(session, order_id, key, body, request, band, None, "refused", exc.code, now, 0, None, None)
            _audit(session, now, actor, "market.order.refused", order_id, {"code": exc.code, "key": key})
            used.append(book)
            return _Refused(exc.code, str(exc).removeprefix(f"{exc.code}: "))
        _record_placed(session, book, placed, request, key, body, band, now, actor)
        used.append(book)
        return order_view(order_row(session, order_id), placed.trades)

    with books.using(request.instrument):
        done = retrying(sessions, work, command=f"market order (client key {key!r})", now=now)
        if used:
            keep(books, used[-1], wrote=not isinstance(done, _Refused))
    if isinstance(done, _Refused):
        raise RuleViolation(done.code, done.message)
    return done


def _record_placed(
    session: Session,
    book: Book,
    placed: Placed,
    request: OrderRequest,
    key: str,
    body: str,
    band: tuple[int | None, int | None],
    now: dt.datetime,
    actor: str,
) -> None:
    """The new order's row (open with its priority, or done), the makers, trades and holds, audit."""
    order_id = placed.order_id
    opened = book.x.orders.get(order_id)
    hold_price = opened.hold_price if opened is not None else request.price
    filled = sum(f.quantity for f in placed.fills)
    rank = None
    if placed.rested:
        rank = book.priority[order_id] = next_priority(session, request.instrument)
    state = "open" if placed.rested else "done"
    _insert(session, order_id, key, body, request, band, hold_price, state, "OK", now, filled, rank, book)
    session.execute(text("UPDATE market_orders SET remaining = :r WHERE id = :i"), {"r": placed.rested, "i": order_id})
    write_effects(session, book, placed, now, f"order {order_id}")
    _audit(session, now, actor, "market.order.placed", order_id, {"filled": filled, "rested": placed.rested})


def _repeat(session: Session, key: str, found: Any, body: str) -> OrderView | _Refused:
    if found[12] != body:
        before, after = json.loads(found[12]), json.loads(body)
        raise IdempotencyConflict(key, sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)))
    if found[9] == "refused":
        return _Refused(str(found[10]), f"order {found[0]} was refused")
    return order_view(found, order_trades(session, str(found[0])))


def _insert(
    session: Session,
    order_id: str,
    key: str,
    body: str,
    r: OrderRequest,
    band: tuple[int | None, int | None],
    hold_price: int | None,
    state: str,
    code: str,
    at: dt.datetime,
    filled: int,
    priority: int | None,
    book: Book | None,
) -> None:
    session.execute(
        text(
            "INSERT INTO market_orders (id, instrument, participant, side, type, price, band_low, band_high, "
            "quantity, state, code, at, client_key, request, remaining, filled, hold_price, priority, book_version) "
            "VALUES (:i, :n, :p, :s, :k, :pr, :bl, :bh, :q, :st, :c, :t, :key, :req, 0, :f, :hp, :pri, :v)"
        ),
        {
            "i": order_id,
            "n": r.instrument,
            "p": r.participant,
            "s": r.side.value,
            "k": r.type.value,
            "pr": r.price,
            "bl": band[0],
            "bh": band[1],
            "q": r.quantity,
            "st": state,
            "c": code,
            "t": at,
            "key": key,
            "req": body,
            "f": filled,
            "hp": hold_price,
            "pri": priority,
            "v": book.next_version if book is not None else None,
        },
    )


def _audit(
    session: Session,
    at: dt.datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, object],
    key: str | None = None,
) -> None:
    audit(session, at=at, actor=actor[:120], action=action, subject=subject, detail=detail, key=key)


def _open_order(session: Session, order_id: str) -> tuple[str, str]:
    row = session.execute(text("SELECT instrument, state FROM market_orders WHERE id = :i"), {"i": order_id}).first()
    if row is None:
        raise NotFound(f"unknown order {order_id!r}")
    return str(row[0]), str(row[1])


def _instrument_of(sessions: Sessions, order_id: str) -> str:
    with sessions() as session:
        return _open_order(session, order_id)[0]


def cancel(sessions: Sessions, order_id: str, *, now: dt.datetime, actor: str) -> OrderView:
    """Cancel an open order: its rest leaves the book and its hold is released. An order that is
    no longer open is returned as it is (a repeated cancel changes nothing)."""
    books, used, wrote = books_of(sessions), list[Book](), [False]

    def work(session: Session) -> OrderView:
        used.clear()
        wrote[0] = False
        instrument, state = _open_order(session, order_id)
        if state == "open":
            book = open_book(session, books, instrument, instrument_jurisdiction(session, instrument), now)
            order = book.x.orders.get(order_id)
            if order is not None:
                wrote[0] = True
                released = book.x.cancel(order_id, order.participant)
                book.priority.pop(order_id, None)
                write_effects(session, book, None, now, f"cancel {order_id}")
                session.execute(
                    text(
                        "UPDATE market_orders SET remaining = 0, state = 'cancelled', book_version = :v WHERE id = :i"
                    ),
                    {"v": book.next_version, "i": order_id},
                )
                _audit(session, now, actor, "market.order.cancelled", order_id, {"released": released})
            used.append(book)
        return order_view(order_row(session, order_id), order_trades(session, order_id))

    with books.using(_instrument_of(sessions, order_id)):
        done = retrying(sessions, work, command=f"market cancel {order_id}", now=now)
        if used:
            keep(books, used[-1], wrote=wrote[0])
    return done


def amend(
    sessions: Sessions,
    order_id: str,
    key: str,
    *,
    quantity: int | None,
    price: int | None,
    now: dt.datetime,
    actor: str,
) -> OrderView:
    """Amend an open limit order: a smaller size at the same price keeps its priority and releases
    the difference; a new price or a larger size is a cancel and a new entry of the same order (it
    loses priority, is checked and reserved again, and may trade at once). Idempotent by `key`."""
    if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
        raise RuleViolation("M01_INVALID_QUANTITY", "an order's quantity is a positive whole number")
    body: dict[str, object] = {"order": order_id, "quantity": quantity, "price": price}
    books, used = books_of(sessions), list[Book]()

    def work(session: Session) -> OrderView:
        used.clear()
        done = session.execute(
            text("SELECT detail FROM audit_events WHERE idempotency_key = :k"), {"k": f"market-amend:{key}"}
        ).first()
        if done is not None:
            before = done[0] if isinstance(done[0], dict) else json.loads(done[0])
            differing = sorted(k for k in body if before.get(k) != body[k])
            if differing:
                raise IdempotencyConflict(key, differing)
            return order_view(order_row(session, order_id), order_trades(session, order_id))
        instrument, state = _open_order(session, order_id)
        if state != "open":
            raise RuleViolation("M13_ORDER_NOT_OPEN", f"order {order_id} is {state}")
        book = open_book(session, books, instrument, instrument_jurisdiction(session, instrument), now)
        order = book.x.orders.get(order_id)
        if order is None:
            raise RuleViolation("M13_ORDER_NOT_OPEN", f"order {order_id} is not in the book")
        _amend(session, book, order, quantity, price, now)
        _audit(session, now, actor, "market.order.amended", order_id, body, key=f"market-amend:{key}")
        used.append(book)
        return order_view(order_row(session, order_id), order_trades(session, order_id))

    with books.using(_instrument_of(sessions, order_id)):
        found = retrying(sessions, work, command=f"market amend {order_id} (client key {key!r})", now=now)
        if used:
            keep(books, used[-1])
    return found


def _amend(
    session: Session, book: Book, order: OpenOrder, quantity: int | None, price: int | None, now: dt.datetime
) -> None:
    x, order_id, before = book.x, order.order_id, order.remaining
    new_qty = before if quantity is None else quantity
    new_price = order.hold_price if price is None else price
    if new_price == order.hold_price and new_qty <= before:  # a size reduction in place: the same priority
        if new_qty < before:
            x.reduce(order_id, order.participant, new_qty)
        write_effects(session, book, None, now, f"amend {order_id}")
        session.execute(
            text("UPDATE market_orders SET quantity = quantity - :d, remaining = :r, book_version = :v WHERE id = :i"),
            {"d": before - new_qty, "r": new_qty, "v": book.next_version, "i": order_id},
        )
        return
    # the free cash or units are read with the order's hold still counted as held
    _take_free(session, x, order.participant, order.side, book.config.currency)
    x.cancel(order_id, order.participant)
    book.priority.pop(order_id, None)
    placed = x.place(
        order_id, order.participant, order.side, OrderType.LIMIT, new_qty, new_price, _local(now, book.config)
    )
    rank = None
    if placed.rested:
        rank = book.priority[order_id] = next_priority(session, x.instrument)
    write_effects(session, book, placed, now, f"amend {order_id}")
    session.execute(
        text(
            "UPDATE market_orders SET price = :p, hold_price = :p, quantity = filled + :q, filled = filled + :f, "
            "remaining = :r, state = :s, priority = :pri, book_version = :v WHERE id = :i"
        ),
        {
            "p": new_price,
            "q": new_qty,
            "f": sum(f.quantity for f in placed.fills),
            "r": placed.rested,
            "s": "open" if placed.rested else "done",
            "pri": rank,
            "v": book.next_version,
            "i": order_id,
        },
    )


def close_session(sessions: Sessions, instrument: str, *, now: dt.datetime, actor: str) -> int:
    """End of the trading session: the instrument's open orders expire (day orders) and their holds
    are released, in one transaction under the instrument's lock. Closing again expires nothing."""
    books, used = books_of(sessions), list[Book]()

    def work(session: Session) -> int:
        used.clear()
        book = open_book(session, books, instrument, instrument_jurisdiction(session, instrument), now)
        expired = sorted(book.x.orders)
        for order_id in expired:
            book.x.cancel(order_id, book.x.orders[order_id].participant)
            book.priority.pop(order_id, None)
        write_effects(session, book, None, now, f"close {instrument}")
        if expired:
            session.execute(
                text("UPDATE market_orders SET state = 'expired', remaining = 0, book_version = :v WHERE id = :i"),
                [{"v": book.next_version, "i": i} for i in expired],
            )
        _audit(session, now, actor, "market.exchange.closed", instrument, {"expired": len(expired)})
        used.append(book)
        return len(expired)

    with books.using(instrument):
        expired = retrying(sessions, work, command=f"market close {instrument}", now=now)
        if used:
            keep(books, used[-1], wrote=expired > 0)
    return expired
