"""Annual emissions reports (versioned, immutable) and their verification.

The use cases speak the reports port (services/mrv/ports.py) and the domain only; entry points
pass `adapters.db.mrv.SqlReports(app.sessions)`, service tests `testing.memory_reports.MemoryReports`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from carbonbridge.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.jurisdiction import Config
from carbonbridge.domain.mrv.monitoring import installation_category
from carbonbridge.domain.mrv.reporting import ReportInputs, next_version, totals
from carbonbridge.domain.mrv.verification import Opinion, assess
from carbonbridge.services.mrv.ports import NewReport, NewVerification, ReportBook, Reports, StoredReport


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


def _view(report: StoredReport) -> ReportView:
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
        report.verified,
        report.verified_emissions_t,
        dict(report.by_source_stream),
    )


def submit_report(
    reports: Reports,
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

    def work(book: ReportBook) -> ReportView:
        jurisdiction = book.jurisdiction_of(installation_id)
        if jurisdiction is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        chosen = gwp_set or config.jurisdiction(jurisdiction).gwp_set
        gwp("CH4", chosen)
        dataset = book.activity(installation_id, year)
        measurements = book.measurements(installation_id, year)
        if dataset is None and not measurements:
            raise NotFound(f"no activity data or measurements for {installation_id} in {year}; import them first")
        parts = list(dataset.records) if dataset else []
        parts += [m.as_stream() for m in measurements]
        result = totals(parts, chosen)
        inputs = ReportInputs(dataset.id if dataset else None, tuple(m.id for m in measurements))
        latest = book.latest(installation_id, year)
        version = next_version(latest.head() if latest else None, inputs, chosen, reason)
        if version is None:
            assert latest is not None  # next_version stands by an existing version only
            return _view(latest)
        report = book.append(
            NewReport(
                installation_id=installation_id,
                year=year,
                version=version,
                dataset_id=dataset.id if dataset else None,
                gwp_set=chosen,
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
        )
        book.audit(
            now,
            actor,
            "report.submitted",
            f"{installation_id}/{year}",
            {"version": report.version, "co2e_t": result.co2e_t, "gwp_set": chosen, "reason": reason},
        )
        return _view(report)

    return reports.run(work)


def verify_report(
    reports: Reports,
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

    def work(book: ReportBook) -> ReportView:
        report = book.latest(installation_id, year)
        if report is None:
            raise NotFound(f"no emissions report for {installation_id} in {year}; run 'mrv report' first")
        if report.verified:
            raise Conflict(
                f"report {installation_id}/{year} v{report.version} is already verified; "
                "submit a corrected version to verify again"
            )
        outcome = assess(report.co2e_t, misstatement_t, opinion)
        book.verify(
            NewVerification(
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
        book.audit(
            now,
            actor,
            "report.verified" if outcome.verified else "report.not_verified",
            f"{installation_id}/{year}",
            {
                "version": report.version,
                "verifier": verifier,
                "opinion": opinion.value,
                "misstatement_t": misstatement_t,
            },
        )
        verified = dataclasses.replace(
            report, verified=outcome.verified, verified_emissions_t=outcome.verified_emissions_t
        )
        return _view(verified)

    return reports.run(work)


def report_history(reports: Reports, installation_id: str, year: int | None = None) -> list[ReportView]:
    def work(book: ReportBook) -> list[ReportView]:
        if book.jurisdiction_of(installation_id) is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        return [_view(r) for r in book.history(installation_id, year)]

    return reports.run(work)


def verified_emissions(reports: Reports, installation_id: str, year: int) -> int | None:
    """Whole tonnes CO2e of the latest report version if it is verified, else None."""

    def work(book: ReportBook) -> int | None:
        report = book.latest(installation_id, year)
        return report.verified_emissions_t if report is not None and report.verified else None

    return reports.run(work)
