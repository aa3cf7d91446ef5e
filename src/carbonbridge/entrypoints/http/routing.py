"""Routers joined to the application as its own routes, so that a request is matched once.

FastAPI 0.165 (what pip installs for `fastapi>=0.110` on 2026-12-02) keeps an included router as
one nested entry and matches a request against it twice (once to find the router, once more inside
it to find the route), with bookkeeping on the request's scope for every route it tries. With the
API's ~150 routes that cost about a sixth of the CPU of a request whose command is cheap (the
process's CPU per POST /api/v1/transactions at 8 concurrent requests in process, the command, the
token lookup and the access record stubbed: 1.3-1.5 -> 1.1-1.2 ms, benchmarks/api.py's machine).
`include` copies each route of a router onto the application, with the prefix, as earlier FastAPI
releases' `include_router` did: the same paths, operations, tags, responses and OpenAPI document
(tests/integration/api/test_api_routing.py compares them with FastAPI's `include_router`)."""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

_SETTINGS = tuple(name for name in inspect.signature(APIRoute.__init__).parameters if name not in ("self", "path"))
"""What an APIRoute is made of, as its constructor names it; each is kept on the route under the same name."""


def include(app: FastAPI, router: APIRouter, *, prefix: str = "", include_in_schema: bool = True) -> None:
    """Add `router`'s routes to `app` under `prefix`, in order. A route that is not an API route
    (a mount, a websocket) is refused: the application adds those itself."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r} is not an API route: add it to the application directly")
        settings = {name: getattr(route, name) for name in _SETTINGS}
        settings["include_in_schema"] = route.include_in_schema and include_in_schema
        settings["dependency_overrides_provider"] = app
        app.router.routes.append(type(route)(prefix + route.path, **settings))
