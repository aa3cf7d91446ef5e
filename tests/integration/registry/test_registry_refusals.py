"""Defects found by a hostile integrator, pinned: a zero or negative quantity is refused with R11
and recorded like any other refusal; a transfer racing a pending transfer on PostgreSQL reads the
reserved figure under its lock; a constraint firing is a typed, audited error, never a traceback."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.errors import RuleViolation, StorageInvariantViolated, ValidationFailed
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.registry import accounts, transactions
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.queries import check, holdings
from carbonbridge.services.registry.transactions import propose
from carbonbridge.testing.market import seed_market

POLICY = SecurityPolicy(approval=ApprovalRule.UNTRUSTED, max_consecutive_failures=0)


def policy_for(_: str) -> SecurityPolicy:
    return POLICY


@pytest.fixture
def market(app: Any, now: dt.datetime) -> Any:
    return seed_market(app.sessions, now=now, traders=3, units_each=100, policy_for=policy_for)


def _transfer(
    market: Any,
    key: str,
    quantity: int,
    *,
    to: int = 1,
    kind: TransactionType = TransactionType.TRANSFER,
    source: int = 0,
) -> TransactionRequest:
    src = market.traders[source]
    return TransactionRequest(
        key, kind, src, market.traders[to], market.unit_type, quantity, market.representatives(src)[0]
    )


def _refusal(app: Any, request: TransactionRequest, now: dt.datetime) -> str:
    with pytest.raises(RuleViolation) as refused:
        propose(SqlLedgers(app.sessions), request, now=now, policy_for=policy_for)
    return refused.value.code


@pytest.mark.parametrize("quantity", [0, -1, -(2**62)])
def test_a_transfer_of_no_units_is_refused_with_r11_recorded_and_logged(
    app: Any, market: Any, now: dt.datetime, quantity: int
) -> None:
    request = _transfer(market, f"q{quantity}", quantity)
    assert _refusal(app, request, now) == "R11_INVALID_QUANTITY"
    assert _refusal(app, request, now) == "R11_INVALID_QUANTITY"  # a repeat gives the same refusal
    with app.engine.connect() as connection:
        row = connection.execute(
            text("SELECT state, response_code, quantity FROM registry_transactions WHERE client_key = :k"),
            {"k": request.client_key},
        ).one()
    assert tuple(row) == ("terminated", "R11_INVALID_QUANTITY", quantity)
    assert [(h.quantity, h.reserved) for h in holdings(app.sessions, market.traders[0])] == [(100, 0)]
    assert check(app.sessions).ok and verify_log(app.sessions).ok


def test_an_issuance_of_no_units_is_refused_with_r11(app: Any, market: Any, now: dt.datetime) -> None:
    admin = market.representatives(market.national)[0]
    request = TransactionRequest("issue-0", TransactionType.ISSUANCE, None, market.national, market.unit_type, 0, admin)
    with pytest.raises(RuleViolation) as refused:
        transactions.issue(SqlLedgers(app.sessions), request, now=now)
    assert refused.value.code == "R11_INVALID_QUANTITY"
    assert check(app.sessions).ok and verify_log(app.sessions).ok


@pytest.mark.parametrize("kind", [TransactionType.DELETION, TransactionType.CANCELLATION, TransactionType.ALLOCATION])
def test_every_transaction_type_refuses_a_zero_quantity_first(
    app: Any, market: Any, now: dt.datetime, kind: TransactionType
) -> None:
    request = _transfer(market, f"zero-{kind.value}", 0, kind=kind)
    assert _refusal(app, request, now) == "R11_INVALID_QUANTITY"


def test_a_quantity_the_ledger_cannot_store_is_invalid_input_naming_the_field(
    app: Any, market: Any, now: dt.datetime
) -> None:
    with pytest.raises(ValidationFailed) as invalid:
        propose(SqlLedgers(app.sessions), _transfer(market, "huge", 2**63), now=now, policy_for=policy_for)
    assert [p.field for p in invalid.value.problems] == ["quantity"]
    assert _refusal(app, _transfer(market, "large", 2**63 - 1), now) == "R01_INSUFFICIENT_UNITS"


def test_a_constraint_firing_is_a_typed_error_naming_the_command_and_counted_in_the_audit_record(
    app: Any, market: Any, now: dt.datetime
) -> None:
    # Simulate a defect: the holding says 100 units are free, but a database constraint refuses the
    # write (a CHECK added behind the application's back stands in for any unforeseen constraint).
    with app.engine.begin() as connection:
        if app.engine.dialect.name == "postgresql":
            connection.execute(
                text("ALTER TABLE registry_postings ADD CONSTRAINT ck_test_small CHECK (amount < 50) NOT VALID")
            )
        else:  # SQLite cannot add a CHECK to a table: a trigger raising the same class of error
            connection.execute(
                text(
                    "CREATE TRIGGER ck_test_small BEFORE INSERT ON registry_postings WHEN NEW.amount >= 50 "
                    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_test_small'); END"
                )
            )
    with pytest.raises(StorageInvariantViolated) as defect:
        propose(SqlLedgers(app.sessions), _transfer(market, "boom", 60), now=now, policy_for=policy_for)
    assert "registry transfer" in str(defect.value) and "ck_test_small" in defect.value.constraint
    assert [(h.quantity, h.reserved) for h in holdings(app.sessions, market.traders[0])] == [(100, 0)]
    report = check(app.sessions)
    assert report.ok and report.integrity_errors == 1
    with app.engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT count(*) FROM registry_transactions WHERE client_key = 'boom'")
            ).scalar_one()
            == 0
        )


def _wait_until_blocked(admin_url: str, database: str, waiting: int) -> None:
    deadline = time.monotonic() + 20
    with psycopg.connect(admin_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            found = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (database,)
            ).fetchone()
            if found and found[0] >= waiting:
                return
            time.sleep(0.02)
    raise AssertionError(f"{waiting} commands never queued on the holding's row lock")


@pytest.mark.postgres
def test_a_transfer_queued_behind_a_pending_transfer_reads_the_reserved_units_under_its_lock(
    pg_url: str, pg_server: str, now: dt.datetime
) -> None:
    """The reproduction from the report: hold the source holding's row lock in another session,
    queue a pending 60-unit transfer and then a direct 60-unit transfer from a holding of 100,
    release the lock: the first reserves 60, the second must end R01, not a CHECK violation."""
    from carbonbridge.entrypoints.bootstrap import build_app

    app = build_app(pg_url, upgrade=True)
    try:
        market = seed_market(app.sessions, now=now, traders=3, units_each=100, policy_for=policy_for)
        accounts.change_trusted(app.sessions, market.traders[0], market.traders[2], add=False, now=now, actor="t")
        pending = _transfer(market, "pending-60", 60, to=2)  # untrusted: awaits approval, reserves 60
        direct = _transfer(market, "direct-60", 60, to=1)  # trusted: completes at once
        outcomes: dict[str, object] = {}

        def run(request: TransactionRequest) -> None:
            try:
                ledgers = SqlLedgers(app.sessions)
                outcomes[request.client_key] = propose(ledgers, request, now=now, policy_for=policy_for)
            except Exception as exc:  # recorded and asserted below
                outcomes[request.client_key] = exc

        with psycopg.connect(pg_url) as holder:
            holder.execute(
                "SELECT quantity FROM registry_holdings WHERE account_id = %s AND unit_type = %s FOR UPDATE",
                (market.traders[0], market.unit_type),
            )
            first = threading.Thread(target=run, args=(pending,))
            first.start()
            _wait_until_blocked(pg_server, pg_url.rsplit("/", 1)[1], 1)
            second = threading.Thread(target=run, args=(direct,))
            second.start()
            _wait_until_blocked(pg_server, pg_url.rsplit("/", 1)[1], 2)
            holder.rollback()  # release the lock: the pending transfer goes first, then the direct one
        first.join(30)
        second.join(30)
        assert getattr(outcomes["pending-60"], "state", None) is TransactionState.PROPOSED
        refused = outcomes["direct-60"]
        assert isinstance(refused, RuleViolation) and refused.code == "R01_INSUFFICIENT_UNITS", refused
        assert [(h.quantity, h.reserved) for h in holdings(app.sessions, market.traders[0])] == [(100, 60)]
        assert check(app.sessions).ok and verify_log(app.sessions).ok
    finally:
        app.engine.dispose()
