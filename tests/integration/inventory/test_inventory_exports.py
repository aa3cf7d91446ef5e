"""Publications: primap2 interchange files read back by primap2 itself with identical values,
the XLSX workbook with its sheets, and self-contained charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carbonbridge.adapters.inventory_primap import read_interchange, write_interchange
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.services.inventory.export import export_inventory

RECORDS = [
    EmissionRecord("1.A.1", "CO2", 1990, 0.1 + 0.2),  # 0.30000000000000004: needs exact round trip
    EmissionRecord("1.A.1", "CO2", 2023, 31_234_567.891_234_567),
    EmissionRecord("1.A.1", "CH4", 2023, 1.234e-7),
    EmissionRecord("3.A.1", "CH4", 1990, 250_000.0),
    EmissionRecord("3.A.1", "CH4", 2023, 180_000.5),
    EmissionRecord("2.F.1", "HFC-134a", 2023, 700.125),
    EmissionRecord("2.G.1", "SF6", 2023, 3.0),
    EmissionRecord("3.B.1.a", "CO2", 1990, -22e6),
    EmissionRecord("3.B.1.a", "CO2", 2023, -25_987_654.321),
    EmissionRecord("4.A", "CH4", 1990, 90_000.0),
    EmissionRecord("4.A", "CH4", 2023, 110_000.0),
    EmissionRecord("1.A.1", "CO2", 2000, 29e6),
]


def test_our_reader_gets_back_exactly_what_was_written(tmp_path: Path) -> None:
    _, yaml_path = write_interchange(RECORDS, tmp_path / "BLR", jurisdiction="BY")
    back = read_interchange(yaml_path)
    assert {(r.category, r.gas.replace("-", ""), r.year): r.mass_t for r in RECORDS} == {
        (r.category, r.gas, r.year): r.mass_t for r in back
    }


def test_primap2_reads_the_interchange_files_back_with_identical_values(tmp_path: Path, primap2: Any) -> None:
    from primap2 import pm2io

    _, yaml_path = write_interchange(RECORDS, tmp_path / "BLR_inventory", jurisdiction="BY")
    frame = pm2io.read_interchange_format(yaml_path)
    dataset = pm2io.from_interchange_format(frame)  # also runs primap2's ensure_valid()
    for r in RECORDS:
        entity = r.gas.replace("-", "")
        tonnes = dataset[entity].pint.to(f"t {entity} / yr").pint.dequantify()  # factor 1: no rounding
        cell = (
            tonnes.sel({"category (IPCC2006)": r.category, "area (ISO3)": "BLR"}).sel(time=f"{r.year}-01-01").squeeze()
        )
        assert float(cell) == r.mass_t, (r, float(cell))
    # Combinations we never wrote are missing, not zero.
    missing = dataset["CH4"].pint.dequantify().sel({"category (IPCC2006)": "1.A.1"}).sel(time="2000-01-01").squeeze()
    assert np.isnan(float(missing))
    assert primap2.__version__


def test_export_writes_the_workbook_with_the_expected_sheets_and_csv_tables(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    result = export_inventory(RECORDS, tmp_path, jurisdiction="BY", year=2023, base_year=1990, charts_too=False)
    book = load_workbook(tmp_path / "inventory.xlsx", read_only=True)
    assert book.sheetnames == [
        "Summary1 2023",
        "Table10 CO2e",
        "Table10 CO2",
        "Table10 CH4",
        "Table10 N2O",
        "KCA",
        "Records",
    ]
    summary = [row for row in book["Summary1 2023"].iter_rows(values_only=True)]
    header = list(summary[0])
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in summary[1:]}
    # Hand: CH4 2023 in category 3.A.1 is 180,000.5 t = 180.0005 kt; HFCs 700.125 t x 1300 = 910.1625 kt CO2e
    assert by_code["3.A.1"]["CH4 (kt)"] == pytest.approx(180.0005)
    assert by_code["2"]["HFCs (kt CO2e)"] == pytest.approx(910.1625)
    assert by_code["M.0.EL"]["total (kt CO2e, AR5GWP100)"] == pytest.approx(
        (31_234_567.891_234_567 + 1.234e-7 * 28 + 180_000.5 * 28 + 700.125 * 1300 + 3 * 23_500 + 110_000 * 28) / 1000
    )
    assert (tmp_path / "table10_co2e.csv").read_text(encoding="utf-8").startswith("category,title,1990,2000,2023,")
    assert result["kca"]["key_categories"]


def test_charts_are_png_and_self_contained_html(tmp_path: Path) -> None:
    uncertainty = {
        "sectors": {"1": {"mean": 3e7, "p2_5": 2.9e7, "p97_5": 3.1e7}},
        "approach2_mean": 3e7,
        "approach2_p2_5": 2.8e7,
        "approach2_p97_5": 3.3e7,
        "categories": [],
        "total": 3e7,
        "approach1_pct": 5.0,
        "approach2_low_pct": 6.0,
        "approach2_high_pct": 9.0,
        "trend_pct": 1.0,
        "trend_uncertainty_approach1_pp": 2.0,
        "iterations": 1000,
        "seed": 1,
    }
    result = export_inventory(RECORDS, tmp_path, jurisdiction="BY", uncertainty=uncertainty)
    charts = sorted(Path(f).name for f in result["files"] if "/charts/" in f)
    assert charts == [
        "emissions_by_sector.html",
        "emissions_by_sector.png",
        "kca_pareto.html",
        "kca_pareto.png",
        "uncertainty.html",
        "uncertainty.png",
    ]
    for name in charts:
        path = tmp_path / "charts" / name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            html = path.read_text(encoding="utf-8")
            assert '<script src="http' not in html and "plotly" in html.lower()
    assert "Uncertainty" in result["sheets"]


def test_the_sector_chart_draws_lulucf_apart_from_agriculture() -> None:
    from carbonbridge.adapters.inventory_charts import sector_series

    series = sector_series(RECORDS, "AR5GWP100")
    # Hand (2023, AR5): agriculture 180,000.5 t CH4 x 28; LULUCF -25,987,654.321 t CO2
    assert dict(series["3 Agriculture (AFOLU without LULUCF)"])[2023] == pytest.approx(180_000.5 * 28 / 1e6)
    assert dict(series["LULUCF (3.B, 3.D.1)"])[2023] == pytest.approx(-25.987654321)


def test_primap2_reads_the_whole_synthetic_inventory_back_exactly(tmp_path: Path, primap2: Any) -> None:
    from primap2 import pm2io

    from carbonbridge.adapters.inventory_files import default_factor_table, read_national_data
    from carbonbridge.adapters.packs import load_pack
    from carbonbridge.domain.inventory.compile import compile_inventory
    from carbonbridge_demo.inventory import write_synthetic_inputs

    inputs = write_synthetic_inputs(tmp_path / "in", seed=5)
    records = compile_inventory(read_national_data(inputs), load_pack(), default_factor_table()).records
    _, yaml_path = write_interchange(records, tmp_path / "BLR_inventory", jurisdiction="BY")
    dataset = pm2io.from_interchange_format(pm2io.read_interchange_format(yaml_path))
    frame = dataset.pr.to_interchange_format()  # primap2's own long-to-wide table, values as floats
    got = {}
    for _, row in frame.iterrows():
        for column in frame.columns:
            if str(column).isdigit() and not np.isnan(row[column]):
                got[(row["category (IPCC2006)"], row["entity"], int(column))] = float(row[column])
    assert got == {(r.category, r.gas.replace("-", ""), r.year): r.mass_t for r in records}
