"""Compliance statuses, offset limits and penalties of an installation-year, worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from carbonbridge.domain.compliance.assessment import (
    ComplianceCase,
    OffsetRules,
    PenaltyRules,
    Status,
    Surrender,
    assess,
)

D = Decimal
CCER = OffsetRules(limit_share=D("0.05"), eligible_origins=frozenset({"CCER"}), earliest_vintage=2020)
CN_PENALTY = PenaltyRules("multiple_of_price", D(5), "CNY", "deduct_next_allocation")
EU_PENALTY = PenaltyRules("per_tonne", D(100), "EUR", "make_good")
DEADLINE = dt.date(2026, 12, 31)


def case(
    obligation: int | None, *surrenders: Surrender, entered: dt.date | None = dt.date(2026, 3, 31)
) -> ComplianceCase:
    return ComplianceCase("CN-0001", 2025, obligation, entered, surrenders, dt.date(2026, 3, 31), DEADLINE)


def allowances(n: int, on: dt.date = dt.date(2026, 11, 1)) -> Surrender:
    return Surrender(on, n, "allowance", 2025)


def test_full_surrender_by_the_deadline_is_compliant_without_penalty() -> None:
    result = assess(
        case(100_000, allowances(95_000), Surrender(dt.date(2026, 11, 2), 5_000, "offset", 2023, "CCER")),
        CCER,
        CN_PENALTY,
        D("80"),
    )
    assert (result.status, result.counted_offsets_t, result.shortfall_t, result.penalty) == (
        Status.COMPLIANT,
        5_000,
        0,
        D("0.00"),
    )


def test_offsets_beyond_five_percent_are_not_counted_and_the_gap_is_penalised() -> None:
    # obligation 100,000: offsets count up to 5,000; 8,000 offered -> 3,000 rejected
    # shortfall 100,000 - 92,000 - 5,000 = 3,000 t; fine 5 x 80 CNY x 3,000 = 1,200,000.00 CNY
    result = assess(
        case(100_000, allowances(92_000), Surrender(DEADLINE, 8_000, "offset", 2023, "CCER")), CCER, CN_PENALTY, D("80")
    )
    assert (result.counted_offsets_t, result.rejected_offsets_t) == (5_000, 3_000)
    assert (result.status, result.shortfall_t, result.penalty) == (Status.UNDER_SURRENDERED, 3_000, D("1200000.00"))
    assert result.deducted_from_next_allocation_t == 3_000


def test_ineligible_vintage_or_origin_is_rejected() -> None:
    result = assess(
        case(
            1_000,
            allowances(950),
            Surrender(DEADLINE, 30, "offset", 2019, "CCER"),
            Surrender(DEADLINE, 20, "offset", 2024, "VCS"),
        ),
        CCER,
        CN_PENALTY,
        D("80"),
    )
    assert (result.counted_offsets_t, result.rejected_offsets_t, result.shortfall_t) == (0, 50, 50)


def test_surrender_after_the_deadline_is_late_and_still_penalised_eu_style() -> None:
    late = allowances(10_000, dt.date(2027, 1, 15))
    result = assess(case(50_000, allowances(40_000), late), CCER, EU_PENALTY)
    # 10,000 t missing at the deadline x EUR 100 = EUR 1,000,000.00; nothing left to make good
    assert (result.status, result.shortfall_at_deadline_t, result.penalty) == (Status.LATE, 10_000, D("1000000.00"))
    assert result.carried_forward_t == 0


def test_eu_shortfall_is_carried_forward_as_make_good_and_added_next_year() -> None:
    first = assess(case(50_000, allowances(45_000)), CCER, EU_PENALTY)
    assert (first.carried_forward_t, first.penalty) == (5_000, D("500000.00"))
    second = assess(
        ComplianceCase(
            "CN-0001",
            2026,
            40_000,
            dt.date(2027, 3, 31),
            (allowances(45_000, dt.date(2027, 9, 1)),),
            dt.date(2027, 3, 31),
            dt.date(2027, 9, 30),
            carried_make_good_t=first.carried_forward_t,
        ),
        CCER,
        EU_PENALTY,
    )
    assert (second.required_t, second.status) == (45_000, Status.COMPLIANT)


def test_missing_verified_emissions_by_the_deadline_blocks_the_account() -> None:
    for result in (
        assess(case(None), CCER, CN_PENALTY, D(80)),
        assess(case(1_000, allowances(1_000), entered=dt.date(2026, 4, 2)), CCER, CN_PENALTY, D(80)),
    ):
        assert (result.status, result.block_account) == (Status.MISSING_EMISSIONS, True)
