"""Benchmark of registry transfers against pgbench's TPC-B-like script on the same PostgreSQL.

A transfer here is `services.registry.transactions.propose` with every rule on: idempotency by client key,
representative authorisation and suspension counting, account states, unit eligibility, the
per-transfer limit, the trusted-list check, row locks, serial-block split, double-entry postings,
state events, the hash-chained transaction log entry and the audit record, all in one database
transaction. Destinations are on the sender's trusted list and the policy asks a second
representative only for untrusted destinations (approval = "untrusted"), so one command completes
one transfer. Each client is a separate process with its own connection, like pgbench's clients.

Rows: SQLite with one writer; PostgreSQL with 1, 8 and 32 clients; in the same run `pgbench -i`
into a scratch database (scale 1, pgbench's default; --scale changes it: at scale 1 all clients
update the one branch row, at scale >= clients they do not, and pgbench's TPS is about twice as
high at 8 clients) and `pgbench -c N -j N -T T` (built-in TPC-B-like script) at the same client
counts. Acceptance: PostgreSQL at 8 clients >= 40 % of pgbench at 8 clients.

Run: `.venv/bin/python benchmarks/registry_transfers.py [--seconds 10] [--pg URL] [--scale 32]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
POLICY = SecurityPolicy(approval=ApprovalRule.UNTRUSTED, transfer_limit_units=10_000)
TRADERS, UNITS_EACH = 50, 1_000_000
CLIENTS = (1, 8, 32)


def policy_for(_: str) -> SecurityPolicy:
    return POLICY


def _client(url: str, client: int, start_at: float, seconds: float, counts: mp.Queue) -> None:  # type: ignore[type-arg]
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services.registry.transactions import propose

    app = build_app(url, check=False)
    ledgers = SqlLedgers(app.sessions)
    traders = [f"BY-T{i:03d}" for i in range(TRADERS)]
    rng, done, refused, n = random.Random(client), 0, 0, 0
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < start_at + seconds:
        source, destination = rng.sample(traders, 2)
        request = TransactionRequest(
            f"bench-{client}-{n}-{start_at}",
            TransactionType.TRANSFER,
            source,
            destination,
            "BY-AL-2026",
            rng.randint(1, 100),
            f"{source}-rep-a",
        )
        n += 1
        try:
            propose(ledgers, request, now=NOW, policy_for=policy_for)
            done += 1
        except RuleViolation:
            refused += 1
    counts.put((done, refused))
    app.engine.dispose()


def registry_tps(url: str, clients: int, seconds: float) -> float:
    """Completed transfers per second with `clients` processes (refusals are not counted)."""
    counts: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 3.0  # every client connected and warmed up before the clock starts
    workers = [mp.Process(target=_client, args=(url, c, start_at, seconds, counts)) for c in range(clients)]
    for worker in workers:
        worker.start()
    results = [counts.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(done for done, _ in results) / seconds


def seed(url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.testing.market import seed_market

    app = build_app(url, upgrade=True)
    setup = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)  # the hand-out exceeds the per-transfer limit
    seed_market(app.sessions, now=NOW, traders=TRADERS, units_each=UNITS_EACH, policy_for=lambda _: setup)
    app.engine.dispose()


def _admin(pg: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as connection:
        connection.execute(sql)


def _scratch(pg: str, name: str) -> str:
    _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(pg, f'CREATE DATABASE "{name}"')
    return f"{pg.rsplit('/', 1)[0]}/{name}"


def _pgbench_args(url: str) -> list[str]:
    parts = urlsplit(url)
    return [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        parts.path.lstrip("/"),
    ]


def pgbench_tps(url: str, clients: int, seconds: float) -> float:
    *connection, database = _pgbench_args(url)
    out = subprocess.run(
        ["pgbench", *connection, "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)), database],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test", help="admin URL")
    parser.add_argument("--scale", type=int, default=1, help="pgbench -i scale (default 1, pgbench's own default)")
    args = parser.parse_args()

    rows: list[tuple[str, int, float, float | None]] = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        seed(sqlite_url)
        rows.append(("SQLite (1 writer)", 1, registry_tps(sqlite_url, 1, args.seconds), None))
    registry_url = _scratch(args.pg, "cb_bench_registry")
    seed(registry_url)
    bench_url = _scratch(args.pg, "cb_bench_pgbench")
    *connection, database = _pgbench_args(bench_url)
    subprocess.run(
        ["pgbench", *connection, "-i", "-q", "-s", str(args.scale), database], check=True, capture_output=True
    )
    for clients in CLIENTS:
        ours = registry_tps(registry_url, clients, args.seconds)
        reference = pgbench_tps(bench_url, clients, args.seconds)
        rows.append(("PostgreSQL", clients, ours, reference))
    _admin(args.pg, 'DROP DATABASE IF EXISTS "cb_bench_registry" WITH (FORCE)')
    _admin(args.pg, 'DROP DATABASE IF EXISTS "cb_bench_pgbench" WITH (FORCE)')
    print(f"registry transfers/s, full rules + audit, {args.seconds:.0f} s per row; pgbench TPC-B-like -s {args.scale}")
    print(f"{'database':<20}{'clients':>8}{'transfers/s':>14}{'pgbench tps':>14}{'ratio':>9}")
    for name, clients, ours, reference in rows:
        ref = f"{reference:14.0f}" if reference else f"{'-':>14}"
        ratio = f"{ours / reference:8.0%}" if reference else f"{'-':>9}"
        print(f"{name:<20}{clients:>8}{ours:>14.0f}{ref}{ratio:>9}")
    eight = next(r for r in rows if r[0] == "PostgreSQL" and r[1] == 8)
    verdict = "PASS" if eight[3] and eight[2] >= 0.4 * eight[3] else "FAIL"
    print(f"acceptance (PostgreSQL 8 clients >= 40 % of pgbench at 8): {verdict}")
    sys.exit(0)


if __name__ == "__main__":
    main()
