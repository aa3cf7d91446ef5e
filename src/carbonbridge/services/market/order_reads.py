"""Orders as the API reads them: the order row with its fills (trades naming it), and what an
instrument is (an allowance unit type of a jurisdiction with market rules)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.market.settlement import Trade


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


def order_row(session: Session, order_id: str) -> Any:
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
        row = order_row(session, order_id)
        if row is None:
            raise NotFound(f"unknown order {order_id!r}")
        return order_view(row, order_trades(session, order_id))
