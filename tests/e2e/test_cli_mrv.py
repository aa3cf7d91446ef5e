"""`carbonbridge mrv` end to end: calc and import, good and bad input, CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

runner = CliRunner()

HEADER = [
    "record_id",
    "installation_id",
    "source_stream",
    "activity",
    "quantity",
    "unit",
    "year",
    "sector",
    "ncv",
    "ncv_unit",
    "technology",
]
GOOD_ROWS = [
    [
        "gas-1",
        "BY-CHP-1",
        "gas",
        "natural_gas",
        "1000",
        "thousand m3",
        "2025",
        "energy_industries",
        "34.0",
        "TJ/million m3",
        "",
    ],
    ["acid-1", "BY-CHP-1", "acid", "nitric_acid", "100", "t", "2025", "", "", "", "high_pressure"],
]
BAD_ROWS = [
    [
        "gas-1",
        "BY-CHP-1",
        "gas",
        "natural_gas",
        "1000",
        "thousand m3",
        "2025",
        "energy_industries",
        "34.0",
        "TJ/million m3",
        "",
    ],
    ["gas-2", "BY-CHP-1", "gas", "unobtainium", "5", "t", "2025", "energy_industries", "", "", ""],  # line 3
    ["gas-3", "BY-CHP-1", "gas", "natural_gas", "-5", "TJ", "2025", "energy_industries", "", "", ""],  # line 4
    ["gas-4", "BY-CHP-1", "gas", "natural_gas", "lots", "TJ", "2025", "energy_industries", "", "", ""],  # line 5
    ["kiln-1", "BY-CHP-1", "kiln", "clinker", "100", "MWh", "2025", "", "", "", ""],  # line 6
    ["gas-5", "BY-CHP-1", "gas", "natural_gas", "100", "t", "2025", "energy_industries", "48", "t", ""],  # line 7
    ["gas-1", "BY-CHP-1", "gas", "natural_gas", "1", "TJ", "2025", "energy_industries", "", "", ""],  # line 8
    ["gas-6", "BY-CHP-1", "gas", "natural_gas", "1", "TJ", "2025", "space", "", "", ""],  # line 9
    ["gas-7", "BY-CHP-1", "gas", "natural_gas", "nan", "TJ", "2025", "energy_industries", "", "", ""],  # line 10
    ["gas-8", "BY-CHP-1", "gas", "natural_gas", "1", "furlongs", "2025", "energy_industries", "", "", ""],  # line 11
]
SECTORS = "energy_industries, manufacturing, commercial, residential"


def expected_problems(where: str) -> list[str]:
    return [
        f"{where}:3:4: unknown activity 'unobtainium'; expected one of ...",
        f"{where}:4:5: quantity must not be negative, got -5",
        f"{where}:5:5: expected a number, got 'lots'",
        f"{where}:6:6: clinker is measured in mass (t, kt, kg...), got 'MWh' (energy)",
        f"{where}:7:10: expected a ratio like 'TJ/Gg' or 'kg CO2/TJ', got 't'",
        f"{where}:8:1: duplicate record_id 'gas-1' (first on line 2)",
        f"{where}:9:8: unknown sector 'space'; expected one of {SECTORS}",
        f"{where}:9:8: method pack ipcc2006 has no ef CH4 for natural_gas (sector=space, year=2025); "
        f"give a sector, one of {SECTORS}",
        f"{where}:10:5: expected a number, got 'nan'",
        f"{where}:11:6: unit 'furlongs' is not a mass, volume or energy unit",
    ]


PLAN = """
installation_id = "BY-CHP-1"
jurisdiction = "BY"
name = "Synthetic CHP 1"
operator = "Synthetic Energo"
sector = "energy_industries"
category = "B"
method_pack = "ipcc2006"

[[source_streams]]
name = "gas"
activity = "natural_gas"

[[source_streams]]
name = "acid"
activity = "nitric_acid"

