"""Official exchange rates in the registry's database: import (idempotent: a date's rate is stored
once; the same rate again changes nothing, a different one is refused), read, and the rate fixed
for a joint auction (the business day before it in both jurisdictions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.link_money import calendar_of, load_money_config
from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.market.fx import OfficialRate, fixing_date, rate_on

ACTOR = "market"
_COLUMNS = "on_date, currency, base, scale, rate, source"


@dataclass(frozen=True, slots=True)
class RateImport:
    added: int
    repeated: int
    first: dt.date | None
    last: dt.date | None


def _rate(row: Sequence[object]) -> OfficialRate:
    return OfficialRate(
        dt.date.fromisoformat(str(row[0])),
        str(row[1]),
        str(row[2]),
        int(str(row[3])),
        Decimal(str(row[4])),
        str(row[5]),
    )


def import_rates(sessions: Sessions, rates: Sequence[OfficialRate], *, now: dt.datetime) -> RateImport:
    """Store the rates in one transaction, audited. A date already stored with the same value
    (BYN per unit, whatever the scale) is a repeat; with another value it is a Conflict and
    nothing of the file is stored (an official rate is never silently replaced)."""

    def work(session: Session) -> RateImport:
        added = repeated = 0
        for r in rates:
            found = session.execute(
                text(f"SELECT {_COLUMNS} FROM market_fx_rates WHERE currency = :c AND on_date = :d"),
                {"c": r.currency, "d": r.on.isoformat()},
            ).first()
            if found is not None:
                stored = _rate(found)
                if stored.per_unit != r.per_unit or stored.base != r.base:
                    raise Conflict(
                        f"{r.currency} on {r.on}: stored {stored.rate} {stored.base} per {stored.scale}, "
                        f"the file says {r.rate} {r.base} per {r.scale}"
                    )
                repeated += 1
                continue
            session.execute(
                text(
                    "INSERT INTO market_fx_rates (currency, on_date, base, scale, rate, source, imported_at) "
                    "VALUES (:c, :d, :b, :s, :r, :src, :t)"
                ),
                {
                    "c": r.currency,
                    "d": r.on.isoformat(),
                    "b": r.base,
                    "s": r.scale,
                    "r": str(r.rate),
                    "src": r.source,
                    "t": now,
                },
            )
            added += 1
        if added:
            audit(
                session,
                at=now,
                actor=ACTOR,
                action="market.fx.imported",
                subject=rates[0].currency,
                detail={"added": added, "repeated": repeated, "source": rates[0].source},
            )
        days = [r.on for r in rates]
        return RateImport(added, repeated, min(days, default=None), max(days, default=None))

    return retrying(sessions, work, command="link rates import", now=now)


def stored_rates(
    session: Session, currency: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[OfficialRate]:
    rows = session.execute(
        text(
            f"SELECT {_COLUMNS} FROM market_fx_rates WHERE currency = :c AND on_date >= :a AND on_date <= :b "
            "ORDER BY on_date"
        ),
        {"c": currency, "a": (start or dt.date.min).isoformat(), "b": (end or dt.date.max).isoformat()},
    ).all()
    return [_rate(r) for r in rows]


def rates(
    sessions: Sessions, currency: str | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> list[OfficialRate]:
    with sessions() as session:
        return stored_rates(session, currency or load_money_config().currency, start, end)


def fixed_for(session: Session, auction_date: dt.date, jurisdictions: Sequence[str]) -> OfficialRate:
    """The rate of the business day before `auction_date` in every one of `jurisdictions`."""
    day = fixing_date(auction_date, [calendar_of(j) for j in jurisdictions])
    currency = load_money_config().currency
    return rate_on(stored_rates(session, currency, day, day), day, currency)
