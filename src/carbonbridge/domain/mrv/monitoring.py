"""Monitoring plans: installations, source streams, methods and tiers (EU MRR Arts. 12-26).

Category thresholds are EU MRR 2018/2066 Art. 19(2) (installations) and Art. 19(3) (source
streams); tier names are those of Annex II. The consistency rule checked on import: a
parameter monitored at a site-specific tier (NCV/EF tier 2b or 3, EU MRR Annex II 2.1-2.2 and
Art. 32-35 analyses) must come with a site-specific value in each record. Plan files are parsed
in adapters/monitoring_plan_file.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from carbonbridge.domain.errors import Problem
from carbonbridge.domain.mrv.records import ActivityRecord
from carbonbridge.domain.units import Dimension, UnitError, dimension_of


class Method(StrEnum):
    CALCULATION = "calculation"
    MASS_BALANCE = "mass_balance"
    MEASUREMENT = "measurement"


class StreamCategory(StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    DE_MINIMIS = "de_minimis"


TIERS = {
    "activity": ("1", "2", "3", "4"),
    "ncv": ("1", "2a", "2b", "3"),
    "ef": ("1", "2a", "2b", "3"),
    "oxidation": ("1", "2", "3"),
}
SITE_SPECIFIC_TIERS = frozenset({"2b", "3"})


def installation_category(annual_emissions_t_co2e: float) -> str:
    """EU MRR Art. 19(2): A <= 50 kt, B > 50 kt and <= 500 kt, C > 500 kt CO2e a year."""
    if annual_emissions_t_co2e <= 50_000:
        return "A"
    if annual_emissions_t_co2e <= 500_000:
        return "B"
    return "C"


@dataclass(frozen=True, slots=True)
class SourceStream:
    name: str
    activity: str
    method: Method = Method.CALCULATION
    category: StreamCategory = StreamCategory.MAJOR
    tier_activity: str = "1"
    tier_ncv: str = "1"
    tier_ef: str = "1"
    tier_oxidation: str = "1"


@dataclass(frozen=True, slots=True)
class MonitoringPlan:
    installation_id: str
    jurisdiction: str
    name: str
    operator: str
    sector: str
    category: str
    method_pack: str
    source_streams: tuple[SourceStream, ...]

    def stream(self, name: str) -> SourceStream | None:
        return next((s for s in self.source_streams if s.name == name), None)


def _is_energy(unit: str) -> bool:
    """A quantity already in energy (GJ, MWh, Gcal...) needs no NCV, whatever the NCV tier."""
    try:
        return dimension_of(unit) is Dimension.ENERGY
    except UnitError:
        return False


def check_records_against_plan(
    plan: MonitoringPlan, records: Iterable[tuple[int, ActivityRecord]], *, file: str, columns: tuple[str, ...]
) -> list[Problem]:
    """Each record must name a stream of the plan, of the same activity, carrying the
    site-specific values its declared tiers require. `records` pairs each with its line."""

    def col(name: str) -> int | None:
        return columns.index(name) + 1 if name in columns else None

    problems: list[Problem] = []
    for line, record in records:
        if record.installation_id != plan.installation_id:
            problems.append(
                Problem(
                    f"installation_id {record.installation_id!r} differs from the plan's {plan.installation_id!r}",
                    file,
                    line,
                    col("installation_id"),
                    "installation_id",
                )
            )
            continue
        stream = plan.stream(record.source_stream)
        if stream is None:
            problems.append(
                Problem(
                    f"source stream {record.source_stream!r} is not in the monitoring plan of {plan.installation_id}",
                    file,
                    line,
                    col("source_stream"),
                    "source_stream",
                )
            )
            continue
        if stream.method is Method.MEASUREMENT:
            # Calculated records on a measured source would share its report line and be lost there.
            problems.append(
                Problem(
                    f"source stream {stream.name!r} is measurement-based: import its hourly data with 'mrv cems'",
                    file,
                    line,
                    col("source_stream"),
                    "source_stream",
                )
            )
            continue
        if stream.activity != record.activity:
            problems.append(
                Problem(
                    f"source stream {stream.name!r} is monitored as {stream.activity!r}, not {record.activity!r}",
                    file,
                    line,
                    col("activity"),
                    "activity",
                )
            )
        if stream.tier_ef in SITE_SPECIFIC_TIERS and record.emission_factor is None and record.carbon_content is None:
            problems.append(
                Problem(
                    f"source stream {stream.name!r} is monitored at EF tier {stream.tier_ef}: a "
                    "site-specific emission_factor or carbon_content is required",
                    file,
                    line,
                    col("emission_factor"),
                    "emission_factor",
                )
            )
        energy_units = _is_energy(record.unit)
        if stream.tier_ncv in SITE_SPECIFIC_TIERS and record.ncv is None and not energy_units:
            problems.append(
                Problem(
                    f"source stream {stream.name!r} is monitored at NCV tier {stream.tier_ncv}: "
                    "a site-specific ncv is required",
                    file,
                    line,
                    col("ncv"),
                    "ncv",
                )
            )
    return problems
