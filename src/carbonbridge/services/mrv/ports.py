"""The MRV reports port: what the annual-report use cases (services/mrv/reports.py) read and write.

`Reports.run(work)` runs `work` in one database transaction with a `ReportBook`: committed if it
returns, rolled back if it raises. The use cases speak only these two protocols, the records
below and the domain; `adapters/db/mrv/reports.SqlReports` implements them on SQLite and
PostgreSQL, `testing/memory_reports.MemoryReports` with lists for fast tests.

Report versions are immutable: the port appends a version or a verification, never changes one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from carbonbridge.domain.mrv.reporting import ReportHead, ReportInputs, StreamEmissions

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ActivityDataset:
    """The latest activity dataset of an installation-year and the emissions of its records."""

    id: int
    method_pack: str
    records: tuple[StreamEmissions, ...]


@dataclass(frozen=True, slots=True)
class Measurement:
    """The latest version of a measured (CEMS) year of one emission source and gas."""

    id: int
    emission_source: str
    gas: str
    emissions_t: float

    def as_stream(self) -> StreamEmissions:
        return StreamEmissions(self.emission_source, "measurement", **{f"{self.gas.lower()}_t": self.emissions_t})


@dataclass(frozen=True, slots=True)
class NewReport:
    """A report version to append."""

    installation_id: str
    year: int
    version: int
    dataset_id: int | None
    gwp_set: str
    method_pack: str
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    category: str
    by_source_stream: Mapping[str, object]
    reason: str
    submitted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A stored report version with its latest verification (`verified` False, no tonnes, without one).

    `id` names the version for `ReportBook.verify`; `verified_emissions_t` is the latest
    verification's figure whether or not it verified the report."""

    id: int
    installation_id: str
    year: int
    version: int
    gwp_set: str
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    category: str
    by_source_stream: Mapping[str, object]
    verified: bool
    verified_emissions_t: int | None

    def head(self) -> ReportHead:
        inputs = ReportInputs.from_record(self.by_source_stream.get("_provenance"))
        return ReportHead(self.version, self.gwp_set, inputs, self.verified)


@dataclass(frozen=True, slots=True)
class NewVerification:
    """A verifier's opinion on one report version (report_id: `StoredReport.id`)."""

    report_id: int
    verifier: str
    opinion: str
    misstatement_t: float
    materiality_pct: float
    material: bool
    verified: bool
    verified_emissions_t: int | None
    comments: str
    verified_at: dt.datetime


class ReportBook(Protocol):
    """The reports, their inputs and verifications as one command sees them, in one transaction."""

    def jurisdiction_of(self, installation_id: str) -> str | None:
        """The installation's jurisdiction code; None for an unknown installation."""
        ...

    def activity(self, installation_id: str, year: int) -> ActivityDataset | None:
        """The highest version of the installation-year's activity dataset, if any."""
        ...

    def measurements(self, installation_id: str, year: int) -> Sequence[Measurement]:
        """The highest version per (emission source, gas), ordered by emission source and gas."""
        ...

    def latest(self, installation_id: str, year: int) -> StoredReport | None:
        """The highest report version of the installation-year, if any."""
        ...

    def history(self, installation_id: str, year: int | None) -> Sequence[StoredReport]:
        """Every report version of the installation (of `year` only, if given), by year and version."""
        ...

    def append(self, report: NewReport) -> StoredReport:
        """Store a new report version (not verified)."""
        ...

    def verify(self, verification: NewVerification) -> None:
        """Store a verification of a report version; it becomes that version's latest."""
        ...

    def audit(self, now: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, object]) -> None:
        """Append an audit record in the same transaction."""
        ...


class Reports(Protocol):
    """Where MRV report commands run."""

    def run(self, work: Callable[[ReportBook], T]) -> T:
        """`work` in one transaction: committed if it returns, rolled back if it raises."""
        ...
