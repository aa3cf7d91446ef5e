"""Hand calculations from the published factors, for every activity, unit and method family.

Every expected value below is computed here from literals copied from the cited table, never
from the method pack, so a wrong row in a pack (or a wrong unit conversion) fails a test.
"""

from __future__ import annotations

import pytest

from carbonbridge.adapters.packs import load_activities, load_pack
from carbonbridge.domain.mrv.calculation import Calculator
from carbonbridge.domain.mrv.records import ActivityRecord, EmissionResult

REL = 1e-12
C_TO_CO2 = 44 / 12  # molar mass ratio CO2/C, as in IPCC 2006 Vol 3 Eq 3.1 and EU MRR Art. 25

# GWP100, t CO2e per t (IPCC AR4 WG1 Table 2.14; AR5 WG1 Table 8.A.1; AR6 WG1 Table 7.SM.7)
GWP = {
    "AR4GWP100": (25, 298),
    "AR5GWP100": (28, 265),
    "AR6GWP100": (27.9, 273),
}

# NCV in TJ/Gg (IPCC 2006 Vol 2 Ch 1 Table 1.2) and CO2 EF in kg CO2/TJ (Vol 2 Ch 1 Table 1.4)
FUELS = {
    "natural_gas": (48.0, 56_100),  # Table 1.2: 48.0 TJ/Gg; Table 1.4: 56 100 kg/TJ
    "gas_diesel_oil": (43.0, 74_100),  # Table 1.2: 43.0; Table 1.4: 74 100
    "residual_fuel_oil": (40.4, 77_400),  # Table 1.2: 40.4; Table 1.4: 77 400
    "lpg": (47.3, 63_100),  # Table 1.2: 47.3; Table 1.4: 63 100
    "motor_gasoline": (44.3, 69_300),  # Table 1.2: 44.3; Table 1.4: 69 300
    "petroleum_coke": (32.5, 97_500),  # Table 1.2: 32.5; Table 1.4: 97 500
    "other_bituminous_coal": (25.8, 94_600),  # Table 1.2: 25.8; Table 1.4: 94 600
    "sub_bituminous_coal": (18.9, 96_100),  # Table 1.2: 18.9; Table 1.4: 96 100
    "lignite": (11.9, 101_000),  # Table 1.2: 11.9; Table 1.4: 101 000
    "anthracite": (26.7, 98_300),  # Table 1.2: 26.7; Table 1.4: 98 300
    "peat": (9.76, 106_000),  # Table 1.2: 9.76; Table 1.4: 106 000
}

# CH4, N2O in kg/TJ by sector: IPCC 2006 Vol 2 Ch 2 Table 2.2 (energy industries),
# Table 2.3 (manufacturing industries and construction), Table 2.4 (commercial/institutional),
# Table 2.5 (residential and agriculture/forestry/fishing).
_COAL = {
    "energy_industries": (1, 1.5),  # Table 2.2: coal 1 / 1.5
    "manufacturing": (10, 1.5),  # Table 2.3: coal 10 / 1.5
    "commercial": (10, 1.5),  # Table 2.4: coal 10 / 1.5
    "residential": (300, 1.5),  # Table 2.5: coal 300 / 1.5
}
_OIL = {
    "energy_industries": (3, 0.6),  # Table 2.2: oil products 3 / 0.6
    "manufacturing": (3, 0.6),  # Table 2.3: 3 / 0.6
    "commercial": (10, 0.6),  # Table 2.4: 10 / 0.6
    "residential": (10, 0.6),  # Table 2.5: 10 / 0.6
}
_GAS = {
    "energy_industries": (1, 0.1),  # Table 2.2: natural gas and LPG 1 / 0.1
    "manufacturing": (1, 0.1),  # Table 2.3: 1 / 0.1
    "commercial": (5, 0.1),  # Table 2.4: 5 / 0.1
    "residential": (5, 0.1),  # Table 2.5: 5 / 0.1
}
_PEAT = {
    "energy_industries": (1, 1.5),  # Table 2.2: peat 1 / 1.5
    "manufacturing": (2, 1.5),  # Table 2.3: peat 2 / 1.5
    "commercial": (10, 1.4),  # Table 2.4: peat 10 / 1.4
    "residential": (300, 1.4),  # Table 2.5: peat 300 / 1.4
}
NON_CO2 = {
    "natural_gas": _GAS,
    "lpg": _GAS,
    "gas_diesel_oil": _OIL,
    "residual_fuel_oil": _OIL,
    "motor_gasoline": _OIL,
    "petroleum_coke": _OIL,
    "other_bituminous_coal": _COAL,
    "sub_bituminous_coal": _COAL,
    "lignite": _COAL,
    "anthracite": _COAL,
    "peat": _PEAT,
}
SECTORS = ("energy_industries", "manufacturing", "commercial", "residential")

