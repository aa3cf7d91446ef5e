"""The checks every proposed transaction passes, each returning a response code, and the
transaction state machine proposed -> approved -> delayed -> checked -> completed | terminated."""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
    UnitType,
)
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy

S = TransactionState
TRANSITIONS: dict[TransactionState, frozenset[TransactionState]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.DELAYED, S.CHECKED, S.TERMINATED}),
    S.APPROVED: frozenset({S.DELAYED, S.CHECKED, S.TERMINATED}),
    S.DELAYED: frozenset({S.CHECKED, S.TERMINATED}),
    S.CHECKED: frozenset({S.COMPLETED, S.TERMINATED}),
    S.COMPLETED: frozenset(),
    S.TERMINATED: frozenset(),
}
PENDING = frozenset({S.PROPOSED, S.APPROVED, S.DELAYED})


def advance(current: TransactionState, to: TransactionState) -> TransactionState:
    """The next state, or Conflict: a completed or terminated transaction is never resolved again."""
    if to not in TRANSITIONS[current]:
        raise Conflict(f"a {current.value} transaction cannot become {to.value}")
    return to


@dataclass(frozen=True, slots=True)
class Proposal:
    """Everything the checks need, read under lock by the service."""

    type: TransactionType
    source: Account | None
    destination: Account | None
    unit_jurisdiction: str | None  # None: no such unit type
    quantity: int
    available: int
    initiator_authorised: bool
    initiator_state: RepresentativeState
    installation_id: str | None = None  # a surrender names the installation it counts for


_SENDER_TYPES: dict[TransactionType, frozenset[AccountType]] = {
    TransactionType.ALLOCATION: frozenset({AccountType.NATIONAL_HOLDING, AccountType.MARKET_STABILITY_RESERVE}),
    TransactionType.SURRENDER: frozenset({AccountType.OPERATOR_HOLDING}),
    TransactionType.RETURN: frozenset({AccountType.OPERATOR_HOLDING}),
}
# units leave a link account only through the link (services/link_inbox.py)
_NO_SENDERS = frozenset({AccountType.DELETION, AccountType.ISSUANCE, AccountType.LINK_TRANSIT})
_TRANSFERS = frozenset({TransactionType.TRANSFER, TransactionType.LINK_TRANSFER})
_DELETION_TYPES = frozenset({TransactionType.SURRENDER, TransactionType.DELETION, TransactionType.CANCELLATION})


def _account_types_ok(p: Proposal) -> bool:
    assert p.source is not None and p.destination is not None
    if p.source.type in _NO_SENDERS or p.destination.type is AccountType.ISSUANCE:
        return False
    if p.type in _SENDER_TYPES and p.source.type not in _SENDER_TYPES[p.type]:
        return False
    if p.type is TransactionType.ALLOCATION and p.destination.type is not AccountType.OPERATOR_HOLDING:
        return False
    if p.type is TransactionType.RETURN and p.destination.type is not AccountType.NATIONAL_HOLDING:
        return False
    if p.type is TransactionType.SURRENDER and p.source.installation_id != p.installation_id:
        return False
    if (p.destination.type is AccountType.LINK_TRANSIT) != (p.type is TransactionType.LINK_TRANSFER):
        return False
    return (p.destination.type is AccountType.DELETION) == (p.type in _DELETION_TYPES)


