"""Tier 1 categories and the reference approach against hand calculations with the IPCC 2006
default values written out here (not read back from our tables)."""

from __future__ import annotations

import math

import pytest

from carbonbridge.adapters.inventory_files import default_factor_table
from carbonbridge.adapters.packs import load_pack
from carbonbridge.domain.inventory import agriculture, energy, ippu, waste


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack()


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return default_factor_table()


def _by(records):  # type: ignore[no-untyped-def]
    return {(r.category, r.gas, r.year): r.mass_t for r in records}


def test_stationary_combustion_of_natural_gas_in_energy_industries(pack, table) -> None:  # type: ignore[no-untyped-def]
    # 1000 TJ x 56,100 kg CO2/TJ (V2 T1.4) = 56,100 t; CH4 1 kg/TJ, N2O 0.1 kg/TJ (V2 T2.2)
    records, _ = energy.sectoral_approach([energy.FuelUse(2020, "1.A.1", "natural_gas", 1000.0, "TJ")], pack, table)
    got = _by(records)
    assert got[("1.A.1", "CO2", 2020)] == pytest.approx(56_100.0)
    assert got[("1.A.1", "CH4", 2020)] == pytest.approx(1.0)
    assert got[("1.A.1", "N2O", 2020)] == pytest.approx(0.1)


def test_road_diesel_in_tonnes_uses_the_ncv_and_the_mobile_factors(pack, table) -> None:  # type: ignore[no-untyped-def]
    # 10,000 t x 43.0 TJ/Gg = 430 TJ; CO2 430 x 74.1 = 31,863 t; CH4 and N2O 3.9 kg/TJ (V2 T3.2.2)
    records, by_fuel = energy.sectoral_approach(
        [energy.FuelUse(2020, "1.A.3.b", "gas_diesel_oil", 10_000.0, "t")], pack, table
    )
    got = _by(records)
    assert got[("1.A.3.b", "CO2", 2020)] == pytest.approx(31_863.0)
    assert got[("1.A.3.b", "CH4", 2020)] == pytest.approx(1.677)
    assert got[("1.A.3.b", "N2O", 2020)] == pytest.approx(1.677)
    assert by_fuel[(2020, "gas_diesel_oil")][0] == pytest.approx(430.0)


def test_rail_diesel_and_residential_peat_use_their_own_non_co2_factors(pack, table) -> None:  # type: ignore[no-untyped-def]
    records, _ = energy.sectoral_approach(
        [
            energy.FuelUse(2020, "1.A.3.c", "gas_diesel_oil", 100.0, "TJ"),
            energy.FuelUse(2020, "1.A.4.b", "peat", 100.0, "TJ"),
        ],
        pack,
        table,
    )
    got = _by(records)
    assert got[("1.A.3.c", "CH4", 2020)] == pytest.approx(0.415)  # 4.15 kg/TJ (V2 T3.4.1)
    assert got[("1.A.3.c", "N2O", 2020)] == pytest.approx(2.86)  # 28.6 kg/TJ
    assert got[("1.A.4.b", "CH4", 2020)] == pytest.approx(30.0)  # 300 kg/TJ (V2 T2.5)
    assert got[("1.A.4.b", "CO2", 2020)] == pytest.approx(10_600.0)  # 106,000 kg/TJ (V2 T1.4)


def test_reference_approach_excludes_non_energy_use_and_compares_with_the_sectoral_approach(pack, table) -> None:  # type: ignore[no-untyped-def]
    # Apparent consumption = 1100 - 50 - 50 (stock build) = 1000 TJ; minus 100 TJ feedstock = 900 TJ
    # CO2 = 900 x 56.1 = 50,490 t. Sectoral: 880 TJ -> 49,368 t. Difference 20/880 = 2.2727 %.
    _, by_fuel = energy.sectoral_approach([energy.FuelUse(2020, "1.A.1", "natural_gas", 880.0, "TJ")], pack, table)
    supply = energy.FuelSupply(2020, "natural_gas", "TJ", imports=1100, exports=50, stock_change=50, non_energy_use=100)
    rows = energy.reference_approach([supply], pack, by_fuel)
    gas = next(r for r in rows if r.fuel == "natural_gas")
    assert gas.reference_co2_t == pytest.approx(50_490.0)
    assert gas.sectoral_co2_t == pytest.approx(49_368.0)
    assert gas.energy_difference_pct == pytest.approx(20 / 880 * 100)
    assert gas.co2_difference_pct == pytest.approx(20 / 880 * 100)
    assert [r.fuel for r in rows] == ["natural_gas", "total"]


