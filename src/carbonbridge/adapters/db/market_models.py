"""Tables of the market: participants, cash ledger (accounts, entries, postings, hold changes),
unit holds, orders, trades, settlements, auctions and bids (migration 0008_market).

Append-only: cash entries and postings, hold changes, trades, settlements, bids. Projections that
change only in the same database transaction as the rows that explain them: a cash account's
balance (= its postings) and held (= its hold changes), a unit hold's held (= its changes), an
order's state, an auction's state and result columns.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.adapters.db import registry_models  # noqa: F401  (the registry tables referred to)
from carbonbridge.adapters.db.models import Base

Big = BigInteger().with_variant(Integer, "sqlite")
When = DateTime(timezone=True)
PARTICIPANT_CHECK = "kind <> 'participant' OR (held >= 0 AND balance >= held)"


class MarketParticipantRow(Base):
    __tablename__ = "market_participants"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    beneficial_owner: Mapped[str] = mapped_column(String(200))
    registry_account: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    admitted_at: Mapped[dt.datetime] = mapped_column(When)


class MarketCashAccountRow(Base):
    __tablename__ = "market_cash_accounts"
    __table_args__ = (CheckConstraint(PARTICIPANT_CHECK, name="ck_market_cash_accounts_funds"),)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    balance: Mapped[int] = mapped_column(BigInteger)
    held: Mapped[int] = mapped_column(BigInteger)


class MarketCashEntryRow(Base):
    __tablename__ = "market_cash_entries"
    __table_args__ = (UniqueConstraint("client_key", name="uq_market_cash_entries_client_key"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    request: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(When)


class MarketCashPostingRow(Base):
    __tablename__ = "market_cash_postings"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("market_cash_entries.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("market_cash_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class MarketCashHoldChangeRow(Base):
    __tablename__ = "market_cash_hold_changes"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("market_cash_accounts.id"), index=True)
    delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(When)


class MarketUnitHoldRow(Base):
    __tablename__ = "market_unit_holds"
    __table_args__ = (CheckConstraint("held >= 0", name="ck_market_unit_holds_held"),)
    participant: Mapped[str] = mapped_column(ForeignKey("market_participants.id"), primary_key=True)
    unit_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    held: Mapped[int] = mapped_column(BigInteger)


class MarketUnitHoldChangeRow(Base):
    __tablename__ = "market_unit_hold_changes"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    unit_type: Mapped[str] = mapped_column(String(64))
    delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(When)


class MarketOrderRow(Base):
    __tablename__ = "market_orders"
    __table_args__ = (
        UniqueConstraint("client_key", name="uq_market_orders_client_key"),
        CheckConstraint("remaining >= 0 AND filled >= 0", name="ck_market_orders_remaining"),
        Index("ix_market_orders_book", "instrument", "state", "priority"),
        Index("ix_market_orders_version", "instrument", "book_version"),
        Index("ix_market_orders_priority", "instrument", "priority"),
        Index("ix_market_orders_participant", "participant", "id"),
    )
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    instrument: Mapped[str] = mapped_column(String(64), index=True)
    participant: Mapped[str] = mapped_column(ForeignKey("market_participants.id"))
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(8))
    price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    band_low: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    band_high: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))  # open | filled | cancelled | expired | refused
    code: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(When)
    # order entry over the database (migration 0010): what a worker needs to rebuild the book
    client_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request: Mapped[str | None] = mapped_column(Text, nullable=True)
    remaining: Mapped[int] = mapped_column(BigInteger, server_default="0")
    filled: Mapped[int] = mapped_column(BigInteger, server_default="0")
    hold_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    priority: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    book_version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MarketTradeRow(Base):
    __tablename__ = "market_trades"
    __table_args__ = (
        Index("ix_market_trades_unsettled", "instrument", "seq"),
        Index("ix_market_trades_buyer", "buyer", "seq"),
        Index("ix_market_trades_seller", "seller", "seq"),
    )
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Big, autoincrement=False)
    instrument: Mapped[str] = mapped_column(String(64))
    buyer: Mapped[str] = mapped_column(ForeignKey("market_participants.id"))
    seller: Mapped[str] = mapped_column(ForeignKey("market_participants.id"))
    price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(When)
    settlement_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    buy_order: Mapped[str | None] = mapped_column(String(80), nullable=True)  # migration 0010
    sell_order: Mapped[str | None] = mapped_column(String(80), nullable=True)


class MarketSettlementRow(Base):
    __tablename__ = "market_settlements"
    __table_args__ = (UniqueConstraint("client_key", name="uq_market_settlements_client_key"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # exchange | auction
    subject: Mapped[str] = mapped_column(String(80))  # instrument or auction id
    currency: Mapped[str] = mapped_column(String(3))
    trades: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(BigInteger)
    notional: Mapped[int] = mapped_column(BigInteger)
    fees: Mapped[int] = mapped_column(BigInteger)
    registry_transactions: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(When)


class MarketAuctionRow(Base):
    __tablename__ = "market_auctions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    unit_type: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    auction_date: Mapped[str] = mapped_column(String(10))  # ISO date
    seq: Mapped[int] = mapped_column(Integer)
    volume: Mapped[int] = mapped_column(BigInteger)
    tie_seed: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # scheduled | cleared | cancelled
    code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    clearing_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    volume_sold: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bid_volume: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bidders: Mapped[int | None] = mapped_column(Integer, nullable=True)
    winners: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cover_ratio: Mapped[str | None] = mapped_column(String(16), nullable=True)
    carried_over: Mapped[str | None] = mapped_column(Text, nullable=True)
    msr_adjusted: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # MSR: - intake, + release


class MarketBidRow(Base):
    __tablename__ = "market_bids"
    __table_args__ = (UniqueConstraint("client_key", name="uq_market_bids_client_key"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(200))
    auction_id: Mapped[str] = mapped_column(ForeignKey("market_auctions.id"), index=True)
    bidder: Mapped[str] = mapped_column(ForeignKey("market_participants.id"))
    price: Mapped[int] = mapped_column(BigInteger)
    lots: Mapped[int] = mapped_column(Integer)
    awarded: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(When)
