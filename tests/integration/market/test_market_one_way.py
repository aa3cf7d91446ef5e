"""One-way bidding settled on SQLite and PostgreSQL: bids served by price then arrival inside the
+/-30 % band, the uniform price paid, units and cash moved in one transaction, conserved."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.auction import OneWayBid
from carbonbridge.services.market import cash
from carbonbridge.services.market.check import check
from carbonbridge.services.market.one_way import sell_one_way
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.testing.trading import seed_trading

NOW = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)


def _units(app, account: str, unit: str) -> int:
    return next((h.quantity for h in registry_queries.holdings(app.sessions, account) if h.unit_type == unit), 0)


def test_a_one_way_sale_settles_delivery_versus_payment(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, traders=4, units_each=200_000, cash_each=2_000_000_000)
    unit, (seller, b1, b2, b3) = seeded.registry.unit_type, seeded.participants
    bids = [
        OneWayBid("x", b1, 6500, 120_000, 1),
        OneWayBid("y", b2, 6400, 100_000, 2),
        OneWayBid("z", b3, 8000, 50_000, 3),  # outside 42.00-78.00 around the previous close of 60.00
    ]
    sale = sell_one_way(app.sessions, seller, unit, 150_000, bids, 6000, "ow-1", now=NOW)
    # x takes 120,000, y the last 30,000; uniform price 64.00; fee 7 bp per side, rounded half up
    assert [(f.bid_id, f.units, f.price) for f in sale.result.fills] == [("x", 120_000, 6400), ("y", 30_000, 6400)]
    traders = seeded.registry.traders
    assert _units(app, traders[0], unit) == 50_000 and _units(app, traders[1], unit) == 320_000
    balances = {a.owner: a.balance for a in cash.accounts(app.sessions) if a.kind == "participant"}
    notional_x, notional_y = 6400 * 120_000, 6400 * 30_000
    fee = lambda n: (n * 7 + 5_000) // 10_000  # noqa: E731
    assert balances[b1] == 2_000_000_000 - notional_x - fee(notional_x)
    assert balances[seller] == 2_000_000_000 + notional_x + notional_y - fee(notional_x) - fee(notional_y)
    assert sell_one_way(app.sessions, seller, unit, 150_000, bids, 6000, "ow-1", now=NOW).repeated
    with pytest.raises(RuleViolation, match="M10"):
        sell_one_way(app.sessions, seller, unit, 150_000, bids, 6000, "ow-2", now=NOW)  # 50,000 left
    report = check(app.sessions)
    assert report.ok, report.problems
    assert report.money_in_system["CNY"] == 4 * 2_000_000_000
