"""Pending transactions: second-representative approval, cancellation in the delay window, and
settlement of transfers whose delay window has ended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.policy_config import load_policy, timezone_of
from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.model import (
    SECURITY_CODES,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
)
from carbonbridge.domain.registry.rules import PENDING, Proposal, advance, check_approval, check_proposal, next_failures
from carbonbridge.services import link_outbox
from carbonbridge.services import registry_rows as rows
from carbonbridge.services import registry_store as store
from carbonbridge.services.registry_sql import Batch
from carbonbridge.services.registry_transactions import PolicyFor, Sessions, raise_if_terminated, retrying

S = TransactionState
SETTLE_BATCH = 500


def _pending(session: Session, transaction_id: str) -> Any:
    row = rows.by_id(session, transaction_id, lock=True)
    if row is None:
        raise NotFound(f"unknown transaction {transaction_id!r}")
    return row


def _resolve(
    session: Session,
    batch: Batch,
    row: Any,
    states: list[S],
    code: ResponseCode,
    actor: str,
    now: dt.datetime,
    **values: Any,
) -> TransactionView:
    """Move a pending transaction along `states` (each step checked by the state machine)."""
    current = S(row.state)
    for state in states:
        current = advance(current, state)
    data = {**row.as_dict(), **values, "state": current.value, "response_code": code.value}
    if current in (S.COMPLETED, S.TERMINATED):
        data["resolved_at"] = now
    rows.update_transaction(session, batch, data)
    return rows.transition(session, batch, data, states, code, actor, now)


def _recheck(session: Session, row: Any, policy_for: PolicyFor) -> ResponseCode:
    """The log's checks again at completion: accounts may have been blocked in the meantime."""
    found = rows.accounts(session, [row.source_account, row.destination_account])
    store.lock_holdings(session, row.unit_type, [row.source_account, row.destination_account])
    unit = rows.unit_type(session, row.unit_type)
    proposal = Proposal(
        TransactionType(row.type),
        found.get(row.source_account),
        found.get(row.destination_account),
        unit.jurisdiction if unit else None,
        int(row.quantity),
        int(row.quantity),  # the units are reserved for this transaction
        True,
        rows.representative(session, row.initiator, [row.source_account])[0],
        row.installation_id,
    )
    return check_proposal(proposal, policy_for(row.jurisdiction))


def _complete_or_terminate(
    session: Session,
    batch: Batch,
    row: Any,
    before: list[S],
    actor: str,
    now: dt.datetime,
    policy_for: PolicyFor,
    **values: Any,
) -> TransactionView:
    code = _recheck(session, row, policy_for)
    args = (session, batch, row.id, row.unit_type, row.source_account)
    if code is ResponseCode.OK and row.type == TransactionType.LINK_TRANSFER.value:  # the partner decides
        if link_outbox.gate_closed(session, row.destination_account):
            return _wait_for_gate(session, batch, row, before, actor, now, **values)
        result = _resolve(session, batch, row, [*before, S.CHECKED], code, actor, now, **values)
        link_outbox.on_checked(session, row.as_dict(), now)
        return result
    if code is ResponseCode.OK:
        store.move_reserved_units(*args, row.destination_account, int(row.quantity))
        return _resolve(session, batch, row, [*before, S.CHECKED, S.COMPLETED], code, actor, now, **values)
    store.release_units(*args, int(row.quantity))
    return _resolve(session, batch, row, [*before, S.TERMINATED], code, actor, now, **values)


def _wait_for_gate(
    session: Session, batch: Batch, row: Any, before: list[S], actor: str, now: dt.datetime, **values: Any
) -> TransactionView:
    """A link transfer approved (or past its delay) while the last reconciliation with the partner is
    pending or inconsistent is not sent: it waits, delayed and due, units reserved; `settle_due`
    (run by the link worker each round) sends it once the gate is open; a cancel still withdraws it."""
    if S(row.state) is S.DELAYED:
        return rows.view(row)
    return _resolve(session, batch, row, [*before, S.DELAYED], ResponseCode.OK, actor, now, **values, delay_until=now)


def approve(
    sessions: Sessions, transaction_id: str, approver: str, *, now: dt.datetime, policy_for: PolicyFor = load_policy
) -> TransactionView:
    """A second representative of the source account approves; the transfer then completes at once
    (trusted destination) or waits for its delay window. Repeating an approval returns the result."""
    work = lambda s: _approve(s, transaction_id, approver, now, policy_for)  # noqa: E731
    outcome = retrying(sessions, work, command=f"registry approve {transaction_id}", now=now)
    if isinstance(outcome, ResponseCode):
        raise RuleViolation(outcome.value, f"{approver} may not approve transaction {transaction_id}")
    return raise_if_terminated(outcome)


