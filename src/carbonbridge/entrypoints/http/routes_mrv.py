"""MRV resources: an installation's emissions reports (every version) and their verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from carbonbridge.domain.auth.policy import Action
from carbonbridge.domain.mrv.verification import Opinion
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import Caller, Ctx, authorize
from carbonbridge.services import api_queries as q
from carbonbridge.services import reports

router = APIRouter(prefix="/mrv", tags=["monitoring, reporting, verification"], responses=s.PROBLEMS)
Year = Annotated[int, Path(ge=2000, le=2100)]


@router.get("/installations/{installation_id}/reports", response_model=s.Page[s.ReportPublic])
def list_reports(
    installation_id: s.Id,
    who: Caller,
    ctx: Ctx,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """Every version of the installation's annual reports, oldest first, with their verification."""
    authorize(ctx, who, Action.REPORT_READ, q.installation_target(ctx.sessions, installation_id), "installation")
    after = s.decode_cursor(cursor)
    keyed = [(f"{r.year:04d}/{r.version:06d}", r) for r in reports.report_history(ctx.sessions, installation_id, year)]
    found = [(k, r) for k, r in keyed if after is None or k > after][:limit]
    return s.page([s.ReportPublic.model_validate(r) for _, r in found], [k for k, _ in found], limit)


@router.post("/installations/{installation_id}/reports/{year}/verification", response_model=s.ReportPublic)
def verify(installation_id: s.Id, year: Year, body: s.VerificationCreate, who: Caller, ctx: Ctx) -> s.ReportPublic:
    """The assigned verifier's opinion on the latest report version (AVR materiality applies)."""
    authorize(ctx, who, Action.REPORT_VERIFY, q.installation_target(ctx.sessions, installation_id), "installation")
    done = reports.verify_report(
        ctx.sessions,
        installation_id,
        year,
        verifier=who.user_id,
        opinion=Opinion(body.opinion),
        misstatement_t=body.misstatement_t,
        now=ctx.now(),
        comments=body.comments,
        actor=who.id,
    )
    return s.ReportPublic.model_validate(done)
