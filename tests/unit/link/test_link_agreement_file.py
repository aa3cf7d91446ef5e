"""The linking agreement file (data/link/BY-CN.toml) parsed by a Pydantic model: unknown keys,
wrong types, missing fields and values outside the agreement's rules are reported together, each
with the file, the field path from the file's root and what was expected."""

from __future__ import annotations

import copy
import tomllib
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.link_agreement import parse_agreement
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.services.link_config import load_agreement

SHIPPED: dict[str, Any] = tomllib.loads((resources.files("carbonbridge") / "data" / "link" / "BY-CN.toml").read_text())


def _problems(data: dict[str, Any], file: str = "link-BY-CN.toml") -> dict[str | None, Problem]:
    with pytest.raises(ValidationFailed) as caught:
        parse_agreement(data, file=file)
    assert {p.file for p in caught.value.problems} == {file}
    return {p.field: p for p in caught.value.problems}


def test_an_unknown_key_a_wrong_type_and_a_missing_field_are_named_together() -> None:
    data = copy.deepcopy(SHIPPED)
    data["messages"]["window_secs"] = 60
    data["messages"]["max_age_seconds"] = "900"
    del data["schema_version"]
    found = _problems(data)
    assert set(found) == {"messages.window_secs", "messages.max_age_seconds", "schema_version"}
    assert (found["messages.window_secs"].message, found["messages.window_secs"].expected) == (
        "unknown key",
        "no such key",
    )
    assert found["messages.max_age_seconds"].expected == "integer"
    assert (found["schema_version"].message, found["schema_version"].expected) == ("missing", "a value")


def test_values_outside_the_agreement_are_named_with_what_was_expected() -> None:
    data = copy.deepcopy(SHIPPED)
    data["keep_origin"] = False
    data["foreign_surrender_limit"]["CN"] = "6/5"
    data["foreign_surrender_limit"]["BY"] = "a fifth"
    data["public_keys"]["CN"] = "38062F"
    data["messages"]["reply_timeout_windows"] = 0
    data["recognised"]["BY"] = ["CN AL"]
    found = _problems(data)
    assert found["keep_origin"].message.startswith("units keep their origin and serials")
    assert found["keep_origin"].expected == "true"
    assert found["foreign_surrender_limit.CN"].message.startswith("must be between 0 and 1")
    assert found["foreign_surrender_limit.BY"].message.startswith("must be a fraction like 1/5")
    assert found["public_keys.CN"].expected == "text matching ^[0-9a-f]{64}$"
    assert found["messages.reply_timeout_windows"].expected == "number >= 1"
    assert found["recognised.BY[0]"].expected == "text matching ^[A-Z]{2}-[A-Z]+$"
    assert len(found) == 6


def test_tables_keyed_by_jurisdiction_name_the_parties_and_every_party_has_a_key() -> None:
    data = copy.deepcopy(SHIPPED)
    del data["public_keys"]["CN"]
    data["foreign_surrender_limit"]["KZ"] = "1/10"
    found = _problems(data)
    assert found["public_keys.CN"].message == "missing: the public key of CN"
    assert found["foreign_surrender_limit.KZ"].expected == "one of: BY, CN"
    assert len(found) == 2
    data = copy.deepcopy(SHIPPED)
    data["parties"] = ["BY"]
    assert _problems(data)["parties"].message.startswith("List should have at least 2 items")


def test_an_override_file_is_named_by_its_logical_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (resources.files("carbonbridge") / "data" / "link" / "BY-CN.toml").read_text()
    (tmp_path / "link-BY-CN.toml").write_text(text.replace("demo_keys = true", "demo_key = true"))
    monkeypatch.setenv("CARBONBRIDGE_CONFIG", str(tmp_path))
    load_agreement.cache_clear()
    try:
        with pytest.raises(ValidationFailed) as caught:
            load_agreement()
    finally:
        load_agreement.cache_clear()
    located = [(p.file, p.field, p.message) for p in caught.value.problems]
    assert located[0] == ("$CARBONBRIDGE_CONFIG/link-BY-CN.toml", "public_keys.demo_key", "unknown key")


def test_the_shipped_agreement_parses() -> None:
    agreement = parse_agreement(copy.deepcopy(SHIPPED), file="data/link/BY-CN.toml")
    assert agreement.parties == ("BY", "CN") and agreement.demo_keys
    assert agreement.foreign_surrender_limit == {"BY": Fraction(1, 5), "CN": Fraction(1, 5)}
    assert agreement.recognises("BY", "CN-AL-2026") and not agreement.recognises("BY", "CN-OF-2026")
    assert set(agreement.public_keys) == {"BY", "CN"}
    assert agreement.reply_timeout_seconds() == 180
