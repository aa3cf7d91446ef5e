"""What the market's API reads: instruments, orders, trades (public prints and a participant's
own), depth from the open orders, daily bars, auctions, cash accounts and the objects' targets for
the access policy. Lists are keyset-paginated and filtered in SQL to the caller's visibility
(domain/auth/policy.visible), never checked row by row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.auth.policy import Target, Visibility
from carbonbridge.domain.errors import NotFound
from carbonbridge.services.market.book_store import Books, books_of, reference_close
from carbonbridge.services.market.order_reads import ORDER_COLUMNS, OrderView, instrument_jurisdiction, order_view


def _in(name: str, values: frozenset[str] | list[str]) -> tuple[str, dict[str, str]]:
    ordered = sorted(values)
    params = {f"{name}{i}": v for i, v in enumerate(ordered)}
    return (", ".join(f":{k}" for k in params) or "NULL"), params


def _utc(value: object) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


# -- targets of the access policy ------------------------------------------------------------------


def participant_target(sessions: Sessions, participant_id: str) -> Target | None:
    """The participant as an object of the policy: its jurisdiction and its registry account."""
    with sessions() as session:
        row = session.execute(
            text("SELECT jurisdiction, registry_account FROM market_participants WHERE id = :p"), {"p": participant_id}
        ).first()
    return Target(str(row[0]), accounts=(str(row[1]),)) if row is not None else None


def order_target(sessions: Sessions, order_id: str) -> Target | None:
    with sessions() as session:
        row = session.execute(
            text(
                "SELECT p.jurisdiction, p.registry_account FROM market_orders o JOIN market_participants p ON "
                "p.id = o.participant WHERE o.id = :o"
            ),
            {"o": order_id},
        ).first()
    return Target(str(row[0]), accounts=(str(row[1]),)) if row is not None else None


def _scope(v: Visibility, alias: str) -> tuple[str, dict[str, str]]:
    """SQL condition on market_participants `alias`: in a visible jurisdiction or a visible account."""
    js, jp = _in("vj", v.jurisdictions)
    accs, ap = _in("va", v.accounts)
    return f"({alias}.jurisdiction IN ({js}) OR {alias}.registry_account IN ({accs}))", {**jp, **ap}


# -- instruments -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstrumentView:
    code: str
    jurisdiction: str
    vintage: int
    currency: str
    tick: int
    fee_bp: int
    block_minimum: int
    previous_close: int | None
    band_low: int | None
    band_high: int | None


def instruments(
    sessions: Sessions, jurisdictions: list[str], *, now: dt.datetime, after: str | None, limit: int
) -> list[InstrumentView]:
    """Allowance unit types of the jurisdictions, each with today's reference price and band."""
    names, params = _in("j", jurisdictions)
    found = []
    with sessions() as session:
        rows = session.execute(
            text(
                f"SELECT code, jurisdiction, vintage FROM registry_unit_types WHERE kind = 'allowance' AND "
                f"jurisdiction IN ({names}) AND code > :after ORDER BY code LIMIT :n"
            ),
            {**params, "after": after or "", "n": limit},
        ).all()
        for code, jurisdiction, vintage in rows:
            found.append(_instrument(session, books_of(sessions), str(code), str(jurisdiction), int(vintage), now))
    return found


def instrument(sessions: Sessions, code: str, *, now: dt.datetime) -> InstrumentView:
    with sessions() as session:
        jurisdiction = instrument_jurisdiction(session, code)
        vintage = session.execute(text("SELECT vintage FROM registry_unit_types WHERE code = :u"), {"u": code})
        return _instrument(session, books_of(sessions), code, jurisdiction, int(vintage.scalar_one()), now)


