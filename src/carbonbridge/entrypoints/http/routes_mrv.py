"""MRV resources: monitoring plans, activity data upload, annual emissions reports (compile,
correct, every version) and their verification - the use cases of `carbonbridge mrv`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from carbonbridge.adapters.db.mrv import SqlReports
from carbonbridge.adapters.monitoring_plan_file import parse_plan
from carbonbridge.adapters.uploads import saved
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.mrv.verification import Opinion
from carbonbridge.entrypoints.http import files
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http import schemas_reporting as r
from carbonbridge.entrypoints.http.access import Caller, Ctx, authorize
from carbonbridge.services import api_queries as q
from carbonbridge.services import mrv
from carbonbridge.services.mrv import queries as mrv_queries
from carbonbridge.services.mrv import reports

router = APIRouter(prefix="/mrv", tags=["monitoring, reporting, verification"], responses=s.PROBLEMS)
Year = Annotated[int, Path(ge=2000, le=2100)]
PlanVersion = Annotated[int, Path(ge=1, le=10**6)]


def _installation(ctx: Ctx, who: Caller, action: Action, installation_id: str) -> None:
    authorize(ctx, who, action, q.installation_target(ctx.sessions, installation_id), "installation")


def _plan_out(view: mrv_queries.PlanView) -> r.PlanPublic:
    return r.PlanPublic.model_validate(view)


@router.post("/monitoring-plans", response_model=r.PlanPublic, status_code=201)
def register_plan(body: r.PlanCreate, who: Caller, ctx: Ctx) -> r.PlanPublic:
    """Register an installation with its monitoring plan, or a new version of the plan of one."""
    try:
        target = q.installation_target(ctx.sessions, body.installation_id)
    except NotFound:  # a new installation: the national administrator of its jurisdiction registers it
        target = Target(body.jurisdiction, (), body.installation_id)
    authorize(ctx, who, Action.PLAN_REGISTER, target, "installation")
    plan = parse_plan(body.model_dump(), file="<request>")
    version = mrv.register_plan(ctx.sessions, plan, config=ctx.core.config, now=ctx.now(), actor=who.id)
    return _plan_out(mrv_queries.plan_versions(ctx.sessions, plan.installation_id, version=version)[0])


@router.get("/installations/{installation_id}/monitoring-plans", response_model=s.Page[r.PlanPublic])
def list_plans(
    installation_id: s.Id, who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50
) -> dict[str, object]:
    """Every version of the installation's monitoring plan, oldest first, with its source streams."""
    _installation(ctx, who, Action.PLAN_READ, installation_id)
    after = s.decode_cursor(cursor)
    found = mrv_queries.plan_versions(
        ctx.sessions, installation_id, after=int(after) if after and after.isdigit() else None, limit=limit
    )
    return s.page([_plan_out(p) for p in found], [str(p.version) for p in found], limit)


@router.get("/installations/{installation_id}/monitoring-plans/{version}", response_model=r.PlanPublic)
def get_plan(installation_id: s.Id, version: PlanVersion, who: Caller, ctx: Ctx) -> r.PlanPublic:
    _installation(ctx, who, Action.PLAN_READ, installation_id)
    found = mrv_queries.plan_versions(ctx.sessions, installation_id, version=version)
    if not found:
        raise NotFound(f"no monitoring plan v{version} of {installation_id}")
    return _plan_out(found[0])


@router.post("/activity-data", response_model=r.ImportPublic, status_code=201)
def upload_activity(
    who: Caller,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="Activity records: CSV or XLSX (as `carbonbridge mrv import`)")],
    year: Annotated[int | None, Form(ge=2000, le=2100, description="Year for records without one")] = None,
) -> r.ImportPublic:
    """Import a year of activity data, all or nothing: any problem answers 422 with every located
    problem (file, line, column, field) and nothing is stored. Every installation in the file must
    be the principal's."""
    authorize(ctx, who, Action.ACTIVITY_UPLOAD, None)

    def admit(installations: list[str]) -> None:
        for installation_id in installations:
            try:
                target = q.installation_target(ctx.sessions, installation_id)
            except NotFound:
                continue  # reported with its line as an installation without a monitoring plan
            authorize(ctx, who, Action.ACTIVITY_UPLOAD, target, "installation")

    with saved({"activity": files.read(file, "activity.csv")}) as paths:
        done = mrv.import_activity(
            ctx.sessions,
            paths["activity"],
            config=ctx.core.config,
            year=year,
            now=ctx.now(),
            actor=who.id,
            admit=admit,
        )
    return r.ImportPublic(datasets=[r.DatasetPublic.model_validate(d) for d in done])