# Unit -> canonical (t, m3, TJ), by definition of the SI prefixes and the units themselves.
MASS_T = {"t": 1.0, "kt": 1_000.0, "Gg": 1_000.0, "kg": 0.001}
VOLUME_M3 = {"m3": 1.0, "thousand m3": 1_000.0, "million m3": 1_000_000.0, "10^4 m3": 10_000.0}
ENERGY_TJ = {"TJ": 1.0, "GJ": 0.001, "MWh": 0.0036}  # 1 MWh = 3.6 GJ


def calc(
    activity: str,
    quantity: float,
    unit: str,
    *,
    pack: str = "ipcc2006",
    gwp_set: str = "AR5GWP100",
    sector: str = "",
    **site: object,
) -> EmissionResult:
    record = ActivityRecord("r1", "INST", "stream", activity, quantity, unit, sector=sector, **site)  # type: ignore[arg-type]
    return Calculator(load_pack(pack), gwp_set).calculate(record)


def co2e(co2: float, ch4: float, n2o: float, gwp_set: str = "AR5GWP100") -> float:
    gwp_ch4, gwp_n2o = GWP[gwp_set]
    return co2 + ch4 * gwp_ch4 + n2o * gwp_n2o


def assert_result(result: EmissionResult, co2: float, ch4: float, n2o: float, gwp_set: str = "AR5GWP100") -> None:
    assert result.co2_t == pytest.approx(co2, rel=REL, abs=1e-15)
    assert result.ch4_t == pytest.approx(ch4, rel=REL, abs=1e-15)
    assert result.n2o_t == pytest.approx(n2o, rel=REL, abs=1e-15)
    assert result.co2e_t == pytest.approx(co2e(co2, ch4, n2o, gwp_set), rel=REL, abs=1e-15)
    assert result.gwp_set == gwp_set


# --- the acceptance examples ---------------------------------------------------------------


def test_natural_gas_1000_thousand_m3_at_34_tj_per_million_m3_in_energy_industries() -> None:
    result = calc("natural_gas", 1000, "thousand m3", sector="energy_industries", ncv=34.0, ncv_unit="TJ/million m3")
    energy_tj = 34.0  # 1,000 thousand m3 = 1 million m3, x 34.0 TJ per million m3
    assert result.co2_t == pytest.approx(1907.4, rel=REL)  # 34 TJ x 56,100 kg/TJ  # Vol 2 Table 1.4
    assert result.ch4_t == pytest.approx(0.034, rel=REL)  # 34 TJ x 1 kg/TJ  # Vol 2 Table 2.2
    assert result.n2o_t == pytest.approx(0.0034, rel=REL)  # 34 TJ x 0.1 kg/TJ  # Vol 2 Table 2.2
    assert result.co2e_t == pytest.approx(1907.4 + 0.034 * 28 + 0.0034 * 265, rel=REL)  # AR5
    assert result.co2e_t == pytest.approx(1909.253, rel=REL)
    assert energy_tj * 56_100 / 1000 == pytest.approx(result.co2_t, rel=REL)
    assert result.method == "calculation"
    assert "NCV site-specific" in result.factor_source and "V2 Table 1.4" in result.factor_source


@pytest.mark.parametrize("gwp_set", sorted(GWP))
def test_co2e_of_the_gas_example_follows_each_gwp_set(gwp_set: str) -> None:
    result = calc(
        "natural_gas",
        1000,
        "thousand m3",
        gwp_set=gwp_set,
        sector="energy_industries",
        ncv=34.0,
        ncv_unit="TJ/million m3",
    )
    assert_result(result, 1907.4, 0.034, 0.0034, gwp_set)


