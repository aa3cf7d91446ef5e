"""Durability: a child process applying transfers is killed with SIGKILL at random points, many
times. After each restart every acknowledged transfer is present and complete, and no transfer is
half applied (postings, serial blocks and holdings agree; the log's chains verify)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from sqlalchemy import text

from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.queries import check
from carbonbridge.testing.market import seed_market

ROUNDS = int(os.environ.get("CARBONBRIDGE_CRASH_ROUNDS", "12"))
SEED = int(os.environ.get("CARBONBRIDGE_CRASH_SEED", "4242"))
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
CHILD = textwrap.dedent(
    """
    import datetime as dt, os, random, sys
    from carbonbridge.domain.registry.commands import TransactionRequest
    from carbonbridge.domain.registry.model import TransactionType
    from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services.registry.transactions import propose

    url, ack_path, round_ = sys.argv[1], sys.argv[2], int(sys.argv[3])
    policy = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)
    app = build_app(url)
    traders = [f"BY-T{i:03d}" for i in range(5)]
    rng = random.Random(round_)
    now = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
    with open(ack_path, "a", encoding="utf-8") as acks:
        print("ready", flush=True)
        for n in range(100000):
            source, destination = rng.sample(traders, 2)
            key = f"r{round_}-{n}"
            request = TransactionRequest(key, TransactionType.TRANSFER, source, destination, "BY-AL-2026",
                                         rng.randint(1, 20), source + "-rep-a")
            propose(SqlLedgers(app.sessions), request, now=now, policy_for=lambda _: policy)
            acks.write(key + "\\n")  # acknowledged only after the commit returned
            acks.flush()
            os.fsync(acks.fileno())
    """
)


def _run_and_kill(url: str, ack_path: Path, round_: int, rng: random.Random) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(ack_path), str(round_)],
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
    try:
        child.wait(timeout=rng.uniform(0.05, 1.5))
        raise AssertionError(f"child ended by itself: {child.stderr.read() if child.stderr else ''}")
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL


def test_acknowledged_transfers_survive_sigkill_and_none_is_half_applied(app: Any, tmp_path: Path) -> None:
    policy = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)
    seed_market(app.sessions, now=NOW, traders=5, units_each=10_000, policy_for=lambda _: policy)
    ack_path = tmp_path / "acknowledged.txt"
    ack_path.touch()
    rng = random.Random(SEED)
    for round_ in range(ROUNDS):
        _run_and_kill(app.url, ack_path, round_, rng)
    acknowledged = {k for k in ack_path.read_text(encoding="utf-8").splitlines() if k}
    assert acknowledged, f"no transfer was acknowledged in {ROUNDS} rounds (seed {SEED})"
    with app.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT t.client_key, t.state, count(p.id) FROM registry_transactions t LEFT JOIN registry_postings p "
                "ON p.transaction_id = t.id WHERE t.client_key LIKE 'r%' GROUP BY t.client_key, t.state"
            )
        ).all()
    stored = {key: (state, postings) for key, state, postings in rows}
    missing = sorted(acknowledged - set(stored))
    assert not missing, f"acknowledged but lost (seed {SEED}): {missing[:5]}"
    assert all(stored[k] == ("completed", 2) for k in acknowledged)
    assert all(postings in (0, 2) for _, postings in stored.values()), "a transfer with one posting"
    report = check(app.sessions)
    assert report.ok, report.problems[:10]
    assert verify_log(app.sessions).ok
    print(f"\n{len(acknowledged)} acknowledged, {len(stored)} stored after {ROUNDS} SIGKILLs (seed {SEED})")
