"""Inventory: versioned submissions and their by-gas masses per IPCC 2006 category and year.

Revision ID: 0003_inventory
Revises: 0001_mrv
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_inventory"
down_revision = "0001_mrv"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jurisdiction", "version"),
    )
    with op.batch_alter_table("inventory_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_submissions_jurisdiction"), ["jurisdiction"], unique=False)
    op.create_table(
        "inventory_emissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("gas", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("mass_t", sa.Float(precision=53), nullable=False),
        sa.Column("method", sa.String(length=120), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("factor", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["inventory_submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "category", "gas", "year"),
    )
    with op.batch_alter_table("inventory_emissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_emissions_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inventory_emissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_emissions_submission_id"))
    op.drop_table("inventory_emissions")
    with op.batch_alter_table("inventory_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_submissions_jurisdiction"))
    op.drop_table("inventory_submissions")
