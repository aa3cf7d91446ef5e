"""Monitoring plans (EU MRR Arts. 12-26): parsing with every problem named, and the tier rule."""

from __future__ import annotations

import tomllib

import pytest

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.mrv.monitoring import (
    Method,
    check_records_against_plan,
    installation_category,
    parse_plan,
)
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
        "plan.toml:category: category must be A, B or C (EU MRR Art. 19(2))",
        "plan.toml:source_streams[0].category: 'huge' is not a valid StreamCategory",
        "plan.toml:source_streams[2].method: 'guesswork' is not a valid Method",
    ]


def test_duplicate_streams_and_bad_tiers_are_reported_together() -> None:
    text = PLAN.replace('tier_ef = "2b"', 'tier_ef = "4"') + '\n[[source_streams]]\nname = "coal"\nactivity = "lpg"\n'
    with pytest.raises(ValidationFailed) as failed:
        parse_plan(tomllib.loads(text), file="plan.toml")
    assert sorted(p.render() for p in failed.value.problems) == [
        "plan.toml:source_streams: duplicate source stream 'coal'",
        "plan.toml:source_streams[0].tier_ef: tier '4' is not one of 1, 2a, 2b, 3",
    ]


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
