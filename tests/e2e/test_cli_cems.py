"""`carbonbridge cems import|annual|quality` on a small plant file: idempotent import, the year by
hand, corroboration and the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

PLANT = """installation_id,stack_id,time,parameter,value,flag
PLANT1,S1,2025-01-01 00:00,co2,200,N
PLANT1,S1,2025-01-01 00:00,flow,100000,N
PLANT1,S1,2025-01-01 01:00,co2,210,N
PLANT1,S1,2025-01-01 01:00,flow,110000,N
PLANT1,S1,2025-01-01 02:00,co2,190,D
"""


def test_import_twice_then_annual_with_substitution_and_corroboration(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "plant.csv").write_text(PLANT)
    args = ["cems", "import", str(tmp_path / "plant.csv"), "--data", str(tmp_path / "ds"), "--jurisdiction", "BY"]
    assert "5 new" in runner.invoke(app, args).output
    assert "0 new, 0 changed, 5 already stored" in runner.invoke(app, args).output
    (tmp_path / "calc.csv").write_text("installation_id,co2_t,uncertainty\nPLANT1,230000,0.05\n")
    result = runner.invoke(
        app,
        [
            "cems",
            "annual",
            "--data",
            str(tmp_path / "ds"),
            "--jurisdiction",
            "BY",
            "--year",
            "2025",
            "--calculated",
            str(tmp_path / "calc.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output[result.output.index("[") :])[0]
    # valid CO2 200, 210: 205 + 2 x 7.0711 = 219.142; flow 100,000, 110,000: 105,000 + 2 x 7,071.07 = 119,142.1;
    # hours 0-1 measured (43.1 t); hour 2 (CO2 fault, no flow) and 8,757 absent hours take both substitutes.
    c_sub, f_sub = 205 + 2 * 50**0.5, 105_000 + 2 * 5e7**0.5
    expected = (200 * 100_000 + 210 * 110_000 + 8_758 * c_sub * f_sub) * 1e-6
    assert row["co2_t"] == pytest.approx(expected, rel=1e-9)
    assert row["uncertainty_t"] == pytest.approx(expected * 0.025, rel=1e-9)
    assert row["corroborated"] is True  # |228,706 - 230,000| <= hypot(5,718, 11,500)
    report = tmp_path / "q.html"
    result = runner.invoke(
        app,
        [
            "cems",
            "quality",
            "--data",
            str(tmp_path / "ds"),
            "--jurisdiction",
            "BY",
            "--year",
            "2025",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    page = report.read_text()
    assert "Availability per stack and month" in page and "Hours substituted per month" in page


def test_an_import_with_bad_lines_reports_each_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(PLANT + "PLANT1,S1,yesterday,co2,1,N\nPLANT1,S1,2025-01-01 03:00,so2,x,N\n")
    result = CliRunner().invoke(
        app, ["cems", "import", str(tmp_path / "bad.csv"), "--data", str(tmp_path / "ds"), "--jurisdiction", "BY"]
    )
    assert result.exit_code == 2
    assert "bad.csv:7" in result.output and "bad.csv:8" in result.output
    assert not (tmp_path / "ds" / "hourly").exists()


def test_cems_help_imports_no_engine() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\nfrom carbonbridge.entrypoints.cli.main import app\n"
        "for args in (['cems', '--help'], ['cems', 'annual', '--help']):\n"
        "    try:\n        app(args)\n    except SystemExit as exit:\n        assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('duckdb', 'polars', 'pyspark', 'plotly') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", ["missing.csv", "missing.parquet"])
def test_an_import_of_a_missing_file_names_it_and_exits_2(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(
        app, ["cems", "import", str(tmp_path / name), "--data", str(tmp_path / "ds"), "--jurisdiction", "BY"]
    )
    assert result.exit_code == 2, result.output
    assert f"{name}: file not found" in result.output
    assert not (tmp_path / "ds").exists() or not any((tmp_path / "ds").rglob("*.parquet"))


def test_annual_of_an_empty_data_set_says_so_instead_of_a_year_of_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["cems", "annual", "--data", str(tmp_path / "nowhere"), "--jurisdiction", "BY", "--year", "2025"]
    )
    assert result.exit_code == 3, result.output
    assert "no CEMS values for BY 2025" in result.output


def test_a_calculated_figures_file_without_its_uncertainty_column_is_located(tmp_path: Path) -> None:
    (tmp_path / "calc.csv").write_text("installation_id,co2_t\nX,1\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "cems",
            "annual",
            "--data",
            str(tmp_path / "ds"),
            "--jurisdiction",
            "BY",
            "--year",
            "2025",
            "--calculated",
            str(tmp_path / "calc.csv"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "calc.csv:1:uncertainty: missing required column 'uncertainty'" in result.output
