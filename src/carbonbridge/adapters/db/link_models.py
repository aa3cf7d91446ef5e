"""Tables of the link (migration 0009_link): link transfers (the link leg of registry
transactions), the outbox and inbox of signed messages, and reconciliation runs.

Append-only: inbox rows (every message received, with the verdict), reconciliation runs.
Projections changed only with the registry transaction they belong to: a link transfer's state,
an outbox row's delivery columns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.adapters.db import registry_models
from carbonbridge.adapters.db.models import Base

Big = BigInteger().with_variant(Integer, "sqlite")
When = DateTime(timezone=True)
ACCEPTED = "verdict = 'L00_ACCEPTED'"


class LinkTransferRow(Base):
    """One per link transfer and direction: outgoing (our registry transaction) or incoming (the
    partner's transaction id, processed once)."""

    __tablename__ = "link_transfers"
    __table_args__ = (
        Index("ix_link_transfers_open", "direction", "state", "deadline"),
        Index("ix_link_transfers_resolved", "resolved_at"),
    )
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<direction>:<partner>:<transaction id>"
    direction: Mapped[str] = mapped_column(String(3))  # out | in
    partner: Mapped[str] = mapped_column(String(8))
    transaction_id: Mapped[str] = mapped_column(String(64))  # the sender's transaction id
    registry_transaction: Mapped[str | None] = mapped_column(String(32), nullable=True)  # ours
    unit_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)
    blocks: Mapped[str] = mapped_column(Text)  # JSON [[start, end], ...]
    source_account: Mapped[str] = mapped_column(String(64))
    destination_account: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(When)
    deadline: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)


class LinkOutboxRow(Base):
    __tablename__ = "link_outbox"
    __table_args__ = (
        Index("ix_link_outbox_due", "next_attempt_at", **registry_models._partial("delivered_at IS NULL")),
    )
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner: Mapped[str] = mapped_column(String(8))
    transaction_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(When)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(When)
    attempts: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class LinkInboxRow(Base):
    """Every message received, journaled with its verdict before anything acts on it; at most one
    accepted row per (sender, message id): processing exactly once."""

    __tablename__ = "link_inbox"
    __table_args__ = (
        Index("ux_link_inbox_accepted", "sender", "message_id", unique=True, **registry_models._partial(ACCEPTED)),
    )
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(200))
    receiver: Mapped[str] = mapped_column(String(200))
    transaction_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(When)
    document: Mapped[str] = mapped_column(Text)


class LinkReconciliationRow(Base):
    __tablename__ = "link_reconciliations"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    partner: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[dt.datetime] = mapped_column(When)
    status: Mapped[str] = mapped_column(String(24))
    phase: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)


class FxRateRow(Base):
    """An official exchange rate (migration 0010_link_money): `rate` units of `base` for `scale`
    units of `currency` on `on_date`, the exact decimal as text, with its source. Append-only."""

    __tablename__ = "market_fx_rates"
    __table_args__ = (CheckConstraint("scale > 0", name="ck_market_fx_rates_scale"),)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    on_date: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date
    base: Mapped[str] = mapped_column(String(3))
    scale: Mapped[int] = mapped_column(Integer)
    rate: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(When)


class JointAuctionRow(Base):
    """This registry's share of a joint auction: its market auction (volume, bids, tie seed), the
    partner, the clearing currency and the fixing date; the result once cleared or cancelled."""

    __tablename__ = "market_joint_auctions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    auction_id: Mapped[str] = mapped_column(ForeignKey("market_auctions.id"))
    partner: Mapped[str] = mapped_column(String(8))
    clearing_currency: Mapped[str] = mapped_column(String(3))
    lot_size: Mapped[int] = mapped_column(Integer)
    fixing_date: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(16))  # scheduled | closed | cleared | cancelled
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(When)
    settled_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)


class CrossBorderRow(Base):
    """This registry's leg of a cross-border trade: the buyer's (cash held, then paid, in its own
    currency at the fixed rate) or the seller's (units sent over the link, then paid)."""

    __tablename__ = "market_cross_border"
    client_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))  # buyer | seller
    participant: Mapped[str] = mapped_column(String(64))
    counterpart: Mapped[str] = mapped_column(String(80))  # "<partner>/<participant>"
    unit_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency`
    rate_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    rate: Mapped[str | None] = mapped_column(String(32), nullable=True)
    link_transaction: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # held | sent | paid | released
    created_at: Mapped[dt.datetime] = mapped_column(When)
    settled_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)
