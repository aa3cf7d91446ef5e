"""A small, clearly synthetic market for tests and benchmarks: the registry's seeded traders,
admitted as market participants (trusted lists effective), each with cash deposited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.services.market import cash
from carbonbridge.services.market.participants import admit, open_market
from carbonbridge.testing.market import SETUP_LEAD, Market, seed_market


@dataclass(frozen=True, slots=True)
class SeededMarket:
    registry: Market
    participants: tuple[str, ...]
    currency: str


def participant_of(account: str) -> str:
    return f"P-{account}"


def seed_trading(
    sessions: Sessions,
    *,
    now: dt.datetime,
    jurisdiction: str = "CN",
    traders: int = 6,
    units_each: int = 10_000,
    cash_each: int = 100_000_000,
    vintage: int = 2025,
) -> SeededMarket:
    """Registry traders with `units_each` units and `cash_each` minor units each, admitted 30 days
    before `now` (so the trusted-list entries of admission are in effect)."""
    registry = seed_market(
        sessions, now=now, jurisdiction=jurisdiction, traders=traders, units_each=units_each, vintage=vintage
    )
    setup = now - SETUP_LEAD
    open_market(sessions, jurisdiction, now=setup, national_account=registry.national)
    currency = load_market_config(jurisdiction).currency
    people = []
    for account in registry.traders:
        pid = participant_of(account)
        admit(sessions, pid, jurisdiction, f"trader {account}", account, now=setup)
        cash.deposit(sessions, pid, jurisdiction, currency, cash_each, f"seed-deposit-{pid}", setup)
        people.append(pid)
    return SeededMarket(registry, tuple(people), currency)
