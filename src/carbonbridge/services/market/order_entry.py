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
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import MarketConfig, load_market_config
from carbonbridge.domain.errors import IdempotencyConflict, NotFound, RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.market.exchange import Exchange, OpenOrder, Placed
from carbonbridge.domain.market.settlement import Trade
from carbonbridge.services.market import cash
from carbonbridge.services.market.exchange import previous_close
from carbonbridge.services.market.participants import participant
from carbonbridge.services.market.settlement import change_unit_holds
from carbonbridge.services.registry_transactions import Sessions, retrying

MAX_QUANTITY = 10**12


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


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    instrument: str
    participant: str
    side: str
    type: str
    price: int | None
    quantity: int
    filled: int
    remaining: int
    state: str  # open | done | cancelled | expired | refused
    code: str
    at: dt.datetime
    trades: tuple[Trade, ...] = ()


ORDER_COLUMNS = "id, instrument, participant, side, type, price, quantity, filled, remaining, state, code, at"


def order_view(row: Any, trades: tuple[Trade, ...] = ()) -> OrderView:
    at = row[11] if isinstance(row[11], dt.datetime) else dt.datetime.fromisoformat(str(row[11]))
    price = None if row[5] is None else int(row[5])
    return OrderView(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        price,
        int(row[6]),
        int(row[7]),
        int(row[8]),
        str(row[9]),
        str(row[10]),
        at if at.tzinfo else at.replace(tzinfo=dt.UTC),
        trades,
    )


def instrument_jurisdiction(session: Session, instrument: str) -> str:
    """An instrument is an allowance unit type of a jurisdiction with market rules."""
    row = session.execute(
        text("SELECT jurisdiction, kind FROM registry_unit_types WHERE code = :u"), {"u": instrument}
    ).first()
    if row is None or row[1] != "allowance":
        raise NotFound(f"unknown instrument {instrument!r}")
    return str(row[0])


def lock_instrument(session: Session, instrument: str) -> None:
    """Serialize the order entry of one instrument across workers and hosts until commit."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"market-book:{instrument}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


_CLOSES: dict[tuple[str, str, dt.date], int | None] = {}
"""(database, instrument, local day) -> the previous close: fixed once the day has begun (the
trades before it are final), so each worker reads it once a day instead of once an order."""
MAX_CLOSES = 10_000


def reference_close(session: Session, instrument: str, at: dt.datetime, config: MarketConfig) -> int | None:
    """The previous close (VWAP of the last trading day before `at`'s local day), cached per day."""
    tz = ZoneInfo(config.timezone)
    day = at.astimezone(tz).date()
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), instrument, day)
    if key not in _CLOSES:
        if len(_CLOSES) >= MAX_CLOSES:
            _CLOSES.clear()
        _CLOSES[key] = previous_close(session, instrument, day, tz)
    return _CLOSES[key]


def _rebuild(session: Session, instrument: str, config: MarketConfig, close: int | None) -> Exchange:
    """The instrument's book from its open orders, in priority order, with their holds."""
    x = Exchange(instrument, config.exchange, close, {}, {})
    rows = session.execute(
        text(
            "SELECT id, participant, side, hold_price, remaining FROM market_orders WHERE instrument = :i "
            "AND state = 'open' AND priority IS NOT NULL ORDER BY priority"
        ),
        {"i": instrument},
    ).all()
    for order_id, who, side, hold_price, remaining in rows:
        x.restore(OpenOrder(str(order_id), str(who), Side(side), int(hold_price), int(remaining)))
    x.cash_available.update(x.held_cash)  # only the acting participant's free cash is read (and locked)
    x.units_available.update(x.held_units)
    x.trade_seq = int(
        session.execute(
            text("SELECT coalesce(max(seq), 0) FROM market_trades WHERE instrument = :i"), {"i": instrument}
        ).scalar_one()
    )
    return x


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


@dataclass
class _Book:
    """One command's rebuilt exchange and what it looked like before the command."""

    x: Exchange
    config: MarketConfig
    remaining: dict[str, int]
    held_cash: dict[str, int]
    held_units: dict[str, int]
    opened: dict[str, OpenOrder]


def _open_book(session: Session, instrument: str, at: dt.datetime) -> _Book:
    code = instrument_jurisdiction(session, instrument)
    config = load_market_config(code)
    lock_instrument(session, instrument)
    x = _rebuild(session, instrument, config, reference_close(session, instrument, at, config))
    return _Book(
        x,
        config,
        {k: o.remaining for k, o in x.orders.items()},
        dict(x.held_cash),
        dict(x.held_units),
        dict(x.orders),
    )


