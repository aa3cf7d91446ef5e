"""Allocation edges worked by hand: rounding down, a cross-sectoral correction below 1, zero and
fractional activity, the edges of the load bands, invalid outputs and the codes of refusals.

Values come from the shipped configuration: src/carbonbridge/data/allocation/BY.toml (EU
benchmarks, Implementing Regulation (EU) 2021/447; CLEF 1 / 0.3, Directive 2003/87/EC Art. 10b)
and CN.toml (MEE 2019-2020 Implementation Plan, power generation).
"""

from __future__ import annotations

import dataclasses
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from carbonbridge.adapters.allocation_config import parse_benchmark_rules, parse_intensity_rules
from carbonbridge.domain.allocation.benchmark import (
    AllocationLine,
    BenchmarkRules,
    SubInstallation,
    allocate_sub_installation,
    uniform_cscf,
)
from carbonbridge.domain.allocation.intensity import (
    IntensityRules,
    LoadBand,
    TrueUp,
    UnitOutput,
    allocation_t,
    load_factor,
    true_up,
)
from carbonbridge.domain.errors import RuleViolation

D = Decimal


def _config(code: str) -> dict:
    path = Path(str(resources.files("carbonbridge") / "data" / "allocation" / f"{code}.toml"))
    return tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def cn() -> IntensityRules:
    return parse_intensity_rules(_config("CN"), file="CN.toml", year=2020)  # the 2019-2020 plan


@pytest.fixture
def by() -> BenchmarkRules:
    return parse_benchmark_rules(_config("BY"), file="BY.toml", year=2025)[1]  # the 2021-2025 benchmarks


# --- benchmark allocation (FAR Art. 16) -----------------------------------------------------------


def test_benchmark_allocation_is_rounded_down_even_when_the_fraction_is_above_one_half(by: BenchmarkRules) -> None:
    # 1,001 t clinker x 0.693 = 693.693 allowances -> 693 ("never more than the rule gives";
    # rounding to nearest would give 694)
    clinker = SubInstallation("BY-7", "grey_cement_clinker", D(1_001), carbon_leakage_exposed=True)
    assert allocate_sub_installation(clinker, by).allocation_t == 693


def test_a_cross_sectoral_correction_below_one_scales_every_line_down(by: BenchmarkRules) -> None:
    # Directive Art. 10a(5): demand 1,000,000 t, supply 900,000 t -> CSCF = 0.9
    cscf = uniform_cscf(D(1_000_000), D(900_000))
    assert cscf == D("0.9")
    rules = dataclasses.replace(by, cscf=cscf)
    lime = SubInstallation("BY-1", "lime", D(100_001), carbon_leakage_exposed=False)
    # preliminary 0.725 x 100,001 = 72,500.725; x CLEF 0.3 = 21,750.2175; x CSCF 0.9 = 19,575.19575 -> 19,575
    assert allocate_sub_installation(lime, rules) == AllocationLine(
        "BY-1",
        "lime",
        D("72500.725"),
        D("0.3"),
        D("0.9"),
        19_575,
        "Implementing Regulation (EU) 2021/447, Annex: lime",
        "eu-benchmarks-2021-2025",
    )


def test_zero_or_fractional_historical_activity_gives_a_line_not_a_refusal(by: BenchmarkRules) -> None:
    idle = SubInstallation("BY-2", "ammonia", D(0), carbon_leakage_exposed=True)
    assert allocate_sub_installation(idle, by).allocation_t == 0
    # 0.5 t ammonia x 1.570 = 0.785 -> 0 (rounded down), still a valid line
    half = allocate_sub_installation(SubInstallation("BY-2", "ammonia", D("0.5"), True), by)
    assert (half.preliminary, half.allocation_t) == (D("0.7850"), 0)


def test_negative_historical_activity_is_refused_with_its_code_naming_the_installation(by: BenchmarkRules) -> None:
    with pytest.raises(RuleViolation) as caught:
        allocate_sub_installation(SubInstallation("BY-3", "lime", D(-1), True), by)
    assert caught.value.code == "negative_activity"
    assert str(caught.value) == "negative_activity: historical activity level of BY-3 is negative"


def test_a_product_without_a_benchmark_is_refused_with_its_code_naming_the_product(by: BenchmarkRules) -> None:
    with pytest.raises(RuleViolation) as caught:
        allocate_sub_installation(SubInstallation("BY-4", "steel", D(10), True), by)
    assert caught.value.code == "no_benchmark"
    assert str(caught.value) == "no_benchmark: no product benchmark for 'steel'"


def test_the_correction_factor_also_applies_when_preliminary_allocation_is_below_one_tonne() -> None:
    # 0.5 t asked for, 0.25 t available: factor 0.25 / 0.5 = 0.5
    assert uniform_cscf(D("0.5"), D("0.25")) == D("0.5")
    # nothing asked for: factor 1 (no division by zero)
    assert uniform_cscf(D(0), D(100)) == 1


# --- intensity allocation: load bands (CN.toml [[load_bands]]) -----------------------------------