def _instrument(
    session: Session, books: Books, code: str, jurisdiction: str, vintage: int, now: dt.datetime
) -> InstrumentView:
    config = load_market_config(jurisdiction)
    rules = config.exchange
    close = reference_close(session, books, code, now, ZoneInfo(config.timezone))  # once per worker and day
    low, high = rules.band(close) if close is not None else (None, None)
    return InstrumentView(
        code, jurisdiction, vintage, config.currency, rules.tick, rules.fee_bp, rules.block_minimum, close, low, high
    )


# -- orders ----------------------------------------------------------------------------------------


def orders_page(
    sessions: Sessions,
    visibility: Visibility,
    *,
    after: str | None,
    limit: int,
    instrument: str | None = None,
    state: str | None = None,
    participant: str | None = None,
) -> list[OrderView]:
    """Orders of the participants the caller may see, newest id order (keyset on the id)."""
    return _orders(sessions, visibility, "o.id > :after", "o.id", after or "", limit, instrument, state, participant)


def latest_orders(sessions: Sessions, visibility: Visibility, participant: str, *, limit: int) -> list[OrderView]:
    """The participant's `limit` latest orders, newest first (the trader's page), with the same
    visibility as `orders_page`."""
    return _orders(sessions, visibility, "1 = 1", "o.at DESC, o.id DESC", "", limit, None, None, participant)


def _orders(
    sessions: Sessions,
    visibility: Visibility,
    keyset: str,
    order_by: str,
    after: str,
    limit: int,
    instrument: str | None,
    state: str | None,
    participant: str | None,
) -> list[OrderView]:
    if visibility.nothing:
        return []
    scope, params = _scope(visibility, "p")
    where = [scope, keyset]
    for column, value in (("o.instrument", instrument), ("o.state", state), ("o.participant", participant)):
        if value is not None:
            where.append(f"{column} = :{column[2:]}")
            params[column[2:]] = value
    columns = ", ".join(f"o.{c.strip()}" for c in ORDER_COLUMNS.split(","))
    with sessions() as session:
        rows = session.execute(
            text(
                f"SELECT {columns} FROM market_orders o JOIN market_participants p ON p.id = o.participant "
                f"WHERE {' AND '.join(where)} ORDER BY {order_by} LIMIT :n"
            ),
            {**params, "after": after, "n": limit},
        ).all()
    return [order_view(r) for r in rows]


# -- trades ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TradePrintView:
    """A trade as the public sees it: no participants."""

    id: str
    seq: int
    instrument: str
    price_minor: int
    quantity: int
    block: bool
    at: dt.datetime


def _print(r: Any) -> TradePrintView:
    return TradePrintView(str(r[0]), int(r[1]), str(r[2]), int(r[3]), int(r[4]), bool(r[5]), _utc(r[6]))


def trades_after(sessions: Sessions, instrument: str, *, after_seq: int, limit: int) -> list[TradePrintView]:
    """The instrument's trades with a sequence number above `after_seq`, in sequence."""
    with sessions() as session:
        instrument_jurisdiction(session, instrument)
        rows = session.execute(
            text(
                "SELECT id, seq, instrument, price, quantity, block, at FROM market_trades WHERE instrument = :i "
                "AND seq > :s ORDER BY seq LIMIT :n"
            ),
            {"i": instrument, "s": after_seq, "n": limit},
        ).all()
    return [_print(r) for r in rows]


@dataclass(frozen=True, slots=True)
class OwnTradeView:
    id: str
    seq: int
    instrument: str
    side: str
    order_id: str | None
    price_minor: int
    quantity: int
    settled: bool
    at: dt.datetime


