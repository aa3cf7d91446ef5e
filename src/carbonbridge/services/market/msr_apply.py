"""The market stability reserve applied to the auction calendar: the year's intake is taken out of
the volumes of the scheduled auctions of the next 12 months (and moved from the auction delivery
account into the reserve account), a release is added to them (moved back out of the reserve).
One database transaction, idempotent per jurisdiction and year, audited; each auction shows its
change in `msr_adjusted`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import IdempotencyConflict, Problem, ValidationFailed
from carbonbridge.domain.market.msr import MsrFigures, apply_to_calendar, figures
from carbonbridge.services.market.msr import registry_tnac
from carbonbridge.services.market.participants import auction_account, reserve_account
from carbonbridge.services.market.registry_moves import move_units

ACTOR = "market"
ACTION = "market.msr.applied"
PERIOD_START_MONTH = 9  # Decision (EU) 2015/1814 Art. 1(5): 12 months from 1 September


@dataclass(frozen=True, slots=True)
class MsrApplication:
    figures: MsrFigures
    start: dt.date
    changes: tuple[tuple[str, int], ...]  # (auction id, volume change)
    applied: int
    not_applied: int
    registry_transactions: tuple[str, ...]
    repeated: bool = False


def month_index(start: dt.date, day: dt.date) -> int:
    """Whole months from `start` to `day` (0 for the first month of the period)."""
    return (day.year - start.year) * 12 + day.month - start.month - (1 if day.day < start.day else 0)


def _add_months(start: dt.date, months: int) -> dt.date:
    year, month = divmod(start.month - 1 + months, 12)
    return start.replace(year=start.year + year, month=month + 1)


def apply_msr(
    sessions: Sessions,
    jurisdiction: str,
    year: int,
    *,
    now: dt.datetime,
    tnac: int | None = None,
    start: dt.date | None = None,
) -> MsrApplication:
    """Apply the MSR figures of `year` (the TNAC given, or computed from the registry) to the
    scheduled auctions from `start` (1 September of `year` by default) for the policy's months.
    A repeat with the same request returns the first application; another request for the same
    jurisdiction and year is IdempotencyConflict."""
    problems = []
    if not 1 <= year <= 9998:
        problems.append(Problem(f"year {year} is out of range", field="year", expected="integer in [1, 9998]"))
    if tnac is not None and tnac < 0:
        problems.append(Problem(f"TNAC {tnac} is negative", field="tnac", expected="integer >= 0"))
    if problems:
        raise ValidationFailed(problems)
    code = jurisdiction.upper()
    config = load_market_config(code)
    policy = config.msr
    begin = start or dt.date(year, PERIOD_START_MONTH, 1)
    end = _add_months(begin, policy.months)
    key = f"msr:{code}:{year}"
    request = {"jurisdiction": code, "year": year, "tnac": tnac, "start": begin.isoformat()}
    circulating, reserve = registry_tnac(sessions, code)  # the reserve's holding caps a release
    measured = circulating if tnac is None else tnac

    def work(session: Session) -> MsrApplication:
        previous = session.execute(
            text("SELECT detail FROM audit_events WHERE action = :a AND idempotency_key = :k"), {"a": ACTION, "k": key}
        ).first()
        if previous is not None:
            return _repeat(previous[0], request, key, begin)
        found = figures(year, measured, policy, reserve)
        lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
        rows = session.execute(
            text(
                "SELECT id, unit_type, auction_date, volume FROM market_auctions WHERE jurisdiction = :j AND "
                f"state = 'scheduled' AND auction_date >= :b AND auction_date < :e ORDER BY auction_date, seq{lock}"
            ),
            {"j": code, "b": begin.isoformat(), "e": end.isoformat()},
        ).all()
        auctions = [(str(r[0]), month_index(begin, dt.date.fromisoformat(str(r[2]))), int(r[3])) for r in rows]
        change = apply_to_calendar(found.monthly, auctions, config.auction.lot_size, release=found.release > 0)
        unit_of = {str(r[0]): str(r[1]) for r in rows}
        per_unit: dict[str, int] = {}
        for auction_id, delta in change.changes:
            session.execute(
                text(
                    "UPDATE market_auctions SET volume = volume + :d, msr_adjusted = coalesce(msr_adjusted, 0) + :d "
                    "WHERE id = :i"
                ),
                {"d": delta, "i": auction_id},
            )
            per_unit[unit_of[auction_id]] = per_unit.get(unit_of[auction_id], 0) + delta
        moved: list[str] = []
        for unit, delta in sorted(per_unit.items()):
            source, destination = (auction_account(code), reserve_account(code))
            if delta > 0:  # a release: out of the reserve into the auctions
                source, destination = destination, source
            moved += move_units(session, code, source, destination, unit, abs(delta), f"{key}:{unit}", now)
        detail: dict[str, object] = {
            "request": request,
            "tnac": found.tnac,
            "intake": found.intake,
            "release": found.release,
            "rule": found.rule,
            "monthly": list(found.monthly),
            "changes": [list(c) for c in change.changes],
            "applied": change.applied,
            "not_applied": change.not_applied,
            "registry_transactions": moved,
        }
        audit(session, at=now, actor=ACTOR, action=ACTION, subject=f"{code} {year}", detail=detail, key=key)
        return MsrApplication(found, begin, change.changes, change.applied, change.not_applied, tuple(moved))

    return retrying(sessions, work, command=f"market msr apply {code} {year}", now=now)


def _repeat(recorded: object, request: dict[str, object], key: str, begin: dt.date) -> MsrApplication:
    detail = json.loads(recorded) if isinstance(recorded, str) else dict(recorded)  # type: ignore[call-overload]
    if detail["request"] != request:
        raise IdempotencyConflict(key, sorted(k for k in request if detail["request"].get(k) != request[k]))
    found = MsrFigures(
        int(request["year"]),  # type: ignore[call-overload]
        int(detail["tnac"]),
        int(detail["intake"]),
        int(detail["release"]),
        str(detail["rule"]),
        tuple(int(m) for m in detail["monthly"]),
    )
    changes = tuple((str(a), int(d)) for a, d in detail["changes"])
    moved = tuple(str(t) for t in detail["registry_transactions"])
    return MsrApplication(found, begin, changes, int(detail["applied"]), int(detail["not_applied"]), moved, True)