@pytest.mark.parametrize(
    ("year", "default_tc_per_gj"),
    [
        (2020, 0.03356),  # MEE power guideline [2021] No. 9: 0.03356 tC/GJ
        (2021, 0.03085),  # MEE notice of 8 June 2022: 0.03085 tC/GJ for the 2021 and 2022 data (issue 15)
        (2022, 0.03085),
        (2025, 0.03085),
    ],
)
def test_cn_coal_without_measured_carbon_uses_the_default_of_its_year(year: int, default_tc_per_gj: float) -> None:
    # 10,000 t coal at a measured NCV of 20.908 GJ/t; MEE guideline: FC x NCV x CC x OF x 44/12.
    result = calc("coal", 10_000, "t", pack="cn-mee-power-2022", year=year, ncv=20.908, ncv_unit="GJ/t")
    energy_gj = 10_000 * 20.908
    of = 0.99  # MEE power guideline 2022 revision: coal oxidation rate 99 %
    assert_result(result, energy_gj * default_tc_per_gj * of * C_TO_CO2, 0.0, 0.0)
    assert "CC MEE" in result.factor_source


@pytest.mark.parametrize(
    ("cc", "cc_unit", "tc_per_gj"),
    [
        (0.02801, "tC/GJ", 0.02801),
        (28.01, "tC/TJ", 0.02801),
        (28.01, "kg C/GJ", 0.02801),
    ],
)
def test_cn_coal_with_measured_carbon_content_under_cn_mee_power_2022(
    cc: float, cc_unit: str, tc_per_gj: float
) -> None:
    # A power unit burning 250,000 t of coal a year, NCV 21.5 GJ/t and carbon content 28.01 kg C/GJ measured.
    result = calc(
        "coal",
        250_000,
        "t",
        pack="cn-mee-power-2022",
        year=2024,
        ncv=21.5,
        ncv_unit="GJ/t",
        carbon_content=cc,
        carbon_content_unit=cc_unit,
    )
    expected = 250_000 * 21.5 * tc_per_gj * 0.99 * C_TO_CO2  # OF 99 %, MEE guideline 2022 rev
    assert_result(result, expected, 0.0, 0.0)
    assert result.co2_t == pytest.approx(546_510.1125, rel=1e-12)  # 5,375,000 GJ x 0.02801 x 0.99 x 44/12
    assert result.factor_source.startswith("cn-mee-power-2022: NCV site-specific; CO2 EF site-specific")


def test_cn_coal_measured_carbon_content_per_tonne_skips_the_ncv() -> None:
    result = calc(
        "coal",
        1_000,
        "t",
        pack="cn-mee-power-2022",
        year=2024,
        ncv=21.5,
        ncv_unit="GJ/t",
        carbon_content=60,
        carbon_content_unit="%",
    )
    assert_result(result, 1_000 * 0.60 * 0.99 * C_TO_CO2, 0.0, 0.0)


@pytest.mark.parametrize(
    ("unit", "m3_per_unit"), [("m3", 1.0), ("thousand m3", 1e3), ("10^4 m3", 1e4), ("million m3", 1e6)]
)
def test_cn_natural_gas_default_ncv_and_carbon_content_per_volume(unit: str, m3_per_unit: float) -> None:
    result = calc("natural_gas", 250, unit, pack="cn-mee-power-2022", year=2024)
    energy_gj = 250 * m3_per_unit / 10_000 * 389.31  # GB/T 32151.1-2015 Table B.1: 389.31 GJ/10^4 Nm3
    co2 = energy_gj / 1000 * 15.3 * 0.99 * C_TO_CO2  # Table B.1: 15.3 tC/TJ, oxidation 99 %
    assert_result(result, co2, 0.0, 0.0)


