"""CEMS rules against hand calculations: substitution (EU MRR Art. 45(3)), minute validity
(Art. 44(2)), plausibility screens, partial aggregates, uncertainty and corroboration (Art. 46)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from carbonbridge.adapters.cems_config import load_rule_set
from carbonbridge.domain.cems.annual import HourRecord, corroborate, stack_year
from carbonbridge.domain.cems.partials import MonthPartial, partials_from_rows, stack_year_from_partials, stack_years
from carbonbridge.domain.cems.quality import hour_from_minutes, plausibility

BY = load_rule_set("BY")
CN = load_rule_set("CN")
START = dt.datetime(2025, 1, 1)


def _year(co2: list[float | None], flow: list[float | None], flags: list[str] | None = None) -> list[HourRecord]:
    flags = flags or ["N"] * len(co2)
    return [
        HourRecord(START + dt.timedelta(hours=i), c, flags[i], f, flags[i])
        for i, (c, f) in enumerate(zip(co2, flow, strict=True))
        if c is not None or f is not None
    ]


def _partials(records: list[HourRecord]) -> list[MonthPartial]:
    """The partial aggregates an engine would return, computed here in plain Python per month."""
    out = []
    for month in range(1, 13):
        rows = [r for r in records if r.hour.month == month]
        stopped = [r for r in rows if "F" in (r.co2_flag, r.flow_flag)]
        stopped_set = set(stopped)
        op = [r for r in rows if r not in stopped_set]
        cv = [r for r in op if r.co2_flag == "N" and r.co2 is not None and r.co2 >= 0]
        fv = [r for r in op if r.flow_flag == "N" and r.flow is not None and r.flow >= 0]
        cvs, fvs = set(cv), set(fv)
        both = [r for r in cv if r in fvs]
        c = np.array([r.co2 for r in cv], dtype=float)
        f = np.array([r.flow for r in fv], dtype=float)
        out.append(
            MonthPartial(
                "BY",
                "I",
                "S",
                2025,
                month,
                len(rows),
                len(stopped),
                len(both),
                math.fsum(r.co2 * r.flow for r in both),  # type: ignore[operator]
                len(cv),
                float(c.mean()) if c.size else 0.0,
                float(((c - c.mean()) ** 2).sum()) if c.size else 0.0,
                len(fv),
                float(f.mean()) if f.size else 0.0,
                float(((f - f.mean()) ** 2).sum()) if f.size else 0.0,
                math.fsum(r.flow for r in fv if r not in cvs),  # type: ignore[misc]
                math.fsum(r.co2 for r in cv if r not in fvs),  # type: ignore[misc]
                len([r for r in op if r not in cvs and r not in fvs]),
            )
        )
    return [p for p in out if p.rows]


def test_a_year_with_an_analyser_outage_substitutes_mean_plus_two_sigma_for_absent_hours() -> None:
    hours = 8_760
    co2: list[float | None] = [190.0 if i % 2 == 0 else 210.0 for i in range(hours)]
    flow: list[float | None] = [100_000.0] * hours
    for i in range(100):  # a 100-hour outage of the whole CEMS: no record at all
        co2[i] = flow[i] = None
    result = stack_year("S", 2025, _year(co2, flow), BY)
    # valid CO2: 4,330 x 190 and 4,330 x 210: mean 200, sample sigma 10 x sqrt(n / (n - 1)); flow constant
    substitute = 200 + 2 * 10 * math.sqrt(8_660 / 8_659)
    expected_t = (4_330 * 190 + 4_330 * 210) * 100_000 * 1e-6 + 100 * substitute * 100_000 * 1e-6
    assert result.emissions_t == pytest.approx(expected_t, rel=1e-12)
    assert result.substitute_co2_g_per_nm3 == pytest.approx(substitute, rel=1e-12)
    assert (result.hours_valid, result.hours_substituted_co2, result.hours_substituted_flow) == (8_660, 100, 100)
    assert result.uncertainty_t == pytest.approx(expected_t * 0.025)  # tier 4: 2.5 % (Annex VIII table 1)
    assert stack_year("S", 2025, _year(co2, flow), BY, tier="2").uncertainty_t == pytest.approx(expected_t * 0.075)


def test_stopped_hours_carry_no_emissions_and_are_not_substituted() -> None:
    co2: list[float | None] = [200.0] * 8_760
    flow: list[float | None] = [50_000.0] * 8_760
    flags = ["F" if i < 760 else "N" for i in range(8_760)]
    result = stack_year("S", 2025, _year(co2, flow, flags), BY)
    assert result.emissions_t == pytest.approx(8_000 * 200 * 50_000 * 1e-6)
    assert (result.hours_stopped, result.hours_substituted_co2) == (760, 0)


def test_invalid_flags_and_negative_values_are_substituted_like_missing_hours() -> None:
    co2: list[float | None] = [200.0, 220.0, -5.0, 180.0] + [200.0] * 8_756
    flow: list[float | None] = [10.0] * 8_760
    flags = ["N", "N", "N", "D"] + ["N"] * 8_756
    result = stack_year("S", 2025, _year(co2, flow, flags), BY)
    assert result.hours_substituted_co2 == 2  # the negative hour and the fault-flagged hour
    assert result.hours_substituted_flow == 1  # the fault flag covers flow too


def test_partial_aggregates_give_the_reference_result() -> None:
    rng = np.random.default_rng(7)
    co2: list[float | None] = list(rng.normal(200, 15, 8_760))
    flow: list[float | None] = list(rng.normal(3e5, 2e4, 8_760))
    flags = list(np.where(rng.random(8_760) < 0.03, "D", np.where(rng.random(8_760) < 0.02, "F", "N")))
    for i in rng.choice(8_760, 300, replace=False):
        co2[i] = None if i % 3 else co2[i]
        flow[i] = None if i % 2 else flow[i]
    records = _year(co2, flow, flags)
    reference = stack_year("S", 2025, records, BY)
    from_partials = stack_year_from_partials(_partials(records), BY)
    assert from_partials.emissions_t == pytest.approx(reference.emissions_t, rel=1e-11)
    assert from_partials.substitute_co2_g_per_nm3 == pytest.approx(reference.substitute_co2_g_per_nm3, rel=1e-11)
    assert from_partials.substitute_flow_nm3_per_h == pytest.approx(reference.substitute_flow_nm3_per_h, rel=1e-11)
    for name in ("hours_stopped", "hours_valid", "hours_substituted_co2", "hours_substituted_flow"):
        assert getattr(from_partials, name) == getattr(reference, name)


def test_all_stacks_at_once_give_each_stacks_own_year_whatever_the_order_of_the_months() -> None:
    rng = np.random.default_rng(11)
    months: list[MonthPartial] = []
    expected = {}
    # the same stack id in two installations stays two stacks; one stack has a single valid value
    for installation, stack, valid_share in (("I2", "S1", 0.9), ("I1", "S0", 0.97), ("I1", "S1", 0.0002)):
        co2: list[float | None] = list(rng.normal(200, 15, 8_760))
        flow: list[float | None] = list(rng.normal(3e5, 2e4, 8_760))
        flags = list(np.where(rng.random(8_760) < valid_share, "N", np.where(rng.random(8_760) < 0.5, "D", "F")))
        own = [p._replace(installation_id=installation, stack_id=stack) for p in _partials(_year(co2, flow, flags))]
        expected[(installation, stack)] = stack_year_from_partials(own, BY)
        months += own
    shuffled = [months[i] for i in rng.permutation(len(months))]
    got = stack_years(partials_from_rows(shuffled), BY)
    assert [(installation, year.stack_id) for installation, year in got] == sorted(expected)
    for installation, year in got:
        want = dataclasses.astuple(expected[(installation, year.stack_id)])
        for field, value in zip(dataclasses.fields(year), dataclasses.astuple(year), strict=True):
            wanted = want[dataclasses.fields(year).index(field)]
            assert value == (pytest.approx(wanted, rel=1e-12) if isinstance(wanted, float) else wanted), field.name
    assert expected[("I1", "S1")].emissions_t is None  # fewer than two valid values: nothing to substitute with


def test_china_has_no_substitution_rule_so_the_year_is_the_valid_hours_and_incomplete() -> None:
    co2: list[float | None] = [200.0] * 8_760
    flow: list[float | None] = [1_000.0] * 8_760
    co2[5] = None
    result = stack_year("S", 2025, _year(co2, flow), CN)
    assert result.emissions_t == pytest.approx(8_759 * 200 * 1_000 * 1e-6)
    assert (result.complete, result.hours_missing_unsubstituted, result.hours_substituted_co2) == (False, 1, 0)
    assert "none configured" in CN.substitution_source


@pytest.mark.parametrize(("valid", "expected_flag"), [(48, "N"), (47, "I"), (0, "I")])
def test_an_hour_is_valid_from_80_percent_of_its_minutes(valid: int, expected_flag: str) -> None:
    minutes = [(float(i), "N") for i in range(valid)] + [(999.0, "D")] * (60 - valid)
    hour = hour_from_minutes(minutes, BY)
    assert hour.flag == expected_flag
    assert hour.value == (pytest.approx(sum(range(valid)) / valid) if expected_flag == "N" else None)


def test_an_hour_of_stopped_minutes_is_a_stopped_hour() -> None:
    assert hour_from_minutes([(None, "F")] * 60, BY).flag == "F"


def test_plausibility_counts_negative_stuck_and_jumping_hours() -> None:
    series: list[tuple[float | None, str]] = [(-1.0, "N")] + [(5.0, "N")] * 30 + [(11.0, "N"), (None, ""), (30.0, "N")]
    found = plausibility(series, BY)
    # 30 equal hours: hours 24..30 of the run complete a 24-hour run (7 hours); 5 -> 11 is a jump (> 100 %);
    # 11 -> gap -> 30 is not (no previous hour); the negative hour is invalid and starts nothing.
    assert (found.negative, found.stuck, found.jumps) == (1, 7, 1)


def test_corroboration_within_combined_uncertainty() -> None:
    ok = corroborate(1_030.0, 25.0, 1_000.0, 20.0)
    assert ok.corroborated and ok.combined_uncertainty_t == pytest.approx(math.hypot(25, 20))
    assert ok.difference_pct == pytest.approx(3.0)
    assert not corroborate(1_050.0, 25.0, 1_000.0, 20.0).corroborated
