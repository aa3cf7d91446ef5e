"""Link between registries: link transfers, outbox, inbox, reconciliation runs.

Revision ID: 0009_link
Revises: 0008_market
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_link"
down_revision = "0008_market"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
Big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _partial(where: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade() -> None:
    op.create_table(
        "link_transfers",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("partner", sa.String(length=8), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("registry_transaction", sa.String(length=32), nullable=True),
        sa.Column("unit_type", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.Column("source_account", sa.String(length=64), nullable=False),
        sa.Column("destination_account", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("deadline", When, nullable=True),
        sa.Column("resolved_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_transfers_open", "link_transfers", ["direction", "state", "deadline"])
    op.create_index("ix_link_transfers_resolved", "link_transfers", ["resolved_at"])
    op.create_table(
        "link_outbox",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=8), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("next_attempt_at", When, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", When, nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index("ix_link_outbox_due", "link_outbox", ["next_attempt_at"], **_partial("delivered_at IS NULL"))
    op.create_table(
        "link_inbox",
        sa.Column("id", Big, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("transaction_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_link_inbox_accepted",
        "link_inbox",
        ["sender", "message_id"],
        unique=True,
        **_partial("verdict = 'L00_ACCEPTED'"),
    )
    op.create_table(
        "link_reconciliations",
        sa.Column("id", Big, autoincrement=True, nullable=False),
        sa.Column("partner", sa.String(length=8), nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("link_reconciliations", "link_inbox", "link_outbox", "link_transfers"):
        op.drop_table(table)
