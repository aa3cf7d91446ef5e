"""Oversight pages: the link between the registries as the auditor reviews it (the latest
reconciliation runs with their statuses, and the link's health), and the allocation table of a
jurisdiction-year for its national administrator. Both read what the API's link and allocation
routes read, with the same actions of the policy."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import NotFound
from carbonbridge.entrypoints.http.access import authorize
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import Ctx, SignedIn, home_jurisdiction, page
from carbonbridge.services import allocation, link_reconcile, link_transfers

router = APIRouter()
Code = Annotated[str, Path(pattern="^(BY|CN)$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
RUNS_SHOWN = 20
ENTRIES_PER_PAGE = 100
RECONCILIATION_STATUSES = {
    "pending": N_("pending: transfers in flight, compared once they are final"),
    "completed": N_("completed: both registries agree"),
    "inconsistent": N_("inconsistent: the registries differ"),
    "manual_intervention": N_("manual intervention: a transfer awaits an administrator's decision"),
}
TRANSFER_STATES = {
    "awaiting_approval": N_("awaiting approval"),
    "sent": N_("sent"),
    "cancelling": N_("cancelling"),
    "manual": N_("awaiting a decision"),
    "completed": N_("completed"),
    "released": N_("released"),
    "accepted": N_("accepted"),
    "refused": N_("refused"),
}
DIRECTIONS = {"out": N_("sent to the partner"), "in": N_("received from the partner")}
PHASES = {"ex_ante": N_("ex ante"), "true_up": N_("true-up")}


def _served(ctx: Ctx, code: str) -> None:
    if ctx.settings.jurisdiction and code != ctx.settings.jurisdiction:
        raise NotFound(f"this registry serves {ctx.settings.jurisdiction}, not {code}")


def _moment(value: object) -> dt.datetime | None:
    """A moment the link services give as ISO text, for the page's zone-aware formatting."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


@router.get("/link")
def link_home(who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.LINK_READ, None)
    return RedirectResponse(f"/web/link/{ctx.settings.jurisdiction or home_jurisdiction(who)}", status_code=303)


@router.get("/link/{code}")
def link(code: Code, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """The link's health and the latest reconciliation runs, newest first."""
    authorize(ctx, who, Action.LINK_READ, Target(code), "jurisdiction")
    _served(ctx, code)
    health = link_transfers.health(ctx.sessions, code, now=ctx.now())
    runs = [
        run | {"started_at": _moment(run["started_at"])}
        for run in link_reconcile.history(ctx.sessions, limit=RUNS_SHOWN)
    ]
    return page(
        request,
        "link.html",
        who,
        jurisdiction=code,
        health=health,
        last_received_at=_moment(health["last_received_at"]),
        last_reconciliation_at=_moment(health["last_reconciliation_at"]),
        runs=runs,
        statuses=RECONCILIATION_STATUSES,
        states=TRANSFER_STATES,
        directions=DIRECTIONS,
    )


@router.get("/allocation")
def allocation_home(who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.ALLOCATION_READ, None)
    code = ctx.settings.jurisdiction or home_jurisdiction(who)
    return RedirectResponse(f"/web/allocation/{code}/{ctx.now().year}", status_code=303)


@router.get("/allocation/{code}/{year}")
def allocation_table(
    code: Code,
    year: Year,
    request: Request,
    who: SignedIn,
    ctx: Ctx,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The allocation decisions posted for the year, per installation and phase, a page at a time."""
    authorize(ctx, who, Action.ALLOCATION_READ, Target(code), "jurisdiction")
    _served(ctx, code)
    entries = allocation.entries_page(ctx.sessions, code, year, after=after, limit=ENTRIES_PER_PAGE)
    totals: dict[str, Any] = {
        name: sum(getattr(e, name) for e in entries) for name in ("allocation_t", "delivered_t", "deducted_t", "debt_t")
    }
    return page(
        request,
        "allocation.html",
        who,
        jurisdiction=code,
        code=code,
        year=year,
        entries=entries,
        totals=totals,
        phases=PHASES,
        first_page=after is None,
        next_after=entries[-1].key if len(entries) == ENTRIES_PER_PAGE else None,
    )
