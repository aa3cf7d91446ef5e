"""Reading and writing registry rows inside a command's unit of work (driver SQL on the hot path)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from carbonbridge.adapters.db import origin
from carbonbridge.adapters.db.guard import Guard
from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.db.registry.sql import Batch, Conn
from carbonbridge.adapters.db.registry.tables import TRANSACTIONS
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.log import (
    LOG_FORMAT,
    canonical,
    next_entry,
    partition_of,
    payload_around_seq,
    transaction_record,
    trusted_record,
    utc_text,
)
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
    UnitKind,
    UnitType,
)
from carbonbridge.domain.registry.records import ProposalContext

TRANSACTION_COLUMNS = tuple(c.name for c in TRANSACTIONS.columns)
_TIMES = ("proposed_at", "delay_until", "resolved_at")
EVENT_COLUMNS = ("transaction_id", "state", "states", "response_code", "actor", "at")


def utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes (or text through the driver); the registry stores UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def accounts(session: Conn, ids: Iterable[str | None]) -> dict[str, Account]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    query = (
        "SELECT id, jurisdiction, type, state, holder, installation_id FROM registry_accounts "
        f"WHERE id IN ({sql.placeholders('a', len(wanted))})"
    )
    found = sql.rows(session, query, {f"a{i}": a for i, a in enumerate(wanted)})
    return {r[0]: Account(r[0], r[1], AccountType(r[2]), AccountState(r[3]), r[4], r[5]) for r in found}


def unit_type(session: Conn, code: str, *, lock: bool = False) -> UnitType | None:
    query = "SELECT code, jurisdiction, kind, vintage, origin, cap, issued FROM registry_unit_types WHERE code = :c"
    row = sql.one(session, query + (sql.for_update(session) if lock else ""), {"c": code})
    if row is None:
        return None
    return UnitType(row[0], row[1], UnitKind(row[2]), int(row[3]), row[4], int(row[5]), int(row[6]))


def context(
    session: Conn,
    key: str,
    unit: str,
    rep: str,
    authorising: Sequence[str],
    pair: tuple[str, str],
    now: dt.datetime,
    lock: Sequence[str] = (),
    guard: Guard | None = None,
) -> ProposalContext:
    """One query for what a proposal reads besides serial blocks. It also locks the holdings of
    `lock` (ascending account order, FOR UPDATE in scalar subqueries, evaluated left to right);
    a missing holding row comes back as None and is created and locked by the caller. A `guard`
    is evaluated in the same query (last) and raises GuardFailed unless it holds."""
    ordered = sorted(set(lock))
    query = _context_query(len(authorising), len(ordered), sql.for_update(session), guard.sql if guard else "")
    params: dict[str, Any] = {"key": key, "unit": unit, "rep": rep, "src": pair[0], "dst": pair[1]}
    params.update({f"l{i}": a for i, a in enumerate(authorising)})
    params.update({f"h{i}": a for i, a in enumerate(ordered)})
    if guard is not None:
        params.update(guard.params)
    existing, source, destination, unit_j, rep_state, rep_failures, links_found, action, effective_at, *held = sql.one(
        session, query, params
    )
    if guard is not None:
        guard.verify(held.pop())
    effective = utc(effective_at)
    locked = {a: _quantity_unavailable(held[i]) for i, a in enumerate(ordered) if held[i] is not None}
    return ProposalContext(
        existing=existing,
        source=_account(pair[0], source),
        destination=_account(pair[1], destination),
        unit_jurisdiction=unit_j,
        rep_state=RepresentativeState(rep_state or RepresentativeState.ACTIVE.value),
        rep_failures=int(rep_failures or 0),
        rep_authorised=rep_state is not None and int(links_found) > 0,
        trusted=action == "add" and effective is not None and effective <= now,
        locked=locked,
    )


def _quantity_unavailable(packed: str) -> tuple[int, int]:
    """(quantity, units not available: reserved for pending transactions + held by the market)."""
    quantity, reserved, market_held = packed.split(" ")
    return int(quantity), int(reserved) + int(market_held)


@lru_cache(maxsize=64)
def _context_query(links: int, locks: int, for_update: str, guard: str) -> str:
    """The text of `context`'s query for `links` authorising accounts and `locks` holdings, and a
    guard's subquery last when there is one (its shape, never its values, so the driver prepares it
    once per shape)."""
    trusted = (
        "FROM registry_trusted_changes WHERE account_id = :src AND trusted_account_id = :dst ORDER BY id DESC LIMIT 1"
    )
    account = (
        "SELECT type || '|' || state || '|' || jurisdiction || '|' || coalesce(installation_id, '') || '|' || holder "
        "FROM registry_accounts WHERE id = "
    )
    holding = "FROM registry_holdings WHERE unit_type = :unit AND account_id = "
    # Quantity, reserved and the market's holds come from ONE locked read: on PostgreSQL a row lock
    # that had to wait returns the row as the other transaction committed it, but a second, unlocked
    # subquery would still read the statement's older snapshot (a reserved figure from before a
    # concurrent pending transfer, or a market hold from before a concurrent sell order), and the
    # balance check would pass on a stale number. The market writes its holds onto this row
    # (services/market/settlement.change_unit_holds), so both serialize on the row lock.
    both = "CAST(quantity AS text) || ' ' || CAST(reserved AS text) || ' ' || CAST(market_held AS text)"
    held = "".join(f", (SELECT {both} {holding}:h{i}{for_update})" for i in range(locks))
    return (
        "SELECT (SELECT id FROM registry_transactions WHERE client_key = :key),"
        f" ({account}:src), ({account}:dst),"
        " (SELECT jurisdiction FROM registry_unit_types WHERE code = :unit),"
        " (SELECT state FROM registry_representatives WHERE id = :rep),"
        " (SELECT consecutive_failures FROM registry_representatives WHERE id = :rep),"
        " (SELECT count(*) FROM registry_account_representatives WHERE representative_id = :rep"
        f" AND account_id IN ({sql.placeholders('l', links) if links else 'NULL'})),"
        f" (SELECT action {trusted}), (SELECT effective_at {trusted}){held}" + (f", ({guard})" if guard else "")
    )


def _account(account_id: str, packed: str | None) -> Account | None:
    if packed is None:
        return None
    kind, state, jurisdiction, installation, holder = packed.split("|", 4)
    return Account(account_id, jurisdiction, AccountType(kind), AccountState(state), holder, installation or None)


def representative(session: Conn, rep_id: str, account_ids: Sequence[str]) -> tuple[RepresentativeState, bool, int]:
    """(state, authorised for one of `account_ids`, consecutive failures); unknown means not authorised."""
    found = context(session, "", "", rep_id, account_ids, ("", ""), dt.datetime.max.replace(tzinfo=dt.UTC))
    return found.rep_state, found.rep_authorised, found.rep_failures


def is_trusted(session: Conn, account_id: str, other_id: str, now: dt.datetime) -> bool:
    """The latest trusted-list change of the pair is an addition that has taken effect."""
    return context(session, "", "", "", [], (account_id, other_id), now).trusted


def record_failures(batch: Batch, rep_id: str, failures: int, previous: int, limit: int) -> None:
    """Store a representative's consecutive security failures (reset to 0, or one more, counted in
    SQL so that concurrent refusals are not lost) and suspend them at the policy's limit."""
    if failures == previous:
        return
    if failures == 0:
        batch.add("UPDATE registry_representatives SET consecutive_failures = 0 WHERE id = :fid", {"fid": rep_id})
        return
    suspended = RepresentativeState.SUSPENDED.value
    batch.add(
        "UPDATE registry_representatives SET consecutive_failures = consecutive_failures + 1, "
        "state = CASE WHEN :flimit > 0 AND consecutive_failures + 1 >= :flimit THEN :fstate ELSE state END "
        "WHERE id = :fid",
        {"flimit": limit, "fstate": suspended, "fid": rep_id},
    )


