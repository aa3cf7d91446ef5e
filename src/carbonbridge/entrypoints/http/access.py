"""Dependencies that establish who acts and enforce the policy (domain/auth/policy.py) on one
object: a denied object is answered as not found, so another holder's ids reveal nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from carbonbridge.adapters.db.guard import Guard
from carbonbridge.domain.auth.errors import Forbidden, RateLimited, SecondFactorRequired, Unauthenticated
from carbonbridge.domain.auth.policy import Action, Decision, Target, Visibility, decide, visible
from carbonbridge.domain.auth.principal import Principal
from carbonbridge.domain.errors import NotFound
from carbonbridge.entrypoints.http.context import Context, context, identify
from carbonbridge.services import auth

bearer = HTTPBearer(auto_error=False, description="A session access token (sign in) or an API key")
Ctx = Annotated[Context, Depends(context)]


class _Bearer(HTTPBearer):
    """The signed-in user or API key of a request; counted against the per-principal rate limit.

    A security scheme (OpenAPI lists it as `bearer` above) whose only parameter is the request: the
    route's dependency tree then holds one node for who acts, not three (the token, the context,
    the lookup), and FastAPI's solving of each node is a measurable share of a request's CPU.

    On PostgreSQL the lookup (one autocommit round trip of a read that takes no lock) runs on the
    event loop: a hop to the thread pool and back costs more CPU than the query. On SQLite, whose
    reads may wait for the database's write lock, it runs in the thread pool."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        token, ctx = _token(request), await context(request)
        if ctx.inline_reads:
            found = auth.authenticate(ctx.sessions, token, now=ctx.now())
        else:
            found = await run_in_threadpool(auth.authenticate, ctx.sessions, token, now=ctx.now())
        _counted(request, ctx, found)
        return found


def _token(request: Request) -> str:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:  # as HTTPBearer reads the header
        raise Unauthenticated("sign in and send 'Authorization: Bearer <token>'")
    return token


def _counted(request: Request, ctx: Context, found: Principal) -> None:
    identify(request, found.id)
    ctx.limiter.hit("principal", found.id)


@dataclass(frozen=True, slots=True)
class Recalled:
    """Who acts in a registry proposal: `principal`, and when it is an API key's principal as this
    worker read it before, the `guard` the command's transaction checks before it commits
    (adapters/db/guard.py). `fresh` reads the credential afresh (when the guard fails or anything is
    refused): the principal as it is now, or Unauthenticated, the request then counted as anonymous."""

    principal: Principal
    guard: Guard | None
    fresh: Callable[[], Principal] = field(repr=False)


class _BearerRecalled(_Bearer):
    """The same security scheme for POST /transactions, the API's busiest command: an API key's
    principal is recalled (services/auth.recall_key) instead of read, and the command checks in its
    own first read that it still stands. That spares the request its own round trip to the database
    without letting a revoked key, a disabled user or a withdrawn grant commit anything. A request
    answered before the command runs (422 for its parameters, 429) is answered only after a fresh
    read too (`request.state.recheck`, problems.py), so a credential that no longer stands gets 401."""

    async def __call__(self, request: Request) -> Recalled:  # type: ignore[override]
        token, ctx = _token(request), await context(request)
        if ctx.inline_reads:
            found, guard = auth.recall_key(ctx.sessions, token, now=ctx.now())
        else:
            found, guard = await run_in_threadpool(auth.recall_key, ctx.sessions, token, now=ctx.now())

        def fresh() -> Principal:
            auth.forget_key(token)  # what was recalled is stale or in doubt: the next request reads it anew
            try:
                return auth.authenticate(ctx.sessions, token, now=ctx.now())
            except Unauthenticated:
                identify(request, "anonymous")
                raise

        if guard is not None:
            request.state.recheck = lambda: run_in_threadpool(fresh)
        try:
            _counted(request, ctx, found)
        except RateLimited:
            if guard is not None:
                await run_in_threadpool(fresh)
            raise
        return Recalled(found, guard, fresh)


principal = _Bearer(scheme_name=bearer.scheme_name, description=bearer.model.description)
Caller = Annotated[Principal, Depends(principal)]
proposer = _BearerRecalled(scheme_name=bearer.scheme_name, description=bearer.model.description)
Proposer = Annotated[Recalled, Depends(proposer)]


def authorize(ctx: Context, who: Principal, action: Action, target: Target | None, what: str = "object") -> None:
    """Raise unless the policy allows `action` on `target`: 403 for a role that may never do it,
    404 (as for an unknown object) when the object is outside the principal's scope."""
    if target is not None and ctx.settings.jurisdiction and target.jurisdiction != ctx.settings.jurisdiction:
        raise NotFound(f"unknown {what}")
    decision = decide(who, action, target)
    if decision is Decision.DENY_ROLE:
        raise Forbidden(f"{who.id} may not {action.value}")
    if decision is Decision.DENY_OBJECT:
        raise NotFound(f"unknown {what}")


def scope_of(ctx: Context, who: Principal, action: Action) -> Visibility:
    """What a list may show the principal (restricted to the served jurisdiction, if one)."""
    found = visible(who, action)
    if ctx.settings.jurisdiction:
        keep = found.jurisdictions & {ctx.settings.jurisdiction}
        return Visibility(keep, found.accounts, found.installations)
    return found


OneTimeCode = Annotated[
    str | None,
    Header(alias="X-One-Time-Code", description="A fresh TOTP code: signs a command that moves units", max_length=6),
]


def sign(ctx: Context, who: Principal, code: str | None) -> None:
    """A user signs a command that moves units with a one-time code, accepted once; an API key
    may move units only if its user created it for that (its possession is the machine's factor)."""
    if who.kind == "api_key":
        if not who.may_move_units:
            raise Forbidden("this API key may not move units")
        return
    if not code or not auth.consume_code(ctx.sessions, who.user_id, code, now=ctx.now()):
        raise SecondFactorRequired("send a fresh one-time code in X-One-Time-Code (each code is accepted once)")


def acting_representative(who: Principal) -> str:
    """The registry representative the principal acts as (replaces the CLI's --by)."""
    if who.representative_id is None:
        raise Forbidden(f"{who.id} is not a registry representative")
    return who.representative_id
