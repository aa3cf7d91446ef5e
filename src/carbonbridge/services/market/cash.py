"""The cash ledger: accounts per participant and currency in integer minor units, double-entry
postings, holds, deposits and withdrawals from the settlement bank. Every mutation runs in one
database transaction, is idempotent by client key, and writes an audit record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.domain.errors import IdempotencyConflict, NotFound
from carbonbridge.domain.market.cash import CashAccountKind, CashPosting, check_amount, check_available, check_postings

ACTOR = "market"


def participant_account(participant: str, currency: str) -> str:
    return f"{participant}:{currency}"


def system_account(jurisdiction: str, kind: CashAccountKind, currency: str) -> str:
    return f"{jurisdiction}-{kind.value.upper()}:{currency}"


def key_id(kind: str, client_key: str) -> str:
    """A record's id derived from its client key: unique as the key is, and the same in every run of
    a seeded scenario (the demo compares its outputs run to run)."""
    return hashlib.sha256(f"{kind}:{client_key}".encode()).hexdigest()[:32]


def canonical(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def ensure_account(session: Session, account_id: str, owner: str, currency: str, kind: CashAccountKind) -> None:
    found = session.execute(text("SELECT currency, kind FROM market_cash_accounts WHERE id = :i"), {"i": account_id})
    if found.first() is None:
        session.execute(
            text(
                "INSERT INTO market_cash_accounts (id, owner, currency, kind, balance, held) "
                "VALUES (:i, :o, :c, :k, 0, 0)"
            ),
            {"i": account_id, "o": owner, "c": currency, "k": kind.value},
        )


def lock_accounts(session: Session, ids: Iterable[str]) -> dict[str, tuple[int, int, str]]:
    """Lock the accounts in id order (PostgreSQL row locks; SQLite holds the write lock already):
    balance, held and currency of each."""
    wanted = sorted(set(ids))
    lock = " FOR UPDATE" if _pg(session) else ""
    params = {f"a{i}": a for i, a in enumerate(wanted)}
    names = ", ".join(f":a{i}" for i in range(len(wanted)))
    rows = session.execute(
        text(f"SELECT id, balance, held, currency FROM market_cash_accounts WHERE id IN ({names}) ORDER BY id{lock}"),
        params,
    ).all()
    found = {r[0]: (int(r[1]), int(r[2]), str(r[3])) for r in rows}
    missing = [a for a in wanted if a not in found]
    if missing:
        raise NotFound(f"unknown cash accounts: {', '.join(missing)}")
    return found


def entry(
    session: Session, key: str, kind: str, currency: str, body: Mapping[str, Any], now: dt.datetime, actor: str = ACTOR
) -> tuple[str, bool]:
    """The entry of client key `key`: (id, True) when new, (id, False) for a repeat of the same
    request; IdempotencyConflict when the key was used for another request."""
    request = canonical({"kind": kind, "currency": currency, **body})
    found = session.execute(
        text("SELECT id, request FROM market_cash_entries WHERE client_key = :k"), {"k": key}
    ).first()
    if found is not None:
        if found[1] != request:
            before, after = json.loads(found[1]), json.loads(request)
            raise IdempotencyConflict(
                key, sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
            )
        return str(found[0]), False
    entry_id = key_id("entry", key)
    session.execute(
        text(
            "INSERT INTO market_cash_entries (id, client_key, kind, currency, request, actor, at) "
            "VALUES (:i, :k, :kind, :c, :r, :a, :t)"
        ),
        {"i": entry_id, "k": key, "kind": kind, "c": currency, "r": request, "a": actor, "t": now},
    )
    return entry_id, True


def post(session: Session, entry_id: str, postings: Sequence[CashPosting]) -> None:
    """Double entry: the postings sum to zero; each account's balance moves in the same transaction."""
    postings = [p for p in postings if p.amount != 0]
    if not postings:
        return
    check_postings(postings)
    session.execute(
        text("INSERT INTO market_cash_postings (entry_id, account_id, amount) VALUES (:e, :a, :m)"),
        [{"e": entry_id, "a": p.account_id, "m": p.amount} for p in postings],
    )
    session.execute(
        text("UPDATE market_cash_accounts SET balance = balance + :m WHERE id = :a"),
        [{"a": p.account_id, "m": p.amount} for p in postings],
    )


