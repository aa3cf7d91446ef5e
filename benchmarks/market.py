"""Benchmark of the market, one run, one table.

1. Book: a seeded stream of operations on a deep book (100,000 resting orders of 100 owners before
   the clock starts, self-trade prevention `cancel_resting` as both jurisdictions configure it):
   56 % limit adds, 28 % cancels of an order added before (it may have traded away since), 10 %
   market orders with a protection price, 2 % IOC, 2 % FOK, 2 % amendments (half of them a size
   reduction, half a one-tick price change). Measured on
   a. the product's matching core, the one `OrderBook` runs on (domain/market/fastbook.py, numba):
      the whole stream as one array through its batch entry point (`FastBook.run`: ops/s, the
      array checks and growth included, median of three runs on a fresh deep book), and the p99
      of one operation timed inside the compiled loop with the CPU's cycle counter;
   b. `OrderBook` called once per operation from Python, as the exchange calls it (string ids,
      Fill objects, one numba call per operation): ops/s and p99 with perf_counter_ns around each
      call (the timer's own cost included);
   c. the plain Python book the product used before (domain/market/plainbook.py), the same way;
   d. the plain reference book (a sorted list, domain/market/reference.py) on a shorter prefix of
      the same kind of stream (it is O(book) per operation), beside OrderBook on the same prefix.
   All four must produce the same trades (count and quantity), checked.
2. Auction clearing of 100,000 bids, median of 5 runs: the path the product uses
   (services/market/auctions.py: clear_rows, which run_auction calls: the bid rows as the database
   returns them into arrays, domain/market/auction_columns.py, winners' units per bidder), beside
   the object path (domain/market/auction.py: clear, Bid objects in, Award objects out) and the
   bare columnar core (clear_columns). The database read and writes of run_auction are not timed.
3. Batch settlement on PostgreSQL: trades between 20 participants stored as an exchange day leaves
   them (holds included), then one `settle` (registry transfers, cash postings, holds, trades marked)
   in one database transaction; trades per second; conservation checked afterwards.

Run: `.venv/bin/python benchmarks/market.py [--ops 1000000] [--trades 20000] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
import uuid
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from carbonbridge.domain.market import fastbook as fb
from carbonbridge.domain.market.auction import AuctionRules, Bid, clear, clear_columns
from carbonbridge.domain.market.book import OrderBook, OrderType, Side, StpMode
from carbonbridge.domain.market.plainbook import PlainOrderBook
from carbonbridge.domain.market.reference import ReferenceBook
from carbonbridge.services.market.auctions import clear_rows

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
STP = StpMode.CANCEL_RESTING
MID, BAND = 10_000, 300  # ticks; market orders are protected at MID +/- BAND
Op = tuple[str, str, Side, int, int, str]  # (op, order id, side, price, quantity, owner)


def stream(ops: int, seed: int, depth: int) -> tuple[list[Op], int]:
    """A deep book first (`depth` limit orders around a mid of 10,000 ticks), then the mix of the
    module docstring. Cancels and amendments pick an order added before, live or not."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(6, size=ops, p=[0.56, 0.28, 0.10, 0.02, 0.02, 0.02])
    sides = rng.integers(0, 2, size=ops + depth)
    offsets = rng.integers(1, 200, size=ops + depth)
    sizes = rng.integers(1, 100, size=ops + depth)
    owners = rng.integers(0, 100, size=ops + depth)
    picks = rng.random(size=ops)
    out: list[Op] = []
    live: list[int] = []  # positions in `out` of limit orders added and not cancelled by the stream
    for i in range(depth):
        side = Side.BUY if sides[i] else Side.SELL
        price = MID - int(offsets[i]) if side is Side.BUY else MID + int(offsets[i])
        out.append(("limit", f"o{i}", side, price, int(sizes[i]), f"p{owners[i]}"))
        live.append(i)
    for j in range(ops):
        i = depth + j
        side, owner = (Side.BUY if sides[i] else Side.SELL), f"p{owners[i]}"
        # limit, IOC and FOK orders mostly rest or miss, some cross by up to 5 ticks
        price = MID - int(offsets[i]) + 5 if side is Side.BUY else MID + int(offsets[i]) - 5
        kind = int(kinds[j]) if live else 0
        if kind == 0:
            live.append(len(out))
            out.append(("limit", f"o{i}", side, price, int(sizes[i]), owner))
        elif kind in (1, 5):
            k = int(picks[j] * len(live))
            _op, oid, was_side, was_price, was_size, was_owner = out[live[k]]
            if kind == 1:
                live[k], live[-1] = live[-1], live[k]
                live.pop()
                out.append(("cancel", oid, was_side, 0, 0, was_owner))
            elif j % 2:  # a size reduction (an increase if the order traded below it meanwhile)
                out.append(("amend", oid, was_side, was_price, max(1, was_size // 2), was_owner))
            else:  # a price one tick away from the other side: priority lost
                moved = was_price - 1 if was_side is Side.BUY else was_price + 1
                out.append(("amend", oid, was_side, moved, was_size, was_owner))
        elif kind == 2:
            protection = MID + BAND if side is Side.BUY else MID - BAND
            out.append(("market", f"o{i}", side, protection, int(sizes[i]), owner))
        else:
            out.append(("ioc" if kind == 3 else "fok", f"o{i}", side, price, int(sizes[i]), owner))
    return out, depth


TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET, "ioc": OrderType.IOC, "fok": OrderType.FOK}


def run_book(
    book: OrderBook | PlainOrderBook | ReferenceBook, ops: list[Op], depth: int
) -> tuple[float, float, int, int]:
    """One call per operation from Python: ops/s, p99 latency (us) over the ops after the first
    `depth`, and the number and quantity of the trades they made."""
    for _op, oid, side, price, qty, owner in ops[:depth]:
        book.submit(oid, side, OrderType.LIMIT, qty, price, owner)
    latencies = np.empty(len(ops) - depth, dtype=np.int64)
    clock = time.perf_counter_ns
    trades = traded = 0
    reference = isinstance(book, ReferenceBook)
    start = clock()
    for n, (op, oid, side, price, qty, owner) in enumerate(ops[depth:]):
        t0 = clock()
        fills: Any = ()
        if op == "cancel":
            if reference or book.order(oid) is not None:
                book.cancel(oid)
        elif op == "amend":
            if reference:
                fills = _reference_amend(book, oid, qty, price)  # type: ignore[arg-type]
            elif book.order(oid) is not None:  # type: ignore[union-attr]
                fills = book.amend(oid, qty, price).fills  # type: ignore[union-attr]
        else:
            done = book.submit(oid, side, TYPES[op], qty, price, owner)
            fills = done if reference else done.fills  # type: ignore[union-attr]
        latencies[n] = clock() - t0
        trades += len(fills)
        traded += sum(f.quantity for f in fills)
    elapsed = (clock() - start) / 1e9
    return (len(ops) - depth) / elapsed, float(np.percentile(latencies, 99)) / 1000, trades, traded


def _reference_amend(book: ReferenceBook, oid: str, qty: int, price: int) -> list[Any]:
    """OrderBook.amend on the sorted list: a size reduction in place, anything else a new order."""
    entry = next((e for e in book.entries if e.id == oid), None)
    if entry is None:
        return []
    if price == entry.price and qty <= entry.remaining:
        book.amend(oid, qty)
        return []
    book.cancel(oid)
    return book.submit(oid, entry.side, OrderType.LIMIT, qty, price, entry.owner)


CORE_KINDS = {"limit": fb.LIMIT, "market": fb.MARKET, "ioc": fb.IOC, "fok": fb.FOK, "cancel": fb.CANCEL}
CORE_KINDS["amend"] = fb.AMEND


def as_array(ops: list[Op]) -> fb.Array:
    """The stream as rows for the core, as OrderBook would hand them over: (kind, side, slot,
    price in ticks (tick 1), quantity, owner number) with ids 'o<n>' -> slot n, 'p<k>' -> owner k."""
    rows = [
        (CORE_KINDS[op], 0 if side is Side.BUY else 1, int(oid[1:]), price, qty, int(owner[1:]))
        for op, oid, side, price, qty, owner in ops
    ]
    return np.array(rows, dtype=np.int64)


def _timed_runner() -> Any:
    """A compiled loop that applies one operation at a time (the core's own `run`) between two reads
    of the CPU's cycle counter (llvm.readcyclecounter): per-operation latency without the Python call."""
    from llvmlite import ir
    from numba import njit, types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def cycles(typingctx):  # type: ignore[no-untyped-def]
        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.IntType(64), []), "llvm.readcyclecounter"
            )
            return builder.call(fn, [])

        return types.int64(), codegen

    run = fb.run

    @njit
    def timed(ops, start, end, orders, levels, meta, fills, stp, results, out):  # type: ignore[no-untyped-def]
        for i in range(start, end):
            t0 = cycles()
            done = run(ops, i, i + 1, orders, levels, meta, fills, stp, results)
            out[i] = cycles() - t0
            if done != i + 1:
                return i
        return end

    return timed


