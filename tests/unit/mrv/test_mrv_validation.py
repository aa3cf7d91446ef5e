"""Validation of activity tables: every problem found at once, each at its line and column."""

from __future__ import annotations

import io

import polars as pl
import pytest

from carbonbridge.adapters.packs import load_pack
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.mrv.bulk import TableSource, validate_frame
from carbonbridge.domain.mrv.calculation import Calculator, PlanKey, PlanRejected, build_plan
from carbonbridge.domain.mrv.records import ActivityRecord

HEADER = "record_id,installation_id,source_stream,activity,quantity,unit,year,sector,ncv,ncv_unit,technology"


def problems_of(csv_text: str, pack: str = "ipcc2006") -> list[str]:
    raw = pl.read_csv(io.StringIO(csv_text), infer_schema=False)
    with pytest.raises(ValidationFailed) as failed:
        validate_frame(raw, TableSource("in.csv", 2, tuple(raw.columns)), load_pack(pack))
    return [p.render() for p in failed.value.problems]


def one_problem(row: str) -> str:
    found = problems_of(f"{HEADER}\nok1,BY-1,gas,natural_gas,1,TJ,2024,manufacturing,,,\n{row}\n")
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("r2,BY-1,gas,unobtainium,1,t,2024,,,,", "in.csv:3:4: unknown activity 'unobtainium'"),
        ("r2,BY-1,gas,natural_gas,1,barrels of fun,2024,manufacturing,,,", "in.csv:3:6: unknown unit 'barrels of fun'"),
        ("r2,BY-1,gas,natural_gas,1,furlong,2024,manufacturing,,,", "in.csv:3:6: unit 'furlong' is not a mass, volume"),
        ("r2,BY-1,gas,natural_gas,-5,t,2024,manufacturing,,,", "in.csv:3:5: quantity must not be negative, got -5"),
        ("r2,BY-1,gas,natural_gas,5,mt,2024,manufacturing,,,", "in.csv:3:6: ambiguous unit 'mt': 'mt' is a millitonne"),
        ("r2,BY-1,gas,natural_gas,lots,t,2024,manufacturing,,,", "in.csv:3:5: expected a number, got 'lots'"),
        ("r2,BY-1,gas,natural_gas,nan,t,2024,manufacturing,,,", "in.csv:3:5: expected a number, got 'nan'"),
        ("r2,BY-1,gas,natural_gas,inf,t,2024,manufacturing,,,", "in.csv:3:5: expected a number, got 'inf'"),
        ("r2,BY-1,kiln,clinker,100,MWh,2024,,,,", "in.csv:3:6: clinker is measured in mass (t, kt, kg...), got 'MWh'"),
        ("r2,BY-1,kiln,clinker,100,m3,2024,,,,", "in.csv:3:6: clinker is measured in mass (t, kt, kg...), got 'm3'"),
        ("r2,BY-1,gas,natural_gas,100,t,2024,manufacturing,48,t,", "in.csv:3:10: expected a ratio like 'TJ/Gg'"),
        (
            "r2,BY-1,gas,natural_gas,100,t,2024,manufacturing,48,kg/t,",
            "in.csv:3:10: ncv unit 'kg/t' must be energy per",
        ),
        (
            "r2,BY-1,gas,natural_gas,100,t,2024,manufacturing,48,TJ/m3,",
            "in.csv:3:10: unit 'TJ/m3' is per volume; expected per mass",
        ),
        (
            "ok1,BY-1,gas,natural_gas,100,t,2024,manufacturing,,,",
            "in.csv:3:1: duplicate record_id 'ok1' (first on line 2)",
        ),
        ("r2,BY-1,gas,natural_gas,1,TJ,1066,manufacturing,,,", "in.csv:3:7: expected a year (1850-2200), got '1066'"),
        ("r2,BY-1,gas,natural_gas,1,TJ,soon,manufacturing,,,", "in.csv:3:7: expected a year (1850-2200), got 'soon'"),
        ("r2,BY-1,gas,natural_gas,1,TJ,2024,,,,", "in.csv:3:8: method pack ipcc2006 has no ef CH4 for natural_gas"),
        ("r2,BY-1,acid,nitric_acid,100,t,2024,,,,", "in.csv:3:11: nitric_acid needs a technology, one of nscr"),
        ("r2,BY-1,acid,nitric_acid,100,t,2024,,,,dual_pressure", "in.csv:3:11: unknown technology 'dual_pressure'"),
        ("r2,BY-1,kiln,clinker,100,t,2024,,5,GJ/t,", "in.csv:3:9: ncv does not apply to clinker (product)"),
        (
            "r2,,gas,natural_gas,1,TJ,2024,manufacturing,,,",
            "in.csv:3:2: missing value for required column installation_id",
        ),
    ],
)
def test_each_bad_value_is_reported_at_its_line_and_column(row: str, expected: str) -> None:
    assert one_problem(row).startswith(expected)


