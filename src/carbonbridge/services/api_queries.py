"""Read side of the HTTP API: lists scoped to what the caller may see (never filtered row by row
after the fact), the objects an access decision needs, and the public compliance reports.

Every list is keyset-paginated on its primary key: `after` is the last key of the previous page,
`limit` is bounded by the caller (STYLE.md #9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.compliance_models import AllocationEntryRow
from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.domain.auth.policy import Target, Visibility
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.model import Account, AccountType, TransactionState, TransactionType
from carbonbridge.services import registry_rows as rows
from carbonbridge.services.compliance.entries import ENTRIES as COMPLIANCE_ENTRIES
from carbonbridge.services.registry_transactions import Sessions

MAX_PAGE = 200
INSTALLATIONS = InstallationRow.__table__
ALLOCATIONS = AllocationEntryRow.__table__


def _scoped(vis: Visibility, jurisdiction: Any, *account_columns: Any) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if vis.jurisdictions:
        clauses.append(jurisdiction.in_(sorted(vis.jurisdictions)))
    if vis.accounts:
        clauses.extend(c.in_(sorted(vis.accounts)) for c in account_columns)
    return or_(*clauses) if clauses else false()


def _account(row: Any) -> Account:
    from carbonbridge.domain.registry.model import AccountState

    return Account(
        row.id, row.jurisdiction, AccountType(row.type), AccountState(row.state), row.holder, row.installation_id
    )


def accounts_page(
    sessions: Sessions,
    vis: Visibility,
    *,
    after: str | None,
    limit: int,
    jurisdiction: str | None = None,
    account_type: str | None = None,
    state: str | None = None,
) -> list[Account]:
    a = rows.ACCOUNTS
    query = select(a).where(_scoped(vis, a.c.jurisdiction, a.c.id)).order_by(a.c.id).limit(min(limit, MAX_PAGE))
    for column, value in (
        (a.c.id, after),
        (a.c.jurisdiction, jurisdiction),
        (a.c.type, account_type),
        (a.c.state, state),
    ):
        if value is not None:
            query = query.where(column > value if column is a.c.id else column == value)
    with sessions() as session:
        return [_account(r) for r in session.execute(query)]


def account(sessions: Sessions, account_id: str) -> Account:
    with sessions() as session:
        found = rows.accounts(session, [account_id]).get(account_id)
    if found is None:
        raise NotFound(f"unknown account {account_id!r}")
    return found


def account_target(sessions: Sessions, account_id: str) -> Target:
    found = account(sessions, account_id)
    return Target(found.jurisdiction, (found.id,), found.installation_id)


def transactions_page(
    sessions: Sessions,
    vis: Visibility,
    *,
    after: str | None,
    limit: int,
    account_id: str | None = None,
    state: TransactionState | None = None,
    transaction_type: TransactionType | None = None,
    unit_type: str | None = None,
) -> list[TransactionView]:
    t = rows.TRANSACTIONS
    query = select(t).where(_scoped(vis, t.c.jurisdiction, t.c.source_account, t.c.destination_account))
    if after is not None:
        query = query.where(t.c.id > after)
    if account_id is not None:
        query = query.where(or_(t.c.source_account == account_id, t.c.destination_account == account_id))
    if state is not None:
        query = query.where(t.c.state == state.value)
    if transaction_type is not None:
        query = query.where(t.c.type == transaction_type.value)
    if unit_type is not None:
        query = query.where(t.c.unit_type == unit_type)
    with sessions() as session:
        return [rows.view(r) for r in session.execute(query.order_by(t.c.id).limit(min(limit, MAX_PAGE)))]


def transaction_target(sessions: Sessions, transaction_id: str) -> Target:
    t = rows.TRANSACTIONS
    with sessions() as session:
        found = session.execute(
            select(t.c.jurisdiction, t.c.source_account, t.c.destination_account, t.c.installation_id).where(
                t.c.id == transaction_id
            )
        ).first()
    if found is None:
        raise NotFound(f"unknown transaction {transaction_id!r}")
    accounts = tuple(a for a in (found.source_account, found.destination_account) if a)
    return Target(found.jurisdiction, accounts, found.installation_id)


@dataclass(frozen=True, slots=True)
class UnitTypeView:
    code: str
    jurisdiction: str
    kind: str
    vintage: int
    origin: str
    cap: int
    issued: int


def unit_types_page(
    sessions: Sessions, jurisdictions: Sequence[str], *, after: str | None, limit: int
) -> list[UnitTypeView]:
    u = rows.UNIT_TYPES
    query = select(u).where(u.c.jurisdiction.in_(sorted(jurisdictions))).order_by(u.c.code).limit(min(limit, MAX_PAGE))
    if after is not None:
        query = query.where(u.c.code > after)
    with sessions() as session:
        return [
            UnitTypeView(r.code, r.jurisdiction, r.kind, r.vintage, r.origin, r.cap, r.issued)
            for r in session.execute(query)
        ]


def unit_type_jurisdiction(sessions: Sessions, code: str) -> str:
    with sessions() as session:
        found = session.scalar(select(rows.UNIT_TYPES.c.jurisdiction).where(rows.UNIT_TYPES.c.code == code))
    if found is None:
        raise NotFound(f"unknown unit type {code!r}")
    return str(found)


@dataclass(frozen=True, slots=True)
class InstallationView:
    id: str
    jurisdiction: str
    name: str
    sector: str


def installations_page(
    sessions: Sessions, *, after: str | None, limit: int, jurisdiction: str | None = None
) -> list[InstallationView]:
    i = INSTALLATIONS
    query = select(i).order_by(i.c.id).limit(min(limit, MAX_PAGE))
    if after is not None:
        query = query.where(i.c.id > after)
    if jurisdiction is not None:
        query = query.where(i.c.jurisdiction == jurisdiction)
    with sessions() as session:
        return [InstallationView(r.id, r.jurisdiction, r.name, r.sector) for r in session.execute(query)]


def installation_target(sessions: Sessions, installation_id: str) -> Target:
    """The installation with its operator holding accounts (their representatives act for it)."""
    a = rows.ACCOUNTS
    with sessions() as session:
        found = session.execute(
            select(INSTALLATIONS.c.jurisdiction).where(INSTALLATIONS.c.id == installation_id)
        ).first()
        if found is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        accounts = tuple(session.scalars(select(a.c.id).where(a.c.installation_id == installation_id)))
    return Target(found.jurisdiction, accounts, installation_id)


@dataclass(frozen=True, slots=True)
class TrustedView:
    trusted_account_id: str
    effective_at: dt.datetime
    active: bool


def trusted_list(sessions: Sessions, account_id: str, *, now: dt.datetime) -> list[TrustedView]:
    """The account's trusted list: the latest change of each pair, additions only."""
    t = rows.TRUSTED
    latest = select(func.max(t.c.id)).where(t.c.account_id == account_id).group_by(t.c.trusted_account_id)
    with sessions() as session:
        found = session.execute(select(t).where(t.c.id.in_(latest)).order_by(t.c.trusted_account_id)).all()
    views = []
    for r in found:
        if r.action == "add":
            at = rows.utc(r.effective_at) or now
            views.append(TrustedView(r.trusted_account_id, at, at <= now))
    return views


