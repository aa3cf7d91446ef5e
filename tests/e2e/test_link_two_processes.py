"""End to end: two registries as two `carbonbridge serve --jurisdiction` processes on two
PostgreSQL databases, link messages over HTTP. Link transfers go both ways while the CN process is
killed with SIGKILL mid-flow and started again; afterwards every transfer is completed or
released, reconciliation (a signed snapshot query over HTTP) passes both ways, each ledger is
conserved, and per origin the units held across both registries equal those issued."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.link_http import HttpLink
from carbonbridge.domain.link.agreement import link_account_id
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.entrypoints.bootstrap import App, utcnow
from carbonbridge.services import link_delivery, link_queries, link_transfers
from carbonbridge.services.registry import queries
from carbonbridge.testing.market import Market
from carbonbridge_demo.link_pair import LinkPair
from link_world import PARTNER, agreement_with, policy_for, registry_urls, seed_registries

pytestmark = pytest.mark.postgres
SENDS = 24


def _open(app: App) -> int:
    with app.sessions() as session:
        found = sql.one(
            session,
            "SELECT count(*) FROM link_transfers WHERE direction = 'out' AND state NOT IN ('completed', 'released')",
            {},
        )
    return int(found[0]) + link_delivery.pending_messages(app.sessions)


def _held(app: App, own: str) -> dict[str, int]:
    with app.sessions() as session:
        found = sql.rows(
            session,
            "SELECT h.unit_type, sum(h.quantity) FROM registry_holdings h "
            "JOIN registry_accounts a ON a.id = h.account_id "
            "WHERE a.type <> 'issuance' AND a.id <> :l GROUP BY h.unit_type",
            {"l": link_account_id(own, PARTNER[own])},
        )
    return {str(u): int(n) for u, n in found}


def _send(apps: dict[str, App], markets: dict[str, Market], own: str, i: int, rng: random.Random) -> None:
    trader = rng.choice(markets[own].traders)
    with apps[own].sessions() as session:
        free = sql.rows(
            session,
            "SELECT unit_type, quantity - reserved FROM registry_holdings "
            "WHERE account_id = :a AND quantity > reserved ORDER BY unit_type",
            {"a": trader},
        )
    unit, available = rng.choice(free)
    link_transfers.send(
        apps[own].sessions,
        own,
        client_key=f"e2e-{i}",
        source_account=trader,
        partner_account=rng.choice(markets[PARTNER[own]].traders),
        unit_type=str(unit),
        quantity=rng.randint(1, min(int(available), 30)),
        initiator=markets[own].representatives(trader)[0],
        now=utcnow(),
        policy_for=policy_for,
    )


def test_two_registry_processes_lose_nothing_when_one_is_killed(pg_server: str, tmp_path: Path) -> None:
    rng = random.Random(13)
    with (
        registry_urls("postgresql", tmp_path) as urls,
        # a short reply timeout (2 s): transfers sent to the dead CN time out over HTTP and are cancelled
        agreement_with(
            tmp_path / "config",
            retry_base_seconds=1,
            retry_max_seconds=1,
            window_seconds=1,
            reply_timeout_windows=1,
            min_timeout_seconds=2,
        ),
    ):
        apps, markets = seed_registries(urls, traders=2, units_each=200, now=utcnow())
        with LinkPair(urls, tmp_path) as pair:
            for i in range(SENDS):
                _send(apps, markets, "BY" if i % 2 == 0 else "CN", i, rng)
                if i == SENDS // 3:
                    pair.kill("CN")  # mid-flow: messages to CN fail, CN's own outbox stops
                if i == 2 * SENDS // 3:
                    time.sleep(3)  # longer than the reply timeout: BY's transfers to CN time out
                    pair.start("CN")
                    pair.wait_ready("CN")
                time.sleep(0.05)
            deadline = time.monotonic() + 60
            while any(_open(app) for app in apps.values()):
                assert time.monotonic() < deadline, {
                    code: link_transfers.health(a.sessions, code, now=utcnow()) for code, a in apps.items()
                }
                time.sleep(0.2)
            for own in ("BY", "CN"):
                query = HttpLink(pair.base(PARTNER[own])).query
                result = link_queries.reconcile_with_partner(
                    apps[own].sessions, own, query, key=apps[own].signing_key(own), now=utcnow()
                )
                assert result.status is ReconciliationStatus.COMPLETED, result
        for own, app in apps.items():
            assert queries.check(app.sessions).ok, own
            with app.sessions() as session:
                states = dict(
                    sql.rows(
                        session, "SELECT state, count(*) FROM link_transfers WHERE direction = 'out' GROUP BY state", {}
                    )
                )
            assert set(states) <= {"completed", "released"} and states.get("completed"), (own, states)
        for origin in ("BY", "CN"):
            issued = 2 * 200
            held = _held(apps["BY"], "BY").get(f"{origin}-AL-2026", 0) + _held(apps["CN"], "CN").get(
                f"{origin}-AL-2026", 0
            )
            assert held == issued, (origin, held)
        with apps["BY"].sessions() as session:  # BY's messages to the dead CN were retried
            assert int(sql.one(session, "SELECT max(attempts) FROM link_outbox", {})[0]) >= 2
            # and some timed out: BY asked CN to cancel them over HTTP, and each ended final (above)
            assert int(sql.one(session, "SELECT count(*) FROM link_outbox WHERE kind = 'cancel'", {})[0]) >= 1
        for app in apps.values():
            app.engine.dispose()
