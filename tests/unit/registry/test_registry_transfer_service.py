"""The registry's transfer use cases against the in-memory ledger (testing/memory_ledger.py): the
same services as on SQLite and PostgreSQL, no database, milliseconds per test."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonbridge.domain.errors import Conflict, RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.conservation import conservation_problems
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    TransactionState,
    TransactionType,
    UnitKind,
    UnitType,
)
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.registry.transactions import issue, propose
from carbonbridge.services.registry.workflow import approve, cancel
from carbonbridge.testing.memory_ledger import MemoryLedger, MemoryLedgers

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
UNIT = "BY-AL-2026"
FOUR_EYES = SecurityPolicy(approval=ApprovalRule.ALWAYS, max_consecutive_failures=2)
S = TransactionState


def four_eyes(_: str) -> SecurityPolicy:
    return FOUR_EYES


def trusted_only(_: str) -> SecurityPolicy:
    return SecurityPolicy(approval=ApprovalRule.UNTRUSTED)


@pytest.fixture
def ledgers() -> MemoryLedgers:
    """A national holding account with 1 000 units issued, two trading accounts with 300 units
    each (BY-T1 trusts BY-T2), two representatives per account."""
    ledgers = MemoryLedgers()
    ledgers.create_unit_type(UnitType(UNIT, "BY", UnitKind.ALLOWANCE, 2026, "", 10_000, 0))
    for account_id, kind in (
        ("BY-NHA", AccountType.NATIONAL_HOLDING),
        ("BY-T1", AccountType.TRADING),
        ("BY-T2", AccountType.TRADING),
    ):
        ledgers.open_account(Account(account_id, "BY", kind, AccountState.OPEN, f"holder of {account_id}", None))
        ledgers.add_representative(f"{account_id}-a", [account_id])
        ledgers.add_representative(f"{account_id}-b", [account_id])
    ledgers.change_trusted("BY-NHA", "BY-T1", add=True, effective_at=NOW - dt.timedelta(days=30))
    ledgers.change_trusted("BY-NHA", "BY-T2", add=True, effective_at=NOW - dt.timedelta(days=30))
    ledgers.change_trusted("BY-T1", "BY-T2", add=True, effective_at=NOW - dt.timedelta(days=30))
    issue(ledgers, _request("issue", None, "BY-NHA", 1_000, "BY-NHA-a", TransactionType.ISSUANCE), now=NOW)
    for n, account_id in enumerate(("BY-T1", "BY-T2")):
        request = _request(f"hand-{n}", "BY-NHA", account_id, 300, "BY-NHA-a")
        assert propose(ledgers, request, now=NOW, policy_for=trusted_only).state is S.COMPLETED
    return ledgers


def _request(
    key: str,
    source: str | None,
    destination: str,
    quantity: int,
    rep: str,
    kind: TransactionType = TransactionType.TRANSFER,
) -> TransactionRequest:
    return TransactionRequest(key, kind, source, destination, UNIT, quantity, rep)


def _held(ledgers: MemoryLedgers, account_id: str) -> tuple[int, int]:
    [holding] = ledgers.run(lambda ledger: ledger.holdings(account_id), command="read", now=NOW)
    return holding.quantity, holding.reserved


def _conserved(ledgers: MemoryLedgers) -> None:
    assert conservation_problems(ledgers.snapshot()) == []
    assert ledgers.verify_log() == []


def test_a_transfer_needing_approval_reserves_the_units_and_completes_when_a_second_representative_approves(
    ledgers: MemoryLedgers,
) -> None:
    proposed = propose(ledgers, _request("t1", "BY-T1", "BY-T2", 120, "BY-T1-a"), now=NOW, policy_for=four_eyes)
    assert proposed.state is S.PROPOSED
    assert _held(ledgers, "BY-T1") == (300, 120)

    done = approve(ledgers, proposed.id, "BY-T1-b", now=NOW, policy_for=four_eyes)

    assert (done.state, done.approver, done.resolved_at) == (S.COMPLETED, "BY-T1-b", NOW)
    assert _held(ledgers, "BY-T1") == (180, 0)
    assert _held(ledgers, "BY-T2") == (420, 0)
    assert approve(ledgers, proposed.id, "BY-T1-b", now=NOW, policy_for=four_eyes) == done  # a repeat
    _conserved(ledgers)


def test_a_transfer_beyond_the_units_available_is_refused_recorded_and_refused_again_when_repeated(
    ledgers: MemoryLedgers,
) -> None:
    request = _request("t2", "BY-T1", "BY-T2", 301, "BY-T1-a")
    with pytest.raises(RuleViolation, match="R01_INSUFFICIENT_UNITS"):
        propose(ledgers, request, now=NOW, policy_for=four_eyes)
    with pytest.raises(RuleViolation, match="R01_INSUFFICIENT_UNITS"):
        propose(ledgers, request, now=NOW, policy_for=four_eyes)

    [refused] = [t for t in ledgers.state.transactions.values() if t.client_key == "t2"]
    assert refused.state is S.TERMINATED
    assert _held(ledgers, "BY-T1") == (300, 0)
    _conserved(ledgers)


def test_self_approval_is_refused_and_counted_until_the_representative_is_suspended(ledgers: MemoryLedgers) -> None:
    proposed = propose(ledgers, _request("t3", "BY-T1", "BY-T2", 10, "BY-T1-a"), now=NOW, policy_for=four_eyes)
    for _ in range(2):
        with pytest.raises(RuleViolation, match="R08_SELF_APPROVAL"):
            approve(ledgers, proposed.id, "BY-T1-a", now=NOW, policy_for=four_eyes)

    assert ledgers.state.representatives["BY-T1-a"].state is RepresentativeState.SUSPENDED
    assert [a[2] for a in ledgers.state.audit].count("registry.approval.refused") == 2
    cancelled = cancel(ledgers, proposed.id, "BY-T1-b", now=NOW)
    assert cancelled.state is S.TERMINATED
    assert _held(ledgers, "BY-T1") == (300, 0)
    _conserved(ledgers)


def test_a_command_that_raises_leaves_the_ledger_as_it_was(ledgers: MemoryLedgers) -> None:
    before = ledgers.state

    def half_done(ledger: MemoryLedger) -> None:
        ledger.lock_holdings(UNIT, ["BY-T1", "BY-NEW"])  # creates a holding
        ledger.record_failures("BY-T1-a", 1, 0, 3)
        raise Conflict("stopped halfway")

    with pytest.raises(Conflict, match="halfway"):
        ledgers.run(half_done, command="test", now=NOW)
    assert ledgers.state is before
    assert ("BY-NEW", UNIT) not in ledgers.state.holdings
    assert ledgers.state.representatives["BY-T1-a"].consecutive_failures == 0


def test_issuance_never_goes_beyond_the_cap(ledgers: MemoryLedgers) -> None:
    with pytest.raises(RuleViolation, match="R09_CAP_EXCEEDED"):
        issue(ledgers, _request("i2", None, "BY-NHA", 9_001, "BY-NHA-a", TransactionType.ISSUANCE), now=NOW)
    done = issue(ledgers, _request("i3", None, "BY-NHA", 9_000, "BY-NHA-a", TransactionType.ISSUANCE), now=NOW)
    assert done.state is S.COMPLETED
    assert ledgers.state.unit_types[UNIT].issued == 10_000
    _conserved(ledgers)
