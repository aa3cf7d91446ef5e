"""Post free allocation to the registry: ex-ante allocation (EU style, or China's 70 % pre-allocation)
and the true-up against verified output, which issues the rest or takes the excess back.

Every registry transaction carries a client key derived from (jurisdiction, year, phase,
installation), so a run that stopped half-way is resumed by running it again: postings already
made are returned, not repeated. A decision is recorded once per installation-year and phase;
running the same phase again with other figures is refused (IdempotencyConflict). What each
posting withholds, takes back or records as a debt, and the cap, are decided by
`domain/allocation/posting.py`; this module reads the facts, calls it and stores the outcome."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.compliance_models import AllocationEntryRow, AssessmentRow
from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.registry.ledger import Sessions, SqlLedgers
from carbonbridge.adapters.db.registry.tables import ACCOUNTS, HOLDINGS, TRANSACTIONS, UNIT_TYPES
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.domain.allocation.design import IntensityDesign
from carbonbridge.domain.allocation.posting import PostingDecision, decide, raised_cap, unit_type_cap
from carbonbridge.domain.errors import IdempotencyConflict, NotFound, Problem, ValidationFailed
from carbonbridge.domain.jurisdiction import Jurisdiction
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionType, UnitKind, unit_type_code
from carbonbridge.services.allocation.plan import EX_ANTE, TRUE_UP, AllocationRun, Posting, entitlements, rules_version
from carbonbridge.services.registry import accounts, transactions

ENTRIES: Table = AllocationEntryRow.__table__  # type: ignore[assignment]
ASSESSMENTS: Table = AssessmentRow.__table__  # type: ignore[assignment]


def national_account(session: Session, code: str) -> str:
    found = session.scalar(
        select(ACCOUNTS.c.id)
        .where(
            ACCOUNTS.c.jurisdiction == code,
            ACCOUNTS.c.type == AccountType.NATIONAL_HOLDING.value,
            ACCOUNTS.c.state == AccountState.OPEN.value,
        )
        .order_by(ACCOUNTS.c.id)
        .limit(1)
    )
    if found is None:
        raise NotFound(f"{code} has no open national holding account; open one with 'registry open-account'")
    return str(found)


def operator_accounts(session: Session, code: str) -> dict[str, str]:
    """installation -> its operator holding account (not closed)."""
    rows = session.execute(
        select(ACCOUNTS.c.installation_id, ACCOUNTS.c.id).where(
            ACCOUNTS.c.jurisdiction == code,
            ACCOUNTS.c.type == AccountType.OPERATOR_HOLDING.value,
            ACCOUNTS.c.state != AccountState.CLOSED.value,
        )
    )
    return {str(inst): str(account) for inst, account in rows}


def outstanding_deductions(session: Session, code: str, year: int) -> dict[str, int]:
    """China style: last year's shortfall to deduct from this year's allocation, less what earlier
    phases of this year already withheld."""
    latest = (
        select(func.max(ASSESSMENTS.c.id))
        .where(ASSESSMENTS.c.jurisdiction == code, ASSESSMENTS.c.year == year - 1)
        .group_by(ASSESSMENTS.c.installation_id)
    )
    owed = {
        str(i): int(t)
        for i, t in session.execute(
            select(ASSESSMENTS.c.installation_id, ASSESSMENTS.c.deducted_next_t).where(ASSESSMENTS.c.id.in_(latest))
        )
        if t
    }
    withheld = session.execute(
        select(ENTRIES.c.installation_id, func.sum(ENTRIES.c.deducted_t))
        .where(ENTRIES.c.jurisdiction == code, ENTRIES.c.year == year)
        .group_by(ENTRIES.c.installation_id)
    )
    for inst, total in withheld:
        owed[str(inst)] = owed.get(str(inst), 0) - int(total or 0)
    return {inst: t for inst, t in owed.items() if t > 0}


def _allocated_so_far(session: Session, code: str, year: int, *, excluding: str) -> dict[str, int]:
    rows = session.execute(
        select(ENTRIES.c.installation_id, func.sum(ENTRIES.c.allocation_t))
        .where(ENTRIES.c.jurisdiction == code, ENTRIES.c.year == year, ENTRIES.c.phase != excluding)
        .group_by(ENTRIES.c.installation_id)
    )
    return {str(i): int(t or 0) for i, t in rows}


def _recorded(session: Session, code: str, year: int, phase: str) -> dict[str, AllocationEntryRow]:
    found = session.scalars(
        select(AllocationEntryRow).where(
            AllocationEntryRow.jurisdiction == code, AllocationEntryRow.year == year, AllocationEntryRow.phase == phase
        )
    )
    return {row.installation_id: row for row in found}


def _check_holders(session: Session, code: str, holders: list[str], operators: dict[str, str], path: Path) -> None:
    known = set(session.scalars(select(InstallationRow.id).where(InstallationRow.jurisdiction == code)))
    problems = [
        Problem(
            f"{holder} is not an installation of {code}"
            if holder not in known
            else f"{holder} has no operator "
            "holding account; open one with 'registry open-account --type operator_holding'",
            str(path),
            field=holder,
        )
        for holder in holders
        if holder not in known or holder not in operators
    ]
    if problems:
        raise ValidationFailed(problems)


def post_allocation(
    sessions: Sessions,
    jurisdiction: Jurisdiction,
    year: int,
    path: Path,
    phase: str,
    *,
    now: dt.datetime,
    initiator: str,
) -> AllocationRun:
    """Ex ante (phase EX_ANTE) or true-up (TRUE_UP) from the plan's input table (see `plan`)."""
    code, design = jurisdiction.code, jurisdiction.allocation
    wanted = entitlements(jurisdiction, path, phase, year)  # validates the whole table before anything is written
    unit = unit_type_code(code, UnitKind.ALLOWANCE, year)
    with unit_of_work(sessions) as session:
        national = national_account(session, code)
        operators = operator_accounts(session, code)
        _check_holders(session, code, sorted(wanted), operators, path)
        so_far = {} if phase == EX_ANTE else _allocated_so_far(session, code, year, excluding=phase)
        owed = outstanding_deductions(session, code, year)
        recorded = _recorded(session, code, year, phase)
    changes = {inst: total - so_far.get(inst, 0) for inst, (total, _) in wanted.items()}
    _refuse_other_figures(recorded, changes, code, year, phase)
    # What is allocated does not depend on the account (available_t only limits a take-back);
    # a recorded installation keeps what was first withheld, so a repeat issues the same total.
    allocated = {
        inst: decide(change, owed.get(inst, 0), 0, recorded[inst].deducted_t if inst in recorded else None)
        for inst, change in changes.items()
    }
    to_issue = sum(d.allocate_t for d in allocated.values())
    cap_t = _issue(sessions, jurisdiction, year, phase, national, to_issue, initiator=initiator, now=now)
    postings = []
    for inst in sorted(wanted):
        if inst in recorded:
            row = recorded[inst]
            postings.append(
                Posting(inst, phase, row.basis, row.allocation_t, row.delivered_t, row.deducted_t, row.debt_t)
            )
            continue
        posting = _post_one(
            sessions,
            code,
            year,
            phase,
            inst,
            wanted[inst][1],
            changes[inst],
            owed.get(inst, 0),
            national,
            operators[inst],
            unit,
            initiator=initiator,
            now=now,
        )
        postings.append(posting)
    follows = isinstance(design, IntensityDesign) and phase == TRUE_UP
    intensity_cap = sum(total for total, _ in wanted.values()) if follows else None
    return AllocationRun(code, year, phase, unit, cap_t, intensity_cap, postings, rules_version(jurisdiction, year))


