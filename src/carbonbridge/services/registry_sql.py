"""Driver-level SQL for the registry's hot path, written once for SQLite and PostgreSQL.

Statements use `:name` parameters; on PostgreSQL they are rewritten to psycopg's `%(name)s`
once and cached. A `Batch` of writes without results goes to the server as one statement on
PostgreSQL (data-modifying CTEs: one round trip instead of one per write) and as consecutive
statements on SQLite, where every statement is an in-process call anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@lru_cache(maxsize=2048)
def _pg(sql: str) -> str:
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def _native(session: Session, sql: str) -> str:
    return _pg(sql) if is_postgres(session) else sql


def when(session: Session, value: dt.datetime | None) -> Any:
    """A UTC timestamp as each driver stores it: native on PostgreSQL, SQLAlchemy's text on SQLite."""
    if value is None or is_postgres(session):
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def for_update(session: Session) -> str:
    """Row locks on PostgreSQL; on SQLite BEGIN IMMEDIATE already holds the database's write lock."""
    return " FOR UPDATE" if is_postgres(session) else ""


def _cursor(session: Session, sql: str, params: dict[str, Any]) -> Any:
    """Execute on the DBAPI connection of the session's transaction: SQLAlchemy still owns BEGIN,
    COMMIT and ROLLBACK, but each hot-path statement skips its per-statement machinery."""
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    cursor.execute(_native(session, sql), params)
    return cursor


def rows(session: Session, sql: str, params: dict[str, Any]) -> Sequence[Any]:
    cursor = _cursor(session, sql, params)
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


def one(session: Session, sql: str, params: dict[str, Any]) -> Any:
    cursor = _cursor(session, sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def run(session: Session, sql: str, params: dict[str, Any]) -> int:
    cursor = _cursor(session, sql, params)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def placeholders(prefix: str, count: int) -> str:
    return ", ".join(f":{prefix}{i}" for i in range(count))


def values_rows(prefix: str, columns: Sequence[str], count: int) -> str:
    """`(:p0_0, :p0_1), (:p1_0, :p1_1)` for a multi-row VALUES clause (short names keep the
    statement small enough for the driver's statement cache)."""
    return ", ".join("(" + ", ".join(f":{prefix}{i}_{k}" for k in range(len(columns))) + ")" for i in range(count))


def values_params(prefix: str, columns: Sequence[str], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {f"{prefix}{i}_{k}": record[c] for i, record in enumerate(records) for k, c in enumerate(columns)}


class Batch:
    """Writes that return nothing, sent together at the end of a command."""

    def __init__(self) -> None:
        self._statements: list[tuple[str, dict[str, Any]]] = []
        self._names: dict[int, str] = {}

    def add(self, sql: str, params: dict[str, Any], *, first: bool = False, name: str | None = None) -> None:
        """Queue a write; `first` puts it before the others (a row that later writes refer to); a
        `name` lets later statements of the batch read its RETURNING rows (PostgreSQL only)."""
        self._statements.insert(0 if first else len(self._statements), (sql, params))
        if name is not None:
            self._names[id(self._statements[-1 if not first else 0])] = name

    def insert(
        self, table: str, columns: Sequence[str], records: Sequence[dict[str, Any]], *, first: bool = False
    ) -> None:
        if records:
            prefix = f"b{len(self._statements)}_"
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values_rows(prefix, columns, len(records))}"
            self.add(sql, values_params(prefix, columns, records), first=first)

    def flush(self, session: Session) -> None:
        """Send every write; on PostgreSQL as one statement. Parameter names must be unique."""
        statements, self._statements = self._statements, []
        names, self._names = self._names, {}
        if not statements:
            return
        if not is_postgres(session) or len(statements) == 1:
            for sql, params in statements:
                run(session, sql, params)
            return
        texts, order = _renamed(tuple(sql for sql, _ in statements))
        labels = [names.get(id(statement), f"w{i}") for i, statement in enumerate(statements)]
        ctes = ", ".join(f"{label} AS ({sql})" for label, sql in zip(labels, texts[:-1], strict=False))
        _run_positional(session, f"WITH {ctes} {texts[-1]}", [statements[i][1][name] for i, name in order])


def _run_positional(session: Session, sql: str, params: list[Any]) -> None:
    """Execute PostgreSQL-native `$k` SQL with a raw cursor (no client-side query parsing)."""
    import psycopg

    dbapi = session.connection().connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    with psycopg.RawCursor(dbapi) as cursor:
        cursor.execute(sql.encode(), params)


@lru_cache(maxsize=1024)
def _renamed(texts: tuple[str, ...]) -> tuple[list[str], list[tuple[int, str]]]:
    """Parameter `name` of statement i becomes PostgreSQL's positional `$k`, numbered in order of
    first use, with `order[k - 1] = (i, name)`. The combined text depends only on the batch's
    shape, never on its values, so the server's prepared plan is reused from one command to the
    next; positional parameters spare psycopg from parsing the (long) text on every call."""
    order: list[tuple[int, str]] = []
    index: dict[tuple[int, str], int] = {}
    renamed = []
    for i, sql in enumerate(texts):

        def rename(match: re.Match[str], i: int = i) -> str:
            key = (i, match.group(1))
            if key not in index:
                index[key] = len(order)
                order.append(key)
            return f"${index[key] + 1}"

        renamed.append(_PARAM.sub(rename, sql))
    return renamed, order
