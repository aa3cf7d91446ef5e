"""A whole China-style compliance year through the real services, on SQLite and PostgreSQL:
pre-allocation, transfers, true-up (up and down, with a debt), offsets beyond the limit, a late
surrender, missing emissions, the assessment and next year's deduction. Every expected number is
worked by hand in the comments from data/allocation/CN.toml and data/compliance/CN.toml."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.errors import IdempotencyConflict, RuleViolation, ValidationFailed
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionState, TransactionType, UnitKind
from carbonbridge.services import compliance
from carbonbridge.services.allocation import EX_ANTE, TRUE_UP, posting
from carbonbridge.services.compliance.year import ASSESSMENTS
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.transactions import propose
from carbonbridge.services.registry.workflow import approve, settle_due

UTC = dt.UTC
SETUP = dt.datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
HEADER = "unit_id,unit_type,electricity_mwh,heat_gj,cooling,heat_supply_ratio,load_rate\n"
UNITS = {
    "CN-A": "coal_above_300mw",
    "CN-B": "gas",
    "CN-C": "coal_300mw_and_below",
    "CN-D": "coal_above_300mw",
    "CN-E": "coal_above_300mw",
}
ADMIN, ADMIN_B = "cn-admin-a", "cn-admin-b"


def outputs(tmp_path: Path, name: str, mwh: dict[str, int]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{u},{UNITS[u]},{v},0,water,0,1\n" for u, v in mwh.items()))
    return path


def move(app: Any, key: str, source: str, destination: str, unit: str, quantity: int, at: dt.datetime) -> None:
    """A transfer with four eyes and the delay window, settled when the window ends."""
    rep_a, rep_b = (ADMIN, ADMIN_B) if source == "CN-NHA" else (f"{source}-rep-a", f"{source}-rep-b")
    result = propose(
        SqlLedgers(app.sessions),
        TransactionRequest(key, TransactionType.TRANSFER, source, destination, unit, quantity, rep_a),
        now=at,
    )
    result = approve(SqlLedgers(app.sessions), result.id, rep_b, now=at)
    assert result.delay_until is not None
    settle_due(SqlLedgers(app.sessions), now=result.delay_until)
    assert queries.transaction(app.sessions, result.id).state is TransactionState.COMPLETED


def surrender(app: Any, key: str, inst: str, unit: str, quantity: int, at: dt.datetime) -> None:
    request = TransactionRequest(
        key,
        TransactionType.SURRENDER,
        inst,
        "CN-DELETION",
        unit,
        quantity,
        f"{inst}-rep-a",
        installation_id=inst,
        compliance_year=2025,
    )
    assert propose(SqlLedgers(app.sessions), request, now=at).state is TransactionState.COMPLETED


@pytest.fixture
def cn(app: Any) -> Any:
    accounts.open_account(app.sessions, "CN-NHA", "CN", AccountType.NATIONAL_HOLDING, "MEE", now=SETUP)
    accounts.add_representative(app.sessions, ADMIN, "Registry admin A", ["CN-NHA"], now=SETUP)
    accounts.add_representative(app.sessions, ADMIN_B, "Registry admin B", ["CN-NHA"], now=SETUP)
    with unit_of_work(app.sessions) as session:
        for inst in UNITS:
            session.add(
                InstallationRow(
                    id=inst,
                    jurisdiction="CN",
                    name=f"Unit {inst}",
                    operator="Op",
                    sector="energy_industries",
                    created_at=SETUP,
                )
            )
    for inst in UNITS:
        accounts.open_account(
            app.sessions,
            inst,
            "CN",
            AccountType.OPERATOR_HOLDING,
            f"Operator of {inst}",
            now=SETUP,
            installation_id=inst,
        )
        for rep in ("a", "b"):
            accounts.add_representative(app.sessions, f"{inst}-rep-{rep}", rep, [inst], now=SETUP)
    return app


def test_a_compliance_year_gives_the_configured_statuses_penalties_and_deductions(
    cn: Any, tmp_path: Path, add_verified_report: Any
) -> None:
    app, unit = cn, "CN-AL-2025"
    china = app.jurisdiction("CN")  # the configuration the composition root built
    # Pre-allocation 2025: 70 % of 2024 output x benchmark (water cooling, no heat, load rate 1: factors 1).
    # A 1,000,000 x 0.877 = 877,000 -> 613,900; B 500,000 x 0.392 = 196,000 -> 137,200;
    # C 500,000 x 0.979 = 489,500 -> 342,650; D and E 400,000 x 0.877 = 350,800 -> 245,560.
    mwh_2024 = {"CN-A": 1_000_000, "CN-B": 500_000, "CN-C": 500_000, "CN-D": 400_000, "CN-E": 400_000}
    run = posting.post_allocation(
        app.sessions,
        china,
        2025,
        outputs(tmp_path, "o2024.csv", mwh_2024),
        EX_ANTE,
        now=dt.datetime(2025, 2, 3, 9, tzinfo=UTC),
        initiator=ADMIN,
    )
    pre = {p.installation_id: p.delivered_t for p in run.postings}
    assert pre == {"CN-A": 613_900, "CN-B": 137_200, "CN-C": 342_650, "CN-D": 245_560, "CN-E": 245_560}
    assert run.cap_t == 1_584_870  # the intensity cap follows what was pre-allocated
    again = posting.post_allocation(
        app.sessions,
        china,
        2025,
        outputs(tmp_path, "o2024.csv", mwh_2024),
        EX_ANTE,
        now=dt.datetime(2025, 2, 4, tzinfo=UTC),
        initiator=ADMIN,
    )
    assert again.postings == run.postings  # a repeat posts nothing twice
    with pytest.raises(IdempotencyConflict, match="allocation_t"):
        posting.post_allocation(
            app.sessions,
            china,
            2025,
            outputs(tmp_path, "x.csv", {**mwh_2024, "CN-A": 1}),
            EX_ANTE,
            now=dt.datetime(2025, 2, 4, tzinfo=UTC),
            initiator=ADMIN,
        )

    # B sells 100,000 to A before its output falls; offsets reach A from the national account.
    move(app, "b-to-a", "CN-B", "CN-A", unit, 100_000, dt.datetime(2025, 6, 2, 9, tzinfo=UTC))
    accounts.create_unit_type(app.sessions, "CN", UnitKind.OFFSET, 2020, 1_000_000, now=SETUP, origin="CCER")
    propose(
        SqlLedgers(app.sessions),
        TransactionRequest("ccer-issue", TransactionType.ISSUANCE, None, "CN-NHA", "CN-OF-2020-CCER", 80_000, ADMIN),
        now=SETUP,
    )
    move(app, "ccer-to-a", "CN-NHA", "CN-A", "CN-OF-2020-CCER", 80_000, dt.datetime(2025, 6, 2, 9, tzinfo=UTC))

    # True-up from verified 2025 output: A 1,100,000 x 0.877 = 964,700 (+350,800); B 150,000 x 0.392 = 58,800
    # (-78,400: B holds 37,200, returned; 41,200 is a debt); C 489,500 (+146,850); D, E 350,800 (+105,240).
    mwh_2025 = {"CN-A": 1_100_000, "CN-B": 150_000, "CN-C": 500_000, "CN-D": 400_000, "CN-E": 400_000}
    run = posting.post_allocation(
        app.sessions,
        china,
        2025,
        outputs(tmp_path, "o2025.csv", mwh_2025),
        TRUE_UP,
        now=dt.datetime(2026, 4, 1, 9, tzinfo=UTC),
        initiator=ADMIN,
    )
    got = {p.installation_id: (p.allocation_t, p.delivered_t, p.debt_t) for p in run.postings}
    assert got == {
        "CN-A": (350_800, 350_800, 0),
        "CN-B": (-78_400, -37_200, 41_200),
        "CN-C": (146_850, 146_850, 0),
        "CN-D": (105_240, 105_240, 0),
        "CN-E": (105_240, 105_240, 0),
    }
    assert run.intensity_cap_t == 964_700 + 58_800 + 489_500 + 350_800 + 350_800
    assert run.cap_t == 1_584_870 + 350_800 + 146_850 + 2 * 105_240  # issued never exceeds the cap
    assert sum(h.quantity for h in queries.holdings(app.sessions, "CN-B")) == 0

    # Verified emissions by 30 June 2026 (C never gets one); D buys 9,200 and E 100,000 from A.
    for inst, tonnes in (("CN-A", 1_000_000), ("CN-B", 70_000), ("CN-D", 360_000), ("CN-E", 500_000)):
        add_verified_report(app.sessions, inst, tonnes, dt.datetime(2026, 5, 1, tzinfo=UTC), pack="cn-mee-power-2022")
    entered, missing = compliance.enter_all(app.sessions, china, 2025, now=dt.datetime(2026, 6, 1, 9, tzinfo=UTC))
    assert (entered, missing) == (["CN-A", "CN-B", "CN-D", "CN-E"], ["CN-C"])
    with pytest.raises(RuleViolation, match="before_deadline"):
        compliance.block_missing(app.sessions, china, 2025, now=dt.datetime(2026, 6, 30, 12, tzinfo=UTC))
    assert compliance.block_missing(app.sessions, china, 2025, now=dt.datetime(2026, 7, 1, 9, tzinfo=UTC)) == ["CN-C"]
    move(app, "a-to-d", "CN-A", "CN-D", unit, 9_200, dt.datetime(2026, 9, 1, 9, tzinfo=UTC))
    move(app, "a-to-e", "CN-A", "CN-E", unit, 100_000, dt.datetime(2026, 9, 1, 9, tzinfo=UTC))

    # Surrenders. A: 900,000 allowances + 80,000 CCER, of which 5 % x 1,000,000 = 50,000 count.
    # D: 340,000 by the deadline and 20,000 on 5 January 2027 (late). E: its obligation is capped at
    # allocation + 20 % of verified emissions = 350,800 + 100,000 = 450,800 (49,200 waived).
    on_time = dt.datetime(2026, 12, 1, 3, tzinfo=UTC)
    surrender(app, "s-a", "CN-A", unit, 900_000, on_time)
    surrender(app, "s-a-ccer", "CN-A", "CN-OF-2020-CCER", 80_000, on_time)
    surrender(app, "s-d", "CN-D", unit, 340_000, on_time)
    surrender(app, "s-d-late", "CN-D", unit, 20_000, dt.datetime(2027, 1, 5, 3, tzinfo=UTC))
    surrender(app, "s-e", "CN-E", unit, 450_800, on_time)
    with pytest.raises(RuleViolation, match="before_deadline"):
        compliance.assess_year(app.sessions, china, 2025, now=dt.datetime(2026, 12, 31, 12, tzinfo=UTC))
    views = {
        v.installation_id: v
        for v in compliance.assess_year(app.sessions, china, 2025, now=dt.datetime(2027, 1, 10, 9, tzinfo=UTC))
    }

    a, b, c, d, e = (views[i] for i in UNITS)
    # A: 1,000,000 - 900,000 - 50,000 = 50,000 short; 5 x CNY 95 x 50,000 = 23,750,000.00; deducted next year.
    assert (a.status, a.counted_offsets_t, a.rejected_offsets_t, a.shortfall_t) == (
        "under_surrendered",
        50_000,
        30_000,
        50_000,
    )
    assert (a.penalty, a.currency, a.deducted_next_t, a.carried_forward_t) == (Decimal("23750000.00"), "CNY", 50_000, 0)
    # A holds 613,900 + 100,000 + 350,800 - 9,200 - 100,000 - 900,000 = 55,500 allowances: banked.
    assert a.banked_t == 55_500
    # B (gas): obligation min(70,000, 58,800) = 58,800, plus the 41,200 debt = 100,000 required, none held.
    assert (b.obligation_t, b.required_t, b.shortfall_t, b.penalty) == (
        58_800,
        100_000,
        100_000,
        Decimal("47500000.00"),
    )
    assert (c.status, c.account_blocked, c.penalty) == ("missing_emissions", True, Decimal("0.00"))
    # D: 20,000 missing at the deadline, made up late: status late, 5 x 95 x 20,000 = 9,500,000.00.
    assert (d.status, d.shortfall_at_deadline_t, d.shortfall_t, d.penalty) == ("late", 20_000, 0, Decimal("9500000.00"))
    assert (e.status, e.obligation_t, e.penalty) == ("compliant", 450_800, Decimal("0.00"))
    assert [v.installation_id for v in compliance.assessments(app.sessions, "CN", 2025)] == list(UNITS)
    again = compliance.assess_year(app.sessions, china, 2025, now=dt.datetime(2027, 1, 11, tzinfo=UTC))
    assert again == list(views.values())  # a repeat finds the same and appends nothing
    with unit_of_work(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(ASSESSMENTS)) == len(UNITS)
    blocked = accounts_state(app, "CN-C")
    assert blocked == AccountState.BLOCKED.value

    # 2026 pre-allocation withholds last year's shortfall: A 0.7 x 964,700 = 675,290 less 50,000;
    # B 0.7 x 58,800 = 41,160, all withheld, 58,840 still owed.
    run = posting.post_allocation(
        app.sessions,
        china,
        2026,
        outputs(tmp_path, "o2025.csv", mwh_2025),
        EX_ANTE,
        now=dt.datetime(2027, 2, 1, 9, tzinfo=UTC),
        initiator=ADMIN,
    )
    got = {p.installation_id: (p.allocation_t, p.delivered_t, p.deducted_t) for p in run.postings}
    assert got["CN-A"] == (675_290, 625_290, 50_000)
    assert got["CN-B"] == (41_160, 0, 41_160)
    with unit_of_work(app.sessions) as session:
        assert posting.outstanding_deductions(session, "CN", 2026) == {"CN-B": 58_840}

    report = queries.check(app.sessions)
    assert report.ok, report.problems
    assert verify_log(app.sessions).ok


def accounts_state(app: Any, account_id: str) -> str:
    with unit_of_work(app.sessions) as session:
        return str(session.execute(posting.ACCOUNTS.select().where(posting.ACCOUNTS.c.id == account_id)).one().state)


def test_allocation_input_naming_unknown_installations_writes_nothing(cn: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "CN-A,coal_above_300mw,1000,0,water,0,1\nCN-ZZ,gas,1000,0,water,0,1\n")
    with pytest.raises(ValidationFailed) as caught:
        posting.post_allocation(cn.sessions, cn.jurisdiction("CN"), 2025, path, EX_ANTE, now=SETUP, initiator=ADMIN)
    assert [p.field for p in caught.value.problems] == ["CN-ZZ"]
    assert queries.check(cn.sessions).ok
    assert queries.holdings(cn.sessions, "CN-A") == []
