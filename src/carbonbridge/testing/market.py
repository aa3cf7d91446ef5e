"""A small, clearly synthetic registry market for demos, tests and benchmarks: one jurisdiction, a
national holding account, N trading accounts with two representatives each, full trusted lists
(effective in the past), and units issued and handed out through the real use cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carbonbridge.adapters.db.registry.ledger import Sessions, SqlLedgers
from carbonbridge.adapters.policy_config import load_policy
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountType, TransactionState, TransactionType, UnitKind
from carbonbridge.services.registry import accounts, transactions, workflow
from carbonbridge.services.registry.ports import PolicyFor

SETUP_LEAD = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Market:
    jurisdiction: str
    unit_type: str
    national: str
    traders: tuple[str, ...]

    def representatives(self, account_id: str) -> tuple[str, str]:
        return f"{account_id}-rep-a", f"{account_id}-rep-b"


def seed_market(
    sessions: Sessions,
    *,
    now: dt.datetime,
    jurisdiction: str = "BY",
    traders: int = 10,
    units_each: int = 1000,
    vintage: int = 2026,
    trusted: bool = True,
    prefix: str = "",
    policy_for: PolicyFor = load_policy,
) -> Market:
    """Set the market up as of `now - 30 days` and hand every trader `units_each` units."""
    setup = now - SETUP_LEAD
    unit = accounts.create_unit_type(
        sessions, jurisdiction, UnitKind.ALLOWANCE, vintage, traders * units_each * 2, now=setup
    )
    national = f"{jurisdiction}-NHA"
    accounts.open_account(
        sessions, national, jurisdiction, AccountType.NATIONAL_HOLDING, "competent authority", now=setup
    )
    ids = tuple(f"{jurisdiction}-{prefix}T{i:03d}" for i in range(traders))
    market = Market(jurisdiction, unit.code, national, ids)
    for account_id in (national, *ids):
        if account_id != national:
            accounts.open_account(
                sessions, account_id, jurisdiction, AccountType.TRADING, f"holder of {account_id}", now=setup
            )
        for rep in market.representatives(account_id):
            accounts.add_representative(sessions, rep, rep, [account_id], now=setup)
    if trusted:
        for account_id in (national, *ids):
            for other in ids:
                if other != account_id:
                    accounts.change_trusted(
                        sessions, account_id, other, add=True, now=setup, actor="seed", policy_for=policy_for
                    )
    admin_a, admin_b = market.representatives(national)
    transactions.issue(
        SqlLedgers(sessions),
        TransactionRequest(
            f"seed-issue-{unit.code}",
            TransactionType.ISSUANCE,
            None,
            national,
            unit.code,
            traders * units_each,
            admin_a,
        ),
        now=setup,
    )
    for account_id in ids:
        key = f"seed-{unit.code}-{account_id}"
        request = TransactionRequest(
            key, TransactionType.TRANSFER, national, account_id, unit.code, units_each, admin_a
        )
        result = transactions.propose(SqlLedgers(sessions), request, now=now, policy_for=policy_for)
        if result.state is TransactionState.PROPOSED:
            result = workflow.approve(SqlLedgers(sessions), result.id, admin_b, now=now, policy_for=policy_for)
        if result.state is TransactionState.DELAYED:
            workflow.settle_due(SqlLedgers(sessions), now=result.delay_until or now, policy_for=policy_for)
    return market
