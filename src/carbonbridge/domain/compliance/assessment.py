"""Assess one installation-year: which surrendered units count, the status, the shortfall and
its consequences (penalty, make-good, deduction from next year's allocation).

Rules (configuration, per jurisdiction, see data/compliance/*.toml and `rules.py`):
- Allowances count if their vintage is at most the year plus the configured lead (banked
  allowances of earlier years count; China does not accept next year's allowances).
- Offsets count up to `limit_share` of the allowances due, i.e. the obligation after any
  obligation caps (China: CCER up to 5 % of the allowances due, 应清缴碳排放配额, MEE Measures
  for the Administration of Carbon Emission Trading (Trial), Order No. 19 of 2020, Art. 29),
  and only if eligible by vintage and origin.
- Status: `missing_emissions` when no verified emissions were entered by the emissions
  deadline (the operator account is then blocked), else `compliant` when units counted by
  the surrender deadline cover the obligation, `late` when they cover it only with units
  surrendered after the deadline, `under_surrendered` otherwise.
- Penalty on the shortfall at the deadline: `per_tonne` (EU: EUR 100/t CO2e indexed,
  Directive 2003/87/EC Art. 16(3)), `multiple_of_price` (China from 1 May 2024: 5 to 10 times
  the average market price of the month before the deadline, Interim Regulations on the
  Administration of Carbon Emission Trading, State Council Decree No. 775, Art. 24) or `fixed`
  (China before: CNY 20,000-30,000, Order No. 19 Art. 40). A statutory range is configured as
  `amount` (what is charged) and `amount_max`; the assessment reports both ends.
- The shortfall that remains is carried as make-good (EU: the penalty does not release from
  surrendering, Art. 16(3)) or deducted from next year's allocation (China: only where the unit
  refuses to make good when ordered to, Decree No. 775 Art. 24; in the model, the shortfall
  still open when the year is assessed, after any late surrender).
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
    kind: str  # "per_tonne", "multiple_of_price" or "fixed"
    amount: Decimal  # currency per tonne, multiple of the reference price, or a fixed sum: what is charged
    currency: str
    shortfall_consequence: str  # "make_good" or "deduct_next_allocation"
    amount_max: Decimal | None = None  # the top of a statutory range (None: no range)


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
    penalty_max: Decimal = Decimal("0.00")  # the top of the statutory range for the same shortfall


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


def penalty_for(shortfall_t: int, rules: PenaltyRules, reference_price: Decimal, *, upper: bool = False) -> Decimal:
    """The penalty for a shortfall: at `amount`, or at `amount_max` (the top of the range) if upper."""
    if shortfall_t <= 0:
        return Decimal("0.00")
    amount = rules.amount_max if upper and rules.amount_max is not None else rules.amount
    if rules.kind == "fixed":
        total = amount
    elif rules.kind == "per_tonne":
        total = amount * shortfall_t
    else:
        total = amount * reference_price * shortfall_t
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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
    # The penalty falls on the surrender shortfall at the deadline whenever the obligation is known:
    # emissions entered late still block the account, but never make a shortfall cheaper.
    known = case.obligation_t is not None and case.emissions_entered_on is not None
    penalised_t = shortfall_deadline if known else 0
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
        penalty_for(penalised_t, penalties, reference_price),
        penalties.currency,
        shortfall if make_good else 0,
        0 if make_good else shortfall,
        missing,
        penalty_for(penalised_t, penalties, reference_price, upper=True),
    )


def milestone_met(completed_on: Sequence[dt.date | None], share: Decimal, on: dt.date) -> tuple[Decimal, bool]:
    """An interim milestone of a notice ('95 % of the units by 15 December'): the share of units
    whose obligation was covered by `on`, and whether it reaches `share`. None: not covered."""
    if not completed_on:
        return Decimal(1), True
    done = sum(1 for day in completed_on if day is not None and day <= on)
    reached = Decimal(done) / Decimal(len(completed_on))
    return reached, reached >= share
