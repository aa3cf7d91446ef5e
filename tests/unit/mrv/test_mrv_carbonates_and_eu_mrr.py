"""Carbonate process emissions (Method A) and the EU MRR pack, against hand calculations."""

from __future__ import annotations

import pytest

from carbonbridge.adapters.packs import load_pack
from carbonbridge.domain.mrv.calculation import Calculator
from carbonbridge.domain.mrv.records import ActivityRecord

# Stoichiometric factors, t CO2 per t carbonate, as MRR Annex VI Table 2 rounds them; molar masses
# CO2 44.01, CaCO3 100.09, MgCO3 84.31, CaMg(CO3)2 184.40, FeCO3 115.85, Na2CO3 105.99.
# (The ipcc2006 pack carries IPCC 2006 Vol 3 Table 2.1's five-decimal values, tested elsewhere.)
CARBONATES = {
    "calcium_carbonate": 0.440,
    "magnesium_carbonate": 0.522,
    "dolomite": 0.477,
    "siderite": 0.380,
    "soda_ash": 0.415,
}


@pytest.mark.parametrize(("activity", "factor"), sorted(CARBONATES.items()))
def test_carbonate_input_emits_its_stoichiometric_co2(activity: str, factor: float) -> None:
    result = Calculator(load_pack("eu-mrr-2018"), "AR5GWP100").calculate(
        ActivityRecord("r", "i", "s", activity, 2.5, "kt")
    )
    assert result.co2_t == pytest.approx(2500 * factor, rel=1e-12)
    assert (result.ch4_t, result.n2o_t) == (0.0, 0.0)


def test_stoichiometric_factors_follow_from_molar_masses() -> None:
    # The table's three decimals are the molar-mass ratios rounded: check our literals are not typos.
    molar = {
        "calcium_carbonate": 100.09,
        "magnesium_carbonate": 84.31,
        "dolomite": 184.40 / 2,
        "siderite": 115.85,
        "soda_ash": 105.99,
    }
    for activity, factor in CARBONATES.items():
        assert round(44.01 / molar[activity], 3) == factor


def test_eu_mrr_combustion_counts_co2_only_with_annex_vi_factors() -> None:
    # 10 kt gas/diesel oil x 43.0 TJ/Gg = 430 TJ x 74.1 t CO2/TJ = 31,863 t; OF 1 (Annex II tier 1)
    result = Calculator(load_pack("eu-mrr-2018"), "AR5GWP100").calculate(
        ActivityRecord("r", "i", "s", "gas_diesel_oil", 10, "kt", sector="manufacturing")
    )
    assert result.co2_t == pytest.approx(31_863.0, rel=1e-12)
    assert result.co2e_t == result.co2_t
