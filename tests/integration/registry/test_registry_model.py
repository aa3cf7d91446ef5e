"""A Hypothesis state machine drives the real registry services against a small reference model.

Invariants after every step: the ledger's holdings equal the model's, every holding is
non-negative, units are conserved (held == issued), the ledger's own conservation check and the
log's hash chains pass, and no pending transfer is ever resolved twice. The same machine runs the
same services on three implementations of the ledger port: the in-memory fake
(testing/memory_ledger.py), SQLite and PostgreSQL; each agrees with the model, so they agree with
each other. On a database each example uses a fresh unit type and fresh accounts in the test's
database; in memory a fresh ledger. Hypothesis prints the failing example's steps (and
`--hypothesis-seed` reproduces a run).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.errors import Conflict, RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.conservation import conservation_problems
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    TransactionState,
    TransactionType,
    UnitKind,
    UnitType,
    unit_type_code,
)
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.transactions import issue, propose
from carbonbridge.services.registry.workflow import approve, cancel, settle_due
from carbonbridge.testing.market import SETUP_LEAD, Market, seed_market
from carbonbridge.testing.memory_ledger import MemoryLedgers

S = TransactionState
POLICY = SecurityPolicy(approval=ApprovalRule.UNTRUSTED, max_consecutive_failures=0)
TRADERS, UNITS_EACH = 4, 50
# Zero, negative, ordinary and huge (up to what a 64-bit ledger column holds) quantities.
QUANTITIES = st.one_of(st.integers(1, 60), st.integers(-3, 0), st.integers(2**40, 2**63 - 1))
START = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
_examples = itertools.count(1)


def policy_for(_: str) -> SecurityPolicy:
    return POLICY


class DatabaseWorld:
    """The registry on SQLite or PostgreSQL: set up by seed_market and the account services."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ledgers = SqlLedgers(app.sessions)

    def seed(self, now: dt.datetime, example: int) -> Market:
        market = seed_market(
            self.app.sessions,
            now=now,
            traders=TRADERS,
            units_each=UNITS_EACH,
            vintage=3000 + example,
            prefix=f"X{example}",
            policy_for=policy_for,
        )
        for source in market.traders[:3]:
            accounts.change_trusted(self.app.sessions, source, market.traders[3], add=False, now=now, actor="model")
        return market

    def held(self, account_id: str, unit_type: str) -> tuple[int, int]:
        found = [h for h in queries.holdings(self.app.sessions, account_id) if h.unit_type == unit_type]
        return (found[0].quantity, found[0].reserved) if found else (0, 0)

    def check(self) -> None:
        report = queries.check(self.app.sessions)
        assert report.ok, report.problems
        assert verify_log(self.app.sessions).ok
        with self.app.engine.connect() as connection:
            twice = connection.execute(
                text(
                    "SELECT transaction_id FROM registry_transaction_events WHERE state IN ('completed', 'terminated') "
                    "GROUP BY transaction_id HAVING count(*) > 1"
                )
            ).all()
        assert twice == [], "a transaction was resolved twice"