def check_quantity(quantity: int) -> ResponseCode:
    """A transaction moves at least one whole unit (integer quantity, 1 unit = 1 t CO2e)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        return ResponseCode.INVALID_QUANTITY
    return ResponseCode.OK


def check_proposal(p: Proposal, policy: SecurityPolicy) -> ResponseCode:
    """The first failing rule's code, or OK. Order: the request itself, the representative, the
    accounts, the units, the limits, and last the balance (which depends on concurrent work)."""
    if check_quantity(p.quantity) is not ResponseCode.OK:
        return ResponseCode.INVALID_QUANTITY
    if p.initiator_state is RepresentativeState.SUSPENDED:
        return ResponseCode.REPRESENTATIVE_SUSPENDED
    if not p.initiator_authorised:
        return ResponseCode.REPRESENTATIVE_NOT_AUTHORISED
    if p.source is None or p.source.state is not AccountState.OPEN:
        return ResponseCode.SOURCE_NOT_OPEN
    if p.destination is None or p.destination.state not in (AccountState.OPEN, AccountState.BLOCKED):
        return ResponseCode.DESTINATION_NOT_OPEN
    if p.source.id == p.destination.id:
        return ResponseCode.SAME_ACCOUNT
    if p.source.jurisdiction != p.destination.jurisdiction:
        return ResponseCode.JURISDICTION_MISMATCH
    if not _account_types_ok(p):
        return ResponseCode.WRONG_ACCOUNT_TYPE
    if p.unit_jurisdiction != p.source.jurisdiction and p.unit_jurisdiction not in policy.linked_origins:
        return ResponseCode.UNIT_NOT_ELIGIBLE
    limited = p.type in _TRANSFERS and policy.transfer_limit_units is not None
    if limited and p.quantity > (policy.transfer_limit_units or 0):
        return ResponseCode.LIMIT_EXCEEDED
    if p.quantity > p.available:
        return ResponseCode.INSUFFICIENT_UNITS
    return ResponseCode.OK


def check_issuance(unit_type: UnitType, quantity: int, destination: Account, authorised: bool) -> ResponseCode:
    """Issuance creates units in the national holding account, never beyond the unit type's cap."""
    if check_quantity(quantity) is not ResponseCode.OK:
        return ResponseCode.INVALID_QUANTITY
    if not authorised:
        return ResponseCode.REPRESENTATIVE_NOT_AUTHORISED
    if destination.type is not AccountType.NATIONAL_HOLDING:
        return ResponseCode.WRONG_ACCOUNT_TYPE
    if destination.state is not AccountState.OPEN:
        return ResponseCode.DESTINATION_NOT_OPEN
    if destination.jurisdiction != unit_type.jurisdiction:
        return ResponseCode.JURISDICTION_MISMATCH
    if unit_type.issued + quantity > unit_type.cap:
        return ResponseCode.CAP_EXCEEDED
    return ResponseCode.OK


def check_cap_change(unit_type: UnitType, new_cap: int) -> ResponseCode:
    """A cap may follow output (an intensity cap is known only after the true-up), but never
    below the units already issued."""
    if new_cap <= 0 or new_cap < unit_type.issued:
        return ResponseCode.CAP_EXCEEDED
    return ResponseCode.OK


def check_approval(initiator: str, approver: str, authorised: bool, state: RepresentativeState) -> ResponseCode:
    """Four eyes: the approver is another active representative of the source account."""
    if state is RepresentativeState.SUSPENDED:
        return ResponseCode.REPRESENTATIVE_SUSPENDED
    if not authorised:
        return ResponseCode.REPRESENTATIVE_NOT_AUTHORISED
    if approver == initiator:
        return ResponseCode.SELF_APPROVAL
    return ResponseCode.OK


@dataclass(frozen=True, slots=True)
class Route:
    needs_approval: bool
    delayed: bool


def route(kind: TransactionType, policy: SecurityPolicy, trusted: bool) -> Route:
    """Which controls a valid proposal still has to pass. Only transfers between holders are
    subject to approval and delay; administrative and deletion transactions complete at once."""
    if kind not in _TRANSFERS:
        return Route(needs_approval=False, delayed=False)
    approval = policy.approval is ApprovalRule.ALWAYS or (policy.approval is ApprovalRule.UNTRUSTED and not trusted)
    return Route(needs_approval=approval, delayed=not trusted)


def next_failures(current: int, code: ResponseCode, security_codes: frozenset[ResponseCode]) -> int:
    """Consecutive security refusals of a representative; any accepted command resets them."""
    if code is ResponseCode.OK:
        return 0
    return current + 1 if code in security_codes else current
