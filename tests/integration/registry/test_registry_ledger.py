"""The registry's use cases on SQLite and PostgreSQL: issuance, transfers, controls, compliance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.models import EmissionReportRow, InstallationRow, VerificationRow
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.errors import Conflict, IdempotencyConflict, RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.compliance import ComplianceStatus
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services import compliance
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.transactions import propose
from carbonbridge.services.registry.workflow import approve, cancel, settle_due
from carbonbridge.testing.market import Market, seed_market

S = TransactionState
FOUR_EYES = SecurityPolicy(transfer_limit_units=5000)
TRUSTED_ONLY_FOUR_EYES = SecurityPolicy(approval=ApprovalRule.UNTRUSTED, transfer_limit_units=5000)


def four_eyes(_: str) -> SecurityPolicy:
    return FOUR_EYES


def untrusted_four_eyes(_: str) -> SecurityPolicy:
    return TRUSTED_ONLY_FOUR_EYES


@pytest.fixture
def market(app: Any, now: dt.datetime) -> Market:
    return seed_market(app.sessions, now=now, traders=4, units_each=1000, policy_for=four_eyes)


def transfer(
    app: Any,
    market: Market,
    key: str,
    source: int,
    destination: int,
    quantity: int,
    now: dt.datetime,
    rep: int = 0,
    policy: Any = four_eyes,
) -> Any:
    src, dst = market.traders[source], market.traders[destination]
    request = TransactionRequest(
        key, TransactionType.TRANSFER, src, dst, market.unit_type, quantity, market.representatives(src)[rep]
    )
    return propose(SqlLedgers(app.sessions), request, now=now, policy_for=policy)


def held(app: Any, account_id: str) -> tuple[int, int]:
    found = queries.holdings(app.sessions, account_id)
    return (found[0].quantity, found[0].reserved) if found else (0, 0)


def assert_ledger_sound(app: Any) -> None:
    report = queries.check(app.sessions)
    assert report.ok, report.problems
    log_report = verify_log(app.sessions)
    assert log_report.ok, log_report.problems


def test_issuance_never_exceeds_the_cap_and_a_refusal_is_recorded(app: Any, market: Market, now: dt.datetime) -> None:
    admin = market.representatives(market.national)[0]
    request = TransactionRequest(
        "too-many", TransactionType.ISSUANCE, None, market.national, market.unit_type, 5000, admin
    )
    with pytest.raises(RuleViolation, match="R09_CAP_EXCEEDED"):
        propose(SqlLedgers(app.sessions), request, now=now)
    with pytest.raises(RuleViolation, match="R09_CAP_EXCEEDED"):  # the repeat gives the first answer
        propose(SqlLedgers(app.sessions), request, now=now)
    assert queries.check(app.sessions).issued[market.unit_type] == 4000
    assert_ledger_sound(app)


def test_a_partial_transfer_splits_a_serial_block_and_history_traces_each_unit(
    app: Any, market: Market, now: dt.datetime
) -> None:
    first = approve(
        SqlLedgers(app.sessions),
        transfer(app, market, "t1", 0, 1, 300, now).id,
        market.representatives(market.traders[0])[1],
        now=now,
        policy_for=four_eyes,
    )
    assert first.state is S.COMPLETED
    source_blocks = queries.holdings(app.sessions, market.traders[0])[0].blocks
    assert source_blocks == ((3001, 3700),)  # seeding gave trader 0 serials 3001-4000; the top 300 moved
    destination_blocks = queries.holdings(app.sessions, market.traders[1])[0].blocks
    assert (3701, 4000) in destination_blocks
    trail = queries.serial_history(app.sessions, market.unit_type, 3800)
    assert [e.type for e in trail] == ["issuance", "transfer", "transfer"]
    assert trail[-1].to_account == market.traders[1]
    assert_ledger_sound(app)


def test_a_repeated_client_key_returns_the_first_result_without_a_second_effect(
    app: Any, market: Market, now: dt.datetime
) -> None:
    first = transfer(app, market, "same", 0, 1, 10, now)
    again = transfer(app, market, "same", 0, 1, 10, now)
    assert again == first
    assert held(app, market.traders[0]) == (1000, 10)
    with pytest.raises(IdempotencyConflict) as caught:
        transfer(app, market, "same", 0, 2, 11, now)
    assert caught.value.differing_fields == ("destination_account", "quantity")


def test_initiator_cannot_approve_and_a_second_representative_completes(
    app: Any, market: Market, now: dt.datetime
) -> None:
    proposed = transfer(app, market, "four-eyes", 0, 1, 100, now)
    assert proposed.state is S.PROPOSED
    assert held(app, market.traders[0]) == (1000, 100)
    rep_a, rep_b = market.representatives(market.traders[0])
    with pytest.raises(RuleViolation, match="R08_SELF_APPROVAL"):
        approve(SqlLedgers(app.sessions), proposed.id, rep_a, now=now, policy_for=four_eyes)
    with pytest.raises(RuleViolation, match="R06"):
        other = market.representatives(market.traders[1])[1]
        approve(SqlLedgers(app.sessions), proposed.id, other, now=now, policy_for=four_eyes)
    done = approve(SqlLedgers(app.sessions), proposed.id, rep_b, now=now, policy_for=four_eyes)
    assert (done.state, done.approver) == (S.COMPLETED, rep_b)
    assert approve(SqlLedgers(app.sessions), proposed.id, rep_b, now=now, policy_for=four_eyes) == done
    assert held(app, market.traders[0]) == (900, 0)
    assert_ledger_sound(app)
    with app.engine.connect() as connection:  # one state event per command, listing its states in order
        events = connection.execute(
            text("SELECT states, state, actor FROM registry_transaction_events WHERE transaction_id = :t ORDER BY id"),
            {"t": proposed.id},
        ).all()
    expected = [("proposed", "proposed", rep_a), ("approved,checked,completed", "completed", rep_b)]
    assert [tuple(e) for e in events] == expected


def test_transfer_to_an_untrusted_account_waits_until_noon_of_the_next_working_day(
    app: Any, market: Market, now: dt.datetime
) -> None:
    accounts.change_trusted(app.sessions, market.traders[0], market.traders[1], add=False, now=now, actor="t")
    delayed = transfer(app, market, "untrusted", 0, 1, 50, now, policy=untrusted_four_eyes)
    delayed = approve(
        SqlLedgers(app.sessions),
        delayed.id,
        market.representatives(market.traders[0])[1],
        now=now,
        policy_for=untrusted_four_eyes,
    )
    assert delayed.state is S.DELAYED
    assert delayed.delay_until == dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)  # noon in Minsk
    assert settle_due(SqlLedgers(app.sessions), now=delayed.delay_until - dt.timedelta(seconds=1)) == []
    assert held(app, market.traders[1]) == (1000, 0)
    [settled] = settle_due(SqlLedgers(app.sessions), now=delayed.delay_until, policy_for=untrusted_four_eyes)
    assert settled.state is S.COMPLETED
    assert held(app, market.traders[1]) == (1050, 0)
    assert_ledger_sound(app)


def test_cancel_in_the_delay_window_restores_the_holding_and_not_after(
    app: Any, market: Market, now: dt.datetime
) -> None:
    accounts.change_trusted(app.sessions, market.traders[0], market.traders[1], add=False, now=now, actor="t")
    first = transfer(app, market, "c1", 0, 1, 70, now, policy=untrusted_four_eyes)
    second = transfer(app, market, "c2", 0, 1, 30, now, policy=untrusted_four_eyes)
    assert held(app, market.traders[0]) == (1000, 100)
    rep = market.representatives(market.traders[0])[1]
    second = approve(SqlLedgers(app.sessions), second.id, rep, now=now, policy_for=untrusted_four_eyes)
    assert second.state is S.DELAYED
    cancelled = cancel(SqlLedgers(app.sessions), first.id, rep, now=now + dt.timedelta(hours=1))
    assert (cancelled.state, cancelled.response_code.value) == (S.TERMINATED, "T01_CANCELLED")
    assert held(app, market.traders[0]) == (1000, 30)
    with pytest.raises(Conflict):
        cancel(SqlLedgers(app.sessions), second.id, rep, now=(second.delay_until or now) + dt.timedelta(minutes=1))
    assert_ledger_sound(app)


def test_a_trusted_list_addition_takes_effect_only_after_four_working_days(
    app: Any, market: Market, now: dt.datetime
) -> None:
    source, target = market.traders[0], market.traders[1]
    accounts.change_trusted(app.sessions, source, target, add=False, now=now, actor="t")
    change = accounts.change_trusted(app.sessions, source, target, add=True, now=now, actor="t")
    assert change.effective_at == dt.datetime(2026, 4, 6, 12, 0, tzinfo=dt.UTC)  # Tuesday + 4 working days
    early = transfer(
        app, market, "early", 0, 1, 1, change.effective_at - dt.timedelta(minutes=1), policy=untrusted_four_eyes
    )
    late = transfer(app, market, "late", 0, 1, 1, change.effective_at, policy=untrusted_four_eyes)
    assert (early.state, late.state) == (S.PROPOSED, S.COMPLETED)


def test_a_blocked_account_cannot_send_but_can_receive(app: Any, market: Market, now: dt.datetime) -> None:
    accounts.set_account_state(app.sessions, market.traders[1], AccountState.BLOCKED, now=now, reason="no report")
    with pytest.raises(RuleViolation, match="R02_SOURCE_NOT_OPEN"):
        transfer(app, market, "from-blocked", 1, 0, 10, now)
    received = transfer(app, market, "to-blocked", 0, 1, 10, now, policy=untrusted_four_eyes)
    assert received.state is S.COMPLETED


def test_a_transfer_over_the_limit_is_refused(app: Any, market: Market, now: dt.datetime) -> None:
    with pytest.raises(RuleViolation, match="R05_LIMIT_EXCEEDED"):
        transfer(app, market, "huge", 0, 1, 5001, now)


def test_a_representative_is_suspended_after_repeated_security_failures(
    app: Any, market: Market, now: dt.datetime
) -> None:
    intruder = market.representatives(market.traders[1])[0]
    for n in range(3):
        request = TransactionRequest(
            f"steal-{n}", TransactionType.TRANSFER, market.traders[0], market.traders[1], market.unit_type, 1, intruder
        )
        with pytest.raises(RuleViolation, match="R06"):
            propose(SqlLedgers(app.sessions), request, now=now, policy_for=four_eyes)
    with pytest.raises(RuleViolation, match="R07_REPRESENTATIVE_SUSPENDED"):
        transfer(app, market, "own", 1, 0, 1, now)
    accounts.reinstate_representative(app.sessions, intruder, now=now, reason="identity re-checked")
    assert transfer(app, market, "own-again", 1, 0, 1, now).state is S.PROPOSED


def test_a_reversal_moves_the_units_back_by_a_compensating_transaction(
    app: Any, market: Market, now: dt.datetime
) -> None:
    done = transfer(app, market, "to-reverse", 0, 1, 40, now, policy=untrusted_four_eyes)
    admin = market.representatives(market.national)[0]
    request = TransactionRequest(
        "reversal-1",
        TransactionType.REVERSAL,
        market.traders[1],
        market.traders[0],
        market.unit_type,
        40,
        admin,
        reverses=done.id,
    )
    reversal = propose(SqlLedgers(app.sessions), request, now=now, policy_for=untrusted_four_eyes)
    assert reversal.state is S.COMPLETED
    assert held(app, market.traders[0]) == (1000, 0)
    again = TransactionRequest(
        "reversal-2",
        TransactionType.REVERSAL,
        market.traders[1],
        market.traders[0],
        market.unit_type,
        40,
        admin,
        reverses=done.id,
    )
    with pytest.raises(RuleViolation, match="R14_NOT_REVERSIBLE"):
        propose(SqlLedgers(app.sessions), again, now=now, policy_for=untrusted_four_eyes)
    assert queries.transaction(app.sessions, done.id).state is S.COMPLETED  # history is not rewritten
    assert_ledger_sound(app)


def _verified_installation(app: Any, now: dt.datetime, *, verified: bool) -> None:
    with unit_of_work(app.sessions) as session:
        session.add(
            InstallationRow(
                id="BY-INST-1", jurisdiction="BY", name="Plant", operator="Op", sector="power", created_at=now
            )
        )
        session.flush()
        report = EmissionReportRow(
            installation_id="BY-INST-1",
            year=2025,
            version=1,
            dataset_id=None,
            gwp_set="AR5GWP100",
            method_pack="ipcc2006",
            co2_t=120.0,
            ch4_t=0.0,
            n2o_t=0.0,
            co2e_t=120.0,
            category="A",
            by_source_stream={},
            reason="",
            submitted_at=now,
        )
        session.add(report)
        session.flush()
        session.add(
            VerificationRow(
                report_id=report.id,
                verifier="V",
                opinion="satisfactory",
                misstatement_t=0.0,
                materiality_pct=5.0,
                material=False,
                verified=verified,
                verified_emissions_t=120 if verified else None,
                comments="",
                verified_at=now,
            )
        )


def test_compliance_takes_verified_emissions_only_from_a_verified_report(app: Any, now: dt.datetime) -> None:
    _verified_installation(app, now, verified=False)
    with pytest.raises(RuleViolation, match="C01_NOT_VERIFIED"):
        compliance.enter_verified_emissions(app.sessions, "BY-INST-1", 2025, now=now)
    assert compliance.compliance(app.sessions, "BY-INST-1", 2025).status is ComplianceStatus.C


def test_surrendered_units_bring_an_installation_to_status_a(app: Any, market: Market, now: dt.datetime) -> None:
    _verified_installation(app, now, verified=True)
    accounts.open_account(
        app.sessions, "BY-OHA-1", "BY", AccountType.OPERATOR_HOLDING, "Op", now=now, installation_id="BY-INST-1"
    )
    admin_a, _ = market.representatives(market.national)
    accounts.add_representative(app.sessions, "op-rep", "Operator rep", ["BY-OHA-1"], now=now)
    issuance = TransactionRequest(
        "issue-more", TransactionType.ISSUANCE, None, market.national, market.unit_type, 150, admin_a
    )
    propose(SqlLedgers(app.sessions), issuance, now=now)
    allocation = TransactionRequest(
        "alloc-1", TransactionType.ALLOCATION, market.national, "BY-OHA-1", market.unit_type, 150, admin_a
    )
    assert propose(SqlLedgers(app.sessions), allocation, now=now, policy_for=four_eyes).state is S.COMPLETED
    record = compliance.enter_verified_emissions(app.sessions, "BY-INST-1", 2025, now=now)
    assert (record.verified_emissions_t, record.status) == (120, ComplianceStatus.B)
    surrender = TransactionRequest(
        "surrender-1",
        TransactionType.SURRENDER,
        "BY-OHA-1",
        "BY-DELETION",
        market.unit_type,
        120,
        "op-rep",
        installation_id="BY-INST-1",
        compliance_year=2025,
    )
    assert propose(SqlLedgers(app.sessions), surrender, now=now, policy_for=four_eyes).state is S.COMPLETED
    assert compliance.compliance(app.sessions, "BY-INST-1", 2025).status is ComplianceStatus.A
    report = queries.check(app.sessions)
    assert (report.deleted[market.unit_type], report.held[market.unit_type]) == (120, 4150 - 120)
    assert_ledger_sound(app)


def test_a_transfer_gathers_many_small_blocks_across_pages(app: Any, market: Market, now: dt.datetime) -> None:
    # 20 one-unit transfers leave trader 1 with 20 one-unit blocks (split blocks stay split); moving 15
    # of them on needs a first page of 8 blocks and a second, larger page.
    for n in range(20):
        transfer(app, market, f"frag-{n}", 0, 1, 1, now, policy=untrusted_four_eyes)
    before = held(app, market.traders[1])
    assert before == (1020, 0)
    receiver = held(app, market.traders[2])
    result = transfer(app, market, "gather", 1, 2, 1015, now, policy=untrusted_four_eyes)
    assert result.state is S.COMPLETED  # the seeded traders trust each other
    assert held(app, market.traders[1]) == (5, 0)
    assert held(app, market.traders[2]) == (receiver[0] + 1015, 0)
    assert_ledger_sound(app)
