"""Registry: a request refused for its quantity is recorded like any other refusal.

A proposal with a zero or negative quantity is refused with R11_INVALID_QUANTITY and written as a
terminated transaction carrying the quantity that was asked for; the CHECK on the quantity admits
that one case and no other (a completed or pending transaction still moves at least one unit).

Revision ID: 0006_registry_refusals
Revises: 0004_registry_hot_path
"""

from __future__ import annotations

from alembic import op

revision = "0006_registry_refusals"
down_revision = "0004_registry_hot_path"
branch_labels = None
depends_on = None

NAME = "ck_registry_transactions_quantity"
REFUSED_FOR_QUANTITY = "quantity > 0 OR (state = 'terminated' AND response_code = 'R11_INVALID_QUANTITY')"


def upgrade() -> None:
    with op.batch_alter_table("registry_transactions", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, REFUSED_FOR_QUANTITY)


def downgrade() -> None:
    # A refusal for its quantity cannot satisfy the old constraint, and deleting it would break the
    # hash-chained log that records it: refuse to downgrade a registry that holds one.
    refused = op.get_bind().exec_driver_sql("SELECT count(*) FROM registry_transactions WHERE quantity <= 0").scalar()
    if refused:
        raise RuntimeError(f"{refused} transactions were refused for their quantity; the old schema cannot hold them")
    with op.batch_alter_table("registry_transactions", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.create_check_constraint(NAME, "quantity > 0")
