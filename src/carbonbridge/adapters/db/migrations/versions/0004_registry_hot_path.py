"""Registry hot path: indexes that match the transfer path's queries, one state event per command.

- Serial blocks: the free blocks of a holding are found through a partial index
  (account, unit type, first serial) over unreserved blocks, which also gives them in serial
  order; a pending transaction's blocks through a partial index on `reserved_by`. The old
  four-column index put `reserved_by` before `start_serial`, so PostgreSQL had to sort, and often
  chose the unique serial index instead and filtered every block of the unit type.
- Transactions: the due-for-settlement and installation indexes cover only the rows they are
  asked for (delayed transactions; surrenders naming an installation), so a completed transfer
  adds no entry to them.
- State events: one row per command, `states` listing the states it passed through in order
  (comma-separated); `state` stays the state the command left the transaction in. Existing rows
  (one per state) get `states` = `state`.

Revision ID: 0004_registry_hot_path
Revises: 0002_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_registry_hot_path"
down_revision = "0002_registry"
branch_labels = None
depends_on = None

FREE = sa.text("reserved_by IS NULL")
RESERVED = sa.text("reserved_by IS NOT NULL")
DELAYED = sa.text("state = 'delayed'")
NAMED_INSTALLATION = sa.text("installation_id IS NOT NULL")


def _partial(where: sa.TextClause) -> dict[str, sa.TextClause]:
    return {"postgresql_where": where, "sqlite_where": where}


def upgrade() -> None:
    with op.batch_alter_table("registry_serial_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_blocks_holding")
        batch_op.create_index("ix_registry_blocks_free", ["account_id", "unit_type", "start_serial"], **_partial(FREE))
        batch_op.create_index("ix_registry_blocks_reserved", ["reserved_by"], **_partial(RESERVED))
    with op.batch_alter_table("registry_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_transactions_due")
        batch_op.drop_index("ix_registry_transactions_installation_id")
        batch_op.create_index("ix_registry_transactions_due", ["delay_until", "id"], **_partial(DELAYED))
        batch_op.create_index(
            "ix_registry_transactions_installation_id", ["installation_id"], **_partial(NAMED_INSTALLATION)
        )
    with op.batch_alter_table("registry_transaction_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("states", sa.String(length=120), nullable=False, server_default=""))
    op.execute("UPDATE registry_transaction_events SET states = state")


def downgrade() -> None:
    # An event written after the upgrade keeps only its last state (`state`); its `states` go.
    with op.batch_alter_table("registry_transaction_events", schema=None) as batch_op:
        batch_op.drop_column("states")
    with op.batch_alter_table("registry_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_transactions_installation_id")
        batch_op.drop_index("ix_registry_transactions_due")
        batch_op.create_index("ix_registry_transactions_due", ["state", "delay_until"], unique=False)
        batch_op.create_index("ix_registry_transactions_installation_id", ["installation_id"], unique=False)
    with op.batch_alter_table("registry_serial_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_blocks_reserved")
        batch_op.drop_index("ix_registry_blocks_free")
        batch_op.create_index(
            "ix_registry_blocks_holding", ["account_id", "unit_type", "reserved_by", "start_serial"], unique=False
        )
