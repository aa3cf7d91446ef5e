"""The link's money file (data/link/money-BY-CN.toml) parsed by a Pydantic model: unknown keys,
wrong types, missing fields, unknown movable holidays and the joint auction's rules are reported
together, each with the file, the field path from the file's root and what was expected."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.link_money import load_money_config, parse_money_config
from carbonbridge.domain.errors import Problem, ValidationFailed

SHIPPED: dict[str, Any] = tomllib.loads(
    (resources.files("carbonbridge") / "data" / "link" / "money-BY-CN.toml").read_text()
)


def _problems(data: dict[str, Any], file: str = "link-money-BY-CN.toml") -> dict[str | None, Problem]:
    with pytest.raises(ValidationFailed) as caught:
        parse_money_config(data, file=file)
    assert {p.file for p in caught.value.problems} == {file}
    return {p.field: p for p in caught.value.problems}


def test_an_unknown_key_a_wrong_type_and_a_missing_field_are_named_together() -> None:
    data = copy.deepcopy(SHIPPED)
    data["calendar"]["BY"]["weekends"] = [5, 6]
    data["calendar"]["CN"]["holidays"][1] = "2025-01-28"
    del data["rate"]["base"]
    found = _problems(data)
    assert set(found) == {"calendar.BY.weekends", "calendar.CN.holidays[1]", "rate.base"}
    assert (found["calendar.BY.weekends"].message, found["calendar.BY.weekends"].expected) == (
        "unknown key",
        "no such key",
    )
    assert found["calendar.CN.holidays[1]"].expected == "date (YYYY-MM-DD)"
    assert (found["rate.base"].message, found["rate.base"].expected) == ("missing", "a value")


def test_values_outside_the_rules_are_named_with_what_was_expected() -> None:
    data = copy.deepcopy(SHIPPED)
    data["calendar"]["BY"]["movable"] = ["easter"]
    data["rate"]["currency"] = "yuan"
    data["joint_auction"]["lot_size"] = "1000"
    found = _problems(data)
    assert found["calendar.BY.movable[0]"].expected == "one of: radunitsa"
    assert found["rate.currency"].expected == "text matching ^[A-Z]{3}$"
    assert found["joint_auction.lot_size"].expected == "integer"
    assert len(found) == 3


def test_the_joint_auction_rules_of_the_domain_are_located_in_the_file() -> None:
    data = copy.deepcopy(SHIPPED)
    data["joint_auction"] = {"lot_size": 0, "max_bidder_share": "1.5"}
    found = _problems(data)
    assert set(found) == {"joint_auction.lot_size", "joint_auction.max_bidder_share"}
    assert found["joint_auction.max_bidder_share"].message == "must be in (0, 1]"
    data["joint_auction"] = {"lot_size": 1000, "max_bidder_share": "half"}
    assert _problems(data)["joint_auction.max_bidder_share"].expected == "number"


def test_an_override_file_is_named_by_its_logical_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (resources.files("carbonbridge") / "data" / "link" / "money-BY-CN.toml").read_text()
    (tmp_path / "link-money-BY-CN.toml").write_text(text.replace("[joint_auction]", "[joint_auctions]"))
    monkeypatch.setenv("CARBONBRIDGE_CONFIG", str(tmp_path))
    load_money_config.cache_clear()
    try:
        with pytest.raises(ValidationFailed) as caught:
            load_money_config()
    finally:
        load_money_config.cache_clear()
    file = "$CARBONBRIDGE_CONFIG/link-money-BY-CN.toml"
    assert {(p.file, p.field, p.message) for p in caught.value.problems} == {
        (file, "joint_auctions", "unknown key"),
        (file, "joint_auction", "missing"),
    }


def test_the_shipped_money_file_gives_the_rate_the_calendars_and_the_joint_rules() -> None:
    config = parse_money_config(copy.deepcopy(SHIPPED), file="data/link/money-BY-CN.toml")
    assert (config.currency, config.base) == ("CNY", "BYN")
    assert config.joint_rules.lot_size == 1000 and config.joint_rules.max_bidder_share == Decimal("0.5")
    by = config.calendars["BY"]
    assert dt.date(2026, 4, 21) in by.holidays  # Radunitsa 2026, computed from the movable list
    assert dt.date(2026, 4, 20) in by.holidays and "Decree" in by.source
