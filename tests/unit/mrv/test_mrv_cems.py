"""Measurement-based emissions (EU MRR Arts. 43-45, Annex VIII) on series small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.mrv.cems import measured_emissions

NAN = float("nan")


def test_five_hours_with_gaps_substitute_mean_plus_two_sample_sigma_of_valid_hours() -> None:
    concentration = np.array([190.0, 200.0, NAN, 210.0, NAN])  # g CO2/Nm3
    flow = np.array([90_000.0, NAN, 100_000.0, 110_000.0, NAN])  # Nm3/h
    result = measured_emissions(concentration, flow)
    # valid concentrations 190, 200, 210: mean 200, sample sigma 10 -> substitute 200 + 2 x 10 = 220
    # valid flows 90,000, 100,000, 110,000: mean 100,000, sample sigma 10,000 -> 120,000
    assert result.substitute_concentration_g_per_nm3 == pytest.approx(220.0, rel=1e-12)
    assert result.substitute_flow_nm3_per_h == pytest.approx(120_000.0, rel=1e-12)
    grams = 190 * 90_000 + 200 * 120_000 + 220 * 100_000 + 210 * 110_000 + 220 * 120_000
    assert grams == 112_600_000
    assert result.emissions_t == pytest.approx(112.6, rel=1e-12)  # g x 1e-6 = t (Annex VIII Eq. 1)
    assert result.hours_total == 5
    assert result.hours_valid == 2  # hours 1 and 4 have both values
    assert result.hours_substituted_concentration == 2
    assert result.hours_substituted_flow == 2


def test_a_cems_year_with_gaps_in_concentration_and_flow() -> None:
    hours = 8_760
    concentration = np.where(np.arange(hours) % 2 == 0, 190.0, 210.0)
    concentration[:100] = NAN  # a 100-hour analyser outage (50 even, 50 odd hours)
    flow = np.full(hours, 100_000.0)
    flow[8_700:] = NAN  # the flow meter fails for the last 60 hours
    result = measured_emissions(concentration, flow)
    # 8,660 valid concentration hours, half 190 and half 210: mean 200, sample sigma 10 x sqrt(n / (n - 1))
    sigma = 10 * math.sqrt(8_660 / 8_659)
    substitute = 200 + 2 * sigma
    # flow: constant 100,000 Nm3/h, sigma 0, so the substitute is 100,000
    expected_t = (4_330 * 190 + 4_330 * 210) * 100_000 * 1e-6 + 100 * substitute * 100_000 * 1e-6
    assert expected_t == pytest.approx(175_200 + 200 * math.sqrt(8_660 / 8_659), rel=1e-12)
    assert result.emissions_t == pytest.approx(expected_t, rel=1e-12)
    assert result.substitute_concentration_g_per_nm3 == pytest.approx(substitute, rel=1e-12)
    assert result.substitute_flow_nm3_per_h == pytest.approx(100_000.0, rel=1e-12)
    assert (result.hours_total, result.hours_valid) == (8_760, 8_600)
    assert (result.hours_substituted_concentration, result.hours_substituted_flow) == (100, 60)


def test_a_complete_year_needs_no_substitution() -> None:
    result = measured_emissions(np.full(8_760, 200.0), np.full(8_760, 50_000.0))
    assert result.emissions_t == pytest.approx(8_760 * 200 * 50_000 * 1e-6, rel=1e-12)
    assert (result.hours_valid, result.hours_substituted_concentration, result.hours_substituted_flow) == (8_760, 0, 0)


@pytest.mark.parametrize(
    ("concentration", "flow", "message"),
    [
        ([200.0, NAN, NAN], [1.0, 1.0, 1.0], "fewer than 2 valid hours of concentration"),
        ([200.0, 210.0, -1.0], [1.0, 1.0, 1.0], "negative concentration"),
        ([200.0, 210.0, 205.0], [1.0, -1.0, 1.0], "negative flue gas flow"),
        ([200.0, float("inf"), 205.0], [1.0, 1.0, 1.0], "infinite concentration"),
        ([200.0, 210.0, 205.0], [1.0, float("inf"), 1.0], "infinite flue gas flow"),
        ([200.0, 210.0], [1.0, 1.0, 1.0], "equal-length"),
    ],
)
def test_rejects_series_it_cannot_turn_into_emissions(
    concentration: list[float], flow: list[float], message: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        measured_emissions(np.array(concentration), np.array(flow))
    assert any(message in p.message for p in failed.value.problems)
