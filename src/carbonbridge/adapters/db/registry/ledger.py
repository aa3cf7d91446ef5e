"""The registry's ledger port (services/registry/ports.py) on SQLite and PostgreSQL.

`SqlLedger` wraps one database transaction's connection (an ORM `Session`, or the DBAPI
connection `sql.direct_unit_of_work` opens on PostgreSQL) and the `Batch` of its queued writes;
it delegates to the measured driver SQL in `rows` and `store`, unchanged. Which dialect runs is
decided here and in those modules, never in the use cases.

`SqlLedgers.run` and `retrying` share one bounded retry loop (`_attempts`): deadlocks,
serialization failures and a concurrent commit of the same client key are repeated; a database
constraint firing is recorded in the audit record and raised as StorageInvariantViolated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TypeAlias, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db import origin
from carbonbridge.adapters.db.guard import Guard
from carbonbridge.adapters.db.registry import rows, sql, store
from carbonbridge.adapters.db.registry.sql import Batch, Conn, direct_unit_of_work
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.policy_config import load_policy, timezone_of
from carbonbridge.domain.errors import StorageInvariantViolated
from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
from carbonbridge.domain.registry.log import canonical
from carbonbridge.domain.registry.model import (
    Account,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
    UnitType,
)
from carbonbridge.domain.registry.policy import SecurityPolicy
from carbonbridge.domain.registry.records import Holding, ProposalContext, TransactionRecord

Sessions: TypeAlias = sessionmaker[Session]
T = TypeVar("T")
C = TypeVar("C")
MAX_ATTEMPTS = 8
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
INTEGRITY_ACTION = "registry.integrity_error"
_AUDIT_COLUMNS = ("at", "actor", "action", "subject", "detail", "idempotency_key")


class SqlLedger:
    """The ledger of one database transaction (implements services.registry.ports.Ledger)."""

    __slots__ = ("_batch", "_conn", "_guard")

    def __init__(self, conn: Conn, guard: Guard | None = None) -> None:
        self._conn = conn
        self._batch = Batch()
        self._guard = guard  # checked by the first proposal read, else before the commit (`checked`)

    # -- configuration: the process's parsed configuration (adapters/config), cached per code ----
    def policy(self, jurisdiction: str) -> SecurityPolicy:
        return load_policy(jurisdiction)

    def timezone(self, jurisdiction: str) -> dt.tzinfo:
        return timezone_of(jurisdiction)

    # -- reads ---------------------------------------------------------------------------------
    def context(self, request: TransactionRequest, authorising: Sequence[str], now: dt.datetime) -> ProposalContext:
        pair = (request.source_account or "", request.destination_account)
        lock = [a for a in pair if a]
        guard, self._guard = self._guard, None
        return rows.context(
            self._conn,
            request.client_key,
            request.unit_type,
            request.initiator,
            authorising,
            pair,
            now,
            lock=lock,
            guard=guard,
        )

    def checked(self) -> None:
        """Evaluate the guard now if no proposal read did (raises GuardFailed, rolling back)."""
        guard, self._guard = self._guard, None
        if guard is not None:
            guard.verify(sql.one(self._conn, guard.sql, dict(guard.params))[0])

    def existing(self, client_key: str) -> TransactionRecord | None:
        return _record(rows.by_key(self._conn, client_key))

    def transaction(self, transaction_id: str, *, lock: bool = False) -> TransactionRecord | None:
        return _record(rows.by_id(self._conn, transaction_id, lock=lock))

    def reversal_of(self, transaction_id: str) -> str | None:
        found = rows.reversal_of(self._conn, transaction_id)
        return None if found is None else str(found[0])

    def accounts(self, ids: Iterable[str | None]) -> dict[str, Account]:
        return rows.accounts(self._conn, ids)

    def national_accounts(self, jurisdiction: str) -> list[str]:
        return rows.national_accounts(self._conn, jurisdiction)

    def unit_type(self, code: str, *, lock: bool = False) -> UnitType | None:
        return rows.unit_type(self._conn, code, lock=lock)

    def representative(self, rep_id: str, account_ids: Sequence[str]) -> tuple[RepresentativeState, bool, int]:
        return rows.representative(self._conn, rep_id, account_ids)

    def is_trusted(self, account_id: str, other_id: str, now: dt.datetime) -> bool:
        return rows.is_trusted(self._conn, account_id, other_id, now)

    def due(
        self, now: dt.datetime, limit: int, jurisdictions: Collection[str] | None, only: TransactionType | None
    ) -> list[str]:
        query = "SELECT id FROM registry_transactions WHERE state = :s AND delay_until <= :n"
        params: dict[str, object] = {"s": TransactionState.DELAYED.value, "n": sql.when(self._conn, now), "l": limit}
        if jurisdictions is not None:
            wanted = sorted(jurisdictions)
            query += f" AND jurisdiction IN ({sql.placeholders('j', len(wanted)) if wanted else 'NULL'})"
            params.update({f"j{i}": j for i, j in enumerate(wanted)})
        if only is not None:
            query += " AND type = :t"
            params["t"] = only.value
        return [r[0] for r in sql.rows(self._conn, query + " ORDER BY delay_until, id LIMIT :l", params)]

    def holdings(self, account_id: str) -> list[Holding]:
        query = (
            "SELECT account_id, unit_type, quantity, reserved, market_held FROM registry_holdings "
            "WHERE account_id = :a ORDER BY unit_type"
        )
        found = sql.rows(self._conn, query, {"a": account_id})
        return [Holding(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in found]

    # -- writes --------------------------------------------------------------------------------
    def lock_holdings(self, unit_type: str, account_ids: Iterable[str]) -> dict[str, Holding]:
        return store.lock_holdings(self._conn, unit_type, account_ids)

    def record_failures(self, rep_id: str, failures: int, previous: int, limit: int) -> None:
        rows.record_failures(self._batch, rep_id, failures, previous, limit)

    def reserve(self, tx: TransactionRecord) -> None:
        store.reserve_units(self._conn, self._batch, tx.id, tx.unit_type, _source(tx), tx.quantity)

    def release(self, tx: TransactionRecord) -> None:
        store.release_units(self._conn, self._batch, tx.id, tx.unit_type, _source(tx), tx.quantity)

    def move_free(self, tx: TransactionRecord) -> None:
        source, destination = _source(tx), tx.destination_account
        store.move_free_units(self._conn, self._batch, tx.id, tx.unit_type, source, destination, tx.quantity)

    def move_reserved(self, tx: TransactionRecord) -> None:
        source, destination = _source(tx), tx.destination_account
        store.move_reserved_units(self._conn, self._batch, tx.id, tx.unit_type, source, destination, tx.quantity)

    def issue(self, tx: TransactionRecord, block: SerialBlock) -> None:
        store.create_block(self._conn, self._batch, tx.id, block, _source(tx), tx.destination_account)
        self._batch.add(
            "UPDATE registry_unit_types SET issued = :nissued WHERE code = :ncode",
            {"nissued": block.end, "ncode": block.unit_type},
        )

    def append(
        self, tx: TransactionRecord, states: Sequence[TransactionState], actor: str, now: dt.datetime, *, new: bool
    ) -> TransactionView:
        row = tx.as_row()
        if new:
            rows.insert_transaction(self._conn, self._batch, row)
        else:
            rows.update_transaction(self._conn, self._batch, row)
        return rows.transition(self._conn, self._batch, row, states, tx.response_code, actor, now)

    def audit(self, now: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
        record = {
            "at": sql.when(self._conn, now),
            "actor": actor,
            "action": action,
            "subject": subject,
            "detail": canonical(origin.stamp(self._conn.info, detail)),
            "idempotency_key": None,
        }
        self._batch.insert("audit_events", _AUDIT_COLUMNS, [record])
        self._batch.flush(self._conn)

    # -- the link's rules (SQL of the link context, which still lives in services/link_*) -----
    def foreign_surrender_code(
        self, jurisdiction: str, source_account: str, installation_id: str, year: int, quantity: int
    ) -> ResponseCode:
        from carbonbridge.services import link_limits

        return link_limits.surrender_code(self._conn, jurisdiction, source_account, installation_id, year, quantity)

    def link_gate(self, link_account: str) -> None:
        from carbonbridge.services import link_outbox

        link_outbox.gate(self._conn, link_account)

    def link_gate_closed(self, link_account: str) -> bool:
        from carbonbridge.services import link_outbox

        return link_outbox.gate_closed(self._conn, link_account)

    def link_checked(self, tx: TransactionRecord, now: dt.datetime) -> None:
        from carbonbridge.services import link_outbox

        link_outbox.on_checked(self._conn, tx.as_row(), now)


def _record(row: rows.Row | None) -> TransactionRecord | None:
    return None if row is None else TransactionRecord.from_row(row.as_dict())


def _source(tx: TransactionRecord) -> str:
    assert tx.source_account is not None, "a transaction that moves units has a source account"
    return tx.source_account


class SqlLedgers:
    """Registry commands on a database (implements services.registry.ports.Ledgers): on PostgreSQL
    each attempt runs on a pooled DBAPI connection in one database transaction, without an ORM
    session (`direct_unit_of_work`); on SQLite in a session's unit of work (BEGIN IMMEDIATE)."""

    __slots__ = ("_engine", "_guard", "sessions")

    def __init__(self, sessions: Sessions, guard: Guard | None = None) -> None:
        """`guard`: a condition every attempt's transaction checks before it commits (adapters/db/guard.py)."""
        self.sessions = sessions
        self._guard = guard
        engine = sessions.kw.get("bind")
        self._engine = engine if isinstance(engine, Engine) and engine.dialect.name == "postgresql" else None

    def run(self, work: Callable[[SqlLedger], T], *, command: str, now: dt.datetime) -> T:
        engine, sessions, guard = self._engine, self.sessions, self._guard

        def attempt(conn: Conn) -> T:
            ledger = SqlLedger(conn, guard)
            done = work(ledger)
            ledger.checked()
            return done

        if engine is None:
            return _attempts(sessions, lambda: unit_of_work(sessions), attempt, command, now)
        return _attempts(sessions, lambda: direct_unit_of_work(engine), attempt, command, now)


