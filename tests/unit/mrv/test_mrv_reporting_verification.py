"""Report totals and the verifier's materiality rule (EU AVR 2018/2067 Art. 23), without storage."""

from __future__ import annotations

import random

import pytest

from carbonbridge.domain.errors import RuleViolation, ValidationFailed
from carbonbridge.domain.mrv.reporting import StreamEmissions, totals
from carbonbridge.domain.mrv.verification import Opinion, assess, materiality_pct, whole_tonnes


@pytest.mark.parametrize(
    ("reported", "level"), [(0.0, 5.0), (499_999.9, 5.0), (500_000.0, 5.0), (500_000.1, 2.0), (3e6, 2.0)]
)
def test_materiality_is_5_percent_up_to_500_kt_and_2_percent_above(reported: float, level: float) -> None:
    assert materiality_pct(reported) == level


def test_a_material_misstatement_cannot_get_a_satisfactory_opinion() -> None:
    with pytest.raises(RuleViolation) as refused:
        assess(100_000, 5_001, Opinion.SATISFACTORY)
    assert refused.value.code == "material_misstatement"
    with pytest.raises(RuleViolation):
        assess(600_000, -12_001, Opinion.SATISFACTORY_WITH_COMMENTS)  # understatement counts too
    outcome = assess(600_000, 12_001, Opinion.NOT_SATISFACTORY)
    assert (outcome.material, outcome.verified, outcome.verified_emissions_t) == (True, False, None)
    assert outcome.materiality_pct == 2.0


def test_a_misstatement_at_the_level_is_not_material() -> None:
    outcome = assess(100_000, 5_000, Opinion.SATISFACTORY)
    assert (outcome.material, outcome.verified, outcome.verified_emissions_t) == (False, True, 100_000)
    assert outcome.misstatement_pct == pytest.approx(5.0, rel=1e-12)


def test_an_immaterial_report_with_a_negative_opinion_is_not_verified() -> None:
    outcome = assess(100_000, 0, Opinion.NOT_SATISFACTORY)
    assert (outcome.material, outcome.verified, outcome.verified_emissions_t) == (False, False, None)


@pytest.mark.parametrize("misstatement", [float("nan"), float("inf"), float("-inf")])
def test_a_misstatement_that_is_not_a_number_is_refused_not_passed_as_immaterial(misstatement: float) -> None:
    # NaN > 5.0 is False: without the check a NaN misstatement was verified as satisfactory.
    with pytest.raises(ValidationFailed) as failed:
        assess(100_000, misstatement, Opinion.SATISFACTORY)
    assert failed.value.problems[0].field == "misstatement_t"


def test_negative_reported_emissions_are_refused() -> None:
    with pytest.raises(RuleViolation):
        assess(-1.0, 0.0, Opinion.SATISFACTORY)


@pytest.mark.parametrize(("value", "tonnes"), [(0.5, 1), (1.4999, 1), (2.5, 3), (4406.853, 4407), (1e6 - 0.5, 1e6)])
def test_verified_emissions_are_whole_tonnes_rounded_half_up(value: float, tonnes: int) -> None:
    assert whole_tonnes(value) == tonnes


def test_report_totals_do_not_depend_on_row_order() -> None:
    rng = random.Random(20_250_101)  # a fixed seed: the test is deterministic
    parts = [
        StreamEmissions(f"s{i % 5}", "calculation", rng.uniform(0, 1e6), rng.uniform(0, 10), rng.uniform(0, 1))
        for i in range(2_000)
    ]
    first = totals(parts, "AR5GWP100")
    rng.shuffle(parts)
    second = totals(parts, "AR5GWP100")
    assert (first.co2_t, first.ch4_t, first.n2o_t, first.co2e_t) == (
        second.co2_t,
        second.ch4_t,
        second.n2o_t,
        second.co2e_t,
    )
    assert first.by_stream == second.by_stream
    assert first.by_stream["s0"]["records"] == 400.0


def test_report_co2e_is_recomputed_from_gas_masses_under_the_set() -> None:
    result = totals([StreamEmissions("gas", "calculation", 1907.4, 0.034, 0.0034)], "AR4GWP100")
    assert result.co2e_t == pytest.approx(1907.4 + 0.034 * 25 + 0.0034 * 298, rel=1e-12)  # AR4 WG1 Table 2.14
