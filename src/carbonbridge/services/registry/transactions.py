"""Use cases that propose registry transactions: issue, allocate, transfer, surrender, delete,
reverse. Each runs in one unit of work (`Ledgers.run`), is idempotent by client key, and records
its outcome (completed, pending or terminated with a response code) in the hash-chained
transaction log. They speak the ledger port (ports.py) only."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from carbonbridge.domain.errors import NotFound, RuleViolation
from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
from carbonbridge.domain.registry.idempotency import check_repeat
from carbonbridge.domain.registry.model import (
    SECURITY_CODES,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
)
from carbonbridge.domain.registry.records import TransactionRecord
from carbonbridge.domain.registry.rules import (
    Proposal,
    check_issuance,
    check_proposal,
    check_quantity,
    next_failures,
    route,
)
from carbonbridge.services.registry.ports import Ledger, Ledgers, PolicyFor

S = TransactionState


def raise_if_terminated(result: TransactionView) -> TransactionView:
    """Commands report a termination as RuleViolation, after the terminated transaction is committed."""
    if result.state is S.TERMINATED:
        raise RuleViolation(result.response_code.value, f"transaction {result.id} terminated")
    return result


def raise_if_refused(result: TransactionView) -> TransactionView:
    """A proposal refused by the checks is RuleViolation, also when repeated. A repeat of an accepted
    proposal returns the same transaction (its current state), whatever happened to it since."""
    if result.refused:
        raise RuleViolation(result.response_code.value, f"transaction {result.id} refused")
    return result


def _repeat(ledger: Ledger, request: TransactionRequest) -> TransactionView | None:
    existing = ledger.existing(request.client_key)
    if existing is None:
        return None
    check_repeat(request.client_key, existing.request_body(), request.body())
    return existing.view()


def _new(request: TransactionRequest, jurisdiction: str, now: dt.datetime) -> TransactionRecord:
    return TransactionRecord.new(uuid.uuid4().hex, request, jurisdiction, now)


def _finish(
    ledger: Ledger, tx: TransactionRecord, states: list[S], code: ResponseCode, now: dt.datetime
) -> TransactionView:
    """Insert the transaction in its state after `states`, then log and send everything."""
    return ledger.append(tx.with_state(states[-1], code, now), states, tx.initiator, now, new=True)


def _command(request: TransactionRequest) -> str:
    return f"registry {request.type.value} (client key {request.client_key!r})"


def propose(
    ledgers: Ledgers, request: TransactionRequest, *, now: dt.datetime, policy_for: PolicyFor | None = None
) -> TransactionView:
    """Propose a transfer-like transaction; returns the first result for a repeated client key.
    A refused proposal is committed as terminated(code) and then raised as RuleViolation."""
    request.validate()
    if request.type is TransactionType.ISSUANCE:
        return issue(ledgers, request, now=now)
    work = lambda ledger: _propose(ledger, request, now, policy_for)  # noqa: E731
    return raise_if_refused(ledgers.run(work, command=_command(request), now=now))


def propose_in_unit_of_work(
    ledger: Ledger, request: TransactionRequest, *, now: dt.datetime, policy_for: PolicyFor | None = None
) -> TransactionView:
    """Propose a transfer-like transaction inside the CALLER's unit of work (database transaction),
    for a use case that must move units atomically with its own writes (the market's delivery
    versus payment). The registry's rules all apply here, in this one place, exactly as for
    `propose`: the request is validated; a repeated client key returns the first result (a
    different request under it is IdempotencyConflict); every check runs (accounts, representative,
    units available - neither reserved nor held by the market -, limits, trusted list, approval and
    delay per `policy_for`); the transaction row, serial blocks, postings, holdings, state event,
    hash-chained log entry and audit record are written. Nothing is committed: the caller commits
    or rolls back everything with its own writes. A refusal is RETURNED as a terminated view (the
    caller decides: raising rolls the refusal back with the rest; `propose` commits it), and the
    caller retries the whole unit of work on a serialization failure (`retrying`). An issuance runs
    the issuance rules (`issue`'s)."""
    request.validate()
    if request.type is TransactionType.ISSUANCE:
        return _issue(ledger, request, now)
    return _propose(ledger, request, now, policy_for)


def _propose(
    ledger: Ledger, request: TransactionRequest, now: dt.datetime, policy_for: PolicyFor | None
) -> TransactionView:
    ctx = ledger.context(request, _authorising_accounts(ledger, request), now)
    if ctx.existing is not None and (repeat := _repeat(ledger, request)) is not None:
        return repeat
    source, destination = ctx.source, ctx.destination
    if source is None and destination is None:
        raise NotFound(f"unknown accounts {request.source_account!r} and {request.destination_account!r}")
    jurisdiction = (source or destination).jurisdiction  # type: ignore[union-attr]
    request = _resolve_reversal(ledger, request)
    policy = (policy_for or ledger.policy)(jurisdiction)
    if (refusal := check_quantity(request.quantity)) is not ResponseCode.OK:  # before any holding row is made
        return _finish(ledger, _new(request, jurisdiction, now), [S.PROPOSED, S.TERMINATED], refusal, now)
    holders = [a.id for a in (source, destination) if a is not None]
    if ctx.unit_jurisdiction is None:
        available = 0  # unknown unit type: nothing to lock, refused below
    elif set(holders) <= set(ctx.locked):
        # quantity less what is unavailable (reserved, and held by the market)
        available = ctx.locked[source.id][0] - ctx.locked[source.id][1] if source else 0
    else:  # a holding row to create first (then locked in the same ascending order)
        holdings = ledger.lock_holdings(request.unit_type, holders)
        available = holdings[source.id].available if source else 0
    proposal = Proposal(
        request.type,
        source,
        destination,
        ctx.unit_jurisdiction,
        request.quantity,
        available,
        ctx.rep_authorised,
        ctx.rep_state,
        request.installation_id,
    )
    code = check_proposal(proposal, policy)
    if code is ResponseCode.OK and request.type is TransactionType.SURRENDER and ctx.unit_jurisdiction != jurisdiction:
        code = ledger.foreign_surrender_code(jurisdiction, *_surrender_of(request))
    failures = next_failures(ctx.rep_failures, code, SECURITY_CODES)
    ledger.record_failures(request.initiator, failures, ctx.rep_failures, policy.max_consecutive_failures)
    tx = _new(request, jurisdiction, now)
    if code is not ResponseCode.OK:
        return _finish(ledger, tx, [S.PROPOSED, S.TERMINATED], code, now)
    assert source is not None and destination is not None
    plan = route(request.type, policy, ctx.trusted)
    if request.type is TransactionType.LINK_TRANSFER:  # never completes here: the partner decides
        ledger.link_gate(destination.id)
        ledger.reserve(tx)
        if not (plan.needs_approval or plan.delayed):
            result = _finish(ledger, tx, [S.PROPOSED, S.CHECKED], code, now)
            ledger.link_checked(tx.with_state(S.CHECKED, code, now), now)
            return result
    if plan.needs_approval or plan.delayed:
        if request.type is not TransactionType.LINK_TRANSFER:
            ledger.reserve(tx)
        if plan.needs_approval:
            return _finish(ledger, tx, [S.PROPOSED], code, now)
        delayed = replace(tx, delay_until=policy.delay_until(now, ledger.timezone(jurisdiction)))
        return _finish(ledger, delayed, [S.PROPOSED, S.DELAYED], code, now)
    ledger.move_free(tx)
    return _finish(ledger, tx, [S.PROPOSED, S.CHECKED, S.COMPLETED], code, now)


def _surrender_of(request: TransactionRequest) -> tuple[str, str, int, int]:
    assert request.source_account and request.installation_id and request.compliance_year is not None
    return request.source_account, request.installation_id, request.compliance_year, request.quantity


def _authorising_accounts(ledger: Ledger, request: TransactionRequest) -> list[str]:
    """Whose representative may initiate: the source account's; for a reversal or the return of
    excess allocation, the registry administrator's (a representative of the jurisdiction's
    national holding account)."""
    if request.type in (TransactionType.REVERSAL, TransactionType.RETURN):
        found = ledger.accounts([request.destination_account]).get(request.destination_account)
        return ledger.national_accounts(found.jurisdiction) if found else []
    return [request.source_account] if request.source_account else []


def _resolve_reversal(ledger: Ledger, request: TransactionRequest) -> TransactionRequest:
    """A reversal names the completed transaction it compensates; the rest must mirror it."""
    if request.type is not TransactionType.REVERSAL:
        return request
    original = ledger.transaction(request.reverses or "")
    if original is None:
        raise NotFound(f"unknown transaction {request.reverses!r}")
    reversible = original.type in (TransactionType.TRANSFER, TransactionType.ALLOCATION)
    mirrored = (original.destination_account, original.source_account, original.unit_type, original.quantity)
    asked = (request.source_account, request.destination_account, request.unit_type, request.quantity)
    if not reversible or original.state is not S.COMPLETED or mirrored != asked:
        raise RuleViolation(
            ResponseCode.NOT_REVERSIBLE.value,
            f"a reversal of {original.id} must move {original.quantity} {original.unit_type} from "
            f"{original.destination_account} back to {original.source_account} after it completed",
        )
    if ledger.reversal_of(original.id) is not None:
        raise RuleViolation(ResponseCode.NOT_REVERSIBLE.value, f"transaction {original.id} is already reversed")
    return request


def issue(ledgers: Ledgers, request: TransactionRequest, *, now: dt.datetime) -> TransactionView:
    """Issue new units (fresh serials) into the national holding account, never beyond the cap."""
    request.validate()
    work = lambda ledger: _issue(ledger, request, now)  # noqa: E731
    return raise_if_refused(ledgers.run(work, command=_command(request), now=now))


def _issue(ledger: Ledger, request: TransactionRequest, now: dt.datetime) -> TransactionView:
    if (repeat := _repeat(ledger, request)) is not None:
        return repeat
    unit = ledger.unit_type(request.unit_type, lock=True)
    if unit is None:
        raise NotFound(f"unknown unit type {request.unit_type!r}")
    destination = ledger.accounts([request.destination_account]).get(request.destination_account)
    if destination is None:
        raise NotFound(f"unknown account {request.destination_account!r}")
    state, authorised, _ = ledger.representative(request.initiator, [destination.id])
    code = check_issuance(unit, request.quantity, destination, authorised and state is RepresentativeState.ACTIVE)
    tx = replace(_new(request, unit.jurisdiction, now), source_account=f"{unit.jurisdiction}-ISSUANCE")
    if code is not ResponseCode.OK:
        return _finish(ledger, tx, [S.PROPOSED, S.TERMINATED], code, now)
    ledger.lock_holdings(unit.code, [destination.id])
    ledger.issue(tx, SerialBlock(unit.code, unit.issued + 1, unit.issued + request.quantity))
    return _finish(ledger, tx, [S.PROPOSED, S.CHECKED, S.COMPLETED], code, now)
