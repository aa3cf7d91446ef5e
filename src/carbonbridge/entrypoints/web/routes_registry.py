"""Registry pages: accounts with holdings (available and reserved apart), the trusted list, the
transfer and surrender wizard (details, review, sign with a one-time code), transactions and the
second representative's task inbox. Every decision goes through the API's `authorize`."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.auth.errors import SecondFactorRequired
from carbonbridge.domain.auth.policy import Action, Decision, Target, decide
from carbonbridge.domain.errors import Conflict, Problem, RuleViolation, ValidationFailed
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.entrypoints.http.access import acting_representative, authorize, scope_of, sign
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import HOLDING_BLOCKS_SHOWN, Ctx, SignedIn, page
from carbonbridge.entrypoints.web.security import field, posted
from carbonbridge.services import api_queries as q
from carbonbridge.services.registry import accounts as registry_accounts
from carbonbridge.services.registry import api as registry_api
from carbonbridge.services.registry import queries as registry_queries
from carbonbridge.services.registry import transactions as registry_transactions
from carbonbridge.services.registry import workflow

router = APIRouter()
AccountId = Annotated[str, Path(min_length=1, max_length=64)]
TransactionId = Annotated[str, Path(min_length=1, max_length=32)]
WIZARD_KINDS = {"transfer": TransactionType.TRANSFER, "surrender": TransactionType.SURRENDER}
PAGE = 100
CODE_REFUSED = N_("The one-time code is wrong or was already used; enter the current code.")


def _account(ctx: Ctx, who: SignedIn, action: Action, account_id: str) -> Any:
    authorize(ctx, who, action, q.account_target(ctx.sessions, account_id), "account")
    return q.account(ctx.sessions, account_id)


@router.get("/accounts")
def accounts(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.ACCOUNT_READ, None)
    found = q.accounts_page(ctx.sessions, scope_of(ctx, who, Action.ACCOUNT_READ), after=None, limit=PAGE)
    may_settle = decide(who, Action.SETTLE, None) is Decision.ALLOW
    return page(request, "accounts.html", who, accounts=found, may_settle=may_settle)


@router.get("/accounts/{account_id}")
def account(account_id: AccountId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    found = _account(ctx, who, Action.ACCOUNT_READ, account_id)
    transactions = q.transactions_page(
        ctx.sessions, scope_of(ctx, who, Action.TRANSACTION_READ), after=None, limit=PAGE, account_id=account_id
    )
    return page(
        request,
        "account.html",
        who,
        jurisdiction=found.jurisdiction,
        account=found,
        holdings=registry_queries.holdings_preview(ctx.sessions, account_id, HOLDING_BLOCKS_SHOWN + 1),
        trusted=q.trusted_list(ctx.sessions, account_id, now=ctx.now()),
        may_move=decide(who, Action.TRANSFER, q.account_target(ctx.sessions, account_id)) is Decision.ALLOW,
        may_state=decide(who, Action.ACCOUNT_STATE, q.account_target(ctx.sessions, account_id)) is Decision.ALLOW,
        transactions=sorted(transactions, key=lambda t: t.proposed_at, reverse=True),
        errors={},
    )


@router.post("/accounts/{account_id}/trusted")
async def change_trusted(account_id: AccountId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Add an account to the trusted list (effective after the waiting days) or remove one (at once)."""
    form = await posted(request)
    _account(ctx, who, Action.TRUSTED_CHANGE, account_id)
    other, add = field(form, "trusted_account_id", 64), field(form, "action", 8) != "remove"
    registry_accounts.change_trusted(
        ctx.sessions, account_id, other, add=add, now=ctx.now(), actor=acting_representative(who)
    )
    return RedirectResponse(f"/web/accounts/{account_id}#trusted", status_code=303)


def _wizard_kind(kind: str) -> TransactionType:
    found = WIZARD_KINDS.get(kind)
    if found is None:
        raise ValidationFailed([Problem("the wizard proposes a transfer or a surrender", field="kind")])
    return found