def test_a_value_without_its_unit_is_reported_on_the_unit_column() -> None:
    found = problems_of(f"{HEADER}\nr1,BY-1,gas,natural_gas,100,t,2024,manufacturing,48,,\n")
    assert found[0] == "in.csv:2:10: ncv is given, so ncv_unit is required"
    assert all(p.startswith("in.csv:2:10: ") for p in found)


def test_unknown_sector_is_reported_on_the_sector_column() -> None:
    found = problems_of(f"{HEADER}\nr1,BY-1,gas,natural_gas,1,TJ,2024,space,,,\n")
    assert found[0] == (
        "in.csv:2:8: unknown sector 'space'; expected one of energy_industries, manufacturing, commercial, residential"
    )
    assert all(p.startswith("in.csv:2:8: ") for p in found)


def test_an_ncv_on_a_quantity_already_in_energy_is_refused_not_multiplied_in() -> None:
    # Before the fix, 100 TJ of gas with ncv 48 TJ/Gg gave 100 x 48 = 4,800 TJ of energy.
    assert one_problem("r2,BY-1,gas,natural_gas,100,TJ,2024,manufacturing,48,TJ/Gg,") == (
        "in.csv:3:9: ncv does not apply: the quantity is already energy (TJ)"
    )


@pytest.mark.parametrize("ef_unit", ["t C/TJ", "tC/t", "kg C/GJ"])
def test_an_emission_factor_in_carbon_units_is_refused_not_read_as_co2(ef_unit: str) -> None:
    # Read as CO2, 15.3 t C/TJ would understate emissions by a factor 44/12.
    text = f"{HEADER},emission_factor,ef_unit\nr1,BY-1,gas,natural_gas,1,TJ,2024,manufacturing,,,,15.3,{ef_unit}\n"
    assert problems_of(text) == [
        f"in.csv:2:13: '{ef_unit}' counts carbon: give it as carbon_content and carbon_content_unit"
    ]


def test_mass_balance_streams_take_no_oxidation_factor() -> None:
    text = (
        "record_id,installation_id,source_stream,activity,quantity,unit,carbon_content,carbon_content_unit,"
        "oxidation_factor\nr1,BY-1,coke,carbon_input,10,t,0.8,tC/t,0.5\n"
    )
    assert problems_of(text) == ["in.csv:2:9: mass balance streams take no oxidation factor (EU MRR Art. 25)"]


def test_missing_required_columns_are_all_reported_on_the_header_line() -> None:
    found = problems_of("record_id,activity,quantity\nr1,natural_gas,1\n")
    assert found == [
        "in.csv:1:installation_id: missing required column 'installation_id'",
        "in.csv:1:source_stream: missing required column 'source_stream'",
        "in.csv:1:unit: missing required column 'unit'",
    ]


def test_unknown_column_is_reported_with_its_position() -> None:
    found = problems_of("record_id,installation_id,source_stream,activity,quantity,unit,colour\nr1,B,g,lpg,1,TJ,red\n")
    assert found == [
        "in.csv:1:7: unknown column 'colour'; expected record_id, installation_id, source_stream, activity, quantity, "
        "unit, year, sector, ncv, ncv_unit, emission_factor, ef_unit, oxidation_factor, carbon_content, "
        "carbon_content_unit, technology"
    ]


def test_every_problem_of_a_file_is_reported_together_in_line_order() -> None:
    text = "\n".join(
        [
            HEADER,
            "r1,BY-1,gas,natural_gas,100,t,2024,energy_industries,,,",
            "r2,BY-1,gas,unobtainium,100,t,2024,energy_industries,,,",
            "r3,BY-1,gas,natural_gas,-5,t,2024,energy_industries,,,",
            "r4,BY-1,gas,natural_gas,lots,t,2024,energy_industries,,,",
            "r5,BY-1,kiln,clinker,100,MWh,2024,,,,",
            "r6,BY-1,gas,natural_gas,100,t,2024,energy_industries,48,t,",
            "r1,BY-1,gas,natural_gas,100,t,2024,energy_industries,,,",
            "r8,BY-1,gas,natural_gas,nan,t,2024,energy_industries,,,",
        ]
    )
    assert [p.split(": ", 1)[0] for p in problems_of(text + "\n")] == [
        "in.csv:3:4",
        "in.csv:4:5",
        "in.csv:5:5",
        "in.csv:6:6",
        "in.csv:7:10",
        "in.csv:8:1",
        "in.csv:9:5",
    ]


