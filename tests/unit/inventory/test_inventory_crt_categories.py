"""The CRT categorisation and the IPCC 2006 -> CRT conversion: climate-categories loads both, and
converting conserves every tonne in both directions (national total, total without LULUCF, memo
lines apart)."""

from __future__ import annotations

import math
import random

import climate_categories
import pytest

from carbonbridge.adapters.inventory_crt_categories import crt_categorization, crt_conversion, crt_conversion_cc
from carbonbridge.domain.inventory.crt_categories import CrtValue, crt_aggregate, to_crt, to_ipcc
from carbonbridge.domain.inventory.records import EmissionRecord, is_lulucf

SUMMARY1_ROWS = [
    "1.A.1",
    "1.A.2",
    "1.A.3",
    "1.A.4",
    "1.A.5",
    "1.B.1",
    "1.B.2",
    "1.C",
    "2.A",
    "2.B",
    "2.C",
    "2.D",
    "2.E",
    "2.F",
    "2.G",
    "2.H",
    "3.A",
    "3.B",
    "3.C",
    "3.D",
    "3.E",
    "3.F",
    "3.G",
    "3.H",
    "3.I",
    "3.J",
    "4.A",
    "4.B",
    "4.C",
    "4.D",
    "4.E",
    "4.F",
    "4.G",
    "4.H",
    "5.A",
    "5.B",
    "5.C",
    "5.D",
    "5.E",
    "6",
    "1.D.1.a",
    "1.D.1.b",
    "1.D.2",
    "1.D.3",
    "1.D.4",
    "M.IndN2O",
    "M.IndCO2",
]


def _ipcc_leaves() -> list[str]:
    return sorted(str(c.codes[0]) for c in climate_categories.IPCC2006.values() if c.is_leaf)


def test_climate_categories_loads_the_crt_categorisation_with_every_summary1_row() -> None:
    crt = crt_categorization()
    assert crt.name == "CRT" and crt.hierarchical
    assert all(row in crt for row in SUMMARY1_ROWS)
    # CRF numbering: 3 is Agriculture, 4 LULUCF, 5 Waste (not IPCC 2006's 3 AFOLU, 4 Waste)
    assert (crt["3"].title, crt["4"].title, crt["5"].title) == (
        "Agriculture",
        "Land use, land-use change and forestry",
        "Waste",
    )
    assert {str(c.codes[0]) for c in crt["0"].children[0]} == {"1", "2", "3", "4", "5", "6"}
    assert {str(c.codes[0]) for c in crt["M.0.EL"].children[0]} == {"1", "2", "3", "5", "6"}


def test_climate_categories_finds_no_over_counting_in_the_conversion() -> None:
    conversion = crt_conversion_cc()
    assert (conversion.categorization_a.name, conversion.categorization_b.name) == ("IPCC2006", "CRT")
    assert conversion.find_over_counting_problems() == []


def test_every_ipcc_2006_leaf_has_a_crt_category_through_its_own_rule_or_an_ancestor() -> None:
    conversion = crt_conversion()
    assert [c for c in _ipcc_leaves() if conversion.rule_for(c) is None] == []
    # 1.A.3.b.v (evaporative emissions) has no rule of its own and goes with road transportation
    assert conversion.rule_for("1.A.3.b.v").crt == "1.A.3.b"  # type: ignore[union-attr]


def test_categories_that_split_between_crt_sectors_are_refused_not_guessed() -> None:
    conversion = crt_conversion()
    records = [EmissionRecord("1.A.3.a", "CO2", 2020, 5.0), EmissionRecord("3.C.1", "CH4", 2020, 1.0)]
    values, problems = to_crt(records, conversion)
    assert values == []
    assert [p.field for p in problems] == ["category", "category"]
    assert "1.A.3.a" in problems[0].message and "3.C.1" in problems[1].message


