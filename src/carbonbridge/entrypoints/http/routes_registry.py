"""Registry resources: unit types, accounts, representatives, trusted lists, holdings, transactions."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from carbonbridge.adapters.db.guard import Guard, GuardFailed
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.auth.principal import Principal
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionState, TransactionType, UnitKind
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import (
    Caller,
    Ctx,
    OneTimeCode,
    Proposer,
    Recalled,
    acting_representative,
    authorize,
    scope_of,
    sign,
)
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.entrypoints.http.responses import validated
from carbonbridge.entrypoints.http.threads import offload
from carbonbridge.services import api_queries as q
from carbonbridge.services.registry import accounts as registry_accounts
from carbonbridge.services.registry import api as registry_api
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.services.registry import transactions as registry_transactions
from carbonbridge.services.registry import workflow

router = APIRouter(tags=["registry"], responses=s.PROBLEMS)
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=128, description="Repeat -> the first result")
]
TransactionId = Annotated[str, Path(min_length=1, max_length=32)]
_SERIAL_CURSOR = re.compile(r"[0-9]{1,18}")


def _account(ctx: Ctx, who: Caller, action: Action, account_id: str) -> None:
    authorize(ctx, who, action, ctx.account_target(account_id), "account")


def _transaction(ctx: Ctx, who: Caller, action: Action, transaction_id: str) -> None:
    authorize(ctx, who, action, q.transaction_target(ctx.sessions, transaction_id), "transaction")


@router.get("/unit-types", response_model=s.Page[s.UnitTypePublic])
def list_unit_types(who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50) -> dict[str, object]:
    authorize(ctx, who, Action.UNIT_TYPE_READ, None)
    codes = [j for j in who.jurisdictions() if not ctx.settings.jurisdiction or j == ctx.settings.jurisdiction]
    found = q.unit_types_page(ctx.sessions, codes, after=s.decode_cursor(cursor), limit=limit)
    return s.page([s.UnitTypePublic.model_validate(u) for u in found], [u.code for u in found], limit)


@router.post("/unit-types", response_model=s.UnitTypePublic, status_code=201)
def create_unit_type(body: s.UnitTypeCreate, who: Caller, ctx: Ctx) -> s.UnitTypePublic:
    """Create a unit type with its cap (idempotent by its code; another cap for it gives 409)."""
    authorize(ctx, who, Action.UNIT_TYPE_CREATE, Target(body.jurisdiction))
    made = registry_accounts.create_unit_type(
        ctx.sessions,
        body.jurisdiction,
        UnitKind(body.kind),
        body.vintage,
        body.cap,
        now=ctx.now(),
        origin=body.origin,
        actor=who.id,
    )
    return s.UnitTypePublic(
        code=made.code,
        jurisdiction=made.jurisdiction,
        kind=made.kind.value,
        vintage=made.vintage,
        origin=made.origin,
        cap=made.cap,
        issued=made.issued,
    )


@router.get("/accounts", response_model=s.Page[s.AccountPublic])
def list_accounts(
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    jurisdiction: s.Jurisdiction | None = None,
    type: Annotated[AccountType | None, Query()] = None,
    state: Annotated[AccountState | None, Query()] = None,
) -> dict[str, object]:
    """The accounts the principal may see (all of their jurisdiction, or their own)."""
    found = q.accounts_page(
        ctx.sessions,
        scope_of(ctx, who, Action.ACCOUNT_READ),
        after=s.decode_cursor(cursor),
        limit=limit,
        jurisdiction=jurisdiction,
        account_type=type and type.value,
        state=state and state.value,
    )
    return s.page([s.AccountPublic.model_validate(a) for a in found], [a.id for a in found], limit)


@router.post("/accounts", response_model=s.AccountPublic, status_code=201)
def open_account(body: s.AccountCreate, who: Caller, ctx: Ctx) -> s.AccountPublic:
    """Open an account (idempotent by account id)."""
    authorize(ctx, who, Action.ACCOUNT_OPEN, Target(body.jurisdiction))
    made = registry_accounts.open_account(
        ctx.sessions,
        body.account_id,
        body.jurisdiction,
        body.type,
        body.holder,
        now=ctx.now(),
        installation_id=body.installation_id,
        actor=who.id,
    )
    return s.AccountPublic.model_validate(made)


@router.get("/accounts/{account_id}", response_model=s.AccountPublic)
def get_account(account_id: s.Id, who: Caller, ctx: Ctx) -> s.AccountPublic:
    _account(ctx, who, Action.ACCOUNT_READ, account_id)
    return s.AccountPublic.model_validate(q.account(ctx.sessions, account_id))


@router.post("/accounts/{account_id}/state", response_model=s.AccountPublic)
def set_account_state(account_id: s.Id, body: s.AccountStateUpdate, who: Caller, ctx: Ctx) -> s.AccountPublic:
    """Approve (open), block, suspend or close an account."""
    _account(ctx, who, Action.ACCOUNT_STATE, account_id)
    made = registry_accounts.set_account_state(
        ctx.sessions, account_id, body.state, now=ctx.now(), reason=body.reason, actor=who.id
    )
    return s.AccountPublic.model_validate(made)


@router.get("/accounts/{account_id}/holdings", response_model=s.Page[s.HoldingPublic])
async def holdings(account_id: s.Id, who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50) -> Response:
    """Units per unit type: available, reserved and held by the market apart. The serial blocks of
    a holding are a list of their own (`.../holdings/{unit_type}/blocks`): transfers split blocks,
    so their number grows with the account's history while this answer stays one row per unit type."""
    if ctx.inline_reads:  # lock-free one-statement reads: on the event loop (see access.principal)
        return _holdings(account_id, who, ctx, cursor, limit)
    return await run_in_threadpool(_holdings, account_id, who, ctx, cursor, limit)


