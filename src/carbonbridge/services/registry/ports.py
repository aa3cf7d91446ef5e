"""The registry's ledger port: what one registry command reads and writes, and how it runs.

`Ledgers.run(work)` runs `work` in one database transaction with a `Ledger`, retrying (a bounded
number of times) what concurrency alone causes. The use cases in this package speak only these
two protocols and the domain's records; `adapters/db/registry/ledger.SqlLedgers` implements them
on SQLite and PostgreSQL, `testing/memory_ledger.MemoryLedgers` with dicts for fast tests.

Writes may be queued until `append` (the SQL adapter sends a command's writes as one statement
on PostgreSQL), so a command ends with `append` or `audit`, which send everything queued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
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

T = TypeVar("T")
PolicyFor = Callable[[str], SecurityPolicy]
"""The security policy of a jurisdiction; a use case given none asks its ledger (`Ledger.policy`)."""


class Ledger(Protocol):
    """One registry command's view of the ledger, inside one database transaction."""

    # -- configuration -------------------------------------------------------------------------
    def policy(self, jurisdiction: str) -> SecurityPolicy:
        """The jurisdiction's registry security policy (the process's configuration)."""
        ...

    def timezone(self, jurisdiction: str) -> dt.tzinfo:
        """The jurisdiction's time zone, for the delay window's working days."""
        ...

    # -- reads ---------------------------------------------------------------------------------
    def context(self, request: TransactionRequest, authorising: Sequence[str], now: dt.datetime) -> ProposalContext:
        """What a proposal is checked against, in one read; also locks the holdings of the
        request's source and destination (ascending account order) where they exist."""
        ...

    def existing(self, client_key: str) -> TransactionRecord | None:
        """The transaction recorded under a client key, if any."""
        ...

    def transaction(self, transaction_id: str, *, lock: bool = False) -> TransactionRecord | None: ...

    def reversal_of(self, transaction_id: str) -> str | None:
        """The id of a completed or pending reversal of the transaction, if any."""
        ...

    def accounts(self, ids: Iterable[str | None]) -> Mapping[str, Account]: ...

    def national_accounts(self, jurisdiction: str) -> list[str]: ...

    def unit_type(self, code: str, *, lock: bool = False) -> UnitType | None: ...

    def representative(self, rep_id: str, account_ids: Sequence[str]) -> tuple[RepresentativeState, bool, int]:
        """(state, authorised for one of `account_ids`, consecutive failures); unknown: not authorised."""
        ...

    def is_trusted(self, account_id: str, other_id: str, now: dt.datetime) -> bool:
        """The latest trusted-list change of the pair is an addition that has taken effect."""
        ...

    def due(
        self, now: dt.datetime, limit: int, jurisdictions: Collection[str] | None, only: TransactionType | None
    ) -> list[str]:
        """Delayed transactions whose window ended by `now`, oldest first, at most `limit`."""
        ...

    def holdings(self, account_id: str) -> list[Holding]:
        """The account's holdings, by unit type."""
        ...

    # -- writes --------------------------------------------------------------------------------
    def lock_holdings(self, unit_type: str, account_ids: Iterable[str]) -> Mapping[str, Holding]:
        """Lock (creating if absent) the holdings of `unit_type` in the accounts, in id order."""
        ...

    def record_failures(self, rep_id: str, failures: int, previous: int, limit: int) -> None:
        """A representative's consecutive security failures (0 resets); suspended at `limit` (> 0)."""
        ...

    def reserve(self, tx: TransactionRecord) -> None:
        """Earmark the transaction's units in its source account (lowest serials first)."""
        ...

    def release(self, tx: TransactionRecord) -> None:
        """Undo `reserve`: the units are free again in the source account."""
        ...

    def move_free(self, tx: TransactionRecord) -> None:
        """Move the transaction's units now: serial blocks, movements, postings, both holdings."""
        ...

    def move_reserved(self, tx: TransactionRecord) -> None:
        """Complete a pending transaction: its reserved blocks change owner."""
        ...

    def issue(self, tx: TransactionRecord, block: SerialBlock) -> None:
        """A new block of fresh serials from the issuance account (the transaction's source) into
        its destination; the unit type's issued count grows by the block's size."""
        ...

    def append(
        self, tx: TransactionRecord, states: Sequence[TransactionState], actor: str, now: dt.datetime, *, new: bool
    ) -> TransactionView:
        """Store the transaction in its state (`new`: insert, else update), append its state event
        (one, listing `states` in order), its hash-chained log entry and its audit record, and send
        every queued write."""
        ...

    def audit(self, now: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
        """Append an audit record (after sending every queued write)."""
        ...

    # -- the link's rules, read and written in the same transaction -----------------------------
    def foreign_surrender_code(
        self, jurisdiction: str, source_account: str, installation_id: str, year: int, quantity: int
    ) -> ResponseCode:
        """OK, or the code refusing a surrender of units of a linked registry beyond the agreed share."""
        ...

    def link_gate(self, link_account: str) -> None:
        """Raise RuleViolation while a new link transfer to `link_account` must not be proposed."""
        ...

    def link_gate_closed(self, link_account: str) -> bool: ...

    def link_checked(self, tx: TransactionRecord, now: dt.datetime) -> None:
        """A link transfer passed its checks: hand its reserved units to the partner."""
        ...


class Ledgers(Protocol):
    """Where registry commands run."""

    def run(self, work: Callable[[Ledger], T], *, command: str, now: dt.datetime) -> T:
        """`work` in one transaction: committed if it returns, rolled back if it raises; repeated
        (a bounded number of times) after a failure that concurrency alone causes. `command` names
        the command in errors and in the audit record of an integrity error."""
        ...