@pytest.mark.parametrize(
    ("technology", "kg_n2o_per_t"),
    [
        ("nscr", 2.0),  # IPCC 2006 Vol 3 Table 3.3: plants with NSCR
        ("tail_gas_destruction", 2.5),  # Table 3.3: process-integrated or tail gas N2O destruction
        ("atmospheric", 5.0),  # Table 3.3: atmospheric pressure plants
        ("medium_pressure", 7.0),  # Table 3.3: medium pressure combustion plants
        ("high_pressure", 9.0),  # Table 3.3: high pressure plants
    ],
)
@pytest.mark.parametrize(("unit", "t_per_unit"), list(MASS_T.items()))
def test_nitric_acid_n2o_for_each_plant_type(
    technology: str, kg_n2o_per_t: float, unit: str, t_per_unit: float
) -> None:
    result = calc("nitric_acid", 350, unit, technology=technology, gwp_set="AR4GWP100")
    n2o = 350 * t_per_unit * kg_n2o_per_t / 1000
    assert_result(result, 0.0, 0.0, n2o, "AR4GWP100")
    assert "V3 Table 3.3" in result.factor_source


def test_nitric_acid_high_pressure_plant_worked_example() -> None:
    # 300,000 t HNO3 x 9 kg N2O/t = 2,700 t N2O = 804,600 t CO2e under AR4 (298)
    result = calc("nitric_acid", 300_000, "t", technology="high_pressure", gwp_set="AR4GWP100")
    assert result.n2o_t == pytest.approx(2_700.0, rel=REL)
    assert result.co2e_t == pytest.approx(804_600.0, rel=REL)


@pytest.mark.parametrize(("unit", "t_per_unit"), list(MASS_T.items()))
def test_ammonia_tier_1_from_fuel_requirement_and_carbon_content(unit: str, t_per_unit: float) -> None:
    result = calc("ammonia", 120, unit)
    # IPCC 2006 Vol 3 Eq 3.1 with Table 3.1: 37.5 GJ/t x 15.3 kg C/GJ x COF 1 x 44/12
    t_co2_per_t = 37.5 * 15.3 * 1 * C_TO_CO2 / 1000
    assert t_co2_per_t == pytest.approx(2.10375, rel=REL)
    assert_result(result, 120 * t_per_unit * t_co2_per_t, 0.0, 0.0)
    assert "FR V3 Table 3.1" in result.factor_source


def test_ammonia_modern_conventional_reforming_plant() -> None:
    result = calc("ammonia", 1_000, "t", technology="modern_conventional_reforming")
    # Vol 3 Table 3.1: modern plants (Europe), conventional reforming, 30.2 GJ/t; 15.3 kg C/GJ
    assert_result(result, 1_000 * 30.2 * 15.3 * C_TO_CO2 / 1000, 0.0, 0.0)


@pytest.mark.parametrize(("unit", "t_per_unit"), list(MASS_T.items()))
def test_clinker_at_0_52_t_co2_per_t(unit: str, t_per_unit: float) -> None:
    result = calc("clinker", 800, unit)
    # IPCC 2006 Vol 3 Eq 2.4: 0.51 t CO2/t clinker x CKD correction 1.02 = 0.52
    assert_result(result, 800 * t_per_unit * 0.52, 0.0, 0.0)


@pytest.mark.parametrize(
    ("technology", "t_co2_per_t"),
    [
        ("", 0.75),  # IPCC 2006 Vol 3 Eq 2.8: Tier 1 default for lime of unknown type
        ("high_calcium", 0.75),  # Vol 3 Table 2.4: high-calcium lime
        ("dolomitic_developed", 0.86),  # Table 2.4: dolomitic lime, developed countries
        ("dolomitic_developing", 0.77),  # Table 2.4: dolomitic lime, developing countries
        ("hydraulic", 0.59),  # Table 2.4: hydraulic lime
    ],
)
@pytest.mark.parametrize(("unit", "t_per_unit"), list(MASS_T.items()))
def test_lime_by_type(technology: str, t_co2_per_t: float, unit: str, t_per_unit: float) -> None:
    result = calc("lime", 60, unit, technology=technology)
    assert_result(result, 60 * t_per_unit * t_co2_per_t, 0.0, 0.0)


# --- every fuel, every unit, every sector --------------------------------------------------


