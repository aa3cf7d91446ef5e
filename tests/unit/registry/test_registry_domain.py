"""The registry's pure rules: serial blocks, calendar, checks, state machine, log chain, idempotency."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
from zoneinfo import ZoneInfo

import pytest

from carbonbridge.domain.errors import Conflict, IdempotencyConflict
from carbonbridge.domain.registry import log
from carbonbridge.domain.registry.blocks import SerialBlock, overlapping, take
from carbonbridge.domain.registry.compliance import ComplianceStatus, compliance_status
from carbonbridge.domain.registry.idempotency import check_repeat, differing_fields
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
)
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.domain.registry.rules import Proposal, advance, check_approval, check_proposal, route

MINSK = ZoneInfo("Europe/Minsk")
S = TransactionState


def account(
    account_id: str,
    kind: AccountType = AccountType.TRADING,
    state: AccountState = AccountState.OPEN,
    installation: str | None = None,
) -> Account:
    return Account(account_id, "BY", kind, state, "holder", installation)


def proposal(**changes: object) -> Proposal:
    base: dict[str, object] = {
        "type": TransactionType.TRANSFER,
        "source": account("A"),
        "destination": account("B"),
        "unit_jurisdiction": "BY",
        "quantity": 10,
        "available": 10,
        "initiator_authorised": True,
        "initiator_state": RepresentativeState.ACTIVE,
    }
    return Proposal(**{**base, **changes})  # type: ignore[arg-type]


def test_take_moves_whole_blocks_and_splits_the_last_one_keeping_its_first_serial() -> None:
    blocks = [SerialBlock("U", 1, 5, 1), SerialBlock("U", 10, 19, 2)]
    plan = take(blocks, 8)
    assert plan.whole == (blocks[0],)
    assert plan.split == blocks[1]
    assert plan.split_rest_end == 16
    assert [(b.start, b.end) for b in plan.moved] == [(1, 5), (17, 19)]
    assert plan.quantity == 8


def test_take_refuses_more_units_than_the_blocks_hold() -> None:
    with pytest.raises(Conflict):
        take([SerialBlock("U", 1, 5)], 6)


def test_overlapping_blocks_of_one_unit_type_are_reported() -> None:
    blocks = [SerialBlock("U", 1, 5), SerialBlock("U", 5, 9), SerialBlock("V", 1, 5)]
    assert overlapping(blocks) == [(blocks[0], blocks[1])]


def test_delay_ends_at_noon_of_the_next_working_day_in_local_time() -> None:
    friday_evening = dt.datetime(2026, 4, 3, 20, 0, tzinfo=MINSK)
    until = SecurityPolicy().delay_until(friday_evening, MINSK)
    assert until.astimezone(MINSK) == dt.datetime(2026, 4, 6, 12, 0, tzinfo=MINSK)


def test_holidays_are_not_working_days() -> None:
    policy = SecurityPolicy(holidays=frozenset({dt.date(2026, 4, 6)}))
    until = policy.delay_until(dt.datetime(2026, 4, 3, 9, 0, tzinfo=MINSK), MINSK)
    assert until.astimezone(MINSK).date() == dt.date(2026, 4, 7)


def test_trusted_account_addition_takes_effect_after_four_working_days() -> None:
    monday = dt.datetime(2026, 4, 6, 9, 30, tzinfo=MINSK)
    effective = SecurityPolicy().trusted_effective_at(monday, MINSK)
    assert effective.astimezone(MINSK) == dt.datetime(2026, 4, 10, 9, 30, tzinfo=MINSK)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"quantity": 0}, ResponseCode.INVALID_QUANTITY),
        ({"initiator_state": RepresentativeState.SUSPENDED}, ResponseCode.REPRESENTATIVE_SUSPENDED),
        ({"initiator_authorised": False}, ResponseCode.REPRESENTATIVE_NOT_AUTHORISED),
        ({"source": account("A", state=AccountState.BLOCKED)}, ResponseCode.SOURCE_NOT_OPEN),
        ({"destination": account("B", state=AccountState.CLOSED)}, ResponseCode.DESTINATION_NOT_OPEN),
        ({"destination": account("A")}, ResponseCode.SAME_ACCOUNT),
        ({"destination": account("D", AccountType.DELETION)}, ResponseCode.WRONG_ACCOUNT_TYPE),
        ({"unit_jurisdiction": "CN"}, ResponseCode.UNIT_NOT_ELIGIBLE),
        ({"unit_jurisdiction": None}, ResponseCode.UNIT_NOT_ELIGIBLE),
        ({"available": 9}, ResponseCode.INSUFFICIENT_UNITS),
        ({"quantity": 11, "available": 100}, ResponseCode.LIMIT_EXCEEDED),
    ],
)
def test_each_failed_check_returns_its_response_code(changes: dict[str, object], code: ResponseCode) -> None:
    assert check_proposal(proposal(**changes), SecurityPolicy(transfer_limit_units=10)) is code


def test_a_blocked_account_may_still_receive_units() -> None:
    blocked = account("B", state=AccountState.BLOCKED)
    assert check_proposal(proposal(destination=blocked), SecurityPolicy()) is ResponseCode.OK


def test_surrender_counts_only_for_the_installation_of_the_operator_account() -> None:
    operator = account("O", AccountType.OPERATOR_HOLDING, installation="INST-1")
    deletion = account("D", AccountType.DELETION)
    kind = TransactionType.SURRENDER
    ok = proposal(type=kind, source=operator, destination=deletion, installation_id="INST-1")
    wrong = proposal(type=kind, source=operator, destination=deletion, installation_id="INST-2")
    assert check_proposal(ok, SecurityPolicy()) is ResponseCode.OK
    assert check_proposal(wrong, SecurityPolicy()) is ResponseCode.WRONG_ACCOUNT_TYPE


def test_initiator_may_not_approve_their_own_transfer() -> None:
    assert check_approval("rep-a", "rep-a", True, RepresentativeState.ACTIVE) is ResponseCode.SELF_APPROVAL
    assert check_approval("rep-a", "rep-b", True, RepresentativeState.ACTIVE) is ResponseCode.OK


def test_only_transfers_to_untrusted_accounts_are_delayed() -> None:
    policy = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)
    assert route(TransactionType.TRANSFER, policy, trusted=True) == route(TransactionType.SURRENDER, policy, True)
    assert route(TransactionType.TRANSFER, policy, trusted=False).delayed
    assert route(TransactionType.TRANSFER, SecurityPolicy(), trusted=True).needs_approval


def test_state_machine_follows_proposed_approved_delayed_checked_completed() -> None:
    state = S.PROPOSED
    for step in (S.APPROVED, S.DELAYED, S.CHECKED, S.COMPLETED):
        state = advance(state, step)
    assert state is S.COMPLETED


@pytest.mark.parametrize("final", [S.COMPLETED, S.TERMINATED])
def test_a_resolved_transaction_is_never_resolved_again(final: S) -> None:
    for step in S:
        with pytest.raises(Conflict):
            advance(final, step)


def test_completion_requires_the_checks_first() -> None:
    with pytest.raises(Conflict):
        advance(S.DELAYED, S.COMPLETED)


def _chain(count: int) -> list[log.LogEntry]:
    entries, seq, head = [], 0, log.GENESIS
    for n in range(count):
        entry = log.next_entry(3, seq, head, {"transaction_id": f"t{n}", "quantity": n})
        entries.append(entry)
        seq, head = entry.seq, entry.hash
    return entries


def test_an_intact_chain_verifies() -> None:
    entries = _chain(5)
    assert log.verify_chain(3, entries, (5, entries[-1].hash)) == []


def test_an_edited_entry_breaks_the_chain() -> None:
    entries = _chain(5)
    edited = entries[2].payload.replace('"quantity":2', '"quantity":200')
    entries[2] = log.LogEntry(3, 3, entries[2].prev_hash, entries[2].hash, edited)
    assert any("edited" in p.message for p in log.verify_chain(3, entries, (5, entries[-1].hash)))


def test_a_deleted_entry_breaks_the_chain() -> None:
    entries = _chain(5)
    del entries[1]
    assert log.verify_chain(3, entries, (5, entries[-1].hash))


def test_swapped_entries_break_the_chain() -> None:
    entries = _chain(5)
    a, b = entries[1], entries[2]
    entries[1] = log.LogEntry(3, 2, a.prev_hash, b.hash, b.payload)
    entries[2] = log.LogEntry(3, 3, b.prev_hash, a.hash, a.payload)
    assert log.verify_chain(3, entries, (5, entries[-1].hash))


def test_cutting_off_the_newest_entries_is_caught_against_the_head() -> None:
    entries = _chain(5)
    problems = log.verify_chain(3, entries[:3], (5, entries[-1].hash))
    assert any("truncated" in p.message for p in problems)


def test_a_repeat_with_another_body_names_the_differing_fields() -> None:
    first = {"quantity": 10, "destination_account": "B", "unit_type": "U"}
    assert differing_fields(first, {**first, "quantity": 11, "destination_account": "C"}) == [
        "destination_account",
        "quantity",
    ]
    with pytest.raises(IdempotencyConflict, match="destination_account, quantity"):
        check_repeat("k1", first, {**first, "quantity": 11, "destination_account": "C"})
    check_repeat("k1", first, dict(first))


def test_compliance_status_compares_surrendered_units_with_verified_emissions() -> None:
    assert compliance_status(None, 10) is ComplianceStatus.C
    assert compliance_status(100, 100) is ComplianceStatus.A
    assert compliance_status(100, 99) is ComplianceStatus.B


def test_the_registry_domain_imports_no_framework_clock_or_randomness() -> None:
    forbidden = {"sqlalchemy", "os", "random", "time", "uuid", "typer", "fastapi", "secrets"}
    root = pathlib.Path(__file__).parents[3] / "src" / "carbonbridge" / "domain" / "registry"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & forbidden, f"{path.name} imports {names}"
        assert "now()" not in path.read_text(encoding="utf-8"), f"{path.name} reads the clock"