def retrying(sessions: Sessions, work: Callable[[Session], T], *, command: str, now: dt.datetime) -> T:
    """Run `work` in its own ORM unit of work, with `SqlLedgers.run`'s retries (for use cases that
    write with the ORM in the same transaction, such as the market's settlement)."""
    return _attempts(sessions, lambda: unit_of_work(sessions), work, command, now)


def _attempts(
    sessions: Sessions,
    open_unit: Callable[[], AbstractContextManager[C]],
    work: Callable[[C], T],
    command: str,
    now: dt.datetime,
) -> T:
    """The one retry loop: at most MAX_ATTEMPTS units of work, repeating what `_retryable` names."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with open_unit() as conn:
                return work(conn)
        except Exception as exc:
            if attempt + 1 == MAX_ATTEMPTS or not _retryable(exc):
                _guard(sessions, command, now, exc)
                raise
    raise AssertionError("unreachable")


def _retryable(exc: BaseException) -> bool:
    """Failures that concurrency alone causes: deadlock, serialization failure, or another client
    committing the same client key first (the retry then returns that first result)."""
    cause = getattr(exc, "orig", None) or exc
    if getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    unique = getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(cause)
    return unique and "client_key" in str(cause)


def _integrity_error(exc: BaseException) -> bool:
    """A constraint of the database refused the write (SQLSTATE class 23, or SQLite's IntegrityError)."""
    cause = getattr(exc, "orig", None) or exc
    sqlstate = getattr(cause, "sqlstate", None)
    return (isinstance(sqlstate, str) and sqlstate.startswith("23")) or type(cause).__name__ == "IntegrityError"


def _constraint_of(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if name:
        return str(name)
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text.split("constraint failed: ", 1)[-1]  # SQLite: "CHECK constraint failed: ck_name"


def _record_integrity_error(sessions: Sessions, command: str, exc: BaseException, now: dt.datetime) -> None:
    """Count the event in the audit record, in a transaction of its own (the command's was rolled back)."""
    detail: dict[str, object] = {"constraint": _constraint_of(exc), "error": type(getattr(exc, "orig", exc)).__name__}
    with unit_of_work(sessions) as session:
        audit(session, at=now, actor="registry", action=INTEGRITY_ACTION, subject=command[:200], detail=detail)


def _guard(sessions: Sessions, command: str, now: dt.datetime, exc: Exception) -> None:
    """A database constraint firing is a bug, never an answer: the command's transaction was rolled
    back (nothing changed), the event is counted in the audit record, and the caller gets a typed
    error naming the command and the constraint instead of a driver traceback."""
    if not _integrity_error(exc):
        return
    try:
        _record_integrity_error(sessions, command, exc, now)
    except Exception as audit_failure:  # the typed error below still reaches the caller
        exc.add_note(f"recording the integrity error in the audit record failed too: {audit_failure!r}")
    raise StorageInvariantViolated(command, _constraint_of(exc)) from exc
