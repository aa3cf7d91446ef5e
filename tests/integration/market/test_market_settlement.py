"""Delivery versus payment on SQLite and PostgreSQL: after every settlement units and each currency
are conserved, the clearing account is empty, holds match what is still open, a repeated
settlement changes nothing, and a refused registry transfer rolls the cash back too."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import text

from carbonbridge.domain.errors import IdempotencyConflict, RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.registry.model import AccountState
from carbonbridge.services.market import cash
from carbonbridge.services.market.check import check
from carbonbridge.services.market.exchange import TradingDay
from carbonbridge.services.market.settlement import settle
from carbonbridge.services.registry import accounts as registry_accounts
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.testing.trading import seed_trading

NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, a Tuesday


def _units(app, account: str, unit: str) -> int:
    return next((h.quantity for h in registry_queries.holdings(app.sessions, account) if h.unit_type == unit), 0)


def _balances(app) -> dict[str, tuple[int, int]]:
    return {a.id: (a.balance, a.held) for a in cash.accounts(app.sessions)}


def test_random_trading_days_settle_with_units_and_cash_conserved(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, traders=5)
    unit, people = seeded.registry.unit_type, seeded.participants
    rng = random.Random(7)
    total_units = sum(_units(app, a, unit) for a in seeded.registry.traders)
    for d in range(3):
        day_start = NOW + dt.timedelta(days=d)
        day = TradingDay(app.sessions, unit, (day_start + dt.timedelta(hours=8)).date(), opening_price=6000)
        for n in range(60):
            at = day_start + dt.timedelta(minutes=n)
            side = rng.choice(list(Side))
            kind = rng.choice([OrderType.LIMIT, OrderType.LIMIT, OrderType.IOC, OrderType.MARKET, OrderType.FOK])
            price = None if kind is OrderType.MARKET else rng.randint(5800, 6200)
            try:
                day.place(f"d{d}-o{n}", rng.choice(people), side, kind, rng.randint(1, 400), price, at)
            except RuleViolation as exc:
                assert exc.code in {"C11_INSUFFICIENT_FUNDS", "M10_INSUFFICIENT_UNITS", "M04_OUTSIDE_BAND"}
        day.close(day_start + dt.timedelta(hours=5))
        view = day.settle(f"settle-{d}", day_start + dt.timedelta(hours=6))
        assert view.trades > 0
        report = check(app.sessions)
        assert report.ok, report.problems
        assert sum(_units(app, a, unit) for a in seeded.registry.traders) == total_units
        assert all(held == 0 for acct, (_, held) in _balances(app).items() if acct.startswith("P-"))
        assert report.money_in_system["CNY"] == 5 * 100_000_000  # deposits only; fees stay inside
    with app.sessions() as s:
        ids = [r[0] for r in s.execute(text("SELECT id FROM market_trades WHERE settlement_id = :i"), {"i": view.id})]
    again = settle(app.sessions, unit, "settle-2", now=NOW, trade_ids=ids)
    assert again.repeated and again.id == view.id and again.trades == view.trades
    with pytest.raises(IdempotencyConflict):
        settle(app.sessions, unit, "settle-2", now=NOW, trade_ids=["x"])


def test_a_refused_delivery_rolls_back_the_payment_too(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, traders=2)
    unit = seeded.registry.unit_type
    seller, buyer = seeded.participants
    day = TradingDay(app.sessions, unit, (NOW + dt.timedelta(hours=8)).date(), opening_price=6000)
    day.place("s", seller, Side.SELL, OrderType.LIMIT, 100, 6000, NOW)
    day.place("b", buyer, Side.BUY, OrderType.LIMIT, 100, 6000, NOW)
    before = _balances(app)
    registry_accounts.set_account_state(
        app.sessions,
        seeded.registry.traders[0],
        AccountState.BLOCKED,
        now=NOW,
        reason="test: blocked before settlement",
    )
    with pytest.raises(RuleViolation, match="R02"):
        settle(app.sessions, unit, "settle-blocked", now=NOW)
    assert _balances(app) == before  # no cash moved
    with app.sessions() as s:
        assert s.execute(text("SELECT count(*) FROM market_trades WHERE settlement_id IS NULL")).scalar_one() == 1
        assert s.execute(text("SELECT count(*) FROM market_settlements")).scalar_one() == 0
    assert check(app.sessions).ok


def test_a_buyer_whose_whole_free_cash_bought_the_trade_settles(app) -> None:
    """The hold of a buy order is released before the payment is posted: a buyer with just enough
    cash for its order (paying before the release would leave balance < held) settles, and ends with balance - paid."""
    seeded = seed_trading(app.sessions, now=NOW, traders=2, cash_each=100 * (6000 + 5))
    unit = seeded.registry.unit_type
    seller, buyer = seeded.participants
    day = TradingDay(app.sessions, unit, (NOW + dt.timedelta(hours=8)).date(), opening_price=6000)
    day.place("s", seller, Side.SELL, OrderType.LIMIT, 100, 6000, NOW)
    day.place("b", buyer, Side.BUY, OrderType.LIMIT, 100, 6000, NOW)
    account = cash.participant_account(buyer, "CNY")
    # the order held 100 x (60.00 + the fee rounded up) = 6 005.00; its fill leaves the trade's cash held
    assert _balances(app)[account] == (600_500, 600_420)
    day.close(NOW + dt.timedelta(hours=5))
    view = day.settle("settle-exact", NOW + dt.timedelta(hours=6))
    assert (view.trades, view.units, view.notional) == (1, 100, 600_000)
    paid = 600_000 + 420  # notional + 0.07 % fee
    assert _balances(app)[account] == (600_500 - paid, 0)
    assert _units(app, seeded.registry.traders[1], unit) - _units(app, seeded.registry.traders[0], unit) == 200
    assert check(app.sessions).ok
