"""Market order entry over the database: the open book of an instrument is its open orders' rows.

An order placed through the API (services/market/order_entry.py) keeps on its row what the book
needs to be rebuilt by any worker: `remaining` (what still rests), `filled`, `hold_price` (the
limit, or a market order's protection price: what its cash hold was computed at), `priority`
(price-time priority within the instrument: a size reduction keeps it, a new price takes a new
one), `book_version` (the order-entry command that last wrote the row: a worker's cached book
is refreshed with the rows of higher versions), the `client_key` of the placement (unique: a
repeat returns the first result) and the canonical `request` (a reused key with another request
is a conflict). Rows written by the
single-process `TradingDay` leave `priority` NULL and are not part of the rebuilt book.
A trade names its buy and sell orders (`buy_order`, `sell_order`; NULL for block trades and the
trades of `TradingDay`), so an order's fills can be listed.

Revision ID: 0012_market_order_entry
Revises: 0011_market_holds_msr
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_market_order_entry"
down_revision = "0011_market_holds_msr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("market_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("remaining", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("filled", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("hold_price", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("book_version", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint("uq_market_orders_client_key", ["client_key"])
        batch_op.create_check_constraint("ck_market_orders_remaining", "remaining >= 0 AND filled >= 0")
    with op.batch_alter_table("market_trades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buy_order", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("sell_order", sa.String(length=80), nullable=True))
    op.create_index("ix_market_orders_book", "market_orders", ["instrument", "state", "priority"])
    op.create_index("ix_market_orders_version", "market_orders", ["instrument", "book_version"])
    op.create_index("ix_market_orders_priority", "market_orders", ["instrument", "priority"])
    op.create_index("ix_market_orders_participant", "market_orders", ["participant", "id"])
    op.create_index("ix_market_trades_buyer", "market_trades", ["buyer", "seq"])
    op.create_index("ix_market_trades_seller", "market_trades", ["seller", "seq"])


def downgrade() -> None:
    op.drop_index("ix_market_trades_seller", table_name="market_trades")
    op.drop_index("ix_market_trades_buyer", table_name="market_trades")
    op.drop_index("ix_market_orders_participant", table_name="market_orders")
    op.drop_index("ix_market_orders_priority", table_name="market_orders")
    op.drop_index("ix_market_orders_version", table_name="market_orders")
    op.drop_index("ix_market_orders_book", table_name="market_orders")
    with op.batch_alter_table("market_trades", schema=None) as batch_op:
        batch_op.drop_column("sell_order")
        batch_op.drop_column("buy_order")
    with op.batch_alter_table("market_orders", schema=None) as batch_op:
        batch_op.drop_constraint("ck_market_orders_remaining", type_="check")
        batch_op.drop_constraint("uq_market_orders_client_key", type_="unique")
        for column in ("book_version", "priority", "hold_price", "filled", "remaining", "request", "client_key"):
            batch_op.drop_column(column)
