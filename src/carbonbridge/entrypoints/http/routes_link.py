"""The link between the registries (docs/link.md): the partner's signed messages, and the user
routes to send, list, query, reconcile and watch the link. A registry serves its own jurisdiction
(`carbonbridge serve --jurisdiction BY`); `{jurisdiction}` in a path must be that one."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from carbonbridge.adapters.link_http import HttpLink
from carbonbridge.domain.auth.errors import Forbidden
from carbonbridge.domain.auth.policy import Action, Target, by_signature
from carbonbridge.domain.errors import Conflict, NotFound
from carbonbridge.domain.link.protocol import LinkCode
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import Caller, Ctx, OneTimeCode, acting_representative, authorize, sign
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.services import api_queries as q
from carbonbridge.services import link_queries, link_reconcile, link_transfers

router = APIRouter(tags=["link"], responses=s.PROBLEMS)
Jurisdiction = Annotated[str, Path(pattern="^[A-Z]{2}$")]
TransactionId = Annotated[str, Path(min_length=1, max_length=64)]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=128, description="Repeat -> the first result")
]
ACKNOWLEDGED = frozenset(
    {LinkCode.ACCEPTED, LinkCode.DUPLICATE, LinkCode.FINAL_TRANSACTION, LinkCode.UNKNOWN_TRANSACTION}
)


class LinkSend(BaseModel):
    source_account: str = Field(min_length=1, max_length=64)
    partner_account: str = Field(min_length=1, max_length=64, description="The account in the partner registry")
    unit_type: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10**12)


class LinkResolve(BaseModel):
    decision: Literal["release", "complete"]


def _served(ctx: Context, jurisdiction: str) -> None:
    if ctx.settings.jurisdiction and jurisdiction != ctx.settings.jurisdiction:
        raise NotFound(f"this registry serves {ctx.settings.jurisdiction}, not {jurisdiction}")


@cache
def _partner(url: str) -> HttpLink:
    return HttpLink(url)


def _query(ctx: Context) -> link_queries.Query:
    if not ctx.settings.link_partner_url:
        raise Conflict("the partner registry's address is not configured (CARBONBRIDGE_LINK_PARTNER_URL)")
    return _partner(ctx.settings.link_partner_url).query


class LinkAnswer(BaseModel):
    verdict: str = Field(description="the link response code (docs/link.md), e.g. L00_ACCEPTED or L08_MALFORMED")
    answer: dict[str, Any] | None = Field(None, description="a status or snapshot query's signed answer")


@router.post(
    "/link/{jurisdiction}/messages",
    response_model=LinkAnswer,
    response_model_exclude_none=True,
    responses={
        409: {
            "description": "A refused message (journaled): its code; or a problem document",
            "content": {
                "application/json": {"schema": LinkAnswer.model_json_schema()},
                "application/problem+json": {"schema": s.PROBLEM_SCHEMA},
            },
        }
    },
)
def partner_message(jurisdiction: Jurisdiction, ctx: Ctx, document: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """A signed message of the partner registry (transfer, cancel, reply: 200 once processed, now
    or before; a status or snapshot query: 200 with the signed answer). A refused message (bad
    signature, unknown sender, misaddressed, stale, malformed) is journaled and answered 409 with
    its code. No user session: the Ed25519 signature authenticates the partner."""
    if not by_signature(Action.LINK_MESSAGE):
        raise Forbidden("partner messages are not accepted")
    _served(ctx, jurisdiction)
    answer = link_queries.answer(
        ctx.sessions, jurisdiction, document, key=lambda: ctx.core.signing_key(jurisdiction), now=ctx.now()
    )
    return JSONResponse(answer, status_code=200 if LinkCode(answer["verdict"]) in ACKNOWLEDGED else 409)


@router.post("/link/{jurisdiction}/transfers", response_model=s.TransactionPublic)
def send(
    jurisdiction: Jurisdiction, body: LinkSend, key: IdempotencyKey, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> s.TransactionPublic:
    """Send units to an account in the partner registry, signed with a fresh one-time code. Approved
    like any transfer; completes when the partner accepts (docs/link.md). 422 L15 while the last
    reconciliation is pending or inconsistent."""
    authorize(ctx, who, Action.LINK_SEND, None)
    _served(ctx, jurisdiction)
    target = q.account_target(ctx.sessions, body.source_account)
    authorize(ctx, who, Action.LINK_SEND, target, "account")
    if target.jurisdiction != jurisdiction:
        raise NotFound("unknown account")
    sign(ctx, who, code)
    view = link_transfers.send(
        ctx.sessions,
        jurisdiction,
        client_key=f"api-link:{who.user_id}:{key}",
        source_account=body.source_account,
        partner_account=body.partner_account,
        unit_type=body.unit_type,
        quantity=body.quantity,
        initiator=acting_representative(who),
        now=ctx.now(),
    )
    return s.TransactionPublic.of(view)


@router.get("/link/{jurisdiction}/transfers")
def list_transfers(
    jurisdiction: Jurisdiction, who: Caller, ctx: Ctx, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    """Link transfers of this registry, both directions, newest first."""
    authorize(ctx, who, Action.LINK_READ, Target(jurisdiction))
    _served(ctx, jurisdiction)
    return link_transfers.list_transfers(ctx.sessions, limit=limit)


@router.get("/link/{jurisdiction}/transfers/{transaction_id}")
def status(
    jurisdiction: Jurisdiction,
    transaction_id: TransactionId,
    who: Caller,
    ctx: Ctx,
    ask_partner: Annotated[bool, Query(description="Also ask the partner registry (signed status query)")] = False,
) -> dict[str, Any]:
    """What this registry knows of a link transfer and, asked for, what the partner knows."""
    authorize(ctx, who, Action.LINK_READ, Target(jurisdiction), "transaction")
    _served(ctx, jurisdiction)
    found = link_transfers.local_status(ctx.sessions, jurisdiction, transaction_id)
    if ask_partner:
        found["partner"] = link_queries.partner_status(
            jurisdiction, transaction_id, _query(ctx), key=ctx.core.signing_key(jurisdiction), now=ctx.now()
        )
    return found


@router.post("/link/{jurisdiction}/transfers/{transaction_id}/resolve")
def resolve(
    jurisdiction: Jurisdiction,
    transaction_id: TransactionId,
    body: LinkResolve,
    who: Caller,
    ctx: Ctx,
    code: OneTimeCode = None,
) -> dict[str, str]:
    """An administrator releases or completes a transfer the partner never answered (state manual),
    after checking with the partner (status with ask_partner)."""
    authorize(ctx, who, Action.LINK_RESOLVE, Target(jurisdiction), "transaction")
    _served(ctx, jurisdiction)
    sign(ctx, who, code)
    outcome = link_transfers.resolve_manual(
        ctx.sessions, jurisdiction, transaction_id, release=body.decision == "release", actor=who.id, now=ctx.now()
    )
    return {"transaction_id": transaction_id, "code": outcome}


@router.post("/link/{jurisdiction}/reconciliations")
def reconcile(jurisdiction: Jurisdiction, who: Caller, ctx: Ctx) -> dict[str, Any]:
    """Reconcile with the partner now (its signed snapshot): totals, then serial blocks, then the
    trail of the blocks that differ. The latest status gates new link transfers."""
    authorize(ctx, who, Action.LINK_RECONCILE, Target(jurisdiction))
    _served(ctx, jurisdiction)
    result = link_queries.reconcile_with_partner(
        ctx.sessions, jurisdiction, _query(ctx), key=ctx.core.signing_key(jurisdiction), now=ctx.now()
    )
    return {"status": result.status.value, "phase": result.phase, "compared": dict(result.compared)} | {
        "differences": len(result.differences)
    }


@router.get("/link/{jurisdiction}/health")
def health(jurisdiction: Jurisdiction, who: Caller, ctx: Ctx) -> dict[str, Any]:
    """Transfers per state, the undelivered outbox, the last message received and reconciliation."""
    authorize(ctx, who, Action.LINK_READ, Target(jurisdiction))
    _served(ctx, jurisdiction)
    found = link_transfers.health(ctx.sessions, jurisdiction, now=ctx.now())
    found["reconciliations"] = link_reconcile.history(ctx.sessions, limit=5)
    return found


@router.get("/link/{jurisdiction}/flows/{year}")
def flows(
    jurisdiction: Jurisdiction, year: Annotated[int, Path(ge=2000, le=2100)], who: Caller, ctx: Ctx
) -> list[dict[str, Any]]:
    """Net flows across the link per unit type in a calendar year (Article 6.2 annual figures)."""
    authorize(ctx, who, Action.LINK_READ, Target(jurisdiction))
    _served(ctx, jurisdiction)
    return [
        {"unit_type": f.unit_type, "transferred_out": f.transferred_out, "acquired": f.acquired, "net": f.net_acquired}
        for f in link_reconcile.yearly_flows(ctx.sessions, year)
    ]
