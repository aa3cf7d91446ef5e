"""`verify-log` on a database edited behind the application's back (plain SQL, no services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.log import PARTITIONS
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.queries import check
from carbonbridge.services.registry.transactions import propose
from carbonbridge.testing.market import seed_market

POLICY = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)
PIGEONHOLE = PARTITIONS + 1


@pytest.fixture
def ledger(app: Any, now: dt.datetime) -> Any:
    market = seed_market(app.sessions, now=now, traders=3, units_each=100, policy_for=lambda _: POLICY)
    for n in range(PIGEONHOLE):  # more entries than chains: some chain holds at least two
        source, destination = market.traders[n % 3], market.traders[(n + 1) % 3]
        request = TransactionRequest(
            f"t{n}",
            TransactionType.TRANSFER,
            source,
            destination,
            market.unit_type,
            1,
            market.representatives(source)[0],
        )
        propose(SqlLedgers(app.sessions), request, now=now, policy_for=lambda _: POLICY)
    assert verify_log(app.sessions).ok
    return app


def tamper(app: Any, sql: str) -> None:
    with app.engine.begin() as connection:
        connection.exec_driver_sql(sql)


def busiest_chain(app: Any) -> int:
    with app.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT partition FROM registry_log_entries GROUP BY partition "
                    "ORDER BY count(*) DESC, partition LIMIT 1"
                )
            ).scalar_one()
        )


def test_an_untouched_log_verifies(ledger: Any) -> None:
    report = verify_log(ledger.sessions)
    assert report.ok and report.transactions == 4 + PIGEONHOLE and len(report.anchor) == 64
    # the national account trusts the 3 traders, and each trader the 2 others: 9 trusted-list entries
    assert report.entries == report.transactions + report.trusted_changes and report.trusted_changes == 3 + 3 * 2


def test_editing_a_log_entry_is_detected(ledger: Any) -> None:
    # the entries of the seed's 100-unit transfers (chosen by transaction: which entry is first in a
    # chain depends on random transaction ids and on the trusted-list entries logged before them)
    tamper(
        ledger,
        "UPDATE registry_log_entries SET payload = replace(payload, '\"quantity\":100', '\"quantity\":900') "
        "WHERE transaction_id IN (SELECT id FROM registry_transactions WHERE quantity = 100)",
    )
    assert any("edited" in p for p in verify_log(ledger.sessions).problems)


def test_editing_a_transaction_row_is_detected_against_its_log_entry(ledger: Any) -> None:
    tamper(ledger, "UPDATE registry_transactions SET quantity = 1000 WHERE type = 'transfer'")
    assert any("differs from its log entry in quantity" in p for p in verify_log(ledger.sessions).problems)


def test_deleting_a_log_entry_is_detected(ledger: Any) -> None:
    tamper(ledger, f"DELETE FROM registry_log_entries WHERE seq = 1 AND partition = {busiest_chain(ledger)}")
    report = verify_log(ledger.sessions)
    assert not report.ok and any("deleted or reordered" in p or "no entry" in p for p in report.problems)


def test_reordering_log_entries_is_detected(ledger: Any) -> None:
    partition = busiest_chain(ledger)
    tamper(ledger, f"UPDATE registry_log_entries SET seq = -1 WHERE partition = {partition} AND seq = 1")
    tamper(ledger, f"UPDATE registry_log_entries SET seq = 1 WHERE partition = {partition} AND seq = 2")
    tamper(ledger, f"UPDATE registry_log_entries SET seq = 2 WHERE partition = {partition} AND seq = -1")
    assert not verify_log(ledger.sessions).ok


def test_cutting_off_the_newest_entry_is_detected_against_the_chain_head(ledger: Any) -> None:
    partition = busiest_chain(ledger)
    tamper(
        ledger,
        f"DELETE FROM registry_log_entries WHERE partition = {partition} AND seq = "
        f"(SELECT max(seq) FROM registry_log_entries WHERE partition = {partition})",
    )
    assert any("truncated" in p for p in verify_log(ledger.sessions).problems)


def test_units_created_behind_the_ledger_are_caught_by_the_conservation_check(ledger: Any) -> None:
    tamper(ledger, "UPDATE registry_holdings SET quantity = quantity + 5 WHERE account_id = 'BY-T000'")
    problems = check(ledger.sessions).problems
    assert any("held" in p and "issued" in p for p in problems)
    assert any("postings" in p for p in problems)
