"""Import a settlement-bank statement: every line a deposit or withdrawal, all in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from carbonbridge.adapters.bank_statement import read_statement
from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.cash import CashAccountKind
from carbonbridge.services.market import cash


@dataclass(frozen=True, slots=True)
class StatementImport:
    lines: int
    applied: int
    repeated: int
    credited: int
    debited: int


def import_statement(sessions: Sessions, path: Path, jurisdiction: str, *, now: dt.datetime) -> StatementImport:
    lines = read_statement(path)
    currency = load_market_config(jurisdiction).currency
    wrong = [
        Problem(f"this market settles in {currency}", str(path), ln.line, 4, "currency")
        for ln in lines
        if ln.currency != currency
    ]
    if wrong:
        raise ValidationFailed(wrong)
    bank = cash.system_account(jurisdiction.upper(), CashAccountKind.BANK, currency)

    def work(session: Session) -> StatementImport:
        applied = repeated = credited = debited = 0
        for line in lines:
            kind = "deposit" if line.direction == "credit" else "withdrawal"
            account = cash.participant_account(line.participant, currency)
            moved = cash.apply_bank_move(
                session, account, bank, currency, line.amount_minor, f"bank:{line.reference}", now, kind
            )
            repeated += moved.repeated
            applied += not moved.repeated
            if not moved.repeated:
                credited += line.amount_minor if kind == "deposit" else 0
                debited += line.amount_minor if kind == "withdrawal" else 0
        return StatementImport(len(lines), applied, repeated, credited, debited)

    return retrying(sessions, work, command=f"market import-statement {path.name}", now=now)
