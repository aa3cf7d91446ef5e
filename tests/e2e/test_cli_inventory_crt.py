"""`carbonbridge inventory crt export|validate|read|tables` end to end on the SYNTHETIC fixture
metadata: stored submissions in SQLite, records and notation-key CSVs, located problems and exit 2
with nothing written, and the CRT-like workbooks (Table 8 between two stored versions)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from carbonbridge.adapters.inventory_files import write_records
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.entrypoints.cli.main import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures" / "crt"
METADATA = str(FIXTURES / "synthetic_metadata.json")
PARTY = str(FIXTURES / "synthetic_party_export.json")
RECORDS = [
    EmissionRecord("1.A.1", "CO2", 2022, 30_123_456.789),
    EmissionRecord("1.A.1", "CO2", 2023, 31_234_567.891),
    EmissionRecord("1.A.1", "CH4", 2023, 512.25),
    EmissionRecord("2.F.1", "HFC-134a", 2023, 700.125),
    EmissionRecord("2.G.1", "SF6", 2023, 3.0),
    EmissionRecord("3.A.1", "CH4", 2023, 180_000.5),
    EmissionRecord("3.B.1.a", "CO2", 2023, -25_987_654.321),
    EmissionRecord("4.A", "CH4", 2023, 110_000.0),
    EmissionRecord("3.C.8", "CH4", 2023, 42.0),
]
KEYS = """category,gas,year,key,explanation,included_in,allocation_by_ipcc
2.B.3,N2O,2022-2023,NE,no data from the one plant,,
1.A.3.a.ii,CO2,2023,IE,jet fuel is in the road statistics,1.A.3.b,1.A.3.a.ii
1.B.1.a,CH4,2023,NO,,,
"""


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    write_records(RECORDS, tmp_path / "records.csv")
    (tmp_path / "nk.csv").write_text(KEYS, encoding="utf-8")
    return tmp_path / "records.csv", tmp_path / "nk.csv"


def test_export_validate_and_read_give_back_every_record_and_key(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    records, keys = inputs
    out = tmp_path / "BLR-CRT.json"
    code, stdout, stderr = _run(
        "inventory",
        "crt",
        "export",
        "BY",
        "--records",
        str(records),
        "--notation-keys",
        str(keys),
        "--metadata",
        METADATA,
        "--template",
        PARTY,
        "-o",
        str(out),
        "--json",
    )
    assert code == 0, stderr
    assert json.loads(stdout)["numbers"] == len(RECORDS) and json.loads(stdout)["keys"] == 4
    code, stdout, stderr = _run("inventory", "crt", "validate", str(out), "--metadata", METADATA)
    assert code == 0 and "valid" in stdout, stderr
    code, stdout, stderr = _run(
        "inventory",
        "crt",
        "read",
        str(out),
        "--metadata",
        METADATA,
        "--records-out",
        str(tmp_path / "back.csv"),
        "--keys-out",
        str(tmp_path / "back_nk.csv"),
        "--json",
    )
    assert code == 0, stderr
    with (tmp_path / "back.csv").open(encoding="utf-8") as handle:
        back = {(r["category"], r["gas"], int(r["year"])): float(r["mass_t"]) for r in csv.DictReader(handle)}
    assert back.keys() == {(r.category, r.gas, r.year) for r in RECORDS}
    for r in RECORDS:
        assert back[(r.category, r.gas, r.year)] == pytest.approx(r.mass_t, abs=5e-4)
    with (tmp_path / "back_nk.csv").open(encoding="utf-8") as handle:
        nk = {
            (r["category"], r["gas"], r["year"], r["key"], r["explanation"], r["included_in"], r["allocation_by_ipcc"])
            for r in csv.DictReader(handle)
        }
    assert nk == {
        ("2.B.3", "N2O", "2022", "NE", "no data from the one plant", "", ""),
        ("2.B.3", "N2O", "2023", "NE", "no data from the one plant", "", ""),
        ("1.A.3.a.ii", "CO2", "2023", "IE", "jet fuel is in the road statistics", "1.A.3.b", "1.A.3.a.ii"),
        ("1.B.1.a", "CH4", "2023", "NO", "", "", ""),
    }


def test_a_malformed_template_exits_2_located_and_writes_nothing(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    bad = tmp_path / "party.json"
    bad.write_text('{"data": {"values": [\n  }\n', encoding="utf-8")
    out = tmp_path / "out.json"
    code, _, stderr = _run(
        "inventory",
        "crt",
        "export",
        "BY",
        "--records",
        str(inputs[0]),
        "--metadata",
        METADATA,
        "--template",
        str(bad),
        "-o",
        str(out),
    )
    assert code == 2
    assert f"{bad}:2:" in stderr and "not valid JSON" in stderr
    assert not out.exists()


def test_a_number_with_a_key_exits_2_naming_the_key_row(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    nk = tmp_path / "clash.csv"
    nk.write_text("category,gas,year,key,explanation\n1.A.1,CO2,2023,NO,\n", encoding="utf-8")
    out = tmp_path / "out.json"
    code, _, stderr = _run(
        "inventory",
        "crt",
        "export",
        "BY",
        "--records",
        str(inputs[0]),
        "--notation-keys",
        str(nk),
        "--metadata",
        METADATA,
        "-o",
        str(out),
    )
    assert code == 2 and f"{nk}:2:key:" in stderr and "number and the notation key NO" in stderr
    assert not out.exists()


def test_an_unknown_variable_and_an_unexplained_ne_are_located_by_validate(
    tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    out = tmp_path / "BLR-CRT.json"
    assert (
        _run(
            "inventory",
            "crt",
            "export",
            "BY",
            "--records",
            str(inputs[0]),
            "--notation-keys",
            str(inputs[1]),
            "--metadata",
            METADATA,
            "--template",
            PARTY,
            "-o",
            str(out),
        )[0]
        == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    year = next(i for i, e in enumerate(doc["data"]["values"]) if e["inventory_year"] == "2023")
    entries = doc["data"]["values"][year]["values"]
    entries[0]["variable_uid"] = "0123456789abcdef01234567"
    ne = next(j for j, v in enumerate(entries) if v["value"] == {"type": "NK", "value": 1024})
    entries[ne]["comments"] = []
    out.write_text(json.dumps(doc), encoding="utf-8")
    code, _, stderr = _run("inventory", "crt", "validate", str(out), "--metadata", METADATA)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert f"{out}:data.values[{year}].values[0].variable_uid: [unknown-variable] 0123456789abcdef01234567" in lines[0]
    assert any(f"data.values[{year}].values[{ne}].comments: [nk-comment] NE needs" in line for line in lines)


def test_fx_years_that_are_not_years_exit_2(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    code, _, stderr = _run(
        "inventory",
        "crt",
        "export",
        "BY",
        "--records",
        str(inputs[0]),
        "--metadata",
        METADATA,
        "-o",
        str(tmp_path / "o.json"),
        "--fx-years",
        "1990-19x",
    )
    assert code == 2 and "--fx-years" in stderr


def test_tables_from_two_stored_versions_explain_the_recalculation(tmp_path: Path) -> None:
    from carbonbridge_demo.inventory import write_synthetic_inputs

    db = f"sqlite:///{tmp_path / 'cb.db'}"
    assert _run("--db", db, "db", "upgrade")[0] == 0
    inputs = write_synthetic_inputs(tmp_path / "in", seed=3)
    assert _run("--db", db, "inventory", "compile", "BY", "--input", str(inputs))[0] == 0
    emissions = inputs / "emissions.csv"
    emissions.write_text(emissions.read_text(encoding="utf-8").replace(",SF6,3.0,", ",SF6,4.0,"), encoding="utf-8")
    assert _run("--db", db, "inventory", "compile", "BY", "--input", str(inputs))[0] == 0
    (tmp_path / "why.csv").write_text(
        "category,gas,explanation\n2.G.1,SF6,new survey of switchgear\n", encoding="utf-8"
    )
    (tmp_path / "nk.csv").write_text(KEYS, encoding="utf-8")
    code, _, stderr = _run(
        "--db",
        db,
        "inventory",
        "crt",
        "tables",
        "BY",
        "-o",
        str(tmp_path / "tables"),
        "--year",
        "2023",
        "--previous-version",
        "1",
        "--explanations",
        str(tmp_path / "why.csv"),
        "--notation-keys",
        str(tmp_path / "nk.csv"),
    )
    assert code == 0, stderr
    book = load_workbook(tmp_path / "tables" / "BLR-CRT-like-2023.xlsx", read_only=True)
    assert book.sheetnames == [
        "README",
        "Summary1",
        "Summary2",
        "Table7",
        "Table8",
        "Table9",
        "Completeness",
        "Table10s1",
        "Table10s2",
        "Table10s3",
        "Table10s4",
        "Table10s5",
    ]
    assert "NOT an import file" in book["README"]["A1"].value
    table8 = [r for r in book["Table8"].iter_rows(values_only=True)]
    sf6 = [r for r in table8[1:] if r[0] == "2.G.1"]
    # Hand: 1 t SF6 more x 23,500 (AR5) = 23.5 kt CO2e
    assert len(sf6) == 1 and sf6[0][5] == pytest.approx(23.5) and sf6[0][7] == "new survey of switchgear"
    table9 = {(r[0], r[1], r[3]): r for r in book["Table9"].iter_rows(values_only=True)}
    assert table9[("IE", "1.A.3.a", "CO2")][5:] == ("1.A.3.a.ii", "1.A.3.b", "jet fuel is in the road statistics")
    assert table9[("NE", "2.B.3", "N2O")][4] == "2022-2023"
    status = {(r[0], r[2]): r for r in book["Completeness"].iter_rows(values_only=True)}
    assert status[("1.B.1.a", "CH4")][3:7] == ("missing", None, "NO: 2023", "1990-2022")  # empty cell: None
    assert status[("1.A.1", "CO2")][3] == "estimated"
    summary = {r[0]: r for r in book["Summary1"].iter_rows(values_only=True)}
    header = next(iter(book["Summary1"].iter_rows(values_only=True)))
    sf6_col = header.index("SF6 (kt CO2e)")
    assert summary["2.G"][sf6_col] == pytest.approx(4.0 * 23.5)
    assert summary["1.B.1"][header.index("CH4 (kt)")] == "NO"


def test_an_ne_above_the_insignificance_threshold_exits_2_naming_the_row(
    tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    nk = tmp_path / "ne.csv"
    # total without LULUCF in 2023 is about 40 Mt CO2e, so 0.05 % is about 20 kt: 100 kt is too much
    nk.write_text(
        "category,gas,year,key,explanation,likely_t_co2e\n2.B.3,N2O,2023,NE,one plant,100000\n", encoding="utf-8"
    )
    args = [
        "inventory",
        "crt",
        "export",
        "BY",
        "--records",
        str(inputs[0]),
        "--notation-keys",
        str(nk),
        "--metadata",
        METADATA,
        "--template",
        PARTY,
        "-o",
        str(tmp_path / "o.json"),
    ]
    assert _run(*args)[0] == 0  # without the check the NE only needs its explanation
    code, _, stderr = _run(*args, "--ne-threshold", "standard")
    assert code == 2 and f"{nk}:2:likely_t_co2e:" in stderr and "insignificance threshold" in stderr
    code, _, stderr = _run(*args, "--ne-threshold", "lenient")
    assert code == 2 and "--ne-threshold" in stderr
