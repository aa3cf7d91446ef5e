"""The open book of an instrument kept in the database, as every server worker sees it: the
per-instrument lock, the book rebuilt from (or a worker's cached copy refreshed with) the open
orders' rows, and the writes of one order-entry command (order rows, trades, holds).

Versions: every order row a command writes carries the command's `book_version` (one more than the
instrument's highest before it, read under the lock). A worker keeps the exchange of its last
committed command per instrument with that version; the next command, under the lock, reads the
instrument's version: equal -> the cached book is current; higher -> only the rows written since
are read and applied (a closed order leaves the book, a partly filled or reduced one keeps its
place with its new size, a re-entered or new one joins the back of its level in priority order);
no cached book -> it is rebuilt from all open orders. A command that fails leaves no cached book
behind (the next one rebuilds), and a book is cached only after its command committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.market_config import MarketConfig, load_market_config
from carbonbridge.domain.market.book import Side
from carbonbridge.domain.market.exchange import Exchange, OpenOrder, Placed
from carbonbridge.services.market import cash
from carbonbridge.services.market.exchange import previous_close
from carbonbridge.services.market.settlement import change_unit_holds

MAX_CLOSES = 10_000


def lock_instrument(session: Session, instrument: str) -> None:
    """Serialize the order entry of one instrument across workers and hosts until commit
    (PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE serializes every writer already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"market-book:{instrument}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


@dataclass
class Cached:
    version: int
    x: Exchange
    priority: dict[str, int]


@dataclass
class Books:
    """One worker's (one engine's) cached books and the in-process lock of each instrument, so that
    two threads of a worker never use one cached book at once."""

    entries: dict[str, Cached] = field(default_factory=dict)
    closes: dict[tuple[str, dt.date], int | None] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def using(self, instrument: str) -> Iterator[None]:
        """Hold the instrument for one command; a failure drops its cached book."""
        with self.guard:
            lock = self.locks.setdefault(instrument, threading.Lock())
        with lock:
            try:
                yield
            except BaseException:
                self.entries.pop(instrument, None)
                raise


_BOOKS: weakref.WeakKeyDictionary[Engine, Books] = weakref.WeakKeyDictionary()
_BOOKS_GUARD = threading.Lock()


def books_of(sessions: Sessions) -> Books:
    engine = sessions.kw["bind"]
    with _BOOKS_GUARD:
        found = _BOOKS.get(engine)
        if found is None:
            found = _BOOKS[engine] = Books()
        return found


def reference_close(session: Session, books: Books, instrument: str, at: dt.datetime, tz: ZoneInfo) -> int | None:
    """The previous close (VWAP of the last trading day before `at`'s local day): fixed once the day
    has begun (the trades before it are final), so a worker reads it once a day, not once an order."""
    key = (instrument, at.astimezone(tz).date())
    if key not in books.closes:
        if len(books.closes) >= MAX_CLOSES:
            books.closes.clear()
        books.closes[key] = previous_close(session, instrument, key[1], tz)
    return books.closes[key]


@dataclass
class Book:
    """One command's exchange (current as of the lock), its version, and the holds before it."""

    x: Exchange
    config: MarketConfig
    version: int
    priority: dict[str, int]
    held_cash: dict[str, int]
    held_units: dict[str, int]

    @property
    def next_version(self) -> int:
        return self.version + 1


def open_book(session: Session, books: Books, instrument: str, jurisdiction: str, at: dt.datetime) -> Book:
    """Lock the instrument and bring its book up to date (cached, refreshed or rebuilt)."""
    config = load_market_config(jurisdiction)
    lock_instrument(session, instrument)
    version = int(
        session.execute(
            text("SELECT coalesce(max(book_version), 0) FROM market_orders WHERE instrument = :i"), {"i": instrument}
        ).scalar_one()
    )
    cached = books.entries.pop(instrument, None)  # checked out: put back only after the commit
    if cached is None or cached.version > version:
        cached = _rebuild(session, instrument, config)
    elif cached.version < version:
        _refresh(session, cached, instrument)
    x = cached.x
    x.previous_close = reference_close(session, books, instrument, at, ZoneInfo(config.timezone))
    x.trade_seq = int(
        session.execute(
            text("SELECT coalesce(max(seq), 0) FROM market_trades WHERE instrument = :i"), {"i": instrument}
        ).scalar_one()
    )
    return Book(x, config, version, cached.priority, dict(x.held_cash), dict(x.held_units))


def keep(books: Books, book: Book, *, wrote: bool = True) -> None:
    """After the command committed: cache its book at the version it wrote (every command that
    changes the book writes its order rows with `next_version`), or at the version it read."""
    book.x.forget_trades()
    books.entries[book.x.instrument] = Cached(book.next_version if wrote else book.version, book.x, book.priority)


def _rebuild(session: Session, instrument: str, config: MarketConfig) -> Cached:
    """The instrument's book from all its open orders, in priority order, with their holds."""
    x = Exchange(instrument, config.exchange, None, {}, {})
    priority: dict[str, int] = {}
    rows = session.execute(
        text(
            "SELECT id, participant, side, hold_price, remaining, priority FROM market_orders WHERE instrument = :i "
            "AND state = 'open' AND priority IS NOT NULL ORDER BY priority"
        ),
        {"i": instrument},
    ).all()
    for order_id, who, side, hold_price, remaining, rank in rows:
        x.restore(OpenOrder(str(order_id), str(who), Side(side), int(hold_price), int(remaining)))
        priority[str(order_id)] = int(rank)
    version = session.execute(
        text("SELECT coalesce(max(book_version), 0) FROM market_orders WHERE instrument = :i"), {"i": instrument}
    ).scalar_one()
    return Cached(int(version), x, priority)


def _refresh(session: Session, cached: Cached, instrument: str) -> None:
    """Apply the order rows written since the cached version (by other workers)."""
    x, priority = cached.x, cached.priority
    rows = session.execute(
        text(
            "SELECT id, participant, side, hold_price, remaining, state, priority FROM market_orders WHERE "
            "instrument = :i AND book_version > :v"
        ),
        {"i": instrument, "v": cached.version},
    ).all()
    added = []
    for order_id, who, side, hold_price, remaining, state, rank in rows:
        current = x.orders.get(order_id)
        same = current is not None and priority.get(order_id) == rank and current.hold_price == hold_price
        if current is not None and (state != "open" or not same or int(remaining) > current.remaining):
            x.cancel(order_id, current.participant)
            priority.pop(order_id, None)
            current = None
        if state != "open" or rank is None:
            continue
        if current is None:
            added.append((int(rank), OpenOrder(str(order_id), str(who), Side(side), int(hold_price), int(remaining))))
        elif int(remaining) < current.remaining:
            x.reduce(order_id, current.participant, int(remaining))  # keeps its place
    for rank, order in sorted(added, key=lambda a: a[0]):
        x.restore(order)
        priority[order.order_id] = rank


def write_effects(session: Session, book: Book, placed: Placed | None, at: dt.datetime, why: str) -> None:
    """Hold changes, the rows of the resting orders a placement filled or self-trade prevention
    took out, and the new trades (the row of the command's own order is the caller's)."""
    x, currency, version = book.x, book.config.currency, book.next_version
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
    if placed is None:
        return
    filled: dict[str, int] = {}
    for fill in placed.fills:
        filled[fill.maker_order_id] = filled.get(fill.maker_order_id, 0) + fill.quantity
    changes = [(m, q, "open" if m in x.orders else "done") for m, q in filled.items()]
    changes += [(m, 0, "cancelled") for m in placed.stp_cancelled]
    for maker, quantity, state in changes:
        left = x.orders[maker].remaining if state == "open" else 0
        if state != "open":
            book.priority.pop(maker, None)
        session.execute(
            text(
                "UPDATE market_orders SET remaining = :r, filled = filled + :f, state = :s, book_version = :v "
                "WHERE id = :i AND state = 'open'"
            ),
            {"r": left, "f": quantity, "s": state, "v": version, "i": maker},
        )
    _insert_trades(session, x.instrument, placed, at)


def _insert_trades(session: Session, instrument: str, placed: Placed, at: dt.datetime) -> None:
    if not placed.trades:
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
                "n": instrument,
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


def next_priority(session: Session, instrument: str) -> int:
    found = session.execute(
        text("SELECT coalesce(max(priority), 0) FROM market_orders WHERE instrument = :i"), {"i": instrument}
    ).scalar_one()
    return int(found) + 1
