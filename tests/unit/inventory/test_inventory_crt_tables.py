"""CRT-like tables by hand: Summary 1 and 2 in kt and kt CO2e, key categories, trends; and the
number conventions of the CRT JSON (6 decimals unless that gives 0, no exponent)."""

from __future__ import annotations

import pytest

from carbonbridge.adapters.inventory_crt_categories import crt_tree
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.inventory import crt_tables as t
from carbonbridge.domain.inventory.crt_categories import CrtValue
from carbonbridge.domain.inventory.crt_document import CrtKey
from carbonbridge.domain.inventory.crt_values import KeyCell, positional, rounded, unit_factor


def g(gas: str) -> float:
    return gwp(gas, "AR5GWP100")


VALUES = [
    CrtValue("1.A.1", "CO2", 1990, 1_000_000.0),
    CrtValue("1.A.1", "CO2", 2023, 800_000.0),
    CrtValue("3.A", "CH4", 1990, 10_000.0),
    CrtValue("3.A", "CH4", 2023, 12_000.0),
    CrtValue("4.A.1", "CO2", 2023, -300_000.0),
    CrtValue("2.G.1", "SF6", 2023, 2.0),
    CrtValue("1.D.1.a", "CO2", 2023, 50_000.0),
]


def _rows(table: list[list[object]]) -> dict[object, dict[object, object]]:
    return {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}


def test_summary1_sums_up_the_crt_tree_and_keeps_memo_items_out_of_the_total() -> None:
    rows = _rows(
        t.summary1(VALUES, [CrtKey("1.B.1.a", "CH4", 2023, KeyCell(("NO",)))], crt_tree(), 2023, g, "AR5GWP100")
    )
    # Hand (AR5): 800 kt CO2 + 12 kt CH4 x 28 + 2 t SF6 x 23,500 - 300 kt CO2
    assert rows["1"]["CO2 (kt)"] == 800.0 and rows["3"]["CH4 (kt)"] == 12.0
    assert rows["0"]["CO2 (kt)"] == 500.0 and rows["M.0.EL"]["CO2 (kt)"] == 800.0
    assert rows["2.G"]["SF6 (kt CO2e)"] == 47.0
    assert rows["0"]["total (kt CO2e, AR5GWP100)"] == pytest.approx(800 + 336 + 47 - 300)
    assert rows["1.D.1.a"]["CO2 (kt)"] == 50.0 and rows["1.D.1"]["CO2 (kt)"] == 50.0
    assert rows["1.B"]["CH4 (kt)"] == "NO" and rows["1.B.1"]["CH4 (kt)"] == "NO"
    assert rows["5"]["CH4 (kt)"] == ""  # neither a number nor a key: Table 9 lists what is missing


def test_summary2_gives_every_gas_in_co2_equivalent() -> None:
    rows = _rows(t.summary2(VALUES, crt_tree(), 2023, g, "AR5GWP100"))
    assert rows["3"]["CH4 (kt CO2e)"] == 336.0 and rows["0"]["SF6 (kt CO2e)"] == 47.0
    assert "1.A.1" not in rows  # Summary 2 stops at the second level


def test_table7_ranks_key_categories_with_removals_by_absolute_value() -> None:
    table = t.table7(VALUES, crt_tree(), 2023, 1990, g)
    keys = [(r[0], r[2]) for r in table[1:]]
    # Hand level 2023: |800| + |336| + |-300| + 47 = 1,483 kt; 800/1483 = 53.9 %, then 336, then 300 crosses 95 %
    assert keys[:3] == [("1.A.1", "CO2"), ("3.A", "CH4"), ("4.A.1", "CO2")]
    assert table[1][4] == pytest.approx(800 / 1483 * 100, abs=1e-3)
    assert ("1.D.1.a", "CO2") not in keys  # memo items are not assessed


def test_table10_gives_the_trend_from_the_base_year() -> None:
    rows = _rows(t.table10(VALUES, crt_tree(), "CO2", g, "AR5GWP100"))
    assert rows["1"][1990] == 1000.0 and rows["1"][2023] == 800.0
    assert rows["1"]["change base to latest (%)"] == -20.0
    fgases = _rows(t.table10(VALUES, crt_tree(), "F-gases", g, "AR5GWP100"))
    assert fgases["2"][2023] == 47.0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-07, "0.0000001"),
        (123456789.123456, "123456789.123456"),
        (1e16, "10000000000000000"),
        (-0.5, "-0.5"),
        (2.0, "2"),
    ],
)
def test_numbers_are_written_without_exponent(value: float, text: str) -> None:
    assert positional(value) == text


def test_rounding_keeps_six_decimals_unless_that_would_give_zero() -> None:
    assert rounded(1.23456789) == 1.234568
    assert rounded(1.2e-9) == 1.2e-9
    assert rounded(-0.0) == 0.0


def test_units_convert_tonnes_to_the_variable_unit_and_co2_equivalent_with_the_gwp() -> None:
    assert unit_factor("kt", "CO2", g) == 1000.0
    assert unit_factor("Gg", "CH4", g) == 1000.0
    assert unit_factor("t CO₂ equivalent", "SF6", g) == pytest.approx(1 / 23_500)
    with pytest.raises(ValueError, match="not a mass unit"):
        unit_factor("TJ", "CO2", g)


def test_table7_uses_the_threshold_it_is_given() -> None:
    # 85 % (developing-country flexibility): 800 + 336 = 1,136 of 1,483 kt is 76.6 %, 4.A.1 crosses 85 %
    assert len(t.table7(VALUES, crt_tree(), 2023, None, g, threshold=0.85)) - 1 == 3
    # 50 %: only the first category (it crosses the threshold alone) is key by level
    assert [r[0] for r in t.table7(VALUES, crt_tree(), 2023, None, g, threshold=0.5)[1:]] == ["1.A.1"]
