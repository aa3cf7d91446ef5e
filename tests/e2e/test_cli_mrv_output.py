"""`mrv calc` output: each row names its factors by a short ref; the citations are in OUT.sources.csv."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

HEADER = "record_id,installation_id,source_stream,activity,quantity,unit,sector,ncv,ncv_unit,technology\n"
ROWS = (
    "gas-1,BY-1,gas,natural_gas,1000,thousand m3,energy_industries,34.0,TJ/million m3,\n"
    "acid-1,BY-1,acid,nitric_acid,100,t,,,,high_pressure\n"
    "gas-2,BY-1,boiler,natural_gas,10,TJ,residential,,,\n"
    "gas-3,BY-1,gas,natural_gas,500,thousand m3,energy_industries,33.0,TJ/million m3,\n"
    "kiln-1,BY-1,kiln,clinker,100,t,manufacturing,,,\n"
)
# The citations, read by hand off src/carbonbridge/data/packs/ipcc2006/factors.csv (column `ref`)
# in the order a plan cites them: NCV, CO2, CH4, N2O, oxidation factor.
GAS_SITE_NCV = "ipcc2006: NCV site-specific; CO2 V2 Table 1.4; CH4 V2 Table 2.2; N2O V2 Table 2.2; OF V2 Sec 1.4.2.1"
NITRIC_ACID = "ipcc2006: N2O V3 Table 3.3"
GAS_RESIDENTIAL_TJ = "ipcc2006: CO2 V2 Table 1.4; CH4 V2 Table 2.5; N2O V2 Table 2.5; OF V2 Sec 1.4.2.1"
CLINKER = "ipcc2006: CO2 V3 Eq 2.4"


def _calc(tmp_path: Path, *extra: str, name: str = "out.csv") -> tuple[Path, Path]:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    out = tmp_path / name
    result = CliRunner().invoke(app, ["mrv", "calc", str(source), "--out", str(out), *extra])
    assert result.exit_code == 0, result.stderr
    assert f"4 factor sources -> {tmp_path / 'out.sources.csv'}" in result.stdout
    return out, tmp_path / "out.sources.csv"


def test_each_row_names_its_factors_by_a_short_ref_into_the_sources_file(tmp_path: Path) -> None:
    out, sources = _calc(tmp_path)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[-4:] == ["co2e_t", "gwp_set", "method", "factor_ref"]
    assert "factor_source" not in rows[0]
    # refs in order of first use; gas-3 has the same key as gas-1 (site NCV, energy industries)
    assert [(r["record_id"], r["factor_ref"]) for r in rows] == [
        ("gas-1", "S1"),
        ("acid-1", "S2"),
        ("gas-2", "S3"),
        ("gas-3", "S1"),
        ("kiln-1", "S4"),
    ]
    assert list(csv.reader(sources.open(encoding="utf-8"))) == [
        ["factor_ref", "factor_source"],
        ["S1", GAS_SITE_NCV],
        ["S2", NITRIC_ACID],
        ["S3", GAS_RESIDENTIAL_TJ],
        ["S4", CLINKER],
    ]
    by_id = {r["record_id"]: r for r in rows}
    # 10 TJ x 56.1 t CO2/TJ (V2 Table 1.4); x 5 kg CH4/TJ and 0.1 kg N2O/TJ (V2 Table 2.5, residential)
    gas_2 = by_id["gas-2"]
    assert float(gas_2["co2_t"]) == pytest.approx(561.0, rel=1e-12)
    assert float(gas_2["ch4_t"]) == pytest.approx(0.05, rel=1e-12)
    assert float(gas_2["n2o_t"]) == pytest.approx(0.001, rel=1e-12)
    assert float(gas_2["co2e_t"]) == pytest.approx(561.0 + 0.05 * 28 + 0.001 * 265, rel=1e-12)
    # 500 thousand m3 x 33 TJ/million m3 = 16.5 TJ x 56.1 t/TJ
    assert float(by_id["gas-3"]["co2_t"]) == pytest.approx(16.5 * 56.1, rel=1e-12)
    assert float(by_id["kiln-1"]["co2_t"]) == pytest.approx(100 * 0.52, rel=1e-12)  # V3 Eq 2.4
    assert float(by_id["acid-1"]["n2o_t"]) == pytest.approx(0.9, rel=1e-12)  # 9 kg N2O/t, V3 Table 3.3


def test_the_per_record_engine_writes_the_same_refs_and_sources(tmp_path: Path) -> None:
    out, sources = _calc(tmp_path)
    first = (out.read_bytes(), sources.read_bytes())
    out, sources = _calc(tmp_path, "--engine", "record")
    assert (out.read_bytes(), sources.read_bytes()) == first


def test_the_output_repeats_the_input_cells_as_written(tmp_path: Path) -> None:
    out, _ = _calc(tmp_path)
    given = list(csv.reader((HEADER + ROWS).splitlines()))
    written = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert [row[: len(given[0])] for row in written] == given


def test_a_sources_file_that_would_replace_the_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "year.sources.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    result = CliRunner().invoke(app, ["mrv", "calc", str(source), "--out", str(tmp_path / "year.csv")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{source}: the factor sources file {source} must differ from the input file")
    assert source.read_text(encoding="utf-8") == HEADER + ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["year.sources.csv"]


def test_both_files_get_the_permissions_the_umask_gives_any_new_file(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        out, sources = _calc(tmp_path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert stat.S_IMODE(sources.stat().st_mode) == 0o640
