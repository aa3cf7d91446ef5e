"""What posting an allocation change does (domain/allocation/posting.py), worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.config import BenchmarkConfig, IntensityConfig
from carbonbridge.domain.allocation.design import BenchmarkDesign, IntensityDesign
from carbonbridge.domain.allocation.posting import PostingDecision, decide, raised_cap, unit_type_cap

CAP = LinearCap(2025, 1_000_000, 1_000_000, ((2026, Decimal("0.043")),))
BENCHMARK = BenchmarkDesign(BenchmarkConfig(CAP, (), ()))
INTENSITY = IntensityDesign(IntensityConfig((), ()))


def test_a_positive_change_is_delivered_less_last_years_shortfall() -> None:
    # 675,290 pre-allocated, 50,000 owed from last year: 625,290 delivered, 50,000 withheld.
    assert decide(675_290, 50_000, 0) == PostingDecision(625_290, 0, 50_000, 0)


def test_a_shortfall_larger_than_the_change_is_withheld_whole_and_the_rest_stays_owed() -> None:
    # B: 41,160 pre-allocated, 100,000 owed: everything withheld, nothing delivered.
    d = decide(41_160, 100_000, 0)
    assert (d.allocate_t, d.withheld_t, d.delivered_t) == (0, 41_160, 0)


def test_a_negative_change_is_taken_back_up_to_what_the_account_holds_free_and_the_rest_is_a_debt() -> None:
    # B's true-up: -78,400; B holds 37,200 free: 37,200 returned, 41,200 a debt.
    d = decide(-78_400, 0, 37_200)
    assert d == PostingDecision(0, 37_200, 0, 41_200)
    assert d.delivered_t == -37_200


def test_a_negative_change_with_enough_free_units_leaves_no_debt() -> None:
    assert decide(-1_000, 500, 5_000) == PostingDecision(0, 1_000, 0, 0)


def test_a_repeat_keeps_what_the_first_run_withheld() -> None:
    # The first run withheld 50,000; the debt has since been settled otherwise (owed 0): a repeat
    # must issue the same total, so it withholds 50,000 again.
    assert decide(675_290, 0, 0, recorded_withheld_t=50_000) == PostingDecision(625_290, 0, 50_000, 0)


def test_no_change_posts_nothing() -> None:
    assert decide(0, 10, 10) == PostingDecision(0, 0, 0, 0)


def test_an_absolute_cap_is_the_years_cap_whatever_is_issued() -> None:
    # 1,000,000 - 0.043 x 1,000,000 = 957,000 in 2026.
    assert unit_type_cap(BENCHMARK, 2026, 900_000, 500_000) == 957_000
    assert raised_cap(BENCHMARK, 957_000, 2026, 900_000, 500_000) is None


def test_an_intensity_cap_follows_the_allocations_and_is_never_lowered() -> None:
    assert unit_type_cap(INTENSITY, 2025, 0, 0) == 1  # a unit type needs a positive cap
    assert unit_type_cap(INTENSITY, 2025, 1_584_870, 0) == 1_584_870
    assert raised_cap(INTENSITY, 1_584_870, 2025, 1_584_870, 713_210) == 2_298_080
    assert raised_cap(INTENSITY, 2_298_080, 2025, 1_584_870, 0) is None


@pytest.mark.parametrize("change", [-5, 0, 5, 10_000])
@pytest.mark.parametrize("owed", [0, 3, 20_000])
@pytest.mark.parametrize("available", [0, 2, 50_000])
def test_a_decision_accounts_for_the_whole_change(change: int, owed: int, available: int) -> None:
    d = decide(change, owed, available)
    assert min(d.allocate_t, d.take_back_t, d.withheld_t, d.debt_t) >= 0
    assert d.allocate_t + d.withheld_t - d.take_back_t - d.debt_t == change
