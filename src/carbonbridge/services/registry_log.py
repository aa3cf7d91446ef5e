"""Writing and verifying the independent transaction log (hash chains, see domain/registry/log.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db.registry_models import RegistryLogEntryRow, RegistryLogHeadRow, RegistryTransactionRow
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.registry.log import (
    PARTITIONS,
    ChainProblem,
    LogEntry,
    anchor,
    verify_chain,
)
from carbonbridge.services.registry_rows import LOGGED_FIELDS

HEADS: Table = RegistryLogHeadRow.__table__  # type: ignore[assignment]
ENTRIES: Table = RegistryLogEntryRow.__table__  # type: ignore[assignment]
TRANSACTIONS: Table = RegistryTransactionRow.__table__  # type: ignore[assignment]
VERIFY_PAGE = 5000


@dataclass
class LogReport:
    entries: int = 0
    transactions: int = 0
    anchor: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain(session: Session, partition: int) -> list[LogEntry]:
    entries: list[LogEntry] = []
    last = -1
    while True:  # paged by seq; bounded by the chain's length
        page = session.execute(
            select(ENTRIES)
            .where(ENTRIES.c.partition == partition, ENTRIES.c.seq > last)
            .order_by(ENTRIES.c.seq)
            .limit(VERIFY_PAGE)
        ).all()
        entries += [LogEntry(r.partition, r.seq, r.prev_hash, r.hash, r.payload) for r in page]
        if len(page) < VERIFY_PAGE:
            return entries
        last = page[-1].seq


def _cross_check(session: Session, latest: dict[str, dict[str, object]], report: LogReport) -> None:
    """Every transaction's current row must agree with its latest log entry, and vice versa."""
    seen: set[str] = set()
    for row in session.execute(select(TRANSACTIONS)).mappings():
        report.transactions += 1
        seen.add(row["id"])
        logged = latest.get(row["id"])
        if logged is None:
            report.problems.append(f"transaction {row['id']}: no entry in the transaction log")
            continue
        differing = [f for f in LOGGED_FIELDS if logged.get(f) != row[f]]
        if differing:
            report.problems.append(f"transaction {row['id']}: differs from its log entry in {', '.join(differing)}")
    for orphan in sorted(set(latest) - seen):
        report.problems.append(f"log entry for transaction {orphan} that the ledger does not have")


def verify_log(sessions: sessionmaker[Session]) -> LogReport:
    """Recompute every chain, compare with its head, and cross-check the transactions table."""
    report = LogReport()
    latest: dict[str, dict[str, object]] = {}
    with unit_of_work(sessions) as session:
        heads = {r.partition: (r.seq, r.hash) for r in session.execute(select(HEADS))}
        if sorted(heads) != list(range(PARTITIONS)):
            report.problems.append(f"expected chain heads 0-{PARTITIONS - 1}, found {sorted(heads)}")
        partitions = sorted(set(heads) | set(session.scalars(select(ENTRIES.c.partition).distinct())))
        problems: list[ChainProblem] = []
        for partition in partitions:
            chain = _chain(session, partition)
            report.entries += len(chain)
            problems += verify_chain(partition, chain, heads.get(partition))
            for entry in chain:
                content = json.loads(entry.payload)
                latest[str(content.get("transaction_id"))] = content
        report.problems += [p.render() for p in problems]
        _cross_check(session, latest, report)
        report.anchor = anchor(heads)
    return report
