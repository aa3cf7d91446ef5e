"""Use cases that propose registry transactions: issue, allocate, transfer, surrender, delete,
reverse. Each runs in one unit of work, is idempotent by client key, and records its outcome
(completed, pending or terminated with a response code) in the hash-chained transaction log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.policy_config import load_policy, timezone_of
from carbonbridge.domain.errors import NotFound, RuleViolation, StorageInvariantViolated
from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
from carbonbridge.domain.registry.idempotency import check_repeat
from carbonbridge.domain.registry.log import canonical
from carbonbridge.domain.registry.model import (
    SECURITY_CODES,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
)
from carbonbridge.domain.registry.policy import SecurityPolicy
from carbonbridge.domain.registry.rules import (
    Proposal,
    check_issuance,
    check_proposal,
    check_quantity,
    next_failures,
    route,
)
from carbonbridge.services import link_limits, link_outbox
from carbonbridge.services import registry_rows as rows
from carbonbridge.services import registry_store as store
from carbonbridge.services.registry_sql import Batch, Conn, direct_unit_of_work

Sessions = sessionmaker[Session]
PolicyFor = Callable[[str], SecurityPolicy]
T = TypeVar("T")
MAX_ATTEMPTS = 8
S = TransactionState
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
INTEGRITY_ACTION = "registry.integrity_error"


def _retryable(exc: BaseException) -> bool:
    """Failures that concurrency alone causes: deadlock, serialization failure, or another client
    committing the same client key first (the retry then returns that first result)."""
    cause = getattr(exc, "orig", None) or exc
    if getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    unique = getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(cause)
    return unique and "client_key" in str(cause)


def _integrity_error(exc: BaseException) -> bool:
    """A constraint of the database refused the write (SQLSTATE class 23, or SQLite's IntegrityError)."""
    cause = getattr(exc, "orig", None) or exc
    sqlstate = getattr(cause, "sqlstate", None)
    return (isinstance(sqlstate, str) and sqlstate.startswith("23")) or type(cause).__name__ == "IntegrityError"


def _constraint_of(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if name:
        return str(name)
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text.split("constraint failed: ", 1)[-1]  # SQLite: "CHECK constraint failed: ck_name"


def _record_integrity_error(sessions: Sessions, command: str, exc: BaseException, now: dt.datetime) -> None:
    """Count the event in the audit record, in a transaction of its own (the command's was rolled back)."""
    detail: dict[str, object] = {"constraint": _constraint_of(exc), "error": type(getattr(exc, "orig", exc)).__name__}
    with unit_of_work(sessions) as session:
        audit(session, at=now, actor="registry", action=INTEGRITY_ACTION, subject=command[:200], detail=detail)


def _guard(sessions: Sessions, command: str, now: dt.datetime, exc: Exception) -> None:
    """A database constraint firing is a bug, never an answer: the command's transaction was rolled
    back (nothing changed), the event is counted in the audit record, and the caller gets a typed
    error naming the command and the constraint instead of a driver traceback."""
    if not _integrity_error(exc):
        return
    try:
        _record_integrity_error(sessions, command, exc, now)
    except Exception as audit_failure:  # the typed error below still reaches the caller
        exc.add_note(f"recording the integrity error in the audit record failed too: {audit_failure!r}")
    raise StorageInvariantViolated(command, _constraint_of(exc)) from exc


def retrying(sessions: Sessions, work: Callable[[Session], T], *, command: str, now: dt.datetime) -> T:
    """Run `work` in its own unit of work, retrying (at most MAX_ATTEMPTS times) what `_retryable` names."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with unit_of_work(sessions) as session:
                return work(session)
        except Exception as exc:
            if attempt + 1 == MAX_ATTEMPTS or not _retryable(exc):
                _guard(sessions, command, now, exc)
                raise
    raise AssertionError("unreachable")


def retrying_direct(sessions: Sessions, work: Callable[[Conn], T], *, command: str, now: dt.datetime) -> T:
    """`retrying` for commands written against registry_sql's helpers: on PostgreSQL each attempt
    runs on a pooled DBAPI connection in one database transaction (`direct_unit_of_work`), without
    an ORM session; on SQLite in the session's unit of work (BEGIN IMMEDIATE)."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, Engine) or engine.dialect.name != "postgresql":
        return retrying(sessions, work, command=command, now=now)
    for attempt in range(MAX_ATTEMPTS):
        try:
            with direct_unit_of_work(engine) as db:
                return work(db)
        except Exception as exc:
            if attempt + 1 == MAX_ATTEMPTS or not _retryable(exc):
                _guard(sessions, command, now, exc)
                raise
    raise AssertionError("unreachable")


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


def _repeat(session: Conn, request: TransactionRequest) -> TransactionView | None:
    existing = rows.by_key(session, request.client_key)
    if existing is None:
        return None
    check_repeat(request.client_key, rows.request_of(existing), request.body())
    return rows.view(existing)


def _new_row(request: TransactionRequest, jurisdiction: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "client_key": request.client_key,
        "request": canonical(request.body()),
        "jurisdiction": jurisdiction,
        "type": request.type.value,
        "source_account": request.source_account,
        "destination_account": request.destination_account,
        "unit_type": request.unit_type,
        "quantity": request.quantity,
        "initiator": request.initiator,
        "approver": None,
        "installation_id": request.installation_id,
        "compliance_year": request.compliance_year,
        "reverses": request.reverses,
        "proposed_at": now,
        "delay_until": None,
        "resolved_at": None,
    }


def _finish(
    session: Conn, batch: Batch, row: dict[str, Any], states: list[S], code: ResponseCode, now: dt.datetime
) -> TransactionView:
    """Insert the transaction in its state after `states`, then log and send everything."""
    row.update(state=states[-1].value, response_code=code.value)
    if states[-1] in (S.COMPLETED, S.TERMINATED):
        row["resolved_at"] = now
    rows.insert_transaction(session, batch, row)
    return rows.transition(session, batch, row, states, code, row["initiator"], now)


def _command(request: TransactionRequest) -> str:
    return f"registry {request.type.value} (client key {request.client_key!r})"


def propose(
    sessions: Sessions, request: TransactionRequest, *, now: dt.datetime, policy_for: PolicyFor = load_policy
) -> TransactionView:
    """Propose a transfer-like transaction; returns the first result for a repeated client key.
    A refused proposal is committed as terminated(code) and then raised as RuleViolation."""
    request.validate()
    if request.type is TransactionType.ISSUANCE:
        return issue(sessions, request, now=now)
    work = lambda s: propose_in_unit_of_work(s, request, now=now, policy_for=policy_for)  # noqa: E731
    return raise_if_refused(retrying_direct(sessions, work, command=_command(request), now=now))


def propose_in_unit_of_work(
    session: Conn, request: TransactionRequest, *, now: dt.datetime, policy_for: PolicyFor = load_policy
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
        return _issue(session, request, now)
    return _propose(session, request, now, policy_for)


def _propose(session: Conn, request: TransactionRequest, now: dt.datetime, policy_for: PolicyFor) -> TransactionView:
    authorising = _authorising_accounts(session, request)
    pair = (request.source_account or "", request.destination_account)
    ctx = rows.context(
        session,
        request.client_key,
        request.unit_type,
        request.initiator,
        authorising,
        pair,
        now,
        lock=[a for a in pair if a],
    )
    if ctx.existing is not None and (repeat := _repeat(session, request)) is not None:
        return repeat
    source, destination = ctx.source, ctx.destination
    if source is None and destination is None:
        raise NotFound(f"unknown accounts {request.source_account!r} and {request.destination_account!r}")
    jurisdiction = (source or destination).jurisdiction  # type: ignore[union-attr]
    request = _resolve_reversal(session, request)
    policy, batch = policy_for(jurisdiction), Batch()
    if (refusal := check_quantity(request.quantity)) is not ResponseCode.OK:  # before any holding row is made
        return _finish(session, batch, _new_row(request, jurisdiction, now), [S.PROPOSED, S.TERMINATED], refusal, now)
    holders = [a.id for a in (source, destination) if a is not None]
    if ctx.unit_jurisdiction is None:
        available = 0  # unknown unit type: nothing to lock, refused below
    elif set(holders) <= set(ctx.locked):
        # quantity less what is unavailable (reserved, and held by the market)
        available = ctx.locked[source.id][0] - ctx.locked[source.id][1] if source else 0
    else:  # a holding row to create first (then locked in the same ascending order)
        holdings = store.lock_holdings(session, request.unit_type, holders)
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
        code = link_limits.surrender_code(session, jurisdiction, *_surrender_of(request))
    failures = next_failures(ctx.rep_failures, code, SECURITY_CODES)
    rows.record_failures(batch, request.initiator, failures, ctx.rep_failures, policy.max_consecutive_failures)
    row = _new_row(request, jurisdiction, now)
    if code is not ResponseCode.OK:
        return _finish(session, batch, row, [S.PROPOSED, S.TERMINATED], code, now)
    assert source is not None and destination is not None
    plan = route(request.type, policy, ctx.trusted)
    if request.type is TransactionType.LINK_TRANSFER:  # never completes here: the partner decides
        link_outbox.gate(session, destination.id)
        store.reserve_units(session, batch, row["id"], request.unit_type, source.id, request.quantity)
        if not (plan.needs_approval or plan.delayed):
            result = _finish(session, batch, row, [S.PROPOSED, S.CHECKED], code, now)
            link_outbox.on_checked(session, row, now)
            return result
    if plan.needs_approval or plan.delayed:
        if request.type is not TransactionType.LINK_TRANSFER:
            store.reserve_units(session, batch, row["id"], request.unit_type, source.id, request.quantity)
        if plan.needs_approval:
            return _finish(session, batch, row, [S.PROPOSED], code, now)
        row["delay_until"] = policy.delay_until(now, timezone_of(jurisdiction))
        return _finish(session, batch, row, [S.PROPOSED, S.DELAYED], code, now)
    store.move_free_units(session, batch, row["id"], request.unit_type, source.id, destination.id, request.quantity)
    return _finish(session, batch, row, [S.PROPOSED, S.CHECKED, S.COMPLETED], code, now)


def _surrender_of(request: TransactionRequest) -> tuple[str, str, int, int]:
    assert request.source_account and request.installation_id and request.compliance_year is not None
    return request.source_account, request.installation_id, request.compliance_year, request.quantity


def _authorising_accounts(session: Conn, request: TransactionRequest) -> list[str]:
    """Whose representative may initiate: the source account's; for a reversal or the return of
    excess allocation, the registry administrator's (a representative of the jurisdiction's
    national holding account)."""
    if request.type in (TransactionType.REVERSAL, TransactionType.RETURN):
        found = rows.accounts(session, [request.destination_account]).get(request.destination_account)
        return rows.national_accounts(session, found.jurisdiction) if found else []
    return [request.source_account] if request.source_account else []


def _resolve_reversal(session: Conn, request: TransactionRequest) -> TransactionRequest:
    """A reversal names the completed transaction it compensates; the rest must mirror it."""
    if request.type is not TransactionType.REVERSAL:
        return request
    original = rows.by_id(session, request.reverses or "")
    if original is None:
        raise NotFound(f"unknown transaction {request.reverses!r}")
    reversible = original.type in (TransactionType.TRANSFER.value, TransactionType.ALLOCATION.value)
    mirrored = (original.destination_account, original.source_account, original.unit_type, original.quantity)
    asked = (request.source_account, request.destination_account, request.unit_type, request.quantity)
    if not reversible or original.state != S.COMPLETED.value or mirrored != asked:
        raise RuleViolation(
            ResponseCode.NOT_REVERSIBLE.value,
            f"a reversal of {original.id} must move {original.quantity} {original.unit_type} from "
            f"{original.destination_account} back to {original.source_account} after it completed",
        )
    if rows.reversal_of(session, original.id) is not None:
        raise RuleViolation(ResponseCode.NOT_REVERSIBLE.value, f"transaction {original.id} is already reversed")
    return request


def issue(sessions: Sessions, request: TransactionRequest, *, now: dt.datetime) -> TransactionView:
    """Issue new units (fresh serials) into the national holding account, never beyond the cap."""
    request.validate()
    work = lambda s: _issue(s, request, now)  # noqa: E731
    return raise_if_refused(retrying_direct(sessions, work, command=_command(request), now=now))


def _issue(session: Conn, request: TransactionRequest, now: dt.datetime) -> TransactionView:
    if (repeat := _repeat(session, request)) is not None:
        return repeat
    unit = rows.unit_type(session, request.unit_type, lock=True)
    if unit is None:
        raise NotFound(f"unknown unit type {request.unit_type!r}")
    destination = rows.accounts(session, [request.destination_account]).get(request.destination_account)
    if destination is None:
        raise NotFound(f"unknown account {request.destination_account!r}")
    issuance, batch = f"{unit.jurisdiction}-ISSUANCE", Batch()
    state, authorised, _ = rows.representative(session, request.initiator, [destination.id])
    code = check_issuance(unit, request.quantity, destination, authorised and state is RepresentativeState.ACTIVE)
    row = {**_new_row(request, unit.jurisdiction, now), "source_account": issuance}
    if code is not ResponseCode.OK:
        return _finish(session, batch, row, [S.PROPOSED, S.TERMINATED], code, now)
    store.lock_holdings(session, unit.code, [destination.id])
    block = SerialBlock(unit.code, unit.issued + 1, unit.issued + request.quantity)
    store.create_block(session, batch, row["id"], block, issuance, destination.id)
    batch.add(
        "UPDATE registry_unit_types SET issued = :nissued WHERE code = :ncode",
        {"nissued": unit.issued + request.quantity, "ncode": unit.code},
    )
    return _finish(session, batch, row, [S.PROPOSED, S.CHECKED, S.COMPLETED], code, now)
