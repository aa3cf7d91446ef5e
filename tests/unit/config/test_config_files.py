"""Configuration files parsed by Pydantic models: unknown keys, wrong types and missing fields
are refused with the file, the field path from the file's root and what was expected, all at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carbonbridge.adapters.config import load_config
from carbonbridge.adapters.config_schema import field_path
from carbonbridge.adapters.policy_config import parse_policy
from carbonbridge.domain.allocation.design import BenchmarkDesign, IntensityDesign
from carbonbridge.domain.errors import NotFound, ValidationFailed
from carbonbridge.domain.registry.policy import ApprovalRule

BY = """
code = "BY"
name = "Belarus (test)"
currency = "BYN"
gwp_set = "AR5GWP100"
method_pack = "ipcc2006"
timezone = "Europe/Minsk"
language = "ru"
"""


def _problems(override: Path) -> dict[tuple[str, str | None], str]:
    with pytest.raises(ValidationFailed) as caught:
        load_config(override)
    return {(p.file, p.field): p.message for p in caught.value.problems}


def test_policy_file_problems_are_reported_together_with_their_fields_from_the_file_root() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_policy({"approval": "sometimes", "transfer_limit_units": -1, "colour": "red"}, file="BY.toml")
    found = {p.field: p for p in caught.value.problems}
    assert set(found) == {"registry.approval", "registry.transfer_limit_units", "registry.colour"}
    assert {p.file for p in caught.value.problems} == {"BY.toml"}
    assert found["registry.colour"].message == "unknown key"
    assert found["registry.approval"].expected == "one of: always, untrusted, never"
    assert "greater than 0" in found["registry.transfer_limit_units"].message


def test_policy_file_sets_the_controls() -> None:
    policy = parse_policy({"approval": "untrusted", "transfer_limit_units": 500, "holidays": [dt.date(2026, 1, 1)]})
    assert policy.approval is ApprovalRule.UNTRUSTED
    assert policy.transfer_limit_units == 500
    assert not policy.is_working_day(dt.date(2026, 1, 1))


def test_policy_integers_are_strict_and_hours_bounded() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_policy({"delay_working_days": "2", "max_consecutive_failures": True, "delay_release_hour": 24})
    fields = {p.field: p.expected for p in caught.value.problems}
    assert fields["registry.delay_working_days"] == "integer"
    assert fields["registry.max_consecutive_failures"] == "integer"
    assert "registry.delay_release_hour" in fields


def test_an_unknown_key_a_wrong_type_and_a_missing_field_name_the_file_and_the_field(tmp_path: Path) -> None:
    broken = BY.replace('language = "ru"\n', "colour = 1\n").replace('currency = "BYN"', "currency = 933")
    (tmp_path / "BY.toml").write_text(broken + "[registry]\nholidays = [2026]\n", encoding="utf-8")
    found = _problems(tmp_path)
    assert found[("$CARBONBRIDGE_CONFIG/BY.toml", "colour")] == "unknown key"
    assert found[("$CARBONBRIDGE_CONFIG/BY.toml", "language")] == "missing"
    assert found[("$CARBONBRIDGE_CONFIG/BY.toml", "currency")].startswith("Input should be a valid string")
    assert ("$CARBONBRIDGE_CONFIG/BY.toml", "registry.holidays[0]") in found
    assert len(found) == 4  # the CN files are fine


def test_problems_of_every_file_come_at_once(tmp_path: Path) -> None:
    (tmp_path / "BY.toml").write_text(BY.replace("Europe/Minsk", "Europe/Atlantis"), encoding="utf-8")
    (tmp_path / "allocation-CN.toml").write_text('design = "auction"\n', encoding="utf-8")
    found = _problems(tmp_path)
    assert "IANA time zone" in found[("$CARBONBRIDGE_CONFIG/BY.toml", "timezone")]
    assert "design must be one of benchmark, intensity" in found[("$CARBONBRIDGE_CONFIG/allocation-CN.toml", "design")]


def test_the_shipped_configuration_gives_each_jurisdiction_its_design_policy_and_rules() -> None:
    config = load_config(None)
    by, cn = config.jurisdiction("by"), config.jurisdiction("CN")
    assert isinstance(by.allocation, BenchmarkDesign) and isinstance(cn.allocation, IntensityDesign)
    assert (by.registry.linked_origins, cn.registry.linked_origins) == (frozenset({"CN"}), frozenset({"BY"}))
    assert cn.compliance_rules(2023).version == "cn-2023"
    assert by.local_date(dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC)) == dt.date(2026, 4, 1)  # Minsk is UTC+3
    with pytest.raises(NotFound):
        config.jurisdiction("KZ")


def test_field_paths_are_spelled_as_in_the_file() -> None:
    assert field_path(("versions", 0, "penalty", "kind")) == "versions[0].penalty.kind"
    assert field_path(("holidays", 2), "registry.") == "registry.holidays[2]"


COMPLIANCE = """
source = "test rules"