@pytest.mark.parametrize("sector", SECTORS)
@pytest.mark.parametrize("unit", list(MASS_T))
@pytest.mark.parametrize("fuel", sorted(FUELS))
def test_fuel_in_mass_units_uses_the_default_ncv_and_sector_factors(fuel: str, unit: str, sector: str) -> None:
    ncv_tj_per_gg, co2_kg_per_tj = FUELS[fuel]
    ch4_kg_per_tj, n2o_kg_per_tj = NON_CO2[fuel][sector]
    energy_tj = 7.5 * MASS_T[unit] / 1000 * ncv_tj_per_gg  # t -> Gg, x TJ/Gg
    result = calc(fuel, 7.5, unit, sector=sector)
    assert_result(
        result,
        energy_tj * co2_kg_per_tj / 1000,  # oxidation factor 1, Vol 2 Sec 1.4.2.1
        energy_tj * ch4_kg_per_tj / 1000,
        energy_tj * n2o_kg_per_tj / 1000,
    )


@pytest.mark.parametrize("unit", list(ENERGY_TJ))
@pytest.mark.parametrize("fuel", sorted(FUELS))
def test_fuel_in_energy_units_needs_no_ncv(fuel: str, unit: str) -> None:
    _, co2_kg_per_tj = FUELS[fuel]
    ch4_kg_per_tj, n2o_kg_per_tj = NON_CO2[fuel]["manufacturing"]
    energy_tj = 2_000 * ENERGY_TJ[unit]
    result = calc(fuel, 2_000, unit, sector="manufacturing")
    assert_result(
        result, energy_tj * co2_kg_per_tj / 1000, energy_tj * ch4_kg_per_tj / 1000, energy_tj * n2o_kg_per_tj / 1000
    )
    assert "NCV" not in result.factor_source


@pytest.mark.parametrize(
    ("ncv", "ncv_unit", "tj_per_m3"),
    [
        (34.0, "TJ/million m3", 34.0e-6),
        (34.0, "GJ/thousand m3", 34.0e-6),
        (340.0, "GJ/10^4 m3", 34.0e-6),
        (0.034, "TJ/thousand m3", 34.0e-6),
        (34.0, "MJ/m3", 34.0e-6),
    ],
)
@pytest.mark.parametrize("unit", list(VOLUME_M3))
def test_natural_gas_in_volume_units_with_site_ncv(ncv: float, ncv_unit: str, tj_per_m3: float, unit: str) -> None:
    energy_tj = 12.5 * VOLUME_M3[unit] * tj_per_m3
    result = calc("natural_gas", 12.5, unit, sector="residential", ncv=ncv, ncv_unit=ncv_unit)
    # Vol 2 Table 1.4: 56,100 kg CO2/TJ; Table 2.5: 5 kg CH4/TJ, 0.1 kg N2O/TJ
    assert_result(result, energy_tj * 56_100 / 1000, energy_tj * 5 / 1000, energy_tj * 0.1 / 1000)


# Carbonate inputs, Method A: t CO2 per t carbonate. EU MRR 2018/2066 Annex VI Table 2 rounds to
# three decimals; IPCC 2006 Vol 3 Table 2.1 gives five.
CARBONATES = {
    "eu-mrr-2018": {
        "calcium_carbonate": 0.440,  # CaCO3
        "magnesium_carbonate": 0.522,  # MgCO3
        "dolomite": 0.477,  # CaMg(CO3)2
        "siderite": 0.380,  # FeCO3
        "soda_ash": 0.415,  # Na2CO3
    },
    "ipcc2006": {
        "calcium_carbonate": 0.43971,
        "magnesium_carbonate": 0.52197,
        "dolomite": 0.47732,
        "siderite": 0.37987,
        "soda_ash": 0.41492,
    },
}


@pytest.mark.parametrize("pack", ["ipcc2006", "eu-mrr-2018"])
@pytest.mark.parametrize("unit", list(MASS_T))
@pytest.mark.parametrize("carbonate", sorted(CARBONATES["ipcc2006"]))
def test_carbonate_input_method_a(carbonate: str, unit: str, pack: str) -> None:
    result = calc(carbonate, 40, unit, pack=pack)
    assert_result(result, 40 * MASS_T[unit] * CARBONATES[pack][carbonate], 0.0, 0.0)