def test_known_allocations_follow_the_crf_numbering() -> None:
    conversion = crt_conversion()
    expected = {
        "1.A.3.a.i": "1.D.1.a",
        "1.A.3.d.i": "1.D.1.b",
        "1.A.5.c": "1.D.2",
        "3.A.1": "3.A",
        "3.A.2": "3.B",
        "3.C.6": "3.B.5",
        "3.C.4": "3.D.1",
        "3.C.5": "3.D.2",
        "3.C.7": "3.C",
        "3.B.1.a": "4.A.1",
        "3.D.1": "4.G",
        "3.C.1.a": "4(V).A",
        "4.A": "5.A",
        "4.D.1": "5.D.1",
        "5.A": "M.IndN2O",
        "5.B": "6",
        "1.A.2.h": "1.A.2.g.i",
        "1.A.3.b.i.1": "1.A.3.b.i",
    }
    assert {k: conversion.rule_for(k).crt for k in expected} == expected  # type: ignore[union-attr]
    # several IPCC categories on one CRT category read back as their common ancestor
    assert conversion.ipcc_for("1.B.2.c") == "1.B.2"
    assert conversion.ipcc_for("3.B") == "3.A.2"


def _random_records(seed: int) -> list[EmissionRecord]:
    rng = random.Random(seed)
    conversion = crt_conversion()
    leaves = [c for c in _ipcc_leaves() if conversion.rule_for(c) is not None]
    out = []
    for category in rng.sample(leaves, 60):
        for gas in rng.sample(["CO2", "CH4", "N2O"], 2):
            for year in (1990, 2023):
                sign = -1 if is_lulucf(category) and gas == "CO2" else 1
                out.append(EmissionRecord(category, gas, year, sign * rng.uniform(0, 1e6)))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_ipcc_to_crt_conserves_the_national_total_with_and_without_lulucf(seed: int) -> None:
    records = _random_records(seed)
    conversion = crt_conversion()
    values, problems = to_crt(records, conversion)
    assert problems == [], seed
    totals = crt_aggregate(values, conversion.tree)
    memo = {"1.A.3.a.i", "1.A.3.d.i", "1.A.5.c", "5.A"}
    # In the CRT, biomass burning on forest and other land and other AFOLU (3.D.2) are LULUCF.
    moved_to_lulucf = {"3.C.1.a", "3.C.1.d", "3.D.2"}
    for year in (1990, 2023):
        for gas in ("CO2", "CH4", "N2O"):
            mine = [r for r in records if r.year == year and r.gas == gas]
            national = math.fsum(r.mass_t for r in mine if r.category not in memo)
            without = math.fsum(
                r.mass_t for r in mine if r.category not in memo | moved_to_lulucf and not is_lulucf(r.category)
            )
            assert totals.get(("0", gas, year), 0.0) == pytest.approx(national, rel=1e-12, abs=1e-6), seed
            assert totals.get(("M.0.EL", gas, year), 0.0) == pytest.approx(without, rel=1e-12, abs=1e-6), seed
            bunkers = math.fsum(r.mass_t for r in mine if r.category in {"1.A.3.a.i", "1.A.3.d.i"})
            assert totals.get(("1.D.1", gas, year), 0.0) == pytest.approx(bunkers, abs=1e-6), seed


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_crt_to_ipcc_conserves_every_total_and_round_trips_each_one_to_one_category(seed: int) -> None:
    records = _random_records(seed)
    conversion = crt_conversion()
    values, _ = to_crt(records, conversion)
    back, problems = to_ipcc(values, conversion)
    assert problems == []
    for year in (1990, 2023):
        for gas in ("CO2", "CH4", "N2O"):
            before = math.fsum(r.mass_t for r in records if (r.year, r.gas) == (year, gas))
            after = math.fsum(r.mass_t for r in back if (r.year, r.gas) == (year, gas))
            assert after == pytest.approx(before, rel=1e-12, abs=1e-6), seed
    again, _ = to_crt(back, conversion)
    # CRT categories fed by a sum of IPCC categories read back as the IPCC parent, which a second
    # pass reports one level up in the CRT; every other category comes back unchanged.
    regrouped = {"1.B.2.c": "1.B", "2.A.4.d": "2.A", "2.G.3.b": "2.G.3"}
    expected: dict[tuple[str, str, int], float] = {}
    for v in values:
        key = (regrouped.get(v.category, v.category), v.gas, v.year)
        expected[key] = expected.get(key, 0.0) + v.mass_t
    assert {(v.category, v.gas, v.year): v.mass_t for v in again} == pytest.approx(expected), seed


def test_crt_values_on_categories_no_rule_feeds_are_problems() -> None:
    back, problems = to_ipcc([CrtValue("1.D.3", "CO2", 2020, 1.0)], crt_conversion())
    assert back == [] and "1.D.3" in problems[0].message
