"""The web application: server-rendered pages (Jinja2, HTMX, Plotly served locally) on the API's
FastAPI application, with the same sign-in, sessions and access policy. `install(app)` adds it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from carbonbridge.domain.auth.errors import Forbidden, SecondFactorRequired, Unauthenticated
from carbonbridge.domain.errors import CarbonBridgeError, Conflict, NotFound, RuleViolation, ValidationFailed
from carbonbridge.entrypoints.http.routing import include
from carbonbridge.entrypoints.web import (
    routes_admin,
    routes_auth,
    routes_inventory,
    routes_market,
    routes_mrv,
    routes_oversight,
    routes_public,
    routes_registry,
)
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import SignInRequired, page, sign_in_url
from carbonbridge.entrypoints.web.security import PREFIX, WebMiddleware, principal_of

STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (
    routes_auth,
    routes_registry,
    routes_mrv,
    routes_admin,
    routes_inventory,
    routes_oversight,
    routes_public,
    routes_market,
)

# error -> (status, title) of the page shown for it; most specific first
ERROR_PAGES: tuple[tuple[type[Exception], int, str], ...] = (
    (ValidationFailed, 422, N_("The input was rejected")),
    (NotFound, 404, N_("Not found")),
    (Conflict, 409, N_("This conflicts with the current state")),
    (RuleViolation, 422, N_("Refused by a registry rule")),
    (SecondFactorRequired, 403, N_("A fresh one-time code must sign this command")),
    (Forbidden, 403, N_("Not allowed")),
    (CarbonBridgeError, 400, N_("The command was rejected")),
    (RequestValidationError, 404, N_("Not found")),  # a malformed path or query: no such page
)


@cache
def plotly_js() -> bytes:
    """Plotly's JavaScript from the plotly Python package, served from this host (no CDN)."""
    from plotly.offline import get_plotlyjs

    script: str = get_plotlyjs()
    return script.encode()


def _install_error_pages(app: FastAPI) -> None:
    """Errors on /web paths become pages (the API keeps its problem documents)."""
    api_handlers = dict(app.exception_handlers)

    async def on_error(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(PREFIX):
            for kind in type(exc).__mro__:
                if kind in api_handlers:
                    return await api_handlers[kind](request, exc)  # type: ignore[no-any-return]
            raise exc
        if isinstance(exc, SignInRequired):
            return RedirectResponse(sign_in_url(exc.next_path, exc.expired), status_code=303)
        if isinstance(exc, Unauthenticated):
            return RedirectResponse(sign_in_url(request.url.path, True), status_code=303)
        if isinstance(exc, HTTPException):
            found = (exc.status_code, N_("Not found") if exc.status_code == 404 else N_("The command was rejected"))
        else:
            found = next(((s, t) for k, s, t in ERROR_PAGES if isinstance(exc, k)), (500, N_("Internal error")))
        status, title = found
        detail = str(exc) if status not in (500, 404) or isinstance(exc, NotFound) else ""
        who = principal_of(request, request.app.state.context)
        return page(request, "error.html", who, status=status, title=title, detail=detail)

    for kind in (SignInRequired, CarbonBridgeError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, on_error)


def install(app: FastAPI) -> None:
    """Add the pages, their static files, the web security middleware and the error pages."""

    @app.get(PREFIX + "/static/plotly.min.js", include_in_schema=False)
    def plotly() -> Response:
        return Response(plotly_js(), media_type="text/javascript")

    app.mount(PREFIX + "/static", StaticFiles(directory=str(STATIC)), name="web-static")
    for module in ROUTERS:
        include(app, module.router, prefix=PREFIX, include_in_schema=False)
    _install_error_pages(app)
    app.add_middleware(WebMiddleware)
