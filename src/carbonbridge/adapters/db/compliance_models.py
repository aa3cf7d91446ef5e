"""Tables of the compliance year: allocation decisions posted to the registry, and assessments.
Both are append-only: a repeated decision is refused or returned, a reassessment is a new row
and the latest row of an installation-year counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.adapters.db.models import Base


class AllocationEntryRow(Base):
    """One allocation decision for an installation-year and phase (ex_ante, true_up).

    allocation_t: the change of the installation's allocation this decision makes (signed);
    delivered_t: units moved by it (allocation +, return -); deducted_t: a previous year's
    shortfall withheld from the delivery; debt_t: excess the return could not take back."""

    __tablename__ = "compliance_allocations"
    __table_args__ = (UniqueConstraint("installation_id", "year", "phase"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"))
    phase: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(200))
    allocation_t: Mapped[int] = mapped_column(BigInteger)
    delivered_t: Mapped[int] = mapped_column(BigInteger)
    deducted_t: Mapped[int] = mapped_column(BigInteger)
    debt_t: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))


class AssessmentRow(Base):
    __tablename__ = "compliance_assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    verified_emissions_t: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    obligation_t: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    allocated_t: Mapped[int] = mapped_column(BigInteger)
    required_t: Mapped[int] = mapped_column(BigInteger)
    counted_allowances_t: Mapped[int] = mapped_column(BigInteger)
    counted_offsets_t: Mapped[int] = mapped_column(BigInteger)
    rejected_offsets_t: Mapped[int] = mapped_column(BigInteger)
    rejected_allowances_t: Mapped[int] = mapped_column(BigInteger)
    shortfall_at_deadline_t: Mapped[int] = mapped_column(BigInteger)
    shortfall_t: Mapped[int] = mapped_column(BigInteger)
    penalty: Mapped[str] = mapped_column(String(32))  # exact decimal as text
    currency: Mapped[str] = mapped_column(String(3))
    carried_forward_t: Mapped[int] = mapped_column(BigInteger)
    deducted_next_t: Mapped[int] = mapped_column(BigInteger)
    banked_t: Mapped[int] = mapped_column(BigInteger)
    account_blocked: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    assessed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
