"""Tables of the MRV capability. Rows are append-only where they record history: a report or
verification is never updated; a correction is a new version (STYLE.md #2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Float(53) is IEEE double on both SQLite (REAL) and PostgreSQL (double precision), so a
# value written on one reads back bit-identical on the other.
Double = Float(53)


class Base(DeclarativeBase):
    pass


class InstallationRow(Base):
    __tablename__ = "installations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MonitoringPlanRow(Base):
    __tablename__ = "monitoring_plans"
    __table_args__ = (UniqueConstraint("installation_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(1))
    method_pack: Mapped[str] = mapped_column(String(64))
    approved_on: Mapped[dt.date | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SourceStreamRow(Base):
    __tablename__ = "source_streams"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plans.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    activity: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    stream_category: Mapped[str] = mapped_column(String(16))
    tier_activity: Mapped[str] = mapped_column(String(4))
    tier_ncv: Mapped[str] = mapped_column(String(4))
    tier_ef: Mapped[str] = mapped_column(String(4))
    tier_of: Mapped[str] = mapped_column(String(4))


class ActivityDatasetRow(Base):
    __tablename__ = "activity_datasets"
    __table_args__ = (UniqueConstraint("installation_id", "year", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[int] = mapped_column(ForeignKey("monitoring_plans.id"))
    source_file: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    method_pack: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ActivityRecordRow(Base):
    __tablename__ = "activity_records"
    __table_args__ = (UniqueConstraint("dataset_id", "record_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("activity_datasets.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(120))
    source_stream: Mapped[str] = mapped_column(String(120))
    activity: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String(32))
    sector: Mapped[str] = mapped_column(String(32))
    technology: Mapped[str] = mapped_column(String(64))
    ncv: Mapped[float | None] = mapped_column(Double, nullable=True)
    ncv_unit: Mapped[str] = mapped_column(String(32))
    emission_factor: Mapped[float | None] = mapped_column(Double, nullable=True)
    ef_unit: Mapped[str] = mapped_column(String(32))
    oxidation_factor: Mapped[float | None] = mapped_column(Double, nullable=True)
    carbon_content: Mapped[float | None] = mapped_column(Double, nullable=True)
    carbon_content_unit: Mapped[str] = mapped_column(String(32))
    co2_t: Mapped[float] = mapped_column(Double)
    ch4_t: Mapped[float] = mapped_column(Double)
    n2o_t: Mapped[float] = mapped_column(Double)
    method: Mapped[str] = mapped_column(String(16))
    factor_source: Mapped[str] = mapped_column(Text)


class MeasurementResultRow(Base):
    """A measurement-based (CEMS) year for one emission source."""

    __tablename__ = "measurement_results"
    __table_args__ = (UniqueConstraint("installation_id", "year", "emission_source", "gas", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    source_file: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    emission_source: Mapped[str] = mapped_column(String(120))
    gas: Mapped[str] = mapped_column(String(8))
    hours_total: Mapped[int] = mapped_column(Integer)
    hours_valid: Mapped[int] = mapped_column(Integer)
    hours_substituted_concentration: Mapped[int] = mapped_column(Integer)
    hours_substituted_flow: Mapped[int] = mapped_column(Integer)
    emissions_t: Mapped[float] = mapped_column(Double)
    detail: Mapped[dict[str, object]] = mapped_column(JSON)


class EmissionReportRow(Base):
    __tablename__ = "emission_reports"
    __table_args__ = (UniqueConstraint("installation_id", "year", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("installations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("activity_datasets.id"), nullable=True)
    gwp_set: Mapped[str] = mapped_column(String(16))
    method_pack: Mapped[str] = mapped_column(String(64))
    co2_t: Mapped[float] = mapped_column(Double)
    ch4_t: Mapped[float] = mapped_column(Double)
    n2o_t: Mapped[float] = mapped_column(Double)
    co2e_t: Mapped[float] = mapped_column(Double)
    category: Mapped[str] = mapped_column(String(1))
    by_source_stream: Mapped[dict[str, object]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class VerificationRow(Base):
    __tablename__ = "verifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("emission_reports.id"), index=True)
    verifier: Mapped[str] = mapped_column(String(200))
    opinion: Mapped[str] = mapped_column(String(32))
    misstatement_t: Mapped[float] = mapped_column(Double)
    materiality_pct: Mapped[float] = mapped_column(Double)
    material: Mapped[bool] = mapped_column(Boolean)
    verified: Mapped[bool] = mapped_column(Boolean)
    verified_emissions_t: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    comments: Mapped[str] = mapped_column(Text)
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
