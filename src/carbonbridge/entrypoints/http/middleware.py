"""One ASGI middleware for every response: a request id (X-Request-ID, also in the audit record),
security headers, a strict request content type, the per-address rate limit, and an audit record
of every state-changing request with the principal that made it: the audit record its command
committed, which names the request and principal (adapters/db/origin.py), or else, for a request
that committed none or did not succeed, an access record (access_log.py)."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbonbridge.adapters.db import origin
from carbonbridge.domain.auth.errors import RateLimited
from carbonbridge.entrypoints.http.access_log import AccessLog, AccessRecord
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.entrypoints.http.problems import MEDIA_TYPE, TYPE_BASE

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
JSON_TYPES = ("application/json",)

MULTIPART_TYPES = ("multipart/form-data",)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _problem(status: int, slug: str, title: str, detail: str, request_id: str, path: str) -> bytes:
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
        "request_id": request_id,
    }
    return json.dumps(body).encode()


def _record(context: Context, scope: Scope, request_id: str, status: int) -> AccessRecord:
    """The principal, request id and outcome of a state-changing API request (no bodies: they may
    carry passwords or codes)."""
    principal: Any = scope.get("state", {}).get("principal", "anonymous")
    detail: dict[str, object] = {"request_id": request_id, "method": scope["method"], "status": status}
    return AccessRecord(context.now(), str(principal)[:120], scope["path"][:200], detail)


class ApiMiddleware:
    def __init__(self, app: ASGIApp, context: Context) -> None:
        self.app, self.context = app, context
        self.access_log = AccessLog(context.core)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        status: dict[str, int] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            await send(message)

        refusal = self._refusal(scope, request_id)
        if refusal is not None:
            code, body, extra = refusal
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": code,
                    "headers": [(b"content-type", MEDIA_TYPE.encode()), *extra],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        with origin.serving(request_id) as served:
            if not (scope["method"] in MUTATING and scope["path"].startswith("/api/")):
                await self.app(scope, receive, send_with_headers)
                return
            self.access_log.begin()
            try:
                await self.app(scope, receive, send_with_headers)
            except BaseException:
                self.access_log.abandon()
                raise
        code = status.get("code", 500)
        if served.committed and 200 <= code < 400:  # its command's audit record names the request
            self.access_log.abandon()
            return
        await self.access_log.write(_record(self.context, scope, request_id, code))

    def _refusal(self, scope: Scope, request_id: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        path = scope["path"]
        address = (scope.get("client") or ("unknown", 0))[0]
        try:
            self.context.limiter.hit("address", address)
        except RateLimited as exc:
            body = _problem(429, "rate-limited", "Too many requests", str(exc), request_id, path)
            return 429, body, [(b"retry-after", str(exc.retry_after_seconds).encode())]
        if scope["method"] in MUTATING and path.startswith("/api/"):
            kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            length = _header(scope, b"content-length")
            has_body = kind or (length not in (None, "0"))
            if has_body and kind not in JSON_TYPES + MULTIPART_TYPES:
                detail = f"request bodies are application/json (or multipart/form-data for uploads), not {kind!r}"
                return (
                    415,
                    _problem(415, "unsupported-media-type", "Unsupported media type", detail, request_id, path),
                    [],
                )
        return None
