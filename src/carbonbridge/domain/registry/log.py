"""The independent transaction log: hash-chained entries, each committing to its predecessor.

An entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON
(sorted keys, no spaces). Editing an entry breaks its own hash; deleting or reordering one
breaks the chain of sequence numbers and previous-hash links; cutting off the newest entries
is caught against the stored chain head. The log is split into a fixed number of chains
(partitions) so that concurrent transactions do not all queue on one head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64
PARTITIONS = 16
LOG_FORMAT = 2
"""Format 2 entries record every column of the transaction row; format 1 (no `format` key) only
LEGACY_FIELDS, so a rewrite of who acted, when, or under which key went unnoticed."""
LEGACY_FIELDS = ("type", "state", "response_code", "source_account", "destination_account", "unit_type", "quantity")
RECORDED_COLUMNS = (
    "id",
    "client_key",
    "jurisdiction",
    "type",
    "state",
    "response_code",
    "source_account",
    "destination_account",
    "unit_type",
    "quantity",
    "initiator",
    "approver",
    "installation_id",
    "compliance_year",
    "reverses",
    "proposed_at",
    "delay_until",
    "resolved_at",
)
"""Every column of a transaction row but `request`, which the log records as its SHA-256."""
_TIMES = frozenset({"proposed_at", "delay_until", "resolved_at"})
_INTEGERS = frozenset({"quantity", "compliance_year"})


def utc_text(value: object) -> str | None:
    """A stored time as UTC ISO 8601 text, whatever the driver handed back (aware, naive UTC, or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"not a time: {value!r}")
    moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return moment.isoformat()


def _recorded(column: str, value: object) -> object:
    if column in _TIMES:
        return utc_text(value)
    if column in _INTEGERS and value is not None:
        return int(str(value))
    return value


def transaction_record(row: Mapping[str, object]) -> dict[str, object]:
    """What the log records of a transaction row: every column, times as UTC text, the request
    (canonical JSON) as its SHA-256; the same function reads the row back for `verify-log`."""
    record = {c: _recorded(c, row[c]) for c in RECORDED_COLUMNS}
    record["request_sha256"] = hashlib.sha256(str(row["request"]).encode()).hexdigest()
    return record


TRUSTED_PREFIX = "trusted-"
TRUSTED_COLUMNS = ("account_id", "trusted_account_id", "action", "at", "effective_at", "actor")


def trusted_record(row: Mapping[str, object]) -> dict[str, object]:
    """What the log records of a trusted-list change (its own entry, named `trusted-<row id>`)."""
    record: dict[str, object] = {
        c: (utc_text(row[c]) if c in ("at", "effective_at") else row[c]) for c in TRUSTED_COLUMNS
    }
    record["transaction_id"] = f"{TRUSTED_PREFIX}{row['id']}"
    record["kind"] = "trusted_change"
    return record


def canonical(payload: Mapping[str, object]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, payload_json: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload_json}".encode()).hexdigest()


def partition_of(transaction_id: str) -> int:
    """Every entry of one transaction goes to the same chain, so its entries stay in order."""
    return int(hashlib.sha256(transaction_id.encode()).hexdigest()[:8], 16) % PARTITIONS


@dataclass(frozen=True, slots=True)
class LogEntry:
    partition: int
    seq: int
    prev_hash: str
    hash: str
    payload: str


def next_entry(partition: int, head_seq: int, head_hash: str, payload: Mapping[str, object]) -> LogEntry:
    body = canonical({**payload, "partition": partition, "seq": head_seq + 1})
    return LogEntry(partition, head_seq + 1, head_hash, chain_hash(head_hash, body), body)


def _members(items: Mapping[str, object]) -> str:
    return ",".join(f"{canonical({key: value})[1:-1]}" for key, value in sorted(items.items()))


def payload_around_seq(partition: int, payload: Mapping[str, object]) -> tuple[str, str]:
    """(left, right) with left + str(seq) + right == the entry's canonical payload for any seq, so a
    database can append the entry in one statement once it knows the next sequence number. Built
    member by member in canonical key order (no marker value is searched for, so no field value,
    however chosen, can clash with it)."""
    items = {key: value for key, value in payload.items() if key != "seq"}
    items["partition"] = partition
    before = _members({k: v for k, v in items.items() if k < "seq"})
    after = _members({k: v for k, v in items.items() if k > "seq"})
    return "{" + before + ("," if before else "") + '"seq":', ("," if after else "") + after + "}"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    partition: int
    seq: int
    message: str

    def render(self) -> str:
        return f"log chain {self.partition} entry {self.seq}: {self.message}"


def verify_chain(
    partition: int, entries: Iterable[LogEntry], head: tuple[int, str] | None, head_prev_hash: str | None = None
) -> list[ChainProblem]:
    """Problems in one chain, given its entries in stored order and its recorded head (seq, hash)
    and, where given, the head's record of the newest entry's previous hash."""
    problems: list[ChainProblem] = []
    expected_seq, prev, newest_prev = 1, GENESIS, GENESIS
    for entry in entries:
        newest_prev = entry.prev_hash
        if entry.seq != expected_seq:
            problems.append(ChainProblem(partition, entry.seq, f"expected entry {expected_seq}: deleted or reordered"))
        if entry.prev_hash != prev:
            problems.append(ChainProblem(partition, entry.seq, "does not link to the previous entry"))
        if chain_hash(entry.prev_hash, entry.payload) != entry.hash:
            problems.append(ChainProblem(partition, entry.seq, "hash does not match its content: edited"))
        try:
            content = json.loads(entry.payload)
        except ValueError:
            content = {}
        if content.get("seq") != entry.seq or content.get("partition") != partition:
            problems.append(ChainProblem(partition, entry.seq, "content names another position: moved"))
        expected_seq, prev = entry.seq + 1, entry.hash
    head_seq, head_hash = head if head is not None else (0, GENESIS)
    if (expected_seq - 1, prev) != (head_seq, head_hash):
        message = f"chain ends at {expected_seq - 1}, head says {head_seq}: truncated or head edited"
        problems.append(ChainProblem(partition, expected_seq - 1, message))
    if head_prev_hash is not None and head_prev_hash != newest_prev:
        problems.append(ChainProblem(partition, expected_seq - 1, "head's previous hash differs from its entry's"))
    return problems


def anchor(heads: Mapping[int, tuple[int, str]]) -> str:
    """One digest over all chain heads; publishing it lets anyone detect a rewrite of the whole log."""
    return hashlib.sha256(canonical({str(p): list(h) for p, h in sorted(heads.items())}).encode()).hexdigest()
