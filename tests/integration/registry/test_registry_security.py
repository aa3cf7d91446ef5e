"""The security controls as properties of the real services, on SQLite and PostgreSQL.

No completed transfer was approved by its initiator; no transfer to an account off the trusted
list completes before its delay window ends; cancelling in the window restores the holding.
Each example gets a fresh unit type and accounts inside the test's database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.registry.rows import utc
from carbonbridge.domain.errors import Conflict, RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.transactions import propose
from carbonbridge.services.registry.workflow import approve, cancel, settle_due
from carbonbridge.testing.market import Market, seed_market

S = TransactionState
START = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
POLICIES = {
    "always": SecurityPolicy(max_consecutive_failures=0),
    "untrusted": SecurityPolicy(approval=ApprovalRule.UNTRUSTED, max_consecutive_failures=0),
}
_examples = itertools.count(1)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


def _market(app: Any, rule: str) -> Market:
    n = next(_examples)
    market = seed_market(
        app.sessions,
        now=START,
        traders=3,
        units_each=100,
        vintage=4000 + n,
        prefix=f"S{n}",
        policy_for=lambda _: POLICIES[rule],
    )
    accounts.change_trusted(app.sessions, market.traders[0], market.traders[2], add=False, now=START, actor="t")
    return market


def _propose(app: Any, market: Market, key: str, destination: int, quantity: int, rule: str, at: dt.datetime) -> Any:
    source = market.traders[0]
    request = TransactionRequest(
        f"{market.unit_type}-{key}",
        TransactionType.TRANSFER,
        source,
        market.traders[destination],
        market.unit_type,
        quantity,
        market.representatives(source)[0],
    )
    return propose(SqlLedgers(app.sessions), request, now=at, policy_for=lambda _: POLICIES[rule])


def _rows(app: Any, market: Market) -> list[Any]:
    with app.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT initiator, approver, state, delay_until, resolved_at, destination_account "
                    "FROM registry_transactions WHERE unit_type = :u AND type = 'transfer' AND client_key LIKE :k"
                ),
                {"u": market.unit_type, "k": f"{market.unit_type}-%"},
            )
        )


@SETTINGS
@given(
    approvers=st.lists(st.sampled_from(["initiator", "second", "outsider"]), min_size=1, max_size=4),
    rule=st.sampled_from(sorted(POLICIES)),
    destination=st.sampled_from([1, 2]),
)
def test_no_completed_transfer_was_approved_by_its_initiator(
    app: Any, approvers: list[str], rule: str, destination: int
) -> None:
    market = _market(app, rule)
    pending = _propose(app, market, "t", destination, 10, rule, START)
    source = market.traders[0]
    reps = {
        "initiator": market.representatives(source)[0],
        "second": market.representatives(source)[1],
        "outsider": market.representatives(market.traders[1])[1],
    }
    for who in approvers:
        with contextlib.suppress(RuleViolation, Conflict):  # refusals are expected; the property is below
            approve(SqlLedgers(app.sessions), pending.id, reps[who], now=START, policy_for=lambda _: POLICIES[rule])
    for initiator, approver, state, *_ in _rows(app, market):
        if state == S.COMPLETED.value and (rule == "always" or destination == 2):
            assert approver is not None and approver != initiator


@SETTINGS
@given(approve_after=st.integers(0, 96), settle_after=st.lists(st.integers(0, 120), min_size=1, max_size=4))
def test_no_transfer_to_an_untrusted_account_completes_before_its_window(
    app: Any, approve_after: int, settle_after: list[int]
) -> None:
    market = _market(app, "untrusted")
    approved_at = START + dt.timedelta(hours=approve_after)
    pending = _propose(app, market, "t", 2, 10, "untrusted", START)
    approve(
        SqlLedgers(app.sessions),
        pending.id,
        market.representatives(market.traders[0])[1],
        now=approved_at,
        policy_for=lambda _: POLICIES["untrusted"],
    )
    for hours in sorted(settle_after):
        later = approved_at + dt.timedelta(hours=hours)
        settle_due(SqlLedgers(app.sessions), now=later, policy_for=lambda _: POLICIES["untrusted"])
    for _, _, state, delay_until, resolved_at, _ in _rows(app, market):
        if state == S.COMPLETED.value:
            assert delay_until is not None and utc(resolved_at) >= utc(delay_until)  # type: ignore[operator]


def _merged(blocks: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """The serial ranges held, with adjacent blocks joined (a split block stays split after a cancel)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(blocks):
        if merged and merged[-1][1] + 1 == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


@SETTINGS
@given(quantity=st.integers(1, 100), approve_first=st.booleans(), cancel_after_minutes=st.integers(0, 600))
def test_cancelling_in_the_delay_window_restores_the_holding(
    app: Any, quantity: int, approve_first: bool, cancel_after_minutes: int
) -> None:
    market = _market(app, "untrusted")
    source = market.traders[0]
    before = [(h.quantity, h.reserved, _merged(h.blocks)) for h in queries.holdings(app.sessions, source)]
    pending = _propose(app, market, "t", 2, quantity, "untrusted", START)
    if approve_first:
        pending = approve(
            SqlLedgers(app.sessions),
            pending.id,
            market.representatives(source)[1],
            now=START,
            policy_for=lambda _: POLICIES["untrusted"],
        )
    at = START + dt.timedelta(minutes=cancel_after_minutes)
    if pending.delay_until is not None and at >= pending.delay_until:
        return  # outside the window: covered by the ledger tests
    cancelled = cancel(SqlLedgers(app.sessions), pending.id, market.representatives(source)[1], now=at)
    assert cancelled.state is S.TERMINATED
    after = [(h.quantity, h.reserved, _merged(h.blocks)) for h in queries.holdings(app.sessions, source)]
    assert after == before
