"""The inventory in the CRT Data Exchange JSON of the ETF tool and in CRT-like workbooks: export,
coverage, validate, read back, tables - the use cases of `carbonbridge inventory crt`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from carbonbridge.adapters.uploads import saved
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.entrypoints.http import files
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http import schemas_reporting as r
from carbonbridge.entrypoints.http.access import Caller, Ctx
from carbonbridge.entrypoints.http.routes_inventory import Code, GwpF, Keys, Version, YearF, read_scope
from carbonbridge.services.inventory import api as inventory_api
from carbonbridge.services.inventory import crt

router = APIRouter(prefix="/inventory", tags=["national inventory"], responses=s.PROBLEMS)
Metadata = Annotated[UploadFile, File(description="The CRT metadata JSON published by UNFCCC (user-supplied)")]
Template = Annotated[UploadFile | None, File(description="The Party's own export from the ETF tool")]
MAX_TABLE_YEARS = 60  # one workbook per year: the whole series from 1990, bounded


def _read(ctx: Ctx, who: Caller, jurisdiction: str) -> None:
    read_scope(ctx, who, jurisdiction)


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


@router.post("/{jurisdiction}/crt/read", response_model=r.CrtReadPublic)
def crt_read(
    jurisdiction: Code,
    who: Caller,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="The CRT JSON to read")],
    metadata: Metadata,
    gwp_set: GwpF = "AR5GWP100",
) -> r.CrtReadPublic:
    """Read the emissions and notation keys of a CRT JSON back, converted to IPCC 2006 categories
    (`inventory crt read`); 422 with every located problem if the file cannot be read."""
    _read(ctx, who, jurisdiction)
    with saved({"file": files.read(file, "crt.json"), "metadata": files.read(metadata, "metadata.json")}) as paths:
        back = crt.read_crt(paths["file"], paths["metadata"], gwp_set=gwp_set)
    keys = [
        r.NotationKeyPublic.model_validate({k: getattr(key, k) for k in r.NotationKeyPublic.model_fields})
        for key in back.keys
    ]
    return r.CrtReadPublic(
        records=[r.RecordPublic.model_validate(asdict(record)) for record in back.records],
        notation_keys=keys,
        skipped_entries=back.skipped,
        years=sorted({x.year for x in back.records} | {k.year for k in back.keys}),
    )


@router.post(
    "/{jurisdiction}/submissions/{version}/crt/tables",
    response_class=Response,
    responses=files.binary(
        [inventory_api.XLSX, "application/zip"], "One XLSX workbook for one year; a zip of one per year"
    ),
)
def crt_tables(
    jurisdiction: Code,
    version: Version,
    who: Caller,
    ctx: Ctx,
    notation_keys: Keys = None,
    explanations: Annotated[UploadFile | None, File(description="Recalculation explanations CSV (Table 8)")] = None,
    previous_version: Annotated[int | None, Form(ge=1, le=10**6, description="Compare with (Table 8)")] = None,
    years: Annotated[str, Form(max_length=400, description="e.g. 1990-2004,2020 (default: the latest)")] = "",
    base_year: YearF = None,
    kca_threshold: Annotated[float, Form(gt=0, le=1, description="Key category threshold (flexibility 0.85)")] = 0.95,
    gwp_set: GwpF = "AR5GWP100",
) -> Response:
    """CRT-like workbooks for people (Summary 1 and 2, Tables 7 to 10, completeness), not an import
    file for the ETF tool - as `inventory crt tables`."""
    _read(ctx, who, jurisdiction)
    wanted = crt.parse_years(years, field="years")
    if len(wanted) > MAX_TABLE_YEARS:
        raise ValidationFailed([Problem(f"at most {MAX_TABLE_YEARS} years at once", field="years")])
    uploads = files.optional(notation_keys, "notation_keys.csv") | files.optional(explanations, "explanations.csv")
    with saved(uploads) as paths:
        name, media, content = inventory_api.crt_tables_file(
            ctx.sessions,
            jurisdiction,
            version,
            notation_keys=paths.get("notation_keys.csv"),
            explanations=paths.get("explanations.csv"),
            previous_version=previous_version,
            years=wanted or None,
            base_year=base_year,
            gwp_set=gwp_set,
            kca_threshold=kca_threshold,
        )
    return files.download(name, media, content)
