"""Tables of the allowance registry.

History tables (transactions' events, postings, block movements, log entries, trusted-list
changes, compliance entries) are append-only. Current-state tables (holdings, serial blocks,
chain heads, account and representative state, a transaction's current state) are projections
that change only in the same database transaction as the history rows that explain them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.adapters.db.models import Base

Big = BigInteger().with_variant(Integer, "sqlite")
When = DateTime(timezone=True)


def _partial(where: str) -> dict[str, Any]:
    """A partial index on both databases (migration 0004_registry_hot_path)."""
    return {"postgresql_where": text(where), "sqlite_where": text(where)}


class RegistryUnitTypeRow(Base):
    __tablename__ = "registry_unit_types"
    __table_args__ = (CheckConstraint("issued >= 0 AND issued <= cap", name="ck_registry_unit_types_cap"),)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    vintage: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(64))
    cap: Mapped[int] = mapped_column(BigInteger)
    issued: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(When)


class RegistryAccountRow(Base):
    __tablename__ = "registry_accounts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)
    type: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(200))
    installation_id: Mapped[str | None] = mapped_column(ForeignKey("installations.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(When)


class RegistryRepresentativeRow(Base):
    __tablename__ = "registry_representatives"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(When)


class RegistryAccountRepresentativeRow(Base):
    __tablename__ = "registry_account_representatives"
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"), primary_key=True)
    representative_id: Mapped[str] = mapped_column(ForeignKey("registry_representatives.id"), primary_key=True)
    added_at: Mapped[dt.datetime] = mapped_column(When)


class RegistryTrustedChangeRow(Base):
    """Append-only: the latest change of a pair decides; an addition counts from `effective_at`."""

    __tablename__ = "registry_trusted_changes"
    __table_args__ = (Index("ix_registry_trusted_pair", "account_id", "trusted_account_id", "id"),)
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    trusted_account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    action: Mapped[str] = mapped_column(String(8))
    at: Mapped[dt.datetime] = mapped_column(When)
    effective_at: Mapped[dt.datetime] = mapped_column(When)
    actor: Mapped[str] = mapped_column(String(120))


class RegistryHoldingRow(Base):
    """Units of one type held by one account; `reserved` are earmarked for a pending transaction,
    `market_held` are held by the market (open sell orders, bids, unsettled trades: the sum of the
    account's `market_unit_holds`, migration 0009). Available = quantity - reserved - market_held."""

    __tablename__ = "registry_holdings"
    __table_args__ = (
        CheckConstraint("quantity >= reserved AND reserved >= 0", name="ck_registry_holdings_nonneg"),
        CheckConstraint(
            "market_held >= 0 AND quantity - reserved >= market_held", name="ck_registry_holdings_market_held"
        ),
    )
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"), primary_key=True)
    unit_type: Mapped[str] = mapped_column(ForeignKey("registry_unit_types.code"), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    market_held: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class RegistrySerialBlockRow(Base):
    __tablename__ = "registry_serial_blocks"
    __table_args__ = (
        CheckConstraint("start_serial >= 1 AND end_serial >= start_serial", name="ck_registry_blocks_range"),
        # a holding's free blocks in serial order (the transfer path), and a pending transaction's blocks
        Index("ix_registry_blocks_free", "account_id", "unit_type", "start_serial", **_partial("reserved_by IS NULL")),
        Index("ix_registry_blocks_reserved", "reserved_by", **_partial("reserved_by IS NOT NULL")),
        Index("ix_registry_blocks_serial", "unit_type", "start_serial", unique=True),
    )
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    unit_type: Mapped[str] = mapped_column(ForeignKey("registry_unit_types.code"))
    start_serial: Mapped[int] = mapped_column(BigInteger)
    end_serial: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    reserved_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class RegistryTransactionRow(Base):
    __tablename__ = "registry_transactions"
    __table_args__ = (
        # A proposal refused for its quantity (R11) is recorded with the quantity asked for (0006).
        CheckConstraint(
            "quantity > 0 OR (state = 'terminated' AND response_code = 'R11_INVALID_QUANTITY')",
            name="ck_registry_transactions_quantity",
        ),
        Index("ix_registry_transactions_due", "delay_until", "id", **_partial("state = 'delayed'")),
        Index("ix_registry_transactions_installation_id", "installation_id", **_partial("installation_id IS NOT NULL")),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(200), unique=True)
    request: Mapped[str] = mapped_column(Text)  # canonical JSON of the request, for idempotent repeats
    jurisdiction: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    response_code: Mapped[str] = mapped_column(String(48))
    source_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    destination_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)
    initiator: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str | None] = mapped_column(String(64), nullable=True)
    installation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    compliance_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reverses: Mapped[str | None] = mapped_column(String(32), nullable=True)
    proposed_at: Mapped[dt.datetime] = mapped_column(When)
    delay_until: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)


class RegistryTransactionEventRow(Base):
    """One row per command that changed the transaction: `states` lists the states it passed through,
    in order, comma-separated (e.g. `proposed,checked,completed`); `state` is the last of them."""

    __tablename__ = "registry_transaction_events"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("registry_transactions.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    states: Mapped[str] = mapped_column(String(120), server_default="")
    response_code: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(When)


class RegistryPostingRow(Base):
    """Double entry: the postings of one transaction sum to zero per unit type."""

    __tablename__ = "registry_postings"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("registry_transactions.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    unit_type: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)


class RegistryBlockMovementRow(Base):
    __tablename__ = "registry_block_movements"
    __table_args__ = (Index("ix_registry_movements_serial", "unit_type", "start_serial", "end_serial"),)
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("registry_transactions.id"))
    unit_type: Mapped[str] = mapped_column(String(64))
    start_serial: Mapped[int] = mapped_column(BigInteger)
    end_serial: Mapped[int] = mapped_column(BigInteger)
    from_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_account: Mapped[str] = mapped_column(String(64))


class RegistryLogHeadRow(Base):
    """The newest entry of each chain; `prev_hash` is the one before it (lets PostgreSQL append in one
    statement: the update computes the new hash from the locked row's own values)."""

    __tablename__ = "registry_log_heads"
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))


class RegistryLogEntryRow(Base):
    __tablename__ = "registry_log_entries"
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)


class RegistryComplianceEntryRow(Base):
    """Verified emissions entered from a verified MRV report; append-only, the latest counts."""

    __tablename__ = "registry_compliance_entries"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    verified_emissions_t: Mapped[int] = mapped_column(BigInteger)
    entered_at: Mapped[dt.datetime] = mapped_column(When)
    actor: Mapped[str] = mapped_column(String(120))
