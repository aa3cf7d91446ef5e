"""Sign-in with the one-time code, sign-out, the language switch and the home page."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.domain.auth.errors import LockedOut, Unauthenticated
from carbonbridge.domain.auth.principal import Role
from carbonbridge.entrypoints.web import i18n
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import Ctx, MaybeSignedIn, page
from carbonbridge.entrypoints.web.security import (
    LANGUAGE_COOKIE,
    LANGUAGE_MAX_AGE,
    PREFIX,
    SESSION_COOKIE,
    clear_cookie,
    field,
    posted,
    set_cookie,
)
from carbonbridge.services import auth

router = APIRouter()

# where each role starts after sign-in
START_PAGE = {
    Role.OPERATOR_REPRESENTATIVE: "/web/accounts",
    Role.TRADER: "/web/market",
    Role.VERIFIER: "/web/installations",
    Role.NATIONAL_ADMIN: "/web/compliance",
    Role.REGISTRY_ADMIN: "/web/accounts",
    Role.AUDITOR: "/web/audit",
}
ROLE_NAMES = {
    Role.REGISTRY_ADMIN: N_("registry administrator"),
    Role.NATIONAL_ADMIN: N_("national administrator"),
    Role.OPERATOR_REPRESENTATIVE: N_("operator representative"),
    Role.VERIFIER: N_("verifier"),
    Role.TRADER: N_("trader"),
    Role.AUDITOR: N_("auditor"),
}


def _safe_next(value: str) -> str:
    """Only a path of this web application (never another host) after sign-in or a switch."""
    ok = value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value
    return value if ok else PREFIX + "/"


@router.get("/")
def home(request: Request, who: MaybeSignedIn) -> Response:
    return page(
        request, "home.html", who, roles=ROLE_NAMES, starts=START_PAGE, grants=sorted(who.grants) if who else []
    )


@router.get("/sign-in")
def sign_in_form(request: Request, who: MaybeSignedIn, next: str = "/web/", expired: int = 0) -> Response:
    notice = N_("Your session has ended; sign in again.") if expired else ""
    return page(request, "sign_in.html", who, next=_safe_next(next), notice=notice, errors={}, user_id="")


@router.post("/sign-in")
async def sign_in(request: Request, ctx: Ctx) -> Response:
    """Password and the current code of the authenticator app, checked together by the service."""
    form = await posted(request)
    user_id, password, code = field(form, "user_id", 64), field(form, "password", 256), field(form, "code", 6)
    errors: dict[str, str] = {}
    if not user_id:
        errors["user_id"] = N_("Enter your user name.")
    if not password:
        errors["password"] = N_("Enter your password.")
    if not (len(code) == 6 and code.isdigit()):
        errors["code"] = N_("Enter the 6-digit code from your authenticator app.")
    if not errors:
        ctx.limiter.hit("signin", request.client.host if request.client else "unknown")
        ttl = dt.timedelta(seconds=ctx.settings.token_ttl_seconds)
        try:
            issued = auth.sign_in(
                ctx.sessions, user_id, password, code, now=ctx.now(), ttl=ttl, lockout=ctx.settings.lockout
            )
        except LockedOut:
            errors["user_id"] = N_("This user is locked out after repeated failed sign-ins.")
        except Unauthenticated:
            errors["password"] = N_("The user name, password or one-time code is wrong.")
        else:
            response = RedirectResponse(_safe_next(field(form, "next", 300)), status_code=303)
            set_cookie(response, SESSION_COOKIE, issued.token, ctx.settings.token_ttl_seconds)
            return response
    next_path = _safe_next(field(form, "next", 300))
    return page(request, "sign_in.html", None, status=422, next=next_path, notice="", errors=errors, user_id=user_id)


@router.post("/sign-out")
async def sign_out(request: Request, ctx: Ctx) -> Response:
    await posted(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.revoke_session(ctx.sessions, token, now=ctx.now())
    response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
    clear_cookie(response, SESSION_COOKIE)
    return response


@router.post("/language")
async def language(request: Request) -> Response:
    """Remember the chosen language (a cookie kept a year) and return to the page."""
    form = await posted(request)
    chosen = field(form, "language", 16)
    response = RedirectResponse(_safe_next(field(form, "next", 300)), status_code=303)
    if chosen in i18n.LANGUAGES:
        set_cookie(response, LANGUAGE_COOKIE, chosen, LANGUAGE_MAX_AGE)
    return response
