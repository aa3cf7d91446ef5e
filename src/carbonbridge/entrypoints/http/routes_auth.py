"""Sign-in, sessions, users and API keys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from carbonbridge.domain.auth.errors import Forbidden
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.auth.principal import Grant
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import Caller, Ctx, authorize, bearer, scope_of
from carbonbridge.entrypoints.http.context import Context, identify
from carbonbridge.services import auth

router = APIRouter(tags=["sign-in and users"], responses=s.PROBLEMS)


def _grants(body: list[s.GrantBody]) -> list[Grant]:
    return [g.grant() for g in body]


def _may_manage(ctx: Context, who: Caller, jurisdictions: set[str]) -> None:
    """A registry administrator manages users of their jurisdictions only."""
    authorize(ctx, who, Action.USER_MANAGE, None)
    for code in sorted(jurisdictions):
        authorize(ctx, who, Action.USER_MANAGE, Target(code), "user")


def _grant_out(grant: Grant) -> s.GrantPublic:
    return s.GrantPublic(role=grant.role, jurisdiction=grant.jurisdiction, scope=grant.scope)


@router.post("/auth/sign-in", response_model=s.TokenPublic)
def sign_in(body: s.SignIn, request: Request, ctx: Ctx) -> s.TokenPublic:
    """Both factors at once: password and the current TOTP code. Failed attempts lock the user out."""
    ctx.limiter.hit("signin", request.client.host if request.client else "unknown")
    ttl = dt.timedelta(seconds=ctx.settings.token_ttl_seconds)
    issued = auth.sign_in(
        ctx.sessions, body.user_id, body.password, body.code, now=ctx.now(), ttl=ttl, lockout=ctx.settings.lockout
    )
    identify(request, body.user_id)
    return s.TokenPublic(access_token=issued.token, expires_at=issued.expires_at, session_id=issued.session_id)


@router.post("/auth/sign-out", status_code=204)
def sign_out(
    who: Caller, ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Response:
    """Revoke the session of this access token (on every worker: the revocation is in the database)."""
    if credentials is not None and who.kind == "user":
        auth.revoke_session(ctx.sessions, credentials.credentials, now=ctx.now())
    return Response(status_code=204)


@router.get("/auth/me", response_model=s.PrincipalPublic)
def me(who: Caller) -> s.PrincipalPublic:
    grants = [_grant_out(g) for g in sorted(who.grants)]
    return s.PrincipalPublic(
        id=who.id, kind=who.kind, user_id=who.user_id, representative_id=who.representative_id, grants=grants
    )


@router.post("/users", response_model=s.UserCreated, status_code=201)
def create_user(body: s.UserCreate, who: Caller, ctx: Ctx) -> s.UserCreated:
    """Create a user; the TOTP seed is returned once, as a URI and a QR code, for the user to enrol."""
    _may_manage(ctx, who, {g.jurisdiction for g in body.grants})
    enrolment = auth.create_user(
        ctx.sessions,
        body.user_id,
        body.password,
        _grants(body.grants),
        now=ctx.now(),
        representative_id=body.representative_id,
        actor=who.id,
    )
    qr = segno.make(enrolment.provisioning_uri).svg_inline()
    return s.UserCreated(user_id=enrolment.user_id, provisioning_uri=enrolment.provisioning_uri, qr_svg=qr)


@router.get("/users", response_model=s.Page[s.UserPublic])
def list_users(who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50) -> dict[str, object]:
    """Users of the administrator's jurisdictions (and users without grants); grants elsewhere are not shown."""
    authorize(ctx, who, Action.USER_MANAGE, None)
    mine = scope_of(ctx, who, Action.USER_MANAGE).jurisdictions
    found = auth.list_users(ctx.sessions, now=ctx.now(), after=s.decode_cursor(cursor), limit=limit, jurisdictions=mine)
    items = [
        s.UserPublic(
            id=u.id,
            grants=[_grant_out(g) for g in u.grants if g.jurisdiction in mine],
            representative_id=u.representative_id,
            locked=u.locked,
            disabled=u.disabled,
        )
        for u in found
    ]
    return s.page(items, [u.id for u in found], limit)


@router.put("/users/{user_id}/grants", status_code=204)
def set_grants(user_id: s.Id, body: s.GrantsUpdate, who: Caller, ctx: Ctx) -> Response:
    _may_manage(ctx, who, set(auth.user_jurisdictions(ctx.sessions, user_id)) | {g.jurisdiction for g in body.grants})
    auth.set_grants(ctx.sessions, user_id, _grants(body.grants), now=ctx.now(), actor=who.id)
    return Response(status_code=204)


@router.post("/users/{user_id}/state", status_code=204)
def set_user_state(user_id: s.Id, body: s.UserStateUpdate, who: Caller, ctx: Ctx) -> Response:
    """Unlock a locked-out user, or disable / re-enable one."""
    _may_manage(ctx, who, set(auth.user_jurisdictions(ctx.sessions, user_id)))
    auth.set_user_state(ctx.sessions, user_id, now=ctx.now(), actor=who.id, unlock=body.unlock, disable=body.disabled)
    return Response(status_code=204)


@router.post("/users/{user_id}/revoke-sessions", status_code=204)
def revoke_sessions(user_id: s.Id, who: Caller, ctx: Ctx) -> Response:
    _may_manage(ctx, who, set(auth.user_jurisdictions(ctx.sessions, user_id)))
    auth.revoke_user_sessions(ctx.sessions, user_id, now=ctx.now(), actor=who.id)
    return Response(status_code=204)


@router.post("/api-keys", response_model=s.ApiKeyCreated, status_code=201)
def create_api_key(body: s.ApiKeyCreate, who: Caller, ctx: Ctx) -> s.ApiKeyCreated:
    """A key for a machine client acting as the signed-in user, scoped to some of their grants.
    Only a signed-in user (not another key) creates keys; the secret is shown once."""
    if who.kind != "user":
        raise Forbidden("an API key cannot create API keys")
    issued = auth.create_api_key(
        ctx.sessions,
        who.user_id,
        body.name,
        _grants(body.grants),
        now=ctx.now(),
        moves_units=body.moves_units,
        actor=who.id,
    )
    return s.ApiKeyCreated(id=issued.id, secret=issued.secret)


@router.get("/api-keys", response_model=s.Page[s.ApiKeyPublic])
def list_api_keys(who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50) -> dict[str, object]:
    found = auth.list_api_keys(ctx.sessions, who.user_id, after=s.decode_cursor(cursor), limit=limit)
    items = [
        s.ApiKeyPublic(
            id=k.id,
            name=k.name,
            grants=[_grant_out(g) for g in k.grants],
            moves_units=k.moves_units,
            created_at=k.created_at,
            revoked=k.revoked,
        )
        for k in found
    ]
    return s.page(items, [k.id for k in found], limit)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(key_id: Annotated[str, s.Field(max_length=32)], who: Caller, ctx: Ctx) -> Response:
    """Revoke one of the signed-in user's keys (another user's key is unknown: 404)."""
    auth.revoke_api_key(ctx.sessions, key_id, now=ctx.now(), actor=who.id, owner=who.user_id)
    return Response(status_code=204)