def _write_effects(
    session: Session, book: _Book, placed: Placed | None, at: dt.datetime, why: str, own: str | None = None
) -> None:
    """Hold changes, the resting orders' rows and the new trades of one command (the row of the
    order the command is about, `own`, is the caller's to write)."""
    x, currency = book.x, book.config.currency
    cash.hold(
        session,
        [
            (cash.participant_account(p, currency), x.held_cash.get(p, 0) - book.held_cash.get(p, 0), why)
            for p in sorted(set(book.held_cash) | set(x.held_cash))
        ],
        at,
    )
    change_unit_holds(
        session,
        [
            (p, x.instrument, x.held_units.get(p, 0) - book.held_units.get(p, 0), why)
            for p in sorted(set(book.held_units) | set(x.held_units))
        ],
        at,
    )
    for order_id, order in book.opened.items():
        before, still_open = book.remaining[order_id], x.orders.get(order_id) is order
        if order_id == own or (still_open and order.remaining == before):
            continue
        state = "open" if still_open else ("done" if order.remaining == 0 else "cancelled")
        session.execute(
            text(
                "UPDATE market_orders SET remaining = :r, filled = filled + :f, state = :s WHERE id = :i AND "
                "state = 'open'"
            ),
            {"r": order.remaining if still_open else 0, "f": before - order.remaining, "s": state, "i": order_id},
        )
    if placed is None or not placed.trades:
        return
    rows = []
    for trade, fill in zip(placed.trades, placed.fills, strict=True):
        buy, sell = (
            (fill.taker_order_id, fill.maker_order_id)
            if fill.taker_side is Side.BUY
            else (fill.maker_order_id, fill.taker_order_id)
        )
        rows.append(
            {
                "i": trade.trade_id,
                "s": int(trade.trade_id.rsplit("T", 1)[1]),
                "n": x.instrument,
                "b": trade.buyer,
                "e": trade.seller,
                "p": trade.price,
                "q": trade.quantity,
                "t": at,
                "bo": buy,
                "so": sell,
            }
        )
    session.execute(
        text(
            "INSERT INTO market_trades (id, seq, instrument, buyer, seller, price, quantity, block, at, "
            "settlement_id, buy_order, sell_order) VALUES (:i, :s, :n, :b, :e, :p, :q, 0, :t, NULL, :bo, :so)"
        ),
        rows,
    )


def _next_priority(session: Session, instrument: str) -> int:
    found = session.execute(
        text("SELECT coalesce(max(priority), 0) FROM market_orders WHERE instrument = :i"), {"i": instrument}
    ).scalar_one()
    return int(found) + 1


def _local(at: dt.datetime, config: MarketConfig) -> dt.datetime:
    return at.astimezone(ZoneInfo(config.timezone)).replace(tzinfo=None)


def _row(session: Session, order_id: str) -> Any:
    return session.execute(text(f"SELECT {ORDER_COLUMNS} FROM market_orders WHERE id = :i"), {"i": order_id}).first()


