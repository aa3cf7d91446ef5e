"""Pending transactions: second-representative approval, cancellation in the delay window, and
settlement of transfers whose delay window has ended. They speak the ledger port (ports.py) only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.model import (
    SECURITY_CODES,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
)
from carbonbridge.domain.registry.records import TransactionRecord
from carbonbridge.domain.registry.rules import PENDING, Proposal, advance, check_approval, check_proposal, next_failures
from carbonbridge.services.registry.ports import Ledger, Ledgers, PolicyFor
from carbonbridge.services.registry.transactions import raise_if_terminated

S = TransactionState
SETTLE_BATCH = 500


def _pending(ledger: Ledger, transaction_id: str) -> TransactionRecord:
    tx = ledger.transaction(transaction_id, lock=True)
    if tx is None:
        raise NotFound(f"unknown transaction {transaction_id!r}")
    return tx


def _resolve(
    ledger: Ledger,
    tx: TransactionRecord,
    states: list[S],
    code: ResponseCode,
    actor: str,
    now: dt.datetime,
    **values: Any,
) -> TransactionView:
    """Move a pending transaction along `states` (each step checked by the state machine)."""
    current = tx.state
    for state in states:
        current = advance(current, state)
    return ledger.append(tx.with_state(current, code, now, **values), states, actor, now, new=False)


def _recheck(ledger: Ledger, tx: TransactionRecord, policy_for: PolicyFor | None) -> ResponseCode:
    """The log's checks again at completion: accounts may have been blocked in the meantime."""
    found = ledger.accounts([tx.source_account, tx.destination_account])
    ledger.lock_holdings(tx.unit_type, [tx.source_account or "", tx.destination_account])
    unit = ledger.unit_type(tx.unit_type)
    proposal = Proposal(
        tx.type,
        found.get(tx.source_account or ""),
        found.get(tx.destination_account),
        unit.jurisdiction if unit else None,
        tx.quantity,
        tx.quantity,  # the units are reserved for this transaction
        True,
        ledger.representative(tx.initiator, [tx.source_account or ""])[0],
        tx.installation_id,
    )
    return check_proposal(proposal, (policy_for or ledger.policy)(tx.jurisdiction))


def _complete_or_terminate(
    ledger: Ledger,
    tx: TransactionRecord,
    before: list[S],
    actor: str,
    now: dt.datetime,
    policy_for: PolicyFor | None,
    **values: Any,
) -> TransactionView:
    code = _recheck(ledger, tx, policy_for)
    if code is ResponseCode.OK and tx.type is TransactionType.LINK_TRANSFER:  # the partner decides
        if ledger.link_gate_closed(tx.destination_account):
            return _wait_for_gate(ledger, tx, before, actor, now, **values)
        result = _resolve(ledger, tx, [*before, S.CHECKED], code, actor, now, **values)
        ledger.link_checked(tx, now)
        return result
    if code is ResponseCode.OK:
        ledger.move_reserved(tx)
        return _resolve(ledger, tx, [*before, S.CHECKED, S.COMPLETED], code, actor, now, **values)
    ledger.release(tx)
    return _resolve(ledger, tx, [*before, S.TERMINATED], code, actor, now, **values)


def _wait_for_gate(
    ledger: Ledger, tx: TransactionRecord, before: list[S], actor: str, now: dt.datetime, **values: Any
) -> TransactionView:
    """A link transfer approved (or past its delay) while the last reconciliation with the partner is
    pending or inconsistent is not sent: it waits, delayed and due, units reserved; `settle_due`
    (run by the link worker each round) sends it once the gate is open; a cancel still withdraws it."""
    if tx.state is S.DELAYED:
        return tx.view()
    return _resolve(ledger, tx, [*before, S.DELAYED], ResponseCode.OK, actor, now, **values, delay_until=now)


def approve(
    ledgers: Ledgers, transaction_id: str, approver: str, *, now: dt.datetime, policy_for: PolicyFor | None = None
) -> TransactionView:
    """A second representative of the source account approves; the transfer then completes at once
    (trusted destination) or waits for its delay window. Repeating an approval returns the result."""
    work = lambda ledger: _approve(ledger, transaction_id, approver, now, policy_for)  # noqa: E731
    outcome = ledgers.run(work, command=f"registry approve {transaction_id}", now=now)
    if isinstance(outcome, ResponseCode):
        raise RuleViolation(outcome.value, f"{approver} may not approve transaction {transaction_id}")
    return raise_if_terminated(outcome)


