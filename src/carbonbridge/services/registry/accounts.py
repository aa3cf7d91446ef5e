"""Use cases for registry set-up: unit types, accounts and their states, representatives, trusted
account lists. Creating commands are idempotent by the natural id they create."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.registry import rows
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.registry.tables import ACCOUNTS, HOLDINGS, LINKS, REPS, TRUSTED, UNIT_TYPES
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.policy_config import load_policy, timezone_of
from carbonbridge.domain.errors import Conflict, NotFound, Problem, RuleViolation, ValidationFailed
from carbonbridge.domain.registry.idempotency import check_repeat
from carbonbridge.domain.registry.model import (
    Account,
    AccountState,
    AccountType,
    RepresentativeState,
    ResponseCode,
    UnitKind,
    UnitType,
    unit_type_code,
)
from carbonbridge.domain.registry.policy import SecurityPolicy
from carbonbridge.domain.registry.rules import check_cap_change
from carbonbridge.services.registry.ports import PolicyFor


def _system_account(session: Session, jurisdiction: str, kind: AccountType, now: dt.datetime) -> None:
    account_id = f"{jurisdiction}-{'ISSUANCE' if kind is AccountType.ISSUANCE else 'DELETION'}"
    if not rows.accounts(session, [account_id]):
        session.execute(
            insert(ACCOUNTS).values(
                id=account_id,
                jurisdiction=jurisdiction,
                type=kind.value,
                state=AccountState.OPEN.value,
                holder=f"{jurisdiction} registry",
                installation_id=None,
                created_at=now,
            )
        )


def create_unit_type(
    sessions: Sessions,
    jurisdiction: str,
    kind: UnitKind,
    vintage: int,
    cap: int,
    *,
    now: dt.datetime,
    origin: str = "",
    actor: str = "registry",
) -> UnitType:
    """A unit type with its cap; also opens the jurisdiction's issuance and deletion accounts."""
    if cap <= 0:
        raise ValidationFailed([Problem("cap must be a positive number of units", field="cap")])
    code = unit_type_code(jurisdiction, kind, vintage, origin)
    with unit_of_work(sessions) as session:
        existing = rows.unit_type(session, code)
        if existing is not None:
            first = {"cap": existing.cap, "origin": existing.origin}
            check_repeat(code, first, {"cap": cap, "origin": origin})
            return existing
        _system_account(session, jurisdiction, AccountType.ISSUANCE, now)
        _system_account(session, jurisdiction, AccountType.DELETION, now)
        values = {"code": code, "jurisdiction": jurisdiction, "kind": kind.value, "vintage": vintage, "origin": origin}
        session.execute(insert(UNIT_TYPES).values(**values, cap=cap, issued=0, created_at=now))
        audit(session, at=now, actor=actor, action="registry.unit_type.created", subject=code, detail={"cap": cap})
        return UnitType(code, jurisdiction, kind, vintage, origin, cap, 0)


def set_cap(
    sessions: Sessions, code: str, cap: int, *, now: dt.datetime, reason: str, actor: str = "registry"
) -> UnitType:
    """Change a unit type's cap (an intensity cap follows verified output); never below the
    units issued. Audited with the previous cap and the reason; a repeat changes nothing."""
    if not reason.strip():
        raise ValidationFailed([Problem("a change of cap needs a reason", field="reason")])
    with unit_of_work(sessions) as session:
        unit = rows.unit_type(session, code, lock=True)
        if unit is None:
            raise NotFound(f"unknown unit type {code!r}")
        if unit.cap == cap:
            return unit
        verdict = check_cap_change(unit, cap)
        if verdict is not ResponseCode.OK:
            raise RuleViolation(verdict.value, f"{code}: a cap of {cap:,} is below the {unit.issued:,} units issued")
        session.execute(update(UNIT_TYPES).where(UNIT_TYPES.c.code == code).values(cap=cap))
        detail: dict[str, object] = {"cap": cap, "previous": unit.cap, "reason": reason}
        audit(session, at=now, actor=actor, action="registry.unit_type.cap_changed", subject=code, detail=detail)
        return UnitType(unit.code, unit.jurisdiction, unit.kind, unit.vintage, unit.origin, cap, unit.issued)


