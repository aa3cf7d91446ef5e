"""Installation pages: the monitoring plan, emissions reports and their verification, compliance
status and deadlines, and the activity data upload that shows each located problem next to its row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from carbonbridge.adapters.db.mrv import SqlReports
from carbonbridge.domain.auth.policy import Action, Decision, decide
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.mrv.verification import Opinion
from carbonbridge.entrypoints.http.access import authorize, scope_of
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import Ctx, SignedIn, page
from carbonbridge.entrypoints.web.security import field, posted
from carbonbridge.services import api_queries as q
from carbonbridge.services import compliance, mrv
from carbonbridge.services.mrv import reports

router = APIRouter()
InstallationId = Annotated[str, Path(min_length=1, max_length=64)]
MAX_UPLOAD_BYTES = 5_000_000
MAX_ROWS_SHOWN = 2000
OPINIONS = {
    "satisfactory": N_("verified as satisfactory"),
    "satisfactory_with_comments": N_("verified with comments"),
    "not_satisfactory": N_("not satisfactory: send back to the operator"),
}


def _installation(ctx: Ctx, who: SignedIn, action: Action, installation_id: str) -> Any:
    target = q.installation_target(ctx.sessions, installation_id)
    authorize(ctx, who, action, target, "installation")
    return target


def _visible_installations(ctx: Ctx, who: SignedIn) -> list[q.InstallationView]:
    vis = scope_of(ctx, who, Action.REPORT_READ)
    found: list[q.InstallationView] = []
    for code in sorted(vis.jurisdictions):
        found += q.installations_page(ctx.sessions, after=None, limit=q.MAX_PAGE, jurisdiction=code)
    own = set(vis.installations) | {q.account(ctx.sessions, a).installation_id or "" for a in vis.accounts}
    for code in sorted(who.jurisdictions() - vis.jurisdictions) if own else ():
        listed = q.installations_page(ctx.sessions, after=None, limit=q.MAX_PAGE, jurisdiction=code)
        found += [i for i in listed if i.id in own]
    return found


@router.get("/installations")
def installations(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.REPORT_READ, None)
    return page(request, "installations.html", who, installations=_visible_installations(ctx, who))


def _year(ctx: Ctx) -> int:
    """The compliance year reported now: the previous calendar year."""
    return ctx.now().astimezone(dt.UTC).year - 1


@router.get("/installations/{installation_id}")
def installation(
    installation_id: InstallationId,
    request: Request,
    who: SignedIn,
    ctx: Ctx,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """The installation; its compliance status and deadlines for `year` (default: the year reported now)."""
    target = _installation(ctx, who, Action.REPORT_READ, installation_id)
    year = year or _year(ctx)
    rules = ctx.core.jurisdiction(target.jurisdiction).compliance_rules(year)
    plan = mrv.monitoring_plan(ctx.sessions, installation_id)
    history = reports.report_history(SqlReports(ctx.sessions), installation_id)
    record = None
    if decide(who, Action.COMPLIANCE_READ, target) is Decision.ALLOW:
        record = compliance.compliance(ctx.sessions, installation_id, year)
    return page(
        request,
        "installation.html",
        who,
        jurisdiction=target.jurisdiction,
        installation_id=installation_id,
        plan=plan,
        reports=sorted(history, key=lambda r: (r.year, r.version), reverse=True),
        year=year,
        record=record,
        emissions_deadline=rules.emissions_deadline.for_year(year),
        surrender_deadline=rules.surrender_deadline.for_year(year),
        may_upload=decide(who, Action.ACTIVITY_UPLOAD, target) is Decision.ALLOW,
        may_verify=decide(who, Action.REPORT_VERIFY, target) is Decision.ALLOW,
        opinions=OPINIONS,
        errors={},
        values={},
    )


def _rows_of(content: bytes) -> tuple[list[str], list[list[str]]]:
    """The uploaded table as text, to show the problems beside the rows (line 1 is the header)."""
    text = content.decode("utf-8-sig", errors="replace")
    table = list(csv.reader(io.StringIO(text)))[: MAX_ROWS_SHOWN + 1]
    return (table[0], table[1:]) if table else ([], [])


def _foreign_rows(header: list[str], rows: list[list[str]], installation_id: str, name: str) -> list[Problem]:
    """Rows of another installation: an operator uploads the data of its own installation only."""
    if "installation_id" not in header:
        return []
    column = header.index("installation_id")
    return [
        Problem(
            f"this row belongs to installation {row[column]!r}, not {installation_id!r}",
            name,
            line,
            column + 1,
            "installation_id",
        )
        for line, row in enumerate(rows, start=2)
        if column < len(row) and row[column].strip() and row[column].strip() != installation_id
    ]


@router.post("/installations/{installation_id}/activity")
async def upload_activity(installation_id: InstallationId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Validate and store an activity data file; on any problem nothing is stored and every problem
    is shown beside the row (and column) it was found in."""
    form = await posted(request)
    _installation(ctx, who, Action.ACTIVITY_UPLOAD, installation_id)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_page(request, who, ctx, installation_id, errors={"file": N_("Choose a CSV file to upload.")})
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return _upload_page(request, who, ctx, installation_id, errors={"file": N_("The file is larger than 5 MB.")})
    name = FilePath(upload.filename).name[:120] or "activity.csv"
    header, rows = _rows_of(content)
    problems = _foreign_rows(header, rows, installation_id, name)
    stored: list[mrv.ImportedDataset] = []
    if not problems:
        with tempfile.TemporaryDirectory() as folder:
            path = FilePath(folder) / (name if name.endswith(".csv") else name + ".csv")
            path.write_bytes(content)
            try:
                stored = mrv.import_activity(
                    ctx.sessions, path, config=ctx.core.config, year=None, now=ctx.now(), actor=who.id
                )
            except ValidationFailed as exc:
                problems = list(exc.problems)
    return _upload_page(
        request, who, ctx, installation_id, header=header, rows=rows, problems=problems, stored=stored, name=name
    )


