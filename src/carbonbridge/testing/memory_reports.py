"""In-memory MRV reports: the reports port (services/mrv/ports.py) on lists, for service tests of
services/mrv/reports.py that run in milliseconds.

It keeps what the SQL adapter keeps: installations with their jurisdiction, activity datasets and
measured years in versions, report versions and their verifications (append only), and the
audit record. `run` works on a copy of the state and keeps it only if the work returns, so a
command that raises leaves nothing behind, as a rolled-back database transaction."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from carbonbridge.domain.errors import Conflict, NotFound
from carbonbridge.domain.mrv.reporting import StreamEmissions
from carbonbridge.services.mrv.ports import ActivityDataset, Measurement, NewReport, NewVerification, StoredReport

T = TypeVar("T")
AuditRecord = tuple[dt.datetime, str, str, str, dict[str, object]]


@dataclass(frozen=True, slots=True)
class StoredDataset:
    installation_id: str
    year: int
    version: int
    dataset: ActivityDataset


@dataclass(frozen=True, slots=True)
class StoredMeasurement:
    installation_id: str
    year: int
    version: int
    measurement: Measurement


@dataclass
class ReportsState:
    """Every stored record; ids are positions + 1 in their list, as autoincrement keys."""

    installations: dict[str, str] = field(default_factory=dict)  # id -> jurisdiction
    datasets: list[StoredDataset] = field(default_factory=list)
    measurements: list[StoredMeasurement] = field(default_factory=list)
    reports: list[NewReport] = field(default_factory=list)
    verifications: list[NewVerification] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)


class MemoryReportBook:
    """The reports of one command (implements services.mrv.ports.ReportBook)."""

    __slots__ = ("state",)

    def __init__(self, state: ReportsState) -> None:
        self.state = state

    def jurisdiction_of(self, installation_id: str) -> str | None:
        return self.state.installations.get(installation_id)

    def activity(self, installation_id: str, year: int) -> ActivityDataset | None:
        found = [d for d in self.state.datasets if (d.installation_id, d.year) == (installation_id, year)]
        return max(found, key=lambda d: d.version).dataset if found else None

    def measurements(self, installation_id: str, year: int) -> list[Measurement]:
        latest: dict[tuple[str, str], StoredMeasurement] = {}
        for m in self.state.measurements:
            if (m.installation_id, m.year) != (installation_id, year):
                continue
            key = (m.measurement.emission_source, m.measurement.gas)
            if key not in latest or m.version > latest[key].version:
                latest[key] = m
        return [latest[key].measurement for key in sorted(latest)]

    def latest(self, installation_id: str, year: int) -> StoredReport | None:
        found = self.history(installation_id, year)
        return found[-1] if found else None

    def history(self, installation_id: str, year: int | None) -> list[StoredReport]:
        found = [
            (r.year, r.version, self._stored(i + 1, r))
            for i, r in enumerate(self.state.reports)
            if r.installation_id == installation_id and (year is None or r.year == year)
        ]
        return [stored for _, _, stored in sorted(found, key=lambda f: (f[0], f[1]))]

    def append(self, report: NewReport) -> StoredReport:
        key = (report.installation_id, report.year, report.version)
        if any((r.installation_id, r.year, r.version) == key for r in self.state.reports):
            raise Conflict(f"report {report.installation_id}/{report.year} v{report.version} is already stored")
        self.state.reports.append(report)
        return self._stored(len(self.state.reports), report)

    def verify(self, verification: NewVerification) -> None:
        if not 0 < verification.report_id <= len(self.state.reports):
            raise NotFound(f"no report with id {verification.report_id}")
        self.state.verifications.append(verification)

    def audit(self, now: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
        self.state.audit.append((now, actor, action, subject, dict(detail)))

    def _stored(self, report_id: int, r: NewReport) -> StoredReport:
        verification = next((v for v in reversed(self.state.verifications) if v.report_id == report_id), None)
        return StoredReport(
            report_id,
            r.installation_id,
            r.year,
            r.version,
            r.gwp_set,
            r.co2_t,
            r.ch4_t,
            r.n2o_t,
            r.co2e_t,
            r.category,
            dict(r.by_source_stream),
            bool(verification and verification.verified),
            verification.verified_emissions_t if verification else None,
        )


class MemoryReports:
    """MRV report commands on a ReportsState (implements services.mrv.ports.Reports), with the
    set-up a test needs besides the commands (services/mrv/plans.py and imports.py do it in SQL)."""

    def __init__(self) -> None:
        self.state = ReportsState()

    def run(self, work: Callable[[MemoryReportBook], T]) -> T:
        """`work` on a copy of the state, kept only if `work` returns (a rollback otherwise)."""
        draft = copy.deepcopy(self.state)
        result = work(MemoryReportBook(draft))
        self.state = draft
        return result

    def add_installation(self, installation_id: str, jurisdiction: str) -> None:
        self.state.installations[installation_id] = jurisdiction

    def import_activity(
        self, installation_id: str, year: int, records: Iterable[StreamEmissions], *, method_pack: str = "ipcc2006"
    ) -> int:
        """A new version of the installation-year's activity dataset; returns its id."""
        versions = [d.version for d in self.state.datasets if (d.installation_id, d.year) == (installation_id, year)]
        dataset = ActivityDataset(len(self.state.datasets) + 1, method_pack, tuple(records))
        self.state.datasets.append(StoredDataset(installation_id, year, max(versions, default=0) + 1, dataset))
        return dataset.id

    def import_measurement(self, installation_id: str, year: int, source: str, gas: str, emissions_t: float) -> int:
        """A new version of a measured year of one emission source and gas; returns its id."""
        versions = [
            m.version
            for m in self.state.measurements
            if (m.installation_id, m.year, m.measurement.emission_source, m.measurement.gas)
            == (installation_id, year, source, gas)
        ]
        measurement = Measurement(len(self.state.measurements) + 1, source, gas, emissions_t)
        self.state.measurements.append(
            StoredMeasurement(installation_id, year, max(versions, default=0) + 1, measurement)
        )
        return measurement.id

    def audit_actions(self) -> list[str]:
        return [action for _, _, action, _, _ in self.state.audit]


if TYPE_CHECKING:  # the fake implements the port (checked by mypy)
    from carbonbridge.services.mrv.ports import Reports

    _IMPLEMENTS_THE_PORT: Reports = MemoryReports()
