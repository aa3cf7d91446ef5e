"""Single statements outside an explicit transaction on PostgreSQL, for the bookkeeping of each HTTP
request: the bearer-token lookup (one SELECT: one snapshot anyway) and the access record.

In psycopg's default mode a lone SELECT costs three round trips (BEGIN, the statement, ROLLBACK
when the connection goes back to the pool); in autocommit it costs one. The access record is
written in a pipeline (BEGIN, SET LOCAL synchronous_commit, INSERTs, COMMIT sent together: one
round trip, and no wait for the WAL flush of a record written after the answer was sent).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine


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


def fetch_all(engine: Engine, sql: str, params: dict[str, Any]) -> Sequence[tuple[Any, ...]]:
    """Rows of one read-only statement (psycopg `%(name)s` parameters) in autocommit: one round trip."""
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
