"""Annual emissions of a stack from its hourly CEMS values, the uncertainty the method implies, and
corroboration against the calculation-based figure (EU MRR 2018/2066 Arts. 43-46, Annex VIII).

The mass and the substitution are those of domain/mrv/cems.py (Annex VIII Eq. 1, Art. 45(3) Eq. 4):
this module decides which hours are valid, stopped or missing and hands the series to it. A
jurisdiction without a substitution rule gets the mass of its valid hours only, marked incomplete.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from carbonbridge.domain.cems.quality import is_valid
from carbonbridge.domain.cems.rules import RuleSet
from carbonbridge.domain.mrv import cems as mrv_cems


@dataclass(frozen=True, slots=True)
class HourRecord:
    """One stack-hour as stored: CO2 concentration (g/Nm3) and flue gas flow (Nm3/h) with their flags."""

    hour: dt.datetime
    co2: float | None
    co2_flag: str
    flow: float | None
    flow_flag: str


@dataclass(frozen=True, slots=True)
class StackYear:
    stack_id: str
    year: int
    emissions_t: float | None
    hours_in_year: int
    hours_stopped: int
    hours_valid: int
    hours_substituted_co2: int
    hours_substituted_flow: int
    hours_missing_unsubstituted: int
    substitute_co2_g_per_nm3: float | None
    substitute_flow_nm3_per_h: float | None
    uncertainty_t: float | None
    complete: bool


def hours_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days * 24


def stack_year(
    stack_id: str, year: int, records: Iterable[HourRecord], rules: RuleSet, tier: str | None = None
) -> StackYear:
    """The reference computation for one stack and calendar year; hours without a record are missing."""
    start = dt.datetime(year, 1, 1)
    total = hours_in_year(year)
    co2 = np.full(total, np.nan)
    flow = np.full(total, np.nan)
    stopped = np.zeros(total, dtype=bool)
    for r in records:
        index = int((r.hour - start).total_seconds() // 3600)
        if not 0 <= index < total:
            raise ValueError(f"hour {r.hour} is outside {year}")
        if r.co2_flag in rules.stopped_flags or r.flow_flag in rules.stopped_flags:
            stopped[index] = True
            continue
        if is_valid(r.co2, r.co2_flag, rules):
            co2[index] = r.co2
        if is_valid(r.flow, r.flow_flag, rules):
            flow[index] = r.flow
    co2, flow = co2[~stopped], flow[~stopped]
    both = ~(np.isnan(co2) | np.isnan(flow))
    u = rules.uncertainty(tier)
    if rules.substitutes and np.count_nonzero(~np.isnan(co2)) >= 2 and np.count_nonzero(~np.isnan(flow)) >= 2:
        result = mrv_cems.measured_emissions(co2, flow)
        return StackYear(
            stack_id,
            year,
            result.emissions_t,
            total,
            int(stopped.sum()),
            int(both.sum()),
            result.hours_substituted_concentration,
            result.hours_substituted_flow,
            0,
            result.substitute_concentration_g_per_nm3,
            result.substitute_flow_nm3_per_h,
            result.emissions_t * u,
            True,
        )
    grams = math.fsum((co2[both] * flow[both]).tolist())
    missing = int(co2.size - both.sum())
    emissions = grams * 1e-6 if not rules.substitutes or missing == 0 else None
    return StackYear(
        stack_id,
        year,
        emissions,
        total,
        int(stopped.sum()),
        int(both.sum()),
        0,
        0,
        missing,
        None,
        None,
        None if emissions is None else emissions * u,
        missing == 0,
    )


@dataclass(frozen=True, slots=True)
class Corroboration:
    measured_t: float
    calculated_t: float
    difference_t: float
    difference_pct: float
    combined_uncertainty_t: float
    corroborated: bool


def corroborate(measured_t: float, measured_u_t: float, calculated_t: float, calculated_u_t: float) -> Corroboration:
    """Art. 46 asks the operator to corroborate measured emissions with a calculation; it sets no
    numeric test. CarbonBridge calls them corroborated when they differ by no more than the two
    expanded uncertainties combined in quadrature (independent errors)."""
    combined = math.hypot(measured_u_t, calculated_u_t)
    difference = measured_t - calculated_t
    pct = 100.0 * difference / calculated_t if calculated_t else math.inf
    return Corroboration(measured_t, calculated_t, difference, pct, combined, abs(difference) <= combined)
