"""Tables of the inventory capability. A submission is immutable: a recalculation is a new
version of the jurisdiction's inventory, and the older versions stay for diffs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.adapters.db.models import Base, Double


class InventorySubmissionRow(Base):
    __tablename__ = "inventory_submissions"
    __table_args__ = (UniqueConstraint("jurisdiction", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)
    version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    input_sha256: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class InventoryEmissionRow(Base):
    """Mass of one gas for one category and year; CO2e is derived on read, never stored."""

    __tablename__ = "inventory_emissions"
    __table_args__ = (UniqueConstraint("submission_id", "category", "gas", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("inventory_submissions.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    gas: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    mass_t: Mapped[float] = mapped_column(Double)
    method: Mapped[str] = mapped_column(String(120))
    tier: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(32))
    factor: Mapped[str] = mapped_column(Text)
