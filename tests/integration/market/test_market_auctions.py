"""Auctions through the real services on SQLite and PostgreSQL: the calendar moves the auction
volume out of the national account, winners pay the clearing price and receive units in one
settlement, losers' cash is released, an undersubscribed auction is cancelled and its volume
carried over to the next auctions, and every currency and unit is conserved."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.auction import AuctionCode, AuctionStatus
from carbonbridge.services.market import auctions, cash
from carbonbridge.services.market.check import check
from carbonbridge.services.market.participants import auction_account
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.testing.trading import seed_trading

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


def _held(app, account: str, unit: str) -> int:
    return next((h.quantity for h in registry_queries.holdings(app.sessions, account) if h.unit_type == unit), 0)


def test_auctions_clear_settle_and_carry_a_cancelled_volume_over(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, jurisdiction="BY", traders=3, units_each=10_000, cash_each=50_000_000)
    unit, (p1, p2, p3) = seeded.registry.unit_type, seeded.participants
    national = seeded.registry.national
    left_in_national = _held(app, national, unit)  # 0 after seeding hands everything out: top it up
    assert left_in_national == 0
    from carbonbridge.domain.registry.commands import TransactionRequest
    from carbonbridge.domain.registry.model import TransactionType
    from carbonbridge.services.registry.transactions import issue

    issue(
        SqlLedgers(app.sessions),
        TransactionRequest("extra", TransactionType.ISSUANCE, None, national, unit, 10_250, f"{national}-rep-a"),
        now=NOW,
    )
    dates = [dt.date(2026, 3, 10 + i) for i in range(5)]
    calendar = auctions.schedule(app.sessions, "BY", unit, national, dates, 10_250, now=NOW, seed=lambda n: f"seed-{n}")
    # 10,250 = 20 lots + 250: 4 lots each, the 250 stay in the national account
    assert [a.volume for a in calendar] == [2000] * 5 and _held(app, national, unit) == 250
    assert _held(app, auction_account("BY"), unit) == 10_000
    first = calendar[0].id
    auctions.place_bid(app.sessions, first, p1, 2500, 2, "b1", now=NOW)  # 25.00 BYN x 1,000
    auctions.place_bid(app.sessions, first, p2, 2400, 3, "b2", now=NOW)  # 24.00 BYN x 1,500
    auctions.place_bid(app.sessions, first, p3, 2300, 1, "b3", now=NOW)
    assert auctions.place_bid(app.sessions, first, p1, 2500, 2, "b1", now=NOW)  # a repeat: same bid
    # 4 lots on offer: p1 2 lots (cum. 2), p2 3 lots (cum. 5 >= 4): clearing 24.00; p2 gets 2 lots
    result = auctions.run_auction(app.sessions, first, now=NOW)
    assert result.status is AuctionStatus.CLEARED and result.clearing_price == 2400
    assert [(a.bidder, a.units) for a in result.awards] == [(p1, 1000), (p2, 1000)]
    traders = seeded.registry.traders
    assert _held(app, traders[0], unit) == 11_000 and _held(app, traders[1], unit) == 11_000
    balances = {a.owner: (a.balance, a.held) for a in cash.accounts(app.sessions) if a.kind == "participant"}
    assert balances[p1] == (50_000_000 - 2400 * 1000, 0) and balances[p3] == (50_000_000, 0)
    assert check(app.sessions).ok
    # the second auction gets one bid of 1 lot for 4 on offer: cancelled, 4 lots spread over the next 3
    second = calendar[1].id
    auctions.place_bid(app.sessions, second, p3, 2600, 1, "b4", now=NOW)
    cancelled = auctions.run_auction(app.sessions, second, now=NOW)
    assert cancelled.code is AuctionCode.UNDERSUBSCRIBED
    after = auctions.results(app.sessions, "BY")
    # 4 lots over the 3 later auctions: 2, 1, 1 lots -> 3,000, 2,500, 2,500
    assert [a.volume for a in after[2:]] == [3000, 2500, 2500] and after[1].state == "cancelled"
    with pytest.raises(RuleViolation, match="A10"):
        auctions.place_bid(app.sessions, second, p3, 2600, 1, "b5", now=NOW)
    report = check(app.sessions)
    assert report.ok, report.problems
    assert all(a.held == 0 for a in cash.accounts(app.sessions))
    assert report.money_in_system["BYN"] == 3 * 50_000_000
