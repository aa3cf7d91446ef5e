"""Market configuration per jurisdiction: data/market/<J>.toml (CARBONBRIDGE_CONFIG overrides,
as market-<J>.toml), with the tables `[exchange]`, `[auction]`, `[one_way]`, `[msr]` and
`[surveillance]`, each optional.

The file's shape is `MarketFile`: Pydantic models that refuse unknown keys, with the type of every
field, so that every problem of a file is named at once (file, field path such as
`exchange.sessions[0][1]`, what was expected). A value the file leaves out takes the domain's
default (the rule objects' own defaults: `ExchangeRules`, `AuctionRules`, `OneWayRules`,
`MsrPolicy`, `SurveillanceRules`), and the domain's consistency rules (`AuctionRules.validate`,
`MsrPolicy.validate`) are reported against the file's fields too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from carbonbridge.adapters.config import config_document, load_jurisdiction
from carbonbridge.adapters.config_schema import Date, FileModel, Number, Time, domain_problems, one_of, parse_file
from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.jurisdiction import Jurisdiction
from carbonbridge.domain.market.auction import AuctionRules, OneWayRules, Pricing
from carbonbridge.domain.market.book import StpMode
from carbonbridge.domain.market.money import parse_price
from carbonbridge.domain.market.msr import MsrPolicy
from carbonbridge.domain.market.rules import ExchangeRules, TradingSession
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


def _pair(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError('expected a session [start, end], e.g. ["09:30", "11:30"]')
    return value


def _ordered(value: list[dt.time]) -> list[dt.time]:
    start, end = value
    if start >= end:
        raise ValueError(f"session {start:%H:%M}-{end:%H:%M} ends before it starts")
    return value


def _price(value: Any) -> Any:
    """A reserve price as text ("79.50") or a number; 0 or "" for none."""
    if value in ("", "0", 0):
        return None
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        return parse_price(str(value))  # its ValueError says what a price is
    return value


Session = Annotated[list[Time], BeforeValidator(_pair), AfterValidator(_ordered)]
Band = Annotated[Number, Field(gt=0, lt=1)]  # a share of the previous close, e.g. "0.10"
Count = Annotated[int, Field(ge=1)]


class ExchangeTable(FileModel):
    """`[exchange]`: tick, price bands, block trades, sessions, holidays, fees, self-trade
    prevention. A key left out (None) keeps the domain's default (`ExchangeRules`)."""

    sources: list[str] | None = None
    tick: Count | None = None  # minor units
    listing_band: Band | None = None
    block_band: Band | None = None
    block_minimum: Count | None = None
    sessions: list[Session] | None = None
    block_sessions: list[Session] | None = None
    holidays: list[Date] | None = None
    weekend: list[Annotated[int, Field(ge=0, le=6)]] | None = None  # weekdays without trading, Monday 0
    fee_bp: Annotated[int, Field(ge=0)] | None = None
    stp: Annotated[str, one_of(m.value for m in StpMode)] | None = None


class AuctionTable(FileModel):
    """`[auction]` (`AuctionRules`), and how many auctions a year the calendar plans."""

    lot_size: int | None = None
    reserve_price: Annotated[int | None, BeforeValidator(_price)] = None
    max_bidder_share: Number | None = None
    secondary_threshold: Number | None = None
    carry_over_auctions: int | None = None
    auctions_per_year: Count = 12


class OneWayTable(FileModel):
    """`[one_way]`: one-way bidding for a large seller (`OneWayRules`)."""

    minimum_units: int | None = None
    minimum_bid_units: int | None = None
    band: Number | None = None
    pricing: Annotated[str, one_of(p.value for p in Pricing)] | None = None


class MsrTable(FileModel):
    """`[msr]`: the market stability reserve (`MsrPolicy`)."""

    upper_threshold: int | None = None
    intake_rate: Number | None = None
    band_from_year: int | None = None
    band_top: int | None = None
    lower_threshold: int | None = None
    release: int | None = None
    months: int | None = None


class SurveillanceTable(FileModel):
    """`[surveillance]`: the thresholds of market surveillance (`SurveillanceRules`)."""

    order_to_trade_max: Number | None = None
    order_to_trade_min_orders: int | None = None
    concentration_max: Number | None = None


class MarketFile(FileModel):
    exchange: ExchangeTable = ExchangeTable()
    auction: AuctionTable = AuctionTable()
    one_way: OneWayTable = OneWayTable()
    msr: MsrTable = MsrTable()
    surveillance: SurveillanceTable = SurveillanceTable()


def _written(
    table: FileModel, convert: Mapping[str, Callable[[Any], Any]] | None = None, *, omit: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The values the file wrote, converted for the domain; the rest keep the domain's defaults."""
    convert = convert or {}
    values = {name: getattr(table, name) for name in type(table).model_fields if name not in omit}
    return {name: convert.get(name, lambda v: v)(value) for name, value in values.items() if value is not None}


def _sessions(pairs: list[list[dt.time]]) -> tuple[TradingSession, ...]:
    return tuple(TradingSession(start, end) for start, end in pairs)


def parse_market_config(data: Mapping[str, Any], *, file: str, jurisdiction: Jurisdiction) -> MarketConfig:
    """A market file of `jurisdiction` (its currency and time zone); every problem at once."""
    parsed = parse_file(MarketFile, data, file)
    exchange = ExchangeRules(
        jurisdiction.code,
        jurisdiction.currency,
        jurisdiction.timezone,
        **_written(
            parsed.exchange,
            {
                "sessions": _sessions,
                "block_sessions": _sessions,
                "holidays": frozenset,
                "weekend": frozenset,
                "stp": StpMode,
                "sources": tuple,
            },
        ),
    )
    auction = AuctionRules(**_written(parsed.auction, omit=frozenset({"auctions_per_year"})))
    one_way = OneWayRules(**_written(parsed.one_way, {"pricing": Pricing}))
    msr = MsrPolicy(**_written(parsed.msr))
    surveillance = SurveillanceRules(**_written(parsed.surveillance))
    problems = domain_problems(auction.validate, "auction", file) + domain_problems(msr.validate, "msr", file)
    if problems:
        raise ValidationFailed(problems)
    return MarketConfig(
        jurisdiction.code,
        jurisdiction.currency,
        jurisdiction.timezone,
        exchange,
        auction,
        parsed.auction.auctions_per_year,
        one_way,
        msr,
        surveillance,
        file,
    )


@cache
def load_market_config(code: str) -> MarketConfig:
    code = code.upper()
    jurisdiction = load_jurisdiction(code)
    found = config_document("market", f"{code}.toml", override_name=f"market-{code}.toml")
    data, path = found if found is not None else ({}, f"<defaults for {code}>")
    return parse_market_config(data, file=path, jurisdiction=jurisdiction)