def _details(form: Any, kind: TransactionType) -> tuple[dict[str, str], dict[str, str]]:
    """The wizard's fields and the problems with them (keyed by field, for the error summary)."""
    values = {
        name: field(form, name, 64) for name in ("unit_type", "quantity", "destination_account", "compliance_year")
    }
    errors: dict[str, str] = {}
    if not values["unit_type"]:
        errors["unit_type"] = N_("Choose the unit type.")
    if not (values["quantity"].isdigit() and 0 < int(values["quantity"]) <= 10**12):
        errors["quantity"] = N_("Enter a whole number of units greater than zero.")
    if kind is TransactionType.TRANSFER and not values["destination_account"]:
        errors["destination_account"] = N_("Enter the account that receives the units.")
    if kind is TransactionType.SURRENDER and not (
        values["compliance_year"].isdigit() and 2000 <= int(values["compliance_year"]) <= 2100
    ):
        errors["compliance_year"] = N_("Enter the compliance year the units are surrendered for.")
    return values, errors


def _wizard(request: Request, who: SignedIn, ctx: Ctx, account_id: str, kind: str, **values: Any) -> Response:
    found = _account(ctx, who, registry_api.ACTION_OF[_wizard_kind(kind)], account_id)
    holdings = registry_queries.holdings_preview(ctx.sessions, account_id, HOLDING_BLOCKS_SHOWN + 1)
    return page(
        request,
        "transfer.html",
        who,
        jurisdiction=found.jurisdiction,
        account=found,
        kind=kind,
        holdings=holdings,
        **values,
    )


@router.get("/accounts/{account_id}/transfer")
def transfer_form(account_id: AccountId, request: Request, who: SignedIn, ctx: Ctx, kind: str = "transfer") -> Response:
    _wizard_kind(kind)
    return _wizard(request, who, ctx, account_id, kind, step="details", values={}, errors={})


