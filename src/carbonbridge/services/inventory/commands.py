"""One use-case function per `carbonbridge inventory` command, so the CLI stays thin: each reads
its inputs (a plain CSV or a stored submission) and returns a JSON-ready dictionary."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.inventory_files import read_category_table, read_records, read_uncertainty_table
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.inventory.records import EmissionRecord, years
from carbonbridge.services.inventory import analysis
from carbonbridge.services.inventory import compile as store
from carbonbridge.services.inventory.export import export_inventory

Sessions = sessionmaker[Session]


def kca_from_csv(path: Path, *, year: int | None, base_year: int | None, gwp_set: str) -> dict[str, Any]:
    rows = read_category_table(path)
    year, base_year = analysis.latest_and_base(sorted({r["year"] for r in rows}), year, base_year)
    current = analysis.table_estimates(rows, year, gwp_set)
    base = analysis.table_estimates(rows, base_year, gwp_set) if base_year is not None else None
    given = analysis.table_uncertainties(rows)
    u = {k: math.hypot(v["ad_pct"], v["ef_pct"]) for k, v in given.items()}
    return analysis.kca_report(
        current, base, year=year, base_year=base_year, uncertainty_pct=u if any(u.values()) else None
    )


def uncertainty_from_csv(
    path: Path, *, year: int | None, base_year: int | None, gwp_set: str, seed: int, iterations: int
) -> dict[str, Any]:
    rows = read_category_table(path)
    year, base_year = analysis.latest_and_base(sorted({r["year"] for r in rows}), year, base_year)
    current = analysis.table_estimates(rows, year, gwp_set)
    base = analysis.table_estimates(rows, base_year, gwp_set) if base_year is not None else None
    report = analysis.uncertainty_report(
        current, base, analysis.table_uncertainties(rows), seed=seed, iterations=iterations
    )
    return {"year": year, "base_year": base_year, "gwp_set": gwp_set, **report}


def _records(
    sessions: Sessions | None, jurisdiction: str | None, version: int | None, records_file: Path | None
) -> list[EmissionRecord]:
    if records_file is not None:
        return read_records(records_file)
    if sessions is None or jurisdiction is None:
        raise ValidationFailed([Problem("give a jurisdiction (stored submission) or --records FILE", field="input")])
    return store.load_submission(sessions, jurisdiction, version)


def kca_from_store(
    sessions: Sessions | None,
    jurisdiction: str | None,
    *,
    version: int | None,
    records_file: Path | None,
    year: int | None,
    base_year: int | None,
    gwp_set: str,
    uncertainty_file: Path | None,
    with_lulucf: bool = True,
) -> dict[str, Any]:
    """KCA of a stored submission or records file; with LULUCF by default (report both ways)."""
    records = _records(sessions, jurisdiction, version, records_file)
    year, base_year = analysis.latest_and_base(years(records), year, base_year)
    current = analysis.records_estimates(records, year, gwp_set, with_lulucf=with_lulucf)
    base = (
        analysis.records_estimates(records, base_year, gwp_set, with_lulucf=with_lulucf)
        if base_year is not None
        else None
    )
    u = None
    if uncertainty_file is not None:
        table = analysis.match_uncertainties(
            sorted(set(current) | set(base or {})), read_uncertainty_table(uncertainty_file)
        )
        u = {k: math.hypot(v["ad_pct"], v["ef_pct"]) for k, v in table.items()}
    return {
        **analysis.kca_report(current, base, year=year, base_year=base_year, uncertainty_pct=u),
        "with_lulucf": with_lulucf,
    }


def _uncertainty(
    records: list[EmissionRecord],
    year: int,
    base_year: int | None,
    gwp_set: str,
    uncertainty_file: Path,
    seed: int,
    iterations: int,
    with_lulucf: bool = False,
) -> tuple[dict[str, Any], dict[analysis.Key, float]]:
    current = analysis.records_estimates(records, year, gwp_set, with_lulucf=with_lulucf)
    base = (
        analysis.records_estimates(records, base_year, gwp_set, with_lulucf=with_lulucf)
        if base_year is not None
        else None
    )
    every = analysis.records_estimates(records, year, gwp_set)  # KCA Approach 2 weights LULUCF too
    keys = sorted(set(current) | set(base or {}) | set(every))
    table = analysis.match_uncertainties(keys, read_uncertainty_table(uncertainty_file))
    report = analysis.uncertainty_report(current, base, table, seed=seed, iterations=iterations)
    return report, {k: math.hypot(v["ad_pct"], v["ef_pct"]) for k, v in table.items()}


def uncertainty_from_store(
    sessions: Sessions | None,
    jurisdiction: str | None,
    *,
    version: int | None,
    records_file: Path | None,
    year: int | None,
    base_year: int | None,
    gwp_set: str,
    uncertainty_file: Path,
    seed: int,
    iterations: int,
    with_lulucf: bool = False,
) -> dict[str, Any]:
    records = _records(sessions, jurisdiction, version, records_file)
    year, base_year = analysis.latest_and_base(years(records), year, base_year)
    report, _ = _uncertainty(records, year, base_year, gwp_set, uncertainty_file, seed, iterations, with_lulucf)
    return {"year": year, "base_year": base_year, "gwp_set": gwp_set, "with_lulucf": with_lulucf, **report}


def export(
    sessions: Sessions | None,
    jurisdiction: str,
    out: Path,
    *,
    version: int | None,
    records_file: Path | None,
    year: int | None,
    base_year: int | None,
    gwp_set: str,
    uncertainty_file: Path | None,
    seed: int,
    iterations: int = 20_000,
    charts: bool = True,
) -> dict[str, Any]:
    records = _records(sessions, None if records_file else jurisdiction, version, records_file)
    year, base_year = analysis.latest_and_base(years(records), year, base_year)
    reference: list[dict[str, Any]] = []
    if sessions is not None and records_file is None:
        reference = store.submission(sessions, jurisdiction, version, gwp_set).reference_approach
    uncertainty: dict[str, Any] | None = None
    u_pct: dict[analysis.Key, float] | None = None
    if uncertainty_file is not None:
        uncertainty, u_pct = _uncertainty(records, year, base_year, gwp_set, uncertainty_file, seed, iterations)
    result = export_inventory(
        records,
        out,
        jurisdiction=jurisdiction,
        gwp_set=gwp_set,
        year=year,
        base_year=base_year,
        uncertainty=uncertainty,
        uncertainty_pct=u_pct,
        reference=reference,
        charts_too=charts,
    )
    return {"files": result["files"], "sheets": result["sheets"], "key_categories": result["kca"]["key_categories"]}