@router.post("/installations/{installation_id}/measurements", response_model=r.MeasurementPublic, status_code=201)
def upload_measurements(
    installation_id: s.Id,
    who: Caller,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="Hourly CEMS data: CSV with hour, concentration, flow")],
    year: Annotated[int, Form(ge=2000, le=2100)],
    emission_source: Annotated[str, Form(min_length=1, max_length=120, description="Measurement-based source")],
    gas: Annotated[r.MeasuredGas, Form()] = "CO2",
    concentration_unit: Annotated[r.ConcentrationUnit, Form()] = "g/Nm3",
    flow_unit: Annotated[r.FlowUnit, Form()] = "Nm3/h",
) -> r.MeasurementPublic:
    """Measurement-based emissions of one source of the monitoring plan for a year, as `carbonbridge
    mrv cems`: a blank hour is missing and substituted (mean + 2 sigma, EU MRR Art. 45); a new
    version each time. Any problem answers 422 with every located problem; nothing is stored."""
    _installation(ctx, who, Action.MEASUREMENT_UPLOAD, installation_id)
    with saved({"file": files.read(file, "hourly.csv")}) as paths:
        result = mrv.import_cems(
            ctx.sessions,
            paths["file"],
            installation_id=installation_id,
            year=year,
            emission_source=emission_source,
            gas=gas,
            concentration_unit=concentration_unit,
            flow_unit=flow_unit,
            now=ctx.now(),
            actor=who.id,
        )
    return r.MeasurementPublic(
        installation_id=installation_id, year=year, emission_source=emission_source, gas=gas, **asdict(result)
    )


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
    _installation(ctx, who, Action.REPORT_READ, installation_id)
    after = s.decode_cursor(cursor)
    keyed = [
        (f"{r.year:04d}/{r.version:06d}", r)
        for r in reports.report_history(SqlReports(ctx.sessions), installation_id, year)
    ]
    found = [(k, r) for k, r in keyed if after is None or k > after][:limit]
    return s.page([s.ReportPublic.model_validate(r) for _, r in found], [k for k, _ in found], limit)


@router.post("/installations/{installation_id}/reports/{year}", response_model=s.ReportPublic)
def submit_report(installation_id: s.Id, year: Year, body: r.ReportCreate, who: Caller, ctx: Ctx) -> s.ReportPublic:
    """Compile and submit the annual report from the latest activity data and measurements. Nothing
    changed: the latest version is returned. A verified report is corrected by a new version, which
    needs a `reason`; a report the verifier sent back (not satisfactory) is corrected the same way."""
    _installation(ctx, who, Action.REPORT_SUBMIT, installation_id)
    view = reports.submit_report(
        SqlReports(ctx.sessions),
        installation_id,
        year,
        config=ctx.core.config,
        now=ctx.now(),
        gwp_set=body.gwp_set,
        reason=body.reason,
        actor=who.id,
    )
    return s.ReportPublic.model_validate(view)


@router.post("/installations/{installation_id}/reports/{year}/verification", response_model=s.ReportPublic)
def verify(installation_id: s.Id, year: Year, body: s.VerificationCreate, who: Caller, ctx: Ctx) -> s.ReportPublic:
    """The assigned verifier's opinion on the latest report version (AVR materiality applies);
    `not_satisfactory` sends the report back to the operator."""
    _installation(ctx, who, Action.REPORT_VERIFY, installation_id)
    done = reports.verify_report(
        SqlReports(ctx.sessions),
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
