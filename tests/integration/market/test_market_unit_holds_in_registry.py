"""The registry sees the market's unit holds: units held for an open sell order are not available
to a registry transfer (refused R01_INSUFFICIENT_UNITS), holdings show them apart, and the trade
still settles. On PostgreSQL, a transfer racing an order placement on the same units never lets
both take more than the account holds."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import ResponseCode, TransactionType
from carbonbridge.entrypoints.bootstrap import build_app
from carbonbridge.services.market.check import check
from carbonbridge.services.market.exchange import TradingDay
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.services.registry.transactions import propose
from carbonbridge.testing.trading import SeededMarket, seed_trading

NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, a Tuesday


def _holding(app, account: str, unit: str) -> registry_queries.HoldingView:
    return next(h for h in registry_queries.holdings(app.sessions, account) if h.unit_type == unit)


def _transfer(sessions, seeded: SeededMarket, source: int, destination: int, quantity: int, key: str) -> None:
    traders = seeded.registry.traders
    rep = seeded.registry.representatives(traders[source])[0]
    request = TransactionRequest(
        key, TransactionType.TRANSFER, traders[source], traders[destination], seeded.registry.unit_type, quantity, rep
    )
    propose(SqlLedgers(sessions), request, now=NOW)


def test_a_registry_transfer_cannot_take_units_held_for_an_open_sell_order(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, traders=3)  # 10,000 units each
    unit, (seller, buyer, _) = seeded.registry.unit_type, seeded.participants
    account = seeded.registry.traders[0]
    day = TradingDay(app.sessions, unit, (NOW + dt.timedelta(hours=8)).date(), opening_price=6000)
    day.place("s1", seller, Side.SELL, OrderType.LIMIT, 9_000, 6100, NOW)

    held = _holding(app, account, unit)
    assert (held.quantity, held.reserved, held.market_held, held.available) == (10_000, 0, 9_000, 1_000)
    with pytest.raises(RuleViolation) as refused:
        _transfer(app.sessions, seeded, 0, 2, 1_001, "take-held")
    assert refused.value.code == ResponseCode.INSUFFICIENT_UNITS.value
    _transfer(app.sessions, seeded, 0, 2, 1_000, "take-free")  # the free units still go (reserved: approval)
    assert _holding(app, account, unit).available == 0

    day.place("b1", buyer, Side.BUY, OrderType.LIMIT, 9_000, 6100, NOW + dt.timedelta(minutes=1))
    day.close(NOW + dt.timedelta(hours=5))
    view = day.settle("settle-held", NOW + dt.timedelta(hours=6))
    assert (view.trades, view.units) == (1, 9_000)  # the held units were there to deliver
    after = _holding(app, account, unit)
    assert (after.quantity - after.reserved, after.market_held) == (0, 0)
    report = check(app.sessions)
    assert report.ok, report.problems


def test_a_sell_order_sees_a_registry_transfer_made_after_the_day_opened(app) -> None:
    seeded = seed_trading(app.sessions, now=NOW, traders=3)
    unit, seller = seeded.registry.unit_type, seeded.participants[0]
    day = TradingDay(app.sessions, unit, (NOW + dt.timedelta(hours=8)).date(), opening_price=6000)
    _transfer(app.sessions, seeded, 0, 2, 9_500, "after-open")  # the day read 10,000 free at its open
    with pytest.raises(RuleViolation) as refused:
        day.place("s1", seller, Side.SELL, OrderType.LIMIT, 600, 6100, NOW)
    assert refused.value.code == "M10_INSUFFICIENT_UNITS"
    day.place("s2", seller, Side.SELL, OrderType.LIMIT, 500, 6100, NOW)
    assert _holding(app, seeded.registry.traders[0], unit).market_held == 500
    report = check(app.sessions)
    assert report.ok, report.problems


@pytest.mark.postgres
def test_a_transfer_racing_an_order_on_the_same_units_never_both_succeed(pg_url: str) -> None:
    """Each round: trader i has 10,000 free units; one thread places a 6,000 sell order while another
    transfers 6,000 out of the same account, started together. Exactly one of them succeeds."""
    rounds = 6
    app = build_app(pg_url, upgrade=True)
    try:
        seeded = seed_trading(app.sessions, now=NOW, traders=rounds + 1)
        unit = seeded.registry.unit_type
        day = TradingDay(app.sessions, unit, (NOW + dt.timedelta(hours=8)).date(), opening_price=6000)
        outcomes: list[tuple[str, str]] = []
        for i in range(rounds):
            start = threading.Barrier(2)
            results: dict[str, str] = {}

            def order(i: int = i, start: threading.Barrier = start, results: dict[str, str] = results) -> None:
                start.wait()
                try:
                    day.place(f"race-{i}", seeded.participants[i], Side.SELL, OrderType.LIMIT, 6_000, 6100, NOW)
                    results["order"] = "ok"
                except RuleViolation as exc:
                    results["order"] = exc.code

            def transfer(i: int = i, start: threading.Barrier = start, results: dict[str, str] = results) -> None:
                start.wait()
                try:
                    _transfer(app.sessions, seeded, i, rounds, 6_000, f"race-transfer-{i}")
                    results["transfer"] = "ok"
                except RuleViolation as exc:
                    results["transfer"] = exc.code

            threads = [threading.Thread(target=order), threading.Thread(target=transfer)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            outcomes.append((results["order"], results["transfer"]))
        for order_result, transfer_result in outcomes:
            assert sorted((order_result, transfer_result)) in (
                ["M10_INSUFFICIENT_UNITS", "ok"],
                ["R01_INSUFFICIENT_UNITS", "ok"],
            ), outcomes
        with app.sessions() as s:
            negative = s.execute(
                text("SELECT count(*) FROM registry_holdings WHERE quantity - reserved - market_held < 0")
            ).scalar_one()
        assert negative == 0
        report = check(app.sessions)
        assert report.ok, report.problems
    finally:
        app.engine.dispose()
