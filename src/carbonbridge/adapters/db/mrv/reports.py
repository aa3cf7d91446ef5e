"""The MRV reports port (services/mrv/ports.py) on SQLite and PostgreSQL, through the ORM.

`SqlReportBook` wraps one unit of work's session; the queries are the ones services/mrv/reports.py
ran itself before the port, unchanged in meaning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db.models import (
    ActivityDatasetRow,
    ActivityRecordRow,
    EmissionReportRow,
    InstallationRow,
    MeasurementResultRow,
    VerificationRow,
)
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.domain.mrv.reporting import StreamEmissions
from carbonbridge.services.mrv.ports import ActivityDataset, Measurement, NewReport, NewVerification, StoredReport

Sessions: TypeAlias = sessionmaker[Session]
T = TypeVar("T")


class SqlReportBook:
    """The reports of one unit of work (implements services.mrv.ports.ReportBook)."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    def jurisdiction_of(self, installation_id: str) -> str | None:
        installation = self._session.get(InstallationRow, installation_id)
        return None if installation is None else installation.jurisdiction

    def activity(self, installation_id: str, year: int) -> ActivityDataset | None:
        session = self._session
        dataset = session.scalars(
            select(ActivityDatasetRow)
            .where(ActivityDatasetRow.installation_id == installation_id, ActivityDatasetRow.year == year)
            .order_by(ActivityDatasetRow.version.desc())
            .limit(1)
        ).first()
        if dataset is None:
            return None
        records = tuple(
            StreamEmissions(r.source_stream, r.method, r.co2_t, r.ch4_t, r.n2o_t)
            for r in session.scalars(select(ActivityRecordRow).where(ActivityRecordRow.dataset_id == dataset.id))
        )
        return ActivityDataset(dataset.id, dataset.method_pack, records)

    def measurements(self, installation_id: str, year: int) -> list[Measurement]:
        rows = self._session.scalars(
            select(MeasurementResultRow).where(
                MeasurementResultRow.installation_id == installation_id, MeasurementResultRow.year == year
            )
        ).all()
        latest: dict[tuple[str, str], MeasurementResultRow] = {}
        for row in rows:
            key = (row.emission_source, row.gas)
            if key not in latest or row.version > latest[key].version:
                latest[key] = row
        ordered = sorted(latest.values(), key=lambda r: (r.emission_source, r.gas))
        return [Measurement(r.id, r.emission_source, r.gas, r.emissions_t) for r in ordered]

    def latest(self, installation_id: str, year: int) -> StoredReport | None:
        report = self._session.scalars(
            select(EmissionReportRow)
            .where(EmissionReportRow.installation_id == installation_id, EmissionReportRow.year == year)
            .order_by(EmissionReportRow.version.desc())
            .limit(1)
        ).first()
        return None if report is None else self._stored(report)

    def history(self, installation_id: str, year: int | None) -> list[StoredReport]:
        query = select(EmissionReportRow).where(EmissionReportRow.installation_id == installation_id)
        if year is not None:
            query = query.where(EmissionReportRow.year == year)
        rows = self._session.scalars(query.order_by(EmissionReportRow.year, EmissionReportRow.version)).all()
        return [self._stored(r) for r in rows]

    def append(self, report: NewReport) -> StoredReport:
        row = EmissionReportRow(
            installation_id=report.installation_id,
            year=report.year,
            version=report.version,
            dataset_id=report.dataset_id,
            gwp_set=report.gwp_set,
            method_pack=report.method_pack,
            co2_t=report.co2_t,
            ch4_t=report.ch4_t,
            n2o_t=report.n2o_t,
            co2e_t=report.co2e_t,
            category=report.category,
            by_source_stream=dict(report.by_source_stream),
            reason=report.reason,
            submitted_at=report.submitted_at,
        )
        self._session.add(row)
        self._session.flush()
        return self._stored(row)

    def verify(self, verification: NewVerification) -> None:
        v = verification
        self._session.add(
            VerificationRow(
                report_id=v.report_id,
                verifier=v.verifier,
                opinion=v.opinion,
                misstatement_t=v.misstatement_t,
                materiality_pct=v.materiality_pct,
                material=v.material,
                verified=v.verified,
                verified_emissions_t=v.verified_emissions_t,
                comments=v.comments,
                verified_at=v.verified_at,
            )
        )
        self._session.flush()

    def audit(self, now: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
        audit(self._session, at=now, actor=actor, action=action, subject=subject, detail=detail)

    def _stored(self, report: EmissionReportRow) -> StoredReport:
        verification = self._session.scalars(
            select(VerificationRow)
            .where(VerificationRow.report_id == report.id)
            .order_by(VerificationRow.id.desc())
            .limit(1)
        ).first()
        return StoredReport(
            report.id,
            report.installation_id,
            report.year,
            report.version,
            report.gwp_set,
            report.co2_t,
            report.ch4_t,
            report.n2o_t,
            report.co2e_t,
            report.category,
            dict(report.by_source_stream),
            bool(verification and verification.verified),
            verification.verified_emissions_t if verification else None,
        )


class SqlReports:
    """MRV report commands on a database (implements services.mrv.ports.Reports): each in one
    unit of work of `sessions`."""

    __slots__ = ("sessions",)

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    def run(self, work: Callable[[SqlReportBook], T]) -> T:
        with unit_of_work(self.sessions) as session:
            return work(SqlReportBook(session))


if TYPE_CHECKING:  # the adapter implements the port (checked by mypy)
    from carbonbridge.services.mrv.ports import Reports

    _IMPLEMENTS_THE_PORT: Reports = SqlReports(sessionmaker())
