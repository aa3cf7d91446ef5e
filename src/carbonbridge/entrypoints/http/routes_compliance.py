"""Compliance resources: verified emissions entered, status per installation-year, assessments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.registry.compliance import ComplianceRecord
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import Caller, Ctx, authorize
from carbonbridge.services import api_queries as q
from carbonbridge.services import compliance as assessments

router = APIRouter(tags=["compliance"], responses=s.PROBLEMS)
Year = Annotated[int, Path(ge=2000, le=2100)]
Code = Annotated[s.Jurisdiction, Path()]


def _record(installation_id: str, year: int, record: ComplianceRecord) -> s.CompliancePublic:
    return s.CompliancePublic(
        installation_id=installation_id,
        year=year,
        verified_emissions_t=record.verified_emissions_t,
        surrendered=record.surrendered,
        status=record.status.value,
    )


@router.get("/compliance/{installation_id}/{year}", response_model=s.CompliancePublic)
def status(installation_id: s.Id, year: Year, who: Caller, ctx: Ctx) -> s.CompliancePublic:
    """Verified emissions, units surrendered and the status (A, B, C) of an installation-year."""
    authorize(ctx, who, Action.COMPLIANCE_READ, q.installation_target(ctx.sessions, installation_id), "installation")
    return _record(installation_id, year, assessments.compliance(ctx.sessions, installation_id, year))


@router.post("/compliance/{installation_id}/{year}/verified-emissions", response_model=s.CompliancePublic)
def enter(installation_id: s.Id, year: Year, who: Caller, ctx: Ctx) -> s.CompliancePublic:
    """Enter the verified emissions of the latest verified MRV report (C01_NOT_VERIFIED otherwise)."""
    authorize(ctx, who, Action.COMPLIANCE_ENTER, q.installation_target(ctx.sessions, installation_id), "installation")
    record = assessments.enter_verified_emissions(ctx.sessions, installation_id, year, now=ctx.now(), actor=who.id)
    return _record(installation_id, year, record)


@router.get("/compliance/assessments", response_model=s.Page[s.AssessmentPublic])
def list_assessments(
    jurisdiction: Annotated[s.Jurisdiction, Query()],
    year: Annotated[int, Query(ge=2000, le=2100)],
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """The latest assessment of every installation-year: shortfall, penalty, blocked account."""
    authorize(ctx, who, Action.ASSESSMENT_READ, Target(jurisdiction), "jurisdiction")
    after = s.decode_cursor(cursor)
    found = [
        a
        for a in assessments.assessments(ctx.sessions, jurisdiction, year)
        if after is None or a.installation_id > after
    ][:limit]
    fields = s.AssessmentPublic.model_fields
    items = [s.AssessmentPublic.model_validate({k: v for k, v in a.as_dict().items() if k in fields}) for a in found]
    return s.page(items, [a.installation_id for a in found], limit)


@router.post("/compliance/jurisdictions/{jurisdiction}/{year}/verified-emissions", response_model=s.EnteredPublic)
def enter_all(jurisdiction: Code, year: Year, who: Caller, ctx: Ctx) -> s.EnteredPublic:
    """Enter the verified emissions of every installation whose latest MRV report is verified."""
    authorize(ctx, who, Action.COMPLIANCE_ENTER, Target(jurisdiction), "jurisdiction")
    entered, missing = assessments.enter_all(
        ctx.sessions, ctx.core.jurisdiction(jurisdiction), year, now=ctx.now(), actor=who.id
    )
    return s.EnteredPublic(entered=sorted(entered), without_verified_report=sorted(missing))


@router.post("/compliance/jurisdictions/{jurisdiction}/{year}/block-missing", response_model=s.BlockedPublic)
def block_missing(jurisdiction: Code, year: Year, who: Caller, ctx: Ctx) -> s.BlockedPublic:
    """After the emissions deadline: block operator accounts with no verified emissions entered."""
    authorize(ctx, who, Action.ASSESS, Target(jurisdiction), "jurisdiction")
    blocked = assessments.block_missing(
        ctx.sessions, ctx.core.jurisdiction(jurisdiction), year, now=ctx.now(), actor=who.id
    )
    return s.BlockedPublic(blocked=sorted(blocked))


@router.post("/compliance/jurisdictions/{jurisdiction}/{year}/assessments", response_model=list[s.AssessmentPublic])
def assess(jurisdiction: Code, year: Year, who: Caller, ctx: Ctx) -> list[s.AssessmentPublic]:
    """After the surrender deadline: assess every installation-year (status, shortfall, penalty)."""
    authorize(ctx, who, Action.ASSESS, Target(jurisdiction), "jurisdiction")
    views = assessments.assess_year(
        ctx.sessions, ctx.core.jurisdiction(jurisdiction), year, now=ctx.now(), actor=who.id
    )
    fields = s.AssessmentPublic.model_fields
    return [s.AssessmentPublic.model_validate({k: v for k, v in a.as_dict().items() if k in fields}) for a in views]
