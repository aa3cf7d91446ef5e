"""The link's slow paths, deterministic, on SQLite and PostgreSQL (one database per registry):
a transfer the partner never answers is cancelled and released, or waits for an administrator;
the reconciliation gate refuses a send; a surrender keeps foreign units within the agreed share
of the obligation (by hand: 1/5 of 1 003 t = 200.6, so 200 units)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountType, TransactionState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule
from carbonbridge.entrypoints.bootstrap import App
from carbonbridge.services import link_delivery, link_inbox, link_reconcile, link_transfers
from carbonbridge.services.compliance import enter_verified_emissions
from carbonbridge.services.registry import accounts, queries, workflow
from carbonbridge.services.registry.transactions import propose
from carbonbridge.testing.market import Market
from link_world import ACKED, START, agreement_with, policy_for, registry_urls, seed_registries

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
World = tuple[dict[str, App], dict[str, Market]]


@pytest.fixture(params=KINDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "postgresql":
        request.getfixturevalue("pg_server")  # skipped (or failed under CARBONBRIDGE_REQUIRE_PG) without a server
    with (
        registry_urls(request.param, tmp_path) as urls,
        agreement_with(
            tmp_path / "config",
            window_seconds=0,
            reply_timeout_windows=1,
            min_timeout_seconds=2,
            manual_after_windows=1,
        ),
    ):
        apps, markets = seed_registries(urls, units_each=500)
        yield apps, markets
        for app in apps.values():
            app.engine.dispose()


def _send(w: World, own: str, quantity: int, key: str, to: str | None = None, now: dt.datetime = START) -> str:
    apps, markets = w
    partner = "BY" if own == "CN" else "CN"
    trader = markets[own].traders[0]
    view = link_transfers.send(
        apps[own].sessions,
        own,
        client_key=key,
        source_account=trader,
        partner_account=to or markets[partner].traders[0],
        unit_type=f"{own}-AL-2026",
        quantity=quantity,
        initiator=markets[own].representatives(trader)[0],
        now=now,
        policy_for=policy_for,
    )
    return view.id


def _pump(w: World, now: dt.datetime, drop: Callable[[dict[str, Any]], bool] = lambda _d: False) -> None:
    """Deliver both outboxes until quiet; `drop` loses the messages it names (no answer)."""
    apps, _ = w

    def transport(partner: str, document: dict[str, Any]) -> int:
        if drop(document):
            return 0
        return 200 if link_inbox.receive(apps[partner].sessions, partner, document, now=now) in ACKED else 409

    for _ in range(4):
        for own in ("BY", "CN"):
            link_delivery.deliver_due(apps[own].sessions, own, transport, key=apps[own].signing_key(own), now=now)


def _state(app: App, direction: str = "out") -> dict[str, str]:
    with app.sessions() as session:
        return dict(
            sql.rows(session, "SELECT transaction_id, state FROM link_transfers WHERE direction = :d", {"d": direction})
        )


def _free(app: App, account: str, unit: str) -> int:
    with app.sessions() as session:
        found = sql.one(
            session,
            "SELECT quantity - reserved FROM registry_holdings WHERE account_id = :a AND unit_type = :u",
            {"a": account, "u": unit},
        )
    return int(found[0]) if found else 0


def test_a_transfer_never_answered_is_cancelled_then_released(world: World) -> None:
    apps, markets = world
    trader = markets["CN"].traders[0]
    tid = _send(world, "CN", 40, "t1")
    assert _free(apps["CN"], trader, "CN-AL-2026") == 460  # reserved
    _pump(world, START, drop=lambda d: True)  # the network loses everything
    assert link_transfers.tick(apps["CN"].sessions, "CN", now=START + dt.timedelta(seconds=1)) == {
        "cancelling": 0,
        "manual": 0,
    }
    later = START + dt.timedelta(seconds=2)  # the configured timeout: max(0 x 1 windows, 2 s)
    assert link_transfers.tick(apps["CN"].sessions, "CN", now=later)["cancelling"] == 1
    assert _state(apps["CN"]) == {tid: "cancelling"}
    _pump(world, later)  # healed: only the CANCEL goes (the TRANSFER was withdrawn), BY records it
    assert _state(apps["CN"]) == {tid: "released"}
    assert _state(apps["BY"], "in") == {tid: "refused"}
    assert _free(apps["CN"], trader, "CN-AL-2026") == 500
    assert _free(apps["BY"], markets["BY"].traders[0], "CN-AL-2026") == 0
    for app in apps.values():
        assert queries.check(app.sessions).ok


def test_a_cancellation_never_answered_waits_for_the_administrator(world: World) -> None:
    apps, markets = world
    trader = markets["CN"].traders[0]
    tid = _send(world, "CN", 25, "t2")
    tick = lambda s: link_transfers.tick(apps["CN"].sessions, "CN", now=START + dt.timedelta(seconds=s))  # noqa: E731
    assert tick(2)["cancelling"] == 1
    assert tick(9) == {"cancelling": 0, "manual": 0}  # manual after max(0 x 1 windows, 4 x 2 s) = 8 s more
    assert tick(10)["manual"] == 1
    by = link_reconcile.snapshot(apps["BY"].sessions, "BY")
    now = START + dt.timedelta(seconds=11)
    assert link_reconcile.run(apps["CN"].sessions, "CN", by, now=now).status is ReconciliationStatus.MANUAL_INTERVENTION
    with pytest.raises(RuleViolation, match="L15"):  # the gate is closed until a reconciliation completes
        _send(world, "CN", 1, "t3", now=now)
    assert _free(apps["CN"], trader, "CN-AL-2026") == 475  # still reserved: silence releases nothing
    assert link_transfers.resolve_manual(apps["CN"].sessions, "CN", tid, release=True, actor="admin", now=now) == (
        "L17_RELEASED_BY_ADMINISTRATOR"
    )
    assert _free(apps["CN"], trader, "CN-AL-2026") == 500
    _pump(world, now)  # the CANCEL still reaches BY: a late TRANSFER copy would now be refused
    assert _state(apps["BY"], "in") == {tid: "refused"}
    by = link_reconcile.snapshot(apps["BY"].sessions, "BY")
    assert link_reconcile.run(apps["CN"].sessions, "CN", by, now=now).status is ReconciliationStatus.COMPLETED
    _send(world, "CN", 1, "t4", now=now)  # open again


def test_a_reconciliation_that_starts_closes_the_gate_inside_the_proposal(world: World) -> None:
    apps, _ = world
    link_reconcile.start(apps["BY"].sessions, "BY", now=START)
    with pytest.raises(RuleViolation, match="L15"):
        _send(world, "BY", 5, "g1")
    with apps["BY"].sessions() as session:
        assert sql.one(session, "SELECT count(*) FROM registry_transactions WHERE client_key = 'g1'", {})[0] == 0
    link_reconcile.abort(apps["BY"].sessions, "BY", None, "test", now=START)
    _send(world, "BY", 5, "g2")


def test_a_transfer_approved_during_a_pending_reconciliation_waits_for_the_gate(world: World) -> None:
    apps, markets = world
    trader = markets["BY"].traders[0]
    rep_a, rep_b = markets["BY"].representatives(trader)
    always = dataclasses.replace(policy_for("BY"), approval=ApprovalRule.ALWAYS)
    view = link_transfers.send(
        apps["BY"].sessions, "BY", client_key="w1", source_account=trader, partner_account=markets["CN"].traders[0],
        unit_type="BY-AL-2026", quantity=7, initiator=rep_a, now=START, policy_for=lambda _j: always,
    )  # fmt: skip
    assert view.state is TransactionState.PROPOSED  # proposed before the reconciliation: not gated
    before = link_reconcile.start(apps["BY"].sessions, "BY", now=START)
    waiting = workflow.approve(SqlLedgers(apps["BY"].sessions), view.id, rep_b, now=START, policy_for=lambda _j: always)
    assert waiting.state is TransactionState.DELAYED  # approved, but not sent while the run is pending
    by = SqlLedgers(apps["BY"].sessions)
    assert workflow.settle_due(by, now=START, only=TransactionType.LINK_TRANSFER)[0].state is (TransactionState.DELAYED)
    assert link_delivery.pending_messages(apps["BY"].sessions) == 0
    assert _free(apps["BY"], trader, "BY-AL-2026") == 493  # still reserved
    link_reconcile.abort(apps["BY"].sessions, "BY", before, "test", now=START)
    sent = workflow.settle_due(SqlLedgers(apps["BY"].sessions), now=START, only=TransactionType.LINK_TRANSFER)
    assert [v.state for v in sent] == [TransactionState.CHECKED]
    assert link_delivery.pending_messages(apps["BY"].sessions) == 1
    _pump(world, START)
    assert _state(apps["BY"])[view.id] == "completed"


def test_foreign_units_in_a_surrender_stay_within_the_agreed_share(
    world: World, add_verified_report: Callable[..., None]
) -> None:
    apps, _ = world
    by = apps["BY"].sessions
    with unit_of_work(by) as session:
        session.add(
            InstallationRow(
                id="BY-INST-9", jurisdiction="BY", name="Kiln", operator="Op", sector="cement", created_at=START
            )
        )
    add_verified_report(by, "BY-INST-9", 1003, START, year=2026)
    enter_verified_emissions(by, "BY-INST-9", 2026, now=START)
    accounts.open_account(
        by, "BY-OHA-9", "BY", AccountType.OPERATOR_HOLDING, "Op", now=START, installation_id="BY-INST-9"
    )
    accounts.add_representative(by, "oha9", "oha9", ["BY-OHA-9"], now=START)
    _send(world, "CN", 260, "buy", to="BY-OHA-9")  # CN allowances bought in China, sent to the kiln's account
    _pump(world, START)
    assert _free(apps["BY"], "BY-OHA-9", "CN-AL-2026") == 260

    def surrender(quantity: int, key: str) -> str:
        request = TransactionRequest(
            key, TransactionType.SURRENDER, "BY-OHA-9", "BY-DELETION", "CN-AL-2026", quantity, "oha9",
            installation_id="BY-INST-9", compliance_year=2026,
        )  # fmt: skip
        try:
            return propose(SqlLedgers(by), request, now=START, policy_for=policy_for).state.value
        except RuleViolation as exc:
            return str(exc.code)

    # share 1/5 of the obligation 1 003 t: floor(200.6) = 200 foreign units in all
    assert surrender(150, "s1") == "completed"
    assert surrender(51, "s2") == "R15_FOREIGN_LIMIT_EXCEEDED"  # 150 + 51 = 201 > 200
    assert surrender(50, "s3") == "completed"  # 200
    assert surrender(1, "s4") == "R15_FOREIGN_LIMIT_EXCEEDED"
    assert _free(apps["BY"], "BY-OHA-9", "CN-AL-2026") == 60
    assert queries.check(by).ok