def run_core(ops: fb.Array, depth: int) -> tuple[float, float, float, float, int, int]:
    """The product's core: ops/s of the stream after the deep book as one batch (`FastBook.run`,
    checks and growth included; median of three runs), by the wall clock and per second of the
    thread's CPU time (what a core of its own would do on this shared machine); p99 and p50 (us)
    of one operation timed inside the compiled loop (cycle counter, converted with the cycles per
    second measured over the run); trades and their quantity."""
    FastBook, mode = fb.FastBook, fb.STP_CANCEL_RESTING
    warm = FastBook(mode)  # compile (or load the cached machine code) before the clock starts
    warm.run(np.array([[fb.LIMIT, 0, 0, 3, 1, 0], [fb.MARKET, 1, 1, 2, 1, 1]], dtype=np.int64))
    rates, cpu_rates = [], []
    for _ in range(3):  # a fresh deep book each time; the median of three runs
        batch = FastBook(mode)
        batch.run(ops[:depth])
        t0, c0 = time.perf_counter(), time.thread_time()
        done = batch.run(ops[depth:])
        rates.append((len(ops) - depth) / (time.perf_counter() - t0))
        cpu_rates.append((len(ops) - depth) / (time.thread_time() - c0))
    rate, cpu_rate = statistics.median(rates), statistics.median(cpu_rates)
    if not fb.COMPILED:  # no cycle counter without numba
        return rate, cpu_rate, float("nan"), float("nan"), len(done.fills), int(done.fills[:, 4].sum())
    timed = _timed_runner()
    inner = FastBook(mode)
    inner.run(ops[:depth])
    rest = np.ascontiguousarray(ops[depth:])
    inner.reserve(rest)
    inner.meta[fb.NFILLS] = inner.meta[fb.NSTPS] = 0
    results = np.zeros((len(rest), 3), dtype=np.int64)
    spent = np.empty(len(rest), dtype=np.int64)
    tiny = FastBook(mode)
    tiny.reserve(rest[:1])
    timed(rest, 0, 1, tiny.orders, tiny.levels, tiny.meta, tiny.fills, tiny.stp, np.zeros((1, 3), np.int64), spent)
    t0 = time.perf_counter_ns()
    i = 0
    while i < len(rest):  # the core stops before an operation its output buffers lack room for
        i = timed(rest, i, len(rest), inner.orders, inner.levels, inner.meta, inner.fills, inner.stp, results, spent)
        if i < len(rest):
            inner.grow(int(inner.meta[fb.STOP]), int(rest[i, fb.SLOT]), int(rest[i, fb.OP_PRICE]))
    elapsed_ns = time.perf_counter_ns() - t0
    inner_fills = inner.fills[: int(inner.meta[fb.NFILLS])]
    assert np.array_equal(done.fills, inner_fills) and np.array_equal(done.results, results), "timed != batch"
    # counted cycles < all cycles: the rate is underestimated, so latencies are overstated, never understated
    cycles_per_ns = max(float(spent.sum()), 1.0) / elapsed_ns
    p99, p50 = (float(np.percentile(spent, q)) / cycles_per_ns / 1000 for q in (99, 50))
    return rate, cpu_rate, p99, p50, len(done.fills), int(done.fills[:, 4].sum())