@pytest.mark.parametrize(
    ("load_rate", "factor"),
    [
        (D("0.85"), D(1)),  # the 0.80-0.85 band ends before 0.85: full load, no correction
        (D("0.80"), D("1.007")),  # lower edge belongs to the band: 1.0 + 0.0014 x (85 - 80)
        (D("0.7999"), D("1.007016")),  # 1.007 + 0.0016 x (80 - 79.99) = 1.007 + 0.000016
        (D("0.75"), D("1.015")),  # lower edge of the 0.75-0.80 band: 1.007 + 0.0016 x (80 - 75)
    ],
)
def test_a_load_rate_on_a_band_edge_belongs_to_the_band_that_starts_there(
    cn: IntensityRules, load_rate: Decimal, factor: Decimal
) -> None:
    assert load_factor(load_rate, cn) == factor


def test_a_band_covers_its_lower_edge_but_not_its_upper_edge(cn: IntensityRules) -> None:
    # CN's bands are continuous at their edges, so a band that wrongly kept its upper edge would give
    # the same number there; a flat band of 1.1 on [0.80, 0.85) shows which side an edge falls on.
    flat = dataclasses.replace(cn, load_bands=(LoadBand(D("0.80"), D("0.85"), D("1.1"), D(0), D(85)),))
    assert [load_factor(D(x), flat) for x in ("0.7999", "0.80", "0.8499", "0.85")] == [1, D("1.1"), D("1.1"), 1]


def test_a_coal_unit_below_75_percent_load_gets_no_less_correction_than_at_75_percent(cn: IntensityRules) -> None:
    # at 75 %: 1.015 (above); at 74.99 % the plan gives 1.015^(16 - 14.998) = 1.015^1.002 > 1.015
    assert load_factor(D("0.7499"), cn) >= load_factor(D("0.75"), cn) == D("1.015")


# --- intensity allocation: valid and invalid outputs ---------------------------------------------


def test_a_heat_only_unit_with_no_electricity_is_valid(cn: IntensityRules) -> None:
    # 0 MWh; 10,000 GJ x 0.059 t/GJ (gas heat benchmark) = 590 t
    assert allocation_t(UnitOutput("CN-H", "gas", D(0), D(10_000)), cn) == D(590)


def test_a_fraction_of_a_megawatt_hour_is_valid(cn: IntensityRules) -> None:
    # 0.5 MWh x 0.392 t/MWh = 0.196 t
    assert allocation_t(UnitOutput("CN-G", "gas", D("0.5")), cn) == D("0.196")


def test_a_unit_that_supplies_only_heat_to_the_grid_has_heat_supply_ratio_one(cn: IntensityRules) -> None:
    # heat-supply factor 1 - 0.22 x 1 = 0.78
    # 1,000 MWh x 0.877 x 1.00 (water) x 0.78 x 1 (full load) = 684.06; + 2,000 GJ x 0.126 = 252 -> 936.06
    unit = UnitOutput("CN-C", "coal_above_300mw", D(1_000), D(2_000), heat_supply_ratio=D(1))
    assert allocation_t(unit, cn) == D("936.06")


@pytest.mark.parametrize(
    "output",
    [
        UnitOutput("CN-9", "gas", D(-1)),
        UnitOutput("CN-9", "gas", D(100), heat_gj=D(-1)),
        UnitOutput("CN-9", "gas", D(100), heat_supply_ratio=D("1.5")),
        UnitOutput("CN-9", "gas", D(100), heat_supply_ratio=D("-0.1")),
    ],
    ids=["negative-electricity", "negative-heat", "ratio-above-one", "negative-ratio"],
)
def test_each_invalid_output_on_its_own_is_refused_with_the_invalid_output_code(
    cn: IntensityRules, output: UnitOutput
) -> None:
    with pytest.raises(RuleViolation) as caught:
        allocation_t(output, cn)
    assert caught.value.code == "invalid_output"
    assert str(caught.value) == "invalid_output: CN-9: negative output or heat supply ratio outside 0-1"


def test_an_unknown_cooling_method_is_refused_with_its_code(cn: IntensityRules) -> None:
    with pytest.raises(RuleViolation) as caught:
        allocation_t(UnitOutput("CN-8", "gas", D(100), cooling="dry"), cn)
    assert caught.value.code == "unknown_cooling"
    assert str(caught.value) == "unknown_cooling: CN-8: unknown cooling 'dry'"


def test_an_unknown_unit_type_is_refused_with_its_code_naming_unit_and_type(cn: IntensityRules) -> None:
    with pytest.raises(RuleViolation) as caught:
        allocation_t(UnitOutput("CN-7", "nuclear", D(1)), cn)
    assert caught.value.code == "unknown_unit_type"
    assert str(caught.value) == "unknown_unit_type: CN-7: unknown unit type 'nuclear'"


def test_a_true_up_names_the_unit_it_settles(cn: IntensityRules) -> None:
    # 700,000 MWh x 0.392 = 274,400 t; 548,800 pre-allocated -> 274,400 to take back
    assert true_up(UnitOutput("CN-3", "gas", D(700_000)), 548_800, cn) == TrueUp("CN-3", 274_400, 548_800)
