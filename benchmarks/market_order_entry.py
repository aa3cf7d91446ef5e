"""Order entry over the database (services/market/order_entry.py), one run, one table: what the
per-instrument lock and the book rebuilt from the open orders cost per order as the book deepens.

On a scratch PostgreSQL database (and SQLite for comparison), six seeded CN traders place limit
orders that do not cross (buys below 6000, sells above) one after another from one client, so the
book grows by one order per placement; the latency of each placement (one database transaction:
lock, read of the open orders, rebuild, cash or unit lock, writes) is recorded and reported per
depth band. Then crossing orders at the deepest book: each trades with the best resting order.

Run: `.venv/bin/python benchmarks/market_order_entry.py [--orders 2000] [--pg URL] [--sqlite]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import tempfile
import time
import uuid

from rich.console import Console
from rich.table import Table

from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.entrypoints.bootstrap import build_app
from carbonbridge.services.market import order_entry
from carbonbridge.services.market.check import check
from carbonbridge.testing.trading import seed_trading

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, a Tuesday


def run(url: str, orders: int, crossing: int) -> list[tuple[str, int, float, float, float]]:
    """Rows (phase, orders, per second, p50 ms, p99 ms)."""
    app = build_app(url, upgrade=True)
    seeded = seed_trading(app.sessions, now=NOW, traders=6, units_each=1_000_000, cash_each=10**13)
    unit, people = seeded.registry.unit_type, seeded.participants
    bands = [0, orders // 4, orders // 2, orders]
    rows = []
    for low, high in itertools.pairwise(bands):
        times = []
        for n in range(low, high):
            side = Side.BUY if n % 2 else Side.SELL
            price = 5999 - (n % 50) if side is Side.BUY else 6001 + (n % 50)
            request = order_entry.OrderRequest(unit, people[n % 6], side, OrderType.LIMIT, 10, price)
            t0 = time.perf_counter()
            order_entry.place(app.sessions, request, f"rest-{n}", now=NOW, actor="bench")
            times.append(time.perf_counter() - t0)
        rows.append(_row(f"rest (book {low}-{high})", times))
    times = []
    for n in range(crossing):
        side = Side.BUY if n % 2 else Side.SELL
        price = 6050 if side is Side.BUY else 5950
        request = order_entry.OrderRequest(unit, people[(n + 1) % 6], side, OrderType.LIMIT, 5, price)
        t0 = time.perf_counter()
        done = order_entry.place(app.sessions, request, f"cross-{n}", now=NOW, actor="bench")
        times.append(time.perf_counter() - t0)
        assert done.filled == 5
    rows.append(_row(f"cross (book ~{orders})", times))
    report = check(app.sessions)
    assert report.ok, report.problems
    app.engine.dispose()
    return rows


def _row(name: str, times: list[float]) -> tuple[str, int, float, float, float]:
    cuts = statistics.quantiles(times, n=100)
    return name, len(times), len(times) / sum(times), statistics.median(times) * 1e3, cuts[98] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="resting orders placed (the book's final depth)")
    parser.add_argument("--crossing", type=int, default=200, help="crossing orders at the final depth")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL server (a scratch database is made and dropped)")
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    args = parser.parse_args()
    table = Table(title="Order entry over the database (one client, one transaction per order)")
    for column in ("database", "phase", "orders", "orders/s", "p50 ms", "p99 ms"):
        table.add_column(column)
    import psycopg

    name = f"cb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        for row in run(f"{args.pg.rsplit('/', 1)[0]}/{name}", args.orders, args.crossing):
            table.add_row("PostgreSQL", row[0], str(row[1]), f"{row[2]:,.0f}", f"{row[3]:.1f}", f"{row[4]:.1f}")
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            for row in run(f"sqlite:///{folder}/bench.db", args.orders, args.crossing):
                table.add_row("SQLite", row[0], str(row[1]), f"{row[2]:,.0f}", f"{row[3]:.1f}", f"{row[4]:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
