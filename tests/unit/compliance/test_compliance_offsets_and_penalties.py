"""Compliance edges worked by hand: the CCER limit across several surrenders, its rounding and
vintage edge, rejected totals, penalties of 1 t and of half a cent, missing emissions and the
whole assessment record.

Rules: CCER offsets count up to 5 % of verified emissions (MEE Order No. 19 of 2020, Art. 29;
data/compliance/CN.toml `limit_share`); the China penalty is 5x the reference price per tonne
short (Decree No. 775 Art. 24; CN.toml `amount = 5`), the shortfall deducted from next year's
allocation; the EU-style penalty is per tonne with make-good (Directive 2003/87/EC Art. 16(3)).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from carbonbridge.domain.compliance.assessment import (
    Assessment,
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
EMISSIONS_DEADLINE = dt.date(2026, 3, 31)
DEADLINE = dt.date(2026, 12, 31)
PRICE = D(80)  # CNY per tonne


def case(
    obligation: int | None, *surrenders: Surrender, entered: dt.date | None = EMISSIONS_DEADLINE
) -> ComplianceCase:
    return ComplianceCase("CN-0001", 2025, obligation, entered, surrenders, EMISSIONS_DEADLINE, DEADLINE)


def allowances(n: int, on: dt.date = dt.date(2026, 11, 1), vintage: int = 2025) -> Surrender:
    return Surrender(on, n, "allowance", vintage)


def ccer(n: int, on: dt.date = dt.date(2026, 11, 2), vintage: int = 2023) -> Surrender:
    return Surrender(on, n, "offset", vintage, "CCER")


# --- the offset limit -------------------------------------------------------------------------------


def test_the_ccer_limit_holds_across_several_surrenders_that_each_fit_under_it() -> None:
    # obligation 100,000 t: offsets count up to 5 % = 5,000 t, in surrender order.
    # 1st 3,000 -> 3,000 count (3,000 of 5,000 used); 2nd 3,000 -> 2,000 count, 1,000 rejected;
    # 3rd 500 -> the limit is used up: 0 count, 500 rejected. Counted 5,000, rejected 1,500.
    # Shortfall 100,000 - 92,000 - 5,000 = 3,000 t; penalty 5 x 80 CNY x 3,000 = 1,200,000.00 CNY.
    result = assess(
        case(
            100_000,
            allowances(92_000),
            ccer(3_000, dt.date(2026, 11, 2)),
            ccer(3_000, dt.date(2026, 11, 3)),
            ccer(500, dt.date(2026, 11, 4)),
        ),
        CCER,
        CN_PENALTY,
        PRICE,
    )
    assert (result.counted_offsets_t, result.rejected_offsets_t) == (5_000, 1_500)
    assert (result.shortfall_t, result.penalty) == (3_000, D("1200000.00"))


def test_the_offset_limit_is_rounded_down_to_whole_tonnes() -> None:
    # 5 % of 1,030 t = 51.5 t -> 51 t (rounding to nearest would allow 52)
    result = assess(case(1_030, allowances(978), ccer(52)), CCER, CN_PENALTY, PRICE)
    assert (result.counted_offsets_t, result.rejected_offsets_t, result.shortfall_t) == (51, 1, 1)


def test_an_offset_of_the_earliest_eligible_vintage_counts() -> None:
    # earliest_vintage 2020: a 2020 credit is eligible, a 2019 credit is not
    result = assess(
        case(1_000, allowances(950), ccer(30, vintage=2020), ccer(20, vintage=2019)), CCER, CN_PENALTY, PRICE
    )
    assert (result.counted_offsets_t, result.rejected_offsets_t) == (30, 20)


def test_rejected_allowances_of_several_surrenders_add_up() -> None:
    # China counts allowances of vintage <= 2025 for 2025; two surrenders of 2026 allowances
    # (100 t and 50 t) are both rejected: 150 t. Counted 1,000 of 2025: compliant.
    base = case(
        1_000,
        allowances(1_000),
        allowances(100, dt.date(2026, 11, 5), vintage=2026),
        allowances(50, dt.date(2026, 11, 6), vintage=2026),
    )
    result = assess(dataclasses.replace(base, latest_allowance_vintage=2025), CCER, CN_PENALTY, PRICE)
    assert (result.counted_allowances_t, result.rejected_allowances_t, result.status) == (1_000, 150, Status.COMPLIANT)


# --- penalties ----------------------------------------------------------------------------------------


def test_a_shortfall_of_one_tonne_is_penalised() -> None:
    # 1,000 required, 999 surrendered: 1 t short; 5 x 80 CNY x 1 = 400.00 CNY
    result = assess(case(1_000, allowances(999)), CCER, CN_PENALTY, PRICE)
    assert (result.status, result.shortfall_at_deadline_t, result.penalty) == (
        Status.UNDER_SURRENDERED,
        1,
        D("400.00"),
    )


def test_a_penalty_on_half_a_cent_is_rounded_half_up() -> None:
    # reference price 80.125 CNY/t (a monthly average of 80.12 and 80.13): 5 x 80.125 = 400.625 CNY
    # for 1 t short -> 400.63 CNY (banker's rounding would give 400.62)
    result = assess(case(1_000, allowances(999)), CCER, CN_PENALTY, D("80.125"))
    assert result.penalty == D("400.63")


# --- the whole record: make-good (EU) or deduction (China), never both ----------------------------


def test_an_eu_style_shortfall_is_carried_as_make_good_and_nothing_is_deducted() -> None:
    # 50,000 required, 45,000 surrendered on time: 5,000 t short; EUR 100 x 5,000 = 500,000.00
    result = assess(case(50_000, allowances(45_000)), CCER, EU_PENALTY)
    assert result == Assessment(
        installation_id="CN-0001",
        year=2025,
        status=Status.UNDER_SURRENDERED,
        required_t=50_000,
        counted_allowances_t=45_000,
        counted_offsets_t=0,
        rejected_offsets_t=0,
        rejected_allowances_t=0,
        shortfall_at_deadline_t=5_000,
        shortfall_t=5_000,
        penalty=D("500000.00"),
        penalty_max=D("500000.00"),  # no statutory range: the top is the amount charged
        currency="EUR",
        carried_forward_t=5_000,
        deducted_from_next_allocation_t=0,
        block_account=False,
    )


def test_a_china_style_shortfall_is_deducted_from_next_allocation_and_nothing_is_carried() -> None:
    # 100,000 required; 90,000 allowances + 5,000 CCER (the 5 % limit) = 95,000: 5,000 t short;
    # 5 x 80 CNY x 5,000 = 2,000,000.00 CNY
    result = assess(case(100_000, allowances(90_000), ccer(5_000)), CCER, CN_PENALTY, PRICE)
    assert result == Assessment(
        installation_id="CN-0001",
        year=2025,
        status=Status.UNDER_SURRENDERED,
        required_t=100_000,
        counted_allowances_t=90_000,
        counted_offsets_t=5_000,
        rejected_offsets_t=0,
        rejected_allowances_t=0,
        shortfall_at_deadline_t=5_000,
        shortfall_t=5_000,
        penalty=D("2000000.00"),
        penalty_max=D("2000000.00"),  # no statutory range: the top is the amount charged
        currency="CNY",
        carried_forward_t=0,
        deducted_from_next_allocation_t=5_000,
        block_account=False,
    )


# --- missing verified emissions -----------------------------------------------------------------------


def test_without_verified_emissions_nothing_is_required_no_offset_counts_and_there_is_no_penalty() -> None:
    # No emissions entered: the obligation is unknown, so required = 0 + 0 make-good + 0 debt = 0.
    # Offsets count up to a share of verified emissions; even where that share is 100 %, a share of
    # nothing is 0 t, so all 10 credits are rejected. Nothing is short, nothing to pay.
    everything = OffsetRules(limit_share=D(1), eligible_origins=frozenset({"CCER"}), earliest_vintage=2020)
    result = assess(case(None, ccer(10), entered=None), everything, CN_PENALTY, PRICE)
    assert result == Assessment(
        installation_id="CN-0001",
        year=2025,
        status=Status.MISSING_EMISSIONS,
        required_t=0,
        counted_allowances_t=0,
        counted_offsets_t=0,
        rejected_offsets_t=10,
        rejected_allowances_t=0,
        shortfall_at_deadline_t=0,
        shortfall_t=0,
        penalty=D("0.00"),
        currency="CNY",
        carried_forward_t=0,
        deducted_from_next_allocation_t=0,
        block_account=True,
    )


def test_without_verified_emissions_an_allocation_debt_is_still_due_and_offsets_do_not_cover_it() -> None:
    # required = 0 (unknown obligation) + 200 t debt from the true-up = 200 t; the 10 credits count
    # against a share of no verified emissions: 0 t. 200 t short at the deadline and after it.
    everything = OffsetRules(limit_share=D(1), eligible_origins=frozenset({"CCER"}), earliest_vintage=2020)
    base = case(None, ccer(10), entered=None)
    result = assess(dataclasses.replace(base, allocation_debt_t=200), everything, CN_PENALTY, PRICE)
    assert (result.required_t, result.counted_offsets_t, result.rejected_offsets_t) == (200, 0, 10)
    assert (result.shortfall_at_deadline_t, result.shortfall_t, result.deducted_from_next_allocation_t) == (
        200,
        200,
        200,
    )


def test_emissions_entered_late_do_not_waive_the_penalty_on_a_surrender_shortfall() -> None:
    # Entered 2 April, after the 31 March deadline: status missing_emissions, account blocked.
    # The obligation is known (1,000 t) and only 900 t were surrendered by the deadline: 100 t short.
    # docs/compliance.md: "The penalty is charged on the shortfall at the deadline", and the rule it
    # configures (CN.toml, Decree No. 775 Art. 24) fines the surrender shortfall; neither exempts a
    # late report. Otherwise reporting late is cheaper than surrendering. 5 x 80 CNY x 100 = 40,000.00.
    result = assess(case(1_000, allowances(900), entered=dt.date(2026, 4, 2)), CCER, CN_PENALTY, PRICE)
    assert (result.status, result.block_account, result.shortfall_at_deadline_t) == (
        Status.MISSING_EMISSIONS,
        True,
        100,
    )
    assert result.penalty == D("40000.00")
