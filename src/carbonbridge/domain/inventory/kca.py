"""Key category analysis, IPCC 2006 Vol 1 Ch 4.

Approach 1: level (Eq 4.1) and trend (Eq 4.2) assessments on CO2e of each category and gas,
using absolute values so removals count; key categories are those that, taken in descending
order, reach the cumulative threshold (95 %). Approach 2 (Eqs 4.4-4.5) weights each level or
trend share by the category's relative uncertainty; threshold 90 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

Key = tuple[str, str]  # (category, gas)
APPROACH1_THRESHOLD = 0.95
APPROACH2_THRESHOLD = 0.90


@dataclass(frozen=True, slots=True)
class Assessment:
    """One category and gas in a ranked assessment. `share` and `cumulative` are fractions."""

    category: str
    gas: str
    assessment: str  # level | trend | level_u | trend_u
    value: float  # the assessed quantity (level: t CO2e; trend: the trend assessment T)
    share: float
    cumulative: float
    key: bool


def _rank(
    scores: Mapping[Key, float], assessment: str, threshold: float, values: Mapping[Key, float]
) -> list[Assessment]:
    total = math.fsum(scores.values())
    if total <= 0:
        return [Assessment(c, g, assessment, values[(c, g)], 0.0, 0.0, False) for (c, g) in sorted(scores)]
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    out: list[Assessment] = []
    cumulative = 0.0
    for (category, gas), score in ranked:
        before = cumulative
        share = score / total
        cumulative = before + share
        # Key while the cumulative total before this category is still below the threshold:
        # the category that crosses the threshold is key too (Vol 1 Ch 4 Sec 4.3.1).
        out.append(
            Assessment(
                category, gas, assessment, values[(category, gas)], share, cumulative, before < threshold - 1e-12
            )
        )
    return out


def level(estimates: Mapping[Key, float], threshold: float = APPROACH1_THRESHOLD) -> list[Assessment]:
    """Eq 4.1: L_x = |E_x| / sum |E_y|."""
    return _rank({k: abs(v) for k, v in estimates.items()}, "level", threshold, estimates)


def trend_scores(base: Mapping[Key, float], current: Mapping[Key, float]) -> dict[Key, float]:
    """Eq 4.2: T_x = |E_x0| / sum|E_y0| x |(E_xt - E_x0)/|E_x0| - (sum E_yt - sum E_y0)/|sum E_y0||.

    A category absent in the base year (E_x0 = 0) gets T_x = |E_xt| / sum|E_y0|, the convention
    of the 2019 Refinement (Vol 1 Ch 4 Eq 4.3) for categories without a base-year estimate."""
    keys = sorted(set(base) | set(current))
    abs_base = math.fsum(abs(base.get(k, 0.0)) for k in keys)
    sum_base = math.fsum(base.get(k, 0.0) for k in keys)
    sum_current = math.fsum(current.get(k, 0.0) for k in keys)
    if abs_base == 0 or sum_base == 0:
        raise ValueError("trend assessment needs a non-zero base-year total")
    total_trend = (sum_current - sum_base) / abs(sum_base)
    scores: dict[Key, float] = {}
    for k in keys:
        e0, et = base.get(k, 0.0), current.get(k, 0.0)
        if e0 == 0:
            scores[k] = abs(et) / abs_base
        else:
            scores[k] = abs(e0) / abs_base * abs((et - e0) / abs(e0) - total_trend)
    return scores


def trend(
    base: Mapping[Key, float], current: Mapping[Key, float], threshold: float = APPROACH1_THRESHOLD
) -> list[Assessment]:
    scores = trend_scores(base, current)
    return _rank(scores, "trend", threshold, scores)


def level_approach2(
    estimates: Mapping[Key, float], uncertainty_pct: Mapping[Key, float], threshold: float = APPROACH2_THRESHOLD
) -> list[Assessment]:
    """Eq 4.4: LU_x = L_x x U_x / sum(L_y x U_y), U the category's combined relative uncertainty."""
    total = math.fsum(abs(v) for v in estimates.values())
    scores = {k: abs(v) / total * uncertainty_pct[k] for k, v in estimates.items()} if total else {}
    return _rank(scores, "level_u", threshold, scores)


def trend_approach2(
    base: Mapping[Key, float],
    current: Mapping[Key, float],
    uncertainty_pct: Mapping[Key, float],
    threshold: float = APPROACH2_THRESHOLD,
) -> list[Assessment]:
    """Eq 4.5: TU_x = T_x x U_x / sum(T_y x U_y)."""
    scores = {k: t * uncertainty_pct[k] for k, t in trend_scores(base, current).items()}
    return _rank(scores, "trend_u", threshold, scores)


def key_categories(*assessments: list[Assessment]) -> list[Key]:
    """Categories key by any of the given assessments, in order of first appearance."""
    seen: dict[Key, None] = {}
    for rows in assessments:
        for row in rows:
            if row.key:
                seen.setdefault((row.category, row.gas), None)
    return list(seen)