def test_cement_lime_ammonia_and_nitric_acid_tier1(pack) -> None:  # type: ignore[no-untyped-def]
    records = ippu.industrial_processes(
        [
            ippu.Production(2020, "clinker", 1_000_000.0),  # x 0.52 (V3 Eq 2.4)
            ippu.Production(2020, "lime", 100_000.0),  # x 0.75 (V3 Eq 2.8)
            ippu.Production(2020, "ammonia", 100_000.0),  # x 37.5 GJ/t x 15.3 kg C/GJ x 44/12 (V3 Eq 3.1, T3.1)
            ippu.Production(2020, "nitric_acid", 200_000.0, "high_pressure"),  # x 9 kg N2O/t (V3 T3.3)
            ippu.Production(2020, "nitric_acid", 200_000.0, "nscr"),  # x 2 kg N2O/t
        ],
        pack,
    )
    got = _by(records)
    assert got[("2.A.1", "CO2", 2020)] == pytest.approx(520_000.0)
    assert got[("2.A.2", "CO2", 2020)] == pytest.approx(75_000.0)
    assert got[("2.B.1", "CO2", 2020)] == pytest.approx(100_000 * 37.5 * 15.3 / 1000 * 44 / 12)
    assert got[("2.B.1", "CO2", 2020)] == pytest.approx(210_375.0)
    assert got[("2.B.2", "N2O", 2020)] == pytest.approx(1_800.0 + 400.0)


def test_enteric_fermentation_and_manure_management_tier1(table) -> None:  # type: ignore[no-untyped-def]
    # Enteric: 1000 dairy cows x 99 kg = 99 t CH4 (V4 T10.11). Manure CH4: 1000 x 11 kg = 11 t (V4 T10.14)
    # Nex = 0.35 kg N/1000 kg/day x 550 kg / 1000 x 365 = 70.2625 kg N/head (V4 Eq 10.30, T10.19, T10A-4)
    # N2O = 70,262.5 kg N x 0.8 solid storage x 0.005 x 44/28 = 441.65 kg
    records, prp = agriculture.livestock(
        [agriculture.Livestock(2020, "dairy_cattle", 1000.0)],
        [
            agriculture.ManureShare("dairy_cattle", "solid_storage", 0.8),
            agriculture.ManureShare("dairy_cattle", "pasture", 0.2),
        ],
        table,
    )
    got = _by(records)
    assert got[("3.A.1", "CH4", 2020)] == pytest.approx(99.0)
    assert got[("3.A.2", "CH4", 2020)] == pytest.approx(11.0)
    nex = 0.35 * 550 / 1000 * 365 * 1000
    assert got[("3.A.2", "N2O", 2020)] == pytest.approx(nex * 0.8 * 0.005 * 44 / 28 / 1000)
    assert prp[(2020, "cpp")] == pytest.approx(nex * 0.2 / 1000)


def test_direct_n2o_from_managed_soils_tier1(table) -> None:  # type: ignore[no-untyped-def]
    # (1000 + 200 + 100 t N) x 0.01 + 14.0525 t N on pasture (cattle) x 0.02 + 5 t N (sheep) x 0.01, x 44/28
    records = agriculture.managed_soils_direct(
        [agriculture.SoilInputs(2020, 1000.0, 200.0, 100.0)], {(2020, "cpp"): 14.0525, (2020, "so"): 5.0}, table
    )
    assert records[0].category == "3.C.4"
    assert records[0].mass_t == pytest.approx((1300 * 0.01 + 14.0525 * 0.02 + 5 * 0.01) * 44 / 28)


