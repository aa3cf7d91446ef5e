"""The PostgreSQL pool: a connection killed while idle is replaced before use, without a ping per
checkout; the connection returned last is handed out first."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db import engine as engine_module
from carbonbridge.adapters.db.engine import make_engine


def test_a_connection_killed_while_idle_is_replaced(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            victim = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = make_engine(pg_url)
        with killer.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": victim}).scalar_one()
        killer.dispose()
        monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
        with engine.connect() as conn:  # the dead connection is pinged, discarded, and replaced
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != victim
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    statements: list[str] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        raw = engine.raw_connection()
        real = raw.driver_connection
        raw.close()
        assert real is not None
        original = real.cursor

        def spying_cursor(*args: object, **kwargs: object) -> object:
            statements.append("cursor")
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(real, "cursor", spying_cursor)
        pooled = engine.raw_connection()  # checked out again at once: no ping
        pooled.close()
        assert statements == []
    finally:
        engine.dispose()


def test_the_pool_hands_out_the_connection_returned_last(pg_url: str) -> None:
    """LIFO: at a server's few concurrent requests the same warm backends serve them."""
    engine = make_engine(pg_url, pool_size=3, max_overflow=0)
    try:
        held = [engine.connect() for _ in range(3)]
        pids = [conn.execute(text("SELECT pg_backend_pid()")).scalar_one() for conn in held]
        for conn in held:  # returned in order: the third is the last one back
            conn.close()
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pids[-1]
    finally:
        engine.dispose()
