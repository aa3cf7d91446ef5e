"""The ledger's history checked against the independent transaction log.

The log (hash-chained, see log.py) is the record an insider cannot rewrite unseen. Every other
history table is checked against it, transaction by transaction:
- the transaction row: every column (who proposed and approved, when, under which client key,
  the request) equals its latest log entry;
- the state events: one per log entry, in the same order, with the same states, code, actor and time;
- the postings and serial-block movements: exactly what the transaction's final state implies
  (a completed transaction posts -quantity on its source and +quantity on its destination and
  moves blocks of that many units between them; any other state posts and moves nothing).
Holdings and serial blocks are then checked against the postings by the conservation check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carbonbridge.domain.registry.log import LEGACY_FIELDS, LOG_FORMAT
from carbonbridge.domain.registry.model import TransactionState, TransactionType


@dataclass(frozen=True, slots=True)
class EventRecord:
    state: str
    states: str
    response_code: str
    actor: str
    at: str | None


@dataclass(frozen=True, slots=True)
class PostingRecord:
    account_id: str
    unit_type: str
    amount: int


@dataclass(frozen=True, slots=True)
class MovementRecord:
    unit_type: str
    start: int
    end: int
    from_account: str | None
    to_account: str


def row_differences(record: Mapping[str, object], logged: Mapping[str, object]) -> list[str]:
    """The fields in which a transaction row (as `log.transaction_record` renders it) differs from
    its latest log entry; an entry of format 1 only covers LEGACY_FIELDS."""
    fields = [f for f in record if f != "id"] if logged.get("format") == LOG_FORMAT else list(LEGACY_FIELDS)
    return [f for f in fields if logged.get(f) != record.get(f)]


def event_differences(events: Sequence[EventRecord], entries: Sequence[Mapping[str, object]]) -> list[str]:
    """Problems between a transaction's state events (oldest first) and its log entries (chain order)."""
    if len(events) != len(entries):
        return [f"{len(events)} state events but {len(entries)} log entries"]
    problems = []
    for n, (event, entry) in enumerate(zip(events, entries, strict=True), start=1):
        fields = EventRecord.__slots__ if entry.get("format") == LOG_FORMAT else ("state", "response_code", "actor")
        differing = [f for f in fields if getattr(event, f) != _text(entry.get(f))]
        if differing:
            problems.append(f"state event {n} differs from its log entry in {', '.join(differing)}")
    return problems


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def ledger_differences(
    record: Mapping[str, object], postings: Sequence[PostingRecord], movements: Sequence[MovementRecord]
) -> list[str]:
    """Problems between a transaction (as logged) and the postings and block movements stored for it."""
    quantity, unit = int(str(record["quantity"])), str(record["unit_type"])
    source, destination = record["source_account"], str(record["destination_account"])
    completed = record["state"] == TransactionState.COMPLETED.value
    expected_postings: Counter[PostingRecord] = Counter()
    if completed:
        expected_postings.update(
            [PostingRecord(str(source), unit, -quantity), PostingRecord(destination, unit, quantity)]
        )
    problems = []
    if Counter(postings) != expected_postings:
        problems.append("postings differ from what the transaction implies")
    moved_from = None if record["type"] == TransactionType.ISSUANCE.value else source
    wrong = [m for m in movements if (m.unit_type, m.from_account, m.to_account) != (unit, moved_from, destination)]
    moved = sum(m.end - m.start + 1 for m in movements)
    if wrong or moved != (quantity if completed else 0) or any(m.end < m.start for m in movements):
        problems.append("serial block movements differ from what the transaction implies")
    return problems
