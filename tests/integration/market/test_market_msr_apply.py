"""`market msr apply` on SQLite and PostgreSQL: the intake is taken out of the scheduled auctions
of the next 12 months and moved into the reserve account, once (a repeat changes nothing, another
TNAC for the same year is refused), audited and shown in the calendar; a release adds volume."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.errors import IdempotencyConflict
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.services.market import auctions
from carbonbridge.services.market.check import check
from carbonbridge.services.market.msr_apply import apply_msr
from carbonbridge.services.market.participants import auction_account, reserve_account
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.services.registry.transactions import issue
from carbonbridge.testing.trading import seed_trading

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
DATES = [(2026, 9, 10), (2026, 9, 24), (2026, 11, 10), (2027, 1, 10), (2027, 6, 10), (2027, 8, 20), (2027, 9, 10)]


def _held(app, account: str, unit: str) -> int:
    return next((h.quantity for h in registry_queries.holdings(app.sessions, account) if h.unit_type == unit), 0)


def test_the_intake_leaves_the_next_twelve_months_of_auctions_once(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, jurisdiction="BY", traders=3)  # cap 60,000, 30,000 issued
    unit, national = seeded.registry.unit_type, seeded.registry.national
    request = TransactionRequest("extra", TransactionType.ISSUANCE, None, national, unit, 28_000, f"{national}-rep-a")
    issue(SqlLedgers(app.sessions), request, now=NOW)
    dates = [dt.date(*d) for d in DATES]
    auctions.schedule(app.sessions, "BY", unit, national, dates, 28_000, now=NOW, seed=lambda n: f"s{n}")

    done = apply_msr(app.sessions, "BY", 2026, now=NOW, tnac=833_012_345)  # intake 12,345 (hand calc: unit test)
    assert (done.figures.intake, done.applied, done.not_applied, done.repeated) == (12_345, 12_000, 345, False)
    calendar = {a.auction_date: (a.volume, a.msr_adjusted) for a in auctions.results(app.sessions, "BY")}
    assert [calendar[d.isoformat()] for d in dates] == [
        (3500, -500),
        (3500, -500),
        (2000, -2000),
        (2000, -2000),
        (0, -4000),
        (1000, -3000),
        (4000, None),  # outside the 12 months from 1 September 2026
    ]
    assert _held(app, reserve_account("BY"), unit) == 12_000
    assert _held(app, auction_account("BY"), unit) == 16_000

    again = apply_msr(app.sessions, "BY", 2026, now=NOW, tnac=833_012_345)
    assert again.repeated and again.changes == done.changes
    assert again.registry_transactions == done.registry_transactions
    assert _held(app, reserve_account("BY"), unit) == 12_000
    with pytest.raises(IdempotencyConflict):
        apply_msr(app.sessions, "BY", 2026, now=NOW, tnac=900_000_000)
    with app.sessions() as s:
        audited = s.execute(text("SELECT count(*) FROM audit_events WHERE action = 'market.msr.applied'")).scalar_one()
    assert audited == 1

    # TNAC 300 M in 2027: release 100 M, capped by the 12,000 the reserve holds; 1,000 a month, and
    # only September 2027 has an auction: +1,000 to it, 11,000 stay in the reserve.
    released = apply_msr(app.sessions, "BY", 2027, now=NOW, tnac=300_000_000)
    assert (released.figures.release, released.applied, released.not_applied) == (12_000, 1000, 11_000)
    assert [a.volume for a in auctions.results(app.sessions, "BY")][-1] == 5000
    assert _held(app, reserve_account("BY"), unit) == 11_000
    report = check(app.sessions)
    assert report.ok, report.problems
