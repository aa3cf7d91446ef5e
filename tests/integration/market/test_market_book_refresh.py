"""Two workers (two engines over one database) take a seeded random stream of order-entry
commands in turn; after every command each worker's cached book (kept, refreshed with the other
worker's rows, or rebuilt) must equal a book rebuilt from the database: the same resting orders in
the same priority order with the same sizes, and the same holds. Then the ledgers check."""

from __future__ import annotations

import datetime as dt
import random

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.entrypoints.bootstrap import build_app
from carbonbridge.services.market import book_store, order_entry, order_reads
from carbonbridge.services.market.check import check
from carbonbridge.testing.trading import seed_trading

NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, a Tuesday
STEPS = 160


def _state(x: object) -> tuple[object, ...]:
    held_cash = {p: v for p, v in x.held_cash.items() if v}  # type: ignore[attr-defined]
    held_units = {p: v for p, v in x.held_units.items() if v}  # type: ignore[attr-defined]
    return tuple(x.book.resting()), held_cash, held_units  # type: ignore[attr-defined]


def test_cached_and_refreshed_books_equal_the_book_rebuilt_from_the_database(sqlite_url: str) -> None:
    workers = [build_app(sqlite_url, upgrade=True), build_app(sqlite_url)]
    seeded = seed_trading(workers[0].sessions, now=NOW, traders=4, units_each=5_000)
    unit, people = seeded.registry.unit_type, seeded.participants
    rng = random.Random(20260303)
    placed: list[str] = []
    kinds = {"place": 0, "cancel": 0, "reduce": 0, "reprice": 0, "refused": 0}
    current = 0
    for step in range(STEPS):
        current = 1 - current if rng.random() < 0.3 else current  # streaks: several changes per refresh
        app = workers[current]
        at = NOW + dt.timedelta(seconds=step)
        action = rng.choice(["place"] * 5 + ["cancel", "reduce", "reprice"])
        try:
            if action == "place" or not placed:
                side = rng.choice([Side.BUY, Side.SELL])
                kind = rng.choice([OrderType.LIMIT] * 4 + [OrderType.IOC, OrderType.FOK])
                request = order_entry.OrderRequest(
                    unit, rng.choice(people), side, kind, rng.randint(1, 40), rng.randint(5997, 6003)
                )
                placed.append(order_entry.place(app.sessions, request, f"k-{step}", now=at, actor="test").id)
                action = "place"
            elif action == "cancel":
                order_entry.cancel(app.sessions, rng.choice(placed), now=at, actor="test")
            else:
                target = rng.choice(placed)
                if action == "reduce":
                    order_entry.amend(app.sessions, target, f"a-{step}", quantity=1, price=None, now=at, actor="t")
                else:
                    price = rng.randint(5997, 6003)
                    order_entry.amend(app.sessions, target, f"a-{step}", quantity=None, price=price, now=at, actor="t")
            kinds[action] += 1
        except RuleViolation:
            kinds["refused"] += 1  # e.g. amending an order no longer open, funds, self-trade leftovers
        with workers[0].sessions() as session:
            truth = _state(book_store._rebuild(session, unit, book_store.load_market_config("CN")).x)
        for worker in workers:
            cached = book_store.books_of(worker.sessions).entries.get(unit)
            if cached is None:
                continue
            with worker.sessions() as session, session.begin():
                book = book_store.open_book(session, book_store.books_of(worker.sessions), unit, "CN", at)
                assert _state(book.x) == truth, f"step {step}: worker's book differs after {action}"
                book_store.keep(book_store.books_of(worker.sessions), book, wrote=False)
    assert min(kinds.values()) > 0, kinds  # every kind of command ran
    report = check(workers[0].sessions)
    assert report.ok, report.problems
    for worker in workers:
        worker.engine.dispose()


def test_orders_another_worker_added_keep_their_time_priority(sqlite_url: str) -> None:
    a, b = build_app(sqlite_url, upgrade=True), build_app(sqlite_url)
    seeded = seed_trading(a.sessions, now=NOW, traders=3, units_each=1_000)
    unit, (p1, p2, p3) = seeded.registry.unit_type, seeded.participants

    def place(app: object, who: str, side: Side, quantity: int, key: str) -> order_reads.OrderView:
        request = order_entry.OrderRequest(unit, who, side, OrderType.LIMIT, quantity, 6000)
        return order_entry.place(app.sessions, request, key, now=NOW, actor="test")  # type: ignore[attr-defined]

    place(a, p3, Side.BUY, 1, "warm-a")  # worker a caches the book
    first, second = place(b, p1, Side.BUY, 5, "b-1"), place(b, p2, Side.BUY, 5, "b-2")
    third = place(b, p1, Side.BUY, 5, "b-3")
    order_entry.amend(b.sessions, first.id, "b-reduce", quantity=2, price=None, now=NOW, actor="test")
    hit = place(a, p3, Side.SELL, 8, "a-sell")  # a refreshes: p3's own order is taken out by STP
    assert [(t.buyer, t.quantity) for t in hit.trades] == [(p1, 2), (p2, 5), (p1, 1)]
    assert order_reads.get_order(a.sessions, third.id).remaining == 4
    assert order_reads.get_order(a.sessions, second.id).state == "done"
    for app in (a, b):
        app.engine.dispose()


def test_recover_expires_http_orders_for_the_cached_books_and_keeps_other_instruments_holds(sqlite_url: str) -> None:
    from carbonbridge.domain.registry.model import UnitKind
    from carbonbridge.services.market.cash import accounts as cash_accounts
    from carbonbridge.services.market.exchange import recover
    from carbonbridge.services.registry import accounts as registry_accounts

    app = build_app(sqlite_url, upgrade=True)
    seeded = seed_trading(app.sessions, now=NOW, traders=2, units_each=1_000)
    unit, (p1, p2) = seeded.registry.unit_type, seeded.participants
    other = registry_accounts.create_unit_type(app.sessions, "CN", UnitKind.ALLOWANCE, 2026, 1_000, now=NOW).code

    def place(instrument: str, who: str, side: Side, key: str) -> order_entry.OrderView:
        request = order_entry.OrderRequest(instrument, who, side, OrderType.LIMIT, 10, 6000)
        return order_entry.place(app.sessions, request, key, now=NOW, actor="test")

    place(unit, p1, Side.BUY, "stale")  # cached in this worker's book of `unit`
    elsewhere = place(other, p1, Side.BUY, "elsewhere")  # an open order of another instrument
    assert recover(app.sessions, unit, now=NOW) == 1
    crossing = place(unit, p2, Side.SELL, "after")
    assert (crossing.filled, crossing.remaining) == (0, 10)  # the expired order is out of the cached book
    held = {a.owner: a.held for a in cash_accounts(app.sessions) if a.kind == "participant"}
    assert held[p1] == 10 * (6000 + -(-6000 * 7 // 10_000))  # the other instrument's order keeps its hold
    assert order_reads.get_order(app.sessions, elsewhere.id).state == "open"
    report = check(app.sessions)
    assert report.ok, report.problems
    app.engine.dispose()