def _upload_page(
    request: Request,
    who: SignedIn,
    ctx: Ctx,
    installation_id: str,
    *,
    errors: dict[str, str] | None = None,
    header: list[str] | None = None,
    rows: list[list[str]] | None = None,
    problems: list[Problem] | None = None,
    stored: list[Any] | None = None,
    name: str = "",
) -> Response:
    by_line: dict[int, list[Problem]] = {}
    for problem in problems or []:
        by_line.setdefault(problem.line or 0, []).append(problem)
    failed = bool(errors or problems)
    return page(
        request,
        "upload.html",
        who,
        status=422 if failed else 200,
        jurisdiction=q.installation_target(ctx.sessions, installation_id).jurisdiction,
        installation_id=installation_id,
        errors=errors or {},
        header=header or [],
        rows=rows or [],
        by_line=by_line,
        problems=problems or [],
        stored=stored or [],
        name=name,
    )


@router.get("/installations/{installation_id}/activity")
def upload_form(installation_id: InstallationId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    _installation(ctx, who, Action.ACTIVITY_UPLOAD, installation_id)
    response = _upload_page(request, who, ctx, installation_id)
    response.status_code = 200
    return response


@router.post("/installations/{installation_id}/reports/{year}/verification")
async def verify(installation_id: InstallationId, year: int, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """The assigned verifier's opinion on the latest report version, or the report sent back."""
    form = await posted(request)
    _installation(ctx, who, Action.REPORT_VERIFY, installation_id)
    opinion, comments = field(form, "opinion", 32), field(form, "comments", 2000)
    misstatement = field(form, "misstatement_t", 20) or "0"
    if opinion not in OPINIONS:
        raise ValidationFailed([Problem("choose an opinion", field="opinion")])
    try:
        misstatement_t = float(misstatement)
    except ValueError:
        raise ValidationFailed([Problem("the misstatement is a number of tonnes", field="misstatement_t")]) from None
    reports.verify_report(
        SqlReports(ctx.sessions),
        installation_id,
        year,
        verifier=who.user_id,
        opinion=Opinion(opinion),
        misstatement_t=misstatement_t,
        now=ctx.now(),
        comments=comments,
        actor=who.id,
    )
    return RedirectResponse(f"/web/installations/{installation_id}#reports", status_code=303)
