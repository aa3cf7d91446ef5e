"""The demo's market: Belarus sells its auction volume at auctions in BYN (one auction cancelled
for want of bids, its volume carried over), China's allowances trade on the exchange in CNY over the
compliance year (synthetic order flow, some orders at the band limits, one block trade), every
day settled in a batch. Cash comes in through a settlement-bank statement. Everything runs through
the real market services; the demo's ledger of expected holdings follows each settlement."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.market.money import format_minor
from carbonbridge.domain.registry.model import AccountType
from carbonbridge.services.market import auctions, cash
from carbonbridge.services.market.check import check
from carbonbridge.services.market.data import export, surveillance
from carbonbridge.services.market.exchange import TradingDay
from carbonbridge.services.market.participants import admit, open_market
from carbonbridge.services.market.statement import import_statement
from carbonbridge.services.registry import accounts as registry_accounts
from carbonbridge_demo.market import UTC, MarketYear, account_of

TRADERS = {"BY": ("BY-TRADER-1", "BY-TRADER-2", "BY-TRADER-3"), "CN": ("CN-TRADER-1", "CN-TRADER-2")}
GROUP = "Synthetic Capital Group"  # the beneficial owner of both CN traders: surveillance sees their trades


def _participant(account: str) -> str:
    return f"P-{account}"


def _admit(market: MarketYear, accounts: list[str], at: dt.datetime) -> dict[str, str]:
    """Open the market and admit the accounts (traders get person holding accounts); participant -> account."""
    s, code = market.app.sessions, market.code
    open_market(s, code, now=at, national_account=market.national)
    for trader in TRADERS[code]:
        registry_accounts.open_account(s, trader, code, AccountType.PERSON_HOLDING, f"{trader} (synthetic)", now=at)
    out = {}
    for account in [*accounts, *TRADERS[code]]:
        owner = GROUP if account in TRADERS["CN"] else None
        admit(s, _participant(account), code, f"holder of {account}", account, now=at, beneficial_owner=owner)
        out[_participant(account)] = account
    return out


def _deposit(market: MarketYear, amounts: dict[str, int], folder: Path, at: dt.datetime) -> int:
    """One settlement-bank statement crediting every participant; imported through the adapter."""
    currency = load_market_config(market.code).currency
    path = folder / f"{market.code}_bank_statement_{at:%Y%m%d}.csv"
    rows = [
        (at.date().isoformat(), f"{market.code}-{at:%Y%m%d}-{n:04d}", p, currency, "credit", format_minor(v))
        for n, (p, v) in enumerate(sorted(amounts.items()))
    ]
    pl.DataFrame(
        rows, schema=["value_date", "bank_reference", "participant", "currency", "direction", "amount"], orient="row"
    ).write_csv(path)
    return import_statement(market.app.sessions, path, market.code, now=at).credited


def sell_auction_volume(market: MarketYear, need: dict[str, int], folder: Path, seed: int) -> dict[str, Any]:
    """BY: the national account's auction volume over six auctions before the trade day; installations
    short of allowances bid for their gap, three traders bid for the rest at lower prices; the third
    auction gets a single bid and is cancelled, its volume spread over the next ones."""
    year, unit = market.year, market.allowance
    rng = np.random.default_rng([seed, 12])
    short = sorted(i for i, n in need.items() if n > 0)
    people = _admit(market, [account_of(i) for i in short], dt.datetime(year, 1, 6, 9, tzinfo=UTC))
    lot = load_market_config("BY").auction.lot_size
    volume = market.ledger.of(market.national, unit)
    dates = [dt.date(year + 1, m, d) for m, d in ((4, 15), (5, 13), (6, 10), (7, 8), (7, 22), (8, 5))]
    deposits = {_participant(account_of(i)): (need[i] + lot) * 9_000 for i in short}
    deposits |= {_participant(t): volume * 7_000 for t in TRADERS["BY"]}
    credited = _deposit(market, deposits, folder, dt.datetime(year + 1, 4, 1, 9, tzinfo=UTC))
    calendar = auctions.schedule(
        market.app.sessions,
        "BY",
        unit,
        market.national,
        dates,
        volume,
        now=dt.datetime(year + 1, 4, 2, 9, tzinfo=UTC),
        seed=lambda n: f"demo-{seed}-{unit}-{n}",
    )
    market.ledger.add(market.national, unit, -sum(a.volume for a in calendar))
    for n, scheduled in enumerate(calendar):
        at = dt.datetime.combine(dt.date.fromisoformat(scheduled.auction_date), dt.time(8), tzinfo=UTC)
        offered = next(a.volume for a in auctions.results(market.app.sessions, "BY") if a.id == scheduled.id)
        bidders = short[:1] if n == 2 else short  # the third auction: one bid only -> cancelled
        for inst in bidders:
            lots = max(1, math.ceil(need[inst] / (len(dates) - 1) / lot))  # five full auctions cover it
            price = int(rng.integers(6000, 6500))
            auctions.place_bid(
                market.app.sessions,
                scheduled.id,
                _participant(account_of(inst)),
                price,
                lots,
                f"{scheduled.id}:{inst}",
                now=at,
            )
        if n != 2:
            for k, trader in enumerate(TRADERS["BY"]):
                lots = offered // lot * 45 // 100 + 1
                price = int(rng.integers(5500, 6000))
                auctions.place_bid(
                    market.app.sessions, scheduled.id, _participant(trader), price, lots, f"{scheduled.id}:T{k}", now=at
                )
        result = auctions.run_auction(market.app.sessions, scheduled.id, now=at + dt.timedelta(hours=2))
        for award in result.awards:
            market.ledger.add(people[award.bidder], unit, award.units)
    views = auctions.results(market.app.sessions, "BY")
    leftover = sum(a.volume for a in views if a.state == "cancelled" and a.carried_over == "[]")
    return {"auctions": [asdict(a) for a in views], "deposited": credited, "unsold_in_auction_account": leftover}


def _trading_days(year: int) -> list[dt.date]:
    rules = load_market_config("CN").exchange
    days = []
    for month in range(3, 13):
        for start in (8, 22):
            day = dt.date(year, month, start)
            while not rules.is_trading_day(day):
                day += dt.timedelta(days=1)
            days.append(day)
    return days


def trade_on_exchange(market: MarketYear, folder: Path, seed: int) -> dict[str, Any]:
    """CN: twenty trading days from March to December; 30 orders a day from 30 installations and
    two traders of one group, 10 % priced at a band limit; one block trade; a batch settlement after
    each close; depth snapshots at the close."""
    year, unit = market.year, market.allowance
    rng = np.random.default_rng([seed, 13])
    members = [account_of(i) for i in market.installations[::7]]
    people = _admit(market, members, dt.datetime(year, 1, 6, 9, tzinfo=UTC))
    ids = sorted(people)
    _deposit(market, dict.fromkeys(ids, 2_000_000_000), folder, dt.datetime(year, 3, 1, 9, tzinfo=UTC))
    kinds = [OrderType.LIMIT] * 7 + [OrderType.IOC, OrderType.MARKET, OrderType.FOK]
    depth_rows: list[tuple[str, str, int, str, int]] = []
    refused = 0
    for d, day in enumerate(_trading_days(year)):
        session = TradingDay(market.app.sessions, unit, day, opening_price=6000)
        close = session.x.previous_close or 6000
        low, high = session.x.rules.band(close)
        opening = dt.datetime.combine(day, dt.time(1, 30), tzinfo=UTC)  # 09:30 Asia/Shanghai
        for n in range(30):
            who = ids[int(rng.integers(0, len(ids)))]
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            kind = kinds[int(rng.integers(0, len(kinds)))]
            price = int(close * (1 + rng.normal(0, 0.02)))
            price = min(max(price, low), high)
            if rng.random() < 0.1:
                price = high if side is Side.BUY else low  # priced at the band limit
            quantity = int(rng.integers(1, 20)) * 1000
            try:
                session.place(
                    f"{unit}-{day}-{n}",
                    who,
                    side,
                    kind,
                    quantity,
                    None if kind is OrderType.MARKET else price,
                    opening + dt.timedelta(minutes=3 * n),
                )
            except RuleViolation:
                refused += 1
        if d == 9:  # one block trade in the afternoon session, at the top of the +/-30 % band's lower half
            seller, buyer = _participant(members[0]), _participant(TRADERS["CN"][0])
            session.block_trade(buyer, seller, 100_000, close, dt.datetime.combine(day, dt.time(5, 30), tzinfo=UTC))
        for side in (Side.BUY, Side.SELL):
            for level, (price, quantity) in enumerate(session.x.book.depth(side, 5), start=1):
                depth_rows.append((day.isoformat(), side.value, level, format_minor(price), quantity))
        pending = list(session.x.trades)
        session.close(dt.datetime.combine(day, dt.time(7), tzinfo=UTC))
        session.settle(f"demo:{unit}:{day}", dt.datetime.combine(day, dt.time(7, 30), tzinfo=UTC))
        for t in pending:
            market.ledger.add(people[t.buyer], unit, t.quantity)
            market.ledger.add(people[t.seller], unit, -t.quantity)
    market_folder = folder.parent / "market"  # beside the other market exports
    market_folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(depth_rows, schema=["day", "side", "level", "price", "quantity"], orient="row").write_csv(
        market_folder / "depth_snapshots.csv"
    )
    return {"refused_orders": refused, "participants": len(ids)}


def market_report(app: Any, folder: Path) -> dict[str, Any]:
    """Exports (trades, daily OHLCV with the VWAP close, auction results), surveillance, the check."""
    files = export(app.sessions, folder)
    alerts = {code: surveillance(app.sessions, code) for code in ("BY", "CN")}
    rows = [(code, a.kind, a.subject, a.detail) for code, found in alerts.items() for a in found]
    pl.DataFrame(rows, schema=["jurisdiction", "kind", "subject", "detail"], orient="row").write_csv(
        folder / "surveillance.csv"
    )
    report = check(app.sessions)
    positions = cash.accounts(app.sessions)
    return {
        "files": [str(f) for f in files],
        "alerts": rows,
        "check_ok": report.ok,
        "problems": list(report.problems),
        "money_in_system": report.money_in_system,
        "positions": [asdict(p) for p in positions],
    }