[[source_streams]]
name = "kiln"
activity = "clinker"
"""


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "activity"
    sheet.append(HEADER)
    for row in rows:
        # numbers as numbers, as a spreadsheet user would type them
        sheet.append([float(v) if v.replace(".", "", 1).isdigit() else (v or None) for v in row])
    workbook.save(path)
    return path


def shorten(lines: list[str]) -> list[str]:
    """The catalogue of activities grows; the test pins the message up to it."""
    return [
        line.split("expected one of ")[0] + "expected one of ..." if "unknown activity" in line else line
        for line in lines
    ]


def stderr_lines(result: object) -> list[str]:
    return shorten([line for line in result.stderr.splitlines() if line.strip()])  # type: ignore[attr-defined]


def test_calc_writes_the_results_of_the_gas_and_nitric_acid_example(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["mrv", "calc", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["record_id"] for r in rows] == ["gas-1", "acid-1"]
    gas, acid = rows
    # 34 TJ x 56,100 kg/TJ; 34 x 1 kg CH4; 34 x 0.1 kg N2O (IPCC 2006 Vol 2 Tables 1.4, 2.2)
    assert float(gas["co2_t"]) == pytest.approx(1907.4, rel=1e-12)
    assert float(gas["ch4_t"]) == pytest.approx(0.034, rel=1e-12)
    assert float(gas["n2o_t"]) == pytest.approx(0.0034, rel=1e-12)
    assert float(gas["co2e_t"]) == pytest.approx(1907.4 + 0.034 * 28 + 0.0034 * 265, rel=1e-12)
    # 100 t HNO3 x 9 kg N2O/t (Vol 3 Table 3.3, high pressure) = 0.9 t N2O x 265
    assert float(acid["n2o_t"]) == pytest.approx(0.9, rel=1e-12)
    assert float(acid["co2e_t"]) == pytest.approx(0.9 * 265, rel=1e-12)
    assert gas["gwp_set"] == "AR5GWP100" and gas["method"] == "calculation"
    assert list(rows[0])[: len(HEADER)] == HEADER
    assert "2 records" in result.stdout


def test_calc_with_the_per_record_engine_writes_the_same_file(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    for engine in ("bulk", "record"):
        result = runner.invoke(
            app,
            [
                "mrv",
                "calc",
                str(source),
                "--out",
                str(tmp_path / f"{engine}.csv"),
                "--engine",
                engine,
                "--gwp",
                "AR6GWP100",
            ],
        )
        assert result.exit_code == 0, result.stderr
    assert (tmp_path / "bulk.csv").read_bytes() == (tmp_path / "record.csv").read_bytes()
    assert (tmp_path / "bulk.sources.csv").read_bytes() == (tmp_path / "record.sources.csv").read_bytes()


def test_calc_reports_every_problem_of_a_bad_csv_and_writes_nothing(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", BAD_ROWS)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["mrv", "calc", str(source), "--out", str(out)])
    assert result.exit_code == 2
    assert stderr_lines(result) == expected_problems(str(source))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind either


def test_calc_reports_a_missing_column_on_the_header_line(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv",
        [r[:3] + r[4:6] for r in GOOD_ROWS],
        header=["record_id", "installation_id", "source_stream", "quantity", "unit"],
    )
    result = runner.invoke(app, ["mrv", "calc", str(source), "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert stderr_lines(result) == [f"{source}:1:activity: missing required column 'activity'"]
    assert not (tmp_path / "out.csv").exists()


def test_calc_reads_xlsx_and_locates_problems_by_sheet_row_and_column(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", GOOD_ROWS)
    result = runner.invoke(app, ["mrv", "calc", str(good), "--out", str(tmp_path / "good.csv")])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "good.csv").open(encoding="utf-8")))
    assert float(rows[0]["co2_t"]) == pytest.approx(1907.4, rel=1e-12)

    bad = write_xlsx(tmp_path / "bad.xlsx", BAD_ROWS)
    result = runner.invoke(app, ["mrv", "calc", str(bad), "--out", str(tmp_path / "bad.csv")])
    assert result.exit_code == 2
    lines = stderr_lines(result)
    assert [line.split(": ", 1)[0] for line in lines] == [
        p.split(": ", 1)[0] for p in expected_problems(f"{bad}[activity]")
    ]
    assert f"{bad}[activity]:4:5: quantity must not be negative, got -5" in lines
    assert not (tmp_path / "bad.csv").exists()


def test_calc_reads_json_and_locates_problems_by_record_and_field(tmp_path: Path) -> None:
    records = [dict(zip(HEADER, row, strict=True)) for row in GOOD_ROWS]
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"records": records}), encoding="utf-8")
    result = runner.invoke(app, ["mrv", "calc", str(good), "--out", str(tmp_path / "good.csv")])
    assert result.exit_code == 0, result.stderr

    records[1] = {**records[1], "quantity": -100, "technology": "dual_pressure"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(records), encoding="utf-8")
    result = runner.invoke(app, ["mrv", "calc", str(bad), "--out", str(tmp_path / "bad.csv")])
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        f"{bad}:2:quantity: quantity must not be negative, got -100",
        f"{bad}:2:technology: unknown technology 'dual_pressure' for nitric_acid; expected one of nscr, "
        "tail_gas_destruction, atmospheric, medium_pressure, high_pressure",
    ]
    assert not (tmp_path / "bad.csv").exists()


def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = tuple(
            int(connection.execute(text(f"select count(*) from {table}")).scalar_one())
            for table in ("activity_datasets", "activity_records", "audit_events")
        )
    engine.dispose()
    return counts  # type: ignore[return-value]


def test_import_of_a_bad_file_writes_nothing_to_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    result = runner.invoke(app, ["--db", url, "mrv", "plan", str(tmp_path / "plan.toml")])
    assert result.exit_code == 0, result.stderr
    before = _counts(url)

    bad = write_csv(tmp_path / "bad.csv", BAD_ROWS)
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(bad)])
    assert result.exit_code == 2
    assert stderr_lines(result) == expected_problems(str(bad))
    assert _counts(url) == before

    good = write_csv(tmp_path / "good.csv", GOOD_ROWS)
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(good)])
    assert result.exit_code == 0, result.stderr
    assert "BY-CHP-1 2025: dataset v1, 2 records" in result.stdout
    datasets, records, audits = _counts(url)
    assert (datasets, records, audits) == (before[0] + 1, before[1] + 2, before[2] + 1)


def test_import_refuses_records_that_break_the_monitoring_plan(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    (tmp_path / "plan.toml").write_text(
        PLAN.replace('activity = "natural_gas"', 'activity = "natural_gas"\ntier_ef = "3"')
    )
    assert runner.invoke(app, ["--db", url, "mrv", "plan", str(tmp_path / "plan.toml")]).exit_code == 0
    before = _counts(url)
    rows = [
        GOOD_ROWS[0],
        ["x-1", "BY-CHP-1", "boiler-9", "natural_gas", "1", "TJ", "2025", "energy_industries", "", "", ""],
        ["x-2", "BY-OTHER", "gas", "natural_gas", "1", "TJ", "2025", "manufacturing", "", "", ""],
        ["x-3", "BY-CHP-1", "gas", "natural_gas", "-1", "TJ", "2025", "manufacturing", "", "", ""],
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(source)])
    assert result.exit_code == 2
    assert stderr_lines(result) == [  # the unknown installation and the file's other problems, together
        f"{source}:4:2: installation 'BY-OTHER' has no monitoring plan; register it with 'mrv plan'",
        f"{source}:5:5: quantity must not be negative, got -1",
    ]
    source = write_csv(tmp_path / "in.csv", rows[:2])
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(source)])
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        f"{source}:2:emission_factor: source stream 'gas' is monitored at EF tier 3: a site-specific "
        "emission_factor or carbon_content is required",
        f"{source}:3:3: source stream 'boiler-9' is not in the monitoring plan of BY-CHP-1",
    ]
    assert _counts(url) == before


def _carbonbridge() -> str:
    found = shutil.which("carbonbridge", path=str(Path(sys.executable).parent)) or shutil.which("carbonbridge")
    assert found, "the carbonbridge console script is not installed"
    return found


def test_the_installed_command_exits_2_with_located_problems(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", BAD_ROWS)
    out = tmp_path / "out.csv"
    completed = subprocess.run(
        [_carbonbridge(), "mrv", "calc", str(bad), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "CARBONBRIDGE_DB": str(tmp_path / "unused.db")},
    )
    assert completed.returncode == 2
    assert shorten(completed.stderr.splitlines()) == expected_problems(str(bad))
    assert completed.stdout == ""
    assert not out.exists()


def test_help_does_not_import_the_heavy_libraries() -> None:
    probe = (
        "import sys\n"
        "from carbonbridge.entrypoints.cli.main import app\n"
        "for args in (['--help'], ['mrv', '--help'], ['mrv', 'calc', '--help']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('polars', 'pint', 'sqlalchemy', 'openscm_units', 'numpy') if m in sys.modules))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "[]"


def test_a_calculation_imports_no_other_command_group_nor_the_add_ons(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"{','.join(HEADER)}\nr1,BY-1,gas,natural_gas,100,TJ,2024,manufacturing,,,\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from carbonbridge.entrypoints.cli.main import app\n"
        f"sys.argv = ['carbonbridge', 'mrv', 'calc', {str(source)!r}, '--out', {str(tmp_path / 'out.csv')!r}]\n"
        "try:\n"
        "    app()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "print(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith(('carbonbridge.entrypoints.cli.', "
        "'carbonbridge_demo'))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "1 records" in completed.stdout
    assert completed.stdout.strip().splitlines()[-1] == "['common', 'errors', 'main', 'mrv']"


def test_command_modules_hand_typer_evaluated_annotations() -> None:
    # Typer resolves every command's annotations on each invocation; strings cost ~0.1 s of CPU.
    import carbonbridge.entrypoints.cli as cli

    folder = Path(cli.__file__).parent
    sources = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.py")}
    with_commands = [name for name, text in sources.items() if ".command(" in text]
    assert len(with_commands) >= 6
    assert [name for name in with_commands if "from __future__ import annotations" in sources[name]] == []


def test_report_verify_and_show_through_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    (tmp_path / "plan.toml").write_text(
        PLAN + '\n[[source_streams]]\nname = "stack"\nactivity = "natural_gas"\nmethod = "measurement"\n',
        encoding="utf-8",
    )
    assert runner.invoke(app, ["--db", url, "mrv", "plan", str(tmp_path / "plan.toml")]).exit_code == 0
    good = write_csv(tmp_path / "good.csv", GOOD_ROWS)
    assert runner.invoke(app, ["--db", url, "mrv", "import", str(good)]).exit_code == 0
    hourly = tmp_path / "stack.csv"
    hourly.write_text("hour,concentration,flow\n0,190,90000\n1,200,\n2,,100000\n3,210,110000\n4,,\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["--db", url, "mrv", "cems", str(hourly), "--installation", "BY-CHP-1", "--year", "2025", "--source", "stack"],
    )
    assert result.exit_code == 0, result.stderr
    assert "112.600 t CO2; 5 h, 2 h concentration and 2 h flow substituted" in result.stdout

    result = runner.invoke(
        app, ["--db", url, "mrv", "report", "--installation", "BY-CHP-1", "--year", "2025", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    # 1,907.4 t CO2 (gas) + 112.6 t CO2 (stack); 0.034 t CH4; 0.0034 + 0.9 t N2O (9 kg/t x 100 t HNO3)
    assert report["co2_t"] == pytest.approx(2020.0, rel=1e-12)
    assert report["co2e_t"] == pytest.approx(2020.0 + 0.034 * 28 + 0.9034 * 265, rel=1e-12)
    assert (report["version"], report["verified"]) == (1, False)

    material = str(report["co2e_t"] * 0.06)  # 6 % > 5 % (AVR Art. 23(1))
    verify = ["--db", url, "mrv", "verify", "--installation", "BY-CHP-1", "--year", "2025", "--verifier", "V"]
    result = runner.invoke(app, [*verify, "--opinion", "satisfactory", "--misstatement-t", material])
    assert result.exit_code == 5
    assert result.stderr.startswith("refused: material_misstatement: misstatement of 6.00 % exceeds the 5 %")
    result = runner.invoke(app, [*verify, "--opinion", "satisfactory", "--misstatement-t", "nan"])
    assert result.exit_code == 2
    assert result.stderr.startswith("misstatement_t: misstatement nan t and report")
    result = runner.invoke(app, [*verify, "--opinion", "glowing"])
    assert result.exit_code == 2
    assert "unknown opinion 'glowing'" in result.stderr
    result = runner.invoke(app, [*verify, "--opinion", "satisfactory", "--misstatement-t", "10", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["verified_emissions_t"] == 2260  # 2,260.353 t CO2e in whole tonnes
    result = runner.invoke(app, [*verify, "--opinion", "satisfactory"])
    assert result.exit_code == 4  # already verified: a Conflict

    result = runner.invoke(app, ["--db", url, "mrv", "show", "--installation", "BY-CHP-1"])
    assert result.exit_code == 0
    assert "BY-CHP-1 2025 v1 [A]" in result.stdout and "verified: 2,260 t CO2e" in result.stdout
    result = runner.invoke(app, ["--db", url, "mrv", "show", "--installation", "BY-NOBODY"])
    assert result.exit_code == 3


def test_import_reads_xlsx_and_json_and_refuses_bad_ones_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    assert runner.invoke(app, ["--db", url, "mrv", "plan", str(tmp_path / "plan.toml")]).exit_code == 0
    start = _counts(url)

    bad_json = tmp_path / "bad.json"
    records = [dict(zip(HEADER, row, strict=True)) for row in GOOD_ROWS]
    bad_json.write_text(json.dumps([records[0], {**records[1], "unit": "MWh"}]), encoding="utf-8")
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(bad_json)])
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        f"{bad_json}:2:unit: nitric_acid is measured in mass (t, kt, kg...), got 'MWh' (energy)"
    ]
    bad_xlsx = write_xlsx(tmp_path / "bad.xlsx", [GOOD_ROWS[0], BAD_ROWS[2]])
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(bad_xlsx)])
    assert result.exit_code == 2
    assert stderr_lines(result) == [f"{bad_xlsx}[activity]:3:5: quantity must not be negative, got -5"]
    assert _counts(url) == start

    good_xlsx = write_xlsx(tmp_path / "good.xlsx", GOOD_ROWS)
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(good_xlsx)])
    assert result.exit_code == 0, result.stderr
    assert "BY-CHP-1 2025: dataset v1, 2 records, CO2 1,907.400 t" in result.stdout
    good_json = tmp_path / "good.json"
    good_json.write_text(json.dumps({"records": records}), encoding="utf-8")
    result = runner.invoke(app, ["--db", url, "mrv", "import", str(good_json)])
    assert result.exit_code == 0, result.stderr
    assert "BY-CHP-1 2025: dataset v2, 2 records" in result.stdout
    assert _counts(url) == (start[0] + 2, start[1] + 4, start[2] + 2)
