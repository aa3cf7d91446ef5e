"""The market over the API test world (api_world): BY participants for the trader (BY-T1), the
other trader (BY-T2) and the operator (BY-OP1) with cash, a scheduled BY auction, and a CN
participant with an open order (a foreign object for the BY administrators). Set up with the
services, as an administrator does with the CLI; driven through HTTP by the tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api_world import UNIT, World
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.registry.model import AccountType
from carbonbridge.services.market import auctions, cash, order_entry
from carbonbridge.services.market.participants import admit, open_market
from carbonbridge.services.registry import accounts

MARKET_OPEN = dt.datetime(2026, 3, 31, 7, 0, 7, tzinfo=dt.UTC)  # 10:00 in Minsk, a Tuesday: the BY session runs
CN_TRADING = dt.datetime(2026, 3, 31, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
PARTICIPANTS = {"P-BY-T1": "BY-T1", "P-BY-T2": "BY-T2", "P-BY-OP1": "BY-OP1"}
CASH_MINOR = 10_000_000  # 100,000.00 BYN each


def seed_market_api(w: World, *, auction: bool = True) -> dict[str, Any]:
    """Admit the BY participants with cash, schedule one BY auction (500 units from BY-NHA, which
    `fund` must have issued), and a CN participant with one open buy order. Returns the ids."""
    sessions = w.core.sessions
    setup = w.clock.now - dt.timedelta(days=20)
    open_market(sessions, "BY", now=setup, national_account="BY-NHA")
    for pid, account in PARTICIPANTS.items():
        admit(sessions, pid, "BY", f"participant {account}", account, now=setup)
        cash.deposit(sessions, pid, "BY", "BYN", CASH_MINOR, f"seed-{pid}", setup)
    found: dict[str, Any] = {}
    if auction:
        day = (w.clock.now + dt.timedelta(days=7)).date()
        found["auction"] = auctions.schedule(sessions, "BY", UNIT, "BY-NHA", [day], 500, now=w.clock.now)[0].id
    open_market(sessions, "CN", now=setup, national_account="CN-NHA")
    accounts.open_account(sessions, "CN-T1", "CN", AccountType.TRADING, "CN trader", now=setup)
    admit(sessions, "P-CN-T1", "CN", "CN trader", "CN-T1", now=setup)
    cash.deposit(sessions, "P-CN-T1", "CN", "CNY", CASH_MINOR, "seed-P-CN-T1", setup)
    cn = order_entry.OrderRequest("CN-AL-2026", "P-CN-T1", Side.BUY, OrderType.LIMIT, 10, 5000)
    found["cn_order"] = order_entry.place(sessions, cn, "seed-cn-order", now=CN_TRADING, actor="setup").id
    return found


def rest_order(w: World, participant: str, side: Side, quantity: int, price: int, key: str) -> str:
    """A resting limit order placed with the service at the world's clock (for fixtures)."""
    request = order_entry.OrderRequest(UNIT, participant, side, OrderType.LIMIT, quantity, price)
    return order_entry.place(w.core.sessions, request, key, now=w.clock.now, actor="setup").id
