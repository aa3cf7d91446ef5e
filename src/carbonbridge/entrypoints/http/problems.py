"""RFC 9457 problem documents: the one place that maps the typed error hierarchy to HTTP statuses
(as entrypoints/cli/errors.py does to exit codes). Bodies are `application/problem+json`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from carbonbridge.domain.auth.errors import Forbidden, LockedOut, RateLimited, SecondFactorRequired, Unauthenticated
from carbonbridge.domain.errors import (
    CarbonBridgeError,
    Conflict,
    IdempotencyConflict,
    NotFound,
    Problem,
    RuleViolation,
    StorageInvariantViolated,
    ValidationFailed,
)
from carbonbridge.entrypoints.bootstrap import SchemaOutOfDate

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:carbonbridge:problem:"
log = logging.getLogger("carbonbridge.http")

# most specific first: the first matching class decides
STATUS: tuple[tuple[type[CarbonBridgeError], int, str, str], ...] = (
    (ValidationFailed, 422, "validation", "The input was rejected"),
    (NotFound, 404, "not-found", "Not found"),
    (IdempotencyConflict, 409, "idempotency-conflict", "Idempotency key reused with a different request"),
    (Conflict, 409, "conflict", "Conflicts with the current state"),
    (RuleViolation, 422, "rule-violation", "Refused by a registry rule"),
    (Unauthenticated, 401, "unauthenticated", "Sign-in required"),
    (SecondFactorRequired, 403, "second-factor-required", "A fresh one-time code must sign this command"),
    (LockedOut, 403, "locked-out", "Locked out after repeated failed sign-ins"),
    (Forbidden, 403, "forbidden", "Not allowed for this principal"),
    (RateLimited, 429, "rate-limited", "Too many requests"),
    (SchemaOutOfDate, 503, "schema-out-of-date", "The database schema is not current"),
    # a database constraint refused a write the domain's checks let through: our defect, rolled back
    (StorageInvariantViolated, 500, "storage-invariant", "A database constraint refused the write; nothing changed"),
    (CarbonBridgeError, 400, "bad-request", "The command was rejected"),
)


def _located(problem: Problem) -> dict[str, Any]:
    return {
        "message": problem.message,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "expected": problem.expected,
    }


def problem_response(
    request: Request | None, status: int, slug: str, title: str, detail: str, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
        body["request_id"] = getattr(request.state, "request_id", None)
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(request: Request | None, exc: CarbonBridgeError) -> JSONResponse:
    status, slug, title = next((st, sl, ti) for kind, st, sl, ti in STATUS if isinstance(exc, kind))
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["problems"] = [_located(p) for p in exc.problems]
        extra["truncated"] = exc.truncated or None
    if isinstance(exc, RuleViolation):
        extra["response_code"] = exc.code
    if isinstance(exc, IdempotencyConflict):
        extra["differing_fields"] = list(exc.differing_fields)
    response = problem_response(request, status, slug, title, str(exc), **extra)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        where = [str(p) for p in error.get("loc", ())]
        problems.append(
            {
                "message": error.get("msg", "invalid"),
                "file": where[0] if where else "<request>",
                "line": None,
                "column": None,
                "field": ".".join(where[1:]) or None,
                "expected": None,
            }
        )
    return problem_response(
        request,
        422,
        "validation",
        "The input was rejected",
        f"{len(problems)} problems in the request",
        problems=problems,
    )


def _allowed(request: Request) -> str:
    """Every method some route of the path answers (RFC 9110: a 405 lists them all): Starlette names
    only those of the first route whose path matches, and GET /accounts and POST /accounts are two
    routes."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        answered = getattr(route, "methods", None)
        if answered and route.matches(request.scope)[0] is not Match.NONE:
            methods |= set(answered)
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    async def domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CarbonBridgeError)
        return from_error(request, exc)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        recheck = getattr(request.state, "recheck", None)  # a recalled credential (access._BearerRecalled)
        if recheck is not None:
            try:
                await recheck()
            except CarbonBridgeError as refused:  # it no longer stands: 401, not the parameters' 422
                return from_error(request, refused)
        return _validation(request, exc)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        response = problem_response(request, exc.status_code, "http", str(exc.detail), str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405 and (allowed := _allowed(request)):
            response.headers["allow"] = allowed
        return response

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error on %s %s (request %s): %s",
            request.method,
            request.url.path,
            getattr(request.state, "request_id", None),
            type(exc).__name__,
        )
        return problem_response(request, 500, "internal", "Internal error", "the server failed; see its log")

    app.add_exception_handler(CarbonBridgeError, domain)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, unexpected)
