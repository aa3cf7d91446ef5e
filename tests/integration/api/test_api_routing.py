"""The routers join the application as its own routes (entrypoints/http/routing.py): the same
operations, paths, OpenAPI document and behaviour as FastAPI's `include_router`, matched once."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute

from carbonbridge.entrypoints.http import routing


def _app(sqlite_url: str) -> FastAPI:
    from carbonbridge.entrypoints.http.app import create_app
    from carbonbridge.entrypoints.http.settings import Settings

    return create_app(Settings(db_url=sqlite_url))


def _joined_by_fastapi(app: FastAPI, router: APIRouter, *, prefix: str = "", include_in_schema: bool = True) -> None:
    app.include_router(router, prefix=prefix, include_in_schema=include_in_schema)


def test_the_openapi_document_is_the_one_include_router_gives(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.entrypoints.http import app as app_module

    build_app(sqlite_url, upgrade=True)
    ours = _app(sqlite_url).openapi()
    monkeypatch.setattr(app_module, "include", _joined_by_fastapi)
    monkeypatch.setattr("carbonbridge.entrypoints.web.include", _joined_by_fastapi)
    theirs = _app(sqlite_url).openapi()
    assert sum(len(item) for item in ours["paths"].values()) > 100  # operations
    assert ours == theirs


def test_every_route_is_the_applications_own(sqlite_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app

    build_app(sqlite_url, upgrade=True)
    app = _app(sqlite_url)
    nested = [r for r in app.routes if not isinstance(r, (APIRoute, Route, Mount, WebSocketRoute))]
    assert nested == []  # no router left to match a request against a second time
    api = [r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith("/api/v1/")]
    web = [r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith("/web")]
    assert len(api) > 100 and len(web) > 20
    assert all(not r.include_in_schema for r in web)
    # the registry's routes are tried first (app.py), then the market's
    assert api[0].path.startswith("/api/v1/unit-types") and any(r.path.startswith("/api/v1/market/") for r in api[:80])


def who() -> str:
    return "real"


Caller = Annotated[str, Depends(who)]


def _probe_router() -> tuple[APIRouter, object]:
    router = APIRouter(prefix="/things", tags=["things"], responses={418: {"description": "teapot"}})

    @router.get("/{thing_id}", summary="One thing")
    def one(thing_id: int, caller: Caller) -> dict[str, object]:
        return {"thing": thing_id, "caller": caller}

    @router.post("/", status_code=201)
    def make() -> dict[str, str]:
        return {"made": "yes"}

    return router, who


def test_a_joined_route_keeps_prefix_tags_responses_status_and_dependency_overrides() -> None:
    router, who = _probe_router()
    app = FastAPI()
    routing.include(app, router, prefix="/api")
    reference = FastAPI()
    reference.include_router(router, prefix="/api")
    assert app.openapi() == reference.openapi()
    app.dependency_overrides[who] = lambda: "stand-in"  # type: ignore[index]
    with TestClient(app) as client:
        assert client.get("/api/things/7").json() == {"thing": 7, "caller": "stand-in"}
        assert client.post("/api/things/").status_code == 201
        assert client.get("/api/things/x").status_code == 422  # the path parameter's type still checked
        assert client.delete("/api/things/7").status_code == 405
        assert client.get("/things/7").status_code == 404  # only under the prefix


def test_a_hidden_router_stays_out_of_the_schema() -> None:
    router, _ = _probe_router()
    app = FastAPI()
    routing.include(app, router, prefix="/web", include_in_schema=False)
    assert app.openapi()["paths"] == {}
    with TestClient(app) as client:
        assert client.get("/web/things/3").json()["thing"] == 3


def test_a_router_holding_anything_but_api_routes_is_refused() -> None:
    router = APIRouter()
    router.routes.append(Route("/plain", lambda request: None))
    with pytest.raises(TypeError, match="not an API route"):
        routing.include(FastAPI(), router)
