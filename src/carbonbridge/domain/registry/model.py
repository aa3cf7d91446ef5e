"""Registry vocabulary: account types and states, transaction types and states, response codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccountType(StrEnum):
    NATIONAL_HOLDING = "national_holding"
    OPERATOR_HOLDING = "operator_holding"
    PERSON_HOLDING = "person_holding"
    TRADING = "trading"
    AUCTION_DELIVERY = "auction_delivery"
    DELETION = "deletion"
    MARKET_STABILITY_RESERVE = "market_stability_reserve"
    LINK_TRANSIT = "link_transit"
    ISSUANCE = "issuance"  # the ledger's contra account: its balance is minus the units issued


class AccountState(StrEnum):
    OPEN = "open"
    BLOCKED = "blocked"  # may receive, may not send
    SUSPENDED = "suspended"  # may neither send nor receive
    CLOSED = "closed"


class RepresentativeState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class UnitKind(StrEnum):
    ALLOWANCE = "allowance"
    OFFSET = "offset"


class TransactionType(StrEnum):
    ISSUANCE = "issuance"
    ALLOCATION = "allocation"
    TRANSFER = "transfer"
    SURRENDER = "surrender"
    DELETION = "deletion"
    CANCELLATION = "cancellation"
    REVERSAL = "reversal"
    RETURN = "return"  # excess allocation taken back to the national holding account (true-up)
    LINK_TRANSFER = "link_transfer"  # to or from the link account for a partner registry (docs/link.md)


class TransactionState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    DELAYED = "delayed"
    CHECKED = "checked"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class ResponseCode(StrEnum):
    """Stable reason codes returned by the checks of the independent transaction log."""

    OK = "OK"
    INSUFFICIENT_UNITS = "R01_INSUFFICIENT_UNITS"
    SOURCE_NOT_OPEN = "R02_SOURCE_NOT_OPEN"
    DESTINATION_NOT_OPEN = "R03_DESTINATION_NOT_OPEN"
    UNIT_NOT_ELIGIBLE = "R04_UNIT_NOT_ELIGIBLE"
    LIMIT_EXCEEDED = "R05_LIMIT_EXCEEDED"
    REPRESENTATIVE_NOT_AUTHORISED = "R06_REPRESENTATIVE_NOT_AUTHORISED"
    REPRESENTATIVE_SUSPENDED = "R07_REPRESENTATIVE_SUSPENDED"
    SELF_APPROVAL = "R08_SELF_APPROVAL"
    CAP_EXCEEDED = "R09_CAP_EXCEEDED"
    WRONG_ACCOUNT_TYPE = "R10_WRONG_ACCOUNT_TYPE"
    INVALID_QUANTITY = "R11_INVALID_QUANTITY"
    SAME_ACCOUNT = "R12_SAME_ACCOUNT"
    JURISDICTION_MISMATCH = "R13_JURISDICTION_MISMATCH"
    NOT_REVERSIBLE = "R14_NOT_REVERSIBLE"
    FOREIGN_LIMIT_EXCEEDED = "R15_FOREIGN_LIMIT_EXCEEDED"  # linked units beyond the agreed share of the obligation
    CANCELLED = "T01_CANCELLED"
    LINK_REFUSED = "T02_LINK_REFUSED"  # the partner registry refused (its code: docs/link.md)
    LINK_RELEASED = "T03_LINK_RELEASED"  # cancelled with the partner after a timeout, or by an administrator


SECURITY_CODES = frozenset(
    {
        ResponseCode.REPRESENTATIVE_NOT_AUTHORISED,
        ResponseCode.REPRESENTATIVE_SUSPENDED,
        ResponseCode.SELF_APPROVAL,
        ResponseCode.LIMIT_EXCEEDED,
    }
)
"""Refusals that count towards a representative's consecutive failures."""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    jurisdiction: str
    type: AccountType
    state: AccountState
    holder: str
    installation_id: str | None = None


@dataclass(frozen=True, slots=True)
class UnitType:
    """Allowances of one jurisdiction and vintage, or offset credits of one origin and vintage."""

    code: str
    jurisdiction: str
    kind: UnitKind
    vintage: int
    origin: str
    cap: int
    issued: int


def unit_type_code(jurisdiction: str, kind: UnitKind, vintage: int, origin: str = "") -> str:
    """A readable, unique code: BY-AL-2026 for allowances, CN-OF-2025-CCER for offsets."""
    base = f"{jurisdiction}-{'AL' if kind is UnitKind.ALLOWANCE else 'OF'}-{vintage}"
    return f"{base}-{origin}" if origin else base
