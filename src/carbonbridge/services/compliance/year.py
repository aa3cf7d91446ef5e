"""The compliance year of a jurisdiction: enter verified emissions, block the operator accounts
that have none by the deadline, assess every installation-year (status, offsets counted,
penalty, make-good or deduction, banked surplus) and read the assessments back.

The rules come in with the `Jurisdiction` (its compliance rules and allocation design, parsed
once at the composition root); the decisions are the domain's (`domain/compliance/assessment.py`,
`domain/compliance/blocking.py`); this module gathers the facts from the registry and the
allocation records, calls them and stores the outcome (append-only, audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.compliance_models import AssessmentRow
from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.mrv import SqlReports
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.registry.tables import ACCOUNTS, COMPLIANCE_ENTRIES, HOLDINGS, TRANSACTIONS, UNIT_TYPES
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.domain.allocation.design import IntensityDesign
from carbonbridge.domain.allocation.intensity import obligation_t
from carbonbridge.domain.compliance.assessment import Assessment, ComplianceCase, Surrender, assess
from carbonbridge.domain.compliance.blocking import accounts_to_block
from carbonbridge.domain.compliance.rules import ComplianceRules
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.jurisdiction import Jurisdiction
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionState, TransactionType, UnitKind
from carbonbridge.services.allocation.posting import ENTRIES, operator_accounts
from carbonbridge.services.compliance.entries import enter_verified_emissions
from carbonbridge.services.mrv.reports import verified_emissions
from carbonbridge.services.registry import accounts

ASSESSMENTS: Table = AssessmentRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class AssessmentView:
    installation_id: str
    year: int
    status: str
    verified_emissions_t: int | None
    obligation_t: int | None
    allocated_t: int
    required_t: int
    counted_allowances_t: int
    counted_offsets_t: int
    rejected_offsets_t: int
    rejected_allowances_t: int
    shortfall_at_deadline_t: int
    shortfall_t: int
    penalty: Decimal
    currency: str
    carried_forward_t: int
    deducted_next_t: int
    banked_t: int
    account_blocked: bool

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "penalty": str(self.penalty)}


def _installations(session: Session, code: str) -> list[str]:
    return sorted(session.scalars(select(InstallationRow.id).where(InstallationRow.jurisdiction == code)))


def enter_all(
    sessions: Sessions, jurisdiction: Jurisdiction, year: int, *, now: dt.datetime, actor: str = "registry"
) -> tuple[list[str], list[str]]:
    """Enter the verified emissions of every installation of the jurisdiction that has a verified
    report; returns (entered, without a verified report)."""
    with unit_of_work(sessions) as session:
        installations = _installations(session, jurisdiction.code)
    entered, missing = [], []
    for inst in installations:
        if verified_emissions(SqlReports(sessions), inst, year) is None:
            missing.append(inst)
            continue
        enter_verified_emissions(sessions, inst, year, now=now, actor=actor)
        entered.append(inst)
    return entered, missing


def _emissions_entered(session: Session, j: Jurisdiction, year: int) -> dict[str, tuple[int, dt.date]]:
    """installation -> (latest verified emissions, local date the first entry was made)."""
    e = COMPLIANCE_ENTRIES
    rows = session.execute(
        select(e.c.installation_id, e.c.verified_emissions_t, e.c.entered_at).where(e.c.year == year).order_by(e.c.id)
    )
    found: dict[str, tuple[int, dt.date]] = {}
    for inst, tonnes, at in rows:
        first = found[inst][1] if inst in found else j.local_date(at)
        found[str(inst)] = (int(tonnes), first)
    return found


def block_missing(
    sessions: Sessions, jurisdiction: Jurisdiction, year: int, *, now: dt.datetime, actor: str = "registry"
) -> list[str]:
    """After the emissions deadline, block every open operator account whose installation has no
    verified emissions entered by then (`domain/compliance/blocking.accounts_to_block`)."""
    code = jurisdiction.code
    deadline = jurisdiction.compliance_rules(year).emissions_deadline.for_year(year)
    if jurisdiction.local_date(now) <= deadline:
        raise RuleViolation("before_deadline", f"{code} {year}: verified emissions are due by {deadline}; not yet")
    with unit_of_work(sessions) as session:
        entered = _emissions_entered(session, jurisdiction, year)
        open_accounts = dict(
            session.execute(
                select(ACCOUNTS.c.installation_id, ACCOUNTS.c.id).where(
                    ACCOUNTS.c.jurisdiction == code,
                    ACCOUNTS.c.type == AccountType.OPERATOR_HOLDING.value,
                    ACCOUNTS.c.state == AccountState.OPEN.value,
                )
            ).all()
        )
    first_entered_on = {inst: on for inst, (_, on) in entered.items()}
    blocked = accounts_to_block(open_accounts, first_entered_on, deadline)
    for account in blocked:
        accounts.set_account_state(
            sessions,
            account,
            AccountState.BLOCKED,
            now=now,
            reason=f"no verified emissions for {year} entered by {deadline}",
            actor=actor,
        )
    return blocked


def _surrenders(session: Session, j: Jurisdiction, year: int) -> dict[str, list[Surrender]]:
    t, u = TRANSACTIONS, UNIT_TYPES
    rows = session.execute(
        select(t.c.installation_id, t.c.resolved_at, t.c.quantity, u.c.kind, u.c.vintage, u.c.origin)
        .join(u, u.c.code == t.c.unit_type)
        .where(
            t.c.jurisdiction == j.code,
            t.c.type == TransactionType.SURRENDER.value,
            t.c.state == TransactionState.COMPLETED.value,
            t.c.compliance_year == year,
        )
        .order_by(t.c.resolved_at, t.c.id)
    )
    found: dict[str, list[Surrender]] = {}
    for inst, at, quantity, kind, vintage, origin in rows:
        found.setdefault(str(inst), []).append(
            Surrender(j.local_date(at), int(quantity), str(kind), int(vintage), str(origin or ""))
        )
    return found


def _allocations(session: Session, code: str, year: int) -> dict[str, tuple[int, int, str]]:
    """installation -> (allocation, debt not taken back, basis of the latest phase)."""
    rows = session.execute(
        select(ENTRIES.c.installation_id, ENTRIES.c.allocation_t, ENTRIES.c.debt_t, ENTRIES.c.basis)
        .where(ENTRIES.c.jurisdiction == code, ENTRIES.c.year == year)
        .order_by(ENTRIES.c.id)
    )
    found: dict[str, tuple[int, int, str]] = {}
    for inst, allocation, debt, basis in rows:
        before = found.get(str(inst), (0, 0, ""))
        found[str(inst)] = (before[0] + int(allocation), before[1] + int(debt), str(basis))
    return found


def _latest_assessments(session: Session, code: str, year: int) -> dict[str, AssessmentRow]:
    latest = (
        select(func.max(ASSESSMENTS.c.id))
        .where(ASSESSMENTS.c.jurisdiction == code, ASSESSMENTS.c.year == year)
        .group_by(ASSESSMENTS.c.installation_id)
    )
    return {
        row.installation_id: row for row in session.scalars(select(AssessmentRow).where(AssessmentRow.id.in_(latest)))
    }


def _banked(session: Session, code: str, operators: dict[str, str]) -> dict[str, int]:
    """Allowances left in each operator account: the surplus carried to later years (banking)."""
    rows = session.execute(
        select(HOLDINGS.c.account_id, func.sum(HOLDINGS.c.quantity))
        .join(UNIT_TYPES, UNIT_TYPES.c.code == HOLDINGS.c.unit_type)
        .where(UNIT_TYPES.c.jurisdiction == code, UNIT_TYPES.c.kind == UnitKind.ALLOWANCE.value)
        .group_by(HOLDINGS.c.account_id)
    )
    held = {str(a): int(q or 0) for a, q in rows}
    return {inst: held.get(account, 0) for inst, account in operators.items()}


def obligation_of(
    jurisdiction: Jurisdiction, verified: int | None, allocated: int, basis: str, year: int | None = None
) -> int | None:
    """Units to surrender for verified emissions: as they are (benchmark design), or after the
    intensity design's obligation caps of the year's rules for the unit type allocated (gas capped
    at allocation, coal's shortfall capped at a share of verified emissions)."""
    match jurisdiction.allocation:
        case IntensityDesign() as design if verified is not None:
            rules = design.rules(year)
            if basis in rules.unit_types:
                return obligation_t(basis, verified, allocated, rules)
            return verified
        case _:
            return verified


@dataclass(frozen=True, slots=True)
class _YearFacts:
    """What the registry and the allocation records hold for a jurisdiction-year."""

    operators: dict[str, str]  # installation -> operator holding account
    entered: dict[str, tuple[int, dt.date]]  # verified emissions, local date first entered
    surrenders: dict[str, list[Surrender]]
    allocations: dict[str, tuple[int, int, str]]  # allocation, debt, basis
    previous: dict[str, AssessmentRow]  # last year's latest assessments


def _year_facts(sessions: Sessions, j: Jurisdiction, year: int) -> _YearFacts:
    with unit_of_work(sessions) as session:
        return _YearFacts(
            operator_accounts(session, j.code),
            _emissions_entered(session, j, year),
            _surrenders(session, j, year),
            _allocations(session, j.code, year),
            _latest_assessments(session, j.code, year - 1),
        )


Outcome = tuple[Assessment, int | None, int | None, int]  # assessment, verified, obligation, allocated


def _assess_all(j: Jurisdiction, rules: ComplianceRules, year: int, price: Decimal, f: _YearFacts) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for inst in sorted(f.operators):
        verified, on = f.entered.get(inst, (None, None))
        allocated, debt, basis = f.allocations.get(inst, (0, 0, ""))
        obligation = obligation_of(j, verified, allocated, basis, year)
        case = ComplianceCase(
            inst,
            year,
            obligation,
            on,
            tuple(f.surrenders.get(inst, [])),
            rules.emissions_deadline.for_year(year),
            rules.surrender_deadline.for_year(year),
            carried_make_good_t=f.previous[inst].carried_forward_t if inst in f.previous else 0,
            latest_allowance_vintage=rules.latest_allowance_vintage(year),
            allocation_debt_t=debt,
        )
        outcomes.append((assess(case, rules.offsets, rules.penalties, price), verified, obligation, allocated))
    return outcomes


def assess_year(
    sessions: Sessions,
    jurisdiction: Jurisdiction,
    year: int,
    *,
    now: dt.datetime,
    reference_price: Decimal | None = None,
    actor: str = "registry",
    rules: ComplianceRules | None = None,
) -> list[AssessmentView]:
    """Assess every installation of the jurisdiction with an operator account, after the surrender
    deadline; blocks the accounts of installations with missing emissions; stores the outcome."""
    code = jurisdiction.code
    rules = rules or jurisdiction.compliance_rules(year)
    deadline = rules.surrender_deadline.for_year(year)
    if jurisdiction.local_date(now) <= deadline:
        raise RuleViolation("before_deadline", f"{code} {year}: surrender is due by {deadline}; assess after it")
    price = rules.reference_price if reference_price is None else reference_price
    facts = _year_facts(sessions, jurisdiction, year)
    outcomes = _assess_all(jurisdiction, rules, year, price, facts)
    after_emissions_deadline = jurisdiction.local_date(now) > rules.emissions_deadline.for_year(year)
    if any(a.block_account for a, *_ in outcomes) and after_emissions_deadline:
        block_missing(sessions, jurisdiction, year, now=now, actor=actor)
    with unit_of_work(sessions) as session:
        banked = _banked(session, code, facts.operators)
        latest = _latest_assessments(session, code, year)
        views = [
            _store(
                session,
                code,
                a,
                (verified, obligation, allocated),
                banked[a.installation_id],
                (price, rules.version),
                now,
                actor,
                latest,
            )
            for a, verified, obligation, allocated in outcomes
        ]
    return views


def _store(
    session: Session,
    code: str,
    a: Assessment,
    facts: tuple[int | None, int | None, int],  # verified emissions, obligation, allocation
    banked: int,
    price_and_rules: tuple[Decimal, str],  # reference price, the rule version in force
    now: dt.datetime,
    actor: str,
    latest: dict[str, AssessmentRow],
) -> AssessmentView:
    """Append the assessment, unless it repeats the latest one of the installation-year."""
    view = AssessmentView(
        a.installation_id,
        a.year,
        a.status.value,
        *facts,
        a.required_t,
        a.counted_allowances_t,
        a.counted_offsets_t,
        a.rejected_offsets_t,
        a.rejected_allowances_t,
        a.shortfall_at_deadline_t,
        a.shortfall_t,
        a.penalty,
        a.currency,
        a.carried_forward_t,
        a.deducted_from_next_allocation_t,
        banked,
        a.block_account,
    )
    previous = latest.get(a.installation_id)
    if previous is not None and _view(previous) == view:
        return view
    values = view.as_dict()
    session.add(
        AssessmentRow(
            jurisdiction=code,
            **values,
            detail={
                "reference_price": str(price_and_rules[0]),
                "rules": price_and_rules[1],
                "penalty_max": str(a.penalty_max),
            },
            assessed_at=now,
            actor=actor,
        )
    )
    audit(
        session,
        at=now,
        actor=actor,
        action="compliance.assessed",
        subject=a.installation_id,
        detail={"year": a.year, "status": a.status.value, "shortfall_t": a.shortfall_t, "penalty": str(a.penalty)},
    )
    return view


def assessments(sessions: Sessions, code: str, year: int) -> list[AssessmentView]:
    """The latest assessment of every installation-year of the jurisdiction."""
    with unit_of_work(sessions) as session:
        rows = _latest_assessments(session, code.upper(), year)
    if not rows:
        raise RuleViolation("not_assessed", f"{code.upper()} {year} has not been assessed; run 'compliance assess'")
    return [_view(rows[inst]) for inst in sorted(rows)]


def _view(row: AssessmentRow) -> AssessmentView:
    fields = AssessmentView.__dataclass_fields__
    values = {name: getattr(row, name) for name in fields}
    values["penalty"] = Decimal(row.penalty)
    return AssessmentView(**values)