def order_trades(session: Session, order_id: str) -> tuple[Trade, ...]:
    rows = session.execute(
        text(
            "SELECT id, instrument, buyer, seller, price, quantity FROM market_trades WHERE buy_order = :o OR "
            "sell_order = :o ORDER BY seq"
        ),
        {"o": order_id},
    ).all()
    return tuple(Trade(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows)


def get_order(sessions: Sessions, order_id: str) -> OrderView:
    with sessions() as session:
        row = _row(session, order_id)
        if row is None:
            raise NotFound(f"unknown order {order_id!r}")
        return order_view(row, order_trades(session, order_id))


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

    def work(session: Session) -> OrderView | _Refused:
        found = session.execute(
            text(f"SELECT {ORDER_COLUMNS}, request FROM market_orders WHERE client_key = :k"), {"k": key}
        ).first()
        if found is not None:
            return _repeat(session, key, found, body)
        who = participant(session, request.participant)
        if who is None or who.jurisdiction != instrument_jurisdiction(session, request.instrument):
            raise NotFound(f"no participant {request.participant!r} in the market of {request.instrument}")
        book = _open_book(session, request.instrument, now)
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
        except RuleViolation as exc:
            _insert(session, order_id, key, body, request, band, None, "refused", exc.code, now, 0, None)
            _audit(session, now, actor, "market.order.refused", order_id, {"code": exc.code, "key": key})
            return _Refused(exc.code, str(exc).removeprefix(f"{exc.code}: "))
        opened = book.x.orders.get(order_id)
        hold_price = opened.hold_price if opened is not None else request.price
        filled = sum(f.quantity for f in placed.fills)
        state = "open" if placed.rested else "done"
        priority = _next_priority(session, request.instrument) if placed.rested else None
        _insert(session, order_id, key, body, request, band, hold_price, state, "OK", now, filled, priority)
        session.execute(
            text("UPDATE market_orders SET remaining = :r WHERE id = :i"), {"r": placed.rested, "i": order_id}
        )
        _write_effects(session, book, placed, now, f"order {order_id}", order_id)
        _audit(session, now, actor, "market.order.placed", order_id, {"filled": filled, "rested": placed.rested})
        return order_view(_row(session, order_id), placed.trades)

    done = retrying(sessions, work, command=f"market order (client key {key!r})", now=now)
    if isinstance(done, _Refused):
        raise RuleViolation(done.code, done.message)
    return done


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
) -> None:
    session.execute(
        text(
            "INSERT INTO market_orders (id, instrument, participant, side, type, price, band_low, band_high, "
            "quantity, state, code, at, client_key, request, remaining, filled, hold_price, priority) VALUES "
            "(:i, :n, :p, :s, :k, :pr, :bl, :bh, :q, :st, :c, :t, :key, :req, 0, :f, :hp, :pri)"
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
    row = session.execute(
        text("SELECT instrument, participant, state FROM market_orders WHERE id = :i"), {"i": order_id}
    ).first()
    if row is None:
        raise NotFound(f"unknown order {order_id!r}")
    return str(row[0]), str(row[2])


def cancel(sessions: Sessions, order_id: str, *, now: dt.datetime, actor: str) -> OrderView:
    """Cancel an open order: its rest leaves the book and its hold is released. An order that is
    no longer open is returned as it is (a repeated cancel changes nothing)."""

    def work(session: Session) -> OrderView:
        instrument, state = _open_order(session, order_id)
        if state == "open":
            book = _open_book(session, instrument, now)
            order = book.x.orders.get(order_id)
            if order is not None:
                book.x.cancel(order_id, order.participant)
                _write_effects(session, book, None, now, f"cancel {order_id}")
                _audit(session, now, actor, "market.order.cancelled", order_id, {"released": book.remaining[order_id]})
        return order_view(_row(session, order_id), order_trades(session, order_id))

    return retrying(sessions, work, command=f"market cancel {order_id}", now=now)


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

    def work(session: Session) -> OrderView:
        done = session.execute(
            text("SELECT detail FROM audit_events WHERE idempotency_key = :k"), {"k": f"market-amend:{key}"}
        ).first()
        if done is not None:
            before = done[0] if isinstance(done[0], dict) else json.loads(done[0])
            differing = sorted(k for k in body if before.get(k) != body[k])
            if differing:
                raise IdempotencyConflict(key, differing)
            return order_view(_row(session, order_id), order_trades(session, order_id))
        instrument, state = _open_order(session, order_id)
        if state != "open":
            raise RuleViolation("M13_ORDER_NOT_OPEN", f"order {order_id} is {state}")
        book = _open_book(session, instrument, now)
        order = book.x.orders.get(order_id)
        if order is None:
            raise RuleViolation("M13_ORDER_NOT_OPEN", f"order {order_id} is not in the book")
        new_qty = order.remaining if quantity is None else quantity
        new_price = order.hold_price if price is None else price
        placed: Placed | None = None
        if new_price == order.hold_price and new_qty <= order.remaining:
            if new_qty < order.remaining:
                book.x.reduce(order_id, order.participant, new_qty)
        else:  # the free cash or units are read with the order's hold still counted as held
            _take_free(session, book.x, order.participant, order.side, book.config.currency)
            book.x.cancel(order_id, order.participant)
            placed = book.x.place(
                order_id, order.participant, order.side, OrderType.LIMIT, new_qty, new_price, _local(now, book.config)
            )
        _amended_row(session, book, order_id, order, placed, new_qty, new_price)
        _write_effects(session, book, placed, now, f"amend {order_id}", order_id)
        _audit(session, now, actor, "market.order.amended", order_id, body, key=f"market-amend:{key}")
        return order_view(_row(session, order_id), order_trades(session, order_id))

    return retrying(sessions, work, command=f"market amend {order_id} (client key {key!r})", now=now)


def _amended_row(
    session: Session, book: _Book, order_id: str, order: OpenOrder, placed: Placed | None, qty: int, price: int
) -> None:
    before = book.remaining[order_id]
    if placed is None:  # a size reduction in place: the same priority
        session.execute(
            text("UPDATE market_orders SET quantity = quantity - :d, remaining = :r WHERE id = :i"),
            {"d": before - qty, "r": qty, "i": order_id},
        )
        return
    filled = sum(f.quantity for f in placed.fills)
    priority = _next_priority(session, book.x.instrument) if placed.rested else None
    session.execute(
        text(
            "UPDATE market_orders SET price = :p, hold_price = :p, quantity = filled + :q, filled = filled + :f, "
            "remaining = :r, state = :s, priority = :pri WHERE id = :i"
        ),
        {
            "p": price,
            "q": qty,
            "f": filled,
            "r": placed.rested,
            "s": "open" if placed.rested else "done",
            "pri": priority,
            "i": order_id,
        },
    )