[[versions]]
id = "by-test"
years = [2025, ""]
allowance_vintage_lead = "1"

[versions.deadlines]
emissions = "03-31"
surrender = { day = "09-31", source = "s" }

[versions.offsets]
limit_share = { value = "0", source = "Art. 11a", colour = "red" }
"""


def test_a_compliance_file_names_unknown_keys_wrong_types_bad_days_and_missing_tables(tmp_path: Path) -> None:
    (tmp_path / "compliance-BY.toml").write_text(COMPLIANCE, encoding="utf-8")
    found = _problems(tmp_path)
    file = "$CARBONBRIDGE_CONFIG/compliance-BY.toml"
    assert found[(file, "versions[0].allowance_vintage_lead")].startswith("Input should be a valid integer")
    assert found[(file, "versions[0].deadlines.surrender.day")] == "expected a day as MM-DD, got '09-31'"
    assert found[(file, "versions[0].offsets.limit_share.colour")] == "unknown key"
    assert found[(file, "versions[0].penalty")] == "missing"
    assert len(found) == 4


def test_a_cited_value_still_needs_its_source_and_a_checked_one_where_it_was_read(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[3] / "src/carbonbridge/data/compliance/BY.toml").read_text(encoding="utf-8")
    (tmp_path / "compliance-BY.toml").write_text(
        shipped.replace(
            'reference_price = { value = "0", source = "not used by a per-tonne penalty" }',
            'reference_price = { value = "0", checked = true }',
        ),
        encoding="utf-8",
    )
    found = _problems(tmp_path)
    file = "$CARBONBRIDGE_CONFIG/compliance-BY.toml"
    assert set(found) == {
        (file, "versions[0].penalty.reference_price.source"),
        (file, "versions[0].penalty.reference_price.checked_in"),
    }


ALLOCATION = """
design = "intensity"
source = "test plan"
pre_allocation_share = "0.7"
shortfall_cap_share = "0.2"
heat_supply_coefficient = "0.22"

[unit_types.gas]
fuel = "oil"
obligation = "capped_at_allocation"
electricity_t_per_mwh = "0.392"
colour = "blue"

[[load_bands]]
kind = "linear"
lower = "0.8"
upper = "x"
a = "1"
b = "0.0014"
pivot = "85"
"""


def test_an_allocation_file_names_unknown_keys_bad_choices_bad_numbers_and_missing_values(tmp_path: Path) -> None:
    (tmp_path / "allocation-CN.toml").write_text(ALLOCATION, encoding="utf-8")
    found = _problems(tmp_path)
    file = "$CARBONBRIDGE_CONFIG/allocation-CN.toml"
    assert found[(file, "unit_types.gas.fuel")].startswith("Input should be 'coal' or 'gas'")
    assert found[(file, "unit_types.gas.colour")] == "unknown key"
    assert found[(file, "unit_types.gas.heat_t_per_gj")] == "missing"
    assert found[(file, "load_bands[0].upper")].startswith("Input should be a valid decimal")
    assert len(found) == 4


def test_a_benchmark_override_may_write_reduction_steps_as_pairs_and_a_short_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "allocation-BY.toml").write_text(
        '[cap]\nstart_year = 2030\nstart_cap_t = 1000\nreference_t = 1000\nreduction = [[2031, "0.1"], [2032]]\n'
        '[free_allocation]\nclef_exposed = "1"\nclef_not_exposed = "0.3"\ncscf = "1"\n',
        encoding="utf-8",
    )
    # the first step is read as {from = 2031, factor = "0.1"}; the second lacks its factor
    assert set(_problems(tmp_path)) == {("$CARBONBRIDGE_CONFIG/allocation-BY.toml", "cap.reduction[1]")}