def own_trades_page(
    sessions: Sessions, participant: str, *, after_seq: int, limit: int, instrument: str | None = None
) -> list[OwnTradeView]:
    """The participant's side of each of its trades (the counterparty is not shown), by sequence."""
    extra = " AND instrument = :i" if instrument else ""
    with sessions() as session:
        rows = session.execute(
            text(
                "SELECT id, seq, instrument, CASE WHEN buyer = :p THEN 'buy' ELSE 'sell' END, "
                "CASE WHEN buyer = :p THEN buy_order ELSE sell_order END, price, quantity, settlement_id, at "
                f"FROM market_trades WHERE (buyer = :p OR seller = :p) AND seq > :s{extra} ORDER BY seq, id LIMIT :n"
            ),
            {"p": participant, "s": after_seq, "n": limit, "i": instrument},
        ).all()
    return [
        OwnTradeView(
            str(r[0]), int(r[1]), str(r[2]), str(r[3]), r[4], int(r[5]), int(r[6]), r[7] is not None, _utc(r[8])
        )
        for r in rows
    ]


# -- depth -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DepthView:
    instrument: str
    last_seq: int  # the depth is as of this trade sequence number (and the open orders at reading)
    bids: tuple[tuple[int, int, int], ...]  # price, quantity, orders; best first
    asks: tuple[tuple[int, int, int], ...]


def depth(sessions: Sessions, instrument: str, levels: int) -> DepthView:
    """The best `levels` price levels per side of the open book, read from the open orders."""
    with sessions() as session:
        instrument_jurisdiction(session, instrument)
        sides = []
        for side, order in (("buy", "DESC"), ("sell", "ASC")):
            rows = session.execute(
                text(
                    "SELECT price, sum(remaining), count(*) FROM market_orders WHERE instrument = :i AND "
                    "state = 'open' AND side = :s AND priority IS NOT NULL "
                    f"GROUP BY price ORDER BY price {order} LIMIT :n"
                ),
                {"i": instrument, "s": side, "n": levels},
            ).all()
            sides.append(tuple((int(p), int(q), int(c)) for p, q, c in rows))
        seq = session.execute(
            text("SELECT coalesce(max(seq), 0) FROM market_trades WHERE instrument = :i"), {"i": instrument}
        ).scalar_one()
    return DepthView(instrument, int(seq), sides[0], sides[1])


# -- cash ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CashView:
    id: str
    owner: str
    currency: str
    kind: str
    balance: int
    held: int
    available: int


def cash_page(
    sessions: Sessions,
    visibility: Visibility,
    *,
    after: str | None,
    limit: int,
    participant: str | None = None,
    currency: str | None = None,
) -> list[CashView]:
    """Cash accounts the caller may see: a participant's own; for a jurisdiction's administrators
    every participant's of the jurisdiction and the jurisdiction's system accounts (bank, fees,
    proceeds)."""
    if visibility.nothing:
        return []
    scope, params = _scope(visibility, "p")
    js, jp = _in("sj", visibility.jurisdictions)
    where = [f"({scope} OR (c.kind <> 'participant' AND c.owner IN ({js})))", "c.id > :after"]
    if participant is not None:
        where.append("c.owner = :owner")
    if currency is not None:
        where.append("c.currency = :currency")
    with sessions() as session:
        rows = session.execute(
            text(
                "SELECT c.id, c.owner, c.currency, c.kind, c.balance, c.held FROM market_cash_accounts c "
                "LEFT JOIN market_participants p ON p.id = c.owner AND c.kind = 'participant' "
                f"WHERE {' AND '.join(where)} ORDER BY c.id LIMIT :n"
            ),
            {**params, **jp, "after": after or "", "n": limit, "owner": participant, "currency": currency},
        ).all()
    return [CashView(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[4]) - int(r[5])) for r in rows]


def require_instrument(sessions: Sessions, code: str) -> str:
    """The instrument's jurisdiction, or NotFound."""
    with sessions() as session:
        return instrument_jurisdiction(session, code)


def auction_target(sessions: Sessions, auction_id: str) -> str:
    with sessions() as session:
        row = session.execute(text("SELECT jurisdiction FROM market_auctions WHERE id = :a"), {"a": auction_id}).first()
    if row is None:
        raise NotFound(f"unknown auction {auction_id!r}")
    return str(row[0])
