"""Two server workers (two applications, each with its own engine and connection pool, over one
PostgreSQL database) take crossing orders at the same moment: the per-instrument lock and the book
rebuilt from the database make them trade exactly once, never twice and never both rest."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_world import UNIT, fund, make_world
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.entrypoints.http.app import create_app
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services import auth
from carbonbridge.services.market.check import check
from market_world import MARKET_OPEN, seed_market_api

ROUNDS = 6


def _post(app: Any, secret: str, key: str, body: dict[str, Any], start: threading.Barrier, out: list[Any]) -> None:
    with TestClient(app) as client:
        start.wait()
        response = client.post(
            "/api/v1/market/orders",
            json={"instrument": UNIT, "type": "limit", **body},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
        )
        out.append((response.status_code, response.json()))


def _read(app: Any, secret: str, order_id: str) -> Any:
    with TestClient(app) as client:
        return client.get(f"/api/v1/market/orders/{order_id}", headers={"Authorization": f"Bearer {secret}"}).json()


def _race(workers: list[Any], orders: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    start, out = threading.Barrier(len(orders)), []
    threads = [
        threading.Thread(target=_post, args=(workers[n % 2], secret, key, body, start, out))
        for n, (secret, key, body) in enumerate(orders)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(status == 200 for status, _ in out), out
    return [body for _, body in out]


@pytest.mark.postgres
def test_two_workers_crossing_orders_trade_once_and_never_fill_twice(pg_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app

    core = build_app(pg_url, upgrade=True)
    w = make_world(core)
    w.clock.now = MARKET_OPEN
    fund(w)
    seed_market_api(w, auction=False)
    keys = {
        user: auth.create_api_key(
            core.sessions,
            user,
            "race",
            [Grant(Role.TRADER, "BY", account)],
            now=w.clock.now,
            moves_units=True,
            actor="test",
        ).secret
        for user, account in (("trader", "BY-T1"), ("other", "BY-T2"), ("spare", "BY-T2"))
    }
    settings = Settings(db_url=pg_url, rate_limit_principal="100000/minute", rate_limit_address="100000/minute")
    workers = [create_app(settings, clock=w.clock), create_app(settings, clock=w.clock)]
    seller = {"participant": "P-BY-T1", "side": "sell", "quantity": 10}
    buyer = {"participant": "P-BY-T2", "side": "buy", "quantity": 10}
    try:
        for n in range(ROUNDS):
            price = 1000 + n
            # a seller and a buyer at the same moment on two workers: one trade, nothing rests
            both = _race(
                workers,
                [
                    (keys["trader"], f"s-{n}", {**seller, "price_minor": price}),
                    (keys["other"], f"b-{n}", {**buyer, "price_minor": price}),
                ],
            )
            # the first in rested (as its answer says), the second took it
            assert sorted((o["filled"], o["remaining"], o["state"]) for o in both) == [(0, 10, "open"), (10, 0, "done")]
            for placed in both:
                owner = keys["trader"] if placed["participant"] == "P-BY-T1" else keys["other"]
                assert _read(workers[1], owner, placed["id"])["state"] == "done"
            # two buyers for one resting sell, on two workers: one fills, the other rests whole
            _race(workers, [(keys["trader"], f"rest-{n}", {**seller, "price_minor": price})])
            two = _race(
                workers,
                [
                    (keys["other"], f"x-{n}", {**buyer, "price_minor": price}),
                    (keys["spare"], f"y-{n}", {**buyer, "price_minor": price}),
                ],
            )
            assert sorted((o["filled"], o["remaining"]) for o in two) == [(0, 10), (10, 0)]
            loser = next(o for o in two if o["remaining"])
            TestClient(workers[0]).post(
                f"/api/v1/market/orders/{loser['id']}/cancel", headers={"Authorization": f"Bearer {keys['other']}"}
            )
        with TestClient(workers[1]) as client:
            trades = client.get(f"/api/v1/market/instruments/{UNIT}/trades", params={"limit": 200}).json()["items"]
            depth = client.get(f"/api/v1/market/instruments/{UNIT}/depth").json()
        assert [t["quantity"] for t in trades] == [10] * (2 * ROUNDS)
        assert [t["seq"] for t in trades] == list(range(1, 2 * ROUNDS + 1))
        assert (depth["bids"], depth["asks"]) == ([], [])
        report = check(core.sessions)
        assert report.ok, report.problems
    finally:
        core.engine.dispose()
