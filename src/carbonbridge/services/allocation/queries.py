"""Read side of allocation for the API: the allocation decisions posted for a jurisdiction-year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from carbonbridge.adapters.db.compliance_models import AllocationEntryRow
from carbonbridge.adapters.db.registry.ledger import Sessions

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class AllocationEntryView:
    installation_id: str
    year: int
    phase: str
    basis: str
    allocation_t: int
    delivered_t: int
    deducted_t: int
    debt_t: int
    created_at: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.installation_id}/{self.phase}"


def entries_page(
    sessions: Sessions,
    jurisdiction: str,
    year: int,
    *,
    after: str | None,
    limit: int,
    phase: str | None = None,
    installation_id: str | None = None,
) -> list[AllocationEntryView]:
    """Ordered by installation and phase; `after` is the key (installation/phase) of the last row seen."""
    a = AllocationEntryRow
    query = select(a).where(a.jurisdiction == jurisdiction, a.year == year)
    if phase is not None:
        query = query.where(a.phase == phase)
    if installation_id is not None:
        query = query.where(a.installation_id == installation_id)
    if after is not None:
        inst, _, last_phase = after.partition("/")
        query = query.where((a.installation_id > inst) | ((a.installation_id == inst) & (a.phase > last_phase)))
    query = query.order_by(a.installation_id, a.phase).limit(min(limit, MAX_PAGE))
    with sessions() as session:
        return [
            AllocationEntryView(
                row.installation_id,
                row.year,
                row.phase,
                row.basis,
                row.allocation_t,
                row.delivered_t,
                row.deducted_t,
                row.debt_t,
                row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC),
            )
            for row in session.scalars(query)
        ]
