"""Users, grants, sessions and API keys of the multi-user service.

Revision ID: 0006_auth
Revises: 0001_mrv
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_auth"
down_revision = "0001_mrv"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_signins", sa.Integer(), nullable=False),
        sa.Column("locked_until", When, nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("representative_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_table(
        "auth_grants",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(length=64), sa.ForeignKey("auth_users.id"), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_auth_grants_user_id", "auth_grants", ["user_id"])
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(length=64), sa.ForeignKey("auth_users.id"), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("revoked_at", When, nullable=True),
    )
    op.create_index("ix_auth_sessions_user", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_api_keys",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(length=64), sa.ForeignKey("auth_users.id"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("grants", sa.Text(), nullable=False),
        sa.Column("moves_units", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("revoked_at", When, nullable=True),
    )
    op.create_index("ix_auth_api_keys_user_id", "auth_api_keys", ["user_id"])


def downgrade() -> None:
    op.drop_table("auth_api_keys")
    op.drop_table("auth_sessions")
    op.drop_table("auth_grants")
    op.drop_table("auth_users")
