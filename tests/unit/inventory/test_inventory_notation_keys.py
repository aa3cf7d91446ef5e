"""Notation keys: bit masks of the CRT JSON, the rules (no number with a key, NE explained, IE
explained and located) and completeness per category and gas (CRT Table 9)."""

from __future__ import annotations

import pytest

from carbonbridge.domain.inventory.notation import (
    BITS,
    NotationKey,
    check_keys,
    completeness,
    keys_of,
    mask_of,
    parse_keys,
)
from carbonbridge.domain.inventory.records import EmissionRecord


def test_bit_masks_are_those_of_the_crt_data_exchange_json() -> None:
    assert BITS == {"C": 1, "IE": 32, "NA": 256, "NE": 1024, "NO": 2048, "FX": 8388608}
    assert mask_of(parse_keys("IE, NO")) == 32 + 2048
    assert keys_of(2080) == ("NO", "IE")
    assert parse_keys("ne") == ("NE",)


@pytest.mark.parametrize("mask", [0, -1, 2, 4, 131072, 2048 + 4])
def test_masks_with_method_or_unknown_bits_are_not_notation_keys(mask: int) -> None:
    with pytest.raises(ValueError, match="not a combination"):
        keys_of(mask)


def test_an_unknown_key_is_named() -> None:
    with pytest.raises(ValueError, match="unknown notation key XX"):
        parse_keys("NO,XX")


def test_a_number_and_a_key_for_the_same_cell_is_an_error_located_in_the_key_file() -> None:
    keys = [NotationKey("1.A.1", "CH4", 2020, ("NO",), file="nk.csv", line=3)]
    problems = check_keys(keys, [EmissionRecord("1.A.1", "CH4", 2020, 1.0)])
    assert [(p.file, p.line, p.field) for p in problems] == [("nk.csv", 3, "key")]
    assert "number and the notation key NO" in problems[0].message
    assert check_keys(keys, [EmissionRecord("1.A.1", "CH4", 2021, 1.0)]) == []


def test_ne_needs_an_explanation_and_ie_needs_one_and_where_it_is_included() -> None:
    keys = [
        NotationKey("2.B.3", "N2O", 2020, ("NE",), line=2),
        NotationKey("1.A.4.c", "CO2", 2020, ("IE",), line=3),
        NotationKey("1.A.4.c", "CH4", 2020, ("IE",), "fuel statistics merge farms", "1.A.4.a", line=4),
        NotationKey("2.B.3", "CO2", 2020, ("NA",), line=5),
    ]
    problems = check_keys(keys)
    assert [(p.line, p.field) for p in problems] == [(2, "explanation"), (3, "explanation"), (3, "included_in")]


def test_two_rows_for_one_cell_are_an_error() -> None:
    keys = [NotationKey("4.B", "CH4", 2020, ("NO",), line=2), NotationKey("4.B", "CH4", 2020, ("NA",), line=3)]
    assert [(p.line, p.field) for p in check_keys(keys)] == [(3, "key")]


def test_completeness_says_for_each_category_and_gas_what_was_reported_and_what_is_missing() -> None:
    records = [EmissionRecord("1.A.1", "CO2", y, 1.0) for y in (2019, 2020, 2021)]
    records += [EmissionRecord("3.A.1", "CH4", 2021, 1.0)]
    keys = [
        NotationKey("3.A.1", "CH4", 2019, ("FX",)),
        NotationKey("3.A.1", "CH4", 2020, ("FX",)),
        NotationKey("2.B.3", "N2O", 2021, ("NE",), "no data on the one plant"),
    ]
    rows = {
        (r.category, r.gas): r for r in completeness(records, keys, [2019, 2020, 2021], expected=[("1.B.1", "CH4")])
    }
    assert rows[("1.A.1", "CO2")].status == "estimated"
    assert rows[("3.A.1", "CH4")].status == "estimated+FX"
    assert rows[("3.A.1", "CH4")].keys == (("FX", (2019, 2020)),)
    assert rows[("2.B.3", "N2O")].status == "missing"  # NE only in 2021
    assert rows[("2.B.3", "N2O")].missing_years == (2019, 2020)
    assert rows[("2.B.3", "N2O")].explanation == "no data on the one plant"
    assert rows[("1.B.1", "CH4")].missing_years == (2019, 2020, 2021)


def test_ne_must_be_below_the_insignificance_thresholds_alone_and_together() -> None:
    from carbonbridge.domain.inventory.notation import check_insignificance

    total = {2023: 90_000_000.0}  # 90 Mt without LULUCF: 0.05 % = 45,000 t; 0.1 % = 90,000 t
    keys = [
        NotationKey("2.B.3", "N2O", 2023, ("NE",), "x", likely_t_co2e=40_000.0, line=2),
        NotationKey("2.B.4", "N2O", 2023, ("NE",), "x", likely_t_co2e=45_001.0, line=3),
        NotationKey("2.B.5", "CO2", 2023, ("NE",), "x", line=4),
        NotationKey("2.B.6", "CO2", 2023, ("NO",), line=5),
    ]
    problems = check_insignificance(keys, total)
    assert [(p.line, p.field) for p in problems] == [(3, "likely_t_co2e"), (4, "likely_t_co2e")]
    assert "above the insignificance threshold 45,000 t CO2e" in problems[0].message
    # together 85,001 t < 90,000 t; one more small NE tips the sum over 0.1 %
    more = [*keys[:2], NotationKey("2.B.7", "CO2", 2023, ("NE",), "x", likely_t_co2e=5_000.0, line=6)]
    together = [p for p in check_insignificance(more, total) if "together" in p.message]
    assert len(together) == 1 and "90,001 t CO2e" in together[0].message
    # the flexibility thresholds are twice as wide: 0.1 % and 0.2 %
    assert [p.line for p in check_insignificance(keys[:2], total, "flexibility")] == []
    # the absolute limit binds for a large country: 0.05 % of 2 Gt is 1 Mt, but 500 kt is lower
    big = [NotationKey("2.B.3", "N2O", 2023, ("NE",), "x", likely_t_co2e=600_000.0)]
    assert "threshold 500,000 t CO2e" in check_insignificance(big, {2023: 2e9})[0].message
