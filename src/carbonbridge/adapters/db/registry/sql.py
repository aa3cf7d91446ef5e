"""Driver-level SQL for the registry's hot path, written once for SQLite and PostgreSQL.

Statements use `:name` parameters; on PostgreSQL they are rewritten to psycopg's `%(name)s`
once and cached. A `Batch` of writes without results goes to the server as one statement on
PostgreSQL (data-modifying CTEs: one round trip instead of one per write) and as consecutive
statements on SQLite, where every statement is an in-process call anyway.

The helpers take a `Conn`: an ORM `Session` (SQLite, the less frequent commands, and callers
outside the registry) or a `Db`, the DBAPI connection of one database transaction that
`direct_unit_of_work` opens without an ORM session (the PostgreSQL hot path: a command pays
for no session, identity map or per-statement SQLAlchemy machinery).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from carbonbridge.adapters.db import origin
from carbonbridge.domain.errors import Conflict

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Db:
    """The DBAPI connection of one database transaction, opened by `direct_unit_of_work`; `info`
    holds what the transaction notes for its commit, as an ORM session's `info` does."""

    __slots__ = ("dbapi", "info", "postgres")

    def __init__(self, dbapi: Any, *, postgres: bool) -> None:
        self.dbapi = dbapi
        self.postgres = postgres
        self.info: dict[str, Any] = {}


Conn: TypeAlias = "Session | Db"


@contextmanager
def direct_unit_of_work(engine: Engine) -> Iterator[Db]:
    """One database transaction on a pooled DBAPI connection: committed if the block succeeds,
    rolled back on any error. PostgreSQL only (SQLite's BEGIN IMMEDIATE comes from the engine's
    `begin` event, which a DBAPI connection does not fire); the commit returns after the server's."""
    pooled = engine.raw_connection()
    try:
        dbapi = pooled.driver_connection
        assert dbapi is not None
        db = Db(dbapi, postgres=True)
        try:
            yield db
        except BaseException:
            origin.rolled_back(db.info)
            dbapi.rollback()
            raise
        try:
            dbapi.commit()
        except BaseException:
            origin.rolled_back(db.info)
            raise
        origin.committed(db.info)
    finally:
        pooled.close()


def is_postgres(db: Conn) -> bool:
    if isinstance(db, Db):
        return db.postgres
    known = db.info.get("carbonbridge.postgres")
    if known is None:
        known = db.info["carbonbridge.postgres"] = db.get_bind().dialect.name == "postgresql"
    return bool(known)


def _dbapi(db: Conn) -> Any:
    if isinstance(db, Db):
        return db.dbapi
    dbapi = db.connection().connection.dbapi_connection
    assert dbapi is not None
    return dbapi


@lru_cache(maxsize=2048)
def _pg(sql: str) -> str:
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def _native(db: Conn, sql: str) -> str:
    return _pg(sql) if is_postgres(db) else sql


def when(db: Conn, value: dt.datetime | None) -> Any:
    """A UTC timestamp as each driver stores it: native on PostgreSQL, SQLAlchemy's text on SQLite."""
    if value is None or is_postgres(db):
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def for_update(db: Conn) -> str:
    """Row locks on PostgreSQL; on SQLite BEGIN IMMEDIATE already holds the database's write lock."""
    return " FOR UPDATE" if is_postgres(db) else ""


def _cursor(db: Conn, sql: str, params: dict[str, Any]) -> Any:
    """Execute on the DBAPI connection of the command's transaction: with a Session, SQLAlchemy still
    owns BEGIN, COMMIT and ROLLBACK, but each hot-path statement skips its per-statement machinery."""
    cursor = _dbapi(db).cursor()
    cursor.execute(_native(db, sql), params)
    return cursor


def rows(db: Conn, sql: str, params: dict[str, Any]) -> Sequence[Any]:
    cursor = _cursor(db, sql, params)
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


