"""What the web tests add to tests/api_world.py: BY-T1 admitted to the BY exchange with cash."""

from __future__ import annotations

import datetime as dt
from typing import Any

TRADER_PARTICIPANT = "P-BY-T1"
TRADER_DEPOSIT_MINOR = 1_000_000  # 10,000.00 BYN


def admit_trader(sessions: Any, now: dt.datetime) -> None:
    """BY-T1 (200 units after api_world.fund) trades on the BY exchange with 10,000 BYN deposited."""
    from carbonbridge.services.market import cash
    from carbonbridge.services.market.participants import admit, open_market

    setup = now - dt.timedelta(days=30)
    open_market(sessions, "BY", now=setup, national_account="BY-NHA")
    admit(sessions, TRADER_PARTICIPANT, "BY", "trader 1", "BY-T1", now=setup)
    cash.deposit(
        sessions, TRADER_PARTICIPANT, "BY", "BYN", TRADER_DEPOSIT_MINOR, f"deposit-{TRADER_PARTICIPANT}", setup
    )
