"""The cash ledger through the settlement-bank statement: deposits and withdrawals in minor units,
a re-imported statement changes nothing, a withdrawal never exceeds the free balance, bad lines
are located and nothing is applied, and every currency sums to zero."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carbonbridge.domain.errors import IdempotencyConflict, RuleViolation, ValidationFailed
from carbonbridge.services.market import cash
from carbonbridge.services.market.check import check
from carbonbridge.services.market.statement import import_statement
from carbonbridge.testing.trading import seed_trading

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
HEADER = "value_date,bank_reference,participant,currency,direction,amount\n"


def _balance(app, participant: str) -> tuple[int, int]:
    (found,) = [a for a in cash.accounts(app.sessions, participant)]
    return found.balance, found.held


def test_statement_deposits_and_withdrawals_are_idempotent_and_conserved(app, tmp_path: Path) -> None:
    seeded = seed_trading(app.sessions, now=NOW, jurisdiction="BY", traders=2, cash_each=1_000)
    p1, p2 = seeded.participants
    statement = tmp_path / "statement.csv"
    statement.write_text(HEADER + f"2026-03-03,R1,{p1},BYN,credit,1234.56\n2026-03-03,R2,{p2},BYN,debit,0.50\n")
    first = import_statement(app.sessions, statement, "BY", now=NOW)
    assert (first.applied, first.credited, first.debited) == (2, 123_456, 50)
    again = import_statement(app.sessions, statement, "BY", now=NOW)
    assert (again.applied, again.repeated) == (0, 2)
    assert _balance(app, p1) == (1_000 + 123_456, 0) and _balance(app, p2) == (950, 0)
    too_much = tmp_path / "too_much.csv"
    too_much.write_text(HEADER + f"2026-03-04,R3,{p2},BYN,debit,9.51\n")
    with pytest.raises(RuleViolation, match="C11"):
        import_statement(app.sessions, too_much, "BY", now=NOW)
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + f"2026-03-03,R1,{p1},BYN,credit,1.00\n")
    with pytest.raises(IdempotencyConflict):
        import_statement(app.sessions, changed, "BY", now=NOW)
    report = check(app.sessions)
    assert report.ok, report.problems
    assert report.money_in_system["BYN"] == 2 * 1_000 + 123_456 - 50


def test_a_bad_statement_is_located_and_nothing_applied(app, tmp_path: Path) -> None:
    seeded = seed_trading(app.sessions, now=NOW, jurisdiction="BY", traders=1, cash_each=1_000)
    (p1,) = seeded.participants
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"2026-03-03,R1,{p1},BYN,credit,10\n2026-13-01,R1,{p1},EUR,sideways,1.234\n")
    with pytest.raises(ValidationFailed) as caught:
        import_statement(app.sessions, bad, "BY", now=NOW)
    assert [p.render() for p in caught.value.problems] == [
        f"{bad}:3:1: not a date (YYYY-MM-DD): '2026-13-01'",
        f"{bad}:3:2: reference 'R1' appears twice",
        f"{bad}:3:4: currency must be BYN or CNY, got 'EUR'",
        f"{bad}:3:5: direction must be credit or debit, got 'sideways'",
        f"{bad}:3:6: a price has at most two decimals (got '1.234')",
    ]
    assert _balance(app, p1) == (1_000, 0)