def one(db: Conn, sql: str, params: dict[str, Any]) -> Any:
    cursor = _cursor(db, sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def run(db: Conn, sql: str, params: dict[str, Any]) -> int:
    cursor = _cursor(db, sql, params)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


@lru_cache(maxsize=256)
def placeholders(prefix: str, count: int) -> str:
    return ", ".join(f":{prefix}{i}" for i in range(count))


@lru_cache(maxsize=256)
def values_rows(prefix: str, columns: Sequence[str], count: int) -> str:
    """`(:p0_0, :p0_1), (:p1_0, :p1_1)` for a multi-row VALUES clause (short names keep the
    statement small enough for the driver's statement cache)."""
    return ", ".join("(" + ", ".join(f":{prefix}{i}_{k}" for k in range(len(columns))) + ")" for i in range(count))


def values_params(prefix: str, columns: Sequence[str], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {f"{prefix}{i}_{k}": record[c] for i, record in enumerate(records) for k, c in enumerate(columns)}


class Batch:
    """Writes that return nothing, sent together at the end of a command, and scalar checks of the
    batch's outcome that must hold or the command fails (its transaction is then rolled back)."""

    def __init__(self) -> None:
        self._statements: list[tuple[str, dict[str, Any]]] = []
        self._names: dict[int, str] = {}
        self._checks: list[tuple[str, dict[str, Any], Any, str]] = []
        self._recursive = False

    def add(
        self,
        sql: str,
        params: dict[str, Any],
        *,
        first: bool = False,
        name: str | None = None,
        recursive: bool = False,
    ) -> None:
        """Queue a write; `first` puts it before the others (a row that later writes refer to); a
        `name` lets later statements of the batch read its rows (PostgreSQL only), and `recursive`
        marks a named query that refers to itself (PostgreSQL's WITH RECURSIVE)."""
        statement = (sql, params)
        self._statements.insert(0 if first else len(self._statements), statement)
        if name is not None:
            self._names[id(statement)] = name
        self._recursive = self._recursive or recursive

    def insert(
        self, table: str, columns: Sequence[str], records: Sequence[dict[str, Any]], *, first: bool = False
    ) -> None:
        if records:
            prefix = f"b{len(self._statements)}_"
            values = values_rows(prefix, tuple(columns), len(records))
            params = values_params(prefix, columns, records)
            self.add(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}", params, first=first)

    def check(self, sql: str, params: dict[str, Any], expected: Any, message: str) -> None:
        """After the writes, the scalar query `sql` must give `expected`, or flush raises Conflict.
        On PostgreSQL it is part of the same statement, so it sees the named rows of the batch."""
        self._checks.append((sql, params, expected, message))

    def flush(self, db: Conn) -> None:
        """Send every write; on PostgreSQL as one statement. Parameter names must be unique."""
        statements, self._statements = self._statements, []
        names, self._names = self._names, {}
        checks, self._checks = self._checks, []
        recursive, self._recursive = self._recursive, False
        if not is_postgres(db):
            for sql, params in statements:
                run(db, sql, params)
            _verify(checks, [one(db, sql, params)[0] for sql, params, _, _ in checks])
            return
        if not statements and not checks:
            return
        queries = [*statements, *((sql, params) for sql, params, _, _ in checks)]
        texts, order = _renamed(tuple(sql for sql, _ in queries))
        labels = [names.get(id(statement), f"w{i}") for i, statement in enumerate(statements)]
        if checks:
            ctes, final = texts[: len(statements)], "SELECT " + ", ".join(f"({c})" for c in texts[len(statements) :])
        else:
            ctes, final = texts[:-1], texts[-1]
        head = ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(
            f"{label} AS ({sql})" for label, sql in zip(labels, ctes, strict=False)
        )
        found = _run_positional(db, f"{head} {final}" if ctes else final, [queries[i][1][n] for i, n in order])
        _verify(checks, list(found or ()))


def _verify(checks: Sequence[tuple[str, dict[str, Any], Any, str]], values: Sequence[Any]) -> None:
    for (_, _, expected, message), value in zip(checks, values, strict=True):
        if value != expected:
            raise Conflict(f"{message}: expected {expected}, found {value}")


def _run_positional(db: Conn, sql: str, params: list[Any]) -> Any:
    """Execute PostgreSQL-native `$k` SQL with a raw cursor (no client-side query parsing); the
    first result row if the statement returns rows."""
    import psycopg

    dbapi = _dbapi(db)
    assert isinstance(dbapi, psycopg.Connection)
    with psycopg.RawCursor(dbapi) as cursor:
        cursor.execute(sql.encode(), params)
        return cursor.fetchone() if cursor.description else None


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