class MemoryWorld:
    """The registry on the in-memory ledger: the same market as seed_market's, set up on the fake,
    and the units issued and handed out by the same services."""

    def __init__(self) -> None:
        self.ledgers = MemoryLedgers()

    def seed(self, now: dt.datetime, example: int) -> Market:
        setup, jurisdiction = now - SETUP_LEAD, "BY"
        code = unit_type_code(jurisdiction, UnitKind.ALLOWANCE, 3000 + example)
        self.ledgers.create_unit_type(
            UnitType(code, jurisdiction, UnitKind.ALLOWANCE, 3000 + example, "", TRADERS * UNITS_EACH * 2, 0)
        )
        market = Market(
            jurisdiction,
            code,
            f"{jurisdiction}-NHA",
            tuple(f"{jurisdiction}-X{example}T{i:03d}" for i in range(TRADERS)),
        )
        for account_id in (market.national, *market.traders):
            kind = AccountType.NATIONAL_HOLDING if account_id == market.national else AccountType.TRADING
            self.ledgers.open_account(Account(account_id, jurisdiction, kind, AccountState.OPEN, account_id, None))
            for rep in market.representatives(account_id):
                self.ledgers.add_representative(rep, [account_id])
            for other in market.traders:
                if other != account_id:
                    self.ledgers.change_trusted(account_id, other, add=True, effective_at=setup)
        for source in market.traders[:3]:
            self.ledgers.change_trusted(source, market.traders[3], add=False, effective_at=now)
        admin = market.representatives(market.national)[0]
        issue(
            self.ledgers,
            TransactionRequest(
                f"seed-issue-{code}", TransactionType.ISSUANCE, None, market.national, code, TRADERS * UNITS_EACH, admin
            ),
            now=setup,
        )
        for account_id in market.traders:
            request = TransactionRequest(
                f"seed-{code}-{account_id}",
                TransactionType.TRANSFER,
                market.national,
                account_id,
                code,
                UNITS_EACH,
                admin,
            )
            assert propose(self.ledgers, request, now=now, policy_for=policy_for).state is S.COMPLETED
        return market

    def held(self, account_id: str, unit_type: str) -> tuple[int, int]:
        found = self.ledgers.run(lambda ledger: ledger.holdings(account_id), command="read", now=START)
        return next(((h.quantity, h.reserved) for h in found if h.unit_type == unit_type), (0, 0))

    def check(self) -> None:
        assert conservation_problems(self.ledgers.snapshot()) == []
        assert self.ledgers.verify_log() == []
        assert self.ledgers.resolved_twice() == [], "a transaction was resolved twice"


World = DatabaseWorld | MemoryWorld


@dataclass
class Pending:
    id: str
    source: int
    destination: int
    quantity: int
    initiator: str
    state: S
    delay_until: dt.datetime | None = None
    approver: str | None = None


