"""Concurrent clients on PostgreSQL: 32 threads x 600 random transfers (10 % invalid) between 50
accounts, with repeated and shared client keys. Afterwards units are conserved per unit type, no
holding is negative, every client key has exactly one effect, and the log's chains verify.

CARBONBRIDGE_STRESS_TRANSFERS sets the per-thread count: 600 in the test suite (19,200 transfers,
about a minute; 2,000 took a third of CI's time on a slow day, 347 s), more for a longer soak
(`CARBONBRIDGE_STRESS_TRANSFERS=2000 .venv/bin/pytest tests/integration/registry/test_registry_concurrency.py`).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.engine import make_engine, session_factory
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.entrypoints.bootstrap import build_app
from carbonbridge.services.registry.accounts import set_account_state
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.queries import check
from carbonbridge.services.registry.transactions import propose
from carbonbridge.testing.market import Market, seed_market

# A million units per account, as in a real registry: with few units, tens of thousands of transfers would cut the
# serial blocks down to one or two units each and every transfer would move dozens of blocks.
THREADS, ACCOUNTS, UNITS_EACH, LIMIT = 32, 50, 1_000_000, 150
TRANSFERS = int(os.environ.get("CARBONBRIDGE_STRESS_TRANSFERS", "600"))
SEED = int(os.environ.get("CARBONBRIDGE_STRESS_SEED", "20261130"))
POLICY = SecurityPolicy(approval=ApprovalRule.UNTRUSTED, transfer_limit_units=LIMIT, max_consecutive_failures=0)
INVALID = ("not-authorised", "over-limit", "unknown-unit", "same-account", "blocked-source")


def policy_for(_: str) -> SecurityPolicy:
    return POLICY


def _request(rng: random.Random, market: Market, key: str, blocked: str) -> tuple[TransactionRequest, str | None]:
    """A random transfer; one in ten is invalid by construction (named by the second value)."""
    source, destination = rng.sample(market.traders, 2)
    quantity, rep, unit = rng.randint(1, 100), market.representatives(source)[0], market.unit_type
    invalid = rng.choice(INVALID) if rng.random() < 0.10 else None
    if invalid == "not-authorised":
        rep = market.representatives(destination)[0]
    elif invalid == "over-limit":
        quantity = LIMIT + rng.randint(1, 100)
    elif invalid == "unknown-unit":
        unit = "BY-AL-1999"
    elif invalid == "same-account":
        destination = source
    elif invalid == "blocked-source":
        source, rep = blocked, market.representatives(blocked)[0]
    return TransactionRequest(key, TransactionType.TRANSFER, source, destination, unit, quantity, rep), invalid


def _client(sessions: Any, market: Market, thread: int, outcomes: list[tuple[str, Any, str | None]]) -> None:
    rng = random.Random(SEED * 100 + thread)
    sent: list[TransactionRequest] = []
    for n in range(TRANSFERS):
        if n % 100 == 50:  # every thread sends the same request under the same key at about the same time
            request, invalid = _request(random.Random(n), market, f"shared-{n}", market.traders[-1])
        elif sent and rng.random() < 0.05:  # a client retrying after a lost answer
            request, invalid = rng.choice(sent), "repeat"
        else:
            request, invalid = _request(rng, market, f"t{thread}-{n}", market.traders[-1])
            sent.append(request)
        try:
            result: Any = propose(SqlLedgers(sessions), request, now=market_now, policy_for=policy_for).state.value
        except RuleViolation as exc:
            result = exc.code
        outcomes.append((request.client_key, result, invalid))


market_now = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)


@pytest.mark.postgres
@pytest.mark.timeout(1800)
def test_concurrent_random_transfers_conserve_units_and_apply_each_key_once(pg_url: str) -> None:
    app = build_app(pg_url, upgrade=True)
    setup_policy = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)
    market = seed_market(
        app.sessions, now=market_now, traders=ACCOUNTS, units_each=UNITS_EACH, policy_for=lambda _: setup_policy
    )
    set_account_state(app.sessions, market.traders[-1], AccountState.BLOCKED, now=market_now, reason="test")
    engine = make_engine(pg_url, pool_size=THREADS, max_overflow=0)
    sessions = session_factory(engine)
    outcomes: list[list[tuple[str, Any, str | None]]] = [[] for _ in range(THREADS)]
    clients = [threading.Thread(target=_client, args=(sessions, market, t, outcomes[t])) for t in range(THREADS)]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    flat = [o for per_thread in outcomes for o in per_thread]
    print(
        f"\n{len(flat)} transfers from {THREADS} threads in {elapsed:.1f} s ({len(flat) / elapsed:.0f}/s), "
        f"seed {SEED}, outcomes {Counter(r for _, r, _ in flat).most_common()}"
    )
    assert len(flat) == THREADS * TRANSFERS

    for _, result, invalid in flat:
        if invalid not in (None, "repeat"):
            assert result.startswith("R"), f"an invalid transfer ({invalid}) was accepted: {result}"
    by_key: dict[str, set[Any]] = {}
    for key, result, _ in flat:
        by_key.setdefault(key, set()).add(result)
    assert all(len(results) == 1 for results in by_key.values()), "a repeated key gave a different answer"

    with engine.connect() as connection:
        keys = dict(
            connection.execute(
                text(
                    "SELECT client_key, count(*) FROM registry_transactions WHERE client_key NOT LIKE 'seed-%' "
                    "GROUP BY client_key"
                )
            ).all()
        )
        postings = dict(
            connection.execute(
                text(
                    "SELECT t.client_key, count(p.id) FROM registry_transactions t LEFT JOIN registry_postings p "
                    "ON p.transaction_id = t.id WHERE t.client_key NOT LIKE 'seed-%' GROUP BY t.client_key"
                )
            ).all()
        )
        negative = connection.execute(text("SELECT count(*) FROM registry_holdings WHERE quantity < 0 OR reserved < 0"))
        assert negative.scalar_one() == 0
    assert set(keys) == set(by_key) and set(keys.values()) == {1}, "a client key has no or several transactions"
    for key, results in by_key.items():
        assert postings[key] == (2 if results == {"completed"} else 0), f"key {key} had {postings[key]} postings"

    report = check(app.sessions)
    assert report.ok, report.problems[:10]
    assert report.held[market.unit_type] == report.issued[market.unit_type] - report.deleted[market.unit_type]
    log_report = verify_log(app.sessions)
    assert log_report.ok, log_report.problems[:10]
    engine.dispose()
    app.engine.dispose()
