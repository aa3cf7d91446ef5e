"""Edges of the registry's pure checks: issuance under the cap, the lock-out counter, which
account types may send and receive, approval routing, cap changes and serial blocks.

Each test asserts the response code (ResponseCode, the stable R-codes of the transaction log),
never only that some refusal happened.
"""

from __future__ import annotations

import pytest

from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.registry.blocks import SerialBlock, Take, take, total
from carbonbridge.domain.registry.model import (
    SECURITY_CODES,
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
    UnitKind,
    UnitType,
)
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.domain.registry.rules import (
    Proposal,
    advance,
    check_cap_change,
    check_issuance,
    check_proposal,
    next_failures,
    route,
)

R = ResponseCode
NATIONAL = Account("BY-NHA", "BY", AccountType.NATIONAL_HOLDING, AccountState.OPEN, "Ministry")
OPERATOR = Account("BY-0001-OHA", "BY", AccountType.OPERATOR_HOLDING, AccountState.OPEN, "Plant", "BY-0001")
TRADER = Account("BY-T1", "BY", AccountType.TRADING, AccountState.OPEN, "Trader")
RESERVE = Account("BY-MSR", "BY", AccountType.MARKET_STABILITY_RESERVE, AccountState.OPEN, "Ministry")
DELETION = Account("BY-DEL", "BY", AccountType.DELETION, AccountState.OPEN, "Ministry")
ISSUANCE = Account("BY-ISS", "BY", AccountType.ISSUANCE, AccountState.OPEN, "Ministry")


def allowances(cap: int, issued: int, jurisdiction: str = "BY") -> UnitType:
    return UnitType(f"{jurisdiction}-AL-2026", jurisdiction, UnitKind.ALLOWANCE, 2026, "", cap, issued)


def proposal(kind: TransactionType, source: Account, destination: Account, quantity: int = 10) -> Proposal:
    return Proposal(kind, source, destination, "BY", quantity, 1_000, True, RepresentativeState.ACTIVE)


# --- issuance: creates units in the national holding account, never beyond the cap ---------------


def test_issuance_may_fill_the_cap_exactly_but_not_by_one_unit_more() -> None:
    # cap 1,000, 800 issued: 800 + 200 = 1,000 is at the cap (allowed); 800 + 201 = 1,001 is over it
    unit = allowances(cap=1_000, issued=800)
    assert check_issuance(unit, 200, NATIONAL, authorised=True) is R.OK
    assert check_issuance(unit, 201, NATIONAL, authorised=True) is R.CAP_EXCEEDED


def test_issuance_counts_the_units_already_issued_against_the_cap() -> None:
    # 990 issued + 20 = 1,010 > 1,000, although 20 alone is far below the cap
    assert check_issuance(allowances(1_000, 990), 20, NATIONAL, authorised=True) is R.CAP_EXCEEDED


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(0, R.INVALID_QUANTITY), (-5, R.INVALID_QUANTITY), (1, R.OK)],
)
def test_issuance_of_no_units_is_an_invalid_quantity_and_one_unit_is_enough(quantity: int, code: R) -> None:
    assert check_issuance(allowances(1_000, 0), quantity, NATIONAL, authorised=True) is code


@pytest.mark.parametrize(
    ("destination", "authorised", "code"),
    [
        (NATIONAL, False, R.REPRESENTATIVE_NOT_AUTHORISED),
        (OPERATOR, True, R.WRONG_ACCOUNT_TYPE),
        (TRADER, True, R.WRONG_ACCOUNT_TYPE),
        (
            Account("BY-NHA", "BY", AccountType.NATIONAL_HOLDING, AccountState.BLOCKED, "Ministry"),
            True,
            R.DESTINATION_NOT_OPEN,
        ),
        (
            Account("CN-NHA", "CN", AccountType.NATIONAL_HOLDING, AccountState.OPEN, "MEE"),
            True,
            R.JURISDICTION_MISMATCH,
        ),
    ],
)
def test_each_failed_issuance_check_returns_its_response_code(destination: Account, authorised: bool, code: R) -> None:
    assert check_issuance(allowances(1_000, 0), 10, destination, authorised) is code


# --- the lock-out counter behind representative suspension ---------------------------------------


def test_consecutive_security_refusals_count_up_and_an_accepted_command_resets_them() -> None:
    # R06, R07, R08 and R05 are security refusals (model.SECURITY_CODES); the default policy
    # suspends a representative at max_consecutive_failures = 3.
    failures = 0
    for code in (R.REPRESENTATIVE_NOT_AUTHORISED, R.SELF_APPROVAL, R.LIMIT_EXCEEDED):
        failures = next_failures(failures, code, SECURITY_CODES)
    assert failures == 3 == SecurityPolicy().max_consecutive_failures
    assert next_failures(3, R.REPRESENTATIVE_SUSPENDED, SECURITY_CODES) == 4
    assert next_failures(2, R.OK, SECURITY_CODES) == 0


def test_a_refusal_that_is_not_a_security_refusal_leaves_the_counter_as_it_was() -> None:
    # too few units or a closed account is no sign of an intruder: 2 stays 2, it is not reset either
    assert next_failures(2, R.INSUFFICIENT_UNITS, SECURITY_CODES) == 2
    assert next_failures(2, R.DESTINATION_NOT_OPEN, SECURITY_CODES) == 2


# --- account types ---------------------------------------------------------------------------------


