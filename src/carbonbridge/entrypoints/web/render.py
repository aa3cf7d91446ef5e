"""Rendering: one Jinja2 environment per language (the gettext callables installed once, so that
requests in different languages never share state), the page context every template gets, and
the dependencies that establish who looks at a page."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from carbonbridge.domain.auth.policy import Action, Decision, decide
from carbonbridge.domain.auth.principal import Principal
from carbonbridge.entrypoints.http.context import Context, context, identify
from carbonbridge.entrypoints.web import i18n, labels
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.security import LANGUAGE_COOKIE, PREFIX, csrf_token, principal_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
HOLDING_BLOCKS_SHOWN = 5  # serial blocks a holdings table shows per unit type, then "…"
Ctx = Annotated[Context, Depends(context)]

# (path, label, the action that shows it) in menu order; None: every signed-in user
MENU: tuple[tuple[str, str, Action | None], ...] = (
    ("/web/", N_("Home"), None),
    ("/web/accounts", N_("Accounts"), Action.ACCOUNT_READ),
    ("/web/tasks", N_("Tasks"), Action.APPROVE),
    ("/web/installations", N_("Installations"), Action.REPORT_READ),
    ("/web/compliance", N_("Compliance year"), Action.ASSESSMENT_READ),
    ("/web/allocation", N_("Allocation"), Action.ALLOCATION_READ),
    ("/web/inventory", N_("Inventory"), Action.INVENTORY_READ),
    ("/web/audit", N_("Audit"), Action.LEDGER_AUDIT),
    ("/web/link", N_("Link"), Action.LINK_READ),
    ("/web/market", N_("Market"), Action.MARKET_ORDER_PLACE),
)


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""

    def __init__(self, next_path: str, expired: bool) -> None:
        self.next_path, self.expired = next_path, expired


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        states=labels.STATE_NAMES,
        types=labels.TYPE_NAMES,
        account_types=labels.ACCOUNT_TYPES,
        account_states=labels.ACCOUNT_STATES,
        compliance_status=labels.COMPLIANCE_STATUS,
        jurisdiction_names=labels.JURISDICTION_NAMES,
        holding_blocks_shown=HOLDING_BLOCKS_SHOWN,
    )
    env.filters["json_data"] = lambda value: Markup(json.dumps(value).replace("<", "\\u003c"))
    return env


def language_of(request: Request) -> str:
    return i18n.negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def home_jurisdiction(who: Principal | None) -> str:
    codes = sorted(who.jurisdictions()) if who else []
    return codes[0] if codes else "BY"


def may(who: Principal | None, action: Action) -> bool:
    return who is not None and decide(who, action, None) is Decision.ALLOW


def menu(who: Principal | None) -> list[tuple[str, str]]:
    if who is None:
        return []
    return [(path, label) for path, label, action in MENU if action is None or may(who, action)]


def page(
    request: Request,
    template: str,
    who: Principal | None,
    *,
    status: int = 200,
    jurisdiction: str | None = None,
    **values: Any,
) -> HTMLResponse:
    language = language_of(request)
    env = environment(language)
    ctx: Context = request.app.state.context  # the application's configuration, read at start-up
    formats = i18n.Formats(language, ctx.core.jurisdiction(jurisdiction or home_jurisdiction(who)))
    body = env.get_template(template).render(
        request=request,
        who=who,
        menu=menu(who),
        csrf=csrf_token(request),
        fmt=formats,
        language=language,
        html_lang=i18n.HTML_LANG[language],
        languages=i18n.LANGUAGES,
        here=request.url.path,
        **values,
    )
    return HTMLResponse(body, status_code=status)


def _signed_in(request: Request, ctx: Ctx) -> Principal:
    who = principal_of(request, ctx)
    if who is None:
        raise SignInRequired(request.url.path, expired=bool(request.cookies.get("cb_session")))
    ctx.limiter.hit("principal", who.id)
    identify(request, who.id)
    return who


def _maybe(request: Request, ctx: Ctx) -> Principal | None:
    return principal_of(request, ctx)


SignedIn = Annotated[Principal, Depends(_signed_in)]
MaybeSignedIn = Annotated[Principal | None, Depends(_maybe)]


def sign_in_url(next_path: str, expired: bool) -> str:
    safe = next_path if next_path.startswith(PREFIX + "/") else PREFIX + "/"
    return f"{PREFIX}/sign-in?next={quote(safe)}" + ("&expired=1" if expired else "")
