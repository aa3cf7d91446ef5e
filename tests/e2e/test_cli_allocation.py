"""`carbonbridge cap` and `allocate plan` on shipped configuration, numbers worked by hand."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

runner = CliRunner()


def test_cap_of_belarus_falls_by_the_linear_reduction_factor() -> None:
    result = runner.invoke(app, ["cap", "BY", "--from", "2025", "--to", "2028", "--json"])
    assert result.exit_code == 0, result.output
    # 32,000,000 less the Directive (EU) 2023/959 factors of the 32,000,000 reference (issue 15):
    # 4.3 % (1,376,000) in 2026 and 2027, 4.4 % (1,408,000) from 2028
    assert json.loads(result.stdout) == [
        {"year": 2025, "cap_t": 32_000_000},
        {"year": 2026, "cap_t": 30_624_000},
        {"year": 2027, "cap_t": 29_248_000},
        {"year": 2028, "cap_t": 27_840_000},
    ]


def test_china_has_no_absolute_cap_to_print() -> None:
    result = runner.invoke(app, ["cap", "CN"])
    assert result.exit_code == 5
    assert "intensity_cap" in result.stderr


def test_intensity_plan_allocates_by_output_and_pre_allocates_seventy_percent(tmp_path: Path) -> None:
    table = tmp_path / "outputs.csv"
    table.write_text(
        "unit_id,unit_type,electricity_mwh,heat_gj,cooling,heat_supply_ratio,load_rate\n"
        "CN-1,coal_above_300mw,3000000,500000,air,0.10,0.82\n"
        "CN-2,gas,1000001,,,,\n"
    )
    result = runner.invoke(app, ["allocate", "plan", "CN", "--input", str(table), "--json"])
    assert result.exit_code == 0, result.output
    plan = {row["holder"]: row for row in json.loads(result.stdout)}
    # CN-1: 3e6 x 0.877 x 1.05 x 0.978 x 1.0042 + 500,000 x 0.126 = 2,776,121.35 -> 2,776,121;
    # x 0.70 = 1,943,284.9 -> 1,943,284. CN-2: 1,000,001 x 0.392 = 392,000.392; x 0.7 -> 274,400.
    assert (plan["CN-1"]["allocation_t"], plan["CN-1"]["pre_allocation_next_year_t"]) == (2_776_121, 1_943_284)
    assert (plan["CN-2"]["allocation_t"], plan["CN-2"]["pre_allocation_next_year_t"]) == (392_000, 274_400)


def test_benchmark_plan_reports_every_bad_cell_with_its_location(tmp_path: Path) -> None:
    table = tmp_path / "hal.csv"
    table.write_text(
        "installation_id,product,historical_activity_level,carbon_leakage_exposed\n"
        "BY-1,grey_cement_clinker,1200000,yes\n"
        "BY-2,lime,x,maybe\n"
    )
    result = runner.invoke(app, ["allocate", "plan", "BY", "--input", str(table)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{table}:3:3: expected a decimal number, got 'x'",
        f"{table}:3:4: expected true or false, got 'maybe'",
    ]


def test_unknown_product_is_refused_with_the_file_named(tmp_path: Path) -> None:
    table = tmp_path / "hal.csv"
    table.write_text("installation_id,product,historical_activity_level,carbon_leakage_exposed\nBY-1,steel,10,yes\n")
    result = runner.invoke(app, ["allocate", "plan", "BY", "--input", str(table)])
    assert result.exit_code == 2
    assert "no_benchmark" in result.stderr and str(table) in result.stderr
