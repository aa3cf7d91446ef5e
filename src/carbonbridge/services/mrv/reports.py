"""Annual emissions reports (versioned, immutable) and their verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

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
from carbonbridge.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.jurisdiction import Config
from carbonbridge.domain.mrv.monitoring import installation_category
from carbonbridge.domain.mrv.reporting import ReportHead, ReportInputs, StreamEmissions, next_version, totals
from carbonbridge.domain.mrv.verification import Opinion, assess

Sessions = sessionmaker[Session]


@dataclass(frozen=True, slots=True)
class ReportView:
    installation_id: str
    year: int
    version: int
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    gwp_set: str
    category: str
    verified: bool
    verified_emissions_t: int | None
    by_source_stream: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _latest_measurements(session: Session, installation_id: str, year: int) -> list[MeasurementResultRow]:
    rows = session.scalars(
        select(MeasurementResultRow).where(
            MeasurementResultRow.installation_id == installation_id, MeasurementResultRow.year == year
        )
    ).all()
    latest: dict[tuple[str, str], MeasurementResultRow] = {}
    for row in rows:
        key = (row.emission_source, row.gas)
        if key not in latest or row.version > latest[key].version:
            latest[key] = row
    return sorted(latest.values(), key=lambda r: (r.emission_source, r.gas))


def _view(session: Session, report: EmissionReportRow) -> ReportView:
    verification = _latest_verification(session, report.id)
    return ReportView(
        report.installation_id,
        report.year,
        report.version,
        report.co2_t,
        report.ch4_t,
        report.n2o_t,
        report.co2e_t,
        report.gwp_set,
        report.category,
        bool(verification and verification.verified),
        verification.verified_emissions_t if verification else None,
        dict(report.by_source_stream),
    )


def _latest_verification(session: Session, report_id: int) -> VerificationRow | None:
    return session.scalars(
        select(VerificationRow)
        .where(VerificationRow.report_id == report_id)
        .order_by(VerificationRow.id.desc())
        .limit(1)
    ).first()


def _latest_report(session: Session, installation_id: str, year: int) -> EmissionReportRow | None:
    return session.scalars(
        select(EmissionReportRow)
        .where(EmissionReportRow.installation_id == installation_id, EmissionReportRow.year == year)
        .order_by(EmissionReportRow.version.desc())
        .limit(1)
    ).first()


def _head(session: Session, latest: EmissionReportRow | None) -> ReportHead | None:
    if latest is None:
        return None
    verification = _latest_verification(session, latest.id)
    inputs = ReportInputs.from_record(latest.by_source_stream.get("_provenance"))
    return ReportHead(latest.version, latest.gwp_set, inputs, bool(verification and verification.verified))


def submit_report(
    sessions: Sessions,
    installation_id: str,
    year: int,
    *,
    config: Config,
    now: dt.datetime,
    gwp_set: str | None = None,
    reason: str = "",
    actor: str = "cli",
) -> ReportView:
    """Compile the annual report from the latest activity dataset and measured sources.

    Idempotent: if nothing changed since the latest version, that version is returned. A
    verified report is never changed: a correction is a new version and needs a reason."""
    with unit_of_work(sessions) as session:
        installation = session.get(InstallationRow, installation_id)
        if installation is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        gwp_set = gwp_set or config.jurisdiction(installation.jurisdiction).gwp_set
        gwp("CH4", gwp_set)
        dataset = session.scalars(
            select(ActivityDatasetRow)
            .where(ActivityDatasetRow.installation_id == installation_id, ActivityDatasetRow.year == year)
            .order_by(ActivityDatasetRow.version.desc())
            .limit(1)
        ).first()
        measurements = _latest_measurements(session, installation_id, year)
        if dataset is None and not measurements:
            raise NotFound(f"no activity data or measurements for {installation_id} in {year}; import them first")
        parts = (
            [
                StreamEmissions(r.source_stream, r.method, r.co2_t, r.ch4_t, r.n2o_t)
                for r in session.scalars(select(ActivityRecordRow).where(ActivityRecordRow.dataset_id == dataset.id))
            ]
            if dataset
            else []
        )
        parts += [
            StreamEmissions(m.emission_source, "measurement", **{f"{m.gas.lower()}_t": m.emissions_t})
            for m in measurements
        ]
        result = totals(parts, gwp_set)
        inputs = ReportInputs(dataset.id if dataset else None, tuple(m.id for m in measurements))
        latest = _latest_report(session, installation_id, year)
        version = next_version(_head(session, latest), inputs, gwp_set, reason)
        if version is None:
            assert latest is not None  # next_version stands by an existing version only
            return _view(session, latest)
        report = EmissionReportRow(
            installation_id=installation_id,
            year=year,
            version=version,
            dataset_id=dataset.id if dataset else None,
            gwp_set=gwp_set,
            method_pack=dataset.method_pack if dataset else "measurement",
            co2_t=result.co2_t,
            ch4_t=result.ch4_t,
            n2o_t=result.n2o_t,
            co2e_t=result.co2e_t,
            category=installation_category(result.co2e_t),
            by_source_stream={**result.by_stream, "_provenance": inputs.as_record()},
            reason=reason,
            submitted_at=now,
        )
        session.add(report)
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="report.submitted",
            subject=f"{installation_id}/{year}",
            detail={"version": report.version, "co2e_t": result.co2e_t, "gwp_set": gwp_set, "reason": reason},
        )
        return _view(session, report)


def verify_report(
    sessions: Sessions,
    installation_id: str,
    year: int,
    *,
    verifier: str,
    opinion: Opinion,
    misstatement_t: float,
    now: dt.datetime,
    comments: str = "",
    actor: str = "cli",
) -> ReportView:
    """Record a verifier's opinion on the latest report version (AVR materiality applies)."""
    if not verifier.strip():
        raise ValidationFailed([Problem("verifier is required", field="verifier")])
    with unit_of_work(sessions) as session:
        report = _latest_report(session, installation_id, year)
        if report is None:
            raise NotFound(f"no emissions report for {installation_id} in {year}; run 'mrv report' first")
        existing = _latest_verification(session, report.id)
        if existing is not None and existing.verified:
            raise Conflict(
                f"report {installation_id}/{year} v{report.version} is already verified; "
                "submit a corrected version to verify again"
            )
        outcome = assess(report.co2e_t, misstatement_t, opinion)
        session.add(
            VerificationRow(
                report_id=report.id,
                verifier=verifier,
                opinion=opinion.value,
                misstatement_t=misstatement_t,
                materiality_pct=outcome.materiality_pct,
                material=outcome.material,
                verified=outcome.verified,
                verified_emissions_t=outcome.verified_emissions_t,
                comments=comments,
                verified_at=now,
            )
        )
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="report.verified" if outcome.verified else "report.not_verified",
            subject=f"{installation_id}/{year}",
            detail={
                "version": report.version,
                "verifier": verifier,
                "opinion": opinion.value,
                "misstatement_t": misstatement_t,
            },
        )
        return _view(session, report)


def report_history(sessions: Sessions, installation_id: str, year: int | None = None) -> list[ReportView]:
    with unit_of_work(sessions) as session:
        if session.get(InstallationRow, installation_id) is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        query = select(EmissionReportRow).where(EmissionReportRow.installation_id == installation_id)
        if year is not None:
            query = query.where(EmissionReportRow.year == year)
        rows = session.scalars(query.order_by(EmissionReportRow.year, EmissionReportRow.version)).all()
        return [_view(session, r) for r in rows]


def verified_emissions(sessions: Sessions, installation_id: str, year: int) -> int | None:
    """Whole tonnes CO2e of the latest report version if it is verified, else None."""
    with unit_of_work(sessions) as session:
        report = _latest_report(session, installation_id, year)
        if report is None:
            return None
        verification = _latest_verification(session, report.id)
        return verification.verified_emissions_t if verification and verification.verified else None
