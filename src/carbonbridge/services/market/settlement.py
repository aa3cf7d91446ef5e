"""Delivery versus payment for exchange trades: units in the registry and cash in the cash ledger
move in ONE database transaction, per trade or netted per participant in a batch, with fees to
the exchange's fee account. A settlement is idempotent by its client key.

Order of work inside the transaction: the unsettled trades (locked on PostgreSQL), the netting
(domain.market.settlement.net, which asserts conservation), the registry transfers (net sellers to
the clearing account, then the clearing account to net buyers), the unit holds, the cash postings
and hold releases, the trades marked settled, the settlement record and the audit record. Any
failure rolls all of it back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import IdempotencyConflict, RuleViolation
from carbonbridge.domain.market.cash import CashAccountKind, CashPosting
from carbonbridge.domain.market.exchange import trade_cash
from carbonbridge.domain.market.settlement import NetSettlement, Trade, net
from carbonbridge.services.market import cash
from carbonbridge.services.market.participants import clearing_account, participants
from carbonbridge.services.market.registry_moves import move_units

ACTOR = "market"


@dataclass(frozen=True, slots=True)
class SettlementView:
    id: str
    client_key: str
    subject: str
    trades: int
    units: int
    notional: int
    fees: int
    registry_transactions: tuple[str, ...]
    repeated: bool = False


def jurisdiction_of(instrument: str) -> str:
    return instrument.split("-", 1)[0]


def settle(
    sessions: Sessions, instrument: str, key: str, *, now: dt.datetime, trade_ids: Sequence[str] | None = None
) -> SettlementView:
    """Settle the instrument's unsettled trades (or just `trade_ids`) in one database transaction."""
    wanted = sorted(trade_ids) if trade_ids is not None else None

    def work(session: Session) -> SettlementView:
        return _settle(session, instrument, key, wanted, now)

    return retrying(sessions, work, command=f"market settle {instrument} (client key {key!r})", now=now)


def _repeat(session: Session, key: str, body: str) -> SettlementView | None:
    row = session.execute(
        text(
            "SELECT s.id, s.subject, s.trades, s.units, s.notional, s.fees, s.registry_transactions, e.request "
            "FROM market_settlements s JOIN market_cash_entries e ON e.client_key = s.client_key WHERE "
            "s.client_key = :k"
        ),
        {"k": key},
    ).first()
    if row is None:
        return None
    if row[7] != body:
        raise IdempotencyConflict(key, ["trades"])
    return SettlementView(row[0], key, row[1], row[2], row[3], row[4], row[5], tuple(json.loads(row[6])), True)


def _trades(session: Session, instrument: str, wanted: list[str] | None) -> list[Trade]:
    lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
    query = (
        "SELECT id, buyer, seller, price, quantity FROM market_trades WHERE instrument = :i AND settlement_id IS NULL"
    )
    params: dict[str, object] = {"i": instrument}
    if wanted is not None:
        query += f" AND id IN ({', '.join(f':t{n}' for n in range(len(wanted)))})"
        params.update({f"t{n}": t for n, t in enumerate(wanted)})
    rows = session.execute(text(query + f" ORDER BY seq{lock}"), params).all()
    return [Trade(r[0], instrument, r[1], r[2], int(r[3]), int(r[4])) for r in rows]


def _settle(session: Session, instrument: str, key: str, wanted: list[str] | None, now: dt.datetime) -> SettlementView:
    code = jurisdiction_of(instrument)
    config = load_market_config(code)
    currency = config.currency
    body = cash.canonical({"kind": "settlement", "currency": currency, "instrument": instrument, "trades": wanted})
    if (repeat := _repeat(session, key, body)) is not None:
        return repeat
    trades = _trades(session, instrument, wanted)
    netted = net(trades, config.exchange.fee_bp)
    people = participants(session, code)
    settlement_id = cash.key_id("settlement", key)
    # The sellers' units are released first: the registry counts market holds as unavailable, and
    # the transfers below take exactly those units (all in this one transaction).
    _release_unit_holds(session, trades, instrument, settlement_id, now)
    moved: list[str] = []
    for o in netted.obligations:  # net sellers deliver to the clearing account first ...
        if o.units < 0:
            account = people[o.participant].registry_account
            moved += move_units(
                session, code, account, clearing_account(code), instrument, -o.units, f"{key}:out:{o.participant}", now
            )
    for o in netted.obligations:  # ... which then delivers to net buyers: it ends where it started
        if o.units > 0:
            account = people[o.participant].registry_account
            moved += move_units(
                session, code, clearing_account(code), account, instrument, o.units, f"{key}:in:{o.participant}", now
            )
    _pay(session, key, body, netted, trades, config.exchange.fee_bp, code, currency, now)
    _mark_settled(session, [t.trade_id for t in trades], settlement_id)
    session.execute(
        text(
            "INSERT INTO market_settlements (id, client_key, kind, subject, currency, trades, units, notional, fees, "
            "registry_transactions, at) VALUES (:i, :k, 'exchange', :s, :c, :n, :u, :v, :f, :r, :t)"
        ),
        {
            "i": settlement_id,
            "k": key,
            "s": instrument,
            "c": currency,
            "n": netted.trades,
            "u": netted.units_traded,
            "v": netted.notional,
            "f": netted.fees_total,
            "r": json.dumps(moved),
            "t": now,
        },
    )
    detail: dict[str, object] = {"trades": netted.trades, "units": netted.units_traded, "notional": netted.notional}
    audit(
        session,
        at=now,
        actor=ACTOR,
        action="market.settlement.completed",
        subject=settlement_id,
        detail=detail,
        key=f"settle:{key}",
    )
    return SettlementView(
        settlement_id,
        key,
        instrument,
        netted.trades,
        netted.units_traded,
        netted.notional,
        netted.fees_total,
        tuple(moved),
    )


