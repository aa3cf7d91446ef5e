"""The application factory: `uvicorn --factory carbonbridge.entrypoints.http.app:create_app`.
Configuration comes from the environment (settings.py), so that every worker builds the same app;
a worker keeps no state between requests that another worker would need (sessions, one-time-code
steps and lockouts are in the database, rate-limit counters in Redis when configured)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI

from carbonbridge import __version__
from carbonbridge.entrypoints import web
from carbonbridge.entrypoints.bootstrap import build_app, utcnow
from carbonbridge.entrypoints.http import (
    problems,
    routes_allocation,
    routes_auth,
    routes_compliance,
    routes_inventory,
    routes_inventory_crt,
    routes_link,
    routes_link_money,
    routes_market,
    routes_mrv,
    routes_public,
    routes_registry,
)
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.entrypoints.http.middleware import ApiMiddleware
from carbonbridge.entrypoints.http.ratelimit import Limiter
from carbonbridge.entrypoints.http.routing import include
from carbonbridge.entrypoints.http.settings import Settings

API_PREFIX = "/api/v1"
DESCRIPTION = """CarbonBridge: allowance registry, compliance and public reports (BY, CN).

Sign in with `POST /api/v1/auth/sign-in` (password and a TOTP code), then send
`Authorization: Bearer <access_token>`. Commands that move units carry a fresh one-time code in
`X-One-Time-Code`; proposals carry an `Idempotency-Key`. Errors are RFC 9457 problem documents.
See docs/api.md."""


def create_app(settings: Settings | None = None, *, clock: Callable[[], dt.datetime] = utcnow) -> FastAPI:
    settings = settings or Settings.from_env()
    core = build_app(settings.db_url, check=True, pool_size=settings.db_pool_size)
    limiter = Limiter(
        settings.rate_limit_storage,
        settings.rate_limit_principal,
        settings.rate_limit_address,
        settings.rate_limit_signin,
    )
    context = Context(settings, core, clock, limiter)
    app = FastAPI(
        title="CarbonBridge API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url="/redoc",
    )
    app.state.context = context
    problems.install(app)
    # Routing tries the routes in this order, each pattern in turn, until one matches (no two routes
    # share a path, so the order decides nothing else): the registry's and the market's, which carry
    # the traffic, come first. The routes join the application itself (routing.py: matched once).
    for module in (
        routes_registry,
        routes_market,
        routes_auth,
        routes_compliance,
        routes_mrv,
        routes_inventory,
        routes_inventory_crt,
        routes_allocation,
        routes_public,
        routes_link,
        routes_link_money,
    ):
        include(app, module.router, prefix=API_PREFIX)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["*"], allow_headers=["*"]
        )
    web.install(app)  # the web application's pages (entrypoints/web), on the same app and policy
    app.add_middleware(ApiMiddleware, context=context)
    return app
