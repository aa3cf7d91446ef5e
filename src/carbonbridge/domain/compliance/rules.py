"""A jurisdiction's compliance-year rules, parsed from configuration (data/compliance/<CODE>.toml):
deadlines, offsets, allowance vintages, penalties and the consequence of a shortfall."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonbridge.domain.compliance.assessment import OffsetRules, PenaltyRules
from carbonbridge.domain.errors import Problem, ValidationFailed

PENALTY_KINDS = ("per_tonne", "multiple_of_price")
CONSEQUENCES = ("make_good", "deduct_next_allocation")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A day of the year after the compliance year (month, day), and how many years after."""

    month: int
    day: int
    years_after: int = 1

    def for_year(self, year: int) -> dt.date:
        return dt.date(year + self.years_after, self.month, self.day)


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    jurisdiction: str
    emissions_deadline: Deadline
    surrender_deadline: Deadline
    offsets: OffsetRules
    allowance_vintage_lead: int  # allowances of vintage <= year + lead count for the year
    penalties: PenaltyRules
    reference_price: Decimal  # per tonne, for multiple_of_price when no market price is given
    source: str

    def latest_allowance_vintage(self, year: int) -> int:
        return year + self.allowance_vintage_lead


def _deadline(data: Mapping[str, Any], key: str, file: str, problems: list[Problem]) -> Deadline:
    text = str(data.get(key, ""))
    try:
        month, day = (int(part) for part in text.split("-"))
        dt.date(2024, month, day)  # a leap year accepts 02-29
        return Deadline(month, day, int(data.get(f"{key}_years_after", 1)))
    except (ValueError, TypeError):
        problems.append(Problem(f"expected a day as MM-DD, got {text!r}", file, field=f"deadlines.{key}"))
        return Deadline(1, 1)


def _decimal(data: Mapping[str, Any], key: str, where: str, file: str, problems: list[Problem]) -> Decimal:
    try:
        value = Decimal(str(data[key]))
    except (KeyError, InvalidOperation):
        problems.append(Problem(f"expected a decimal number for '{key}'", file, field=f"{where}{key}"))
        return Decimal(0)
    if value < 0:
        problems.append(Problem(f"'{key}' must not be negative", file, field=f"{where}{key}"))
    return value


def parse_compliance_rules(data: Mapping[str, Any], *, file: str, jurisdiction: str) -> ComplianceRules:
    problems: list[Problem] = []
    deadlines = dict(data.get("deadlines", {}))
    offsets = dict(data.get("offsets", {}))
    penalty = dict(data.get("penalty", {}))
    limit = _decimal(offsets, "limit_share", "offsets.", file, problems)
    if limit > 1:
        problems.append(
            Problem("'limit_share' is a share of verified emissions, 0-1", file, field="offsets.limit_share")
        )
    origins = offsets.get("eligible_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        problems.append(Problem("expected a list of origin codes", file, field="offsets.eligible_origins"))
        origins = []
    kind = str(penalty.get("kind", ""))
    if kind not in PENALTY_KINDS:
        problems.append(Problem(f"expected one of {', '.join(PENALTY_KINDS)}", file, field="penalty.kind"))
    consequence = str(penalty.get("shortfall", ""))
    if consequence not in CONSEQUENCES:
        problems.append(Problem(f"expected one of {', '.join(CONSEQUENCES)}", file, field="penalty.shortfall"))
    currency = str(penalty.get("currency", ""))
    if len(currency) != 3:
        problems.append(Problem("expected an ISO 4217 currency code", file, field="penalty.currency"))
    rules = ComplianceRules(
        jurisdiction,
        _deadline(deadlines, "emissions", file, problems),
        _deadline(deadlines, "surrender", file, problems),
        OffsetRules(limit, frozenset(origins), int(offsets.get("earliest_vintage", 0))),
        int(data.get("allowance_vintage_lead", 0)),
        PenaltyRules(kind, _decimal(penalty, "amount", "penalty.", file, problems), currency, consequence),
        _decimal(penalty, "reference_price", "penalty.", file, problems),
        str(data.get("source", "")),
    )
    if problems:
        raise ValidationFailed(problems)
    return rules
