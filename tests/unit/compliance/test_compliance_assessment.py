"""Compliance statuses, offset limits and penalties of an installation-year, worked by hand."""

from __future__ import annotations

import dataclasses
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


def test_allowances_of_a_later_vintage_do_not_count_and_an_allocation_debt_adds_to_the_obligation() -> None:
    # China: vintage <= 2025 counts for 2025. Obligation 1,000 + debt 200 (excess allocation not taken
    # back) = 1,200 required; 1,100 of vintage 2025 count, the 100 of vintage 2026 do not -> 100 short.
    base = case(1_000, allowances(1_100), Surrender(dt.date(2026, 11, 1), 100, "allowance", 2026))
    result = assess(
        dataclasses.replace(base, latest_allowance_vintage=2025, allocation_debt_t=200),
        CCER,
        CN_PENALTY,
        D("80"),
    )
    assert (result.required_t, result.counted_allowances_t, result.rejected_allowances_t) == (1_200, 1_100, 100)
    assert (result.status, result.shortfall_t, result.penalty) == (Status.UNDER_SURRENDERED, 100, D("40000.00"))


def test_compliance_configuration_is_parsed_and_every_bad_field_is_named() -> None:
    from carbonbridge.adapters.compliance_config import parse_compliance_rules
    from carbonbridge.domain.errors import ValidationFailed

    good = {
        "deadlines": {"emissions": "03-31", "surrender": "09-30"},
        "offsets": {"limit_share": "0.05", "eligible_origins": ["CCER"], "earliest_vintage": 2013},
        "penalty": {
            "kind": "per_tonne",
            "amount": "100",
            "currency": "EUR",
            "shortfall": "make_good",
            "reference_price": "0",
        },
    }
    rules = parse_compliance_rules(good, file="c.toml", jurisdiction="XX")
    assert (rules.emissions_deadline.for_year(2025), rules.surrender_deadline.for_year(2025)) == (
        dt.date(2026, 3, 31),
        dt.date(2026, 9, 30),
    )
    bad = {
        "deadlines": {"emissions": "13-01", "surrender": "09-30"},
        "offsets": {"limit_share": "1.5", "eligible_origins": "CCER"},
        "penalty": {
            "kind": "per_day",
            "amount": "x",
            "currency": "EURO",
            "shortfall": "forgive",
            "reference_price": "-1",
        },
    }
    try:
        parse_compliance_rules(bad, file="c.toml", jurisdiction="XX")
    except ValidationFailed as exc:
        fields = sorted(str(p.field) for p in exc.problems)
        assert all(p.file == "c.toml" for p in exc.problems)
    else:
        raise AssertionError("a bad configuration was accepted")
    assert fields == sorted(
        [
            "deadlines.emissions",
            "offsets.limit_share",
            "offsets.eligible_origins",
            "penalty.kind",
            "penalty.amount",
            "penalty.currency",
            "penalty.shortfall",
            "penalty.reference_price",
        ]
    )
