"""Uncertainty Approach 1 (Vol 1 Ch 3 Eqs 3.1-3.2, Table 3.2) and Approach 2 (Monte Carlo)
against hand calculations and closed forms. Monte Carlo tests are seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.inventory.montecarlo import Correlation, Model, Parameter, Source, simulate
from carbonbridge.domain.inventory.uncertainty import UncertaintyInput, approach1


def test_approach1_level_is_root_sum_of_squares_over_the_total() -> None:
    # Hand: sqrt((0.10*100)^2 + (0.20*50)^2) / 150 = sqrt(200)/150 = 9.428 %
    result = approach1(
        [UncertaintyInput("A", "CO2", 100.0, ef_pct=10.0), UncertaintyInput("B", "CH4", 50.0, ef_pct=20.0)]
    )
    assert result.level_pct == pytest.approx(math.sqrt(200) / 150 * 100)
    assert sum(r.variance_contribution for r in result.rows) == pytest.approx(result.level_pct**2)


def test_activity_and_factor_uncertainties_combine_in_quadrature() -> None:
    assert UncertaintyInput("A", "CO2", 1.0, ad_pct=3.0, ef_pct=4.0).combined_pct == pytest.approx(5.0)


def test_approach1_trend_uncertainty_follows_table_3_2_by_hand() -> None:
    # Two categories: C = base, D = current. sum C = sum D = 200, trend 0.
    # I1 = ((1.5 + 200 - (1 + 200)) / 201) * 100 - 0 = 0.248756; I2 = -0.248756
    # J1 = 150/200 = 0.75; J2 = 0.25
    # K = I * F: 2.48756, -12.4378; L = J * E * sqrt(2): 2.12132, 1.76777
    # trend uncertainty = sqrt(sum K^2 + L^2)
    inputs = [
        UncertaintyInput("A", "CO2", 150.0, 100.0, ad_pct=2.0, ef_pct=10.0),
        UncertaintyInput("B", "CH4", 50.0, 100.0, ad_pct=5.0, ef_pct=50.0),
    ]
    i1 = (0.01 * 150 + 200 - (0.01 * 100 + 200)) / (0.01 * 100 + 200) * 100
    i2 = (0.01 * 50 + 200 - (0.01 * 100 + 200)) / (0.01 * 100 + 200) * 100
    expected = math.sqrt(
        (i1 * 10) ** 2 + (0.75 * 2 * math.sqrt(2)) ** 2 + (i2 * 50) ** 2 + (0.25 * 5 * math.sqrt(2)) ** 2
    )
    result = approach1(inputs)
    assert result.trend_pct == pytest.approx(0.0)
    assert result.rows[0].sensitivity_a == pytest.approx(0.248756, rel=1e-5)
    assert result.rows[1].sensitivity_b == pytest.approx(0.25)
    assert result.trend_uncertainty_pp == pytest.approx(expected)
    assert result.trend_uncertainty_pp == pytest.approx(12.98, abs=0.01)


def test_a_single_category_has_trend_uncertainty_from_activity_data_only() -> None:
    # Type A sensitivity is 0; J = 120/100; L = 1.2 * 10 * sqrt(2) = 16.97 pp.
    result = approach1([UncertaintyInput("A", "CO2", 120.0, 100.0, ad_pct=10.0, ef_pct=5.0)])
    assert result.rows[0].sensitivity_a == pytest.approx(0.0, abs=1e-9)
    assert result.trend_uncertainty_pp == pytest.approx(1.2 * 10 * math.sqrt(2))


def test_approach1_and_approach2_agree_within_0_2_points_on_small_independent_normal_inputs() -> None:
    rng = np.random.default_rng(7)
    values = rng.uniform(1e5, 5e6, 30)
    uncertainties = rng.uniform(2.0, 10.0, 30)
    a1 = approach1(
        [
            UncertaintyInput(f"c{i}", "CO2", float(v), ef_pct=float(u))
            for i, (v, u) in enumerate(zip(values, uncertainties, strict=True))
        ]
    )
    model = Model(
        [Parameter(f"p{i}", float(u)) for i, u in enumerate(uncertainties)],
        [Source(f"c{i}", "CO2", float(v), (f"p{i}",)) for i, v in enumerate(values)],
    )
    a2 = simulate(model, np.random.default_rng(2026), 400_000)
    assert abs(a2.total.low_pct - a1.level_pct) < 0.2
    assert abs(a2.total.high_pct - a1.level_pct) < 0.2


def test_approach2_shows_the_lognormal_asymmetry_at_100_percent_uncertainty() -> None:
    # Closed form for a mean-1 lognormal with sd = 100/196: sigma^2 = ln(1 + sd^2), mu = -sigma^2/2
    sd = 1.0 / 1.96
    sigma = math.sqrt(math.log(1 + sd**2))
    low = (1 - math.exp(-(sigma**2) / 2 - 1.959964 * sigma)) * 100  # 65.3 %
    high = (math.exp(-(sigma**2) / 2 + 1.959964 * sigma) - 1) * 100  # 128.5 %
    model = Model([Parameter("ef", 100.0, "lognormal")], [Source("3.C.4", "N2O", 1000.0, ("ef",))])
    result = simulate(model, np.random.default_rng(11), 400_000)
    assert result.total.low_pct == pytest.approx(low, abs=0.5)
    assert result.total.high_pct == pytest.approx(high, abs=1.5)
    assert result.total.high_pct > result.total.low_pct + 50


@pytest.mark.parametrize("distribution", ["normal", "uniform", "triangular"])
def test_each_symmetric_distribution_has_a_95_percent_interval_of_plus_minus_u(distribution: str) -> None:
    model = Model([Parameter("x", 20.0, distribution)], [Source("1.A.1", "CO2", 100.0, ("x",))])
    result = simulate(model, np.random.default_rng(3), 400_000)
    assert result.total.low_pct == pytest.approx(20.0, abs=0.3)
    assert result.total.high_pct == pytest.approx(20.0, abs=0.3)


def test_sources_sharing_a_factor_are_fully_correlated() -> None:
    # Two equal sources with one shared 10 % factor: the total is +/-10 %, not 10/sqrt(2).
    model = Model(
        [Parameter("ef", 10.0)], [Source("1.A.1", "CO2", 50.0, ("ef",)), Source("1.A.2", "CO2", 50.0, ("ef",))]
    )
    result = simulate(model, np.random.default_rng(5), 200_000)
    assert result.total.high_pct == pytest.approx(10.0, abs=0.15)


def test_partial_correlation_follows_the_gaussian_copula() -> None:
    # Var of the sum of two equal sources (relative sd s) with rho 0.5: s^2 (1 + 1 + 2*0.5) / 4 -> 8.66 % interval
    model = Model(
        [Parameter("a", 10.0), Parameter("b", 10.0)],
        [Source("A", "CO2", 50.0, ("a",)), Source("B", "CO2", 50.0, ("b",))],
        [Correlation("a", "b", 0.5)],
    )
    result = simulate(model, np.random.default_rng(9), 400_000)
    assert result.total.high_pct == pytest.approx(10 * math.sqrt(0.75), abs=0.15)


def test_the_same_seed_gives_the_same_result_and_blocks_bound_memory() -> None:
    model = Model(
        [Parameter("a", 30.0, "triangular"), Parameter("b", 50.0, "lognormal")],
        [Source("A", "CO2", 10.0, ("a", "b"), base=8.0)],
    )
    first = simulate(model, np.random.default_rng(42), 10_000, block=1_000)
    second = simulate(model, np.random.default_rng(42), 10_000, block=1_000)
    assert first.total == second.total
    assert first.trend_pct is not None and first.trend_pct.mean == pytest.approx(25.0, abs=1e-9)


def test_a_bad_model_reports_every_problem() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Model([Parameter("a", -1.0, "gamma")], [Source("A", "CO2", 1.0, ("zzz",))], [Correlation("a", "a", 2.0)])
    assert len(caught.value.problems) == 4
