"""National inventory resources: submissions, their exports, KCA and uncertainty, and the CRT Data
Exchange JSON (export, validate, coverage) - the use cases of `carbonbridge inventory`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from carbonbridge.adapters.uploads import saved
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.entrypoints.http import files
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http import schemas_reporting as r
from carbonbridge.entrypoints.http.access import Caller, Ctx, authorize
from carbonbridge.services import inventory as store
from carbonbridge.services import inventory_api, inventory_commands
from carbonbridge.services import inventory_crt as crt

router = APIRouter(prefix="/inventory", tags=["national inventory"], responses=s.PROBLEMS)
Code = Annotated[s.Jurisdiction, Path()]
Version = Annotated[int, Path(ge=1, le=10**6)]
YearQ = Annotated[int | None, Query(ge=1900, le=2100, description="Reporting year (default: the latest)")]
BaseQ = Annotated[int | None, Query(ge=1900, le=2100, description="Base year of the trend (default: the first)")]
Gwp = Annotated[r.GwpSet, Query()]
YearF = Annotated[int | None, Form(ge=1900, le=2100)]
GwpF = Annotated[r.GwpSet, Form()]
Metadata = Annotated[UploadFile, File(description="The CRT metadata JSON published by UNFCCC (user-supplied)")]
Template = Annotated[UploadFile | None, File(description="The Party's own export from the ETF tool")]
Keys = Annotated[UploadFile | None, File(description="Notation keys CSV (docs/crt.md)")]


def _read(ctx: Ctx, who: Caller, jurisdiction: str) -> None:
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
    _read(ctx, who, jurisdiction)
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


@router.get("/{jurisdiction}/submissions/{version}", response_model=r.SubmissionPublic)
def get_submission(
    jurisdiction: Code, version: Version, who: Caller, ctx: Ctx, gwp_set: Gwp = "AR5GWP100"
) -> r.SubmissionPublic:
    _read(ctx, who, jurisdiction)
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
    _read(ctx, who, jurisdiction)
    name, media, content = inventory_api.export_file(
        ctx.sessions, jurisdiction, version, format, year=year, base_year=base_year, gwp_set=gwp_set
    )
    return files.download(name, media, content)


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
    _read(ctx, who, jurisdiction)
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
    _read(ctx, who, jurisdiction)
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


@router.post("/{jurisdiction}/submissions/{version}/crt/export", response_model=r.CrtExportPublic)
def crt_export(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    metadata: Metadata,
    template: Template = None,
    notation_keys: Keys = None,
    fx_years: Annotated[str, Form(max_length=200, description="Flexibility years, e.g. 1990-2004,2006")] = "",
    ne_threshold: Annotated[Literal["standard", "flexibility"] | None, Form()] = None,
    sectors: Annotated[str, Form(max_length=200, description="Comma-separated: energy, ippu, ..., lulucf")] = "",
    gwp_set: GwpF = "AR5GWP100",
) -> r.CrtExportPublic:
    """Fill the template (or an empty document) with the submission: the CRT JSON for the ETF tool.
    Any problem answers 422 with every located problem; nothing is produced."""
    _read(ctx, who, jurisdiction)
    uploads = {"metadata": files.read(metadata, "metadata.json")}
    uploads |= files.optional(template, "template.json") | files.optional(notation_keys, "notation_keys.csv")
    with saved(uploads) as paths:
        result, document = inventory_api.crt_export_document(
            ctx.sessions,
            jurisdiction,
            version,
            metadata=paths["metadata"],
            template=paths.get("template.json"),
            notation_keys=paths.get("notation_keys.csv"),
            now=ctx.now(),
            fx_years=fx_years,
            ne_threshold=ne_threshold,
            sectors=[x.strip() for x in sectors.split(",") if x.strip()],
            gwp_set=gwp_set,
        )
    data = {k: v for k, v in result.as_dict().items() if k != "output"}
    return r.CrtExportPublic(**data, document=document)


@router.post("/{jurisdiction}/submissions/{version}/crt/coverage", response_model=r.CrtCoveragePublic)
def crt_coverage(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    metadata: Metadata,
    template: Template = None,
    notation_keys: Keys = None,
) -> r.CrtCoveragePublic:
    """Where each CRT category and gas of the submission would go, without producing the file."""
    _read(ctx, who, jurisdiction)
    uploads = {"metadata": files.read(metadata, "metadata.json")}
    uploads |= files.optional(template, "template.json") | files.optional(notation_keys, "notation_keys.csv")
    with saved(uploads) as paths:
        records, keys, _ = crt.inventory_inputs(
            ctx.sessions, jurisdiction, version=version, records_file=None, keys_file=paths.get("notation_keys.csv")
        )
        result = crt.crt_coverage(
            records, keys, metadata_path=paths["metadata"], template_path=paths.get("template.json")
        )
    return r.CrtCoveragePublic.model_validate(result)


@router.post("/{jurisdiction}/crt/validate", response_model=r.CrtValidatePublic)
def crt_validate(
    jurisdiction: Code,
    who: Caller,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="The CRT JSON to check")],
    metadata: Metadata,
) -> r.CrtValidatePublic:
    """Check every import rule of a CRT JSON; 422 with one located problem per broken rule."""
    _read(ctx, who, jurisdiction)
    with saved({"file": files.read(file, "crt.json"), "metadata": files.read(metadata, "metadata.json")}) as paths:
        result = crt.validate_crt(paths["file"], paths["metadata"])
    return r.CrtValidatePublic(valid=result["valid"], years=result["years"], entries=result["entries"])