def test_first_order_decay_starts_the_year_after_deposition(table) -> None:  # type: ignore[no-untyped-def]
    # 1000 t food waste in 2000 at a managed anaerobic site: DDOCm = 1000 x 0.15 x 0.5 x 1.0 = 75 t
    # k = 0.185 (V5 T3.3, temperate wet food): decomposed(2001) = 75 (1 - e^-k); (2002) = 75 e^-k (1 - e^-k)
    # CH4 = decomposed x F 0.5 x 16/12; OX = 0
    years = [waste.SolidWasteYear(2000, 1000.0, {"food": 1.0}, "managed_anaerobic")]
    years += [waste.SolidWasteYear(y, 0.0, {}, "managed_anaerobic") for y in (2001, 2002)]
    got = {r.year: r.mass_t for r in waste.solid_waste_fod(years, table)}
    k = 0.185
    assert got[2000] == 0.0
    assert got[2001] == pytest.approx(75 * (1 - math.exp(-k)) * 0.5 * 16 / 12)
    assert got[2002] == pytest.approx(75 * math.exp(-k) * (1 - math.exp(-k)) * 0.5 * 16 / 12)


def test_first_order_decay_subtracts_recovery_then_oxidation(table) -> None:  # type: ignore[no-untyped-def]
    years = [
        waste.SolidWasteYear(2000, 1000.0, {"food": 1.0}, "managed_anaerobic"),
        waste.SolidWasteYear(2001, 0.0, {}, "managed_anaerobic", recovered_ch4_t=2.0, oxidation="covered"),
    ]
    got = {r.year: r.mass_t for r in waste.solid_waste_fod(years, table)}
    assert got[2001] == pytest.approx((75 * (1 - math.exp(-0.185)) * 0.5 * 16 / 12 - 2.0) * 0.9)


def test_domestic_wastewater_ch4_and_n2o_tier1(table) -> None:  # type: ignore[no-untyped-def]
    # TOW = 1e6 x 60 g x 0.001 x 365 x I 1.0 (septic, uncollected) = 21.9e6 kg BOD; EF = 0.6 x 0.5
    # CH4 = 6.57e6 kg. N2O: 1e6 x 25 kg protein x 0.16 x 1.1 x 1.25 x 0.005 x 44/28
    records = waste.domestic_wastewater([waste.WastewaterYear(2020, 1e6, 25.0, {"septic": 1.0})], table)
    got = _by(records)
    assert got[("4.D.1", "CH4", 2020)] == pytest.approx(6_570.0)
    assert got[("4.D.1", "N2O", 2020)] == pytest.approx(1e6 * 25 * 0.16 * 1.1 * 1.25 * 0.005 * 44 / 28 / 1000)


def test_collected_wastewater_carries_the_industrial_correction_factor(table) -> None:  # type: ignore[no-untyped-def]
    records = waste.domestic_wastewater(
        [waste.WastewaterYear(2020, 1e6, 25.0, {"centralized_aerobic_not_well_managed": 1.0})], table
    )
    assert _by(records)[("4.D.1", "CH4", 2020)] == pytest.approx(1e6 * 60 * 0.001 * 365 * 1.25 * 0.6 * 0.3 / 1000)


def test_compilation_notes_reference_approach_gaps_and_time_series_holes(pack, table) -> None:  # type: ignore[no-untyped-def]
    from carbonbridge.domain.inventory.compile import NationalData, compile_inventory

    data = NationalData(
        fuel_use=[energy.FuelUse(y, "1.A.1", "natural_gas", 1000.0, "TJ") for y in (2018, 2020)]
        + [energy.FuelUse(2019, "1.A.2", "natural_gas", 1000.0, "TJ")],
        fuel_supply=[
            energy.FuelSupply(2018, "natural_gas", "TJ", imports=1050.0),
            energy.FuelSupply(2020, "natural_gas", "TJ", imports=1010.0),
        ],
    )
    notes = compile_inventory(data, pack, table).notes
    assert any(n.startswith("2018: reference approach CO2 differs") and "+5.00 %" in n for n in notes)
    assert not any(n.startswith("2020: reference") for n in notes)  # 1 % is within 2 %
    assert "1.A.1 CO2: no estimate for 2019 inside its time series" in notes
