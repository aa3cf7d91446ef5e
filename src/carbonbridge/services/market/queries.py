"""Read side of the market for a participant's pages: who trades through an account, their trades
(a bounded page, newest first) and the instruments traded (orders and depth are read through
services/market/views.py, as the API reads them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.services.market.participants import Participant

MAX_ROWS = 200


def _utc(value: object) -> dt.datetime:
    """A stored moment (SQLite gives text through a textual query) as an aware UTC datetime."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def participant_of_account(sessions: Sessions, account_id: str) -> Participant | None:
    with sessions() as session:
        row = session.execute(
            text(
                "SELECT id, jurisdiction, name, beneficial_owner, registry_account FROM market_participants "
                "WHERE registry_account = :a ORDER BY id LIMIT 1"
            ),
            {"a": account_id},
        ).first()
    return Participant(*row) if row is not None else None


@dataclass(frozen=True, slots=True)
class TradeView:
    id: str
    instrument: str
    side: str  # the participant's side
    price: int
    quantity: int
    at: dt.datetime
    settled: bool


def trades_of(sessions: Sessions, participant: str, limit: int = 100) -> list[TradeView]:
    with sessions() as session:
        rows = session.execute(
            text(
                "SELECT id, instrument, buyer, price, quantity, at, settlement_id FROM market_trades "
                "WHERE buyer = :p OR seller = :p ORDER BY seq DESC LIMIT :n"
            ),
            {"p": participant, "n": min(limit, MAX_ROWS)},
        ).all()
    return [
        TradeView(
            r[0], r[1], "buy" if r[2] == participant else "sell", int(r[3]), int(r[4]), _utc(r[5]), r[6] is not None
        )
        for r in rows
    ]


def instruments_traded(sessions: Sessions, jurisdiction: str) -> list[str]:
    """The instruments of a jurisdiction with at least one trade (public market statistics)."""
    with sessions() as session:
        rows = session.execute(
            text("SELECT DISTINCT instrument FROM market_trades WHERE instrument LIKE :p ORDER BY instrument"),
            {"p": f"{jurisdiction}-%"},
        ).all()
    return [str(r[0]) for r in rows][:MAX_ROWS]
