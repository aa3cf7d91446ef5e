"""Uncertainty Approach 1: error propagation, IPCC 2006 Vol 1 Ch 3 Sec 3.2.3.1 and Table 3.2.

All uncertainties are half-widths of the 95 % confidence interval in percent of the estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UncertaintyInput:
    """One category and gas: base-year and current estimates (t CO2e) and their uncertainties.

    With only a combined uncertainty, pass it as `ef_pct` and leave `ad_pct` 0: Table 3.2 then
    treats it as fully correlated between the years (like an emission factor)."""

    category: str
    gas: str
    current: float
    base: float = 0.0
    ad_pct: float = 0.0
    ef_pct: float = 0.0

    @property
    def combined_pct(self) -> float:
        """Eq 3.1 (product of quantities): U = sqrt(U_AD^2 + U_EF^2)."""
        return math.hypot(self.ad_pct, self.ef_pct)


@dataclass(frozen=True, slots=True)
class Approach1Row:
    category: str
    gas: str
    combined_pct: float
    variance_contribution: float  # Table 3.2 column H, in %^2: (U x E)^2 / (sum E)^2; sums to level_pct^2
    sensitivity_a: float  # column I
    sensitivity_b: float  # column J
    trend_ef_pp: float  # column K
    trend_ad_pp: float  # column L


@dataclass(frozen=True, slots=True)
class Approach1Result:
    total: float
    level_pct: float
    trend_pct: float  # (total - base total) / base total x 100
    trend_uncertainty_pp: float
    rows: tuple[Approach1Row, ...]


def approach1(inputs: Sequence[UncertaintyInput]) -> Approach1Result:
    """Level: U_total = sqrt(sum (U_i x_i)^2) / |sum x_i| (Eq 3.2). Trend: Table 3.2 columns I-M,
    with type A sensitivity I = (0.01 D_x + sum D - (0.01 C_x + sum C)) / (0.01 C_x + sum C) x 100
    - (sum D - sum C) / sum C x 100, type B sensitivity J = D_x / sum C, K = I x U_EF,
    L = J x U_AD x sqrt(2); trend uncertainty = sqrt(sum K^2 + L^2) percentage points."""
    total = math.fsum(i.current for i in inputs)
    base_total = math.fsum(i.base for i in inputs)
    if total == 0:
        raise ValueError("the total is zero: relative uncertainty is undefined")
    variance = [(i.combined_pct * i.current) ** 2 for i in inputs]
    level_pct = math.sqrt(math.fsum(variance)) / abs(total)
    rows = []
    trend_pct = math.nan
    if base_total != 0:
        trend_pct = (total - base_total) / base_total * 100.0
    for i, var in zip(inputs, variance, strict=True):
        if base_total != 0:
            bumped = (0.01 * i.current + total - (0.01 * i.base + base_total)) / (0.01 * i.base + base_total) * 100.0
            sens_a = bumped - trend_pct
            sens_b = i.current / base_total
        else:
            sens_a = sens_b = math.nan
        rows.append(
            Approach1Row(
                i.category,
                i.gas,
                i.combined_pct,
                var / total**2,
                sens_a,
                sens_b,
                sens_a * i.ef_pct,
                sens_b * i.ad_pct * math.sqrt(2.0),
            )
        )
    trend_unc = math.sqrt(math.fsum(r.trend_ef_pp**2 + r.trend_ad_pp**2 for r in rows)) if base_total != 0 else math.nan
    return Approach1Result(total, level_pct, trend_pct, trend_unc, tuple(rows))
