"""`carbonbridge inventory` end to end: plain-CSV KCA and uncertainty as JSON, compile, diff,
export and reconcile on a SQLite file, and typed errors as exit codes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

runner = CliRunner()

PLAIN = """category,gas,year,value_t,uncertainty_pct
1.A.1,CO2,1990,500,5
3.A.1,CO2e,1990,300,40
4.A,CO2e,1990,200,50
1.A.1,CO2,2020,400,5
3.A.1,CO2e,2020,450,40
4.A,CO2e,2020,150,50
"""


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_kca_on_a_plain_csv_prints_ordered_key_categories_as_json(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(PLAIN, encoding="utf-8")
    code, out = _run("inventory", "kca", "--csv", str(tmp_path / "in.csv"), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["year"], result["base_year"]) == (2020, 1990)
    # Hand (level 2020): 450/1000, 400/1000, 150/1000; trend as in Eq 4.2: B 0.5, A 1/3, C 1/6
    assert [(r["category"], round(r["share"], 6), round(r["cumulative"], 6)) for r in result["level"]] == [
        ("3.A.1", 0.45, 0.45),
        ("1.A.1", 0.4, 0.85),
        ("4.A", 0.15, 1.0),
    ]
    assert [r["category"] for r in result["trend"]] == ["3.A.1", "1.A.1", "4.A"]
    assert result["trend"][0]["share"] == pytest.approx(0.5)
    assert {k["category"] for k in result["key_categories"]} == {"1.A.1", "3.A.1", "4.A"}
    assert "level_approach2" in result


def test_uncertainty_on_a_plain_csv_gives_both_approaches(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(PLAIN, encoding="utf-8")
    code, out = _run(
        "inventory", "uncertainty", "--csv", str(tmp_path / "in.csv"), "--json", "--seed", "3", "--iterations", "50000"
    )
    assert code == 0, out
    result = json.loads(out)
    hand = math.sqrt((0.05 * 400) ** 2 + (0.40 * 450) ** 2 + (0.50 * 150) ** 2) / 1000 * 100
    assert result["total"] == pytest.approx(1000.0)
    assert result["approach1_pct"] == pytest.approx(hand)
    assert abs(result["approach2_low_pct"] - hand) < 1.0 and abs(result["approach2_high_pct"] - hand) < 1.0
    assert [c["category"] for c in result["categories"]] == ["1.A.1", "3.A.1", "4.A"]
    assert sum(c["contribution_to_variance_pct"] for c in result["categories"]) == pytest.approx(100.0)


def test_uncertainty_with_separate_activity_and_factor_columns(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(
        "category,gas,year,value_t,ad_uncertainty_pct,ef_uncertainty_pct,distribution\n"
        "1.A.1,CO2,2020,1000,3,4,normal\n3.C.4,N2O,2020,10,10,100,lognormal\n",
        encoding="utf-8",
    )
    code, out = _run("inventory", "uncertainty", "--csv", str(tmp_path / "in.csv"), "--json")
    assert code == 0, out
    result = json.loads(out)
    # Hand: N2O 10 t x 265 = 2650 t CO2e; sqrt((5 % x 1000)^2 + (sqrt(10^2+100^2) % x 2650)^2) / 3650
    hand = math.sqrt((0.05 * 1000) ** 2 + (math.hypot(0.1, 1.0) * 2650) ** 2) / 3650 * 100
    assert result["approach1_pct"] == pytest.approx(hand)
    assert result["approach2_high_pct"] > result["approach2_low_pct"]  # the lognormal skews the total


def test_a_bad_csv_exits_2_with_every_problem_located(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("category,gas,year,value_t,uncertainty_pct\n9.9,CO2,2020,x,5\n", encoding="utf-8")
    result = runner.invoke(app, ["inventory", "kca", "--csv", str(tmp_path / "bad.csv")])
    assert result.exit_code == 2
    assert "bad.csv:2:category" in result.stderr and "bad.csv:2:value_t" in result.stderr


def test_compile_diff_export_and_reconcile_on_a_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cb.db'}"
    assert _run("--db", db, "db", "upgrade")[0] == 0
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "energy_balance.csv").write_text(
        "year,category,fuel,amount,unit\n1990,1.A.1,natural_gas,1000,TJ\n2020,1.A.1,natural_gas,800,TJ\n",
        encoding="utf-8",
    )
    (inputs / "livestock.csv").write_text("year,animal,heads\n1990,sheep,1000\n2020,sheep,2000\n", encoding="utf-8")
    code, out = _run("--db", db, "inventory", "compile", "BY", "--input", str(inputs), "--json")
    assert code == 0, out
    assert json.loads(out)["version"] == 1
    (inputs / "livestock.csv").write_text("year,animal,heads\n1990,sheep,1000\n2020,sheep,3000\n", encoding="utf-8")
    code, out = _run("--db", db, "inventory", "compile", "BY", "--input", str(inputs))
    assert code == 0 and "v2 (new)" in out
    code, out = _run("--db", db, "inventory", "diff", "BY", "1", "2", "--json")
    assert code == 0, out
    # Hand: 1000 more sheep x 8 kg enteric (V4 T10.10) = 8 t CH4 x 28; x 0.19 kg manure CH4 (V4 T10.15)
    changes = {(c["category"], c["gas"]): c["delta_t_co2e"] for c in json.loads(out)}
    assert changes == {("3.A.1", "CH4"): pytest.approx(8 * 28), ("3.A.2", "CH4"): pytest.approx(0.19 * 28)}
    code, out = _run("--db", db, "inventory", "export", "BY", "-o", str(tmp_path / "pub"), "--no-charts")
    assert code == 0, out
    assert (tmp_path / "pub" / "inventory.xlsx").exists()
    assert (tmp_path / "pub" / "primap2" / "BLR_inventory.yaml").exists()
    code, out = _run("--db", db, "inventory", "kca", "-j", "BY", "--json")
    assert code == 0 and json.loads(out)["key_categories"][0]["category"] == "1.A.1"
    code, out = _run("--db", db, "inventory", "reconcile", "BY")
    assert code == 0 and "0 category-years" in out
    assert _run("--db", db, "inventory", "diff", "BY", "1", "9")[0] == 3


def test_kca_key_categories_carry_their_level_and_trend_shares(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(PLAIN, encoding="utf-8")
    code, out = _run("inventory", "kca", "--csv", str(tmp_path / "in.csv"), "--json")
    assert code == 0, out
    first = json.loads(out)["key_categories"][0]
    assert first["category"] == "3.A.1"
    assert first["level_share"] == pytest.approx(0.45) and first["level_cumulative"] == pytest.approx(0.45)
    assert first["trend_share"] == pytest.approx(0.5) and first["by"][:2] == ["level", "trend"]


def test_kca_and_export_work_from_a_records_file_without_a_database(tmp_path: Path) -> None:
    (tmp_path / "records.csv").write_text(
        "category,gas,year,mass_t\n1.A.1,CO2,1990,1000\n1.A.1,CO2,2020,900\n3.A.1,CH4,1990,10\n3.A.1,CH4,2020,12\n",
        encoding="utf-8",
    )
    code, out = _run("inventory", "kca", "--records", str(tmp_path / "records.csv"), "--json", "--gwp", "AR4GWP100")
    assert code == 0, out
    level = json.loads(out)["level"]
    # Hand (AR4): 900 vs 12 x 25 = 300 -> shares 0.75 and 0.25
    assert [(r["category"], r["share"]) for r in level] == [
        ("1.A.1", pytest.approx(0.75)),
        ("3.A.1", pytest.approx(0.25)),
    ]
    code, out = _run(
        "inventory",
        "export",
        "BY",
        "-o",
        str(tmp_path / "pub"),
        "--records",
        str(tmp_path / "records.csv"),
        "--no-charts",
    )
    assert code == 0, out
    assert (tmp_path / "pub" / "summary1_2020.csv").exists()


def test_rows_sharing_an_ef_group_are_fully_correlated_in_approach2(tmp_path: Path) -> None:
    body = (
        "category,gas,year,value_t,uncertainty_pct,ef_group\n1.A.1,CO2,2020,500,10,{g1}\n1.A.2,CO2,2020,500,10,{g2}\n"
    )
    results = []
    for groups in (("gas", "gas"), ("", "")):
        (tmp_path / "in.csv").write_text(body.format(g1=groups[0], g2=groups[1]), encoding="utf-8")
        code, out = _run(
            "inventory",
            "uncertainty",
            "--csv",
            str(tmp_path / "in.csv"),
            "--json",
            "--iterations",
            "200000",
            "--seed",
            "4",
        )
        assert code == 0, out
        results.append(json.loads(out))
    shared, independent = results
    assert shared["approach2_high_pct"] == pytest.approx(10.0, abs=0.2)  # one factor: +/-10 %
    assert independent["approach2_high_pct"] == pytest.approx(10 / math.sqrt(2), abs=0.2)
    assert shared["approach1_pct"] == pytest.approx(10 / math.sqrt(2))  # Approach 1 assumes independence


def test_kca_can_leave_lulucf_out(tmp_path: Path) -> None:
    (tmp_path / "records.csv").write_text(
        "category,gas,year,mass_t\n1.A.1,CO2,2020,900\n3.B.1.a,CO2,2020,-600\n4.A,CH4,2020,2\n", encoding="utf-8"
    )
    code, out = _run("inventory", "kca", "--records", str(tmp_path / "records.csv"), "--json", "--no-lulucf")
    assert code == 0, out
    result = json.loads(out)
    # Hand: without LULUCF, 900 and 2 x 28 = 56 -> level shares 900/956 and 56/956
    assert result["with_lulucf"] is False
    assert [(r["category"], r["share"]) for r in result["level"]] == [
        ("1.A.1", pytest.approx(900 / 956)),
        ("4.A", pytest.approx(56 / 956)),
    ]
