"""Reads on an event loop (the API's lock-free reads) use one autocommit connection of that loop's
thread instead of a checkout from the pool and back (adapters/db/autocommit.py): it is reused,
replaced when the server drops it, and closed when the engine is disposed or the thread ends."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from carbonbridge.adapters.db.autocommit import LOOP_CONNECTIONS, fetch_all
from carbonbridge.adapters.db.engine import make_engine

pytestmark = pytest.mark.postgres
PID = "SELECT pg_backend_pid()"


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    made = make_engine(pg_url)
    yield made
    made.dispose()


def _on_loop(engine: Engine, times: int = 1) -> list[int]:
    async def read() -> list[int]:
        return [int(fetch_all(engine, PID, {})[0][0]) for _ in range(times)]

    return asyncio.run(read())


def _backends(engine: Engine) -> set[int]:
    with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False)) as c:
        name = engine.url.database
        rows = c.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)).fetchall()
        own = c.execute(PID).fetchone()
    return {r[0] for r in rows} - {own[0] if own else -1}


def _gone(engine: Engine, pid: int) -> bool:
    """The backend has exited (it does so just after its client closes the connection)."""
    for _ in range(50):
        if pid not in _backends(engine):
            return True
        time.sleep(0.1)
    return False


def test_reads_on_a_loop_share_one_connection_that_outlives_the_loop_and_leaves_the_pool_alone(engine: Engine) -> None:
    before = LOOP_CONNECTIONS.open_count()
    first = _on_loop(engine, times=3)
    second = _on_loop(engine)  # another loop on the same thread
    assert len(set(first + second)) == 1
    assert LOOP_CONNECTIONS.open_count() == before + 1
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    outside = int(fetch_all(engine, PID, {})[0][0])  # not on a loop: a pooled connection, as before
    assert outside != first[0]


def test_a_connection_the_server_dropped_is_replaced_and_the_read_still_answers(engine: Engine) -> None:
    [pid] = set(_on_loop(engine))
    with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False)) as c:
        c.execute("SELECT pg_terminate_backend(%s)", (pid,))
    [again] = set(_on_loop(engine))
    assert again != pid


def test_disposing_the_engine_closes_its_loop_connections(engine: Engine) -> None:
    [pid] = set(_on_loop(engine))
    assert pid in _backends(engine)
    engine.dispose()
    assert _gone(engine, pid)


def test_a_thread_that_ends_closes_its_loop_connection(engine: Engine) -> None:
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.extend(_on_loop(engine)))
    worker.start()
    worker.join()
    del worker
    gc.collect()
    assert _gone(engine, seen[0])


def test_named_parameters_reach_the_loop_connection_by_name_however_often_and_in_whatever_order(
    engine: Engine,
) -> None:
    """The loop's cursor sends PostgreSQL's `$n` form: a name used twice is one number, the numbers
    follow the names' first use, and an escaped percent sign stays one percent sign."""
    sql = "SELECT %(b)s::int - %(a)s::int, %(a)s::int * 10, '100%%', %(b)s::int"
    params = {"a": 2, "b": 7}

    async def read() -> list[tuple[object, ...]]:
        return [tuple(r) for r in fetch_all(engine, sql, params)]

    assert asyncio.run(read()) == [(5, 20, "100%", 7)]
    assert [tuple(r) for r in fetch_all(engine, sql, params)] == [(5, 20, "100%", 7)]  # the pooled path agrees
