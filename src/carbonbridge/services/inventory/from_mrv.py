"""Verified installation emissions (MRV) as inventory records, mapped to IPCC 2006 categories.

For each installation of the jurisdiction and year, the latest report version counts only if
its latest verification is positive. Fuel streams go to the 1.A category of their sector,
product streams to their activity's category, measured sources to the installation's sector.
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.models import (
    ActivityRecordRow,
    EmissionReportRow,
    InstallationRow,
    MeasurementResultRow,
    VerificationRow,
)
from carbonbridge.adapters.packs import load_activities
from carbonbridge.domain.inventory.records import EmissionRecord

SECTOR_CATEGORY = {
    "energy_industries": "1.A.1",
    "manufacturing": "1.A.2",
    "commercial": "1.A.4.a",
    "residential": "1.A.4.b",
}
MAX_REPORTS = 100_000


@cache
def _category(activity: str, sector: str) -> str:
    info = {a.code: a for a in load_activities()}.get(activity)
    if info is not None and info.kind.value == "product" and info.ipcc_category:
        return info.ipcc_category
    return SECTOR_CATEGORY.get(sector, "1.A.2")


def _verified_reports(session: Session, jurisdiction: str) -> list[tuple[EmissionReportRow, str]]:
    rows = session.execute(
        select(EmissionReportRow, InstallationRow.sector)
        .join(InstallationRow, InstallationRow.id == EmissionReportRow.installation_id)
        .where(InstallationRow.jurisdiction == jurisdiction)
        .order_by(EmissionReportRow.installation_id, EmissionReportRow.year, EmissionReportRow.version.desc())
        .limit(MAX_REPORTS)
    ).all()
    latest: dict[tuple[str, int], tuple[EmissionReportRow, str]] = {}
    for report, sector in rows:
        latest.setdefault((report.installation_id, report.year), (report, sector))
    out = []
    for report, sector in latest.values():
        verification = session.scalars(
            select(VerificationRow).where(VerificationRow.report_id == report.id).order_by(VerificationRow.id.desc())
        ).first()
        if verification is not None and verification.verified:
            out.append((report, sector))
    return out


def mrv_records(session: Session, jurisdiction: str) -> tuple[list[EmissionRecord], dict[tuple[str, int], set[str]]]:
    """Records summed over installations per (category, gas, year), and which installations
    contributed to each (category, year)."""
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    who: dict[tuple[str, int], set[str]] = defaultdict(set)
    for report, sector in _verified_reports(session, jurisdiction):
        if report.dataset_id is not None:
            query = select(ActivityRecordRow).where(ActivityRecordRow.dataset_id == report.dataset_id)
            for rec in session.scalars(query):
                cat = _category(rec.activity, rec.sector or sector)
                for gas, mass in (("CO2", rec.co2_t), ("CH4", rec.ch4_t), ("N2O", rec.n2o_t)):
                    parts[(cat, gas, report.year)].append(mass)
                who[(cat, report.year)].add(report.installation_id)
        provenance: Any = report.by_source_stream.get("_provenance") or {}
        ids = list(provenance.get("measurement_ids") or [])
        for m in session.scalars(select(MeasurementResultRow).where(MeasurementResultRow.id.in_(ids))):
            cat = SECTOR_CATEGORY.get(sector, "1.A.2")
            parts[(cat, m.gas, report.year)].append(m.emissions_t)
            who[(cat, report.year)].add(report.installation_id)
    records = [
        EmissionRecord(
            cat,
            gas,
            year,
            math.fsum(v),
            "verified installation reports (MRV)",
            "T3",
            "mrv",
            f"{len(who[(cat, year)])} installations",
        )
        for (cat, gas, year), v in sorted(parts.items())
        if math.fsum(v) != 0 or gas == "CO2"
    ]
    return records, dict(who)
