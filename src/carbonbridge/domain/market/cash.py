"""The cash ledger's rules: double-entry postings in integer minor units, holds, account kinds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from carbonbridge.domain.errors import RuleViolation


class CashAccountKind(StrEnum):
    PARTICIPANT = "participant"  # balance >= held >= 0
    BANK = "bank"  # the settlement bank's contra account: minus the money inside the system
    CLEARING = "clearing"  # the exchange's clearing account: zero after every settlement
    FEES = "fees"  # the exchange's fee income
    PROCEEDS = "proceeds"  # auction proceeds of the jurisdiction
    PARTNER = "partner"  # joint auction proceeds owed to the partner jurisdiction for its units


class CashCode(StrEnum):
    INSUFFICIENT_FUNDS = "C11_INSUFFICIENT_FUNDS"
    INVALID_AMOUNT = "C12_INVALID_AMOUNT"
    CURRENCY_MISMATCH = "C13_CURRENCY_MISMATCH"
    HOLD_EXCEEDED = "C14_HOLD_EXCEEDED"


@dataclass(frozen=True, slots=True)
class CashPosting:
    account_id: str
    amount: int  # minor units, + credit / - debit


def check_postings(postings: Sequence[CashPosting]) -> None:
    """Double entry: an entry's postings sum to zero and move something."""
    if not postings or sum(p.amount for p in postings) != 0:
        raise AssertionError(f"cash postings do not balance: {postings}")
    for p in postings:
        if isinstance(p.amount, bool) or not isinstance(p.amount, int):
            raise AssertionError("cash amounts are integer minor units")


def check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0 or amount >= 2**62:
        raise RuleViolation(
            CashCode.INVALID_AMOUNT.value, f"an amount is a positive whole number of minor units, got {amount!r}"
        )


def check_available(balance: int, held: int, wanted: int, account_id: str) -> None:
    if wanted > balance - held:
        raise RuleViolation(
            CashCode.INSUFFICIENT_FUNDS.value,
            f"account {account_id} has {balance - held} minor units available, {wanted} needed",
        )
