"""Market rules files (data/market/<J>.toml) parsed by Pydantic models: unknown keys, wrong types
and broken rules are refused with the file, the field path from the file's root and what was
expected, all at once; what a file leaves out keeps the domain's defaults."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

from carbonbridge.adapters.config import load_config
from carbonbridge.adapters.market_config import parse_market_config
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.auction import AuctionRules, OneWayRules, Pricing
from carbonbridge.domain.market.book import StpMode
from carbonbridge.domain.market.msr import MsrPolicy
from carbonbridge.domain.market.rules import ExchangeRules, TradingSession
from carbonbridge.domain.market.surveillance import SurveillanceRules

CN = load_config(None).jurisdiction("CN")


def _problems(text: str) -> list[Problem]:
    with pytest.raises(ValidationFailed) as failed:
        parse_market_config(tomllib.loads(text), file="market-CN.toml", jurisdiction=CN)
    assert {p.file for p in failed.value.problems} == {"market-CN.toml"}
    return list(failed.value.problems)


def test_a_market_file_sets_the_rules_and_leaves_the_rest_to_the_domain_defaults() -> None:
    text = """
[exchange]
tick = 5
listing_band = 0.15
sessions = [["09:30", "11:30"], [13:00:00, "15:00"]]
holidays = [2026-01-01, "2026-01-02"]
weekend = [6]
stp = "cancel_incoming"
sources = ["a notice"]

[auction]
lot_size = 1000
reserve_price = "79.5"
auctions_per_year = 4

[one_way]
pricing = "pay_as_bid"

[msr]
intake_rate = "0.12"
"""
    config = parse_market_config(tomllib.loads(text), file="market-CN.toml", jurisdiction=CN)
    assert config.exchange == ExchangeRules(
        "CN",
        "CNY",
        "Asia/Shanghai",
        tick=5,
        listing_band=Decimal("0.15"),
        sessions=(
            TradingSession(dt.time(9, 30), dt.time(11, 30)),
            TradingSession(dt.time(13, 0), dt.time(15, 0)),
        ),
        holidays=frozenset({dt.date(2026, 1, 1), dt.date(2026, 1, 2)}),
        weekend=frozenset({6}),
        stp=StpMode.CANCEL_INCOMING,
        sources=("a notice",),
    )
    assert config.auction == AuctionRules(lot_size=1000, reserve_price=7950)
    assert config.auctions_per_year == 4
    assert config.one_way == OneWayRules(pricing=Pricing.PAY_AS_BID)
    assert config.msr == MsrPolicy(intake_rate=Decimal("0.12"))
    assert config.surveillance == SurveillanceRules()
    assert (config.jurisdiction, config.currency, config.path) == ("CN", "CNY", "market-CN.toml")


def test_an_empty_file_is_the_domain_defaults() -> None:
    config = parse_market_config({}, file="<defaults for CN>", jurisdiction=CN)
    assert config.exchange == ExchangeRules("CN", "CNY", "Asia/Shanghai")
    assert (config.auction, config.auctions_per_year, config.msr) == (AuctionRules(), 12, MsrPolicy())


def test_every_problem_of_a_market_file_is_named_by_its_field_from_the_file_root() -> None:
    found = _problems(
        """
[exchange]
tick = 0
listing_band = "1.5"
sessions = [["09:30", "08:00"], ["9", "10:00"], ["10:00"], [930, "11:00"]]
holidays = ["2025-13-01"]
weekend = [7]
stp = "never"
fee_bp = "5"
colour = 1

[auction]
reserve_price = "1.234"

[one_way]
pricing = "dutch"

[msr]
intake_rate = "x"

[other]
"""
    )
    assert [(p.render(), p.expected) for p in found] == [
        ("market-CN.toml:exchange.tick: Input should be greater than or equal to 1, got 0", "number >= 1"),
        ("market-CN.toml:exchange.listing_band: Input should be less than 1, got '1.5'", "number < 1"),
        ("market-CN.toml:exchange.sessions[0]: session 09:30-08:00 ends before it starts", None),
        ("market-CN.toml:exchange.sessions[1][0]: expected a time HH:MM, got '9'", "time (HH:MM)"),
        (
            'market-CN.toml:exchange.sessions[2]: expected a session [start, end], e.g. ["09:30", "11:30"]',
            None,
        ),
        ("market-CN.toml:exchange.sessions[3][0]: Input should be a valid time, got 930", "time (HH:MM)"),
        (
            "market-CN.toml:exchange.holidays[0]: Input should be a valid date or datetime, month value is "
            "outside expected range of 1-12, got '2025-13-01'",
            "date (YYYY-MM-DD)",
        ),
        ("market-CN.toml:exchange.weekend[0]: Input should be less than or equal to 6, got 7", "number <= 6"),
        (
            "market-CN.toml:exchange.fee_bp: Input should be a valid integer, got '5'",
            "integer",
        ),
        (
            "market-CN.toml:exchange.stp: must be one of none, cancel_resting, cancel_incoming, got 'never'",
            "one of: none, cancel_resting, cancel_incoming",
        ),
        ("market-CN.toml:exchange.colour: unknown key", "no such key"),
        ("market-CN.toml:auction.reserve_price: a price has at most two decimals", None),
        (
            "market-CN.toml:one_way.pricing: must be one of uniform, pay_as_bid, got 'dutch'",
            "one of: uniform, pay_as_bid",
        ),
        ("market-CN.toml:msr.intake_rate: Input should be a valid decimal, got 'x'", "number"),
        ("market-CN.toml:other: unknown key", "no such key"),
    ]


def test_the_domain_rules_of_auctions_and_the_reserve_are_located_in_the_file() -> None:
    found = _problems('[auction]\nlot_size = 0\nmax_bidder_share = "2"\n[msr]\nlower_threshold = 900000000\n')
    assert [p.render() for p in found] == [
        "market-CN.toml:auction.lot_size: must be a positive number of allowances",
        "market-CN.toml:auction.max_bidder_share: must be in (0, 1]",
        "market-CN.toml:msr.lower_threshold: must not exceed upper_threshold",
    ]


def test_the_shipped_market_files_parse() -> None:
    from carbonbridge.adapters.config import read_document

    for code in ("BY", "CN"):
        found = read_document("market", f"{code}.toml", None)
        assert found is not None
        config = parse_market_config(found[0], file=found[1], jurisdiction=load_config(None).jurisdiction(code))
        assert config.path == f"data/market/{code}.toml" and config.exchange.sources