@pytest.mark.parametrize(
    ("ids", "repeated"),
    [
        (["a", "b", "b", "c"], ["in.csv:4:1: duplicate record_id 'b' (first on line 3)"]),  # in order
        (["b", "a", "c", "a"], ["in.csv:5:1: duplicate record_id 'a' (first on line 3)"]),
        (["a", "", "c", "", "a"], ["in.csv:6:1: duplicate record_id 'a' (first on line 2)"]),  # blanks
        (["a", "b", "", "c"], []),
        (["c", "b", "a"], []),
    ],
)
def test_a_repeated_record_id_is_found_whatever_the_order_of_the_ids(ids: list[str], repeated: list[str]) -> None:
    rows = "".join(f"{i},BY-1,gas,natural_gas,1,TJ,2024,manufacturing,,,\n" for i in ids)
    missing = [f"in.csv:{line}:1: missing value" for line, i in enumerate(ids, start=2) if not i]
    if not repeated and not missing:
        raw = pl.read_csv(io.StringIO(f"{HEADER}\n{rows}"), infer_schema=False)
        assert validate_frame(raw, TableSource("in.csv", 2, tuple(raw.columns)), load_pack()).height == len(ids)
        return
    found = problems_of(f"{HEADER}\n{rows}")
    assert [p for p in found if "duplicate" in p] == repeated
    assert [p[: len(m)] for p, m in zip((p for p in found if "missing" in p), missing, strict=True)] == missing


def test_json_problems_are_located_by_record_number_and_field() -> None:
    raw = pl.DataFrame(
        {
            "record_id": ["a", "b"],
            "installation_id": ["BY-1", "BY-1"],
            "source_stream": ["g", "g"],
            "activity": ["natural_gas", "natural_gas"],
            "quantity": ["1", "-1"],
            "unit": ["TJ", "TJ"],
            "sector": ["manufacturing", "manufacturing"],
        }
    )
    with pytest.raises(ValidationFailed) as failed:
        validate_frame(raw, TableSource("in.json", 1, tuple(raw.columns), column_numbers=False), load_pack())
    assert [p.render() for p in failed.value.problems] == ["in.json:2:quantity: quantity must not be negative, got -1"]


def test_many_problems_are_capped_and_the_rest_counted() -> None:
    rows = "\n".join(f"r{i},BY-1,gas,natural_gas,-1,TJ,2024,manufacturing,,," for i in range(1_205))
    raw = pl.read_csv(io.StringIO(f"{HEADER}\n{rows}\n"), infer_schema=False)
    with pytest.raises(ValidationFailed) as failed:
        validate_frame(raw, TableSource("in.csv", 2, tuple(raw.columns)), load_pack())
    assert len(failed.value.problems) == 1_000
    assert failed.value.truncated == 205
    assert "(and 1204 more problems)" in str(failed.value)


def test_per_record_path_refuses_the_same_bad_keys_with_the_field_named() -> None:
    pack = load_pack()
    with pytest.raises(PlanRejected) as rejected:
        build_plan(PlanKey("clinker", "MWh"), pack)
    assert [p.field for p in rejected.value.problems] == ["unit"]
    with pytest.raises(PlanRejected) as rejected:
        Calculator(pack, "AR5GWP100").calculate(ActivityRecord("r", "i", "s", "natural_gas", 1.0, "TJ"))
    assert rejected.value.problems[0].field == "sector"


def test_an_unknown_gwp_set_is_an_error_not_a_nan() -> None:
    from carbonbridge.domain.errors import UnknownGas
    from carbonbridge.domain.gwp import gwp

    with pytest.raises(UnknownGas):
        Calculator(load_pack(), "AR3GWP100")
    with pytest.raises(UnknownGas):
        gwp("unobtainium", "AR5GWP100")


def test_problem_renders_as_file_line_column_message() -> None:
    assert Problem("bad", "a.csv", 3, 5).render() == "a.csv:3:5: bad"
    assert Problem("bad", "a.json", 3, None, "quantity").render() == "a.json:3:quantity: bad"


PRODUCTS_AND_STREAMS = (
    "clinker",
    "lime",
    "ammonia",
    "nitric_acid",
    "calcium_carbonate",
    "carbon_input",
    "carbon_output",
)


