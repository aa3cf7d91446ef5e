"""The return of excess allocation (true-up) and cap changes, as registry rules."""

from __future__ import annotations

from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    TransactionType,
    UnitKind,
    UnitType,
)
from carbonbridge.domain.registry.policy import SecurityPolicy
from carbonbridge.domain.registry.rules import Proposal, check_cap_change, check_proposal, route

OPERATOR = Account("CN-0001-OHA", "CN", AccountType.OPERATOR_HOLDING, AccountState.OPEN, "Op", "CN-0001")
NATIONAL = Account("CN-NHA", "CN", AccountType.NATIONAL_HOLDING, AccountState.OPEN, "MEE")
TRADER = Account("CN-T1", "CN", AccountType.TRADING, AccountState.OPEN, "Trader")


def returning(source: Account, destination: Account, available: int = 100) -> ResponseCode:
    p = Proposal(TransactionType.RETURN, source, destination, "CN", 50, available, True, RepresentativeState.ACTIVE)
    return check_proposal(p, SecurityPolicy())


def test_a_return_goes_from_an_operator_account_to_the_national_account_only() -> None:
    assert returning(OPERATOR, NATIONAL) is ResponseCode.OK
    assert returning(OPERATOR, TRADER) is ResponseCode.WRONG_ACCOUNT_TYPE
    assert returning(TRADER, NATIONAL) is ResponseCode.WRONG_ACCOUNT_TYPE
    assert returning(OPERATOR, NATIONAL, available=49) is ResponseCode.INSUFFICIENT_UNITS


def test_a_return_is_not_subject_to_approval_or_delay() -> None:
    plan = route(TransactionType.RETURN, SecurityPolicy(), trusted=False)
    assert (plan.needs_approval, plan.delayed) == (False, False)


def test_a_cap_may_follow_output_but_never_drop_below_the_units_issued() -> None:
    unit = UnitType("CN-AL-2025", "CN", UnitKind.ALLOWANCE, 2025, "", 1_000, 800)
    assert check_cap_change(unit, 1_200) is ResponseCode.OK
    assert check_cap_change(unit, 800) is ResponseCode.OK
    assert check_cap_change(unit, 799) is ResponseCode.CAP_EXCEEDED
    assert check_cap_change(unit, 0) is ResponseCode.CAP_EXCEEDED


def test_a_request_body_is_every_field_but_the_client_key() -> None:
    """...and the link counterpart only when there is one: requests stored before the link keep
    comparing equal to their repeats."""
    import dataclasses

    from carbonbridge.domain.registry.commands import TransactionRequest

    request = TransactionRequest("k", TransactionType.SURRENDER, "A", "B", "U", 5, "rep", "I", 2025, None)
    skipped = {"client_key", "counterpart"}
    expected = {f.name: getattr(request, f.name) for f in dataclasses.fields(request) if f.name not in skipped}
    assert request.body() == {**expected, "type": "surrender"}
    linked = dataclasses.replace(request, type=TransactionType.LINK_TRANSFER, counterpart="CN/CN-T1")
    assert linked.body() == {**expected, "type": "link_transfer", "counterpart": "CN/CN-T1"}
