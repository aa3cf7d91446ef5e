"""CEMS rule set files (data/cems/<CODE>.toml) parsed by a Pydantic model: unknown keys, wrong
types, missing fields and values outside the rules are reported together, each with the file,
the field path from the file's root and what was expected."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.cems_config import load_rule_set, parse_rule_set
from carbonbridge.domain.errors import Problem, ValidationFailed

SHIPPED: dict[str, Any] = tomllib.loads((resources.files("carbonbridge") / "data" / "cems" / "BY.toml").read_text())


def _problems(data: dict[str, Any], file: str = "cems-BY.toml") -> dict[str | None, Problem]:
    with pytest.raises(ValidationFailed) as caught:
        parse_rule_set(data, file=file)
    assert {p.file for p in caught.value.problems} == {file}
    return {p.field: p for p in caught.value.problems}


def test_an_unknown_key_a_wrong_type_and_a_missing_field_are_named_together() -> None:
    data = copy.deepcopy(SHIPPED)
    data["validity"]["colour"] = "red"
    data["plausibility"]["stuck_hours"] = "24"
    del data["uncertainty"]["default_tier"]
    found = _problems(data)
    assert set(found) == {"validity.colour", "plausibility.stuck_hours", "uncertainty.default_tier"}
    assert (found["validity.colour"].message, found["validity.colour"].expected) == ("unknown key", "no such key")
    assert found["plausibility.stuck_hours"].expected == "integer"
    assert (found["uncertainty.default_tier"].message, found["uncertainty.default_tier"].expected) == (
        "missing",
        "a value",
    )


def test_values_outside_the_rules_are_named_with_what_was_expected() -> None:
    data = copy.deepcopy(SHIPPED)
    data["validity"]["minimum_valid_share"] = 1.5
    data["substitution"]["flow"] = "last_value"
    data["plausibility"]["stuck_hours"] = 1
    data["uncertainty"]["tiers"]["2"] = True
    found = _problems(data)
    assert found["validity.minimum_valid_share"].expected == "number <= 1.0"
    assert found["substitution.flow"].expected == "one of: mean_plus_2sd, none"
    assert found["plausibility.stuck_hours"].expected == "number >= 2"
    assert found["uncertainty.tiers.2"].expected == "number"
    assert len(found) == 4


def test_a_missing_table_and_a_default_tier_outside_the_tiers() -> None:
    data = copy.deepcopy(SHIPPED)
    del data["plausibility"]
    assert _problems(data)["plausibility"].message == "missing"
    data = copy.deepcopy(SHIPPED)
    data["uncertainty"]["default_tier"] = "5"
    found = _problems(data)["uncertainty.default_tier"]
    assert found.expected == "one of: 1, 2, 3, 4"


def test_an_override_file_is_named_by_its_logical_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (resources.files("carbonbridge") / "data" / "cems" / "CN.toml").read_text()
    (tmp_path / "cems-CN.toml").write_text(text.replace("jump_ratio = 1.0", "jump_ratio = 1.0\nratio = 2"))
    monkeypatch.setenv("CARBONBRIDGE_CONFIG", str(tmp_path))
    with pytest.raises(ValidationFailed) as caught:
        load_rule_set("cn")
    assert [(p.file, p.field, p.message) for p in caught.value.problems] == [
        ("$CARBONBRIDGE_CONFIG/cems-CN.toml", "plausibility.ratio", "unknown key")
    ]


def test_the_shipped_rule_sets_parse_with_their_sources() -> None:
    by = parse_rule_set(copy.deepcopy(SHIPPED), file="data/cems/BY.toml")
    assert (by.jurisdiction, by.minimum_valid_share, by.stuck_hours) == ("BY", 0.8, 24)
    assert by.substitutes and by.uncertainty(None) == 0.025
    assert "Art. 44(2)" in by.validity_source
    assert not load_rule_set("CN").substitutes