def by_key(session: Conn, client_key: str) -> Any:
    return _transaction(session, "client_key = :v", client_key, lock=False)


def by_id(session: Conn, transaction_id: str, *, lock: bool = False) -> Any:
    return _transaction(session, "id = :v", transaction_id, lock=lock)


def _transaction(session: Conn, where: str, value: str, *, lock: bool) -> Any:
    query = f"SELECT {', '.join(TRANSACTION_COLUMNS)} FROM registry_transactions WHERE {where}"
    row = sql.one(session, query + (sql.for_update(session) if lock else ""), {"v": value})
    if row is None:
        return None
    data = dict(zip(TRANSACTION_COLUMNS, row, strict=True))
    return Row({k: (utc(v) if k in _TIMES else v) for k, v in data.items()})


class Row:
    """Attribute access over a transaction row as a dict (read back, or just written)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__.update(data)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def view(row: Any) -> TransactionView:
    return TransactionView(
        id=row.id,
        client_key=row.client_key,
        type=TransactionType(row.type),
        state=TransactionState(row.state),
        response_code=ResponseCode(row.response_code),
        source_account=row.source_account,
        destination_account=row.destination_account,
        unit_type=row.unit_type,
        quantity=int(row.quantity),
        initiator=row.initiator,
        approver=row.approver,
        proposed_at=utc(row.proposed_at),  # type: ignore[arg-type]
        delay_until=utc(row.delay_until),
        resolved_at=utc(row.resolved_at),
    )


def request_of(row: Any) -> dict[str, object]:
    return dict(json.loads(row.request))


def insert_transaction(session: Conn, batch: Batch, row: dict[str, Any]) -> None:
    values = {c: (sql.when(session, row[c]) if c in _TIMES else row[c]) for c in TRANSACTION_COLUMNS}
    batch.insert("registry_transactions", TRANSACTION_COLUMNS, [values], first=True)


def update_transaction(session: Conn, batch: Batch, row: dict[str, Any]) -> None:
    changed = ("state", "response_code", "approver", "delay_until", "resolved_at")
    params = {f"u_{c}": (sql.when(session, row[c]) if c in _TIMES else row[c]) for c in changed}
    assignments = ", ".join(f"{c} = :u_{c}" for c in changed)
    batch.add(f"UPDATE registry_transactions SET {assignments} WHERE id = :u_id", {**params, "u_id": row["id"]})


def transition(
    session: Conn,
    batch: Batch,
    row: dict[str, Any],
    states: Sequence[TransactionState],
    code: ResponseCode,
    actor: str,
    now: dt.datetime,
) -> TransactionView:
    """Append the command's state event (one row listing `states` in order), the hash-chained log
    entry and the audit record, then send every write of the command. The chain head is locked
    last, just before the writes go out."""
    at = sql.when(session, now)
    event = {
        "transaction_id": row["id"],
        "state": states[-1].value,
        "states": ",".join(s.value for s in states),
        "response_code": code.value,
        "actor": actor,
        "at": at,
    }
    batch.insert("registry_transaction_events", EVENT_COLUMNS, [event])
    partition = partition_of(row["id"])
    payload = transaction_record(row)
    payload.update(format=LOG_FORMAT, states=event["states"], actor=actor, at=utc_text(now), transaction_id=row["id"])
    if sql.is_postgres(session):
        _append_in_one_statement(batch, partition, row["id"], payload)
    else:
        _append(session, batch, partition, row["id"], payload)
    detail = {"response_code": code.value, "log_chain": partition, "quantity": row["quantity"]}
    audit_row = {
        "at": at,
        "actor": actor,
        "action": f"registry.{row['type']}.{row['state']}",
        "subject": row["id"],
        "detail": canonical(origin.stamp(session.info, detail)),
        "idempotency_key": None,
    }
    batch.insert("audit_events", tuple(audit_row), [audit_row])
    batch.flush(session)
    return view(Row(row))


_LOG_COLUMNS = ("partition", "seq", "prev_hash", "hash", "transaction_id", "payload")


def log_trusted_change(session: Conn, change: dict[str, Any]) -> None:
    """A trusted-list change lets later transfers skip the second representative: it goes into the
    hash-chained log like a transaction, under the id `trusted-<row id>`."""
    record = trusted_record(change)
    entry_id = str(record["transaction_id"])
    batch = Batch()
    _append(session, batch, partition_of(entry_id), entry_id, {**record, "format": LOG_FORMAT})
    batch.flush(session)


def _append(session: Conn, batch: Batch, partition: int, transaction_id: str, payload: dict[str, Any]) -> None:
    """Lock the chain head, compute the next entry here, and queue its writes (SQLite)."""
    head = sql.one(
        session,
        f"SELECT seq, hash FROM registry_log_heads WHERE partition = :p{sql.for_update(session)}",
        {"p": partition},
    )
    entry = next_entry(partition, int(head[0]), head[1], payload)
    values = (entry.partition, entry.seq, entry.prev_hash, entry.hash, transaction_id, entry.payload)
    batch.insert("registry_log_entries", _LOG_COLUMNS, [dict(zip(_LOG_COLUMNS, values, strict=True))])
    batch.add(
        "UPDATE registry_log_heads SET seq = :hseq, hash = :hhash, prev_hash = :hprev WHERE partition = :hp",
        {"hseq": entry.seq, "hhash": entry.hash, "hprev": entry.prev_hash, "hp": partition},
    )


def _append_in_one_statement(batch: Batch, partition: int, transaction_id: str, payload: dict[str, Any]) -> None:
    """PostgreSQL: the head's UPDATE locks the chain, takes the next sequence number and computes
    the same SHA-256 as domain.registry.log.chain_hash from the locked row itself, and the entry is
    inserted from its RETURNING row, all inside the command's single write statement."""
    left, right = payload_around_seq(partition, payload)
    body = "CAST(:lleft AS text) || CAST(seq + 1 AS text) || CAST(:lright AS text)"
    batch.add(
        f"UPDATE registry_log_heads SET prev_hash = hash, seq = seq + 1, "
        f"hash = encode(sha256(convert_to(hash || chr(10) || {body}, 'UTF8')), 'hex') "
        "WHERE partition = :lp RETURNING seq, hash, prev_hash",
        {"lleft": left, "lright": right, "lp": partition},
        name="log_head",
    )
    batch.add(
        f"INSERT INTO registry_log_entries ({', '.join(_LOG_COLUMNS)}) SELECT :ep, seq, prev_hash, hash, :et, "
        "CAST(:eleft AS text) || CAST(seq AS text) || CAST(:eright AS text) FROM log_head",
        {"ep": partition, "et": transaction_id, "eleft": left, "eright": right},
    )


def national_accounts(session: Conn, jurisdiction: str) -> list[str]:
    query = "SELECT id FROM registry_accounts WHERE jurisdiction = :j AND type = :t ORDER BY id"
    return [r[0] for r in sql.rows(session, query, {"j": jurisdiction, "t": AccountType.NATIONAL_HOLDING.value})]


def reversal_of(session: Conn, transaction_id: str) -> Any:
    """A completed or pending reversal of the transaction, if any (a transaction is reversed once)."""
    query = "SELECT id FROM registry_transactions WHERE reverses = :t AND state <> :s"
    return sql.one(session, query, {"t": transaction_id, "s": TransactionState.TERMINATED.value})