@router.post("/accounts/{account_id}/transfer/review")
async def transfer_review(account_id: AccountId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Step 2: the proposal as it will be signed; nothing moves yet."""
    form = await posted(request)
    kind = field(form, "kind", 16)
    values, errors = _details(form, _wizard_kind(kind))
    step = "details" if errors else "review"
    nonce = secrets.token_hex(12)
    status = 422 if errors else 200
    response = _wizard(request, who, ctx, account_id, kind, step=step, values=values, errors=errors, nonce=nonce)
    response.status_code = status
    return response


@router.post("/accounts/{account_id}/transfer/sign")
async def transfer_sign(account_id: AccountId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Step 3: sign with a fresh one-time code; the proposal is idempotent by the review's nonce."""
    form = await posted(request)
    kind_name = field(form, "kind", 16)
    kind = _wizard_kind(kind_name)
    values, errors = _details(form, kind)
    nonce = field(form, "nonce", 32)
    if errors or not nonce:
        return _wizard(request, who, ctx, account_id, kind_name, step="details", values=values, errors=errors)
    found = _account(ctx, who, registry_api.ACTION_OF[kind], account_id)
    body = registry_api.ProposalBody(
        kind,
        values["unit_type"],
        int(values["quantity"]),
        account_id,
        values["destination_account"] or None,
        found.installation_id if kind is TransactionType.SURRENDER else None,
        int(values["compliance_year"]) if kind is TransactionType.SURRENDER else None,
        None,
    )
    try:
        key = f"web:{who.user_id}:{nonce}"
        proposal = registry_api.request_for(ctx.sessions, body, key, acting_representative(who))
        sign(ctx, who, field(form, "code", 6))
        done = registry_transactions.propose(SqlLedgers(ctx.sessions), proposal, now=ctx.now())
    except SecondFactorRequired:
        errors = {"code": CODE_REFUSED}
    except (RuleViolation, ValidationFailed, Conflict) as exc:
        errors = {"code": str(exc)}
    if errors:
        response = _wizard(
            request, who, ctx, account_id, kind_name, step="review", values=values, errors=errors, nonce=nonce
        )
        response.status_code = 422
        return response
    return RedirectResponse(f"/web/transactions/{done.id}", status_code=303)


@router.get("/transactions/{transaction_id}")
def transaction(transaction_id: TransactionId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.TRANSACTION_READ, q.transaction_target(ctx.sessions, transaction_id), "transaction")
    found = registry_queries.transaction(ctx.sessions, transaction_id)
    return page(
        request,
        "transaction.html",
        who,
        jurisdiction=found.unit_type.split("-", 1)[0],
        t=found,
        may_approve=_may_approve(ctx, who, found),
        may_cancel=_may_cancel(ctx, who, found),
        errors={},
    )


def _may_approve(ctx: Ctx, who: SignedIn, found: Any) -> bool:
    """Offer the approval form to another representative of the source account only."""
    if found.state is not TransactionState.PROPOSED or who.representative_id in (None, found.initiator):
        return False
    target = Target(q.account(ctx.sessions, found.source_account).jurisdiction, (found.source_account,))
    return decide(who, Action.APPROVE, target) is Decision.ALLOW


def _may_cancel(ctx: Ctx, who: SignedIn, found: Any) -> bool:
    if found.state not in (TransactionState.PROPOSED, TransactionState.DELAYED) or not found.source_account:
        return False
    target = Target(q.account(ctx.sessions, found.source_account).jurisdiction, (found.source_account,))
    return who.representative_id is not None and decide(who, Action.CANCEL, target) is Decision.ALLOW


@router.post("/transactions/{transaction_id}/approve")
async def approve(transaction_id: TransactionId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """The second representative approves, signing with a fresh one-time code."""
    form = await posted(request)
    authorize(ctx, who, Action.APPROVE, q.transaction_target(ctx.sessions, transaction_id), "transaction")
    try:
        sign(ctx, who, field(form, "code", 6))
        workflow.approve(SqlLedgers(ctx.sessions), transaction_id, acting_representative(who), now=ctx.now())
    except SecondFactorRequired:
        return _transaction_error(request, who, ctx, transaction_id, CODE_REFUSED)
    except (RuleViolation, Conflict) as exc:
        return _transaction_error(request, who, ctx, transaction_id, str(exc))
    return RedirectResponse(f"/web/transactions/{transaction_id}", status_code=303)


def _transaction_error(request: Request, who: SignedIn, ctx: Ctx, transaction_id: str, message: str) -> Response:
    found = registry_queries.transaction(ctx.sessions, transaction_id)
    return page(
        request,
        "transaction.html",
        who,
        status=422,
        jurisdiction=found.unit_type.split("-", 1)[0],
        t=found,
        may_approve=_may_approve(ctx, who, found),
        may_cancel=_may_cancel(ctx, who, found),
        errors={"code": message},
    )


@router.post("/transactions/{transaction_id}/cancel")
async def cancel(transaction_id: TransactionId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    await posted(request)
    authorize(ctx, who, Action.CANCEL, q.transaction_target(ctx.sessions, transaction_id), "transaction")
    workflow.cancel(SqlLedgers(ctx.sessions), transaction_id, acting_representative(who), now=ctx.now())
    return RedirectResponse(f"/web/transactions/{transaction_id}", status_code=303)


@router.get("/tasks")
def tasks(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """The task inbox: proposals from the user's accounts awaiting a second representative."""
    authorize(ctx, who, Action.APPROVE, None)
    visible = scope_of(ctx, who, Action.APPROVE)
    waiting = []
    for account_id in sorted(visible.accounts):
        found = q.transactions_page(
            ctx.sessions, visible, after=None, limit=PAGE, account_id=account_id, state=TransactionState.PROPOSED
        )
        waiting += [t for t in found if t.source_account == account_id]
    return page(request, "tasks.html", who, waiting=waiting)


@router.post("/registry/settle")
async def settle(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Complete the delayed transfers whose window has ended (a registry administrator)."""
    await posted(request)
    authorize(ctx, who, Action.SETTLE, None)
    done = workflow.settle_due(SqlLedgers(ctx.sessions), now=ctx.now())
    return page(request, "settled.html", who, settled=done)