@pytest.mark.parametrize("unit", list(MASS_T) + list(ENERGY_TJ))
@pytest.mark.parametrize("fuel", sorted(FUELS))
def test_eu_mrr_pack_counts_combustion_co2_only_with_annex_vi_table_1(fuel: str, unit: str) -> None:
    # EU MRR Annex VI Table 1 reproduces IPCC 2006 Vol 2 Tables 1.2 and 1.4 (NCV TJ/Gg, EF t CO2/TJ)
    ncv_tj_per_gg, co2_kg_per_tj = FUELS[fuel]
    energy_tj = 3 * ENERGY_TJ[unit] if unit in ENERGY_TJ else 3 * MASS_T[unit] / 1000 * ncv_tj_per_gg
    assert_result(
        calc(fuel, 3, unit, pack="eu-mrr-2018", sector="manufacturing"), energy_tj * co2_kg_per_tj / 1000, 0.0, 0.0
    )


def test_every_activity_of_the_catalogue_has_a_hand_calculation_here() -> None:
    covered = set(FUELS) | set(CARBONATES["ipcc2006"])
    covered |= {"coal", "clinker", "lime", "ammonia", "nitric_acid", "carbon_input", "carbon_output"}
    assert {a.code for a in load_activities()} == covered


# --- site-specific overrides --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ncv", "ncv_unit", "tj_per_t"),
    [(24.0, "GJ/t", 0.024), (24.0, "TJ/Gg", 0.024), (24.0, "TJ/kt", 0.024), (24_000.0, "MJ/t", 0.024)],
)
def test_site_specific_ncv_replaces_the_default(ncv: float, ncv_unit: str, tj_per_t: float) -> None:
    result = calc("other_bituminous_coal", 1_000, "t", sector="energy_industries", ncv=ncv, ncv_unit=ncv_unit)
    energy = 1_000 * tj_per_t
    # Vol 2 Table 1.4: 94,600 kg CO2/TJ; Table 2.2: 1 kg CH4/TJ, 1.5 kg N2O/TJ
    assert_result(result, energy * 94_600 / 1000, energy * 1 / 1000, energy * 1.5 / 1000)


@pytest.mark.parametrize(
    ("ef", "ef_unit", "t_co2_per_tj"),
    [(55.4, "t CO2/TJ", 55.4), (55_400, "kg CO2/TJ", 55.4), (0.0554, "t CO2/GJ", 55.4)],
)
def test_site_specific_co2_emission_factor_per_energy(ef: float, ef_unit: str, t_co2_per_tj: float) -> None:
    result = calc("natural_gas", 10, "TJ", sector="commercial", emission_factor=ef, ef_unit=ef_unit)
    # CH4 and N2O keep Vol 2 Table 2.4 defaults: 5 and 0.1 kg/TJ
    assert_result(result, 10 * t_co2_per_tj, 10 * 5 / 1000, 10 * 0.1 / 1000)
    assert "CO2 EF site-specific" in result.factor_source


def test_site_specific_co2_emission_factor_per_tonne_of_fuel() -> None:
    result = calc("residual_fuel_oil", 500, "t", sector="energy_industries", emission_factor=3.15, ef_unit="t CO2/t")
    energy = 500 * 40.4 / 1000  # Vol 2 Table 1.2: 40.4 TJ/Gg, for CH4 and N2O
    assert_result(result, 500 * 3.15, energy * 3 / 1000, energy * 0.6 / 1000)  # Table 2.2: 3 / 0.6


def test_site_specific_n2o_emission_factor_for_a_nitric_acid_plant() -> None:
    result = calc("nitric_acid", 1_000, "t", technology="high_pressure", emission_factor=1.2, ef_unit="kg N2O/t")
    assert_result(result, 0.0, 0.0, 1.2)


def test_site_specific_clinker_emission_factor() -> None:
    result = calc("clinker", 1_000, "t", emission_factor=0.535, ef_unit="t CO2/t")
    assert_result(result, 535.0, 0.0, 0.0)


@pytest.mark.parametrize(("oxidation", "expected_of"), [(0.98, 0.98), (1.0, 1.0), (0.0, 0.0)])
def test_site_specific_oxidation_factor_applies_to_co2_only(oxidation: float, expected_of: float) -> None:
    result = calc("lignite", 100, "TJ", sector="energy_industries", oxidation_factor=oxidation)
    # Vol 2 Table 1.4: 101,000 kg CO2/TJ; Table 2.2: 1 kg CH4/TJ, 1.5 kg N2O/TJ
    assert_result(result, 100 * 101_000 / 1000 * expected_of, 100 * 1 / 1000, 100 * 1.5 / 1000)


