"""Key category analysis against hand calculations (IPCC 2006 Vol 1 Ch 4 Eqs 4.1, 4.2, 4.4, 4.5)."""

from __future__ import annotations

import pytest

from carbonbridge.domain.inventory import kca


def test_level_assessment_ranks_by_share_and_keeps_the_category_that_crosses_95_percent() -> None:
    # Hand: total 1000; shares 0.60, 0.30, 0.06, 0.04; cumulative 0.60, 0.90, 0.96, 1.00.
    rows = kca.level({("1.A.1", "CO2"): 600.0, ("3.A.1", "CH4"): 300.0, ("4.A", "CH4"): 60.0, ("2.A.1", "CO2"): 40.0})
    assert [(r.category, r.key) for r in rows] == [("1.A.1", True), ("3.A.1", True), ("4.A", True), ("2.A.1", False)]
    assert [round(r.share, 10) for r in rows] == [0.6, 0.3, 0.06, 0.04]
    assert rows[2].cumulative == pytest.approx(0.96)


def test_level_assessment_counts_removals_by_their_absolute_value() -> None:
    rows = kca.level({("1.A.1", "CO2"): 800.0, ("3.B.1.a", "CO2"): -200.0})
    assert rows[1].category == "3.B.1.a"
    assert rows[1].share == pytest.approx(200 / 1000)
    assert rows[1].value == -200.0


def test_trend_assessment_matches_equation_4_2_by_hand() -> None:
    # Hand: sum base = sum current = 1000, so the total trend is 0.
    # T_A = 500/1000 * |(400-500)/500| = 0.10; T_B = 0.3 * |0.5| = 0.15; T_C = 0.2 * |-0.25| = 0.05.
    base = {("A", "CO2"): 500.0, ("B", "CO2"): 300.0, ("C", "CO2"): 200.0}
    current = {("A", "CO2"): 400.0, ("B", "CO2"): 450.0, ("C", "CO2"): 150.0}
    scores = kca.trend_scores(base, current)
    assert scores[("A", "CO2")] == pytest.approx(0.10)
    assert scores[("B", "CO2")] == pytest.approx(0.15)
    assert scores[("C", "CO2")] == pytest.approx(0.05)
    rows = kca.trend(base, current)
    assert [r.category for r in rows] == ["B", "A", "C"]
    assert [r.share for r in rows] == pytest.approx([0.5, 1 / 3, 1 / 6])
    assert all(r.key for r in rows)  # C: cumulative before it is 0.833 < 0.95


def test_trend_assessment_subtracts_the_total_trend() -> None:
    # Hand: totals 200 -> 300 (+50 %). A: 100 -> 200 (+100 %): T = 0.5 * |1.0 - 0.5| = 0.25.
    # B: 100 -> 100 (0 %): T = 0.5 * |0 - 0.5| = 0.25.
    scores = kca.trend_scores({("A", "CO2"): 100.0, ("B", "CO2"): 100.0}, {("A", "CO2"): 200.0, ("B", "CO2"): 100.0})
    assert scores == {("A", "CO2"): pytest.approx(0.25), ("B", "CO2"): pytest.approx(0.25)}


def test_a_category_absent_in_the_base_year_is_scored_on_its_current_level() -> None:
    scores = kca.trend_scores({("A", "CO2"): 100.0}, {("A", "CO2"): 100.0, ("2.F.1", "HFC-134a"): 20.0})
    assert scores[("2.F.1", "HFC-134a")] == pytest.approx(20 / 100)


def test_approach2_weights_level_shares_by_uncertainty_with_a_90_percent_threshold() -> None:
    # Hand: L = 0.6 and 0.4; U = 2 % and 50 %: LU = 1.2 and 20; shares 0.0566 and 0.9434.
    rows = kca.level_approach2({("A", "CO2"): 600.0, ("B", "N2O"): 400.0}, {("A", "CO2"): 2.0, ("B", "N2O"): 50.0})
    assert [(r.category, r.key) for r in rows] == [("B", True), ("A", False)]
    assert rows[0].share == pytest.approx(20 / 21.2)


def test_approach2_trend_multiplies_trend_scores_by_uncertainty() -> None:
    base = {("A", "CO2"): 500.0, ("B", "CO2"): 300.0, ("C", "CO2"): 200.0}
    current = {("A", "CO2"): 400.0, ("B", "CO2"): 450.0, ("C", "CO2"): 150.0}
    u = {("A", "CO2"): 10.0, ("B", "CO2"): 1.0, ("C", "CO2"): 100.0}
    rows = kca.trend_approach2(base, current, u)
    # Hand: TU = 1.0, 0.15, 5.0 -> shares 1/6.15, 0.15/6.15, 5/6.15
    assert {r.category: r.share for r in rows} == pytest.approx({"A": 1 / 6.15, "B": 0.15 / 6.15, "C": 5 / 6.15})
    assert [r.category for r in rows if r.key] == ["C", "A"]


def test_key_categories_unions_assessments_in_order_of_first_appearance() -> None:
    level = kca.level({("A", "CO2"): 97.0, ("B", "CO2"): 3.0})
    trend = kca.trend({("A", "CO2"): 50.0, ("B", "CO2"): 1.0}, {("A", "CO2"): 97.0, ("B", "CO2"): 3.0})
    assert kca.key_categories(level, trend) == [("A", "CO2"), ("B", "CO2")]
