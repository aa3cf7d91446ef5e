"""Compliance account data: verified emissions (only from a verified MRV report), units
surrendered, and the status per installation-year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.mrv import SqlReports
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.registry.tables import COMPLIANCE_ENTRIES as ENTRIES
from carbonbridge.adapters.db.registry.tables import TRANSACTIONS
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.domain.errors import NotFound, RuleViolation
from carbonbridge.domain.registry.compliance import ComplianceRecord
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.services.mrv.reports import verified_emissions

NOT_VERIFIED = "C01_NOT_VERIFIED"


def enter_verified_emissions(
    sessions: Sessions, installation_id: str, year: int, *, now: dt.datetime, actor: str = "registry"
) -> ComplianceRecord:
    """Copy the verified emissions of the latest MRV report; refused if that report is not verified."""
    tonnes = verified_emissions(SqlReports(sessions), installation_id, year)
    if tonnes is None:
        raise RuleViolation(NOT_VERIFIED, f"{installation_id} has no verified emissions report for {year}")
    with unit_of_work(sessions) as session:
        latest = _latest(session, installation_id, year)
        if latest != tonnes:
            session.execute(
                insert(ENTRIES).values(
                    installation_id=installation_id, year=year, verified_emissions_t=tonnes, entered_at=now, actor=actor
                )
            )
            detail: dict[str, object] = {"year": year, "verified_emissions_t": tonnes, "previous": latest}
            audit(
                session,
                at=now,
                actor=actor,
                action="registry.compliance.entered",
                subject=installation_id,
                detail=detail,
            )
    return compliance(sessions, installation_id, year)


def _latest(session: Session, installation_id: str, year: int) -> int | None:
    value = session.scalar(
        select(ENTRIES.c.verified_emissions_t)
        .where(ENTRIES.c.installation_id == installation_id, ENTRIES.c.year == year)
        .order_by(ENTRIES.c.id.desc())
        .limit(1)
    )
    return int(value) if value is not None else None


def compliance(sessions: Sessions, installation_id: str, year: int) -> ComplianceRecord:
    """Verified emissions vs completed surrenders for the installation-year, with its status."""
    t = TRANSACTIONS
    with unit_of_work(sessions) as session:
        if session.get(InstallationRow, installation_id) is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        surrendered = session.scalar(
            select(func.coalesce(func.sum(t.c.quantity), 0)).where(
                t.c.type == TransactionType.SURRENDER.value,
                t.c.state == TransactionState.COMPLETED.value,
                t.c.installation_id == installation_id,
                t.c.compliance_year == year,
            )
        )
        return ComplianceRecord(installation_id, year, _latest(session, installation_id, year), int(surrendered or 0))