class RegistryMachine(RuleBasedStateMachine):
    """Traders 0-2 trust each other; transfers to trader 3 need approval and wait for a window."""

    make_world: Any = None  # () -> World, set by the test
    pendings = Bundle("pendings")

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.world: World = self.make_world()
        self.ledgers = self.world.ledgers
        self.market = self.world.seed(self.now, next(_examples))
        self.available = [UNITS_EACH] * TRADERS
        self.reserved = [0] * TRADERS
        self.keys = itertools.count()
        self.resolved: set[str] = set()
        self.requests: list[tuple[TransactionRequest, Any]] = []
        self.pending: dict[str, Pending] = {}
        self.deletion = f"{self.market.jurisdiction}-DELETION"
        self.cap, self.issued = TRADERS * UNITS_EACH * 2, TRADERS * UNITS_EACH  # seed_market's cap and issuance
        self.national = self.deleted = 0  # the seed hands every issued unit to the traders
        self.reversed: set[str] = set()

    def _request(self, source: int, destination: int, quantity: int, rep: int) -> TransactionRequest:
        src = self.market.traders[source]
        return TransactionRequest(
            f"{self.market.unit_type}-{next(self.keys)}",
            TransactionType.TRANSFER,
            src,
            self.market.traders[destination],
            self.market.unit_type,
            quantity,
            self.market.representatives(src)[rep],
        )

    def _send(self, request: TransactionRequest) -> Any:
        try:
            result: Any = propose(self.ledgers, request, now=self.now, policy_for=policy_for)
        except RuleViolation as exc:
            result = exc.code
        self.requests.append((request, result))
        return result

    @rule(source=st.integers(0, 2), destination=st.integers(0, 2), quantity=QUANTITIES)
    def transfer_between_trusted_accounts(self, source: int, destination: int, quantity: int) -> None:
        result = self._send(self._request(source, destination, quantity, 0))
        if quantity <= 0:
            assert result == "R11_INVALID_QUANTITY"
        elif source == destination:
            assert result == "R12_SAME_ACCOUNT"
        elif quantity > self.available[source]:
            assert result == "R01_INSUFFICIENT_UNITS"
        else:
            assert result.state is S.COMPLETED
            self.available[source] -= quantity
            self.available[destination] += quantity

    @rule(target=pendings, source=st.integers(0, 2), quantity=QUANTITIES)
    def propose_transfer_to_untrusted_account(self, source: int, quantity: int) -> Any:
        result = self._send(self._request(source, 3, quantity, 0))
        if quantity <= 0:
            assert result == "R11_INVALID_QUANTITY"
            return None
        if quantity > self.available[source]:
            assert result == "R01_INSUFFICIENT_UNITS"
            return None
        assert result.state is S.PROPOSED
        self.available[source] -= quantity
        self.reserved[source] += quantity
        self.pending[result.id] = Pending(result.id, source, 3, quantity, result.initiator, S.PROPOSED)
        return self.pending[result.id]

    @rule(pending=pendings, self_approval=st.booleans())
    def approve_pending(self, pending: Pending | None, self_approval: bool) -> None:
        if pending is None:
            return
        src = self.market.traders[pending.source]
        approver = pending.initiator if self_approval else self.market.representatives(src)[1]
        try:
            result = approve(self.ledgers, pending.id, approver, now=self.now, policy_for=policy_for)
        except RuleViolation as exc:
            if pending.state is S.PROPOSED:
                assert self_approval and exc.code == "R08_SELF_APPROVAL"
            else:  # repeating an approval returns the transaction's outcome: here, its termination
                assert pending.state is S.TERMINATED and approver == pending.approver
            return
        except Conflict:
            assert pending.state is not S.PROPOSED and approver != pending.approver
            return
        if pending.state is not S.PROPOSED:
            assert approver == pending.approver and result.id == pending.id  # a repeated approval
            return
        assert not self_approval and result.state is S.DELAYED and result.approver == approver
        pending.state, pending.delay_until, pending.approver = S.DELAYED, result.delay_until, approver

    @rule(pending=pendings)
    def cancel_pending(self, pending: Pending | None) -> None:
        if pending is None:
            return
        try:
            result = cancel(self.ledgers, pending.id, pending.initiator, now=self.now)
        except Conflict:
            window_over = pending.delay_until is not None and self.now >= pending.delay_until
            assert pending.state is S.COMPLETED or window_over
            return
        if pending.state is S.TERMINATED:
            assert result.response_code.value == "T01_CANCELLED"  # a repeated cancellation
            return
        assert pending.state in (S.PROPOSED, S.DELAYED) and result.state is S.TERMINATED
        assert pending.id not in self.resolved, "a pending transfer was resolved twice"
        self.resolved.add(pending.id)
        pending.state = S.TERMINATED
        self.reserved[pending.source] -= pending.quantity
        self.available[pending.source] += pending.quantity

    @rule(hours=st.sampled_from([1, 6, 24, 72]))
    def time_passes_and_due_transfers_settle(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)
        for view in settle_due(self.ledgers, now=self.now, policy_for=policy_for):
            if view.source_account not in self.market.traders:
                continue  # left pending by an earlier example in the same database
            assert view.state is S.COMPLETED and view.delay_until is not None and view.delay_until <= self.now
            assert view.id not in self.resolved, "a pending transfer was resolved twice"
            self.resolved.add(view.id)
            source = self.market.traders.index(view.source_account)
            self.reserved[source] -= view.quantity
            self.available[3] += view.quantity
            self.pending[view.id].state = S.COMPLETED

    @rule(quantity=QUANTITIES)
    def issue_into_the_national_account(self, quantity: int) -> None:
        admin = self.market.representatives(self.market.national)[0]
        request = TransactionRequest(
            f"{self.market.unit_type}-{next(self.keys)}",
            TransactionType.ISSUANCE,
            None,
            self.market.national,
            self.market.unit_type,
            quantity,
            admin,
        )
        try:
            result: Any = issue(self.ledgers, request, now=self.now)
        except RuleViolation as exc:
            result = exc.code
        self.requests.append((request, result))
        if quantity <= 0:
            assert result == "R11_INVALID_QUANTITY"
        elif self.issued + quantity > self.cap:
            assert result == "R09_CAP_EXCEEDED"
        else:
            assert result.state is S.COMPLETED
            self.issued += quantity
            self.national += quantity

    @rule(
        source=st.integers(0, 2),
        quantity=QUANTITIES,
        kind=st.sampled_from(
            [
                TransactionType.DELETION,
                TransactionType.CANCELLATION,
                TransactionType.SURRENDER,
                TransactionType.ALLOCATION,
                TransactionType.RETURN,
            ]
        ),
    )
    def send_to_the_deletion_account(self, source: int, quantity: int, kind: TransactionType) -> None:
        """Deletion and cancellation from a trading account complete at once; a surrender, an
        allocation or a return from a trading account is the wrong account type (R10)."""
        src = self.market.traders[source]
        installation = ("I-none", 2026) if kind is TransactionType.SURRENDER else (None, None)
        request = TransactionRequest(
            f"{self.market.unit_type}-{next(self.keys)}",
            kind,
            src,
            self.deletion,
            self.market.unit_type,
            quantity,
            self.market.representatives(src)[0],
            installation_id=installation[0],
            compliance_year=installation[1],
        )
        result = self._send(request)
        if quantity <= 0:
            assert result == "R11_INVALID_QUANTITY"
        elif kind is TransactionType.RETURN:  # initiated by the national administrator only
            assert result == "R06_REPRESENTATIVE_NOT_AUTHORISED"
        elif kind not in (TransactionType.DELETION, TransactionType.CANCELLATION):
            assert result == "R10_WRONG_ACCOUNT_TYPE"
        elif quantity > self.available[source]:
            assert result == "R01_INSUFFICIENT_UNITS"
        else:
            assert result.state is S.COMPLETED
            self.available[source] -= quantity
            self.deleted += quantity

    @rule(index=st.integers(0, 10_000))
    def reverse_a_completed_transfer(self, index: int) -> None:
        """The registry administrator reverses a completed transfer between traders: the units go
        back if the destination still holds them; a second reversal is refused (R14)."""
        done = [
            (r, v)
            for r, v in self.requests
            if not isinstance(v, str)
            and v.state is S.COMPLETED
            and r.type is TransactionType.TRANSFER
            and r.destination_account in self.market.traders[:3]
        ]
        if not done:
            return
        original, view = done[index % len(done)]
        admin = self.market.representatives(self.market.national)[0]
        request = TransactionRequest(
            f"{self.market.unit_type}-{next(self.keys)}",
            TransactionType.REVERSAL,
            original.destination_account,
            original.source_account or "",
            original.unit_type,
            original.quantity,
            admin,
            reverses=view.id,
        )
        result = self._send(request)
        source = self.market.traders.index(original.destination_account)
        destination = self.market.traders.index(original.source_account or "")
        if view.id in self.reversed:
            assert result == "R14_NOT_REVERSIBLE"
        elif original.quantity > self.available[source]:
            assert result == "R01_INSUFFICIENT_UNITS"
        else:
            assert result.state is S.COMPLETED
            self.reversed.add(view.id)
            self.available[source] -= original.quantity
            self.available[destination] += original.quantity

    @rule(index=st.integers(0, 10_000))
    def repeat_an_earlier_command(self, index: int) -> None:
        if not self.requests:
            return
        request, first = self.requests[index % len(self.requests)]
        try:
            again: Any = propose(self.ledgers, request, now=self.now, policy_for=policy_for)
        except RuleViolation as exc:
            again = exc.code
        if isinstance(first, str):
            assert again == first  # the same refusal
        else:
            assert not isinstance(again, str) and again.id == first.id  # the same transaction, in its current state

    @invariant()
    def holdings_match_the_model_and_units_are_conserved(self) -> None:
        for n, account_id in enumerate(self.market.traders):
            quantity, reserved = self.world.held(account_id, self.market.unit_type)
            assert (quantity, reserved) == (self.available[n] + self.reserved[n], self.reserved[n])
            assert quantity >= reserved >= 0
        # the national account serves every example's unit type (on a database)
        assert self.world.held(self.market.national, self.market.unit_type)[0] == self.national
        assert sum(self.available) + sum(self.reserved) + self.national + self.deleted == self.issued

    def teardown(self) -> None:
        self.world.check()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> Iterator[Any]:
    """How the machine gets a fresh registry for each example: a new in-memory ledger, or a database
    (one per test; each example then uses fresh accounts and a fresh unit type in it)."""
    if request.param == "memory":
        yield MemoryWorld
        return
    from carbonbridge.entrypoints.bootstrap import build_app

    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    app = build_app(url, upgrade=True)
    yield lambda: DatabaseWorld(app)
    app.engine.dispose()


EXAMPLES = {"memory": 150, "sqlite": 30, "postgresql": 15}


def test_registry_services_agree_with_the_reference_model(world: Any, request: pytest.FixtureRequest) -> None:
    RegistryMachine.make_world = staticmethod(world)
    backend = request.node.callspec.params["world"]
    run_state_machine_as_test(
        RegistryMachine,
        settings=settings(
            max_examples=EXAMPLES[backend],
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
