"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
`BEGIN IMMEDIATE`, so that a writer takes the lock up front instead of failing half-way
with 'database is locked' on upgrade from a read lock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///carbonbridge.db"
IDLE_PING_SECONDS = 5.0
"""A pooled PostgreSQL connection idle for longer is pinged before use (a dead one is replaced);
one in steady use is not, so a busy client does not pay a round trip per command."""


def database_url(explicit: str | None = None) -> str:
    """--db beats CARBONBRIDGE_DB beats ./carbonbridge.db. A bare path means a SQLite file."""
    url = explicit or os.environ.get("CARBONBRIDGE_DB") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{Path(url)}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below rule
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Prepared statements (psycopg prepares a query after 5 executions on a connection) use a
    # generic plan: PostgreSQL otherwise re-plans the registry's statements on every execution,
    # which cost about 0.2 ms per command of 1.1-1.3 ms server time (measured, docs/registry.md).
    # Only prepared statements are affected, i.e. the same text run again and again: OLTP.
    options = kwargs.pop("connect_args", {})
    options.setdefault("options", "-c plan_cache_mode=force_generic_plan")
    # The pool hands out the connection returned last (LIFO), not the one idle longest: at a
    # server's 8 concurrent requests the same few PostgreSQL backends serve them, warm in the CPU's
    # caches, instead of all 16 of a worker's in turn, and a connection left over from a busy moment
    # stays idle (its ping after IDLE_PING_SECONDS still applies). benchmarks/api.py, interleaved
    # runs on 2026-12-02 (2 cores): API transfers 46-50 % -> 54-55 % of the direct rate, the server's
    # CPU per transfer 5.6-5.8 -> 4.8-5.3 ms.
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, connect_args=options, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout; this pings only a
    connection that sat in the pool for IDLE_PING_SECONDS, and raising DisconnectionError makes
    the pool discard it and connect again (SQLAlchemy's documented custom pessimistic check)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["carbonbridge.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("carbonbridge.idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
