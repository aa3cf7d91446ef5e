"""Monitoring plans (EU MRR Arts. 12-26): parsing a plan file with every problem named (file, field,
what was expected), and the tier rule."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from carbonbridge.adapters.monitoring_plan_file import parse_plan, read_plan_file
from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.mrv.monitoring import Method, check_records_against_plan, installation_category
from carbonbridge.domain.mrv.records import ActivityRecord

PLAN = """
installation_id = "BY-1"
jurisdiction = "BY"
name = "Synthetic works"
operator = "Synthetic operator"
category = "C"

[[source_streams]]
name = "coal"
activity = "other_bituminous_coal"
tier_ncv = "3"
tier_ef = "2b"

[[source_streams]]
name = "stack"
activity = "natural_gas"
method = "measurement"
"""


def test_a_plan_parses_with_defaults() -> None:
    plan = parse_plan(tomllib.loads(PLAN))
    assert (plan.sector, plan.method_pack, plan.category) == ("energy_industries", "ipcc2006", "C")
    coal = plan.stream("coal")
    assert coal is not None and (coal.tier_ncv, coal.tier_ef, coal.method) == ("3", "2b", Method.CALCULATION)
    assert plan.stream("nowhere") is None


def test_every_problem_of_a_plan_is_named_by_its_field() -> None:
    text = PLAN.replace('tier_ef = "2b"', 'tier_ef = "4"\ncategory = "huge"').replace('"C"', '"D"')
    text += '\n[[source_streams]]\nname = "stack"\nactivity = "lpg"\nmethod = "guesswork"\n'
    with pytest.raises(ValidationFailed) as failed:
        parse_plan(tomllib.loads(text), file="plan.toml")
    assert sorted(p.render() for p in failed.value.problems) == [
        "plan.toml:category: must be one of A, B, C (installation category, EU MRR Art. 19(2)), got 'D'",
        "plan.toml:source_streams: duplicate source stream 'stack'",
        "plan.toml:source_streams[0].category: must be one of major, minor, de_minimis, got 'huge'",
        "plan.toml:source_streams[0].tier_ef: must be one of 1, 2a, 2b, 3 (EU MRR Annex II tiers), got '4'",
        "plan.toml:source_streams[2].method: must be one of calculation, mass_balance, measurement, got 'guesswork'",
    ]
    expected = {p.field: p.expected for p in failed.value.problems}
    assert expected["category"] == "one of: A, B, C"
    assert expected["source_streams[2].method"] == "one of: calculation, mass_balance, measurement"


def test_duplicate_streams_and_bad_tiers_are_reported_together() -> None:
    text = PLAN.replace('tier_ef = "2b"', 'tier_ef = "4"') + '\n[[source_streams]]\nname = "coal"\nactivity = "lpg"\n'
    with pytest.raises(ValidationFailed) as failed:
        parse_plan(tomllib.loads(text), file="plan.toml")
    assert sorted(p.render() for p in failed.value.problems) == [
        "plan.toml:source_streams: duplicate source stream 'coal'",
        "plan.toml:source_streams[0].tier_ef: must be one of 1, 2a, 2b, 3 (EU MRR Annex II tiers), got '4'",
    ]


def test_unknown_keys_missing_fields_and_wrong_types_are_named() -> None:
    text = PLAN.replace('name = "Synthetic works"', 'name = "  "\nowner = "x"').replace(
        'operator = "Synthetic operator"\n', ""
    )
    text = text.replace('tier_ef = "2b"', 'tier_ef = "2b"\nfuel = "coal"').replace('"BY"', "3")
    with pytest.raises(ValidationFailed) as failed:
        parse_plan(tomllib.loads(text), file="plan.toml")
    assert [(p.render(), p.expected) for p in failed.value.problems] == [
        ("plan.toml:jurisdiction: Input should be a valid string, got 3", "text"),
        ("plan.toml:name: String should have at least 1 character, got '  '", "non-empty text"),
        ("plan.toml:operator: missing", "a value"),
        ("plan.toml:source_streams[0].fuel: unknown key", "no such key"),
        ("plan.toml:owner: unknown key", "no such key"),
    ]


def test_a_plan_needs_source_streams() -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_plan({"installation_id": "I", "jurisdiction": "BY", "name": "n", "operator": "o", "source_streams": []})
    assert [(p.field, p.expected) for p in failed.value.problems] == [("source_streams", "a non-empty list")]


def test_a_numeric_tier_is_the_tier_of_that_number_and_text_is_stripped() -> None:
    plan = parse_plan(tomllib.loads(PLAN.replace('tier_ncv = "3"', "tier_ncv = 3").replace('"coal"', '" coal "')))
    coal = plan.stream("coal")
    assert coal is not None and coal.tier_ncv == "3"
    with pytest.raises(ValidationFailed) as failed:
        parse_plan(tomllib.loads(PLAN.replace('tier_ncv = "3"', "tier_ncv = true")), file="plan.toml")
    assert [p.field for p in failed.value.problems] == ["source_streams[0].tier_ncv"]


def test_a_json_plan_file_reads_as_the_toml_one(tmp_path: Path) -> None:
    as_json = tmp_path / "plan.json"
    as_json.write_text(json.dumps(tomllib.loads(PLAN)), encoding="utf-8")
    as_toml = tmp_path / "plan.toml"
    as_toml.write_text(PLAN, encoding="utf-8")
    assert read_plan_file(as_json) == read_plan_file(as_toml) == parse_plan(tomllib.loads(PLAN))
    as_json.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValidationFailed) as failed:
        read_plan_file(as_json)
    assert [p.render() for p in failed.value.problems] == [f"{as_json}: expected a table of the plan's fields"]
    with pytest.raises(ValidationFailed) as failed:
        read_plan_file(tmp_path / "none.toml")
    assert [p.render() for p in failed.value.problems] == [f"{tmp_path / 'none.toml'}: file not found"]


@pytest.mark.parametrize(("emissions", "category"), [(50_000, "A"), (50_001, "B"), (500_000, "B"), (500_001, "C")])
def test_installation_category_follows_mrr_article_19(emissions: float, category: str) -> None:
    assert installation_category(emissions) == category


def test_site_specific_tiers_need_site_specific_values_in_each_record() -> None:
    plan = parse_plan(tomllib.loads(PLAN))
    columns = (
        "record_id",
        "installation_id",
        "source_stream",
        "activity",
        "quantity",
        "unit",
        "ncv",
        "ncv_unit",
        "emission_factor",
        "ef_unit",
        "carbon_content",
        "carbon_content_unit",
    )
    records = [
        (2, ActivityRecord("a", "BY-1", "coal", "other_bituminous_coal", 1.0, "t")),
        (
            3,
            ActivityRecord(
                "b",
                "BY-1",
                "coal",
                "other_bituminous_coal",
                1.0,
                "t",
                ncv=25.0,
                ncv_unit="GJ/t",
                carbon_content=0.7,
                carbon_content_unit="tC/t",
            ),
        ),
        (
            4,
            ActivityRecord(
                "c", "BY-1", "coal", "other_bituminous_coal", 1.0, "GJ", emission_factor=95.0, ef_unit="t CO2/TJ"
            ),
        ),
        (5, ActivityRecord("d", "BY-1", "coal", "lignite", 1.0, "TJ", emission_factor=95.0, ef_unit="t CO2/TJ")),
        (6, ActivityRecord("e", "BY-2", "coal", "other_bituminous_coal", 1.0, "TJ")),
        (7, ActivityRecord("f", "BY-1", "stack", "natural_gas", 1.0, "TJ")),
    ]
    found = check_records_against_plan(plan, records, file="in.csv", columns=columns)
    assert [p.render() for p in found] == [
        "in.csv:2:9: source stream 'coal' is monitored at EF tier 2b: a site-specific emission_factor or "
        "carbon_content is required",
        "in.csv:2:7: source stream 'coal' is monitored at NCV tier 3: a site-specific ncv is required",
        "in.csv:5:4: source stream 'coal' is monitored as 'other_bituminous_coal', not 'lignite'",
        "in.csv:6:2: installation_id 'BY-2' differs from the plan's 'BY-1'",
        "in.csv:7:3: source stream 'stack' is measurement-based: import its hourly data with 'mrv cems'",
    ]
