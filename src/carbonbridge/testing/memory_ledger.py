"""An in-memory registry ledger: the ledger port (services/registry/ports.py) on dicts, for service
tests that run in milliseconds and for the model test's third implementation.

It keeps the domain's own rules where the SQL adapter keeps them in SQL: serial blocks are taken
and split by domain.registry.blocks.take, log entries chained by domain.registry.log.next_entry,
and the conservation check reads a domain.registry.conservation.LedgerSnapshot. `run` works on a
copy of the state and keeps it only if the work returns, so a command that raises leaves nothing
behind, as a rolled-back database transaction. One process, one caller at a time: there is no
concurrency to retry. It models one registry without a linking agreement: a link transfer is
refused (Conflict), and units of another registry are not eligible for surrender.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from carbonbridge.adapters.policy_config import load_policy, timezone_of
from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.registry.blocks import SerialBlock, take
from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
from carbonbridge.domain.registry.conservation import LedgerSnapshot
from carbonbridge.domain.registry.log import (
    GENESIS,
    LOG_FORMAT,
    PARTITIONS,
    ChainProblem,
    LogEntry,
    next_entry,
    partition_of,
    transaction_record,
    utc_text,
    verify_chain,
)
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
    UnitType,
)
from carbonbridge.domain.registry.policy import SecurityPolicy
from carbonbridge.domain.registry.records import Holding, ProposalContext, TransactionRecord

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredBlock:
    id: int
    unit_type: str
    start: int
    end: int
    account_id: str
    reserved_by: str | None

    @property
    def serials(self) -> SerialBlock:
        return SerialBlock(self.unit_type, self.start, self.end, self.id)


@dataclass(frozen=True, slots=True)
class Representative:
    state: RepresentativeState
    consecutive_failures: int
    accounts: frozenset[str]


@dataclass(frozen=True, slots=True)
class TrustedChange:
    action: str  # "add" or "remove"
    effective_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Posting:
    transaction_id: str
    account_id: str
    unit_type: str
    amount: int


@dataclass
class LedgerState:
    """Every table of the registry as a container of frozen values (so a shallow copy is a snapshot)."""

    unit_types: dict[str, UnitType] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    representatives: dict[str, Representative] = field(default_factory=dict)
    trusted: dict[tuple[str, str], TrustedChange] = field(default_factory=dict)  # the latest change of a pair
    holdings: dict[tuple[str, str], Holding] = field(default_factory=dict)  # (account, unit type)
    blocks: dict[int, StoredBlock] = field(default_factory=dict)
    transactions: dict[str, TransactionRecord] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, str, ResponseCode, str, dt.datetime]] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    movements: list[tuple[str, SerialBlock, str | None, str]] = field(default_factory=list)
    heads: dict[int, tuple[int, str]] = field(default_factory=lambda: {p: (0, GENESIS) for p in range(PARTITIONS)})
    entries: list[LogEntry] = field(default_factory=list)
    audit: list[tuple[dt.datetime, str, str, str, dict[str, object]]] = field(default_factory=list)
    next_block: int = 1

    def copy(self) -> LedgerState:
        draft = copy.copy(self)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict | list):
                setattr(draft, f.name, value.copy())
        return draft


class MemoryLedger:
    """The ledger of one command (implements services.registry.ports.Ledger) on a LedgerState."""

    def __init__(self, state: LedgerState) -> None:
        self.state = state

    # -- configuration: the same shipped configuration as the SQL ledger's, so both agree -------
    def policy(self, jurisdiction: str) -> SecurityPolicy:
        return load_policy(jurisdiction)

    def timezone(self, jurisdiction: str) -> dt.tzinfo:
        return timezone_of(jurisdiction)

    # -- reads ---------------------------------------------------------------------------------
    def context(self, request: TransactionRequest, authorising: Sequence[str], now: dt.datetime) -> ProposalContext:
        s = self.state
        pair = (request.source_account or "", request.destination_account)
        unit = s.unit_types.get(request.unit_type)
        rep = s.representatives.get(request.initiator)
        locked = {
            a: (h.quantity, h.reserved + h.market_held)
            for a in sorted({a for a in pair if a})
            if (h := s.holdings.get((a, request.unit_type))) is not None
        }
        return ProposalContext(
            existing=s.by_key.get(request.client_key),
            source=s.accounts.get(pair[0]),
            destination=s.accounts.get(pair[1]),
            unit_jurisdiction=unit.jurisdiction if unit else None,
            rep_state=rep.state if rep else RepresentativeState.ACTIVE,
            rep_failures=rep.consecutive_failures if rep else 0,
            rep_authorised=rep is not None and bool(rep.accounts & set(authorising)),
            trusted=self.is_trusted(pair[0], pair[1], now),
            locked=locked,
        )

    def existing(self, client_key: str) -> TransactionRecord | None:
        found = self.state.by_key.get(client_key)
        return None if found is None else self.state.transactions[found]

    def transaction(self, transaction_id: str, *, lock: bool = False) -> TransactionRecord | None:
        return self.state.transactions.get(transaction_id)

    def reversal_of(self, transaction_id: str) -> str | None:
        found = [
            t.id
            for t in self.state.transactions.values()
            if t.reverses == transaction_id and t.state is not TransactionState.TERMINATED
        ]
        return found[0] if found else None

    def accounts(self, ids: Iterable[str | None]) -> dict[str, Account]:
        return {i: self.state.accounts[i] for i in ids if i and i in self.state.accounts}

    def national_accounts(self, jurisdiction: str) -> list[str]:
        national = AccountType.NATIONAL_HOLDING
        found = self.state.accounts.values()
        return sorted(a.id for a in found if a.jurisdiction == jurisdiction and a.type is national)

    def unit_type(self, code: str, *, lock: bool = False) -> UnitType | None:
        return self.state.unit_types.get(code)

    def representative(self, rep_id: str, account_ids: Sequence[str]) -> tuple[RepresentativeState, bool, int]:
        rep = self.state.representatives.get(rep_id)
        if rep is None:
            return RepresentativeState.ACTIVE, False, 0
        return rep.state, bool(rep.accounts & set(account_ids)), rep.consecutive_failures

    def is_trusted(self, account_id: str, other_id: str, now: dt.datetime) -> bool:
        latest = self.state.trusted.get((account_id, other_id))
        return latest is not None and latest.action == "add" and latest.effective_at <= now

    def due(
        self, now: dt.datetime, limit: int, jurisdictions: Collection[str] | None, only: TransactionType | None
    ) -> list[str]:
        found = [
            (t.delay_until, t.id)
            for t in self.state.transactions.values()
            if t.state is TransactionState.DELAYED
            and t.delay_until is not None
            and t.delay_until <= now
            and (jurisdictions is None or t.jurisdiction in jurisdictions)
            and (only is None or t.type is only)
        ]
        return [i for _, i in sorted(found)[:limit]]

    def holdings(self, account_id: str) -> list[Holding]:
        return sorted((h for (a, _), h in self.state.holdings.items() if a == account_id), key=lambda h: h.unit_type)

    # -- writes --------------------------------------------------------------------------------
    def lock_holdings(self, unit_type: str, account_ids: Iterable[str]) -> dict[str, Holding]:
        found = {}
        for account_id in sorted(set(account_ids)):
            key = (account_id, unit_type)
            found[account_id] = self.state.holdings.setdefault(key, Holding(account_id, unit_type, 0, 0))
        return found

    def record_failures(self, rep_id: str, failures: int, previous: int, limit: int) -> None:
        rep = self.state.representatives.get(rep_id)
        if failures == previous or rep is None:
            return
        if failures == 0:
            self.state.representatives[rep_id] = dataclasses.replace(rep, consecutive_failures=0)
            return
        counted = rep.consecutive_failures + 1  # counted from the stored value, as the SQL does
        state = RepresentativeState.SUSPENDED if 0 < limit <= counted else rep.state
        self.state.representatives[rep_id] = dataclasses.replace(rep, consecutive_failures=counted, state=state)

    def reserve(self, tx: TransactionRecord) -> None:
        source = _source(tx)
        self._take(tx, source, owner=source, reserved_by=tx.id)
        self._change_holding(source, tx.unit_type, reserved=tx.quantity)

    def release(self, tx: TransactionRecord) -> None:
        reserved = self._reserved_for(tx.id)
        assert reserved, "no reserved blocks for a pending transaction"
        for block in reserved:
            self.state.blocks[block.id] = dataclasses.replace(block, reserved_by=None)
        self._change_holding(_source(tx), tx.unit_type, reserved=-tx.quantity)

    def move_free(self, tx: TransactionRecord) -> None:
        moved = self._take(tx, _source(tx), owner=tx.destination_account, reserved_by=None)
        self._post(tx, moved, reserved=False)

    def move_reserved(self, tx: TransactionRecord) -> None:
        reserved = self._reserved_for(tx.id)
        units = sum(b.end - b.start + 1 for b in reserved)
        if units != tx.quantity:
            raise Conflict(f"transaction {tx.id} reserved {units} units, not {tx.quantity}")
        for block in reserved:
            moved = dataclasses.replace(block, account_id=tx.destination_account, reserved_by=None)
            self.state.blocks[block.id] = moved
        self._post(tx, [b.serials for b in reserved], reserved=True)

    def issue(self, tx: TransactionRecord, block: SerialBlock) -> None:
        s, destination = self.state, tx.destination_account
        self._new_block(block.unit_type, block.start, block.end, destination, None)
        s.movements.append((tx.id, SerialBlock(block.unit_type, block.start, block.end), None, destination))
        s.postings += [
            Posting(tx.id, _source(tx), block.unit_type, -block.size),
            Posting(tx.id, destination, block.unit_type, block.size),
        ]
        self._change_holding(destination, block.unit_type, quantity=block.size)
        s.unit_types[block.unit_type] = dataclasses.replace(s.unit_types[block.unit_type], issued=block.end)

    def append(
        self, tx: TransactionRecord, states: Sequence[TransactionState], actor: str, now: dt.datetime, *, new: bool
    ) -> TransactionView:
        s = self.state
        if new:
            if tx.client_key in s.by_key or tx.id in s.transactions:
                raise Conflict(f"transaction {tx.id} (client key {tx.client_key!r}) is already recorded")
            s.by_key[tx.client_key] = tx.id
        elif tx.id not in s.transactions:
            raise Conflict(f"transaction {tx.id} is not recorded")
        s.transactions[tx.id] = tx
        listed = ",".join(state.value for state in states)
        s.events.append((tx.id, listed, tx.response_code, actor, now))
        payload = transaction_record(tx.as_row())
        payload.update(format=LOG_FORMAT, states=listed, actor=actor, at=utc_text(now), transaction_id=tx.id)
        partition = partition_of(tx.id)
        seq, head = s.heads[partition]
        entry = next_entry(partition, seq, head, payload)
        s.entries.append(entry)
        s.heads[partition] = (entry.seq, entry.hash)
        detail: dict[str, object] = {
            "response_code": tx.response_code.value,
            "log_chain": partition,
            "quantity": tx.quantity,
        }
        s.audit.append((now, actor, f"registry.{tx.type.value}.{tx.state.value}", tx.id, detail))
        return tx.view()

    def audit(self, now: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
        self.state.audit.append((now, actor, action, subject, dict(detail)))

    # -- no linking agreement in memory --------------------------------------------------------
    def foreign_surrender_code(
        self, jurisdiction: str, source_account: str, installation_id: str, year: int, quantity: int
    ) -> ResponseCode:
        return ResponseCode.UNIT_NOT_ELIGIBLE  # no agreed share: foreign units do not count here

    def link_gate(self, link_account: str) -> None:
        raise Conflict(f"the in-memory ledger has no linking agreement: no link transfer to {link_account}")

    def link_gate_closed(self, link_account: str) -> bool:
        raise Conflict(f"the in-memory ledger has no linking agreement: no link transfer to {link_account}")

    def link_checked(self, tx: TransactionRecord, now: dt.datetime) -> None:
        raise Conflict(f"the in-memory ledger has no linking agreement: transaction {tx.id} cannot be sent")

    # -- helpers -------------------------------------------------------------------------------
    def _take(self, tx: TransactionRecord, source: str, *, owner: str, reserved_by: str | None) -> list[SerialBlock]:
        """domain.registry.blocks.take over the source's free blocks: whole blocks change hands, the
        last one splits (it keeps its first serial; its last units move as a new block)."""
        free = sorted(
            (b for b in self.state.blocks.values() if b.account_id == source and b.unit_type == tx.unit_type
             and b.reserved_by is None),
            key=lambda b: b.start,
        )  # fmt: skip
        plan = take([b.serials for b in free], tx.quantity)
        for whole in plan.whole:
            assert whole.id is not None
            stored = self.state.blocks[whole.id]
            self.state.blocks[whole.id] = dataclasses.replace(stored, account_id=owner, reserved_by=reserved_by)
        if plan.split is not None:
            assert plan.split.id is not None
            stored = self.state.blocks[plan.split.id]
            self.state.blocks[stored.id] = dataclasses.replace(stored, end=plan.split_rest_end)
            self._new_block(tx.unit_type, plan.split_rest_end + 1, stored.end, owner, reserved_by)
        return [SerialBlock(b.unit_type, b.start, b.end) for b in plan.moved]

    def _new_block(self, unit_type: str, start: int, end: int, account_id: str, reserved_by: str | None) -> None:
        block_id = self.state.next_block
        self.state.next_block += 1
        self.state.blocks[block_id] = StoredBlock(block_id, unit_type, start, end, account_id, reserved_by)

    def _reserved_for(self, transaction_id: str) -> list[StoredBlock]:
        return sorted((b for b in self.state.blocks.values() if b.reserved_by == transaction_id), key=lambda b: b.start)

    def _post(self, tx: TransactionRecord, moved: Sequence[SerialBlock], *, reserved: bool) -> None:
        """Movements and double entry: -quantity on the source, +quantity on the destination."""
        source, destination, unit = _source(tx), tx.destination_account, tx.unit_type
        self.state.movements += [(tx.id, block, source, destination) for block in moved]
        self.state.postings += [
            Posting(tx.id, source, unit, -tx.quantity),
            Posting(tx.id, destination, unit, tx.quantity),
        ]
        self._change_holding(source, unit, quantity=-tx.quantity, reserved=-tx.quantity if reserved else 0)
        self._change_holding(destination, unit, quantity=tx.quantity)

    def _change_holding(self, account_id: str, unit_type: str, *, quantity: int = 0, reserved: int = 0) -> None:
        """Change a holding locked (so created) before, as the SQL's UPDATE of an existing row."""
        key = (account_id, unit_type)
        held = self.state.holdings[key]
        self.state.holdings[key] = dataclasses.replace(
            held, quantity=held.quantity + quantity, reserved=held.reserved + reserved
        )


