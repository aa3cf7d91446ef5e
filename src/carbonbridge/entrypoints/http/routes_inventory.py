"""National inventory resources: compile a submission, read every version, diff two, reconcile one
with verified MRV, its exports, KCA and uncertainty - the use cases of `carbonbridge inventory`
(its `crt` commands are routes_inventory_crt.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from carbonbridge.adapters.uploads import saved, saved_together
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.entrypoints.http import files
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http import schemas_reporting as r
from carbonbridge.entrypoints.http.access import Caller, Ctx, authorize
from carbonbridge.services.inventory import api as inventory_api
from carbonbridge.services.inventory import commands as inventory_commands
from carbonbridge.services.inventory import compile as store

router = APIRouter(prefix="/inventory", tags=["national inventory"], responses=s.PROBLEMS)
Code = Annotated[s.Jurisdiction, Path()]
Version = Annotated[int, Path(ge=1, le=10**6)]
YearQ = Annotated[int | None, Query(ge=1900, le=2100, description="Reporting year (default: the latest)")]
BaseQ = Annotated[int | None, Query(ge=1900, le=2100, description="Base year of the trend (default: the first)")]
Gwp = Annotated[r.GwpSet, Query()]
YearF = Annotated[int | None, Form(ge=1900, le=2100)]
GwpF = Annotated[r.GwpSet, Form()]
T = TypeVar("T")
MAX_INPUT_FILES = 40  # every known input file once (adapters/inventory_files.INPUT_FILES), with room
Keys = Annotated[UploadFile | None, File(description="Notation keys CSV (docs/crt.md)")]


def read_scope(ctx: Ctx, who: Caller, jurisdiction: str) -> None:
    authorize(ctx, who, Action.INVENTORY_READ, Target(jurisdiction), "jurisdiction")


def _submission(view: store.SubmissionView) -> r.SubmissionPublic:
    return r.SubmissionPublic.model_validate({k: getattr(view, k) for k in r.SubmissionPublic.model_fields})


@router.get("/{jurisdiction}/submissions", response_model=s.Page[r.SubmissionPublic])
def list_submissions(
    jurisdiction: Code,
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    label: Annotated[str | None, Query(max_length=200)] = None,
    gwp_set: Gwp = "AR5GWP100",
) -> dict[str, object]:
    """Every submission version, oldest first; totals in the GWP set asked for."""
    read_scope(ctx, who, jurisdiction)
    after = s.decode_cursor(cursor)
    found = inventory_api.submissions_page(
        ctx.sessions,
        jurisdiction,
        after=int(after) if after and after.isdigit() else None,
        limit=limit,
        gwp_set=gwp_set,
        label=label,
    )
    return s.page([_submission(v) for v in found], [str(v.version) for v in found], limit)


@router.post(
    "/{jurisdiction}/submissions",
    response_model=r.CompiledPublic,
    status_code=201,
    responses={200: {"description": "The inputs were the latest version's: it is returned", "model": r.CompiledPublic}},
)
def compile_submission(
    jurisdiction: Code,
    who: Caller,
    ctx: Ctx,
    response: Response,
    activity_data: Annotated[
        list[UploadFile], File(description="National activity data CSVs, named as in docs/inventory.md")
    ],
    label: Annotated[str, Form(max_length=200, description="Label of the submission")] = "",
    mrv_categories: Annotated[
        str, Form(max_length=400, description="Comma-separated categories taken from verified MRV, e.g. 2.A.1")
    ] = "",
    factors: Annotated[UploadFile | None, File(description="Factor table overriding the shipped defaults")] = None,
    gwp_set: GwpF = "AR5GWP100",
) -> r.CompiledPublic:
    """Compile a submission from the uploaded national activity data and the jurisdiction's verified
    MRV (`inventory compile`): a new version (201) unless the inputs are the latest version's (200).
    Any problem answers 422 with every located problem; nothing is stored."""
    authorize(ctx, who, Action.INVENTORY_COMPILE, Target(jurisdiction), "jurisdiction")
    if len(activity_data) > MAX_INPUT_FILES:
        raise ValidationFailed([Problem(f"at most {MAX_INPUT_FILES} files", field="activity_data")])
    uploads = [files.read(upload, f"input-{n}.csv") for n, upload in enumerate(activity_data, 1)]
    categories = [c.strip() for c in mrv_categories.split(",") if c.strip()]
    with (
        saved(files.optional(factors, "factors.csv")) as own,
        saved_together("activity_data", uploads, what="the uploaded activity data") as folder,
    ):
        view = store.compile_submission(
            ctx.sessions,
            jurisdiction,
            folder,
            now=ctx.now(),
            label=label or "compiled from uploaded activity data",
            mrv_categories=categories,
            gwp_set=gwp_set,
            actor=who.id,
            factors=own.get("factors.csv"),
        )
    if not view.new:
        response.status_code = 200
    return r.CompiledPublic.model_validate({k: getattr(view, k) for k in r.CompiledPublic.model_fields})


@router.get("/{jurisdiction}/submissions/{version}", response_model=r.SubmissionPublic)
def get_submission(
    jurisdiction: Code, version: Version, who: Caller, ctx: Ctx, gwp_set: Gwp = "AR5GWP100"
) -> r.SubmissionPublic:
    read_scope(ctx, who, jurisdiction)
    return _submission(store.submission(ctx.sessions, jurisdiction, version, gwp_set))


@router.get(
    "/{jurisdiction}/submissions/{version}/export",
    response_class=Response,
    responses=files.binary(
        sorted({media for _, media in inventory_api.EXPORTS.values()}),
        "The file (zip: every publication of `inventory export`, charts aside)",
    ),
)
def export(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    format: Annotated[r.ExportFormat, Query(description="Which publication")] = "zip",
    year: YearQ = None,
    base_year: BaseQ = None,
    gwp_set: Gwp = "AR5GWP100",
) -> Response:
    """primap2 interchange files, Summary 1 / Table 10 CSV and the XLSX workbook of a submission."""
    read_scope(ctx, who, jurisdiction)
    name, media, content = inventory_api.export_file(
        ctx.sessions, jurisdiction, version, format, year=year, base_year=base_year, gwp_set=gwp_set
    )
    return files.download(name, media, content)


@router.get("/{jurisdiction}/submissions/{version}/changes", response_model=s.Page[r.ChangePublic])
def changes(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    since: Annotated[int, Query(ge=1, le=10**6, description="The older version to compare with")],
    gwp_set: Gwp = "AR5GWP100",
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """What the recalculation from version `since` to this one changed, per category, gas and year
    (`inventory diff`), in the order of the diff."""
    read_scope(ctx, who, jurisdiction)
    found = store.diff_versions(ctx.sessions, jurisdiction, since, version, gwp_set=gwp_set)
    items, keys = _after(found, cursor, limit)
    out = [r.ChangePublic.model_validate(asdict(c) | {"kind": c.kind, "delta_t_co2e": c.delta_co2e_t}) for c in items]
    return s.page(out, keys, limit)


@router.get("/{jurisdiction}/submissions/{version}/reconciliation", response_model=s.Page[r.ReconciliationPublic])
def reconciliation(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    gwp_set: Gwp = "AR5GWP100",
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """Verified installation emissions against the submission, per category and year that
    installations report, with flags (`inventory reconcile`)."""
    read_scope(ctx, who, jurisdiction)
    found = store.reconcile_with_mrv(ctx.sessions, jurisdiction, version, gwp_set=gwp_set)
    items, keys = _after(found, cursor, limit)
    out = [r.ReconciliationPublic.model_validate(asdict(x) | {"share": _finite(x.share)}) for x in items]
    return s.page(out, keys, limit)


def _after(found: Sequence[T], cursor: str | None, limit: int) -> tuple[list[T], list[str]]:
    """The page of a computed list after the cursor (its position in the list)."""
    after = s.decode_cursor(cursor)
    start = int(after) + 1 if after and after.isdigit() else 0
    page = list(found[start : start + limit])
    return page, [f"{n:09d}" for n in range(start, start + len(page))]


def _finite(share: float) -> float | None:
    return share if math.isfinite(share) else None  # JSON has no infinity: the inventory has nothing there


def _kca(result: dict[str, Any]) -> r.KcaPublic:
    assessments = {k: v for k, v in result.items() if k in ("level", "trend", "level_approach2", "trend_approach2")}
    keys = [
        r.KeyCategoryPublic(
            category=k["category"],
            gas=k["gas"],
            by=k["by"],
            shares={n: v for n, v in k.items() if n not in ("category", "gas", "by")},
        )
        for k in result["key_categories"]
    ]
    return r.KcaPublic(
        year=result["year"],
        base_year=result["base_year"],
        with_lulucf=result["with_lulucf"],
        thresholds=result["thresholds"],
        key_categories=keys,
        assessments=assessments,
    )


@router.get("/{jurisdiction}/submissions/{version}/kca", response_model=r.KcaPublic)
def kca(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    year: YearQ = None,
    base_year: BaseQ = None,
    gwp_set: Gwp = "AR5GWP100",
    lulucf: Annotated[bool, Query(description="Include LULUCF categories")] = True,
) -> r.KcaPublic:
    """Key category analysis, Approach 1 level and trend (95 %)."""
    read_scope(ctx, who, jurisdiction)
    result = inventory_commands.kca_from_store(
        ctx.sessions,
        jurisdiction,
        version=version,
        records_file=None,
        year=year,
        base_year=base_year,
        gwp_set=gwp_set,
        uncertainty_file=None,
        with_lulucf=lulucf,
    )
    return _kca(result)


@router.post("/{jurisdiction}/submissions/{version}/uncertainty", response_model=r.UncertaintyPublic)
def uncertainty(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    uncertainty_table: Annotated[UploadFile, File(description="Uncertainty table CSV (as --uncertainty-table)")],
    year: YearF = None,
    base_year: YearF = None,
    gwp_set: GwpF = "AR5GWP100",
    seed: Annotated[int, Form(ge=0, le=2**31)] = 1,
    iterations: Annotated[int, Form(ge=100, le=20_000, description="Monte Carlo iterations")] = 20_000,
    lulucf: Annotated[bool, Form()] = False,
) -> r.UncertaintyPublic:
    """Approach 1 (propagation) and Approach 2 (Monte Carlo, 2.5-97.5 %) of a submission."""
    read_scope(ctx, who, jurisdiction)
    with saved({"table": files.read(uncertainty_table, "uncertainty.csv")}) as paths:
        result = inventory_commands.uncertainty_from_store(
            ctx.sessions,
            jurisdiction,
            version=version,
            records_file=None,
            year=year,
            base_year=base_year,
            gwp_set=gwp_set,
            uncertainty_file=paths["table"],
            seed=seed,
            iterations=iterations,
            with_lulucf=lulucf,
        )
    return r.UncertaintyPublic.model_validate(result)
