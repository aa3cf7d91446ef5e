"""What the web tests add to tests/api_world.py: BY-T1 admitted to the BY exchange with cash, allocation
decisions and a reconciliation run for the oversight pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

TRADER_PARTICIPANT = "P-BY-T1"
BUYER_PARTICIPANT = "P-BY-T2"  # the user "other" trades for BY-T2
TRADER_DEPOSIT_MINOR = 1_000_000  # 10,000.00 BYN


def admit_trader(sessions: Any, now: dt.datetime) -> None:
    """BY-T1 (200 units after api_world.fund) and BY-T2 trade on the BY exchange, 10,000 BYN each."""
    from carbonbridge.services.market import cash
    from carbonbridge.services.market.participants import admit, open_market

    setup = now - dt.timedelta(days=30)
    open_market(sessions, "BY", now=setup, national_account="BY-NHA")
    admit(sessions, TRADER_PARTICIPANT, "BY", "trader 1", "BY-T1", now=setup)
    admit(sessions, BUYER_PARTICIPANT, "BY", "trader 2", "BY-T2", now=setup)
    for participant in (TRADER_PARTICIPANT, BUYER_PARTICIPANT):
        cash.deposit(sessions, participant, "BY", "BYN", TRADER_DEPOSIT_MINOR, f"deposit-{participant}", setup)


def post_allocations(sessions: Any, year: int, allocations: dict[str, int], at: dt.datetime) -> None:
    """Ex ante allocation decisions of BY installations for `year`, as the allocation service records them."""
    from carbonbridge.adapters.db.compliance_models import AllocationEntryRow
    from carbonbridge.adapters.db.uow import unit_of_work

    with unit_of_work(sessions) as session:
        for installation, allocation_t in allocations.items():
            session.add(
                AllocationEntryRow(
                    jurisdiction="BY",
                    year=year,
                    installation_id=installation,
                    phase="ex_ante",
                    basis="clinker",
                    allocation_t=allocation_t,
                    delivered_t=allocation_t,
                    deducted_t=0,
                    debt_t=0,
                    detail={},
                    created_at=at,
                    actor="test",
                )
            )


def reconcile_with_own_other_side(sessions: Any, now: dt.datetime) -> str:
    """A reconciliation run of BY against the CN side of the same database (their totals differ)."""
    from carbonbridge.services import link_reconcile

    return link_reconcile.run(sessions, "BY", link_reconcile.snapshot(sessions, "CN"), now=now).status.value
