"""The national inventory for the HTTP API: submissions page by page, and the CLI's exports
(`inventory export`, `inventory crt export`, `inventory crt tables`) as bytes instead of files in
a folder."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carbonbridge.domain.errors import NotFound
from carbonbridge.services.inventory import commands, crt
from carbonbridge.services.inventory import compile as store
from carbonbridge.services.inventory.compile import Sessions

MAX_PAGE = 200
EXPORTS = {  # format -> (file of `inventory export` under its folder, media type); zip: every file
    "xlsx": ("inventory.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "primap2-csv": ("primap2/{iso3}_inventory.csv", "text/csv"),
    "primap2-yaml": ("primap2/{iso3}_inventory.yaml", "application/yaml"),
    "summary1-csv": ("summary1_{year}.csv", "text/csv"),
    "zip": ("", "application/zip"),
}


def submissions_page(
    sessions: Sessions,
    jurisdiction: str,
    *,
    after: int | None,
    limit: int,
    gwp_set: str = "AR5GWP100",
    label: str | None = None,
) -> list[store.SubmissionView]:
    """The submissions of a jurisdiction by version, after version `after`; `label` filters."""
    return store.submissions_page(
        sessions, jurisdiction, after=after, limit=min(limit, MAX_PAGE), gwp_set=gwp_set, label=label
    )


def export_file(
    sessions: Sessions,
    jurisdiction: str,
    version: int,
    fmt: str,
    *,
    year: int | None,
    base_year: int | None,
    gwp_set: str,
) -> tuple[str, str, bytes]:
    """One publication of `inventory export` (or all of them zipped, charts aside): name, media type, bytes."""
    store.submission(sessions, jurisdiction, version, gwp_set)  # NotFound before any work
    folder = Path(tempfile.mkdtemp(prefix="carbonbridge-export-"))
    try:
        result = commands.export(
            sessions,
            jurisdiction,
            folder,
            version=version,
            records_file=None,
            year=year,
            base_year=base_year,
            gwp_set=gwp_set,
            uncertainty_file=None,
            seed=1,
            charts=False,
        )
        name, media = EXPORTS[fmt]
        written = sorted(Path(f) for f in result["files"])
        if fmt == "zip":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in written:
                    archive.write(path, path.relative_to(folder).as_posix())
            return f"{jurisdiction}_inventory_v{version}.zip", media, buffer.getvalue()
        prefix = name.split("{", 1)[0]
        wanted = [p for p in written if p.relative_to(folder).as_posix().startswith(prefix)]
        suffix = Path(name).suffix
        wanted = [p for p in wanted if p.suffix == suffix]
        if not wanted:
            raise NotFound(f"the export of {jurisdiction} v{version} has no {fmt} file")
        return f"{jurisdiction}_v{version}_{wanted[0].name}", media, wanted[0].read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def crt_export_document(
    sessions: Sessions,
    jurisdiction: str,
    version: int,
    *,
    metadata: Path,
    template: Path | None,
    notation_keys: Path | None,
    now: dt.datetime,
    fx_years: str = "",
    ne_threshold: str | None = None,
    sectors: Sequence[str] = (),
    gwp_set: str = "AR5GWP100",
) -> tuple[crt.ExportResult, dict[str, Any]]:
    """`inventory crt export` of a stored submission: the result and the CRT JSON document written."""
    records, keys, label = crt.inventory_inputs(
        sessions, jurisdiction, version=version, records_file=None, keys_file=notation_keys
    )
    output = metadata.parent / "crt.json"
    result = crt.export_crt(
        records,
        keys,
        metadata_path=metadata,
        template_path=template,
        output=output,
        now=now,
        fx_years=crt.parse_years(fx_years, field="fx_years"),
        gwp_set=gwp_set,
        source=label,
        ne_threshold=ne_threshold,
        sectors=sectors,
    )
    document = json.loads(output.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "export_crt writes a JSON object"
    return result, document


XLSX = EXPORTS["xlsx"][1]


def crt_tables_file(
    sessions: Sessions,
    jurisdiction: str,
    version: int,
    *,
    notation_keys: Path | None,
    explanations: Path | None,
    previous_version: int | None,
    years: Sequence[int] | None,
    base_year: int | None,
    gwp_set: str,
    kca_threshold: float,
) -> tuple[str, str, bytes]:
    """`inventory crt tables` of a stored submission: one XLSX workbook for one year, else a zip of
    one per year. Name, media type, bytes."""
    store.submission(sessions, jurisdiction, version, gwp_set)  # NotFound before any work
    folder = Path(tempfile.mkdtemp(prefix="carbonbridge-tables-"))
    try:
        result = crt.tables_command(
            sessions,
            jurisdiction,
            folder,
            version=version,
            records_file=None,
            keys_file=notation_keys,
            previous_version=previous_version,
            previous_records=None,
            explanations=explanations,
            years=years,
            base_year=base_year,
            gwp_set=gwp_set,
            kca_threshold=kca_threshold,
        )
        written = sorted(Path(f) for f in result["files"])
        if len(written) == 1:
            return f"{jurisdiction}_v{version}_{written[0].name}", XLSX, written[0].read_bytes()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, path.name)
        return f"{jurisdiction}_v{version}_CRT-like.zip", "application/zip", buffer.getvalue()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
