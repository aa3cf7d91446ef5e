"""The national administrator's compliance-year dashboard (deadlines, who has not reported,
surrendered vs verified, blocked accounts, penalties) with its commands, account approval, and the
auditor's log verification and conservation check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.domain.auth.policy import Action, Decision, Target, decide
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.registry.model import AccountState
from carbonbridge.entrypoints.http.access import authorize, scope_of
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import Ctx, SignedIn, home_jurisdiction, page
from carbonbridge.entrypoints.web.security import field, posted
from carbonbridge.services import api_queries as q
from carbonbridge.services import compliance as assessments
from carbonbridge.services.registry import accounts as registry_accounts
from carbonbridge.services.registry import log as registry_log
from carbonbridge.services.registry import queries as registry_queries

router = APIRouter()
Code = Annotated[str, Path(pattern="^(BY|CN)$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
COMMANDS = {
    "enter": N_("Enter the verified emissions of every verified report"),
    "block": N_("Block the accounts of installations without verified emissions"),
    "assess": N_("Assess the year (status, shortfall, penalty)"),
}


@router.get("/compliance")
def compliance_home(who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.ASSESSMENT_READ, None)
    code = ctx.settings.jurisdiction or home_jurisdiction(who)
    return RedirectResponse(f"/web/compliance/{code}/{ctx.now().year - 1}", status_code=303)


def _assessments(ctx: Ctx, code: str, year: int) -> list[assessments.AssessmentView]:
    """The year's assessment, or none before the administrator has run it."""
    try:
        return assessments.assessments(ctx.sessions, code, year)
    except RuleViolation as exc:
        if exc.code != "not_assessed":
            raise
        return []


def _dashboard(ctx: Ctx, who: SignedIn, code: str, year: int) -> dict[str, Any]:
    rules = ctx.core.jurisdiction(code).compliance_rules(year)
    rows = q.public_installations_page(ctx.sessions, code, year, after=None, limit=q.MAX_PAGE)
    assessed = {a.installation_id: a for a in _assessments(ctx, code, year)}
    visible = scope_of(ctx, who, Action.ACCOUNT_READ)
    blocked = q.accounts_page(ctx.sessions, visible, after=None, limit=q.MAX_PAGE, jurisdiction=code, state="blocked")
    chart = {
        "installations": [r.installation_id for r in rows],
        "verified": [r.verified_emissions_t or 0 for r in rows],
        "surrendered": [r.surrendered_t for r in rows],
        "allocated": [r.allocation_t for r in rows],
    }
    return {
        "code": code,
        "year": year,
        "emissions_deadline": rules.emissions_deadline.for_year(year),
        "surrender_deadline": rules.surrender_deadline.for_year(year),
        "rows": rows,
        "not_reported": [r for r in rows if r.verified_emissions_t is None],
        "assessed": assessed,
        "penalties": [a for a in assessed.values() if a.penalty],
        "blocked": blocked,
        "totals": q.public_jurisdiction_year(ctx.sessions, code, year),
        "chart": chart,
    }


@router.get("/compliance/{code}/{year}")
def dashboard(code: Code, year: Year, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.ASSESSMENT_READ, Target(code), "jurisdiction")
    may_run = decide(who, Action.ASSESS, Target(code)) is Decision.ALLOW
    return page(
        request,
        "dashboard.html",
        who,
        jurisdiction=code,
        commands=COMMANDS,
        may_run=may_run,
        **_dashboard(ctx, who, code, year),
    )


@router.post("/compliance/{code}/{year}/run")
async def run(code: Code, year: Year, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """The national administrator's commands of the compliance year (each audited by its service)."""
    form = await posted(request)
    command = field(form, "command", 16)
    if command == "enter":
        authorize(ctx, who, Action.COMPLIANCE_ENTER, Target(code), "jurisdiction")
        assessments.enter_all(ctx.sessions, ctx.core.jurisdiction(code), year, now=ctx.now(), actor=who.id)
    elif command == "block":
        authorize(ctx, who, Action.ASSESS, Target(code), "jurisdiction")
        assessments.block_missing(ctx.sessions, ctx.core.jurisdiction(code), year, now=ctx.now(), actor=who.id)
    elif command == "assess":
        authorize(ctx, who, Action.ASSESS, Target(code), "jurisdiction")
        assessments.assess_year(ctx.sessions, ctx.core.jurisdiction(code), year, now=ctx.now(), actor=who.id)
    return RedirectResponse(f"/web/compliance/{code}/{year}", status_code=303)


@router.post("/accounts/{account_id}/state")
async def account_state(account_id: str, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Approve (open), block, suspend or close an account, with the reason recorded."""
    form = await posted(request)
    authorize(ctx, who, Action.ACCOUNT_STATE, q.account_target(ctx.sessions, account_id), "account")
    state = AccountState(field(form, "state", 16) or "open")
    reason = field(form, "reason", 500) or "web"
    registry_accounts.set_account_state(ctx.sessions, account_id, state, now=ctx.now(), reason=reason, actor=who.id)
    return RedirectResponse(f"/web/accounts/{account_id}", status_code=303)


@router.get("/audit")
def audit(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Log verification (hash chains) and the conservation check, computed now."""
    authorize(ctx, who, Action.LEDGER_AUDIT, None)
    return page(
        request,
        "audit.html",
        who,
        log=registry_log.verify_log(ctx.sessions),
        conservation=registry_queries.check(ctx.sessions),
    )
