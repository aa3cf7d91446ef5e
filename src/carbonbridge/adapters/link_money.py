"""Money across the link, configuration and files: data/link/money-BY-CN.toml (calendars, the rate's
source, joint auction rules; CARBONBRIDGE_CONFIG/link-money-BY-CN.toml overrides it) and the
reader of NBRB rate files (JSON in the NBRB API's shape, read from a local file: no network).

The money file is parsed by `MoneyFile`, a Pydantic model that refuses unknown keys
(adapters/config_schema.py): every problem of the file at once, with the file, the field path
from its root (`calendar.BY.movable[0]`) and what was expected; the joint auction's rules are
then checked by the domain (`AuctionRules.validate`) and located in the file too."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from carbonbridge.adapters.config import config_document
from carbonbridge.adapters.config_schema import FileModel, Number, domain_problems, one_of, parse_file
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.market.auction import AuctionRules
from carbonbridge.domain.market.fx import MOVABLE_HOLIDAYS, Calendar, OfficialRate, parse_nbrb

MONEY_FILE = "money-BY-CN.toml"

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Jurisdiction = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


@dataclass(frozen=True, slots=True)
class MoneyConfig:
    currency: str
    base: str
    source: str
    calendars: dict[str, Calendar]
    joint_rules: AuctionRules
    path: str


class RateTable(FileModel):
    """`[rate]`: the official rate, `base` per unit (or per the records' scale) of `currency`."""

    currency: Currency
    base: Currency
    source: Annotated[str, Field(min_length=1)]


class CalendarTable(FileModel):
    """`[calendar.<CODE>]`: the listed public holidays, and the movable ones computed in every
    year the list covers (`MOVABLE_HOLIDAYS`)."""

    source: str = ""
    holidays: list[dt.date] = Field(default_factory=list)
    movable: list[Annotated[str, one_of(sorted(MOVABLE_HOLIDAYS))]] = Field(default_factory=list)

    def calendar(self, code: str) -> Calendar:
        years = sorted({d.year for d in self.holidays})
        computed = {MOVABLE_HOLIDAYS[name](year) for name in self.movable for year in years}
        return Calendar(code, frozenset(self.holidays) | computed, source=self.source)


class JointAuctionTable(FileModel):
    """`[joint_auction]` (`AuctionRules` of the joint auctions): the lot, the largest share of the
    volume one bidder may win ("0.5", exact)."""

    lot_size: int
    max_bidder_share: Number | None = None


class MoneyFile(FileModel):
    """data/link/money-BY-CN.toml."""

    rate: RateTable
    calendar: dict[Jurisdiction, CalendarTable] = Field(default_factory=dict)
    joint_auction: JointAuctionTable


def parse_money_config(data: Mapping[str, Any], *, file: str) -> MoneyConfig:
    """The money file's configuration; every problem at once."""
    parsed = parse_file(MoneyFile, data, file)
    joint = parsed.joint_auction
    rules = AuctionRules(lot_size=joint.lot_size, max_bidder_share=joint.max_bidder_share)
    problems = domain_problems(rules.validate, "joint_auction", file)
    if problems:
        raise ValidationFailed(problems)
    calendars = {code: table.calendar(code) for code, table in parsed.calendar.items()}
    rate = parsed.rate
    return MoneyConfig(rate.currency, rate.base, rate.source, calendars, rules, file)


@cache
def load_money_config() -> MoneyConfig:
    found = config_document("link", MONEY_FILE, override_name=f"link-{MONEY_FILE}")
    if found is None:
        raise NotFound(f"no link/{MONEY_FILE}")
    data, path = found
    return parse_money_config(data, file=path)


def calendar_of(jurisdiction: str) -> Calendar:
    found = load_money_config().calendars.get(jurisdiction)
    if found is None:
        raise NotFound(f"no business-day calendar for {jurisdiction} in link/{MONEY_FILE}")
    return found


def read_nbrb_file(path: Path) -> list[OfficialRate]:
    """The rates of the configured currency in a JSON file of NBRB rate objects (numbers read as
    exact decimals, never floats)."""
    config = load_money_config()
    try:
        records = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed([Problem(f"cannot read: {exc}", str(path))]) from exc
    source = f"{config.source}; file {path.name}"[:200]
    return parse_nbrb(records, str(path), currency=config.currency, base=config.base, source=source)
