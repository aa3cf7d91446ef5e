"""What the registry's use cases read from and write to their ledger, as frozen records: a stored
transaction, the facts a proposal is checked against, and a holding. The ledger port
(services/registry/ports.py) speaks these; its SQL adapter and its in-memory fake build them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
from carbonbridge.domain.registry.log import canonical
from carbonbridge.domain.registry.model import (
    Account,
    RepresentativeState,
    ResponseCode,
    TransactionState,
    TransactionType,
)

TRANSACTION_FIELDS = (
    "id",
    "client_key",
    "request",
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
"""The columns of a stored transaction (registry_transactions), in table order."""


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    """A registry transaction as stored: a new state is a new record (`with_state`), and its
    history (state events, log entries) is appended beside it, never rewritten."""

    id: str
    client_key: str
    request: str  # canonical JSON of the request, for idempotent repeats
    jurisdiction: str
    type: TransactionType
    state: TransactionState
    response_code: ResponseCode
    source_account: str | None
    destination_account: str
    unit_type: str
    quantity: int
    initiator: str
    approver: str | None
    installation_id: str | None
    compliance_year: int | None
    reverses: str | None
    proposed_at: dt.datetime
    delay_until: dt.datetime | None
    resolved_at: dt.datetime | None

    @classmethod
    def new(
        cls, transaction_id: str, request: TransactionRequest, jurisdiction: str, now: dt.datetime
    ) -> TransactionRecord:
        """A proposal before its checks ran (state and code are set when it is appended)."""
        return cls(
            id=transaction_id,
            client_key=request.client_key,
            request=canonical(request.body()),
            jurisdiction=jurisdiction,
            type=request.type,
            state=TransactionState.PROPOSED,
            response_code=ResponseCode.OK,
            source_account=request.source_account,
            destination_account=request.destination_account,
            unit_type=request.unit_type,
            quantity=request.quantity,
            initiator=request.initiator,
            approver=None,
            installation_id=request.installation_id,
            compliance_year=request.compliance_year,
            reverses=request.reverses,
            proposed_at=now,
            delay_until=None,
            resolved_at=None,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TransactionRecord:
        """From stored column values (times already UTC-aware)."""
        return cls(
            id=row["id"],
            client_key=row["client_key"],
            request=row["request"],
            jurisdiction=row["jurisdiction"],
            type=TransactionType(row["type"]),
            state=TransactionState(row["state"]),
            response_code=ResponseCode(row["response_code"]),
            source_account=row["source_account"],
            destination_account=row["destination_account"],
            unit_type=row["unit_type"],
            quantity=int(row["quantity"]),
            initiator=row["initiator"],
            approver=row["approver"],
            installation_id=row["installation_id"],
            compliance_year=None if row["compliance_year"] is None else int(row["compliance_year"]),
            reverses=row["reverses"],
            proposed_at=row["proposed_at"],
            delay_until=row["delay_until"],
            resolved_at=row["resolved_at"],
        )

    def as_row(self) -> dict[str, Any]:
        """Column values as stored (enums as their text), in table order."""
        return {  # a literal, not a loop over TRANSACTION_FIELDS: it runs on every command
            "id": self.id,
            "client_key": self.client_key,
            "request": self.request,
            "jurisdiction": self.jurisdiction,
            "type": self.type.value,
            "state": self.state.value,
            "response_code": self.response_code.value,
            "source_account": self.source_account,
            "destination_account": self.destination_account,
            "unit_type": self.unit_type,
            "quantity": self.quantity,
            "initiator": self.initiator,
            "approver": self.approver,
            "installation_id": self.installation_id,
            "compliance_year": self.compliance_year,
            "reverses": self.reverses,
            "proposed_at": self.proposed_at,
            "delay_until": self.delay_until,
            "resolved_at": self.resolved_at,
        }

    def request_body(self) -> dict[str, object]:
        return dict(json.loads(self.request))

    def with_state(
        self, state: TransactionState, code: ResponseCode, now: dt.datetime, **changes: Any
    ) -> TransactionRecord:
        """The record in `state` with `code`; a completion or termination is resolved at `now`."""
        resolved = now if state in (TransactionState.COMPLETED, TransactionState.TERMINATED) else self.resolved_at
        if changes:
            return dataclasses.replace(self, state=state, response_code=code, resolved_at=resolved, **changes)
        return TransactionRecord(  # positionally: every proposal takes this path (the registry's hot path)
            self.id,
            self.client_key,
            self.request,
            self.jurisdiction,
            self.type,
            state,
            code,
            self.source_account,
            self.destination_account,
            self.unit_type,
            self.quantity,
            self.initiator,
            self.approver,
            self.installation_id,
            self.compliance_year,
            self.reverses,
            self.proposed_at,
            self.delay_until,
            resolved,
        )

    def view(self) -> TransactionView:
        return TransactionView(
            id=self.id,
            client_key=self.client_key,
            type=self.type,
            state=self.state,
            response_code=self.response_code,
            source_account=self.source_account,
            destination_account=self.destination_account,
            unit_type=self.unit_type,
            quantity=self.quantity,
            initiator=self.initiator,
            approver=self.approver,
            proposed_at=self.proposed_at,
            delay_until=self.delay_until,
            resolved_at=self.resolved_at,
        )


@dataclass(frozen=True, slots=True)
class ProposalContext:
    """What a proposal's checks read besides serial blocks, in one read (one query in SQL)."""

    existing: str | None  # the transaction already recorded under the client key
    source: Account | None
    destination: Account | None
    unit_jurisdiction: str | None  # None: unknown unit type
    rep_state: RepresentativeState
    rep_failures: int
    rep_authorised: bool
    trusted: bool
    locked: dict[str, tuple[int, int]]  # holdings locked by the same read: account -> (quantity, unavailable)


@dataclass(frozen=True, slots=True)
class Holding:
    account_id: str
    unit_type: str
    quantity: int
    reserved: int
    market_held: int = 0  # held by the market for open sell orders, bids, unsettled trades

    @property
    def available(self) -> int:
        return self.quantity - self.reserved - self.market_held