def _mark_settled(session: Session, ids: list[str], settlement_id: str) -> None:
    """One statement with an array on PostgreSQL; chunks of 500 ids on SQLite."""
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("UPDATE market_trades SET settlement_id = :s WHERE id = ANY(:ids)"), {"s": settlement_id, "ids": ids}
        )
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        names = ", ".join(f":t{n}" for n in range(len(chunk)))
        session.execute(
            text(f"UPDATE market_trades SET settlement_id = :s WHERE id IN ({names})"),
            {"s": settlement_id, **{f"t{n}": t for n, t in enumerate(chunk)}},
        )


def _release_unit_holds(
    session: Session, trades: Sequence[Trade], instrument: str, settlement_id: str, now: dt.datetime
) -> None:
    sold: dict[str, int] = {}
    for t in trades:
        sold[t.seller] = sold.get(t.seller, 0) + t.quantity
    change_unit_holds(
        session, [(p, instrument, -q, f"settlement {settlement_id}") for p, q in sorted(sold.items())], now
    )


def change_unit_holds(session: Session, changes: Sequence[tuple[str, str, int, str]], now: dt.datetime) -> None:
    """(participant, unit type, delta, reason) each: the hold row (created at zero), its change record,
    and the registry holding's `market_held`, which makes the registry count the held units as
    unavailable. An increase is refused (M10_INSUFFICIENT_UNITS, the caller's transaction rolls back)
    unless the holding has that many units neither reserved nor already held: the conditional UPDATE
    locks the holding row and, on PostgreSQL, re-checks the condition on the latest committed row, so
    a hold and a concurrent registry transfer of the same units never both succeed."""
    changes = sorted((c for c in changes if c[2] != 0), key=lambda c: (c[1], c[0]))
    if not changes:
        return
    for p, unit, delta, _ in changes:
        updated = session.execute(
            text(
                "UPDATE registry_holdings SET market_held = market_held + :d WHERE unit_type = :u AND account_id = "
                "(SELECT registry_account FROM market_participants WHERE id = :p) "
                "AND quantity - reserved - market_held >= :d"
            ),
            {"p": p, "u": unit, "d": delta},
        ).rowcount  # type: ignore[attr-defined]
        if updated != 1:
            raise RuleViolation(
                "M10_INSUFFICIENT_UNITS", f"{p} has fewer than {delta} units of {unit} free in the registry"
            )
    conflict = " ON CONFLICT DO NOTHING"
    insert = "INSERT" if session.get_bind().dialect.name == "postgresql" else "INSERT OR IGNORE"
    for p, unit, _, _ in changes:
        session.execute(
            text(
                f"{insert} INTO market_unit_holds (participant, unit_type, held) VALUES (:p, :u, 0)"
                + (conflict if insert == "INSERT" else "")
            ),
            {"p": p, "u": unit},
        )
    session.execute(
        text(
            "INSERT INTO market_unit_hold_changes (participant, unit_type, delta, reason, at) VALUES (:p, :u, "
            ":d, :r, :t)"
        ),
        [{"p": p, "u": u, "d": d, "r": r[:200], "t": now} for p, u, d, r in changes],
    )
    session.execute(
        text("UPDATE market_unit_holds SET held = held + :d WHERE participant = :p AND unit_type = :u"),
        [{"p": p, "u": u, "d": d} for p, u, d, _ in changes],
    )


def _pay(
    session: Session,
    key: str,
    body: str,
    netted: NetSettlement,
    trades: Sequence[Trade],
    fee_bp: int,
    code: str,
    currency: str,
    now: dt.datetime,
) -> None:
    fees = cash.system_account(code, CashAccountKind.FEES, currency)
    entry_id = cash.key_id("entry", key)
    session.execute(
        text(
            "INSERT INTO market_cash_entries (id, client_key, kind, currency, request, actor, at) "
            "VALUES (:i, :k, 'settlement', :c, :r, :a, :t)"
        ),
        {"i": entry_id, "k": key, "c": currency, "r": body, "a": ACTOR, "t": now},
    )
    accounts = {o.participant: cash.participant_account(o.participant, currency) for o in netted.obligations}
    cash.lock_accounts(session, [*accounts.values(), fees])
    due: dict[str, int] = {}
    for t in trades:
        due[t.buyer] = due.get(t.buyer, 0) + trade_cash(t.price, t.quantity, fee_bp)
    # Holds are released before the postings: the CHECK balance >= held is evaluated per statement,
    # and a buyer paying more than half the balance would fail it between the two updates.
    cash.hold(session, [(accounts[p], -amount, f"settled {key}") for p, amount in sorted(due.items())], now)
    postings = [CashPosting(accounts[o.participant], o.cash) for o in netted.obligations]
    cash.post(session, entry_id, [*postings, CashPosting(fees, netted.fees_total)])
