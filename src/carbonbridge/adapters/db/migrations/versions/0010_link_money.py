"""Money across the border: official exchange rates (dated, with scale and source) and joint
auctions (each registry's share of an auction run with the partner's), cross-border trades (each
registry's leg).

Revision ID: 0010_link_money
Revises: 0009_link
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_link_money"
down_revision = "0009_link"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "market_fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("on_date", sa.String(length=10), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("rate", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", When, nullable=False),
        sa.CheckConstraint("scale > 0", name="ck_market_fx_rates_scale"),
        sa.PrimaryKeyConstraint("currency", "on_date"),
    )
    op.create_table(
        "market_joint_auctions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("auction_id", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=8), nullable=False),
        sa.Column("clearing_currency", sa.String(length=3), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("fixing_date", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("settled_at", When, nullable=True),
        sa.ForeignKeyConstraint(["auction_id"], ["market_auctions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "market_cross_border",
        sa.Column("client_key", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("counterpart", sa.String(length=80), nullable=False),
        sa.Column("unit_type", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("rate_on", sa.String(length=10), nullable=True),
        sa.Column("rate", sa.String(length=32), nullable=True),
        sa.Column("link_transaction", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("settled_at", When, nullable=True),
        sa.PrimaryKeyConstraint("client_key"),
    )


def downgrade() -> None:
    op.drop_table("market_cross_border")
    op.drop_table("market_joint_auctions")
    op.drop_table("market_fx_rates")
