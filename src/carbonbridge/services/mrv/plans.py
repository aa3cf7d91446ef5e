"""MRV use cases against storage: monitoring plans (register a version, read the latest)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db.models import InstallationRow, MonitoringPlanRow, SourceStreamRow
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.packs import load_pack
from carbonbridge.domain.errors import Conflict, Problem, ValidationFailed
from carbonbridge.domain.jurisdiction import Config
from carbonbridge.domain.mrv.monitoring import Method, MonitoringPlan, SourceStream, StreamCategory

Sessions = sessionmaker[Session]


def register_plan(
    sessions: Sessions, plan: MonitoringPlan, *, config: Config, now: dt.datetime, actor: str = "cli"
) -> int:
    """Register an installation (or update it) with a new monitoring plan version; its jurisdiction
    must be one of `config` (the configuration the composition root read)."""
    config.jurisdiction(plan.jurisdiction)
    pack = load_pack(plan.method_pack)
    problems = [
        Problem(f"unknown activity {s.activity!r} in method pack {pack.name}", field=f"source_streams.{s.name}")
        for s in plan.source_streams
        if s.method is not Method.MEASUREMENT and s.activity not in pack.activities
    ]
    if problems:
        raise ValidationFailed(problems)
    with unit_of_work(sessions) as session:
        row = session.get(InstallationRow, plan.installation_id)
        if row is None:
            session.add(
                InstallationRow(
                    id=plan.installation_id,
                    jurisdiction=plan.jurisdiction,
                    name=plan.name,
                    operator=plan.operator,
                    sector=plan.sector,
                    created_at=now,
                )
            )
        elif row.jurisdiction != plan.jurisdiction:
            raise Conflict(
                f"installation {plan.installation_id} belongs to {row.jurisdiction}, not {plan.jurisdiction}"
            )
        else:
            row.name, row.operator, row.sector = plan.name, plan.operator, plan.sector
        version = (
            session.scalar(
                select(func.max(MonitoringPlanRow.version)).where(
                    MonitoringPlanRow.installation_id == plan.installation_id
                )
            )
            or 0
        ) + 1
        plan_row = MonitoringPlanRow(
            installation_id=plan.installation_id,
            version=version,
            category=plan.category,
            method_pack=plan.method_pack,
            created_at=now,
        )
        session.add(plan_row)
        session.flush()
        for s in plan.source_streams:
            session.add(
                SourceStreamRow(
                    plan_id=plan_row.id,
                    name=s.name,
                    activity=s.activity,
                    method=s.method.value,
                    stream_category=s.category.value,
                    tier_activity=s.tier_activity,
                    tier_ncv=s.tier_ncv,
                    tier_ef=s.tier_ef,
                    tier_of=s.tier_oxidation,
                )
            )
        audit(
            session,
            at=now,
            actor=actor,
            action="monitoring_plan.registered",
            subject=plan.installation_id,
            detail={"version": version, "streams": len(plan.source_streams)},
        )
        return version


def latest_plan(session: Session, installation_id: str) -> tuple[MonitoringPlanRow, MonitoringPlan] | None:
    """The installation's latest plan row and the plan it records (None before the first), in `session`."""
    row = session.scalars(
        select(MonitoringPlanRow)
        .where(MonitoringPlanRow.installation_id == installation_id)
        .order_by(MonitoringPlanRow.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    inst = session.get_one(InstallationRow, installation_id)
    streams = session.scalars(
        select(SourceStreamRow).where(SourceStreamRow.plan_id == row.id).order_by(SourceStreamRow.id)
    ).all()
    plan = MonitoringPlan(
        inst.id,
        inst.jurisdiction,
        inst.name,
        inst.operator,
        inst.sector,
        row.category,
        row.method_pack,
        tuple(
            SourceStream(
                s.name,
                s.activity,
                Method(s.method),
                StreamCategory(s.stream_category),
                s.tier_activity,
                s.tier_ncv,
                s.tier_ef,
                s.tier_of,
            )
            for s in streams
        ),
    )
    return row, plan


def monitoring_plan(sessions: Sessions, installation_id: str) -> tuple[int, MonitoringPlan] | None:
    """The installation's latest monitoring plan and its version (None before the first)."""
    with sessions() as session:
        found = latest_plan(session, installation_id)
        return None if found is None else (found[0].version, found[1])