def auction_clearing(bids: int, seed: int) -> tuple[float, int, float, float]:
    """Median milliseconds of the product's clearing step (`clear_rows`, rows in, per-bidder units
    out), of `clear` (Bid objects in, Award objects out) and of the columnar core (price and lot
    arrays in, awarded lots out), five runs each."""
    rng = np.random.default_rng(seed)
    prices = rng.integers(6000, 7000, size=bids)
    lots = rng.integers(1, 20, size=bids)
    owners = rng.integers(0, 500, size=bids)
    data = [Bid(f"b{i:06d}", f"bidder{owners[i]}", int(prices[i]), int(lots[i])) for i in range(bids)]
    rows = [(b.bid_id, b.bidder, b.price, b.lots) for b in data]  # as run_auction fetches them (by id)
    volume = int(lots.sum()) // 2 * 500
    product = []
    for _ in range(5):
        t0 = time.perf_counter()
        cleared = clear_rows(rows, volume, AuctionRules(lot_size=500), "bench-seed", None)
        cleared.units_per_bidder()
        product.append(time.perf_counter() - t0)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = clear(data, volume, AuctionRules(lot_size=500), "bench-seed")
        times.append(time.perf_counter() - t0)
    offered = volume // 500
    core = []
    for _ in range(5):
        t0 = time.perf_counter()
        clear_columns(prices, lots, offered, lambda marginal: np.argsort(marginal, kind="stable"))
        core.append(time.perf_counter() - t0)
    assert int(cleared.awarded_lots.sum()) * 500 == result.volume_sold, "product and object path disagree"
    return (
        statistics.median(product) * 1000,
        len(result.awards),
        statistics.median(times) * 1000,
        statistics.median(core) * 1000,
    )


