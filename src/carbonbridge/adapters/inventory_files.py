"""Read inventory inputs from CSV: a folder of national activity data, a plain category table
for KCA/uncertainty, and the long record format (category, gas, year, mass_t, provenance).
Every bad cell is collected as a Problem (file, line, column) and reported together."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.inventory.agriculture import Livestock, ManureShare, SoilInputs
from carbonbridge.domain.inventory.compile import NationalData
from carbonbridge.domain.inventory.energy import FuelSupply, FuelUse
from carbonbridge.domain.inventory.factors import FactorTable, build_table
from carbonbridge.domain.inventory.ippu import Production
from carbonbridge.domain.inventory.records import EmissionRecord, canonical_code
from carbonbridge.domain.inventory.waste import COMPONENTS, PATHWAYS, SolidWasteYear, WastewaterYear

INPUT_FILES = (
    "energy_balance.csv",
    "fuel_supply.csv",
    "production.csv",
    "livestock.csv",
    "manure_systems.csv",
    "soils.csv",
    "solid_waste.csv",
    "wastewater.csv",
    "emissions.csv",
    "uncertainty.csv",
)
RECORD_COLUMNS = ("category", "gas", "year", "mass_t", "method", "tier", "source", "factor")
MAX_PROBLEMS = 200


@cache
def default_factor_table() -> FactorTable:
    path = Path(str(resources.files("carbonbridge") / "data" / "inventory" / "factors.csv"))
    return load_factor_table(path, name="data/inventory/factors.csv")  # its logical name, not the server path


def load_factor_table(path: Path, *, name: str | None = None) -> FactorTable:
    with path.open(newline="", encoding="utf-8") as handle:
        return build_table(list(csv.DictReader(handle)), file=name or str(path))


class _Reader:
    """Typed cell access that records problems instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def rows(self, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                self.problems.append(Problem(f"missing columns: {', '.join(missing)}", file=str(self.path), line=1))
                return []
            return [(i, {k: (v or "").strip() for k, v in row.items() if k}) for i, row in enumerate(reader, 2)]

    def number(self, row: dict[str, str], line: int, column: str, default: float | None = None) -> float:
        text = row.get(column, "")
        if text == "" and default is not None:
            return default
        try:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        except ValueError:
            self.problems.append(Problem(f"{column}: {text!r} is not a number", str(self.path), line, field=column))
            return math.nan

    def year(self, row: dict[str, str], line: int) -> int:
        value = self.number(row, line, "year")
        if math.isnan(value) or value != int(value) or not 1700 <= value <= 2200:
            if not math.isnan(value):
                self.problems.append(Problem("year must be a whole year", str(self.path), line, field="year"))
            return 0
        return int(value)

    def category(self, row: dict[str, str], line: int) -> str:
        try:
            return canonical_code(row.get("category", ""))
        except KeyError:
            self.problems.append(
                Problem(f"unknown IPCC 2006 category {row.get('category')!r}", str(self.path), line, field="category")
            )
            return row.get("category", "")


def _read(
    folder: Path,
    name: str,
    required: tuple[str, ...],
    build: Callable[[_Reader, int, dict[str, str]], Any],
    problems: list[Problem],
) -> list[Any]:
    path = folder / name
    if not path.exists():
        return []
    reader = _Reader(path)
    out = [build(reader, line, row) for line, row in reader.rows(required)]
    problems += reader.problems
    return out


def read_national_data(folder: Path, *, climate: str = "temperate_wet") -> NationalData:
    """Read every known file in `folder` (see docs/inventory.md for the columns)."""
    if not folder.is_dir():
        raise NotFound(f"no activity data folder {folder}")
    p: list[Problem] = [
        Problem(f"unknown input file; expected one of {', '.join(INPUT_FILES)}", file=str(path))
        for path in sorted(folder.glob("*.csv"))
        if path.name not in INPUT_FILES
    ]
    data = NationalData(
        fuel_use=_read(
            folder,
            "energy_balance.csv",
            ("year", "category", "fuel", "amount", "unit"),
            lambda r, n, row: FuelUse(
                r.year(row, n), r.category(row, n), row["fuel"], r.number(row, n, "amount"), row["unit"]
            ),
            p,
        ),
        fuel_supply=_read(
            folder,
            "fuel_supply.csv",
            ("year", "fuel", "unit"),
            lambda r, n, row: FuelSupply(
                r.year(row, n),
                row["fuel"],
                row["unit"],
                *(
                    r.number(row, n, c, 0.0)
                    for c in (
                        "production",
                        "imports",
                        "exports",
                        "international_bunkers",
                        "stock_change",
                        "non_energy_use",
                    )
                ),
            ),
            p,
        ),
        production=_read(
            folder,
            "production.csv",
            ("year", "product", "quantity_t"),
            lambda r, n, row: Production(
                r.year(row, n),
                row["product"],
                r.number(row, n, "quantity_t"),
                row.get("technology", ""),
                r.number(row, n, "urea_co2_recovered_t", 0.0),
            ),
            p,
        ),
        livestock=_read(
            folder,
            "livestock.csv",
            ("year", "animal", "heads"),
            lambda r, n, row: Livestock(r.year(row, n), row["animal"], r.number(row, n, "heads")),
            p,
        ),
        manure_shares=_read(
            folder,
            "manure_systems.csv",
            ("animal", "system", "share"),
            lambda r, n, row: ManureShare(row["animal"], row["system"], r.number(row, n, "share")),
            p,
        ),
        soils=_read(
            folder,
            "soils.csv",
            ("year", "synthetic_n_t"),
            lambda r, n, row: SoilInputs(
                r.year(row, n),
                r.number(row, n, "synthetic_n_t"),
                r.number(row, n, "organic_n_t", 0.0),
                r.number(row, n, "crop_residue_n_t", 0.0),
            ),
            p,
        ),
        solid_waste=_read(
            folder,
            "solid_waste.csv",
            ("year", "deposited_t"),
            lambda r, n, row: SolidWasteYear(
                r.year(row, n),
                r.number(row, n, "deposited_t"),
                {c: r.number(row, n, c, 0.0) for c in COMPONENTS},
                row.get("swds_type") or "uncategorised",
                r.number(row, n, "recovered_ch4_t", 0.0),
                row.get("oxidation") or "default",
            ),
            p,
        ),
        wastewater=_read(
            folder,
            "wastewater.csv",
            ("year", "population", "protein_kg_per_person_yr"),
            lambda r, n, row: WastewaterYear(
                r.year(row, n),
                r.number(row, n, "population"),
                r.number(row, n, "protein_kg_per_person_yr"),
                {j: v for j in PATHWAYS if (v := r.number(row, n, j, 0.0))},
                r.number(row, n, "recovered_ch4_t", 0.0),
            ),
            p,
        ),
        direct=_read(folder, "emissions.csv", ("category", "gas", "year", "mass_t"), _record, p),
        climate=climate,
    )
    if p:
        raise ValidationFailed(p[:MAX_PROBLEMS], truncated=max(0, len(p) - MAX_PROBLEMS))
    return data


def _record(r: _Reader, n: int, row: dict[str, str]) -> EmissionRecord:
    return EmissionRecord(
        r.category(row, n),
        row["gas"],
        r.year(row, n),
        r.number(row, n, "mass_t"),
        row.get("method") or "input",
        row.get("tier", ""),
        row.get("source") or "input",
        row.get("factor", ""),
    )


def read_records(path: Path) -> list[EmissionRecord]:
    """The long record format that `write_records` writes."""
    if not path.exists():
        raise NotFound(f"no such file {path}")
    reader = _Reader(path)
    out = [_record(reader, n, row) for n, row in reader.rows(("category", "gas", "year", "mass_t"))]
    if reader.problems:
        raise ValidationFailed(reader.problems[:MAX_PROBLEMS])
    return out


def write_records(records: Iterable[EmissionRecord], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RECORD_COLUMNS)
        for r in records:
            writer.writerow([r.category, r.gas, r.year, repr(r.mass_t), r.method, r.tier, r.source, r.factor])


def read_category_table(path: Path) -> list[dict[str, Any]]:
    """Plain table for KCA/uncertainty: category, gas, year, value_t and either uncertainty_pct
    or ad_uncertainty_pct and ef_uncertainty_pct; optional distribution and ef_group (rows of one
    group share their factor, so their uncertainties are fully correlated in Approach 2)."""
    if not path.exists():
        raise NotFound(f"no such file {path}")
    reader = _Reader(path)
    out: list[dict[str, Any]] = []
    for n, row in reader.rows(("category", "gas", "year", "value_t")):
        item: dict[str, Any] = {
            "category": reader.category(row, n),
            "gas": row["gas"],
            "year": reader.year(row, n),
            "value_t": reader.number(row, n, "value_t"),
            "distribution": row.get("distribution") or "normal",
            "ef_group": row.get("ef_group", ""),
        }
        if row.get("ad_uncertainty_pct") or row.get("ef_uncertainty_pct"):
            item["ad_pct"] = reader.number(row, n, "ad_uncertainty_pct", 0.0)
            item["ef_pct"] = reader.number(row, n, "ef_uncertainty_pct", 0.0)
            item["split"] = True
        else:
            item["ad_pct"] = 0.0
            item["ef_pct"] = reader.number(row, n, "uncertainty_pct", 0.0)
            item["split"] = False
        out.append(item)
    if reader.problems:
        raise ValidationFailed(reader.problems[:MAX_PROBLEMS])
    return out


def read_uncertainty_table(path: Path) -> list[dict[str, Any]]:
    """Uncertainty inputs by category (or category prefix) and gas ('*' for any): columns category,
    gas, ad_uncertainty_pct, ef_uncertainty_pct, optional distribution and ef_group."""
    if not path.exists():
        raise NotFound(f"no such file {path}")
    reader = _Reader(path)
    out = []
    for n, row in reader.rows(("category", "gas", "ad_uncertainty_pct", "ef_uncertainty_pct")):
        out.append(
            {
                "category": row["category"],
                "gas": row["gas"] or "*",
                "ad_pct": reader.number(row, n, "ad_uncertainty_pct"),
                "ef_pct": reader.number(row, n, "ef_uncertainty_pct"),
                "distribution": row.get("distribution") or "normal",
                "ef_group": row.get("ef_group", ""),
                "split": True,
            }
        )
    if reader.problems:
        raise ValidationFailed(reader.problems[:MAX_PROBLEMS])
    return out
