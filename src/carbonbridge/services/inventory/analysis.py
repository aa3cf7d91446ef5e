"""Inventory analysis use cases without storage: key categories and uncertainty from records
or from a plain category table, returned as JSON-ready dictionaries."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.inventory import kca
from carbonbridge.domain.inventory.montecarlo import Model, Parameter, Source, simulate
from carbonbridge.domain.inventory.records import EmissionRecord, by_category_gas, sector_of
from carbonbridge.domain.inventory.uncertainty import UncertaintyInput, approach1

Key = tuple[str, str]
MAX_ITERATIONS = 10_000_000


def _co2e(gas: str, value: float, gwp_set: str) -> float:
    return value if gas.upper() == "CO2E" else value * gwp(gas, gwp_set)


def table_estimates(rows: Sequence[Mapping[str, Any]], year: int, gwp_set: str) -> dict[Key, float]:
    out: dict[Key, float] = {}
    for r in rows:
        if r["year"] == year:
            key = (r["category"], r["gas"])
            out[key] = out.get(key, 0.0) + _co2e(r["gas"], r["value_t"], gwp_set)
    return out


def table_uncertainties(rows: Sequence[Mapping[str, Any]]) -> dict[Key, Mapping[str, Any]]:
    """The uncertainty row of each category and gas (the latest year's row wins)."""
    return {(r["category"], r["gas"]): r for r in sorted(rows, key=lambda r: r["year"])}


def latest_and_base(years: Sequence[int], year: int | None, base_year: int | None) -> tuple[int, int | None]:
    if not years:
        raise ValidationFailed([Problem("no data")])
    chosen = year if year is not None else max(years)
    base = base_year if base_year is not None else (min(years) if min(years) != chosen else None)
    for y in (chosen, base):
        if y is not None and y not in years:
            message = f"no data for {y}; years present: {min(years)}-{max(years)}"
            raise ValidationFailed([Problem(message, field="year")])
    return chosen, base


def kca_report(
    current: Mapping[Key, float],
    base: Mapping[Key, float] | None,
    *,
    year: int,
    base_year: int | None,
    uncertainty_pct: Mapping[Key, float] | None = None,
) -> dict[str, Any]:
    """Approach 1 level (and trend with a base year); Approach 2 where uncertainties are given."""
    assessments: dict[str, list[kca.Assessment]] = {"level": kca.level(current)}
    if base:
        assessments["trend"] = kca.trend(base, current)
    if uncertainty_pct:
        u = {k: uncertainty_pct.get(k, 0.0) for k in set(current) | set(base or {})}
        assessments["level_approach2"] = kca.level_approach2(current, u)
        if base:
            assessments["trend_approach2"] = kca.trend_approach2(base, current, u)
    keys = kca.key_categories(*assessments.values())
    return {
        "year": year,
        "base_year": base_year,
        "thresholds": {"approach1": kca.APPROACH1_THRESHOLD, "approach2": kca.APPROACH2_THRESHOLD},
        "key_categories": [_key_row(c, g, assessments) for c, g in keys],
        **{name: [asdict(r) for r in rows] for name, rows in assessments.items()},
    }


def _key_row(category: str, gas: str, assessments: Mapping[str, list[kca.Assessment]]) -> dict[str, Any]:
    """A key category with its share and cumulative share in each assessment, and which made it key."""
    row: dict[str, Any] = {"category": category, "gas": gas, "by": []}
    for name, rows in assessments.items():
        for r in rows:
            if (r.category, r.gas) == (category, gas):
                row[f"{name}_share"] = r.share
                row[f"{name}_cumulative"] = r.cumulative
                if r.key:
                    row["by"].append(name)
    return row


def uncertainty_report(
    current: Mapping[Key, float],
    base: Mapping[Key, float] | None,
    uncertainties: Mapping[Key, Mapping[str, Any]],
    *,
    seed: int,
    iterations: int = 20_000,
) -> dict[str, Any]:
    """Approach 1 and Approach 2 on the same inputs. Rows whose AD and EF are given separately get
    an AD multiplier per year and an EF multiplier shared by both years (and by every source in
    the same `ef_group`); a single combined uncertainty is one multiplier shared by both years."""
    if not 100 <= iterations <= MAX_ITERATIONS:
        raise ValidationFailed([Problem(f"iterations must be 100..{MAX_ITERATIONS}", field="iterations")])
    keys = sorted(set(current) | set(base or {}))
    missing = [k for k in keys if k not in uncertainties]
    if missing:
        raise ValidationFailed([Problem(f"no uncertainty for {c}/{g}", field="uncertainty_pct") for c, g in missing])
    inputs = [
        UncertaintyInput(
            c,
            g,
            current.get((c, g), 0.0),
            (base or {}).get((c, g), 0.0),
            float(uncertainties[(c, g)]["ad_pct"]),
            float(uncertainties[(c, g)]["ef_pct"]),
        )
        for c, g in keys
    ]
    a1 = approach1(inputs)
    model = _model(keys, current, base, uncertainties)
    a2 = simulate(model, np.random.default_rng(seed), iterations)
    variance_total = math.fsum(r.variance_contribution for r in a1.rows) or 1.0
    return {
        "total": a1.total,
        "approach1_pct": a1.level_pct,
        "approach2_mean": a2.total.mean,
        "approach2_low_pct": a2.total.low_pct,
        "approach2_high_pct": a2.total.high_pct,
        "approach2_p2_5": a2.total.p2_5,
        "approach2_p97_5": a2.total.p97_5,
        "trend_pct": _none(a1.trend_pct),
        "trend_uncertainty_approach1_pp": _none(a1.trend_uncertainty_pp),
        "trend_approach2": None
        if a2.trend_pct is None
        else {"mean_pct": a2.trend_pct.mean, "p2_5_pct": a2.trend_pct.p2_5, "p97_5_pct": a2.trend_pct.p97_5},
        "iterations": iterations,
        "seed": seed,
        "categories": [
            {
                "category": i.category,
                "gas": i.gas,
                "value_t_co2e": i.current,
                "ad_pct": i.ad_pct,
                "ef_pct": i.ef_pct,
                "combined_pct": row.combined_pct,
                "contribution_to_variance_pct": row.variance_contribution / variance_total * 100.0,
                "approach2_sd_t_co2e": sd,
            }
            for i, row, sd in zip(inputs, a1.rows, a2.source_sd, strict=True)
        ],
        "sectors": {name: asdict(iv) for name, iv in a2.groups.items()},
    }


def _none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _model(
    keys: Sequence[Key],
    current: Mapping[Key, float],
    base: Mapping[Key, float] | None,
    uncertainties: Mapping[Key, Mapping[str, Any]],
) -> Model:
    params: dict[str, Parameter] = {}
    sources = []
    for c, g in keys:
        u = uncertainties[(c, g)]
        dist = str(u.get("distribution") or "normal")
        if u.get("split"):
            ef_name = f"EF:{u.get('ef_group') or c + '/' + g}"
            params.setdefault(ef_name, Parameter(ef_name, float(u["ef_pct"]), dist))
            for suffix in ("t", "0"):
                params[f"AD:{c}/{g}:{suffix}"] = Parameter(f"AD:{c}/{g}:{suffix}", float(u["ad_pct"]), "normal")
            current_params: tuple[str, ...] = (f"AD:{c}/{g}:t", ef_name)
            base_params: tuple[str, ...] = (f"AD:{c}/{g}:0", ef_name)
        else:
            name = f"U:{u.get('ef_group') or c + '/' + g}"  # a shared group is fully correlated
            params.setdefault(name, Parameter(name, float(u["ef_pct"]), dist))
            current_params = base_params = (name,)
        sources.append(
            Source(c, g, current.get((c, g), 0.0), current_params, (base or {}).get((c, g), 0.0), base_params)
        )
    groups: dict[str, list[int]] = {}
    for i, (c, _) in enumerate(keys):
        groups.setdefault(sector_of(c), []).append(i)
    return Model(list(params.values()), sources, groups=groups)


def records_estimates(
    records: Sequence[EmissionRecord], year: int, gwp_set: str, *, with_lulucf: bool = True
) -> dict[Key, float]:
    return by_category_gas(records, year, gwp_set, with_lulucf=with_lulucf)


def match_uncertainties(keys: Sequence[Key], table: Sequence[Mapping[str, Any]]) -> dict[Key, Mapping[str, Any]]:
    """For each category and gas, the table row with the longest matching category prefix
    (exact gas before '*'); every key without a row is reported."""
    out: dict[Key, Mapping[str, Any]] = {}
    problems = []
    for category, gas in keys:
        candidates = [
            r
            for r in table
            if (category == r["category"] or category.startswith(r["category"] + ".")) and r["gas"] in (gas, "*")
        ]
        if not candidates:
            problems.append(Problem(f"no uncertainty row covers {category}/{gas}", field="category"))
            continue
        out[(category, gas)] = max(candidates, key=lambda r: (len(r["category"]), r["gas"] != "*"))
    if problems:
        raise ValidationFailed(problems)
    return out