def settlement(admin: str, trades: int) -> tuple[float, bool, int]:
    """Trades per second of one batch settlement on a scratch PostgreSQL database."""
    import psycopg
    from sqlalchemy import text

    from carbonbridge.domain.market.exchange import trade_cash
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services.market import cash
    from carbonbridge.services.market.check import check
    from carbonbridge.services.market.settlement import change_unit_holds, settle
    from carbonbridge.testing.trading import seed_trading

    name = f"cb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin.rsplit('/', 1)[0]}/{name}"
    try:
        app = build_app(url, upgrade=True)
        seeded = seed_trading(app.sessions, now=NOW, traders=20, units_each=1_000_000, cash_each=10**13)
        unit, people = seeded.registry.unit_type, seeded.participants
        rng = np.random.default_rng(5)
        pairs = rng.choice(len(people), size=(trades, 2))
        rows, owed, sold = [], {p: 0 for p in people}, {p: 0 for p in people}
        for n in range(trades):
            b, s = int(pairs[n, 0]), int(pairs[n, 1])
            if b == s:
                s = (s + 1) % len(people)
            price, qty = int(rng.integers(5900, 6100)), int(rng.integers(1, 50))
            rows.append(
                {
                    "i": f"{unit}-T{n + 1}",
                    "s": n + 1,
                    "n": unit,
                    "b": people[b],
                    "e": people[s],
                    "p": price,
                    "q": qty,
                    "t": NOW,
                }
            )
            owed[people[b]] += trade_cash(price, qty, 7)
            sold[people[s]] += qty
        with app.sessions() as session, session.begin():
            session.execute(
                text(
                    "INSERT INTO market_trades (id, seq, instrument, buyer, seller, price, quantity, block, at, "
                    "settlement_id) "
                    "VALUES (:i, :s, :n, :b, :e, :p, :q, 0, :t, NULL)"
                ),
                rows,
            )
            cash.hold(session, [(cash.participant_account(p, "CNY"), v, "bench") for p, v in owed.items()], NOW)
            change_unit_holds(session, [(p, unit, v, "bench") for p, v in sold.items()], NOW)
        t0 = time.perf_counter()
        view = settle(app.sessions, unit, "bench-settlement", now=NOW)
        elapsed = time.perf_counter() - t0
        report = check(app.sessions)
        ok = report.ok and view.trades == trades and report.money_in_system["CNY"] == 20 * 10**13
        app.engine.dispose()
        return trades / elapsed, ok, len(view.registry_transactions)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--depth", type=int, default=100_000)
    parser.add_argument("--reference-ops", type=int, default=2_000)
    parser.add_argument("--bids", type=int, default=100_000)
    parser.add_argument("--trades", type=int, default=20_000)
    parser.add_argument("--pg", default=PG_ADMIN)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    console = Console()
    load = os.getloadavg()[0]
    table = Table("measure", "result", "target", "verdict", title="CarbonBridge market benchmark (one run)")
    ops, depth = stream(args.ops, args.seed, args.depth)
    engine = "numba" if fb.COMPILED else "plain Python: numba missing"
    rate, cpu_rate, p99, p50, trades, traded = run_core(as_array(ops), depth)
    table.add_row(
        f"book: the product's matching core (fastbook, {engine}), {args.ops:,} ops on {depth:,} resting, one batch",
        f"{rate:,.0f} ops/s by the wall clock ({cpu_rate:,.0f} per CPU second; medians of 3); "
        f"p99 {p99:.2f} us (p50 {p50:.2f}) per op inside the core; {trades:,} trades",
        ">= 1,000,000 ops/s (wall clock), p99 < 5 us",
        "PASS" if rate >= 1e6 and p99 < 5 else "FAIL",
    )
    book_rate, book_p99, book_trades, book_traded = run_book(OrderBook(stp=STP), ops, depth)
    table.add_row(
        f"book: OrderBook (-> the same core), one call per op from Python, the same {args.ops:,} ops",
        f"{book_rate:,.0f} ops/s, p99 {book_p99:.1f} us per op",
        "(no target: the Python call)",
        "-",
    )
    plain_rate, plain_p99, plain_trades, plain_traded = run_book(PlainOrderBook(stp=STP), ops, depth)
    table.add_row(
        f"book: PlainOrderBook (pure Python, the product's book before), the same {args.ops:,} ops",
        f"{plain_rate:,.0f} ops/s, p99 {plain_p99:.1f} us per op",
        "baseline",
        "-",
    )
    assert trades == book_trades == plain_trades and traded == book_traded == plain_traded, "the books disagree"
    ref_depth = min(depth, 5_000)
    ref_ops, _ = stream(args.reference_ops, args.seed, ref_depth)
    ref_rate, ref_p99, ref_trades, ref_traded = run_book(ReferenceBook(stp=STP), ref_ops, ref_depth)
    same_rate, same_p99, same_trades, same_traded = run_book(OrderBook(stp=STP), ref_ops, ref_depth)
    assert (ref_trades, ref_traded) == (same_trades, same_traded), "reference and OrderBook disagree"
    table.add_row(
        f"reference book (sorted list): {args.reference_ops:,} ops on {ref_depth:,} resting",
        f"{ref_rate:,.0f} ops/s, p99 {ref_p99:.1f} us",
        "baseline",
        f"OrderBook on the same: {same_rate:,.0f} ops/s, p99 {same_p99:.1f} us",
    )
    table.add_row(
        "exchange book the product uses (Exchange, order entry, replay -> OrderBook)",
        f"OrderBook over the matching core of row 1 ({engine}), one call per command (row 2)",
        "-",
        "-",
    )
    millis, awards, object_millis, core_millis = auction_clearing(args.bids, args.seed)
    table.add_row(
        f"auction clearing: {args.bids:,} bids, the product's path (run_auction -> clear_rows, columnar)",
        f"{millis:.1f} ms (median of 5), {awards:,} winning bids",
        "< 100 ms",
        "PASS" if millis < 100 else "FAIL",
    )
    table.add_row(
        "auction clearing, not used by the product: object path (clear) / bare core (clear_columns)",
        f"{object_millis:.1f} ms / {core_millis:.1f} ms",
        "reference",
        "-",
    )
    try:
        per_second, ok, transfers = settlement(args.pg, args.trades)
        table.add_row(
            f"batch settlement on PostgreSQL: {args.trades:,} trades, 20 participants",
            f"{per_second:,.0f} trades/s ({transfers} registry transfers), conserved: {ok}",
            ">= 10,000 trades/s, conserved",
            "PASS" if per_second >= 10_000 and ok else "FAIL",
        )
    except Exception as exc:  # no server: say so in the table
        table.add_row(
            "batch settlement on PostgreSQL", f"not run: {type(exc).__name__}: {exc}", ">= 10,000 trades/s", "NOT RUN"
        )
    table.add_row(
        "machine: 1-minute load average at the start / the end", f"{load:.1f} / {os.getloadavg()[0]:.1f}", "-", "-"
    )
    console.print(table)


if __name__ == "__main__":
    main()