def _source(tx: TransactionRecord) -> str:
    assert tx.source_account is not None, "a transaction that moves units has a source account"
    return tx.source_account


class MemoryLedgers:
    """Registry commands on a LedgerState (implements services.registry.ports.Ledgers), with the
    set-up and the checks a test needs besides the commands."""

    def __init__(self) -> None:
        self.state = LedgerState()

    def run(self, work: Callable[[MemoryLedger], T], *, command: str, now: dt.datetime) -> T:
        """`work` on a copy of the state, kept only if `work` returns (a rollback otherwise)."""
        draft = self.state.copy()
        result = work(MemoryLedger(draft))
        self.state = draft
        return result

    # -- set-up (services/registry/accounts.py does these in SQL) ------------------------------
    def create_unit_type(self, unit: UnitType) -> None:
        """The unit type, and the jurisdiction's issuance and deletion accounts (if new)."""
        for kind, suffix in ((AccountType.ISSUANCE, "ISSUANCE"), (AccountType.DELETION, "DELETION")):
            account_id = f"{unit.jurisdiction}-{suffix}"
            if account_id not in self.state.accounts:
                holder = f"{unit.jurisdiction} registry"
                self.open_account(Account(account_id, unit.jurisdiction, kind, AccountState.OPEN, holder, None))
        self.state.unit_types[unit.code] = unit

    def open_account(self, account: Account) -> None:
        self.state.accounts[account.id] = account

    def add_representative(self, representative_id: str, account_ids: Iterable[str]) -> None:
        rep = self.state.representatives.get(representative_id)
        accounts = frozenset(account_ids) | (rep.accounts if rep else frozenset())
        state, failures = (rep.state, rep.consecutive_failures) if rep else (RepresentativeState.ACTIVE, 0)
        self.state.representatives[representative_id] = Representative(state, failures, accounts)

    def change_trusted(self, account_id: str, trusted_account_id: str, *, add: bool, effective_at: dt.datetime) -> None:
        change = TrustedChange("add" if add else "remove", effective_at)
        self.state.trusted[(account_id, trusted_account_id)] = change

    # -- checks --------------------------------------------------------------------------------
    def snapshot(self) -> LedgerSnapshot:
        """The records the conservation check reads (domain.registry.conservation)."""
        s = self.state
        posted: dict[tuple[str, str], int] = defaultdict(int)
        per_transaction: dict[tuple[str, str], int] = defaultdict(int)
        for p in s.postings:
            posted[(p.account_id, p.unit_type)] += p.amount
            per_transaction[(p.transaction_id, p.unit_type)] += p.amount
        in_blocks: dict[tuple[str, str], int] = defaultdict(int)
        reserved: dict[tuple[str, str], int] = defaultdict(int)
        for b in s.blocks.values():
            in_blocks[(b.account_id, b.unit_type)] += b.end - b.start + 1
            if b.reserved_by is not None:
                reserved[(b.account_id, b.unit_type)] += b.end - b.start + 1
        return LedgerSnapshot(
            issued={code: u.issued for code, u in s.unit_types.items()},
            kinds={a.id: a.type.value for a in s.accounts.values()},
            held={key: (h.quantity, h.reserved, h.market_held) for key, h in s.holdings.items()},
            posted=dict(posted),
            in_blocks=dict(in_blocks),
            reserved=dict(reserved),
            unbalanced=sorted({t for (t, _), n in per_transaction.items() if n != 0}),
            blocks=[SerialBlock(b.unit_type, b.start, b.end) for b in s.blocks.values()],
        )

    def verify_log(self) -> list[ChainProblem]:
        """Every hash chain recomputed and compared with its head (domain.registry.log.verify_chain)."""
        problems: list[ChainProblem] = []
        for partition, (seq, head) in sorted(self.state.heads.items()):
            chain = [e for e in self.state.entries if e.partition == partition]
            problems += verify_chain(partition, chain, (seq, head))
        return problems

    def resolved_twice(self) -> list[str]:
        """Transactions with more than one completing or terminating state event (never allowed)."""
        ends = [t for t, states, *_ in self.state.events if states.split(",")[-1] in ("completed", "terminated")]
        return sorted({t for t in ends if ends.count(t) > 1})


if TYPE_CHECKING:  # the fake implements the port (checked by mypy)
    from carbonbridge.services.registry.ports import Ledgers

    _IMPLEMENTS_THE_PORT: Ledgers = MemoryLedgers()