@pytest.mark.parametrize(
    ("cc", "cc_unit", "co2_t"),
    [
        (0.0153, "tC/GJ", 20 * 15.3 * C_TO_CO2),  # per energy: 20 TJ x 15.3 tC/TJ x 44/12
        (15.3, "tC/TJ", 20 * 15.3 * C_TO_CO2),
        (15.3, "kg C/GJ", 20 * 15.3 * C_TO_CO2),
    ],
)
def test_site_specific_carbon_content_per_energy(cc: float, cc_unit: str, co2_t: float) -> None:
    result = calc("natural_gas", 20, "TJ", sector="energy_industries", carbon_content=cc, carbon_content_unit=cc_unit)
    assert_result(result, co2_t, 20 * 1 / 1000, 20 * 0.1 / 1000)  # Table 2.2: 1 / 0.1 kg/TJ


@pytest.mark.parametrize(("cc", "cc_unit", "tc_per_t"), [(0.72, "tC/t", 0.72), (72, "%", 0.72), (720, "kg C/t", 0.72)])
def test_site_specific_carbon_content_per_tonne(cc: float, cc_unit: str, tc_per_t: float) -> None:
    result = calc("anthracite", 300, "t", sector="residential", carbon_content=cc, carbon_content_unit=cc_unit)
    energy = 300 * 26.7 / 1000  # Vol 2 Table 1.2: 26.7 TJ/Gg
    assert_result(result, 300 * tc_per_t * C_TO_CO2, energy * 300 / 1000, energy * 1.5 / 1000)  # Table 2.5


# --- mass balance -------------------------------------------------------------------------


@pytest.mark.parametrize(("unit", "t_per_unit"), list(MASS_T.items()))
def test_mass_balance_carbon_in_minus_carbon_out_times_44_over_12(unit: str, t_per_unit: float) -> None:
    # EU MRR Art. 25, Annex II 3: CO2 = sum(AD_in x CC_in) - sum(AD_out x CC_out), x 44/12
    carbon_in = calc("carbon_input", 1_000, unit, carbon_content=0.85, carbon_content_unit="tC/t")
    carbon_out = calc("carbon_output", 200, unit, carbon_content=4, carbon_content_unit="%")
    assert carbon_in.method == carbon_out.method == "mass_balance"
    assert_result(carbon_in, 1_000 * t_per_unit * 0.85 * C_TO_CO2, 0.0, 0.0)
    assert_result(carbon_out, -200 * t_per_unit * 0.04 * C_TO_CO2, 0.0, 0.0)
    total = carbon_in.co2_t + carbon_out.co2_t
    assert total == pytest.approx((850 - 8) * t_per_unit * C_TO_CO2, rel=REL)


# --- GWP sets -----------------------------------------------------------------------------


@pytest.mark.parametrize("gwp_set", sorted(GWP))
def test_residential_peat_co2e_under_each_gwp_set(gwp_set: str) -> None:
    # 50 Gg peat: 50 x 9.76 = 488 TJ (Table 1.2); CO2 106,000, CH4 300, N2O 1.4 kg/TJ (Tables 1.4, 2.5)
    result = calc("peat", 50, "Gg", sector="residential", gwp_set=gwp_set)
    assert_result(result, 488 * 106, 488 * 0.3, 488 * 0.0014, gwp_set)


def test_gwp_values_are_the_published_ones() -> None:
    from carbonbridge.domain.gwp import gwp

    assert [gwp(g, "AR4GWP100") for g in ("CH4", "N2O", "SF6")] == [25, 298, 22_800]  # AR4 WG1 Table 2.14
    assert [gwp(g, "AR5GWP100") for g in ("CH4", "N2O", "SF6")] == [28, 265, 23_500]  # AR5 WG1 Table 8.A.1
    assert [gwp(g, "AR6GWP100") for g in ("CH4", "N2O", "SF6")] == [27.9, 273, 25_200]  # AR6 Table 7.SM.7
