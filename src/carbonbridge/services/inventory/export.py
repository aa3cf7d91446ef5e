"""Write an inventory's publications: primap2 interchange files, Summary 1 and Table 10 (CSV and
one XLSX workbook with KCA, uncertainty and reference approach sheets) and the charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from carbonbridge.adapters import inventory_charts as charts
from carbonbridge.adapters import inventory_tables as tables
from carbonbridge.adapters.inventory_primap import ISO3, write_interchange
from carbonbridge.domain.inventory.records import EmissionRecord, years
from carbonbridge.services.inventory.analysis import Key, kca_report, latest_and_base, records_estimates

Table = list[list[Any]]


def _kca_table(report: Mapping[str, Any]) -> Table:
    rows: Table = [["assessment", "category", "gas", "value", "share_pct", "cumulative_pct", "key"]]
    for name in ("level", "trend", "level_approach2", "trend_approach2"):
        for r in report.get(name, []):
            rows.append([name, r["category"], r["gas"], r["value"], r["share"] * 100, r["cumulative"] * 100, r["key"]])
    return rows


def _uncertainty_table(report: Mapping[str, Any]) -> Table:
    rows: Table = [
        [
            "category",
            "gas",
            "value_t_co2e",
            "ad_pct",
            "ef_pct",
            "combined_pct",
            "contribution_to_variance_pct",
            "approach2_sd_t_co2e",
        ]
    ]
    rows += [
        [
            c["category"],
            c["gas"],
            c["value_t_co2e"],
            c["ad_pct"],
            c["ef_pct"],
            c["combined_pct"],
            c["contribution_to_variance_pct"],
            c["approach2_sd_t_co2e"],
        ]
        for c in report["categories"]
    ]
    rows.append([])
    for key in (
        "total",
        "approach1_pct",
        "approach2_mean",
        "approach2_low_pct",
        "approach2_high_pct",
        "trend_pct",
        "trend_uncertainty_approach1_pp",
        "iterations",
        "seed",
    ):
        rows.append([key, report[key]])
    return rows


def _reference_table(reference: Sequence[Mapping[str, Any]]) -> Table:
    rows: Table = [
        [
            "year",
            "fuel",
            "reference_tj",
            "reference_co2_t",
            "sectoral_tj",
            "sectoral_co2_t",
            "energy_difference_pct",
            "co2_difference_pct",
        ]
    ]
    rows += [
        [
            r["year"],
            r["fuel"],
            r["reference_tj"],
            r["reference_co2_t"],
            r["sectoral_tj"],
            r["sectoral_co2_t"],
            r.get("energy_difference_pct"),
            r.get("co2_difference_pct"),
        ]
        for r in reference
    ]
    return rows


def export_inventory(
    records: Sequence[EmissionRecord],
    out: Path,
    *,
    jurisdiction: str,
    gwp_set: str = "AR5GWP100",
    year: int | None = None,
    base_year: int | None = None,
    uncertainty: Mapping[str, Any] | None = None,
    uncertainty_pct: Mapping[Key, float] | None = None,
    reference: Sequence[Mapping[str, Any]] = (),
    charts_too: bool = True,
) -> dict[str, Any]:
    """Write every publication under `out`; returns the KCA report and the files written."""
    year, base_year = latest_and_base(years(records), year, base_year)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / "primap2" / f"{ISO3.get(jurisdiction, jurisdiction)}_inventory"
    files: list[Path] = list(write_interchange(records, stem, jurisdiction=jurisdiction))
    current = records_estimates(records, year, gwp_set)
    base = records_estimates(records, base_year, gwp_set) if base_year is not None else None
    kca = kca_report(current, base, year=year, base_year=base_year, uncertainty_pct=uncertainty_pct)
    sheets: dict[str, Table] = {f"Summary1 {year}": tables.summary1(records, year, gwp_set)}
    for gas in tables.TREND_GASES:
        sheets[f"Table10 {gas}"] = tables.table10(records, gas, gwp_set)
    sheets["KCA"] = _kca_table(kca)
    sheets["Records"] = [["category", "gas", "year", "mass_t", "method", "tier", "source", "factor"]] + [
        [r.category, r.gas, r.year, r.mass_t, r.method, r.tier, r.source, r.factor] for r in records
    ]
    if uncertainty is not None:
        sheets["Uncertainty"] = _uncertainty_table(uncertainty)
    if reference:
        sheets["Reference approach"] = _reference_table(reference)
    for name, table in sheets.items():
        files.append(tables.write_csv(table, out / f"{name.lower().replace(' ', '_')}.csv"))
    files.append(tables.write_xlsx(sheets, out / "inventory.xlsx"))
    if charts_too:
        charts_dir = out / "charts"
        charts_dir.mkdir(exist_ok=True)
        files += charts.emissions_by_sector(records, gwp_set, charts_dir / "emissions_by_sector")
        from carbonbridge.domain.inventory.kca import level

        files += charts.kca_pareto(level(current), charts_dir / "kca_pareto")
        if uncertainty is not None and uncertainty.get("sectors"):
            intervals = {f"sector {k}": (v["mean"], v["p2_5"], v["p97_5"]) for k, v in uncertainty["sectors"].items()}
            intervals["total"] = (
                uncertainty["approach2_mean"],
                uncertainty["approach2_p2_5"],
                uncertainty["approach2_p97_5"],
            )
            files += charts.uncertainty_intervals(intervals, charts_dir / "uncertainty")
    return {"kca": kca, "files": [str(f) for f in files], "sheets": list(sheets)}