@pytest.mark.parametrize("unit", ["m3", "thousand m3", "million m3", "10^4 m3", "TJ", "GJ", "MWh"])
@pytest.mark.parametrize("activity", PRODUCTS_AND_STREAMS)
def test_products_and_mass_balance_streams_refuse_volume_and_energy_units(activity: str, unit: str) -> None:
    key = PlanKey(
        activity,
        unit,
        technology="nscr" if activity == "nitric_acid" else "",
        has_carbon_content=True,
        carbon_content_unit="tC/t",
    )
    with pytest.raises(PlanRejected) as rejected:
        build_plan(key, load_pack())
    assert [(p.field, p.message.split(",")[0]) for p in rejected.value.problems] == [
        ("unit", f"{activity} is measured in mass (t")
    ]


@pytest.mark.parametrize(
    ("pack", "key", "message"),
    [
        (
            "ipcc2006",
            PlanKey("natural_gas", "thousand m3", sector="residential"),
            "method pack ipcc2006 has no default NCV for natural_gas per volume; "
            "give ncv and ncv_unit (e.g. TJ/million m3)",
        ),
        (
            "cn-mee-power-2022",
            PlanKey("coal", "t", year=2024),
            "method pack cn-mee-power-2022 has no default NCV for coal per mass; give ncv and ncv_unit (e.g. GJ/t)",
        ),
    ],
)
def test_a_quantity_without_a_default_ncv_needs_a_site_ncv(pack: str, key: PlanKey, message: str) -> None:
    with pytest.raises(PlanRejected) as rejected:
        build_plan(key, load_pack(pack))
    assert [(p.field, p.message) for p in rejected.value.problems] == [("ncv", message)]


def test_cn_coal_is_not_an_ipcc2006_activity_with_factors() -> None:
    key = PlanKey("coal", "TJ", sector="energy_industries")
    with pytest.raises(PlanRejected) as rejected:
        build_plan(key, load_pack("ipcc2006"))
    assert [p.field for p in rejected.value.problems] == ["activity"]
    assert "ipcc2006 has no" in rejected.value.problems[0].message


@pytest.mark.parametrize(
    ("row", "field", "expected"),
    [
        ("r2,BY-1,gas,natural_gas,-5,t,2024,manufacturing,,,", "quantity", "number >= 0"),
        ("r2,BY-1,gas,natural_gas,lots,t,2024,manufacturing,,,", "quantity", "number >= 0"),
        ("r2,BY-1,gas,natural_gas,5,t,20x4,manufacturing,,,", "year", "integer in [1850, 2200]"),
        (
            "r2,BY-1,gas,natural_gas,5,t,2024,space,,,",
            "sector",
            "one of: energy_industries, manufacturing, commercial, residential",
        ),
        ("r2,BY-1,gas,natural_gas,5,t,2024,manufacturing,34,,", "ncv_unit", "unit of ncv"),
        ("r2,BY-1,gas,natural_gas,5,furlong,2024,manufacturing,,,", "unit", "unit of mass, volume or energy"),
        ("r2,BY-1,kiln,clinker,5,MWh,2024,,,,", "unit", "unit of mass: t, kt, kg..."),
        ("r2,BY-1,acid,nitric_acid,5,t,2024,,,,", "technology", "one of: high_pressure, medium_pressure, ..."),
        ("ok1,BY-1,gas,natural_gas,1,TJ,2024,manufacturing,,,", "record_id", "text unique in the file"),
        (",BY-1,gas,natural_gas,1,TJ,2024,manufacturing,,,", "record_id", "text"),
    ],
)
def test_each_problem_says_what_the_field_should_hold(row: str, field: str, expected: str) -> None:
    raw = pl.read_csv(
        io.StringIO(f"{HEADER}\nok1,BY-1,gas,natural_gas,1,TJ,2024,manufacturing,,,\n{row}\n"), infer_schema=False
    )
    with pytest.raises(ValidationFailed) as failed:
        validate_frame(raw, TableSource("in.csv", 2, tuple(raw.columns)), load_pack("ipcc2006"))
    found = [p for p in failed.value.problems if p.field == field]
    assert found and all(p.expected for p in found), found
    problem = found[0]
    if expected.endswith(", ..."):  # a long list: its start
        assert problem.expected is not None and problem.expected.startswith("one of: ")
    else:
        assert problem.expected == expected
    assert problem.render() == f"in.csv:3:{HEADER.split(',').index(field) + 1}: {problem.message}"  # unchanged


def test_the_expected_value_stays_out_of_the_rendered_line() -> None:
    assert Problem("bad", "a.csv", 3, 5, "quantity", "number >= 0").render() == "a.csv:3:5: bad"