def test_allocation_goes_from_the_national_account_or_the_reserve_to_an_operator_account_only() -> None:
    assert check_proposal(proposal(TransactionType.ALLOCATION, NATIONAL, OPERATOR), SecurityPolicy()) is R.OK
    assert check_proposal(proposal(TransactionType.ALLOCATION, RESERVE, OPERATOR), SecurityPolicy()) is R.OK
    assert (
        check_proposal(proposal(TransactionType.ALLOCATION, NATIONAL, TRADER), SecurityPolicy()) is R.WRONG_ACCOUNT_TYPE
    )
    assert (
        check_proposal(proposal(TransactionType.ALLOCATION, TRADER, OPERATOR), SecurityPolicy()) is R.WRONG_ACCOUNT_TYPE
    )


@pytest.mark.parametrize(
    ("source", "destination"),
    [(DELETION, TRADER), (ISSUANCE, TRADER), (TRADER, ISSUANCE)],
    ids=["from-deletion", "from-issuance", "to-issuance"],
)
def test_no_transfer_leaves_a_deletion_or_issuance_account_or_enters_the_issuance_account(
    source: Account, destination: Account
) -> None:
    # The deletion account is a sink and the issuance account the ledger's contra account.
    assert check_proposal(proposal(TransactionType.TRANSFER, source, destination), SecurityPolicy()) is (
        R.WRONG_ACCOUNT_TYPE
    )


@pytest.mark.parametrize(("quantity", "code"), [(1, R.OK), (0, R.INVALID_QUANTITY), (-3, R.INVALID_QUANTITY)])
def test_a_single_unit_may_be_transferred_and_no_units_or_fewer_may_not(quantity: int, code: R) -> None:
    assert check_proposal(proposal(TransactionType.TRANSFER, TRADER, OPERATOR, quantity), SecurityPolicy()) is code


# --- routing: approval (four eyes) and the delay window -------------------------------------------


@pytest.mark.parametrize(
    ("rule", "trusted", "needs_approval", "delayed"),
    [
        (ApprovalRule.ALWAYS, True, True, False),
        (ApprovalRule.ALWAYS, False, True, True),
        (ApprovalRule.UNTRUSTED, True, False, False),
        (ApprovalRule.UNTRUSTED, False, True, True),
        (ApprovalRule.NEVER, True, False, False),
        (ApprovalRule.NEVER, False, False, True),
    ],
)
def test_approval_follows_the_policy_and_only_untrusted_destinations_wait_for_the_delay(
    rule: ApprovalRule, trusted: bool, needs_approval: bool, delayed: bool
) -> None:
    plan = route(TransactionType.TRANSFER, SecurityPolicy(approval=rule), trusted)
    assert (plan.needs_approval, plan.delayed) == (needs_approval, delayed)


# --- cap changes and the state machine -------------------------------------------------------------


def test_a_cap_of_zero_is_refused_even_with_nothing_issued_and_a_cap_of_one_unit_is_accepted() -> None:
    nothing_issued = allowances(cap=1_000, issued=0)
    assert check_cap_change(nothing_issued, 0) is R.CAP_EXCEEDED
    assert check_cap_change(nothing_issued, 1) is R.OK


def test_the_refusal_of_a_state_change_names_both_states() -> None:
    with pytest.raises(Conflict) as caught:
        advance(TransactionState.COMPLETED, TransactionState.APPROVED)
    assert str(caught.value) == "a completed transaction cannot become approved"


# --- serial blocks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(0, 3), (-2, 3), (5, 4)])
def test_a_block_must_start_at_serial_one_or_later_and_not_end_before_it_starts(start: int, end: int) -> None:
    with pytest.raises(ValueError) as caught:
        SerialBlock("BY-AL-2026", start, end)
    assert str(caught.value) == f"invalid serial block {start}-{end}"


def test_a_block_of_one_serial_is_valid_and_holds_one_unit() -> None:
    assert SerialBlock("BY-AL-2026", 7, 7).size == 1


def test_a_block_contains_its_first_and_last_serial_and_nothing_outside() -> None:
    block = SerialBlock("BY-AL-2026", 10, 19)
    assert [s for s in (9, 10, 11, 18, 19, 20) if block.contains(s)] == [10, 11, 18, 19]


def test_total_adds_the_sizes_of_the_blocks() -> None:
    # 1-5 holds 5 units, 10-19 holds 10
    assert total([SerialBlock("U", 1, 5), SerialBlock("U", 10, 19)]) == 15
    assert total([]) == 0


def test_a_take_that_ends_on_a_block_boundary_moves_whole_blocks_and_splits_none() -> None:
    first, second = SerialBlock("U", 1, 5, 1), SerialBlock("U", 10, 19, 2)
    assert take([first, second], 5) == Take((first,), None, 0)
    assert take([first, second], 15) == Take((first, second), None, 0)


@pytest.mark.parametrize("quantity", [0, -1])
def test_taking_no_units_or_fewer_is_a_programming_error(quantity: int) -> None:
    with pytest.raises(ValueError, match="quantity must be positive"):
        take([SerialBlock("U", 1, 5)], quantity)


def test_a_shortfall_of_serials_reports_what_the_blocks_hold_and_what_was_needed() -> None:
    # blocks 1-5 and 10-11 hold 5 + 2 = 7 units; 9 were needed
    with pytest.raises(Conflict) as caught:
        take([SerialBlock("U", 1, 5), SerialBlock("U", 10, 11)], 9)
    assert str(caught.value) == "serial blocks hold 7 units, 9 needed: ledger inconsistent"