def _issue(
    sessions: Sessions,
    j: Jurisdiction,
    year: int,
    phase: str,
    national: str,
    to_issue: int,
    *,
    initiator: str,
    now: dt.datetime,
) -> int:
    """Issue what the phase allocates into the national account, once; the unit type's cap after it."""
    unit = unit_type_code(j.code, UnitKind.ALLOWANCE, year)
    issue_key = f"allocation:{j.code}:{year}:{phase}:issue"
    with unit_of_work(sessions) as session:
        issued_before = session.scalar(select(TRANSACTIONS.c.id).where(TRANSACTIONS.c.client_key == issue_key))
    cap_t = _ensure_unit_type(sessions, j, year, 0 if issued_before else to_issue, now=now)
    if to_issue > 0:  # a repeat returns the first issuance (its key), never a second one
        request = TransactionRequest(issue_key, TransactionType.ISSUANCE, None, national, unit, to_issue, initiator)
        transactions.issue(SqlLedgers(sessions), request, now=now)
    return cap_t


def _refuse_other_figures(
    recorded: dict[str, AllocationEntryRow], changes: dict[str, int], code: str, year: int, phase: str
) -> None:
    differing = sorted(inst for inst, row in recorded.items() if inst in changes and row.allocation_t != changes[inst])
    if differing:
        names = ", ".join(differing[:10]) + (f" and {len(differing) - 10} more" if len(differing) > 10 else "")
        raise IdempotencyConflict(f"allocation:{code}:{year}:{phase} ({names})", ["allocation_t"])


