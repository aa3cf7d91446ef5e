"""The settlement bank, for now: a statement file (CSV) of credits and debits to participants'
sub-accounts. This is the one module to replace with a real bank interface (ISO 20022 camt.053
statements or an API); the ledger only needs `StatementLine`s.

Columns: value_date, bank_reference, participant, currency, direction (credit|debit), amount
(a decimal with at most two places, in the currency's major unit). A credit is a deposit into
the market, a debit a withdrawal paid out. The bank reference is the client key: importing the
same statement twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.money import Currency, parse_price

COLUMNS = ("value_date", "bank_reference", "participant", "currency", "direction", "amount")


@dataclass(frozen=True, slots=True)
class StatementLine:
    line: int
    value_date: dt.date
    reference: str
    participant: str
    currency: str
    direction: str  # credit | debit
    amount_minor: int


def read_statement(path: Path) -> list[StatementLine]:
    """Every line checked; all problems raised together as ValidationFailed (FILE:LINE:COLUMN)."""
    file = str(path)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed([Problem(f"cannot read: {exc.strerror}", file)]) from exc
    reader = csv.reader(io.StringIO(content))
    header = [h.strip() for h in next(reader, [])]
    if header != list(COLUMNS):
        raise ValidationFailed([Problem(f"header must be {','.join(COLUMNS)}", file, 1, 1)])
    problems: list[Problem] = []
    lines: list[StatementLine] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(COLUMNS):
            problems.append(Problem(f"expected {len(COLUMNS)} fields, found {len(row)}", file, number, 1))
            continue
        cell = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
        before = len(problems)

        def bad(name: str, message: str, number: int = number) -> None:
            problems.append(Problem(message, file, number, COLUMNS.index(name) + 1, name))

        try:
            day = dt.date.fromisoformat(cell["value_date"])
        except ValueError:
            bad("value_date", f"not a date (YYYY-MM-DD): {cell['value_date']!r}")
        if not cell["bank_reference"]:
            bad("bank_reference", "bank reference is required")
        elif cell["bank_reference"] in seen:
            bad("bank_reference", f"reference {cell['bank_reference']!r} appears twice")
        seen.add(cell["bank_reference"])
        if not cell["participant"]:
            bad("participant", "participant is required")
        if cell["currency"] not in Currency.__members__:
            bad("currency", f"currency must be BYN or CNY, got {cell['currency']!r}")
        if cell["direction"] not in ("credit", "debit"):
            bad("direction", f"direction must be credit or debit, got {cell['direction']!r}")
        try:
            amount = parse_price(cell["amount"])
        except ValueError as exc:
            bad("amount", f"{exc} (got {cell['amount']!r})")
        if len(problems) == before:
            lines.append(
                StatementLine(
                    number,
                    day,
                    cell["bank_reference"],
                    cell["participant"],
                    cell["currency"],
                    cell["direction"],
                    amount,
                )
            )
    if problems:
        raise ValidationFailed(problems)
    return lines