def _holdings(account_id: str, who: Caller, ctx: Ctx, cursor: str | None, limit: int) -> Response:
    _account(ctx, who, Action.ACCOUNT_READ, account_id)
    after = s.decode_cursor(cursor)
    totals = registry_queries.holding_totals(ctx.sessions, account_id)
    found = [h for h in totals if after is None or h.unit_type > after][:limit]
    items = [
        s.HoldingPublic(
            unit_type=h.unit_type,
            quantity=h.quantity,
            reserved=h.reserved,
            market_held=h.market_held,
            available=h.available,
        )
        for h in found
    ]
    return validated(s.Page[s.HoldingPublic](**s.page(items, [h.unit_type for h in found], limit)))  # type: ignore[arg-type]


@router.get("/accounts/{account_id}/holdings/{unit_type}/blocks", response_model=s.Page[s.BlockPublic])
def serial_blocks(
    account_id: s.Id,
    unit_type: Annotated[str, Path(min_length=1, max_length=64)],
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """The serial blocks of one holding in serial order, reserved ones marked: which unit numbers
    the account holds (a serial's history: `GET /unit-types/{unit_type}/serials/{serial}/history`)."""
    _account(ctx, who, Action.ACCOUNT_READ, account_id)
    after = s.decode_cursor(cursor)
    if after is not None and not _SERIAL_CURSOR.fullmatch(after):  # ASCII digits a bigint holds, nothing else
        raise ValidationFailed([Problem("not a cursor of this list", file="query", field="cursor", expected="cursor")])
    found = registry_queries.serial_blocks(
        ctx.sessions, account_id, unit_type, after=None if after is None else int(after), limit=limit
    )
    items = [
        s.BlockPublic(start_serial=b.start_serial, end_serial=b.end_serial, quantity=b.quantity, reserved=b.reserved)
        for b in found
    ]
    return s.page(items, [str(b.start_serial) for b in found], limit)


@router.get("/accounts/{account_id}/trusted", response_model=s.Page[s.TrustedPublic])
def trusted(account_id: s.Id, who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50) -> dict[str, object]:
    """The trusted account list: additions count from `effective_at`."""
    _account(ctx, who, Action.ACCOUNT_READ, account_id)
    after = s.decode_cursor(cursor)
    found = [
        t
        for t in q.trusted_list(ctx.sessions, account_id, now=ctx.now())
        if after is None or t.trusted_account_id > after
    ][:limit]
    return s.page([s.TrustedPublic.model_validate(t) for t in found], [t.trusted_account_id for t in found], limit)


@router.post("/accounts/{account_id}/trusted", response_model=s.TrustedChangePublic)
def change_trusted(account_id: s.Id, body: s.TrustedChangeBody, who: Caller, ctx: Ctx) -> s.TrustedChangePublic:
    """Add to the trusted list (effective after N working days) or remove (at once)."""
    _account(ctx, who, Action.TRUSTED_CHANGE, account_id)
    change = registry_accounts.change_trusted(
        ctx.sessions,
        account_id,
        body.trusted_account_id,
        add=body.action == "add",
        now=ctx.now(),
        actor=acting_representative(who),
    )
    return s.TrustedChangePublic.model_validate(change)


@router.post("/representatives", response_model=s.RepresentativePublic, status_code=201)
def add_representative(body: s.RepresentativeCreate, who: Caller, ctx: Ctx) -> s.RepresentativePublic:
    """Create a representative and authorise them for accounts (Art. 20: at least two per account)."""
    for account_id in body.accounts:
        _account(ctx, who, Action.REPRESENTATIVE_MANAGE, account_id)
    accounts = registry_accounts.add_representative(
        ctx.sessions, body.representative_id, body.name, list(body.accounts), now=ctx.now(), actor=who.id
    )
    return s.RepresentativePublic(representative_id=body.representative_id, accounts=accounts)


@router.post("/representatives/{representative_id}/reinstate", status_code=204)
def reinstate(representative_id: s.Id, body: s.Reason, who: Caller, ctx: Ctx) -> None:
    """Lift a representative's suspension."""
    targets = registry_api.representative_targets(ctx.sessions, representative_id)
    if not targets:
        authorize(ctx, who, Action.REPRESENTATIVE_MANAGE, None)
        raise NotFound("unknown representative")
    for target in targets:
        authorize(ctx, who, Action.REPRESENTATIVE_MANAGE, target, "representative")
    registry_accounts.reinstate_representative(
        ctx.sessions, representative_id, now=ctx.now(), reason=body.reason, actor=who.id
    )


@router.post("/transactions", response_model=s.TransactionPublic)
async def propose(
    body: s.TransactionCreate, key: IdempotencyKey, who: Proposer, ctx: Ctx, code: OneTimeCode = None
) -> Response:
    """Propose a transaction, signed with a fresh one-time code. Repeating the Idempotency-Key with
    the same body returns the first result; with another body, 409 naming the differing fields."""
    return await offload(_propose_as, body, key, who, ctx, code)  # the API's busiest route: threads.py


def _propose_as(body: s.TransactionCreate, key: str, who: Recalled, ctx: Context, code: str | None) -> Response:
    """Decided on a recalled API key's principal, the proposal commits only if the key still stands
    as it was read (the guard, checked in the command's first read). If it does not, or if anything
    is refused, the credential is read afresh: unknown, revoked or disabled is 401, and a principal
    that changed (grants, representative) decides the proposal again."""
    if who.guard is None:
        return _propose(body, key, who.principal, ctx, code, None)
    try:
        return _propose(body, key, who.principal, ctx, code, who.guard)
    except GuardFailed:
        now = who.fresh()
    except Exception:
        now = who.fresh()
        if now == who.principal:
            raise
    return _propose(body, key, now, ctx, code, None)


def _propose(
    body: s.TransactionCreate, key: str, who: Principal, ctx: Context, code: str | None, guard: Guard | None
) -> Response:
    kind = TransactionType(body.type)
    authorize(ctx, who, registry_api.ACTION_OF[kind], None)
    proposal = registry_api.ProposalBody(
        kind,
        body.unit_type,
        body.quantity,
        body.source_account,
        body.destination_account,
        body.installation_id,
        body.compliance_year,
        body.reverses,
    )
    request = registry_api.request_for(ctx.sessions, proposal, f"api:{who.user_id}:{key}", acting_representative(who))
    target = registry_api.proposal_target(ctx.sessions, request, ctx.account_target)
    authorize(ctx, who, registry_api.ACTION_OF[kind], target, "account")
    sign(ctx, who, code)
    done = registry_transactions.propose(SqlLedgers(ctx.sessions, guard), request, now=ctx.now())
    return validated(s.TransactionPublic.of(done))


@router.get("/transactions", response_model=s.Page[s.TransactionPublic])
def list_transactions(
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    account_id: s.Id | None = None,
    state: TransactionState | None = None,
    type: TransactionType | None = None,
    unit_type: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, object]:
    """Transactions the principal may see, filtered; both sides of a transaction see it."""
    found = q.transactions_page(
        ctx.sessions,
        scope_of(ctx, who, Action.TRANSACTION_READ),
        after=s.decode_cursor(cursor),
        limit=limit,
        account_id=account_id,
        state=state,
        transaction_type=type,
        unit_type=unit_type,
    )
    return s.page([s.TransactionPublic.of(t) for t in found], [t.id for t in found], limit)


@router.get("/transactions/{transaction_id}", response_model=s.TransactionPublic)
def get_transaction(transaction_id: TransactionId, who: Caller, ctx: Ctx) -> s.TransactionPublic:
    _transaction(ctx, who, Action.TRANSACTION_READ, transaction_id)
    return s.TransactionPublic.of(registry_queries.transaction(ctx.sessions, transaction_id))


@router.post("/transactions/{transaction_id}/approve", response_model=s.TransactionPublic)
def approve(transaction_id: TransactionId, who: Caller, ctx: Ctx, code: OneTimeCode = None) -> s.TransactionPublic:
    """Approve as a second representative of the source account, signed with a fresh one-time code."""
    _transaction(ctx, who, Action.APPROVE, transaction_id)
    sign(ctx, who, code)
    done = workflow.approve(SqlLedgers(ctx.sessions), transaction_id, acting_representative(who), now=ctx.now())
    return s.TransactionPublic.of(done)


@router.post("/transactions/{transaction_id}/cancel", response_model=s.TransactionPublic)
def cancel(transaction_id: TransactionId, who: Caller, ctx: Ctx) -> s.TransactionPublic:
    """Cancel a pending transfer before its delay window ends; the reserved units are free again."""
    _transaction(ctx, who, Action.CANCEL, transaction_id)
    done = workflow.cancel(SqlLedgers(ctx.sessions), transaction_id, acting_representative(who), now=ctx.now())
    return s.TransactionPublic.of(done)


@router.post("/registry/settle", response_model=s.SettledPublic)
def settle(who: Caller, ctx: Ctx) -> s.SettledPublic:
    """Complete delayed transfers whose window has ended, of the administrator's jurisdictions only."""
    authorize(ctx, who, Action.SETTLE, None)
    mine = scope_of(ctx, who, Action.SETTLE).jurisdictions
    done = workflow.settle_due(SqlLedgers(ctx.sessions), now=ctx.now(), jurisdictions=mine)
    return s.SettledPublic(settled=[s.TransactionPublic.of(v) for v in done])


@router.get("/unit-types/{unit_type}/serials/{serial}/history", response_model=s.Page[s.SerialEventPublic])
def serial_history(
    unit_type: Annotated[str, Path(max_length=64)],
    serial: Annotated[int, Path(ge=1, le=10**12)],
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """Every movement of one unit since issuance, oldest first."""
    authorize(ctx, who, Action.SERIAL_HISTORY, Target(q.unit_type_jurisdiction(ctx.sessions, unit_type)), "unit type")
    after = s.decode_cursor(cursor)
    start = int(after) if after and after.isdigit() else 0
    events = registry_queries.serial_history(ctx.sessions, unit_type, serial)[start : start + limit]
    items = [s.SerialEventPublic.model_validate(e) for e in events]
    return s.page(items, [str(start + i + 1) for i in range(len(items))], limit)


@router.get("/registry/check", response_model=s.ConservationPublic)
def check(who: Caller, ctx: Ctx) -> s.ConservationPublic:
    """Conservation: per unit type issued, deleted and held (and any breach)."""
    authorize(ctx, who, Action.LEDGER_AUDIT, None)
    report = registry_queries.check(ctx.sessions)
    return s.ConservationPublic(
        ok=report.ok, issued=report.issued, deleted=report.deleted, held=report.held, problems=list(report.problems)
    )


@router.get("/registry/log/verify", response_model=s.LogReportPublic)
def verify_log(who: Caller, ctx: Ctx) -> s.LogReportPublic:
    """Recompute the hash chains of the transaction log; `ok` false on any tampering."""
    authorize(ctx, who, Action.LEDGER_AUDIT, None)
    from carbonbridge.services.registry.log import verify_log as verify

    report = verify(ctx.sessions)
    return s.LogReportPublic(
        ok=report.ok,
        entries=report.entries,
        transactions=report.transactions,
        anchor=report.anchor,
        problems=list(report.problems),
    )