def _approve(
    ledger: Ledger, transaction_id: str, approver: str, now: dt.datetime, policy_for: PolicyFor | None
) -> TransactionView | ResponseCode:
    tx = _pending(ledger, transaction_id)
    if tx.state is not S.PROPOSED:
        if tx.approver == approver:
            return tx.view()
        raise Conflict(f"transaction {transaction_id} is {tx.state.value}, not awaiting approval")
    policy = (policy_for or ledger.policy)(tx.jurisdiction)
    source = tx.source_account or ""
    state, authorised, failures = ledger.representative(approver, [source])
    code = check_approval(tx.initiator, approver, authorised, state)
    ledger.record_failures(
        approver, next_failures(failures, code, SECURITY_CODES), failures, policy.max_consecutive_failures
    )
    if code is not ResponseCode.OK:
        detail: dict[str, object] = {"response_code": code.value}
        ledger.audit(now, approver, "registry.approval.refused", tx.id, detail)
        return code
    if ledger.is_trusted(source, tx.destination_account, now):
        return _complete_or_terminate(ledger, tx, [S.APPROVED], approver, now, policy_for, approver=approver)
    until = policy.delay_until(now, ledger.timezone(tx.jurisdiction))
    ledger.lock_holdings(tx.unit_type, [source, tx.destination_account])
    states = [S.APPROVED, S.DELAYED]
    return _resolve(ledger, tx, states, ResponseCode.OK, approver, now, approver=approver, delay_until=until)


def cancel(ledgers: Ledgers, transaction_id: str, representative: str, *, now: dt.datetime) -> TransactionView:
    """A representative of the source account cancels a pending transfer before its window ends;
    the reserved units are free again. Repeating a cancellation returns the result."""
    work = lambda ledger: _cancel(ledger, transaction_id, representative, now)  # noqa: E731
    return ledgers.run(work, command=f"registry cancel {transaction_id}", now=now)


def _cancel(ledger: Ledger, transaction_id: str, representative: str, now: dt.datetime) -> TransactionView:
    tx = _pending(ledger, transaction_id)
    if tx.response_code is ResponseCode.CANCELLED:
        return tx.view()
    if tx.state not in PENDING:
        raise Conflict(f"transaction {transaction_id} is {tx.state.value}; only a pending transaction can be cancelled")
    until = tx.delay_until
    if until is not None and now >= until:
        raise Conflict(
            f"the delay window of {transaction_id} ended at {until.isoformat()}; it can no longer be cancelled"
        )
    source = tx.source_account or ""
    state, authorised, _ = ledger.representative(representative, [source])
    if not authorised or state is not RepresentativeState.ACTIVE:
        raise RuleViolation(
            ResponseCode.REPRESENTATIVE_NOT_AUTHORISED.value, f"{representative} may not cancel {transaction_id}"
        )
    ledger.lock_holdings(tx.unit_type, [source, tx.destination_account])
    ledger.release(tx)
    return _resolve(ledger, tx, [S.TERMINATED], ResponseCode.CANCELLED, representative, now)


def settle_due(
    ledgers: Ledgers,
    *,
    now: dt.datetime,
    limit: int = SETTLE_BATCH,
    policy_for: PolicyFor | None = None,
    jurisdictions: Collection[str] | None = None,
    only: TransactionType | None = None,
) -> list[TransactionView]:
    """Complete (or terminate, if a check now fails) delayed transfers whose window has ended; a
    link transfer goes to the partner instead (or keeps waiting while the reconciliation gate is
    closed). `jurisdictions`: only those registries' transfers (an administrator settles their
    own); `only`: transfers of that type alone (the link worker settles link transfers)."""
    due = ledgers.run(lambda ledger: ledger.due(now, limit, jurisdictions, only), command="registry settle", now=now)
    return [
        ledgers.run(
            lambda ledger, i=i: _settle_one(ledger, i, now, policy_for),  # type: ignore[misc]
            command=f"registry settle {i}",
            now=now,
        )
        for i in due
    ]


def _settle_one(ledger: Ledger, transaction_id: str, now: dt.datetime, policy_for: PolicyFor | None) -> TransactionView:
    tx = _pending(ledger, transaction_id)
    until = tx.delay_until
    if tx.state is not S.DELAYED or until is None or until > now:
        return tx.view()  # settled or cancelled meanwhile
    return _complete_or_terminate(ledger, tx, [], "registry", now, policy_for)