def _ensure_unit_type(sessions: Sessions, j: Jurisdiction, year: int, to_issue: int, *, now: dt.datetime) -> int:
    """The year's allowance unit type and its cap (`domain/allocation/posting.unit_type_cap`): the
    absolute cap of the year (EU style; issuing beyond it is refused), or, China style, a cap that
    follows the allocations: raised to what the pre-allocation and then the true-up need."""
    unit = unit_type_code(j.code, UnitKind.ALLOWANCE, year)
    with unit_of_work(sessions) as session:
        row = session.execute(select(UNIT_TYPES.c.cap, UNIT_TYPES.c.issued).where(UNIT_TYPES.c.code == unit)).first()
    if row is None:
        cap = unit_type_cap(j.allocation, year, 0, to_issue)
        accounts.create_unit_type(sessions, j.code, UnitKind.ALLOWANCE, year, cap, now=now)
        return cap
    raised = raised_cap(j.allocation, int(row[0]), year, int(row[1]), to_issue)
    if raised is not None:
        accounts.set_cap(sessions, unit, raised, now=now, reason=f"{year}: the intensity cap follows the allocations")
        return raised
    return int(row[0])


def _available(sessions: Sessions, account: str, unit: str) -> int:
    with unit_of_work(sessions) as session:
        row = session.execute(
            select(HOLDINGS.c.quantity - HOLDINGS.c.reserved - HOLDINGS.c.market_held).where(
                HOLDINGS.c.account_id == account, HOLDINGS.c.unit_type == unit
            )
        ).first()
    return int(row[0]) if row else 0


def _post_one(
    sessions: Sessions,
    code: str,
    year: int,
    phase: str,
    inst: str,
    basis: str,
    change: int,
    owed: int,
    national: str,
    account: str,
    unit: str,
    *,
    initiator: str,
    now: dt.datetime,
) -> Posting:
    key = f"allocation:{code}:{year}:{phase}:{inst}"
    available = _available(sessions, account, unit) if change < 0 else 0  # read only for a take-back
    d: PostingDecision = decide(change, owed, available)
    ids: list[str] = []
    if d.allocate_t > 0:
        request = TransactionRequest(key, TransactionType.ALLOCATION, national, account, unit, d.allocate_t, initiator)
        ids.append(transactions.propose(SqlLedgers(sessions), request, now=now).id)
    if d.take_back_t > 0:  # the allocation went down: take the excess back (the rest is a debt)
        request = TransactionRequest(key, TransactionType.RETURN, account, national, unit, d.take_back_t, initiator)
        ids.append(transactions.propose(SqlLedgers(sessions), request, now=now).id)
    delivered, withheld, debt = d.delivered_t, d.withheld_t, d.debt_t
    posting = Posting(inst, phase, basis, change, delivered, withheld, debt)
    with unit_of_work(sessions) as session:
        session.add(
            AllocationEntryRow(
                jurisdiction=code,
                year=year,
                installation_id=inst,
                phase=phase,
                basis=basis,
                allocation_t=change,
                delivered_t=delivered,
                deducted_t=withheld,
                debt_t=debt,
                detail={"transactions": ids},
                created_at=now,
                actor=initiator,
            )
        )
        audit(
            session,
            at=now,
            actor=initiator,
            action=f"allocation.{phase}",
            subject=inst,
            detail={
                "year": year,
                "allocation_t": change,
                "delivered_t": delivered,
                "deducted_t": withheld,
                "debt_t": debt,
            },
            key=key,
        )
    return posting
