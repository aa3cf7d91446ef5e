"""End to end: `carbonbridge serve --workers 2` on PostgreSQL in a real subprocess; two machine
clients (API keys that may move units) place crossing orders at the same moment, round after
round: each round makes exactly one trade and leaves nothing resting, the trade stream replays
every trade in sequence, and the market's ledgers check.

The server runs on the wall clock, so the test's market configuration (`market-CN.toml` in
CARBONBRIDGE_CONFIG) trades all day every day."""

from __future__ import annotations

import datetime as dt
import threading
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.client import Client
from serve_process import serving

ROUNDS = 5
pytestmark = pytest.mark.postgres


def _all_day_config(folder: Path) -> None:
    shipped = Path(str(resources.files("carbonbridge") / "data" / "market" / "CN.toml")).read_text(encoding="utf-8")
    data = tomllib.loads(shipped)
    lines = []
    for line in shipped.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in ("sessions", "holidays"):
            continue
        lines.append(line)
        if line.strip() == "[exchange]":
            lines += ['sessions = [["00:00", "23:59:59"]]', "holidays = []", "weekend = []"]
    folder.mkdir()
    (folder / "market-CN.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert tomllib.loads((folder / "market-CN.toml").read_text())["exchange"]["tick"] == data["exchange"]["tick"]


@pytest.fixture
def market(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    from carbonbridge.domain.auth.principal import Grant, Role
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services import auth
    from carbonbridge.testing.trading import seed_trading

    core = build_app(pg_url, upgrade=True)
    now = dt.datetime.now(dt.UTC)
    seeded = seed_trading(core.sessions, now=now, jurisdiction="CN", traders=2, units_each=1_000)
    keys = []
    for n, account in enumerate(seeded.registry.traders):
        grant = [Grant(Role.TRADER, "CN", account)]
        auth.create_user(core.sessions, f"trader{n}", "a long enough password", grant, now=now)
        keys.append(
            auth.create_api_key(
                core.sessions, f"trader{n}", "e2e", grant, now=now, moves_units=True, actor="e2e"
            ).secret
        )
    core.engine.dispose()
    config = tmp_path / "config"
    _all_day_config(config)
    env = {"CARBONBRIDGE_CONFIG": str(config)}
    with serving(pg_url, tmp_path, probe="/api/v1/market/instruments", env=env) as base:
        yield {"base": base, "keys": keys, "unit": seeded.registry.unit_type, "people": seeded.participants}


def _place(
    client: Client, body: dict[str, Any], key: str, unit: str, start: threading.Barrier, answers: list[Any]
) -> None:
    start.wait()
    answers.append(client.place_order(key=key, instrument=unit, type="limit", quantity=10, **body))


def test_two_workers_take_crossing_orders_at_once_and_trade_exactly_once(market: dict[str, Any], pg_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services.market.check import check

    unit, (seller, buyer) = market["unit"], market["people"]
    clients = [Client(market["base"], token=key) for key in market["keys"]]
    for n in range(ROUNDS):
        start, answers = threading.Barrier(2), list[Any]()
        orders = [
            (clients[0], {"participant": seller, "side": "sell", "price_minor": 6000 + n}, f"s-{n}"),
            (clients[1], {"participant": buyer, "side": "buy", "price_minor": 6000 + n}, f"b-{n}"),
        ]
        threads = [threading.Thread(target=_place, args=(*o, unit, start, answers)) for o in orders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted((a["filled"], a["remaining"]) for a in answers) == [(0, 10), (10, 0)], answers
    public = Client(market["base"])
    assert [t["quantity"] for t in public.market_trades(unit)] == [10] * ROUNDS
    depth = public.depth(unit)
    assert (depth["bids"], depth["asks"]) == ([], [])
    replay = [e for e in public.events(unit, last_event_id=0, max_events=ROUNDS + 1) if e.kind == "trade"]
    assert [e.id for e in replay] == list(range(1, ROUNDS + 1))
    core = build_app(pg_url)
    try:
        report = check(core.sessions)
        assert report.ok, report.problems
    finally:
        core.engine.dispose()
