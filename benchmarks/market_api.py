"""Order entry through the HTTP API with several server workers, one run, one table.

A scratch PostgreSQL database with seeded CN traders (API keys that may move units), a market
configuration that trades all day (the server runs on the wall clock), `carbonbridge serve
--workers N` in a subprocess, then C client threads placing limit orders around 6000 (about half
of them cross) for S seconds on one instrument; orders per second, p50 and p99 latency, trades
made; then `market check` on the database.

Run: `.venv/bin/python benchmarks/market_api.py [--workers 2] [--clients 4] [--seconds 10]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from importlib import resources
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CLI = [sys.executable, "-m", "carbonbridge.entrypoints.cli.main"]


def _config(folder: Path) -> None:
    shipped = Path(str(resources.files("carbonbridge") / "data" / "market" / "CN.toml")).read_text(encoding="utf-8")
    lines = [ln for ln in shipped.splitlines() if ln.split("=", 1)[0].strip() not in ("sessions", "holidays")]
    at = lines.index("[exchange]") + 1
    lines[at:at] = ['sessions = [["00:00", "23:59:59"]]', "holidays = []", "weekend = []"]
    (folder / "market-CN.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _seed(url: str, traders: int) -> tuple[str, list[tuple[str, str]]]:
    from carbonbridge.domain.auth.principal import Grant, Role
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services import auth
    from carbonbridge.testing.trading import seed_trading

    core = build_app(url, upgrade=True)
    now = dt.datetime.now(dt.UTC)
    seeded = seed_trading(core.sessions, now=now, jurisdiction="CN", traders=traders, units_each=10_000_000)
    found = []
    for n, (account, participant) in enumerate(zip(seeded.registry.traders, seeded.participants, strict=True)):
        grant = [Grant(Role.TRADER, "CN", account)]
        auth.create_user(core.sessions, f"bench{n}", "a long enough password", grant, now=now)
        key = auth.create_api_key(core.sessions, f"bench{n}", "bench", grant, now=now, moves_units=True, actor="b")
        found.append((key.secret, participant))
    core.engine.dispose()
    return seeded.registry.unit_type, found


def _client(base: str, unit: str, who: tuple[str, str], stop: float, seed: int, out: list[float]) -> None:
    rng = random.Random(seed)
    secret, participant = who
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {secret}"}) as http:
        n = 0
        while time.perf_counter() < stop:
            n += 1
            side = rng.choice(["buy", "sell"])
            body = {
                "instrument": unit,
                "participant": participant,
                "side": side,
                "type": "limit",
                "quantity": rng.randint(1, 20),
                "price_minor": rng.randint(5995, 6005),
            }
            t0 = time.perf_counter()
            response = http.post("/api/v1/market/orders", json=body, headers={"Idempotency-Key": f"{seed}-{n}"})
            out.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pg", default=PG_ADMIN)
    args = parser.parse_args()
    name = f"cb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
    process = None
    try:
        unit, traders = _seed(url, max(2, args.clients))
        with tempfile.TemporaryDirectory() as folder:
            _config(Path(folder))
            port = 18000 + random.randrange(1000)
            env = {
                **os.environ,
                "CARBONBRIDGE_CONFIG": folder,
                "CARBONBRIDGE_RATE_LIMIT": "1000000/minute",
                "CARBONBRIDGE_RATE_LIMIT_ADDRESS": "1000000/minute",
            }
            cmd = [*CLI, "--db", url, "serve", "--workers", str(args.workers), "--port", str(port)]
            process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/api/v1/market/instruments", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            times: list[list[float]] = [[] for _ in range(args.clients)]
            stop = time.perf_counter() + args.seconds
            threads = [
                threading.Thread(target=_client, args=(base, unit, traders[c % len(traders)], stop, c, times[c]))
                for c in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            trades = httpx.get(f"{base}/api/v1/market/instruments/{unit}/depth").json()["last_seq"]
        from carbonbridge.entrypoints.bootstrap import build_app
        from carbonbridge.services.market.check import check

        core = build_app(url)
        report = check(core.sessions)
        core.engine.dispose()
        flat = [x for t in times for x in t]
        cuts = statistics.quantiles(flat, n=100)
        table = Table(title=f"Order entry over HTTP: {args.workers} workers, {args.clients} clients, one instrument")
        for column in ("orders", "orders/s", "p50 ms", "p99 ms", "trades", "market check"):
            table.add_column(column)
        table.add_row(
            str(len(flat)),
            f"{len(flat) / args.seconds:,.0f}",
            f"{statistics.median(flat) * 1e3:.1f}",
            f"{cuts[98] * 1e3:.1f}",
            str(trades),
            "ok" if report.ok else "; ".join(report.problems),
        )
        Console().print(table)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
