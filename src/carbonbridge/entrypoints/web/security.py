"""Web-only security: the session cookie, CSRF tokens on every form, a strict Content-Security-Policy,
and the language cookie. The API's middleware (entrypoints/http/middleware.py) still adds its
headers and rate limit to every response; this adds what only browsers need, for /web paths only.

The session is the same revocable, short-lived session as the API's (services/auth.py): the
cookie carries the access token, so signing out or an administrator's revocation ends it on every
worker, and it times out with the token (Settings.token_ttl_seconds)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbonbridge.domain.auth.errors import Forbidden, Unauthenticated
from carbonbridge.domain.auth.principal import Principal
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.services import auth

PREFIX = "/web"
SESSION_COOKIE = "cb_session"
CSRF_COOKIE = "cb_csrf"
LANGUAGE_COOKIE = "cb_lang"
CSRF_FIELD = "csrf"
LANGUAGE_MAX_AGE = 365 * 24 * 3600
# Plotly.js adds two <style> elements of its own when it draws (an empty one and its modebar rules):
# allowed by their hashes, so style-src needs no 'unsafe-inline' (a Plotly upgrade that changes them
# shows as a CSP console error in tests/e2e/test_web_browser.py).
PLOTLY_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",
)
CSP = (
    f"default-src 'none'; script-src 'self'; style-src 'self' {' '.join(PLOTLY_STYLE_HASHES)}; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
WEB_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


def _cookie(name: str, value: str, max_age: int | None) -> bytes:
    """Every cookie of the web app: Secure, HttpOnly, SameSite=Strict, whole-site path."""
    age = f"; Max-Age={max_age}" if max_age is not None else ""
    return f"{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{age}".encode()


def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.headers.append("set-cookie", _cookie(name, value, max_age).decode())


def clear_cookie(response: Response, name: str) -> None:
    set_cookie(response, name, "", 0)


def _cookies(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, content = part.strip().partition("=")
                found.setdefault(name, content)
    return found


class WebMiddleware:
    """For /web paths: the CSP and browser headers, and a CSRF cookie issued on first visit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        token = _cookies(scope).get(CSRF_COOKIE, "")
        fresh = not (16 <= len(token) <= 128 and token.isascii())
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = token

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(WEB_HEADERS)
                if fresh:
                    headers.append((b"set-cookie", _cookie(CSRF_COOKIE, token, None)))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    return str(request.state.csrf)


async def posted(request: Request) -> FormData:
    """The submitted form, after checking its CSRF token against the cookie (double submit; the
    cookie is HttpOnly and SameSite=Strict) and, when the browser sends one, its Origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.split("://", 1)[-1] != request.headers.get("host", ""):
        raise Forbidden("the form was sent from another site")
    form = await request.form()
    sent, cookie = form.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE, "")
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise Forbidden("the form's CSRF token is missing or does not match; reload the page and try again")
    return form


def field(form: Mapping[str, Any], name: str, max_length: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:max_length] if isinstance(value, str) else ""


def principal_of(request: Request, ctx: Context) -> Principal | None:
    """The signed-in user of the session cookie, or None (expired, revoked or absent)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not token.startswith("cbs_"):
        return None
    try:
        return auth.authenticate(ctx.sessions, token, now=ctx.now())
    except Unauthenticated:
        return None