@dataclass(frozen=True, slots=True)
class PublicInstallationYear:
    """What the EU Transaction Log shows publicly for an installation-year; nothing personal."""

    installation_id: str
    jurisdiction: str
    name: str
    year: int
    allocation_t: int
    verified_emissions_t: int | None
    surrendered_t: int
    status: str  # A: surrendered >= verified emissions, B: fewer, C: no verified emissions entered


def _public_rows(session: Session, code: str | None, year: int, installation_id: str | None) -> list[Any]:
    i, t, e, al = INSTALLATIONS, rows.TRANSACTIONS, COMPLIANCE_ENTRIES, ALLOCATIONS
    latest = select(func.max(e.c.id)).where(e.c.year == year).group_by(e.c.installation_id)
    verified = select(e.c.installation_id, e.c.verified_emissions_t).where(e.c.id.in_(latest)).subquery()
    surrendered = (
        select(t.c.installation_id, func.sum(t.c.quantity).label("q"))
        .where(
            t.c.type == TransactionType.SURRENDER.value,
            t.c.state == TransactionState.COMPLETED.value,
            t.c.compliance_year == year,
        )
        .group_by(t.c.installation_id)
        .subquery()
    )
    allocated = (
        select(al.c.installation_id, func.sum(al.c.allocation_t).label("q"))
        .where(al.c.year == year)
        .group_by(al.c.installation_id)
        .subquery()
    )
    query = (
        select(
            i.c.id,
            i.c.jurisdiction,
            i.c.name,
            verified.c.verified_emissions_t,
            surrendered.c.q.label("surr"),
            allocated.c.q.label("alloc"),
        )
        .outerjoin(verified, verified.c.installation_id == i.c.id)
        .outerjoin(surrendered, surrendered.c.installation_id == i.c.id)
        .outerjoin(allocated, allocated.c.installation_id == i.c.id)
        .order_by(i.c.id)
    )
    if code is not None:
        query = query.where(i.c.jurisdiction == code)
    if installation_id is not None:
        query = query.where(i.c.id == installation_id)
    return list(session.execute(query))


def _public(row: Any, year: int) -> PublicInstallationYear:
    verified = None if row.verified_emissions_t is None else int(row.verified_emissions_t)
    surrendered = int(row.surr or 0)
    status = "C" if verified is None else ("A" if surrendered >= verified else "B")
    return PublicInstallationYear(
        row.id, row.jurisdiction, row.name, year, int(row.alloc or 0), verified, surrendered, status
    )


def public_installation_year(sessions: Sessions, installation_id: str, year: int) -> PublicInstallationYear:
    with sessions() as session:
        found = _public_rows(session, None, year, installation_id)
    if not found:
        raise NotFound(f"unknown installation {installation_id!r}")
    return _public(found[0], year)


@dataclass(frozen=True, slots=True)
class PublicJurisdictionYear:
    jurisdiction: str
    year: int
    installations: int
    allocation_t: int
    verified_emissions_t: int
    surrendered_t: int
    status_counts: dict[str, int]


def public_jurisdiction_year(sessions: Sessions, code: str, year: int) -> PublicJurisdictionYear:
    with sessions() as session:
        found = [_public(r, year) for r in _public_rows(session, code, year, None)]
    counts = {s: sum(1 for f in found if f.status == s) for s in ("A", "B", "C")}
    return PublicJurisdictionYear(
        code,
        year,
        len(found),
        sum(f.allocation_t for f in found),
        sum(f.verified_emissions_t or 0 for f in found),
        sum(f.surrendered_t for f in found),
        counts,
    )


def public_installations_page(
    sessions: Sessions, code: str, year: int, *, after: str | None, limit: int
) -> list[PublicInstallationYear]:
    with sessions() as session:
        found = [_public(r, year) for r in _public_rows(session, code, year, None)]
    return [f for f in found if after is None or f.installation_id > after][: min(limit, MAX_PAGE)]