def open_account(
    sessions: Sessions,
    account_id: str,
    jurisdiction: str,
    account_type: AccountType,
    holder: str,
    *,
    now: dt.datetime,
    installation_id: str | None = None,
    actor: str = "registry",
) -> Account:
    """Open an account; an operator holding account is linked to exactly one installation."""
    problems = []
    if not account_id.strip() or len(account_id) > 64:
        problems.append(Problem("account id must be 1-64 characters", field="account_id"))
    if account_type is AccountType.ISSUANCE:
        problems.append(Problem("the issuance account is opened by the registry itself", field="type"))
    if (account_type is AccountType.OPERATOR_HOLDING) != (installation_id is not None):
        problems.append(
            Problem("an operator holding account (and only one) names its installation", field="installation")
        )
    if problems:
        raise ValidationFailed(problems)
    account = Account(account_id, jurisdiction, account_type, AccountState.OPEN, holder, installation_id)
    body: dict[str, object] = {
        "jurisdiction": jurisdiction,
        "type": account_type.value,
        "holder": holder,
        "installation": installation_id,
    }
    with unit_of_work(sessions) as session:
        existing = rows.accounts(session, [account_id]).get(account_id)
        if existing is not None:
            first = {
                "jurisdiction": existing.jurisdiction,
                "type": existing.type.value,
                "holder": existing.holder,
                "installation": existing.installation_id,
            }
            check_repeat(account_id, first, body)
            return existing
        if installation_id is not None and session.get(InstallationRow, installation_id) is None:
            raise NotFound(f"unknown installation {installation_id!r}")
        session.execute(
            insert(ACCOUNTS).values(
                id=account_id,
                state=account.state.value,
                created_at=now,
                jurisdiction=jurisdiction,
                type=account_type.value,
                holder=holder,
                installation_id=installation_id,
            )
        )
        audit(session, at=now, actor=actor, action="registry.account.opened", subject=account_id, detail=body)
        return account


def set_account_state(
    sessions: Sessions, account_id: str, state: AccountState, *, now: dt.datetime, reason: str, actor: str = "registry"
) -> Account:
    """Block, suspend, reopen or close an account (closing needs an empty account)."""
    if not reason.strip():
        raise ValidationFailed([Problem("a change of account state needs a reason", field="reason")])
    with unit_of_work(sessions) as session:
        account = rows.accounts(session, [account_id]).get(account_id)
        if account is None:
            raise NotFound(f"unknown account {account_id!r}")
        if account.state is AccountState.CLOSED:
            raise Conflict(f"account {account_id} is closed")
        if state is AccountState.CLOSED:
            held = session.scalar(
                select(func.coalesce(func.sum(HOLDINGS.c.quantity), 0)).where(HOLDINGS.c.account_id == account_id)
            )
            if held:
                raise Conflict(f"account {account_id} still holds {held} units")
        session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == account_id).values(state=state.value))
        detail: dict[str, object] = {"from": account.state.value, "to": state.value, "reason": reason}
        audit(session, at=now, actor=actor, action="registry.account.state", subject=account_id, detail=detail)
        return Account(account.id, account.jurisdiction, account.type, state, account.holder, account.installation_id)


