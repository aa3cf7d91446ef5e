"""Single statements outside an explicit transaction on PostgreSQL, for the bookkeeping of each HTTP
request: the bearer-token lookup (one SELECT: one snapshot anyway) and the access record.

In psycopg's default mode a lone SELECT costs three round trips (BEGIN, the statement, ROLLBACK
when the connection goes back to the pool); in autocommit it costs one. A read on an event loop
(the API's lock-free reads, entrypoints/http/access.py) uses a connection of that loop's thread,
kept open in autocommit: the loop runs one such read at a time, and a checkout from the pool and
back cost about as much CPU as the read itself. The access record is
written in a pipeline (BEGIN, SET LOCAL synchronous_commit, INSERTs, COMMIT sent together: one
round trip, and no wait for the WAL flush of a record written after the answer was sent).
"""

from __future__ import annotations

import asyncio
import re
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Engine, event


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def _driver(engine: Engine) -> Iterator[Any]:
    pooled = engine.raw_connection()
    try:
        dbapi = pooled.driver_connection
        assert dbapi is not None
        yield dbapi
    finally:
        pooled.close()  # the pool's reset-on-return rolls back whatever is open (a no-op when idle)


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


@lru_cache(maxsize=256)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """A statement with psycopg's `%(name)s` placeholders in PostgreSQL's own `$n` form (what a
    RawCursor sends as is, without psycopg's parsing of the text on every call), and the names in
    the order of their numbers."""
    names: list[str] = []

    def number(found: re.Match[str]) -> str:
        name = found.group(1)
        if name is None:
            return "%"  # an escaped percent sign
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PLACEHOLDER.sub(number, sql), tuple(names)


class _LoopConnections:
    """One autocommit connection per engine and event-loop thread, taken out of the engine's pool
    (detached: the pool neither counts nor pings it), with one RawCursor kept open on it: the reads
    are few statements run again and again, so each is prepared at its first use. Closed when the
    thread ends, when the engine is disposed or collected, or when it fails (the read is then tried
    once on a new one: a read changes nothing). Measured on the machine of docs/api.md: about 55 us
    of CPU per read against 70-80 us through a new psycopg Cursor each time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[int, int], tuple[weakref.ref[Engine], Any, psycopg.RawCursor[Any]]] = {}
        self._watched: weakref.WeakSet[Engine] = weakref.WeakSet()

    def fetch_all(self, engine: Engine, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        text, names = _positional(sql)
        values = [params[name] for name in names]
        for attempt in (1, 2):
            cursor = self._cursor(engine)
            try:
                cursor.execute(text, values, prepare=True)
                return cursor.fetchall()
            except psycopg.OperationalError:  # the server closed it (restart, idle timeout): a new one
                self._drop((id(engine), threading.get_ident()))
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _cursor(self, engine: Engine) -> psycopg.RawCursor[Any]:
        key = (id(engine), threading.get_ident())
        held = self._held.get(key)
        if held is not None:
            owner, dbapi, cursor = held
            if owner() is engine and not (dbapi.closed or dbapi.broken):
                return cursor
            self._drop(key)  # broken, or left by a collected engine whose id this one reuses
        pooled = engine.raw_connection()
        dbapi = pooled.driver_connection
        assert dbapi is not None
        pooled.detach()
        dbapi.autocommit = True
        cursor = psycopg.RawCursor(dbapi)
        with self._lock:
            self._held[key] = (weakref.ref(engine), dbapi, cursor)
            if engine not in self._watched:
                self._watched.add(engine)
                event.listen(engine, "engine_disposed", self._close_engine)
                weakref.finalize(engine, self._close_engine_id, id(engine))
        weakref.finalize(threading.current_thread(), self._drop, key)
        return cursor

    def _drop(self, key: tuple[int, int]) -> None:
        with self._lock:
            held = self._held.pop(key, None)
        if held is not None:
            held[1].close()

    def _close_engine(self, engine: Engine) -> None:
        self._close_engine_id(id(engine))

    def _close_engine_id(self, engine_id: int) -> None:
        with self._lock:
            keys = [k for k in self._held if k[0] == engine_id]
        for key in keys:
            self._drop(key)

    def open_count(self) -> int:
        """Connections held now (for tests)."""
        return len(self._held)


LOOP_CONNECTIONS = _LoopConnections()


def fetch_all(engine: Engine, sql: str, params: dict[str, Any]) -> Sequence[tuple[Any, ...]]:
    """Rows of one read-only statement (psycopg `%(name)s` parameters) in autocommit: one round trip
    (on an event loop, on that loop's own connection)."""
    if asyncio._get_running_loop() is not None:
        return LOOP_CONNECTIONS.fetch_all(engine, sql, params)
    with _driver(engine) as dbapi:
        dbapi.autocommit = True
        try:
            with dbapi.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            dbapi.autocommit = False


def write_unflushed(engine: Engine, sql: str, rows: Sequence[dict[str, Any]]) -> None:
    """Writes of one statement, one per row, committed together without waiting for the WAL flush
    (synchronous_commit off for this transaction only), sent as one pipeline: one round trip. For
    records whose loss in a server crash within the WAL writer's delay is acceptable: never for
    ledger rows."""
    with _driver(engine) as dbapi, dbapi.pipeline(), dbapi.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.executemany(sql, rows)
        dbapi.commit()
