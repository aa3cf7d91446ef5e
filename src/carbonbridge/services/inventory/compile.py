"""Inventory use cases with storage: compile a submission (a new version only when the inputs
changed), list and load versions, diff two versions, reconcile with verified MRV."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Integer, String, cast, func, null, select, union_all
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db.inventory_models import InventoryEmissionRow, InventorySubmissionRow
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.inventory_files import default_factor_table, load_factor_table, read_national_data
from carbonbridge.adapters.packs import load_pack
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.inventory.compile import compile_inventory
from carbonbridge.domain.inventory.reconcile import ReconciliationRow, reconcile
from carbonbridge.domain.inventory.records import EmissionRecord, aggregate, total_co2e_t
from carbonbridge.domain.inventory.versions import Change, diff
from carbonbridge.services.inventory.from_mrv import mrv_records

Sessions = sessionmaker[Session]
# Categories where every emitter is a regulated installation: a lower MRV share needs explaining.
MINIMUM_MRV_SHARE = {"2.A.1": 0.9, "2.B.1": 0.9, "2.B.2": 0.9}


@dataclass(frozen=True)
class SubmissionView:
    jurisdiction: str
    version: int
    label: str
    created_at: str
    years: list[int]
    records: int
    latest_total_without_lulucf_t_co2e: float
    gwp_set: str
    reference_approach: list[dict[str, Any]]
    notes: list[str]
    new: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _digest(folder: Path, mrv: list[EmissionRecord], mrv_categories: list[str], factors: Path | None) -> str:
    h = hashlib.sha256()
    if factors is not None:
        h.update(b"factors\0" + factors.read_bytes())
    for path in sorted(folder.glob("*.csv")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(repr(sorted((r.category, r.gas, r.year, r.mass_t) for r in mrv)).encode())
    h.update(repr(sorted(mrv_categories)).encode())
    return h.hexdigest()


def compile_submission(
    sessions: Sessions,
    jurisdiction: str,
    folder: Path,
    *,
    now: dt.datetime,
    label: str = "",
    mrv_categories: list[str] | None = None,
    gwp_set: str = "AR5GWP100",
    actor: str = "cli",
    factors: Path | None = None,
) -> SubmissionView:
    """Compile from the activity data in `folder` and the verified MRV of the jurisdiction;
    store it as a new version unless the inputs are byte-identical to the latest version's.
    `factors` is a table in the format of data/inventory/factors.csv whose rows override the defaults."""
    data = read_national_data(folder)
    table = default_factor_table()
    if factors is not None:
        table = table.overridden(load_factor_table(factors))
    with unit_of_work(sessions) as session:
        mrv, _ = mrv_records(session, jurisdiction)
        categories = list(mrv_categories or [])
        compiled = compile_inventory(data, load_pack(), table, mrv=mrv, mrv_categories=categories, gwp_set=gwp_set)
        if not compiled.records:
            raise ValidationFailed([Problem(f"no emissions could be compiled from {folder}", file=str(folder))])
        digest = _digest(folder, mrv, categories, factors)
        latest = _latest(session, jurisdiction)
        if latest is not None and latest.input_sha256 == digest:
            return _view(session, latest, gwp_set, new=False)
        row = InventorySubmissionRow(
            jurisdiction=jurisdiction,
            version=(latest.version + 1) if latest else 1,
            label=label or f"compiled from {folder.name}",
            input_sha256=digest,
            detail={
                "reference_approach": [r.as_dict() for r in compiled.reference_approach],
                "notes": list(compiled.notes),
                "mrv_categories": categories,
            },
            created_at=now,
        )
        session.add(row)
        session.flush()
        session.add_all(
            InventoryEmissionRow(
                submission_id=row.id,
                category=r.category,
                gas=r.gas,
                year=r.year,
                mass_t=r.mass_t,
                method=r.method[:120],
                tier=r.tier[:8],
                source=r.source[:32],
                factor=r.factor,
            )
            for r in compiled.records
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="inventory.compiled",
            subject=f"{jurisdiction}/v{row.version}",
            detail={"records": len(compiled.records), "sha256": digest},
        )
        session.flush()
        return _view(session, row, gwp_set, new=True)


def _latest(session: Session, jurisdiction: str) -> InventorySubmissionRow | None:
    return session.scalars(
        select(InventorySubmissionRow)
        .where(InventorySubmissionRow.jurisdiction == jurisdiction)
        .order_by(InventorySubmissionRow.version.desc())
        .limit(1)
    ).first()


def _submission(session: Session, jurisdiction: str, version: int | None) -> InventorySubmissionRow:
    if version is None:
        row = _latest(session, jurisdiction)
    else:
        row = session.scalars(
            select(InventorySubmissionRow).where(
                InventorySubmissionRow.jurisdiction == jurisdiction, InventorySubmissionRow.version == version
            )
        ).first()
    if row is None:
        raise NotFound(f"no inventory submission {jurisdiction} v{version if version else '(latest)'}; compile first")
    return row


def _records(session: Session, submission_id: int) -> list[EmissionRecord]:
    rows = session.scalars(
        select(InventoryEmissionRow)
        .where(InventoryEmissionRow.submission_id == submission_id)
        .order_by(InventoryEmissionRow.year, InventoryEmissionRow.category, InventoryEmissionRow.gas)
    )
    return [EmissionRecord(r.category, r.gas, r.year, r.mass_t, r.method, r.tier, r.source, r.factor) for r in rows]


def _view(session: Session, row: InventorySubmissionRow, gwp_set: str, *, new: bool) -> SubmissionView:
    records = _records(session, row.id)
    years = sorted({r.year for r in records})
    total = total_co2e_t(records, years[-1], gwp_set) if years else 0.0
    return _assemble(row, years, len(records), total, gwp_set, new=new)


def _assemble(
    row: InventorySubmissionRow, years: list[int], records: int, total: float, gwp_set: str, *, new: bool
) -> SubmissionView:
    return SubmissionView(
        row.jurisdiction,
        row.version,
        row.label,
        row.created_at.isoformat(),
        years,
        records,
        total,
        gwp_set,
        list(row.detail.get("reference_approach", [])),  # type: ignore[call-overload]
        list(row.detail.get("notes", [])),  # type: ignore[call-overload]
        new,
    )


def submissions_page(
    sessions: Sessions, jurisdiction: str, *, after: int | None, limit: int, gwp_set: str, label: str | None = None
) -> list[SubmissionView]:
    """Submission versions after `after` (and with `label`), oldest first, summarised in two
    statements whatever the page size: the page of submissions, then per version the count of
    records per year and the records of its latest year only (what its total needs) - the same
    view as `submission` gives, without loading every record of every version."""
    query = select(InventorySubmissionRow).where(InventorySubmissionRow.jurisdiction == jurisdiction)
    if after is not None:
        query = query.where(InventorySubmissionRow.version > after)
    if label is not None:
        query = query.where(InventorySubmissionRow.label == label)
    with unit_of_work(sessions) as session:
        rows = list(session.scalars(query.order_by(InventorySubmissionRow.version).limit(limit)))
        summary = _summaries(session, [r.id for r in rows])
    out = []
    for row in rows:
        counts, latest = summary.get(row.id, ({}, []))
        years = sorted(counts)
        total = total_co2e_t(latest, years[-1], gwp_set) if years else 0.0
        out.append(_assemble(row, years, sum(counts.values()), total, gwp_set, new=False))
    return out


def _summaries(session: Session, ids: list[int]) -> dict[int, tuple[dict[int, int], list[EmissionRecord]]]:
    """submission id -> (records per year, the records of its latest year), in one statement."""
    if not ids:
        return {}
    e = InventoryEmissionRow
    no_text, no_number = cast(null(), String), cast(null(), Float)
    per_year = (
        select(e.submission_id, e.year, func.count().label("n"), no_text, no_text, no_number)
        .where(e.submission_id.in_(ids))
        .group_by(e.submission_id, e.year)
    )
    latest = select(e.submission_id, func.max(e.year).label("year")).where(e.submission_id.in_(ids))
    latest_year = latest.group_by(e.submission_id).subquery()
    records = select(e.submission_id, e.year, cast(null(), Integer), e.category, e.gas, e.mass_t).join(
        latest_year, (latest_year.c.submission_id == e.submission_id) & (latest_year.c.year == e.year)
    )
    found: dict[int, tuple[dict[int, int], list[EmissionRecord]]] = {}
    for row in session.execute(union_all(per_year, records)):
        submission_id, year, n = int(row[0]), int(row[1]), row[2]
        counts, latest_records = found.setdefault(submission_id, ({}, []))
        if n is not None:
            counts[year] = int(n)
        else:
            latest_records.append(EmissionRecord(str(row[3]), str(row[4]), year, float(row[5])))
    return found


def load_submission(sessions: Sessions, jurisdiction: str, version: int | None = None) -> list[EmissionRecord]:
    with unit_of_work(sessions) as session:
        return _records(session, _submission(session, jurisdiction, version).id)


def submission(
    sessions: Sessions, jurisdiction: str, version: int | None = None, gwp_set: str = "AR5GWP100"
) -> SubmissionView:
    with unit_of_work(sessions) as session:
        return _view(session, _submission(session, jurisdiction, version), gwp_set, new=False)


def versions(sessions: Sessions, jurisdiction: str) -> list[int]:
    with unit_of_work(sessions) as session:
        return list(
            session.scalars(
                select(InventorySubmissionRow.version)
                .where(InventorySubmissionRow.jurisdiction == jurisdiction)
                .order_by(InventorySubmissionRow.version)
            )
        )


def diff_versions(
    sessions: Sessions, jurisdiction: str, old: int, new: int | None = None, *, gwp_set: str = "AR5GWP100"
) -> list[Change]:
    with unit_of_work(sessions) as session:
        before = _records(session, _submission(session, jurisdiction, old).id)
        after = _records(session, _submission(session, jurisdiction, new).id)
    return diff(before, after, gwp_set)


def reconcile_with_mrv(
    sessions: Sessions, jurisdiction: str, version: int | None = None, *, gwp_set: str = "AR5GWP100"
) -> list[ReconciliationRow]:
    """Per category and year that installations report: installations vs inventory, in t CO2e."""
    with unit_of_work(sessions) as session:
        records = _records(session, _submission(session, jurisdiction, version).id)
        mrv, who = mrv_records(session, jurisdiction)
    totals = aggregate(records, gwp_set)
    inventory = {(c, y): v for (c, g, y), v in totals.items() if g == "CO2e"}
    installations: dict[tuple[str, int], list[float]] = {}
    for r in mrv:
        installations.setdefault((r.category, r.year), []).append(r.co2e_t(gwp_set))
    mrv_totals = {k: (math.fsum(v), len(who.get(k, ()))) for k, v in installations.items()}
    return reconcile(inventory, mrv_totals, minimum_share=MINIMUM_MRV_SHARE)
