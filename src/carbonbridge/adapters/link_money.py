"""Money across the link, configuration and files: data/link/money-BY-CN.toml (calendars, the rate's
source, joint auction rules; CARBONBRIDGE_CONFIG/link-money-BY-CN.toml overrides it) and the
reader of NBRB rate files (JSON in the NBRB API's shape, read from a local file: no network)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from carbonbridge.adapters.config import config_document
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.market.auction import AuctionRules
from carbonbridge.domain.market.fx import MOVABLE_HOLIDAYS, Calendar, OfficialRate, parse_nbrb

MONEY_FILE = "money-BY-CN.toml"


@dataclass(frozen=True, slots=True)
class MoneyConfig:
    currency: str
    base: str
    source: str
    calendars: dict[str, Calendar]
    joint_rules: AuctionRules
    path: str


def _calendar(code: str, table: Any, path: str, problems: list[Problem]) -> Calendar:
    if not isinstance(table, dict):
        problems.append(Problem("must be a table", path, field=f"calendar.{code}"))
        return Calendar(code, frozenset())
    holidays = table.get("holidays", [])
    if not isinstance(holidays, list) or not all(isinstance(d, dt.date) for d in holidays):
        problems.append(Problem("must be a list of dates", path, field=f"calendar.{code}.holidays"))
        holidays = []
    movable = table.get("movable", [])
    if not isinstance(movable, list) or any(name not in MOVABLE_HOLIDAYS for name in movable):
        known = ", ".join(sorted(MOVABLE_HOLIDAYS))
        problems.append(Problem(f"must be a list of names among: {known}", path, field=f"calendar.{code}.movable"))
        movable = []
    years = sorted({d.year for d in holidays})  # a movable holiday in every year the list covers
    computed = {MOVABLE_HOLIDAYS[name](year) for name in movable for year in years}
    return Calendar(code, frozenset(holidays) | computed, source=str(table.get("source", "")))


@cache
def load_money_config() -> MoneyConfig:
    found = config_document("link", MONEY_FILE, override_name=f"link-{MONEY_FILE}")
    if found is None:
        raise NotFound(f"no link/{MONEY_FILE}")
    data, path = found
    problems: list[Problem] = []
    rate = data.get("rate", {})
    calendars = {code: _calendar(code, table, path, problems) for code, table in data.get("calendar", {}).items()}
    joint = data.get("joint_auction", {})
    lot_size = joint.get("lot_size")
    if not isinstance(lot_size, int) or isinstance(lot_size, bool) or lot_size <= 0:
        problems.append(Problem("must be a positive whole number of allowances", path, field="joint_auction.lot_size"))
        lot_size = 1
    share: Decimal | None = None
    if "max_bidder_share" in joint:
        try:
            share = Decimal(str(joint["max_bidder_share"]))
        except InvalidOperation:
            problems.append(Problem("not a number", path, field="joint_auction.max_bidder_share"))
    for name in ("currency", "base", "source"):
        if not isinstance(rate.get(name), str):
            problems.append(Problem("must be text", path, field=f"rate.{name}"))
    if problems:
        raise ValidationFailed(problems)
    rules = AuctionRules(lot_size=lot_size, max_bidder_share=share)
    rules.validate()
    return MoneyConfig(rate["currency"], rate["base"], rate["source"], calendars, rules, path)


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
