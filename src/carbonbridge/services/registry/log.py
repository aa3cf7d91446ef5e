"""Writing and verifying the independent transaction log (hash chains, see domain/registry/log.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db.registry.tables import (
    EVENTS,
    LOG_ENTRIES,
    LOG_HEADS,
    MOVEMENTS,
    POSTINGS,
    TRANSACTIONS,
    TRUSTED,
)
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.registry.history import (
    EventRecord,
    MovementRecord,
    PostingRecord,
    event_differences,
    ledger_differences,
    row_differences,
)
from carbonbridge.domain.registry.log import (
    LOG_FORMAT,
    PARTITIONS,
    ChainProblem,
    LogEntry,
    anchor,
    transaction_record,
    trusted_record,
    utc_text,
    verify_chain,
)

T = TypeVar("T")
VERIFY_PAGE = 5000


@dataclass
class LogReport:
    entries: int = 0
    transactions: int = 0
    trusted_changes: int = 0
    anchor: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain(session: Session, partition: int) -> list[tuple[LogEntry, str]]:
    """A chain's entries in sequence order, each with the transaction id stored beside it."""
    entries: list[tuple[LogEntry, str]] = []
    last = -1
    while True:  # paged by seq; bounded by the chain's length
        page = session.execute(
            select(LOG_ENTRIES)
            .where(LOG_ENTRIES.c.partition == partition, LOG_ENTRIES.c.seq > last)
            .order_by(LOG_ENTRIES.c.seq)
            .limit(VERIFY_PAGE)
        ).all()
        entries += [(LogEntry(r.partition, r.seq, r.prev_hash, r.hash, r.payload), r.transaction_id) for r in page]
        if len(page) < VERIFY_PAGE:
            return entries
        last = page[-1].seq


def _grouped(session: Session, table: Table, make: Callable[[Any], T]) -> dict[str, list[T]]:
    """Rows of a per-transaction history table, grouped by transaction in insertion (id) order."""
    grouped: dict[str, list[T]] = defaultdict(list)
    for row in session.execute(select(table).order_by(table.c.id)):
        grouped[row.transaction_id].append(make(row))
    return grouped


def _cross_check(session: Session, logged: dict[str, list[dict[str, object]]], report: LogReport) -> None:
    """Every transaction's row, state events, postings and block movements must agree with its log
    entries (domain.registry.history), and every log entry must belong to a transaction."""
    events = _grouped(
        session, EVENTS, lambda r: EventRecord(r.state, r.states, r.response_code, r.actor, utc_text(r.at))
    )
    postings = _grouped(session, POSTINGS, lambda r: PostingRecord(r.account_id, r.unit_type, int(r.amount)))
    movements = _grouped(
        session,
        MOVEMENTS,
        lambda r: MovementRecord(r.unit_type, int(r.start_serial), int(r.end_serial), r.from_account, r.to_account),
    )
    seen: set[str] = set()
    for row in session.execute(select(TRANSACTIONS)).mappings():
        report.transactions += 1
        seen.add(row["id"])
        entries = logged.get(row["id"])
        if not entries:
            report.problems.append(f"transaction {row['id']}: no entry in the transaction log")
            continue
        record = transaction_record(dict(row))
        differing = row_differences(record, entries[-1])
        if differing:
            report.problems.append(f"transaction {row['id']}: differs from its log entry in {', '.join(differing)}")
        found = event_differences(events.get(row["id"], []), entries)
        found += ledger_differences(
            entries[-1] if entries[-1].get("format") == LOG_FORMAT else record,
            postings.get(row["id"], []),
            movements.get(row["id"], []),
        )
        report.problems += [f"transaction {row['id']}: {problem}" for problem in found]
    for change in session.execute(select(TRUSTED)).mappings():
        report.trusted_changes += 1
        record = trusted_record(dict(change))
        entry_id = str(record["transaction_id"])
        seen.add(entry_id)
        entries = logged.get(entry_id)
        if not entries:
            report.problems.append(f"trusted-list change {change['id']}: no entry in the transaction log")
            continue
        differing = [f for f in record if entries[-1].get(f) != record[f]]
        if differing or len(entries) != 1:
            report.problems.append(
                f"trusted-list change {change['id']}: differs from its log entry in "
                f"{', '.join(differing) or 'the number of entries'}"
            )
    for orphan in sorted(set(logged) - seen):
        report.problems.append(f"log entry for transaction {orphan} that the ledger does not have")
    strays = (set(events) | set(postings) | set(movements)) - seen
    report.problems += [f"history rows for transaction {t} that the ledger does not have" for t in sorted(strays)]


def verify_log(sessions: sessionmaker[Session]) -> LogReport:
    """Recompute every chain, compare with its head, and cross-check the transactions table."""
    report = LogReport()
    logged: dict[str, list[dict[str, object]]] = defaultdict(list)
    with unit_of_work(sessions) as session:
        stored_heads = session.execute(select(LOG_HEADS)).all()
        heads = {r.partition: (r.seq, r.hash) for r in stored_heads}
        head_prev = {r.partition: r.prev_hash for r in stored_heads}
        if sorted(heads) != list(range(PARTITIONS)):
            report.problems.append(f"expected chain heads 0-{PARTITIONS - 1}, found {sorted(heads)}")
        partitions = sorted(set(heads) | set(session.scalars(select(LOG_ENTRIES.c.partition).distinct())))
        problems: list[ChainProblem] = []
        for partition in partitions:
            stored = _chain(session, partition)
            chain = [entry for entry, _ in stored]
            report.entries += len(chain)
            problems += verify_chain(partition, chain, heads.get(partition), head_prev.get(partition))
            for entry, transaction_id in stored:
                content = json.loads(entry.payload)
                logged[str(content.get("transaction_id"))].append(content)
                if content.get("transaction_id") != transaction_id:
                    report.problems.append(
                        f"log chain {partition} entry {entry.seq}: stored beside transaction {transaction_id}, "
                        f"records {content.get('transaction_id')}"
                    )
        report.problems += [p.render() for p in problems]
        _cross_check(session, logged, report)
        report.anchor = anchor(heads)
    return report
