"""`carbonbridge market replay`, `msr` and `msr-scenario` from the command line: fills in the order
they happen, every bad cell located as FILE:LINE:COLUMN with exit 2 and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

RUNNER = CliRunner()


def test_replay_writes_the_fills_in_the_order_they_happen(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "seq,op,order_id,side,price,quantity,type\n"
        "1,add,s1,sell,60.00,100,limit\n"
        "2,add,s2,sell,60.5,100,limit\n"
        "3,add,s3,sell,60.00,50,limit\n"
        "4,cancel,s3,,,,\n"
        "5,add,b1,buy,60.50,150,ioc\n"
        "6,add,b2,buy,61,100,fok\n"
        "7,add,b3,buy,,10,market\n"
        "8,add,b4,buy,59.99,5,limit\n"
        "9,add,s4,sell,59.00,8,limit\n"
    )
    out = tmp_path / "fills.csv"
    result = RUNNER.invoke(app, ["market", "replay", str(orders), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # b1 takes s1 (60.00, 100) then s2 (60.50, 50); b2 FOK wants 100, only 50 left: killed; b3 takes
    # 10 of s2; b4 rests at 59.99; s4 sells 5 to b4 at b4's price and rests 3 at 59.00
    assert out.read_text().splitlines() == [
        "seq,taker_order_id,maker_order_id,price,quantity",
        "5,b1,s1,60.00,100",
        "5,b1,s2,60.50,50",
        "7,b3,s2,60.50,10",
        "9,s4,b4,59.99,5",
    ]


def test_replay_locates_every_bad_cell_and_writes_nothing(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "seq,op,order_id,side,price,quantity,type\n"
        "1,add,a,sell,60.001,100,limit\n"
        "2,add,b,hold,60,0,limit\n"
        "2,add,c,buy,60,5,market\n"
        "4,cancel,zz,,,,\n"
        "5,add,a,buy,60,5,limit\n"
        "6,add,d,buy,60,5,stop\n"
        "7,add,e,buy,60,10000000000001,limit\n"
    )
    out = tmp_path / "fills.csv"
    result = RUNNER.invoke(app, ["market", "replay", str(orders), "--out", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{orders}:2:5: a price has at most two decimals (got '60.001')",
        f"{orders}:3:4: side must be buy or sell, got 'hold'",
        f"{orders}:3:6: quantity must be a whole number from 1 to 1,000,000,000,000, got '0'",
        f"{orders}:4:1: seq must increase (previous 2, got 2)",
        f"{orders}:4:5: a market order has no price (leave it empty)",
        f"{orders}:5:3: cancel of order 'zz' that was never added",
        f"{orders}:6:3: order 'a' was already added",
        f"{orders}:7:7: type must be limit, market, ioc or fok, got 'stop'",
        f"{orders}:8:6: quantity must be a whole number from 1 to 1,000,000,000,000, got '10000000000001'",
    ]
    assert not out.exists()


def test_msr_for_a_given_tnac_and_a_scenario_with_charts(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["market", "msr", "--year", "2023", "--tnac", "1134794738"])
    assert result.exit_code == 0 and json.loads(result.stdout)["intake"] == 272_350_737
    scenario = tmp_path / "scenario.csv"
    scenario.write_text(
        "year,cap,free_allocation,emissions\n2024,1386000000,600000000,1100000000\n2025,1300000000,580000000,1050000000\n"
    )
    out = tmp_path / "msr"
    done = RUNNER.invoke(
        app, ["market", "msr-scenario", str(scenario), "--out", str(out), "--opening-tnac", "1110000000"]
    )
    assert done.exit_code == 0, done.output
    assert (out / "msr_scenario.html").stat().st_size > 1000 and (out / "msr_scenario.png").stat().st_size > 1000
    # 2024: TNAC 1,110 + 600 + 786 - 1,100 = 1,396 M > 1,096 M -> 24 % = 335.04 M
    assert "2024: auctioned 786,000,000 TNAC 1,396,000,000 intake 335,040,000" in done.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--year", "-5"], "year: year -5 is out of range"),
        (["--year", "2025", "--tnac", "-3"], "tnac: TNAC -3 is negative"),
    ],
)
def test_msr_apply_refuses_an_impossible_year_or_tnac_before_touching_the_calendar(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    assert RUNNER.invoke(app, ["--db", db, "db", "upgrade"]).exit_code == 0
    result = RUNNER.invoke(app, ["--db", db, "market", "msr", "apply", *args, "-j", "BY"])
    assert result.exit_code == 2, result.output
    assert expected in result.output
