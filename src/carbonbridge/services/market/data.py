"""Market data and surveillance from the stored orders and trades: trades, daily OHLCV with the
VWAP close, auction results (CSV or Parquet), and the surveillance report."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.market.marketdata import DailyBar, TradePrint, daily_bars
from carbonbridge.domain.market.surveillance import Alert, OrderSeen, TradeSeen, alerts
from carbonbridge.services.market.auctions import results


def _utc(value: object) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def trades(sessions: Sessions, instrument: str | None = None) -> pl.DataFrame:
    where = " WHERE instrument = :i" if instrument else ""
    with sessions() as session:
        rows = session.execute(
            text(
                f"SELECT id, seq, instrument, buyer, seller, price, quantity, block, at, settlement_id FROM "
                f"market_trades{where} ORDER BY seq"
            ),
            {"i": instrument},
        ).all()
    schema = [
        "trade_id",
        "seq",
        "instrument",
        "buyer",
        "seller",
        "price_minor",
        "quantity",
        "block",
        "at",
        "settlement_id",
    ]
    return pl.DataFrame([(*tuple(r[:8]), _utc(r[8]), r[9]) for r in rows], schema=schema, orient="row")


def bars(sessions: Sessions, instrument: str) -> list[DailyBar]:
    tz = ZoneInfo(load_market_config(instrument.split("-", 1)[0]).timezone)
    frame = trades(sessions, instrument)
    prints = [
        TradePrint(r["at"].astimezone(tz).date(), r["seq"], r["price_minor"], r["quantity"], bool(r["block"]))
        for r in frame.iter_rows(named=True)
    ]
    return daily_bars(prints)


def _write(frame: pl.DataFrame, path: Path, fmt: str) -> Path:
    target = path.with_suffix(f".{fmt}")
    if fmt == "parquet":
        frame.write_parquet(target)
    else:
        frame.write_csv(target)
    return target


def export(sessions: Sessions, out: Path, *, fmt: str = "csv") -> list[Path]:
    """trades, daily_<instrument> (OHLCV, VWAP close) and auction_results, prices in minor units."""
    out.mkdir(parents=True, exist_ok=True)
    all_trades = trades(sessions)
    written = [_write(all_trades, out / "trades", fmt)]
    for instrument in sorted(set(all_trades["instrument"].to_list())):
        rows = [asdict(b) for b in bars(sessions, instrument)]
        written.append(_write(pl.DataFrame(rows), out / f"daily_{instrument}", fmt))
    auction_rows = [asdict(a) for a in results(sessions)]
    if auction_rows:
        written.append(_write(pl.DataFrame(auction_rows, infer_schema_length=None), out / "auction_results", fmt))
    return written


def surveillance(sessions: Sessions, jurisdiction: str) -> list[Alert]:
    config = load_market_config(jurisdiction)
    with sessions() as session:
        owners: dict[str, str] = dict(
            session.execute(
                text("SELECT id, beneficial_owner FROM market_participants WHERE jurisdiction = :j"),
                {"j": jurisdiction},
            ).all()
        )
        order_rows = session.execute(
            text(
                "SELECT o.id, o.participant, o.price, o.band_low, o.band_high FROM market_orders o "
                "JOIN market_participants p ON p.id = o.participant WHERE p.jurisdiction = :j ORDER BY o.at, o.id"
            ),
            {"j": jurisdiction},
        ).all()
        trade_rows = session.execute(
            text(
                "SELECT t.id, t.buyer, t.seller, t.quantity FROM market_trades t JOIN market_participants p ON "
                "p.id = t.buyer "
                "WHERE p.jurisdiction = :j ORDER BY t.seq"
            ),
            {"j": jurisdiction},
        ).all()
        holding_rows = session.execute(
            text(
                "SELECT p.id, h.unit_type, h.quantity FROM market_participants p JOIN registry_holdings h "
                "ON h.account_id = p.registry_account WHERE p.jurisdiction = :j"
            ),
            {"j": jurisdiction},
        ).all()
    orders = [
        OrderSeen(r[0], r[1], None if r[2] is None else int(r[2]), None if r[3] is None else (int(r[3]), int(r[4])))
        for r in order_rows
    ]
    seen = [TradeSeen(r[0], r[1], r[2], int(r[3])) for r in trade_rows]
    found: list[Alert] = []
    units = sorted({r[1] for r in holding_rows})
    for n, unit in enumerate(units):
        holdings = {r[0]: int(r[2]) for r in holding_rows if r[1] == unit}
        batch = alerts(orders if n == 0 else [], seen if n == 0 else [], owners, holdings, config.surveillance)
        found += [a if a.kind != "concentration" else Alert(a.kind, f"{a.subject} {unit}", a.detail) for a in batch]
    if not units:
        found = alerts(orders, seen, owners, {}, config.surveillance)
    return found
