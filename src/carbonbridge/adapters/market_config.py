"""Market configuration per jurisdiction: data/market/<J>.toml (CARBONBRIDGE_CONFIG overrides)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from carbonbridge.adapters.config import config_document, load_jurisdiction
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.auction import AuctionRules, OneWayRules, Pricing
from carbonbridge.domain.market.money import parse_price
from carbonbridge.domain.market.msr import MsrPolicy
from carbonbridge.domain.market.rules import ExchangeRules, parse_exchange_rules
from carbonbridge.domain.market.surveillance import SurveillanceRules


@dataclass(frozen=True)
class MarketConfig:
    jurisdiction: str
    currency: str
    timezone: str
    exchange: ExchangeRules
    auction: AuctionRules
    auctions_per_year: int
    one_way: OneWayRules
    msr: MsrPolicy
    surveillance: SurveillanceRules
    path: str


def _decimal(table: dict[str, Any], name: str, default: Decimal, file: str, problems: list[Problem]) -> Decimal:
    if name not in table:
        return default
    try:
        return Decimal(str(table[name]))
    except InvalidOperation:
        problems.append(Problem("not a number", file, field=name))
        return default


def _int(table: dict[str, Any], name: str, default: int, file: str, problems: list[Problem]) -> int:
    value = table.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(Problem("must be an integer", file, field=name))
        return default
    return value


@cache
def load_market_config(code: str) -> MarketConfig:
    code = code.upper()
    jurisdiction = load_jurisdiction(code)
    found = config_document("market", f"{code}.toml", override_name=f"market-{code}.toml")
    data, path = found if found is not None else ({}, f"<defaults for {code}>")
    problems: list[Problem] = []
    exchange = parse_exchange_rules(code, jurisdiction.currency, jurisdiction.timezone, data.get("exchange", {}), path)
    a = data.get("auction", {})
    reserve_text = str(a.get("reserve_price", "0"))
    reserve = None if reserve_text in ("0", "") else parse_price(reserve_text)
    share = a.get("max_bidder_share")
    auction = AuctionRules(
        lot_size=_int(a, "lot_size", 500, path, problems),
        reserve_price=reserve,
        max_bidder_share=Decimal(str(share)) if share is not None else None,
        secondary_threshold=_decimal(a, "secondary_threshold", Decimal("0.10"), path, problems),
        carry_over_auctions=_int(a, "carry_over_auctions", 4, path, problems),
    )
    o = data.get("one_way", {})
    one_way = OneWayRules(
        minimum_units=_int(o, "minimum_units", 100_000, path, problems),
        minimum_bid_units=_int(o, "minimum_bid_units", 1_000, path, problems),
        band=_decimal(o, "band", Decimal("0.30"), path, problems),
        pricing=Pricing(o.get("pricing", "uniform")),
    )
    m = data.get("msr", {})
    msr = MsrPolicy(
        upper_threshold=_int(m, "upper_threshold", 833_000_000, path, problems),
        intake_rate=_decimal(m, "intake_rate", Decimal("0.24"), path, problems),
        band_from_year=_int(m, "band_from_year", 2024, path, problems),
        band_top=_int(m, "band_top", 1_096_000_000, path, problems),
        lower_threshold=_int(m, "lower_threshold", 400_000_000, path, problems),
        release=_int(m, "release", 100_000_000, path, problems),
        months=_int(m, "months", 12, path, problems),
    )
    s = data.get("surveillance", {})
    surveillance = SurveillanceRules(
        order_to_trade_max=_decimal(s, "order_to_trade_max", Decimal(20), path, problems),
        order_to_trade_min_orders=_int(s, "order_to_trade_min_orders", 20, path, problems),
        concentration_max=_decimal(s, "concentration_max", Decimal("0.20"), path, problems),
    )
    if problems:
        raise ValidationFailed(problems)
    auction.validate()
    msr.validate()
    per_year = _int(a, "auctions_per_year", 12, path, problems)
    return MarketConfig(
        code,
        jurisdiction.currency,
        jurisdiction.timezone,
        exchange,
        auction,
        per_year,
        one_way,
        msr,
        surveillance,
        path,
    )