def _approve(
    session: Session, transaction_id: str, approver: str, now: dt.datetime, policy_for: PolicyFor
) -> TransactionView | ResponseCode:
    row = _pending(session, transaction_id)
    if row.state != S.PROPOSED.value:
        if row.approver == approver:
            return rows.view(row)
        raise Conflict(f"transaction {transaction_id} is {row.state}, not awaiting approval")
    policy = policy_for(row.jurisdiction)
    state, authorised, failures = rows.representative(session, approver, [row.source_account])
    code = check_approval(row.initiator, approver, authorised, state)
    batch = Batch()
    rows.record_failures(
        batch, approver, next_failures(failures, code, SECURITY_CODES), failures, policy.max_consecutive_failures
    )
    if code is not ResponseCode.OK:
        batch.flush(session)
        detail: dict[str, object] = {"response_code": code.value}
        audit(session, at=now, actor=approver, action="registry.approval.refused", subject=row.id, detail=detail)
        return code
    if rows.is_trusted(session, row.source_account, row.destination_account, now):
        return _complete_or_terminate(session, batch, row, [S.APPROVED], approver, now, policy_for, approver=approver)
    until = policy.delay_until(now, timezone_of(row.jurisdiction))
    store.lock_holdings(session, row.unit_type, [row.source_account, row.destination_account])
    states = [S.APPROVED, S.DELAYED]
    return _resolve(session, batch, row, states, ResponseCode.OK, approver, now, approver=approver, delay_until=until)


def cancel(sessions: Sessions, transaction_id: str, representative: str, *, now: dt.datetime) -> TransactionView:
    """A representative of the source account cancels a pending transfer before its window ends;
    the reserved units are free again. Repeating a cancellation returns the result."""
    work = lambda s: _cancel(s, transaction_id, representative, now)  # noqa: E731
    return retrying(sessions, work, command=f"registry cancel {transaction_id}", now=now)


def _cancel(session: Session, transaction_id: str, representative: str, now: dt.datetime) -> TransactionView:
    row = _pending(session, transaction_id)
    if row.response_code == ResponseCode.CANCELLED.value:
        return rows.view(row)
    if S(row.state) not in PENDING:
        raise Conflict(f"transaction {transaction_id} is {row.state}; only a pending transaction can be cancelled")
    until = rows.utc(row.delay_until)
    if until is not None and now >= until:
        raise Conflict(
            f"the delay window of {transaction_id} ended at {until.isoformat()}; it can no longer be cancelled"
        )
    state, authorised, _ = rows.representative(session, representative, [row.source_account])
    if not authorised or state is not RepresentativeState.ACTIVE:
        raise RuleViolation(
            ResponseCode.REPRESENTATIVE_NOT_AUTHORISED.value, f"{representative} may not cancel {transaction_id}"
        )
    batch = Batch()
    store.lock_holdings(session, row.unit_type, [row.source_account, row.destination_account])
    store.release_units(session, batch, row.id, row.unit_type, row.source_account, int(row.quantity))
    return _resolve(session, batch, row, [S.TERMINATED], ResponseCode.CANCELLED, representative, now)


def settle_due(
    sessions: Sessions,
    *,
    now: dt.datetime,
    limit: int = SETTLE_BATCH,
    policy_for: PolicyFor = load_policy,
    jurisdictions: Collection[str] | None = None,
    only: TransactionType | None = None,
) -> list[TransactionView]:
    """Complete (or terminate, if a check now fails) delayed transfers whose window has ended; a
    link transfer goes to the partner instead (or keeps waiting while the reconciliation gate is
    closed). `jurisdictions`: only those registries' transfers (an administrator settles their
    own); `only`: transfers of that type alone (the link worker settles link transfers)."""
    t = rows.TRANSACTIONS.c
    query = select(t.id).where(t.state == S.DELAYED.value, t.delay_until <= now)
    if jurisdictions is not None:
        query = query.where(t.jurisdiction.in_(sorted(jurisdictions)))
    if only is not None:
        query = query.where(t.type == only.value)
    with sessions() as session:
        due = list(session.scalars(query.order_by(t.delay_until, t.id).limit(limit)))
    return [
        retrying(sessions, lambda s, i=i: _settle_one(s, i, now, policy_for), command=f"registry settle {i}", now=now)  # type: ignore[misc]
        for i in due
    ]


def _settle_one(session: Session, transaction_id: str, now: dt.datetime, policy_for: PolicyFor) -> TransactionView:
    row = _pending(session, transaction_id)
    until = rows.utc(row.delay_until)
    if row.state != S.DELAYED.value or until is None or until > now:
        return rows.view(row)  # settled or cancelled meanwhile
    return _complete_or_terminate(session, Batch(), row, [], "registry", now, policy_for)
