"""Compliance year: allocation decisions posted to the registry, and assessments.

Revision ID: 0005_compliance
Revises: 0002_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_compliance"
down_revision = "0002_registry"
branch_labels = None
depends_on = None


def _ids() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.String(length=64), sa.ForeignKey("installations.id"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "compliance_allocations",
        *_ids(),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("allocation_t", sa.BigInteger(), nullable=False),
        sa.Column("delivered_t", sa.BigInteger(), nullable=False),
        sa.Column("deducted_t", sa.BigInteger(), nullable=False),
        sa.Column("debt_t", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("installation_id", "year", "phase"),
    )
    op.create_index("ix_compliance_allocations_jurisdiction", "compliance_allocations", ["jurisdiction"])
    op.create_index("ix_compliance_allocations_year", "compliance_allocations", ["year"])
    big = [
        "allocated_t",
        "required_t",
        "counted_allowances_t",
        "counted_offsets_t",
        "rejected_offsets_t",
        "rejected_allowances_t",
        "shortfall_at_deadline_t",
        "shortfall_t",
    ]
    op.create_table(
        "compliance_assessments",
        *_ids(),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("verified_emissions_t", sa.BigInteger(), nullable=True),
        sa.Column("obligation_t", sa.BigInteger(), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in big),
        sa.Column("penalty", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("carried_forward_t", sa.BigInteger(), nullable=False),
        sa.Column("deducted_next_t", sa.BigInteger(), nullable=False),
        sa.Column("banked_t", sa.BigInteger(), nullable=False),
        sa.Column("account_blocked", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("jurisdiction", "year", "installation_id"):
        op.create_index(f"ix_compliance_assessments_{column}", "compliance_assessments", [column])


def downgrade() -> None:
    op.drop_table("compliance_assessments")
    op.drop_table("compliance_allocations")
