"""Read side of MRV for the API: the monitoring plan versions of an installation, keyset-paginated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from carbonbridge.adapters.db.models import InstallationRow, MonitoringPlanRow, SourceStreamRow
from carbonbridge.domain.errors import NotFound
from carbonbridge.services.mrv.plans import Sessions

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class SourceStreamView:
    name: str
    activity: str
    method: str
    category: str
    tier_activity: str
    tier_ncv: str
    tier_ef: str
    tier_oxidation: str


@dataclass(frozen=True, slots=True)
class PlanView:
    installation_id: str
    jurisdiction: str
    version: int
    category: str
    method_pack: str
    created_at: dt.datetime
    source_streams: tuple[SourceStreamView, ...]


def plan_versions(
    sessions: Sessions,
    installation_id: str,
    *,
    after: int | None = None,
    limit: int = 50,
    version: int | None = None,
) -> list[PlanView]:
    """Plan versions of the installation, oldest first, after version `after` (or only `version`)."""
    p = MonitoringPlanRow
    query = select(p).where(p.installation_id == installation_id).order_by(p.version).limit(min(limit, MAX_PAGE))
    if after is not None:
        query = query.where(p.version > after)
    if version is not None:
        query = query.where(p.version == version)
    with sessions() as session:
        installation = session.get(InstallationRow, installation_id)
        if installation is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        plans = list(session.scalars(query))
        streams: dict[int, list[SourceStreamView]] = {plan.id: [] for plan in plans}
        found = session.scalars(
            select(SourceStreamRow).where(SourceStreamRow.plan_id.in_(list(streams))).order_by(SourceStreamRow.id)
        )
        for s in found:
            streams[s.plan_id].append(
                SourceStreamView(
                    s.name, s.activity, s.method, s.stream_category, s.tier_activity, s.tier_ncv, s.tier_ef, s.tier_of
                )
            )
        return [
            PlanView(
                installation_id,
                installation.jurisdiction,
                plan.version,
                plan.category,
                plan.method_pack,
                plan.created_at if plan.created_at.tzinfo else plan.created_at.replace(tzinfo=dt.UTC),
                tuple(streams[plan.id]),
            )
            for plan in plans
        ]
