"""`market check`: conservation of every currency and of the market's unit holds, from independent
records (postings, hold changes, registry holdings), plus the registry's own check."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.services.registry import queries as registry_queries


@dataclass(frozen=True)
class MarketCheck:
    ok: bool
    problems: tuple[str, ...]
    money_in_system: dict[str, int] = field(default_factory=dict)  # per currency, minor units
    accounts: int = 0


def _rows(session: Session, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in session.execute(text(sql)).all()]


def check(sessions: Sessions, *, registry: bool = True) -> MarketCheck:
    problems: list[str] = []
    with sessions() as session:
        for entry_id, total in _rows(
            session, "SELECT entry_id, sum(amount) FROM market_cash_postings GROUP BY entry_id HAVING sum(amount) <> 0"
        ):
            problems.append(f"cash entry {entry_id}: postings sum to {total}, not 0")
        accounts = _rows(
            session,
            "SELECT a.id, a.kind, a.currency, a.balance, a.held, "
            "(SELECT coalesce(sum(amount), 0) FROM market_cash_postings p WHERE p.account_id = a.id), "
            "(SELECT coalesce(sum(delta), 0) FROM market_cash_hold_changes h WHERE h.account_id = a.id) "
            "FROM market_cash_accounts a ORDER BY a.id",
        )
        totals: dict[str, int] = {}
        inside: dict[str, int] = {}
        for account_id, kind, currency, balance, held, posted, holds in accounts:
            cur, bal, hld = str(currency), int(str(balance)), int(str(held))
            if bal != int(str(posted)):
                problems.append(f"cash account {account_id}: balance {bal} but postings sum to {posted}")
            if hld != int(str(holds)):
                problems.append(f"cash account {account_id}: held {hld} but hold changes sum to {holds}")
            if kind == "participant" and not 0 <= hld <= bal:
                problems.append(f"cash account {account_id}: held {hld}, balance {bal}")
            if kind != "bank" and bal < 0:
                problems.append(f"cash account {account_id}: negative balance {bal}")
            totals[cur] = totals.get(cur, 0) + bal
            if kind != "bank":
                inside[cur] = inside.get(cur, 0) + bal
        for cur, total in sorted(totals.items()):
            if total != 0:
                problems.append(f"{cur}: balances sum to {total}, not 0 (money created or lost)")
        for p, unit, held, changes, available, market_held in _rows(
            session,
            "SELECT h.participant, h.unit_type, h.held, "
            "(SELECT coalesce(sum(delta), 0) FROM market_unit_hold_changes c WHERE c.participant = h.participant "
            "AND c.unit_type = h.unit_type), "
            "(SELECT coalesce(max(r.quantity - r.reserved), 0) FROM registry_holdings r JOIN market_participants m "
            "ON m.registry_account = r.account_id WHERE m.id = h.participant AND r.unit_type = h.unit_type), "
            "(SELECT coalesce(max(r.market_held), 0) FROM registry_holdings r JOIN market_participants m "
            "ON m.registry_account = r.account_id WHERE m.id = h.participant AND r.unit_type = h.unit_type) "
            "FROM market_unit_holds h",
        ):
            if int(str(held)) != int(str(changes)):
                problems.append(f"unit hold {p} {unit}: held {held} but changes sum to {changes}")
            if int(str(held)) > int(str(available)):
                problems.append(f"unit hold {p} {unit}: {held} held but only {available} in the registry account")
            if int(str(held)) != int(str(market_held)):
                problems.append(f"unit hold {p} {unit}: held {held} but the registry holding says {market_held}")
        for account, unit, market_held, holds in _rows(  # the registry's side: no figure without a market hold
            session,
            "SELECT r.account_id, r.unit_type, r.market_held, (SELECT coalesce(sum(h.held), 0) FROM "
            "market_unit_holds h JOIN market_participants m ON m.id = h.participant WHERE "
            "m.registry_account = r.account_id AND h.unit_type = r.unit_type) FROM registry_holdings r",
        ):
            if int(str(market_held)) != int(str(holds)):
                problems.append(f"registry holding {account} {unit}: market_held {market_held}, market holds {holds}")
        for account, unit, quantity in _rows(
            session,
            "SELECT account_id, unit_type, quantity FROM registry_holdings WHERE quantity <> 0 AND account_id "
            "LIKE '%-EXCHANGE-CLEARING'",
        ):
            problems.append(f"clearing account {account} holds {quantity} {unit} after settlement (must be 0)")
        for (count,) in _rows(
            session,
            "SELECT count(*) FROM market_trades t WHERE settlement_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM market_settlements s WHERE s.id = t.settlement_id)",
        ):
            if int(str(count)):
                problems.append(f"{count} trades marked settled by a settlement that does not exist")
    if registry:
        problems += [f"registry: {p}" for p in registry_queries.check(sessions).problems]
    return MarketCheck(not problems, tuple(problems), inside, len(accounts))
