"""Tables of sign-in and access control: users, their grants, sessions, API keys.

Secrets are never stored: passwords as Argon2id hashes, session tokens and API keys as SHA-256
hashes (a stolen table cannot be replayed). The TOTP seed must be readable to check codes; the
last accepted time step makes each code count once, across every worker.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.adapters.db.models import Base

When = DateTime(timezone=True)
Big = BigInteger().with_variant(Integer, "sqlite")


class AuthUserRow(Base):
    __tablename__ = "auth_users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_signins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean)
    representative_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(When)
    # The user's grants (the auth_grants rows) as one sorted text, written in the same transaction
    # as those rows: what authentication reads on every request, one row and no aggregate.
    grants: Mapped[str] = mapped_column(Text, server_default="")


class AuthGrantRow(Base):
    __tablename__ = "auth_grants"
    id: Mapped[int] = mapped_column(Big, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(64))


class AuthSessionRow(Base):
    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user", "user_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(When)
    expires_at: Mapped[dt.datetime] = mapped_column(When)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)


class AuthApiKeyRow(Base):
    __tablename__ = "auth_api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    grants: Mapped[str] = mapped_column(Text)  # canonical JSON list of grants, each one of the owner's
    moves_units: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(When)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(When, nullable=True)


USERS: Table = AuthUserRow.__table__  # type: ignore[assignment]
GRANTS: Table = AuthGrantRow.__table__  # type: ignore[assignment]
SESSIONS: Table = AuthSessionRow.__table__  # type: ignore[assignment]
API_KEYS: Table = AuthApiKeyRow.__table__  # type: ignore[assignment]
