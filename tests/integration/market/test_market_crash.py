"""Durability of settlement: a child process trading and settling in batches is killed with SIGKILL,
many times, preferably while a batch settlement runs. After each kill (and `recover` of the
interrupted day), every acknowledged settlement is complete, no trade is marked settled without
its settlement, units and each currency are conserved, the clearing account is empty and the
registry's log verifies: never units moved without cash, nor cash without units."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from carbonbridge.services.market.check import check
from carbonbridge.services.market.exchange import recover
from carbonbridge.services.registry.log import verify_log
from carbonbridge.testing.trading import seed_trading

ROUNDS = int(os.environ.get("CARBONBRIDGE_MARKET_CRASH_ROUNDS", "8"))
SEED = int(os.environ.get("CARBONBRIDGE_MARKET_CRASH_SEED", "1212"))
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 Asia/Shanghai, a Tuesday
CHILD = textwrap.dedent(
    """
    import datetime as dt, os, random, sys
    from carbonbridge.domain.errors import RuleViolation
    from carbonbridge.domain.market.book import OrderType, Side
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services.market.exchange import TradingDay

    url, ack_path, round_, unit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    people = sys.argv[5].split(",")
    app = build_app(url)
    rng = random.Random(round_)
    now = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
    day = TradingDay(app.sessions, unit, dt.date(2026, 3, 3), opening_price=6000)
    print("ready", flush=True)
    with open(ack_path, "a", encoding="utf-8") as acks:
        for batch in range(100000):
            for n in range(12):
                try:
                    day.place(f"r{round_}-{batch}-{n}", rng.choice(people), rng.choice(list(Side)), OrderType.LIMIT,
                              rng.randint(1, 300), rng.randint(5900, 6100), now)
                except RuleViolation:
                    pass
            print("settle", flush=True)
            key = f"crash-{round_}-{batch}"
            day.settle(key, now)
            acks.write(key + "\\n")  # acknowledged only after the settlement committed
            acks.flush()
            os.fsync(acks.fileno())
    """
)


def _run_and_kill(url: str, ack: Path, round_: int, unit: str, people: list[str], rng: random.Random) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(ack), str(round_), unit, ",".join(people)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != "ready":
        child.kill()
        raise AssertionError(f"child failed to start: {line} {child.stderr.read() if child.stderr else ''}")
    settles = rng.randint(1, 6)  # kill during (or just after) the n-th batch settlement
    for _ in range(settles):
        if child.stdout.readline().strip() != "settle":
            child.kill()
            raise AssertionError(f"child stopped: {child.stderr.read() if child.stderr else ''}")
    time.sleep(rng.uniform(0.0, 0.04))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL


def test_a_sigkill_during_batch_settlement_never_moves_units_without_cash(app: Any, tmp_path: Path) -> None:
    seeded = seed_trading(app.sessions, now=NOW, traders=4, units_each=20_000, cash_each=500_000_000)
    unit, people = seeded.registry.unit_type, list(seeded.participants)
    ack = tmp_path / "acknowledged.txt"
    ack.touch()
    rng = random.Random(SEED)
    for round_ in range(ROUNDS):
        _run_and_kill(app.url, ack, round_, unit, people, rng)
        recover(app.sessions, unit, now=NOW)
        report = check(app.sessions)
        assert report.ok, f"round {round_} (seed {SEED}): {report.problems[:10]}"
        assert report.money_in_system["CNY"] == 4 * 500_000_000
    acknowledged = {k for k in ack.read_text(encoding="utf-8").splitlines() if k}
    assert acknowledged, f"no settlement was acknowledged in {ROUNDS} rounds (seed {SEED})"
    with app.engine.connect() as c:
        stored = {r[0]: (r[1], r[2]) for r in c.execute(text("SELECT client_key, id, trades FROM market_settlements"))}
        per_settlement = dict(
            c.execute(
                text(
                    "SELECT settlement_id, count(*) FROM market_trades WHERE settlement_id IS NOT NULL GROUP BY "
                    "settlement_id"
                )
            ).all()
        )
        registry_units = c.execute(
            text("SELECT sum(quantity) FROM registry_holdings WHERE unit_type = :u AND account_id LIKE 'CN-T%'"),
            {"u": unit},
        ).scalar_one()
    missing = sorted(acknowledged - set(stored))
    assert not missing, f"acknowledged but lost (seed {SEED}): {missing[:5]}"
    for _, (settlement_id, trades) in stored.items():
        assert per_settlement.get(settlement_id, 0) == trades  # all of its trades, and only them
    assert int(registry_units) == 4 * 20_000
    assert verify_log(app.sessions).ok
    print(f"\n{len(acknowledged)} settlements acknowledged, {len(stored)} stored after {ROUNDS} SIGKILLs (seed {SEED})")
