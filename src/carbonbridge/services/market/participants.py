"""Admission to the market: the jurisdiction's market accounts (exchange clearing account, auction
delivery account, cash system accounts, the settlement agent) and each participant's cash account,
registry account authorisation and trusted-list entries.

The settlement agent is a registry representative of every admitted trading account, the clearing
account and the auction delivery account: it initiates the settlement transfers that an order or a
bid instructed. The clearing account and each participant's account trust each other (trusted list,
effective after the registry's activation period), so settlement transfers complete at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.market.cash import CashAccountKind
from carbonbridge.domain.registry.idempotency import check_repeat
from carbonbridge.domain.registry.model import AccountType
from carbonbridge.services.market import cash
from carbonbridge.services.registry import accounts as registry_accounts

ACTOR = "market"


def clearing_account(jurisdiction: str) -> str:
    return f"{jurisdiction}-EXCHANGE-CLEARING"


def auction_account(jurisdiction: str) -> str:
    return f"{jurisdiction}-AUCTION-DELIVERY"


def reserve_account(jurisdiction: str) -> str:
    """The market stability reserve's registry account (intake in, release out)."""
    return f"{jurisdiction}-MSR"


def agent(jurisdiction: str) -> str:
    return f"{jurisdiction}-market-settlement-agent"


def open_market(
    sessions: Sessions, jurisdiction: str, *, now: dt.datetime, national_account: str | None = None
) -> None:
    """The jurisdiction's market accounts; repeating it changes nothing. With `national_account`, the
    settlement agent may also move the auction volume from it to the auction delivery account."""
    code = jurisdiction.upper()
    currency = load_market_config(code).currency
    registry_accounts.open_account(
        sessions, clearing_account(code), code, AccountType.TRADING, f"{code} exchange clearing", now=now, actor=ACTOR
    )
    registry_accounts.open_account(
        sessions, auction_account(code), code, AccountType.AUCTION_DELIVERY, f"{code} auctioneer", now=now, actor=ACTOR
    )
    registry_accounts.open_account(
        sessions,
        reserve_account(code),
        code,
        AccountType.MARKET_STABILITY_RESERVE,
        f"{code} market stability reserve",
        now=now,
        actor=ACTOR,
    )
    registry_accounts.add_representative(
        sessions,
        agent(code),
        f"{code} market settlement agent",
        [clearing_account(code), auction_account(code), reserve_account(code)],
        now=now,
    )
    # The MSR intake moves auction volume into the reserve, a release moves it back.
    for pair in ((auction_account(code), reserve_account(code)), (reserve_account(code), auction_account(code))):
        registry_accounts.change_trusted(sessions, *pair, add=True, now=now, actor=ACTOR)
    if national_account is not None:
        registry_accounts.add_representative(
            sessions, agent(code), f"{code} market settlement agent", [national_account], now=now
        )
        registry_accounts.change_trusted(
            sessions, national_account, auction_account(code), add=True, now=now, actor=ACTOR
        )
    with unit_of_work(sessions) as session:
        for kind in (CashAccountKind.BANK, CashAccountKind.FEES, CashAccountKind.PROCEEDS):
            cash.ensure_account(session, cash.system_account(code, kind, currency), code, currency, kind)


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    jurisdiction: str
    name: str
    beneficial_owner: str
    registry_account: str


def admit(
    sessions: Sessions,
    participant_id: str,
    jurisdiction: str,
    name: str,
    registry_account: str,
    *,
    now: dt.datetime,
    beneficial_owner: str | None = None,
) -> Participant:
    """Admit a participant trading through `registry_account`; idempotent by participant id."""
    code = jurisdiction.upper()
    if not participant_id.strip() or len(participant_id) > 64 or ":" in participant_id:
        raise ValidationFailed([Problem("participant id must be 1-64 characters without ':'", field="participant")])
    owner = beneficial_owner or participant_id
    found = Participant(participant_id, code, name, owner, registry_account)
    currency = load_market_config(code).currency
    with unit_of_work(sessions) as session:
        existing = participant(session, participant_id)
        if existing is not None:
            keys = ("jurisdiction", "name", "beneficial_owner", "registry_account")
            check_repeat(participant_id, {k: getattr(existing, k) for k in keys}, {k: getattr(found, k) for k in keys})
            return existing
        account = session.execute(
            text("SELECT jurisdiction FROM registry_accounts WHERE id = :a"), {"a": registry_account}
        ).first()
        if account is None or account[0] != code:
            raise NotFound(f"no {code} registry account {registry_account!r}")
        session.execute(
            text(
                "INSERT INTO market_participants (id, jurisdiction, name, beneficial_owner, registry_account, "
                "admitted_at) "
                "VALUES (:i, :j, :n, :b, :r, :t)"
            ),
            {"i": participant_id, "j": code, "n": name, "b": owner, "r": registry_account, "t": now},
        )
        account_id = cash.participant_account(participant_id, currency)
        cash.ensure_account(session, account_id, participant_id, currency, CashAccountKind.PARTICIPANT)
        audit(
            session,
            at=now,
            actor=ACTOR,
            action="market.participant.admitted",
            subject=participant_id,
            detail={"account": registry_account},
        )
    registry_accounts.add_representative(
        sessions, agent(code), f"{code} market settlement agent", [registry_account], now=now
    )
    for source, destination in (
        (registry_account, clearing_account(code)),
        (clearing_account(code), registry_account),
        (auction_account(code), registry_account),
    ):
        registry_accounts.change_trusted(sessions, source, destination, add=True, now=now, actor=ACTOR)
    return found


def participant(session: Session, participant_id: str) -> Participant | None:
    row = session.execute(
        text(
            "SELECT id, jurisdiction, name, beneficial_owner, registry_account FROM market_participants WHERE id = :i"
        ),
        {"i": participant_id},
    ).first()
    return Participant(*row) if row is not None else None


def participants(session: Session, jurisdiction: str) -> dict[str, Participant]:
    rows = session.execute(
        text(
            "SELECT id, jurisdiction, name, beneficial_owner, registry_account FROM market_participants "
            "WHERE jurisdiction = :j ORDER BY id"
        ),
        {"j": jurisdiction},
    ).all()
    return {r[0]: Participant(*r) for r in rows}


def participant_of_account(session: Session, jurisdiction: str, registry_account: str) -> Participant | None:
    """The market participant trading through `registry_account` in `jurisdiction` (one per account)."""
    row = session.execute(
        text(
            "SELECT id, jurisdiction, name, beneficial_owner, registry_account FROM market_participants "
            "WHERE jurisdiction = :j AND registry_account = :r ORDER BY id"
        ),
        {"j": jurisdiction, "r": registry_account},
    ).first()
    return Participant(*row) if row is not None else None
