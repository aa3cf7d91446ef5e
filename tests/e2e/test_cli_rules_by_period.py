"""`allocate plan --year`: the rules in force for the year, named on every line (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

runner = CliRunner()


def _outputs(tmp_path: Path) -> Path:
    table = tmp_path / "outputs.csv"
    table.write_text(
        "unit_id,unit_type,electricity_mwh,heat_gj,cooling,heat_supply_ratio,load_rate\n"
        "G-1,gas,1000000,200000,water,0.30,0.70\n"
        "C-1,coal_300mw_and_below,2000000,,,,0.70\n"
    )
    return table


def test_a_plan_for_2020_uses_the_2019_2020_plan_and_says_so(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["allocate", "plan", "CN", "--year", "2020", "--input", str(_outputs(tmp_path)), "--json"]
    )
    assert result.exit_code == 0, result.output
    plan = {row["holder"]: row for row in json.loads(result.stdout)}
    # G-1: 1,000,000 x 0.392 x (1 - 0.6 x 0.30) + 200,000 x 0.059 = 321,440 + 11,800 = 333,240 (no load factor)
    # C-1: 2,000,000 x 0.979 x 1.015^(16 - 20 x 0.70) = 1,958,000 x 1.030225 = 2,017,180.55 -> 2,017,180
    assert (plan["G-1"]["allocation_t"], plan["C-1"]["allocation_t"]) == (333_240, 2_017_180)
    assert {row["rules"] for row in plan.values()} == {"cn-power-2019-2020"}


def test_a_plan_for_a_year_whose_figures_were_not_read_is_refused_with_the_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["allocate", "plan", "CN", "--year", "2022", "--input", str(_outputs(tmp_path))])
    assert result.exit_code == 2
    assert "value_not_configured" in result.stderr and "cn-power-2021-2022" in result.stderr
    assert "CN.toml:versions[1].unit_types" in result.stderr and "not read in a stored copy" in result.stderr


def test_a_plan_for_a_year_before_any_version_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["allocate", "plan", "CN", "--year", "2018", "--input", str(_outputs(tmp_path))])
    assert result.exit_code == 2
    assert "no_version_in_force" in result.stderr
