"""The columnar path and the per-record path give bit-identical results on any valid table."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonbridge.adapters.packs import load_pack
from carbonbridge.domain.mrv.bulk import (
    TableSource,
    calculate_frame,
    dense_codes,
    records_from_frame,
    validate_and_calculate,
    validate_frame,
)
from carbonbridge.domain.mrv.calculation import Calculator
from carbonbridge.domain.mrv.records import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from carbonbridge.services.mrv.calc import CATEGORICAL_INPUT

IPCC_FUELS = (
    "natural_gas",
    "gas_diesel_oil",
    "residual_fuel_oil",
    "lpg",
    "motor_gasoline",
    "petroleum_coke",
    "other_bituminous_coal",
    "sub_bituminous_coal",
    "lignite",
    "anthracite",
    "peat",
)
CARBONATES = ("calcium_carbonate", "magnesium_carbonate", "dolomite", "siderite", "soda_ash")
SECTORS = ("energy_industries", "manufacturing", "commercial", "residential")
MASS = ("t", "kt", "Gg", "kg")
VOLUME = ("m3", "thousand m3", "million m3", "10^4 m3")
ENERGY = ("TJ", "GJ", "MWh")

quantities = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
fractions = st.floats(min_value=0, max_value=1, allow_nan=False)
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False)
years = st.one_of(st.none(), st.integers(min_value=2015, max_value=2030))


def text(value: float | int | None) -> str | None:
    return None if value is None else repr(value)


@st.composite
def fuel_row(draw: st.DrawFn, pack: str) -> dict[str, Any]:
    if pack in ("ipcc2006", "eu-mrr-2018"):
        activity = draw(st.sampled_from(IPCC_FUELS))
    else:
        activity = draw(st.sampled_from(("coal", "natural_gas")))
    units = MASS + ENERGY + (VOLUME if activity == "natural_gas" else ())
    unit = draw(st.sampled_from(units))
    row: dict[str, Any] = {"activity": activity, "unit": unit}
    if pack != "cn-mee-power-2022" or draw(st.booleans()):
        row["sector"] = draw(st.sampled_from(SECTORS))
    # Defaults: ipcc2006 and eu-mrr-2018 have NCVs per mass; cn-mee-power-2022 only gas per volume.
    cn = pack == "cn-mee-power-2022"
    needs_ncv = (unit in VOLUME and not cn) or (unit in MASS and cn)
    if unit not in ENERGY and (needs_ncv or draw(st.booleans())):
        per = "t" if unit in MASS else "m3"
        ncv_unit = draw(
            st.sampled_from(("GJ/t", "TJ/Gg")) if per == "t" else st.sampled_from(("TJ/million m3", "GJ/10^4 m3"))
        )
        row.update(ncv=text(draw(positive)), ncv_unit=ncv_unit)
    override = draw(st.sampled_from(("none", "ef", "cc")))
    if override == "ef":
        ef_units = ["t CO2/TJ", "kg CH4/TJ", "kg N2O/TJ"] + (["t CO2/t"] if unit in MASS else [])
        row.update(emission_factor=text(draw(positive)), ef_unit=draw(st.sampled_from(ef_units)))
    elif override == "cc":
        cc_units = ["tC/GJ", "tC/TJ"] + (["%", "tC/t"] if unit in MASS else [])
        row.update(carbon_content=text(draw(positive)), carbon_content_unit=draw(st.sampled_from(cc_units)))
    if draw(st.booleans()):
        row["oxidation_factor"] = text(draw(fractions))
    return row


@st.composite
def product_row(draw: st.DrawFn) -> dict[str, Any]:
    activity = draw(st.sampled_from(("clinker", "lime", "ammonia", "nitric_acid", *CARBONATES)))
    technology = {
        **dict.fromkeys(CARBONATES, st.just(None)),
        "clinker": st.just(None),
        "lime": st.sampled_from((None, "high_calcium", "dolomitic_developed", "dolomitic_developing", "hydraulic")),
        "ammonia": st.sampled_from((None, "modern_conventional_reforming")),
        "nitric_acid": st.sampled_from(
            ("nscr", "tail_gas_destruction", "atmospheric", "medium_pressure", "high_pressure")
        ),
    }[activity]
    row: dict[str, Any] = {"activity": activity, "unit": draw(st.sampled_from(MASS)), "technology": draw(technology)}
    if draw(st.booleans()):
        gas_unit = "kg N2O/t" if activity == "nitric_acid" else "t CO2/t"
        row.update(emission_factor=text(draw(positive)), ef_unit=gas_unit)
    if draw(st.booleans()):
        row["oxidation_factor"] = text(draw(fractions))
    return row


@st.composite
def carbonate_row(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {"activity": draw(st.sampled_from(CARBONATES)), "unit": draw(st.sampled_from(MASS))}
    if draw(st.booleans()):
        row["oxidation_factor"] = text(draw(fractions))  # the conversion factor of EU MRR Art. 24(2)
    return row


@st.composite
def mass_balance_row(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "activity": draw(st.sampled_from(("carbon_input", "carbon_output"))),
        "unit": draw(st.sampled_from(MASS)),
        "carbon_content": text(draw(fractions)),
        "carbon_content_unit": draw(st.sampled_from(("tC/t", "%"))),
    }


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, str, pl.DataFrame]:
    pack = draw(st.sampled_from(("ipcc2006", "cn-mee-power-2022", "eu-mrr-2018")))
    gwp_set = draw(st.sampled_from(("AR4GWP100", "AR5GWP100", "AR6GWP100")))
    kinds = [fuel_row(pack)]
    if pack == "ipcc2006":
        kinds += [product_row(), mass_balance_row()]
    elif pack == "eu-mrr-2018":
        kinds += [carbonate_row(), mass_balance_row()]
    rows = draw(st.lists(st.one_of(*kinds), min_size=1, max_size=25))
    records = []
    for i, row in enumerate(rows):
        year = draw(years)
        records.append(
            {
                "record_id": f"R{i}",
                "installation_id": draw(st.sampled_from(("BY-001", "CN-PWR-17"))),
                "source_stream": row["activity"],
                "quantity": text(draw(quantities)),
                "year": text(year),
                **row,
            }
        )
    columns = list(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    frame = pl.DataFrame({c: [r.get(c) for r in records] for c in columns}, schema=dict.fromkeys(columns, pl.String))
    return pack, gwp_set, frame


@settings(max_examples=100, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_columnar_and_per_record_paths_are_bit_identical(table: tuple[str, str, pl.DataFrame]) -> None:
    pack_name, gwp_set, raw = table
    pack = load_pack(pack_name)
    source = TableSource("random.csv", 2, tuple(raw.columns))
    typed = validate_frame(raw, source, pack)
    bulk = calculate_frame(typed, pack, gwp_set)
    _, fused = validate_and_calculate(raw, source, pack, gwp_set)  # the path `mrv calc` takes
    assert fused.equals(bulk)
    # `mrv calc` reads the text columns of few values dictionary-encoded: the same results
    encoded = raw.with_columns(pl.col(c).cast(pl.Categorical) for c in CATEGORICAL_INPUT if c in raw.columns)
    _, from_encoded = validate_and_calculate(encoded, source, pack, gwp_set)
    assert from_encoded.equals(bulk)
    calculator = Calculator(pack, gwp_set)
    per_record = [calculator.calculate(r) for r in records_from_frame(typed)]
    assert bulk.height == len(per_record)
    for row, result in zip(bulk.iter_rows(named=True), per_record, strict=True):
        assert row["co2_t"] == result.co2_t, result
        assert row["ch4_t"] == result.ch4_t, result
        assert row["n2o_t"] == result.n2o_t, result
        assert row["co2e_t"] == result.co2e_t, result
        assert row["factor_source"] == result.factor_source
        assert row["method"] == result.method
        assert row["gwp_set"] == result.gwp_set == gwp_set


def test_padded_and_dictionary_encoded_cells_give_the_results_of_clean_text() -> None:
    clean = {
        "record_id": ["r1", "r2", "r3"],
        "installation_id": ["BY-1", "BY-1", "BY-1"],
        "source_stream": ["gas", "coal", "kiln"],
        "activity": ["natural_gas", "other_bituminous_coal", "clinker"],
        "quantity": ["10", "2.5", "100"],
        "unit": ["TJ", "kt", "t"],
        "year": ["2024", "2024", None],
        "sector": ["residential", "manufacturing", None],
        "oxidation_factor": [None, "0.98", None],
    }
    padded = {name: [None if v is None else f" {v}\t" for v in values] for name, values in clean.items()}
    padded["year"][2] = "  "  # blank: the default year then applies
    pack = load_pack("ipcc2006")
    expected = validate_and_calculate(
        pl.DataFrame(clean), TableSource("a.csv", 2, tuple(clean)), pack, "AR5GWP100", default_year=2024
    )
    for frame in (pl.DataFrame(padded), pl.DataFrame(padded).with_columns(pl.col(pl.String).cast(pl.Categorical))):
        typed, results = validate_and_calculate(
            frame, TableSource("a.csv", 2, tuple(clean)), pack, "AR5GWP100", default_year=2024
        )
        assert typed.cast({c: pl.String for c in typed.columns if typed.schema[c] == pl.Categorical}).equals(
            expected[0]
        )
        assert results.equals(expected[1])
    # by hand: 10 TJ x 56.1 t CO2/TJ; 2.5 kt x 25.8 TJ/Gg x 94.6 t/TJ x 0.98; 100 t x 0.52 (IPCC 2006)
    assert expected[1]["co2_t"].to_list() == pytest.approx([561.0, 2.5 * 25.8 * 94.6 * 0.98, 52.0], rel=1e-12)


def test_dense_codes_number_distinct_values_in_sorted_or_first_seen_order() -> None:
    codes = pl.Series([7, -1, 3, 7, 12, 3])
    assert dense_codes(codes).to_list() == [2, 0, 1, 2, 3, 1]
    assert dense_codes(codes, first_seen=True).to_list() == [0, 1, 2, 0, 3, 2]
    sparse = pl.Series([10**12, 5, 10**12, -1])  # too sparse for a lookup table
    assert dense_codes(sparse).to_list() == [2, 1, 2, 0]
    assert dense_codes(sparse, first_seen=True).to_list() == [0, 1, 0, 2]