def hold(session: Session, changes: Sequence[tuple[str, int, str]], now: dt.datetime) -> None:
    """Raise (+) or release (-) the held part of accounts: (account, delta, reason) each."""
    changes = [c for c in changes if c[1] != 0]
    if not changes:
        return
    session.execute(
        text("INSERT INTO market_cash_hold_changes (account_id, delta, reason, at) VALUES (:a, :d, :r, :t)"),
        [{"a": a, "d": d, "r": r[:200], "t": now} for a, d, r in changes],
    )
    session.execute(
        text("UPDATE market_cash_accounts SET held = held + :d WHERE id = :a"),
        [{"a": a, "d": d} for a, d, _ in changes],
    )


@dataclass(frozen=True, slots=True)
class CashMovement:
    entry_id: str
    key: str
    account_id: str
    amount: int
    repeated: bool


def deposit(
    sessions: Sessions, participant: str, jurisdiction: str, currency: str, amount: int, key: str, now: dt.datetime
) -> CashMovement:
    """Money arrived at the settlement bank for `participant`: bank -amount, participant +amount."""
    return _bank_move(sessions, participant, jurisdiction, currency, amount, key, now, "deposit")


def withdraw(
    sessions: Sessions, participant: str, jurisdiction: str, currency: str, amount: int, key: str, now: dt.datetime
) -> CashMovement:
    """Money paid out to `participant`'s bank account; never more than its free (unheld) balance."""
    return _bank_move(sessions, participant, jurisdiction, currency, amount, key, now, "withdrawal")


def _bank_move(
    sessions: Sessions,
    participant: str,
    jurisdiction: str,
    currency: str,
    amount: int,
    key: str,
    now: dt.datetime,
    kind: str,
) -> CashMovement:
    check_amount(amount)
    account = participant_account(participant, currency)
    bank = system_account(jurisdiction, CashAccountKind.BANK, currency)

    def work(session: Session) -> CashMovement:
        return apply_bank_move(session, account, bank, currency, amount, key, now, kind)

    return retrying(sessions, work, command=f"market {kind} (client key {key!r})", now=now)


def apply_bank_move(
    session: Session, account: str, bank: str, currency: str, amount: int, key: str, now: dt.datetime, kind: str
) -> CashMovement:
    """One deposit or withdrawal inside the caller's transaction (a statement import runs many in one)."""
    entry_id, new = entry(session, key, kind, currency, {"account": account, "amount": amount}, now)
    if not new:
        return CashMovement(entry_id, key, account, amount, True)
    found = lock_accounts(session, [account, bank])
    balance, held, have = found[account]
    if have != currency or found[bank][2] != currency:
        raise NotFound(f"no {currency} account {account}")
    if kind == "withdrawal":
        check_available(balance, held, amount, account)
    sign = 1 if kind == "deposit" else -1
    post(session, entry_id, [CashPosting(bank, -sign * amount), CashPosting(account, sign * amount)])
    audit(
        session,
        at=now,
        actor=ACTOR,
        action=f"market.cash.{kind}",
        subject=account,
        detail={"amount": amount},
        key=f"cash:{key}",
    )
    return CashMovement(entry_id, key, account, amount, False)


@dataclass(frozen=True, slots=True)
class CashAccountView:
    id: str
    owner: str
    currency: str
    kind: str
    balance: int
    held: int


def accounts(sessions: Sessions, owner: str | None = None) -> list[CashAccountView]:
    with sessions() as session:
        where = " WHERE owner = :o" if owner else ""
        rows = session.execute(
            text(f"SELECT id, owner, currency, kind, balance, held FROM market_cash_accounts{where} ORDER BY id"),
            {"o": owner},
        ).all()
    return [CashAccountView(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]
