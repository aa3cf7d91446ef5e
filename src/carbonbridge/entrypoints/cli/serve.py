"""`carbonbridge serve`: the HTTP API under Uvicorn, on the embedded SQLite file by default."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from carbonbridge.entrypoints.cli.errors import cli_errors


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (use PostgreSQL for more than one; about two a core)")
    ] = 1,
    jurisdiction: Annotated[str | None, typer.Option(help="Serve one jurisdiction only: BY or CN")] = None,
    redis: Annotated[str | None, typer.Option(help="Rate-limit counters in Redis, e.g. redis://127.0.0.1:6379")] = None,
    link_partner: Annotated[
        str | None,
        typer.Option(help="The partner registry's URL: deliver link messages and reconcile in the background"),
    ] = None,
    link_interval: Annotated[float, typer.Option(help="Seconds between idle link delivery rounds")] = 0.2,
    reconcile_every: Annotated[float, typer.Option(help="Seconds between link reconciliations (0: never)")] = 86400.0,
    db_pool_size: Annotated[
        int, typer.Option(min=1, max=200, help="Database connections each worker keeps open (its busiest moment)")
    ] = 16,
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json, docs at /docs). Migrates the database first."""
    import uvicorn

    from carbonbridge.adapters.db.engine import database_url
    from carbonbridge.entrypoints.bootstrap import build_app

    url = database_url(ctx.obj["db"])
    with cli_errors():
        build_app(url, upgrade=True).engine.dispose()
    os.environ["CARBONBRIDGE_DB"] = url  # the workers build their app from the environment
    if jurisdiction:
        os.environ["CARBONBRIDGE_JURISDICTION"] = jurisdiction.upper()
    if redis:
        os.environ["CARBONBRIDGE_RATE_LIMIT_STORAGE"] = redis
    if link_partner:
        if not jurisdiction:
            raise typer.BadParameter("--link-partner needs --jurisdiction (one registry per process)")
        os.environ["CARBONBRIDGE_LINK_PARTNER_URL"] = link_partner
        _start_link_worker(url, jurisdiction.upper(), link_partner, link_interval, reconcile_every)
    os.environ["CARBONBRIDGE_DB_POOL_SIZE"] = str(db_pool_size)
    uvicorn.run(
        "carbonbridge.entrypoints.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        proxy_headers=False,
        log_level="info",
        access_log=False,
    )


def _start_link_worker(url: str, own: str, partner_url: str, interval: float, reconcile_every: float) -> None:
    """The link's delivery, timers and daily reconciliation in a daemon thread of this process."""
    import threading

    from carbonbridge.adapters.link_http import HttpLink
    from carbonbridge.entrypoints.bootstrap import build_app, utcnow
    from carbonbridge.services.link_transfers import open_link
    from carbonbridge.services.link_worker import Worker

    core = build_app(url, check=False)
    open_link(core.sessions, own, now=utcnow())
    link = HttpLink(partner_url)
    worker = Worker(
        core.sessions,
        own,
        link.deliver,
        link.query,
        utcnow,
        key=core.signing_key(own),
        reconcile_every_seconds=reconcile_every,
    )
    threading.Thread(target=worker.run, args=(threading.Event(), interval), name="link", daemon=True).start()
