"""UNFCCC-shaped summary tables: Summary 1 (one year, by category and gas) and Table 10 (trends
by sector and year), as CSV and as one XLSX workbook with KCA, uncertainty and the reference
approach on their own sheets. Masses in kt (Gg) of gas; F-gases and totals in kt CO2e."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carbonbridge.domain.inventory.records import (
    SECTORS,
    EmissionRecord,
    aggregate,
    category_title,
    is_lulucf,
)

SUMMARY_GASES = ("CO2", "CH4", "N2O")
SUMMARY_FGASES = ("HFCs", "PFCs", "SF6", "NF3")
TREND_GASES = ("CO2e", "CO2", "CH4", "N2O")
Table = list[list[Any]]


def natural_key(code: str) -> tuple[tuple[int, Any], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"\.", code))


def _rows_for(records: Sequence[EmissionRecord], depth: int | None = None) -> list[str]:
    codes = set(aggregate(records).keys())
    cats = {c for c, _, _ in codes if c not in ("0", "M.0.EL")}
    if depth is not None:
        cats = {c for c in cats if c.count(".") < depth}
    return sorted(cats, key=natural_key)


def summary1(records: Sequence[EmissionRecord], year: int, gwp_set: str) -> Table:
    """Rows: national totals and every category with data, in tree order. kt = Gg."""
    mine = [r for r in records if r.year == year]
    mass = aggregate(mine)
    co2e = aggregate(mine, gwp_set)
    header = [
        "category",
        "title",
        *(f"{g} (kt)" for g in SUMMARY_GASES),
        *(f"{g} (kt CO2e)" for g in SUMMARY_FGASES),
        f"total (kt CO2e, {gwp_set})",
    ]
    table: Table = [header]
    for code, title in (("0", "Total national emissions and removals"), ("M.0.EL", "Total excluding LULUCF")):
        table.append(_summary_row(code, title, year, mass, co2e))
    for code in _rows_for(mine):
        table.append(_summary_row(code, category_title(code), year, mass, co2e))
    return table


def _summary_row(code: str, title: str, year: int, mass: dict[Any, float], co2e: dict[Any, float]) -> list[Any]:
    return [
        code,
        title,
        *(_kt(mass.get((code, g, year))) for g in SUMMARY_GASES),
        *(_kt(co2e.get((code, g, year))) for g in SUMMARY_FGASES),
        _kt(co2e.get((code, "CO2e", year))),
    ]


def _kt(value: float | None) -> float | str:
    return "NO" if value is None else round(value / 1000.0, 6)


def table10(records: Sequence[EmissionRecord], gas: str, gwp_set: str) -> Table:
    """Trend table: sectors and their first-level categories by year, with the change from the
    base (first) year to the latest year in percent. `gas` is CO2e or a single gas (kt of gas)."""
    years = sorted({r.year for r in records})
    values = aggregate(records, gwp_set) if gas == "CO2e" else aggregate(records)
    codes = _rows_for(records, depth=2)
    unit = f"kt CO2e ({gwp_set})" if gas == "CO2e" else f"kt {gas}"
    table: Table = [["category", "title", *years, "change base to latest (%)"]]
    rows = [(c, SECTORS.get(c) or category_title(c)) for c in codes]
    rows += [("0", "Total with LULUCF"), ("M.0.EL", "Total without LULUCF")]
    for code, title in rows:
        series = [values.get((code, gas, y)) for y in years]
        first, last = series[0] if series else None, series[-1] if series else None
        change: float | str = round((last - first) / abs(first) * 100.0, 2) if first and last is not None else ""
        table.append([code, f"{title} [{unit}]", *(_kt(v) for v in series), change])
    return table


def lulucf_present(records: Sequence[EmissionRecord]) -> bool:
    return any(is_lulucf(r.category) for r in records)


def write_csv(table: Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)
    return path


def write_xlsx(sheets: dict[str, Table], path: Path) -> Path:
    """One sheet per table (names cut to Excel's 31 characters), header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for name, table in sheets.items():
        sheet = book.create_sheet(name[:31])
        for row in table:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "C2"
        sheet.column_dimensions["B"].width = 48
    book.save(path)
    return path
