"""Assess one installation-year: which surrendered units count, the status, the shortfall and
its consequences (penalty, make-good, deduction from next year's allocation).

Rules (configuration, per jurisdiction, see data/compliance/*.toml and `rules.py`):
- Allowances count if their vintage is at most the year plus the configured lead (banked
  allowances of earlier years count; China does not accept next year's allowances).
- Offsets count up to `offset_limit_share` of verified emissions (China: CCER up to 5 %,
  MEE Measures for the Administration of Carbon Emission Trading (Trial), Order No. 19 of
  2020, Art. 29), and only if eligible by vintage and origin.
- Status: `missing_emissions` when no verified emissions were entered by the emissions
  deadline (the operator account is then blocked), else `compliant` when units counted by
  the surrender deadline cover the obligation, `late` when they cover it only with units
  surrendered after the deadline, `under_surrendered` otherwise.
- Penalty on the shortfall at the deadline: `per_tonne` (EU: EUR 100/t CO2e indexed,
  Directive 2003/87/EC Art. 16(3)) or `multiple_of_price` (China: 5-10x the average price of
  the month before the deadline, Interim Regulations on Carbon Emission Trading, State
  Council Decree No. 775 of 2024, Art. 24). The shortfall is carried as make-good (EU) or
  deducted from next year's allocation (China).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum


class Status(StrEnum):
    COMPLIANT = "compliant"
    LATE = "late"
    UNDER_SURRENDERED = "under_surrendered"
    MISSING_EMISSIONS = "missing_emissions"


@dataclass(frozen=True, slots=True)
class OffsetRules:
    limit_share: Decimal
    eligible_origins: frozenset[str]
    earliest_vintage: int


@dataclass(frozen=True, slots=True)
class PenaltyRules:
    kind: str  # "per_tonne" or "multiple_of_price"
    amount: Decimal  # currency per tonne, or the multiple of the reference price
    currency: str
    shortfall_consequence: str  # "make_good" or "deduct_next_allocation"


@dataclass(frozen=True, slots=True)
class Surrender:
    on: dt.date
    quantity: int
    kind: str  # "allowance" or "offset"
    vintage: int
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ComplianceCase:
    installation_id: str
    year: int
    obligation_t: int | None  # verified emissions after obligation caps; None: not entered
    emissions_entered_on: dt.date | None
    surrenders: tuple[Surrender, ...]
    emissions_deadline: dt.date
    surrender_deadline: dt.date
    carried_make_good_t: int = 0
    latest_allowance_vintage: int | None = None  # None: any vintage counts
    allocation_debt_t: int = 0  # excess allocation a true-up could not take back: surrendered on top


@dataclass(frozen=True, slots=True)
class Assessment:
    installation_id: str
    year: int
    status: Status
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
    deducted_from_next_allocation_t: int
    block_account: bool


def _offset_eligible(s: Surrender, rules: OffsetRules) -> bool:
    return s.vintage >= rules.earliest_vintage and (not rules.eligible_origins or s.origin in rules.eligible_origins)


def _count(
    surrenders: Sequence[Surrender], obligation: int, rules: OffsetRules, latest_vintage: int | None
) -> tuple[int, int, int, int]:
    """(allowances counted, offsets counted, offsets rejected, allowances rejected), in surrender
    order; offsets capped at the limit share of the obligation."""
    limit = int((Decimal(obligation) * rules.limit_share).to_integral_value(rounding=ROUND_FLOOR))
    allowances = offsets = rejected = rejected_allowances = 0
    for s in sorted(surrenders, key=lambda x: x.on):
        if s.kind == "allowance":
            if latest_vintage is None or s.vintage <= latest_vintage:
                allowances += s.quantity
            else:
                rejected_allowances += s.quantity
        elif _offset_eligible(s, rules):
            take = max(0, min(s.quantity, limit - offsets))
            offsets += take
            rejected += s.quantity - take
        else:
            rejected += s.quantity
    return allowances, offsets, rejected, rejected_allowances


def penalty_for(shortfall_t: int, rules: PenaltyRules, reference_price: Decimal) -> Decimal:
    if shortfall_t <= 0:
        return Decimal("0.00")
    rate = rules.amount if rules.kind == "per_tonne" else rules.amount * reference_price
    return (rate * shortfall_t).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def assess(
    case: ComplianceCase, offsets: OffsetRules, penalties: PenaltyRules, reference_price: Decimal = Decimal(0)
) -> Assessment:
    """The status and consequences of one installation-year."""
    missing = (
        case.obligation_t is None
        or case.emissions_entered_on is None
        or case.emissions_entered_on > case.emissions_deadline
    )
    required = (case.obligation_t or 0) + case.carried_make_good_t + case.allocation_debt_t
    on_time = tuple(s for s in case.surrenders if s.on <= case.surrender_deadline)
    latest = case.latest_allowance_vintage
    a_on_time, o_on_time, _, _ = _count(on_time, case.obligation_t or 0, offsets, latest)
    allowances, offset_units, rejected, rejected_allowances = _count(
        case.surrenders, case.obligation_t or 0, offsets, latest
    )
    shortfall_deadline = max(0, required - a_on_time - o_on_time)
    shortfall = max(0, required - allowances - offset_units)
    if missing:
        status = Status.MISSING_EMISSIONS
    elif shortfall_deadline == 0:
        status = Status.COMPLIANT
    elif shortfall == 0:
        status = Status.LATE
    else:
        status = Status.UNDER_SURRENDERED
    make_good = penalties.shortfall_consequence == "make_good"
    return Assessment(
        case.installation_id,
        case.year,
        status,
        required,
        allowances,
        offset_units,
        rejected,
        rejected_allowances,
        shortfall_deadline,
        shortfall,
        penalty_for(shortfall_deadline if not missing else 0, penalties, reference_price),
        penalties.currency,
        shortfall if make_good else 0,
        0 if make_good else shortfall,
        missing,
    )
