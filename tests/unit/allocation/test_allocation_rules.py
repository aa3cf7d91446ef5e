"""Allocation engines against hand calculations (numbers worked on paper in the comments)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from carbonbridge.adapters.allocation_config import parse_benchmark_rules, parse_intensity_rules
from carbonbridge.domain.allocation.benchmark import SubInstallation, allocate, allocate_sub_installation, uniform_cscf
from carbonbridge.domain.allocation.intensity import (
    UnitOutput,
    allocation_t,
    cap_t,
    load_factor,
    obligation_t,
    pre_allocation,
    true_up,
)
from carbonbridge.domain.errors import RuleViolation, ValidationFailed

D = Decimal


def _config(code: str) -> dict:
    path = Path(str(resources.files("carbonbridge") / "data" / "allocation" / f"{code}.toml"))
    return tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def cn():
    return parse_intensity_rules(_config("CN"), file="CN.toml")


@pytest.fixture
def by():
    return parse_benchmark_rules(_config("BY"), file="BY.toml", year=2025)  # the 2021-2025 benchmarks


def test_coal_unit_above_300mw_with_air_cooling_heat_and_low_load_matches_hand_calculation(cn):
    # 3,000,000 MWh x 0.877 t/MWh x 1.05 (air) x (1 - 0.22 x 0.10) x (1 + 0.0014 x (85 - 82))
    # 2,631,000 x 1.05 = 2,762,550; x 0.978 = 2,701,773.9; x 1.0042 = 2,713,121.35038
    # heat 500,000 GJ x 0.126 = 63,000; total 2,776,121.35038
    unit = UnitOutput("CN-1", "coal_above_300mw", D(3_000_000), D(500_000), "air", D("0.10"), D("0.82"))
    expected = D(3_000_000) * D("0.877") * D("1.05") * D("0.978") * D("1.0042") + D(63_000)
    assert allocation_t(unit, cn) == expected == D("2776121.35038")


def test_load_factor_is_one_at_full_load_and_steps_by_band(cn):
    assert load_factor(D("0.90"), cn) == 1
    assert load_factor(D("0.84"), cn) == D("1.0014")  # 1 + 0.0014 x (85 - 84)
    assert load_factor(D("0.78"), cn) == D("1.0102")  # 1.007 + 0.0016 x (80 - 78)


def test_pre_allocation_is_seventy_percent_of_previous_year_rounded_down(cn):
    previous = UnitOutput("CN-2", "gas", D(1_000_001))
    # 1,000,001 MWh x 0.392 = 392,000.392 t; x 0.70 = 274,400.2744 -> 274,400
    assert pre_allocation(previous, cn) == 274_400


def test_true_up_that_lowers_the_allocation_gives_a_negative_delta(cn):
    pre = pre_allocation(UnitOutput("CN-3", "gas", D(2_000_000)), cn)  # 548,800
    verified = UnitOutput("CN-3", "gas", D(700_000))  # 274,400 t
    result = true_up(verified, pre, cn)
    assert (pre, result.final_allocation_t, result.delta_t) == (548_800, 274_400, -274_400)


def test_gas_unit_surrenders_no_more_than_its_allocation(cn):
    assert obligation_t("gas", verified_emissions_t=500_000, allocated_t=400_000, rules=cn) == 400_000
    assert obligation_t("gas", verified_emissions_t=300_000, allocated_t=400_000, rules=cn) == 300_000


def test_coal_shortfall_beyond_twenty_percent_of_verified_emissions_is_waived(cn):
    # verified 1,000,000, allocated 700,000: ceiling 700,000 + 200,000 = 900,000
    assert obligation_t("coal_above_300mw", 1_000_000, 700_000, cn) == 900_000
    # shortfall 10 %: full obligation
    assert obligation_t("coal_above_300mw", 1_000_000, 900_000, cn) == 1_000_000


def test_intensity_cap_is_the_sum_of_rounded_unit_allocations(cn):
    outputs = [UnitOutput("a", "gas", D(10)), UnitOutput("b", "gas", D(10))]  # 3.92 each -> 3 + 3
    assert cap_t(outputs, cn) == 6


def test_unknown_unit_type_is_refused(cn):
    with pytest.raises(RuleViolation, match="unknown_unit_type"):
        allocation_t(UnitOutput("x", "nuclear", D(1)), cn)


def test_linear_cap_removes_the_reduction_factor_times_reference_each_year(by):
    cap, _ = by
    assert cap.cap(2025) == 32_000_000
    # Directive (EU) 2023/959 factors (issue 15): 2026-2027 at 4.3 % (2 x 1,376,000 = 2,752,000),
    # 2028-2030 at 4.4 % (3 x 1,408,000 = 4,224,000): 32,000,000 - 6,976,000
    assert cap.cap(2030) == 25_024_000
    # 2031: + 0.044 x 32,000,000 = 1,408,000 more
    assert cap.cap(2031) == 23_616_000


def test_benchmark_allocation_is_benchmark_times_activity_times_clef_times_cscf(by):
    _, rules = by
    exposed = SubInstallation("BY-1", "grey_cement_clinker", D(1_200_000), carbon_leakage_exposed=True)
    # 0.693 x 1,200,000 = 831,600 x 1 x 1
    assert allocate_sub_installation(exposed, rules).allocation_t == 831_600
    lime = SubInstallation("BY-1", "lime", D(100_001), carbon_leakage_exposed=False)
    # 0.725 x 100,001 = 72,500.725 x 0.3 = 21,750.2175 -> 21,750
    assert allocate([exposed, lime], rules) == {"BY-1": 831_600 + 21_750}


def test_cross_sectoral_correction_scales_only_when_demand_exceeds_supply():
    assert uniform_cscf(D(100), D(120)) == 1
    assert uniform_cscf(D(200), D(150)) == D("0.75")


def test_bad_allocation_config_names_every_field():
    with pytest.raises(ValidationFailed) as info:
        parse_intensity_rules(
            {"unit_types": {"gas": {"electricity_t_per_mwh": "x", "obligation": "maybe"}}}, file="bad.toml"
        )
    fields = {p.field for p in info.value.problems}
    assert {"unit_types.gas.electricity_t_per_mwh", "unit_types.gas.obligation", "pre_allocation_share"} <= fields
