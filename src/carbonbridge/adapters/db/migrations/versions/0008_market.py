"""Market: participants, cash ledger (accounts, entries, postings, hold changes), unit holds,
orders, trades, settlements, auctions and bids.

Revision ID: 0008_market
Revises: 0006_registry_refusals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_market"
down_revision = "0006_registry_refusals"
branch_labels = None
depends_on = None

TABLES = (
    "market_unit_holds",
    "market_trades",
    "market_orders",
    "market_bids",
    "market_participants",
    "market_cash_postings",
    "market_cash_hold_changes",
    "market_unit_hold_changes",
    "market_settlements",
    "market_cash_entries",
    "market_cash_accounts",
    "market_auctions",
)


def upgrade() -> None:
    op.create_table(
        "market_auctions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("unit_type", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("auction_date", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("tie_seed", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("clearing_price", sa.BigInteger(), nullable=True),
        sa.Column("volume_sold", sa.BigInteger(), nullable=True),
        sa.Column("bid_volume", sa.BigInteger(), nullable=True),
        sa.Column("bidders", sa.Integer(), nullable=True),
        sa.Column("winners", sa.Integer(), nullable=True),
        sa.Column("cover_ratio", sa.String(length=16), nullable=True),
        sa.Column("carried_over", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "market_cash_accounts",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'participant' OR (held >= 0 AND balance >= held)", name="ck_market_cash_accounts_funds"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "market_cash_entries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_key", name="uq_market_cash_entries_client_key"),
    )
    op.create_table(
        "market_settlements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("notional", sa.BigInteger(), nullable=False),
        sa.Column("fees", sa.BigInteger(), nullable=False),
        sa.Column("registry_transactions", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_key", name="uq_market_settlements_client_key"),
    )
    op.create_table(
        "market_unit_hold_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("unit_type", sa.String(length=64), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_market_unit_hold_changes_participant"), "market_unit_hold_changes", ["participant"], unique=False
    )
    op.create_table(
        "market_cash_hold_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=80), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["market_cash_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_market_cash_hold_changes_account_id"), "market_cash_hold_changes", ["account_id"], unique=False
    )
    op.create_table(
        "market_cash_postings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["market_cash_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["market_cash_entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_market_cash_postings_account_id"), "market_cash_postings", ["account_id"], unique=False)
    op.create_index(op.f("ix_market_cash_postings_entry_id"), "market_cash_postings", ["entry_id"], unique=False)
    op.create_table(
        "market_participants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("beneficial_owner", sa.String(length=200), nullable=False),
        sa.Column("registry_account", sa.String(length=64), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_account"],
            ["registry_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "market_bids",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=200), nullable=False),
        sa.Column("auction_id", sa.String(length=64), nullable=False),
        sa.Column("bidder", sa.String(length=64), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
        sa.Column("awarded", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["auction_id"],
            ["market_auctions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["bidder"],
            ["market_participants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_key", name="uq_market_bids_client_key"),
    )
    op.create_index(op.f("ix_market_bids_auction_id"), "market_bids", ["auction_id"], unique=False)
    op.create_table(
        "market_orders",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("band_low", sa.BigInteger(), nullable=True),
        sa.Column("band_high", sa.BigInteger(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant"],
            ["market_participants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_market_orders_instrument"), "market_orders", ["instrument"], unique=False)
    op.create_table(
        "market_trades",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("buyer", sa.String(length=64), nullable=False),
        sa.Column("seller", sa.String(length=64), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settlement_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer"],
            ["market_participants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["seller"],
            ["market_participants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_market_trades_settlement_id"), "market_trades", ["settlement_id"], unique=False)
    op.create_index("ix_market_trades_unsettled", "market_trades", ["instrument", "seq"], unique=False)
    op.create_table(
        "market_unit_holds",
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("unit_type", sa.String(length=64), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("held >= 0", name="ck_market_unit_holds_held"),
        sa.ForeignKeyConstraint(
            ["participant"],
            ["market_participants.id"],
        ),
        sa.PrimaryKeyConstraint("participant", "unit_type"),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