def add_representative(
    sessions: Sessions,
    representative_id: str,
    name: str,
    account_ids: list[str],
    *,
    now: dt.datetime,
    actor: str = "registry",
) -> list[str]:
    """Create the representative if new and authorise them for the accounts; returns all their accounts."""
    with unit_of_work(sessions) as session:
        existing = session.execute(select(REPS.c.name).where(REPS.c.id == representative_id)).first()
        if existing is None:
            session.execute(
                insert(REPS).values(
                    id=representative_id,
                    name=name,
                    created_at=now,
                    state=RepresentativeState.ACTIVE.value,
                    consecutive_failures=0,
                )
            )
        else:
            check_repeat(representative_id, {"name": existing.name}, {"name": name})
        found = rows.accounts(session, account_ids)
        missing = sorted(set(account_ids) - set(found))
        if missing:
            raise NotFound(f"unknown accounts: {', '.join(missing)}")
        linked = set(session.scalars(select(LINKS.c.account_id).where(LINKS.c.representative_id == representative_id)))
        new = sorted(set(account_ids) - linked)
        if new:
            session.execute(
                insert(LINKS),
                [{"account_id": a, "representative_id": representative_id, "added_at": now} for a in new],
            )
            audit(
                session,
                at=now,
                actor=actor,
                action="registry.representative.authorised",
                subject=representative_id,
                detail={"accounts": list(new)},
            )
        return sorted(linked | set(new))


def reinstate_representative(
    sessions: Sessions, representative_id: str, *, now: dt.datetime, reason: str, actor: str = "registry"
) -> None:
    """Lift a suspension (after the registry has re-identified the person)."""
    with unit_of_work(sessions) as session:
        changed = session.execute(
            update(REPS)
            .where(REPS.c.id == representative_id)
            .values(state=RepresentativeState.ACTIVE.value, consecutive_failures=0)
        ).rowcount  # type: ignore[attr-defined]
        if not changed:
            raise NotFound(f"unknown representative {representative_id!r}")
        audit(
            session,
            at=now,
            actor=actor,
            action="registry.representative.reinstated",
            subject=representative_id,
            detail={"reason": reason},
        )


@dataclass(frozen=True, slots=True)
class TrustedChange:
    account_id: str
    trusted_account_id: str
    action: str
    effective_at: dt.datetime


def change_trusted(
    sessions: Sessions,
    account_id: str,
    trusted_account_id: str,
    *,
    add: bool,
    now: dt.datetime,
    actor: str,
    policy_for: PolicyFor = load_policy,
) -> TrustedChange:
    """Add to the trusted list (effective after N working days) or remove (effective at once).
    Repeating the current state returns it unchanged, so an addition's clock is not restarted."""
    with unit_of_work(sessions) as session:
        found = rows.accounts(session, [account_id, trusted_account_id])
        missing = sorted({account_id, trusted_account_id} - set(found))
        if missing:
            raise NotFound(f"unknown accounts: {', '.join(missing)}")
        if found[account_id].jurisdiction != found[trusted_account_id].jurisdiction:
            raise ValidationFailed([Problem("a trusted account is in the same registry", field="trusted_account")])
        latest = session.execute(
            select(TRUSTED)
            .where(TRUSTED.c.account_id == account_id, TRUSTED.c.trusted_account_id == trusted_account_id)
            .order_by(TRUSTED.c.id.desc())
            .limit(1)
        ).first()
        action = "add" if add else "remove"
        if latest is not None and latest.action == action:
            return TrustedChange(account_id, trusted_account_id, action, rows.utc(latest.effective_at) or now)
        policy: SecurityPolicy = policy_for(found[account_id].jurisdiction)
        effective = policy.trusted_effective_at(now, timezone_of(found[account_id].jurisdiction)) if add else now
        values = {
            "account_id": account_id,
            "trusted_account_id": trusted_account_id,
            "action": action,
            "at": now,
            "effective_at": effective,
            "actor": actor,
        }
        change_id = session.execute(insert(TRUSTED).values(**values).returning(TRUSTED.c.id)).scalar_one()
        rows.log_trusted_change(session, {"id": change_id, **values})
        audit(
            session,
            at=now,
            actor=actor,
            action=f"registry.trusted.{action}",
            subject=account_id,
            detail={"trusted_account": trusted_account_id, "effective_at": effective.isoformat()},
        )
        return TrustedChange(account_id, trusted_account_id, action, effective)
